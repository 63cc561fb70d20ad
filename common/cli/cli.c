#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "strbuf.h"

struct gb_common_opts gb_opts = {.mode = OUT_COLUMNS};
const char *gb_prog = "gadgetbox";

enum {
	OPT_FIELDS = 1,
	OPT_FILTER,
	OPT_SORT,
	OPT_MAX_ENTRIES,
	OPT_BTF,
	OPT_K8S_NAMESPACE,
	OPT_K8S_POD,
	OPT_K8S_CONTAINER,
	OPT_HOST,
	OPT_HOST_ROOT,
	OPT_IA32,
	OPT_BUFFER_SIZE,
	OPT_METRICS,
	OPT_METRICS_RETENTION,
};

/* the applet being parsed's groups (GB_OPTS_*) */
static unsigned gb_applet_common;

static const struct gb_opt format_opts[] = {
	{"output", 'o', "FORMAT",
	 "output format: columns (default), json (one object per line), jsonpretty (indented) or yaml"},
	{0},
};

/* the same, where --metrics is: "none" writes no rows (the metrics alone) */
static const struct gb_opt format_metrics_opts[] = {
	{"output", 'o', "FORMAT",
	 "output format: columns (default), json (one object per line), jsonpretty (indented), yaml, or none "
	 "(no rows: the metrics alone)"},
	{0},
};

static const struct gb_opt output_opts[] = {
	{"fields", OPT_FIELDS, "LIST", "comma-separated fields to show (columns) or include (json)"},
	{"filter", OPT_FILTER, "EXPR",
	 "only rows where FIELD==VALUE (also !=, ~REGEX, !~, >, >=, <, <=; terms joined with ',' must all hold)"},
	{0},
};

static const struct gb_opt snapshot_opts[] = {
	{"sort", OPT_SORT, "FIELDS", "sort rows by these fields (comma list; -FIELD: descending)"},
	{"max-entries", OPT_MAX_ENTRIES, "N", "show at most N rows (after --sort)"},
	{0},
};

static const struct gb_opt timeout_opts[] = {
	{"timeout", 't', "SECONDS", "stop after SECONDS"},
	{0},
};

static const struct gb_opt bpf_opts[] = {
	{"btf", OPT_BTF, "PATH", "kernel BTF file, for kernels without /sys/kernel/btf/vmlinux"},
	{"verbose", 'v', NULL, "print the start-up steps with their times, and libbpf's debug messages"},
	{0},
};

static const struct gb_opt metrics_opts[] = {
	{"metrics", OPT_METRICS, "ADDR",
	 "serve Prometheus metrics at http://ADDR/metrics (ADDR: IP:PORT, [IPv6]:PORT or :PORT)"},
	{"metrics-retention", OPT_METRICS_RETENTION, "SECONDS",
	 "drop a container's series SECONDS after it is gone (default 300)"},
	{0},
};

static const struct gb_opt ia32_opts[] = {
	{"ia32", OPT_IA32, NULL, "also trace 32-bit syscalls (x86-64; costs every syscall on the node ~0.2 us)"},
	{0},
};

static const struct gb_opt buffer_opts[] = {
	{"buffer-size", OPT_BUFFER_SIZE, "SIZE",
	 "event ring buffer: 64K to 1G, a power of two (256K, 4M; default 1M, seccomp-audit 256K; counts twice in "
	 "RSS)"},
	{0},
};

static const struct gb_opt container_opts[] = {
	{"containername", 'c', "NAMES", "only these containers (runtime names; comma list, !NAME excludes)"},
	{"k8s-namespace", OPT_K8S_NAMESPACE, "NAMES", "only pods in these Kubernetes namespaces"},
	{"k8s-podname", OPT_K8S_POD, "NAMES", "only these Kubernetes pods"},
	{"k8s-containername", OPT_K8S_CONTAINER, "NAMES", "only these Kubernetes containers (as in the pod spec)"},
	{"runtimes", 'r', "NAMES", "only these runtimes: docker, containerd, cri-o, podman, runc, crun"},
	{"host-root", OPT_HOST_ROOT, "PATH", "where the host's / is mounted (default $HOST_ROOT, else /)"},
	{0},
};

static const struct gb_opt host_opts[] = {
	{"host", OPT_HOST, NULL, "also show host processes (default: containers only)"},
	{0},
};

static const struct gb_opt help_opts[] = {
	{"help", 'h', NULL, "show this help and exit"},
	{0},
};

int gb_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", gb_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see '%s --help')\n", gb_prog);
	return -1;
}

int gb_parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	/* strtoul() would skip leading spaces and then take " -1" as ULONG_MAX */
	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

int gb_parse_pid_opt(const char *s, const char *what, unsigned long *out)
{
	if (gb_parse_ulong(s, 0x3fffffff, out) || !*out) /* PID_MAX_LIMIT is 2^22; pids are never 0 */
		return gb_usage_error("invalid %s '%s'", what, s);
	return 0;
}

int gb_parse_uid_opt(const char *s, unsigned long *out)
{
	if (gb_parse_ulong(s, GB_NO_UID - 1, out))
		return gb_usage_error("invalid UID '%s'", s);
	return 0;
}

int gb_parse_ports(const char *list, const char *what, uint16_t *ports, size_t max, size_t *n)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "%s", list);
	for (char *save, *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		unsigned long v;
		if (gb_parse_ulong(w, 65535, &v) || !v)
			return gb_usage_error("%s: '%s' is not a port", what, w);
		if (*n == max)
			return gb_usage_error("%s: at most %zu ports", what, max);
		ports[(*n)++] = (uint16_t)v;
	}
	return 0;
}

int gb_parse_seconds(const char *s, double *out)
{
	char *end;

	if (!s || !*s)
		return -1;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || *end || !(v > 0) || !isfinite(v) || v > 1e9)
		return -1;
	*out = v;
	return 0;
}

int gb_parse_size(const char *s, size_t min, size_t max, size_t *out)
{
	static const char units[] = "KMG";
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	const char *unit = *end ? strchr(units, *end & ~0x20) : NULL;
	if (errno || (*end && (!unit || end[1])))
		return -1;
	int shift = unit ? 10 * (int)(unit - units + 1) : 0;
	if (v > (unsigned long long)max >> shift)
		return -1;
	v <<= shift;
	if (v < min)
		return -1;
	*out = (size_t)v;
	return 0;
}

int gb_parse_interval_opt(const char *opt, const char *arg, double *out)
{
	if (arg && (gb_parse_seconds(arg, out) || *out < 0.001))
		return gb_usage_error("%s: '%s' is not a number of seconds (0.001 or more)", opt, arg);
	return 0;
}

int gb_each_word(const char *list, const char *what, int (*fn)(const char *w, const char *what))
{
	char buf[512];

	snprintf(buf, sizeof(buf), "%s", list);
	for (char *save, *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save))
		if (fn(w, what))
			return -1;
	return 0;
}

/* Common options whose short letter the applet has taken keep only their long form. */
static bool short_taken(const struct gb_applet *a, int key)
{
	for (const struct gb_opt *o = a->opts; o && o->name; o++)
		if (o->key == key)
			return true;
	return false;
}

struct opt_source {
	const struct gb_opt *opts;
	bool own; /* the applet's */
};

#define MAX_SOURCES 12

static size_t opt_sources(const struct gb_applet *a, struct opt_source src[MAX_SOURCES])
{
	size_t n = 0;

	src[n++] = (struct opt_source){a->opts, true};
	if (a->common & GB_OPTS_OUTPUT) {
		src[n++] = (struct opt_source){a->common & GB_OPTS_METRICS ? format_metrics_opts : format_opts, false};
		src[n++] = (struct opt_source){output_opts, false};
	}
	if (a->common & GB_OPTS_SNAPSHOT)
		src[n++] = (struct opt_source){snapshot_opts, false};
	if (a->common & GB_OPTS_CONTAINERS)
		src[n++] = (struct opt_source){container_opts, false};
	if (a->common & GB_OPTS_HOST)
		src[n++] = (struct opt_source){host_opts, false};
	if (a->common & GB_OPTS_TIMEOUT)
		src[n++] = (struct opt_source){timeout_opts, false};
	if (a->common & GB_OPTS_BTF)
		src[n++] = (struct opt_source){bpf_opts, false};
	if (a->common & GB_OPTS_IA32)
		src[n++] = (struct opt_source){ia32_opts, false};
	if (a->common & GB_OPTS_BUFFER)
		src[n++] = (struct opt_source){buffer_opts, false};
	if (a->common & GB_OPTS_METRICS)
		src[n++] = (struct opt_source){metrics_opts, false};
	src[n++] = (struct opt_source){help_opts, false};
	return n;
}

/* getopt_long values: the applet's keys as they are; common keys offset so they cannot collide. */
#define COMMON_BASE 0x10000

static int common_key(const struct gb_applet *a, const struct gb_opt *o)
{
	if (o->key < GB_LONG_OPT && !short_taken(a, o->key) && o->key > ' ')
		return o->key;
	return COMMON_BASE + o->key;
}

/* Options that just keep their argument. */
static const struct {
	int key;
	const char **dest;
} string_opts[] = {
	{OPT_FIELDS, &gb_opts.fields},
	{OPT_FILTER, &gb_opts.row_filter},
	{OPT_SORT, &gb_opts.sort},
	{OPT_BTF, &gb_opts.btf},
	{'c', &gb_opts.filter.names},
	{OPT_K8S_NAMESPACE, &gb_opts.filter.k8s_namespaces},
	{OPT_K8S_POD, &gb_opts.filter.k8s_pods},
	{OPT_K8S_CONTAINER, &gb_opts.filter.k8s_containers},
	{'r', &gb_opts.filter.runtimes},
	{OPT_HOST_ROOT, &gb_opts.host_root},
};

/* -r: every name (or !name) a runtime gadgetbox knows, so a typo is not a filter that matches nothing. */
static int check_runtimes(const char *list)
{
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ",");
		const char *name = p + (*p == '!');
		size_t nlen = len - (size_t)(name - p);
		bool known = false;
		for (const char *const *r = gb_runtime_names; *r && !known; r++)
			known = strlen(*r) == nlen && !strncmp(*r, name, nlen);
		if (!known) {
			struct strbuf sb = {0};
			for (const char *const *r = gb_runtime_names; *r; r++)
				sb_addf(&sb, "%s%s", r == gb_runtime_names ? "" : ", ", *r);
			gb_usage_error("unknown runtime '%.*s' (known: %s)", (int)nlen, name, sb_str(&sb));
			sb_free(&sb);
			return -1;
		}
		p += len + (p[len] == ',');
	}
	return 0;
}

static int parse_common(int key, const char *arg)
{
	if (key == 'r' && check_runtimes(arg))
		return -1;
	for (size_t i = 0; i < sizeof(string_opts) / sizeof(string_opts[0]); i++)
		if (string_opts[i].key == key) {
			*string_opts[i].dest = arg;
			return 0;
		}
	switch (key) {
	case 'o':
		if (!strcmp(arg, "json"))
			gb_opts.mode = OUT_JSON;
		else if (!strcmp(arg, "jsonpretty"))
			gb_opts.mode = OUT_JSON_PRETTY;
		else if (!strcmp(arg, "yaml"))
			gb_opts.mode = OUT_YAML;
		else if (!strcmp(arg, "columns"))
			gb_opts.mode = OUT_COLUMNS;
		else if (!strcmp(arg, "none") && (gb_applet_common & GB_OPTS_METRICS))
			gb_opts.mode = OUT_NO_ROWS;
		else
			return gb_usage_error("unknown output format '%s' (use columns, json, jsonpretty or yaml)",
					      arg);
		return 0;
	case OPT_MAX_ENTRIES:
		if (gb_parse_ulong(arg, 1ul << 30, &gb_opts.max_entries) || !gb_opts.max_entries)
			return gb_usage_error("invalid --max-entries '%s' (a number above 0)", arg);
		return 0;
	case 't':
		if (gb_parse_seconds(arg, &gb_opts.timeout))
			return gb_usage_error("invalid timeout '%s' (seconds, > 0)", arg);
		return 0;
	case 'v': gb_opts.verbose = true; return 0;
	case OPT_HOST: gb_opts.filter.host = true; return 0;
	case OPT_IA32: gb_opts.ia32 = true; return 0;
	case OPT_BUFFER_SIZE:
		if (gb_parse_size(arg, GB_RINGBUF_MIN_BYTES, GB_RINGBUF_MAX_BYTES, &gb_opts.buffer_bytes) ||
		    (gb_opts.buffer_bytes & (gb_opts.buffer_bytes - 1)))
			return gb_usage_error(
				"invalid --buffer-size '%s' (a power of two from 64K to 1G, e.g. 256K or 4M)", arg);
		return 0;
	case OPT_METRICS:
		if (gb_metrics_parse_addr(arg, &gb_opts.metrics_addr))
			return gb_usage_error("invalid --metrics '%s' (IP:PORT, [IPv6]:PORT or :PORT)", arg);
		return 0;
	case OPT_METRICS_RETENTION:
		if (gb_parse_seconds(arg, &gb_opts.metrics_retention))
			return gb_usage_error("invalid --metrics-retention '%s' (seconds, > 0)", arg);
		return 0;
	}
	return gb_usage_error("internal error: unhandled option");
}

void gb_parse_args(const struct gb_applet *a, int argc, char **argv)
{
	struct opt_source src[MAX_SOURCES];
	size_t nsrc = opt_sources(a, src);
	struct option longopts[96];
	struct strbuf shortopts = {0};
	size_t n = 0;

	gb_prog = a->name;
	gb_applet_common = a->common;
	sb_addc(&shortopts, ':'); /* report a missing argument as ':' */
	for (size_t s = 0; s < nsrc; s++) {
		for (const struct gb_opt *o = src[s].opts; o && o->name; o++) {
			int val = src[s].own ? o->key : common_key(a, o);
			if (n + 1 < sizeof(longopts) / sizeof(longopts[0]))
				longopts[n++] = (struct option){
					o->name,
					o->arg ? (o->arg[0] == '[' ? optional_argument : required_argument)
					       : no_argument,
					NULL, val};
			if (val < GB_LONG_OPT) {
				sb_addc(&shortopts, (char)val);
				if (o->arg)
					sb_adds(&shortopts, o->arg[0] == '[' ? "::" : ":");
			}
		}
	}
	longopts[n] = (struct option){0};

	opterr = 0;
	optind = 1;
	int c, rc = 0;
	for (;;) {
		/* no abbreviations: `--host` must not quietly become --host-root (or another option's prefix) */
		if (!rc && optind < argc && !strncmp(argv[optind], "--", 2) && argv[optind][2]) {
			const char *typed = argv[optind] + 2;
			size_t len = strcspn(typed, "="), i;
			for (i = 0; longopts[i].name; i++)
				if (strlen(longopts[i].name) == len && !strncmp(longopts[i].name, typed, len))
					break;
			if (!longopts[i].name) {
				rc = gb_usage_error("unknown option %s", argv[optind]);
				break;
			}
		}
		if (rc || (c = getopt_long(argc, argv, sb_str(&shortopts), longopts, NULL)) == -1)
			break;
		if (c == '?' || c == ':') {
			const char *what = c == '?' ? "unknown option" : "option needs an argument:";
			if (optopt && optopt < GB_LONG_OPT)
				rc = gb_usage_error("%s -%c", what, optopt);
			else /* a long option (common keys are above COMMON_BASE, without a letter): as typed */
				rc = gb_usage_error("%s %s", what, argv[optind - 1]);
			continue;
		}
		if (c == common_key(a, &help_opts[0])) { /* --help, and -h unless the applet took the letter */
			gb_print_help(a);
			sb_free(&shortopts);
			exit(0);
		}
		if (c >= COMMON_BASE)
			rc = parse_common(c - COMMON_BASE, optarg);
		else if (short_taken(a, c))
			rc = a->parse(c, optarg);
		else
			rc = parse_common(c, optarg); /* a common option under its own letter */
	}
	sb_free(&shortopts);
	if (!rc && optind < argc)
		rc = gb_usage_error("unexpected argument '%s'", argv[optind]);
	if (rc)
		exit(2);
}

static void print_opts(const struct gb_applet *a, const struct gb_opt *opts, bool own)
{
	for (const struct gb_opt *o = opts; o->name; o++) {
		char left[64];
		int key = own ? o->key : common_key(a, o);
		const char *arg = o->arg ? o->arg : "";

		/* an optional argument ("[SECONDS]") goes with "=": --summary[=SECONDS] */
		const char *sep = *arg == '[' ? "" : *arg ? " " : "";
		char optional[40];
		if (*arg == '[') {
			snprintf(optional, sizeof(optional), "[=%s", arg + 1);
			arg = optional;
		}
		if (key < GB_LONG_OPT)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", key, o->name, sep, arg);
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o->name, sep, arg);
		printf("  %-26s %s\n", left, o->help);
	}
}

void gb_print_help(const struct gb_applet *a)
{
	struct opt_source src[MAX_SOURCES];
	size_t nsrc = opt_sources(a, src);

	printf("Usage: %s [OPTION]...\n%s\n\nOptions:\n", a->name, a->summary);
	for (size_t s = 0; s < nsrc; s++)
		print_opts(a, src[s].opts, src[s].own);
	if (a->examples)
		printf("\nEXAMPLES:\n%s", a->examples);
}
