/* dnssnoop: every DNS message of the node's containers, decoded, with its process, latency and timeouts. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "clock.h"
#include "dnsmsg.h"
#include "escape.h"
#include "event.h"
#include "metrics.h"
#include "rows.h"
#include "frontend.h"
#include "jsonw.h"
#include "stream.h"
#include "gadgetbox.h"
#include "applets.h"

#define MAX_FILTERS 16

static struct env {
	unsigned long pid;
	uint16_t ports[8];
	size_t nports;
	int qtypes[MAX_FILTERS];
	size_t nqtypes;
	int rcodes[MAX_FILTERS];
	size_t nrcodes;
	bool failed;
	double latency_min_ms;
	const char *name_suffix;
	double query_timeout;
	bool summary;
	double summary_interval;
	bool messages; /* with --summary: every message too */
} env;

enum {
	OPT_PORTS = GB_LONG_OPT,
	OPT_QTYPE,
	OPT_RCODE,
	OPT_LATENCY_MIN,
	OPT_NAME,
	OPT_QUERY_TIMEOUT,
	OPT_SUMMARY,
	OPT_MESSAGES,
};

static const struct gb_opt opts[] = {
	{"pid", 'p', "PID", "messages of this process's sockets only"},
	{"ports", OPT_PORTS, "PORTS", "the DNS ports, either end (comma list, at most 8; default 53,5353,5355)"},
	{"qtype", OPT_QTYPE, "TYPES", "only these question types (A,AAAA,TYPE65,...)"},
	{"rcode", OPT_RCODE, "RCODES", "only responses with these rcodes (NXDOMAIN,SERVFAIL,...)"},
	{"failed", 'x', NULL, "only failures: responses other than NOERROR, and timeouts"},
	{"latency-min", OPT_LATENCY_MIN, "MS", "only responses slower than MS milliseconds, and timeouts"},
	{"name", OPT_NAME, "SUFFIX", "only questions for SUFFIX or names under it (example.com)"},
	{"query-timeout", OPT_QUERY_TIMEOUT, "SECONDS",
	 "a query with no response after SECONDS is a timeout (default 5)"},
	{"summary", OPT_SUMMARY, "[SECONDS]",
	 "a table per container at exit (and every SECONDS) instead of each message"},
	{"messages", OPT_MESSAGES, NULL, "with --summary: each message too"},
	{0},
};

/* A --qtype or --rcode word: @v its number (-1: not one of @kind), appended to @list. */
static int add_code(int v, const char *w, const char *what, const char *kind, int *list, size_t *n)
{
	if (v < 0)
		return gb_usage_error("%s: '%s' is not %s", what, w, kind);
	if (*n == MAX_FILTERS)
		return gb_usage_error("%s: at most %d", what, MAX_FILTERS);
	list[(*n)++] = v;
	return 0;
}

static int add_qtype(const char *w, const char *what)
{
	return add_code(gb_dns_type_parse(w), w, what, "a DNS type (A, AAAA, MX, TYPE65, ...)", env.qtypes,
			&env.nqtypes);
}

static int add_rcode(const char *w, const char *what)
{
	return add_code(gb_dns_rcode_parse(w), w, what, "an rcode (NOERROR, NXDOMAIN, SERVFAIL, ...)", env.rcodes,
			&env.nrcodes);
}

static int parse(int key, const char *arg)
{
	switch (key) {
	case 'p': return gb_parse_pid_opt(arg, "PID", &env.pid);
	case OPT_PORTS: return gb_parse_ports(arg, "--ports", env.ports, 8, &env.nports);
	case OPT_QTYPE: return gb_each_word(arg, "--qtype", add_qtype);
	case OPT_RCODE: return gb_each_word(arg, "--rcode", add_rcode);
	case 'x': env.failed = true; break;
	case OPT_LATENCY_MIN:
		if (gb_parse_seconds(arg, &env.latency_min_ms))
			return gb_usage_error("--latency-min: '%s' is not a number of milliseconds", arg);
		break;
	case OPT_NAME: env.name_suffix = arg; break;
	case OPT_QUERY_TIMEOUT:
		if (gb_parse_seconds(arg, &env.query_timeout) || env.query_timeout <= 0 || env.query_timeout > 3600)
			return gb_usage_error("--query-timeout: '%s' is not a number of seconds (up to 3600)", arg);
		break;
	case OPT_SUMMARY: env.summary = true; return gb_parse_interval_opt("--summary", arg, &env.summary_interval);
	case OPT_MESSAGES: env.messages = true; break;
	}
	return 0;
}

static struct output *out;
static bool traced; /* the tracer opened: a summary is due at the end */

/* ---- filters ---- */

/* Whether @name (exact text) is @suffix or under it, case-insensitively, on a label boundary. */
static bool name_under(const struct gb_dns_name *n, const char *suffix)
{
	size_t sl = strlen(suffix);

	while (sl && suffix[sl - 1] == '.') /* "example.com." as well */
		sl--;
	if (!sl)
		return true;
	if (n->text_len < sl || strncasecmp(n->text + n->text_len - sl, suffix, sl))
		return false;
	return n->text_len == sl || n->text[n->text_len - sl - 1] == '.';
}

static bool wanted(const struct gb_dns_event *e)
{
	const struct gb_dns_msg *m = e->dns;
	bool timeout = e->kind == GB_DNS_TIMEOUT;
	bool response = m->qr && !timeout;

	if (env.pid && e->proc.pid != env.pid)
		return false;
	if (env.nqtypes) {
		bool ok = false;
		for (size_t i = 0; i < env.nqtypes && m->nqd; i++)
			ok |= m->qd[0].type == env.qtypes[i];
		if (!ok)
			return false;
	}
	if (env.name_suffix && (!m->nqd || !name_under(&m->qd[0].name, env.name_suffix)))
		return false;
	if (env.nrcodes) {
		bool ok = false;
		for (size_t i = 0; i < env.nrcodes && response; i++)
			ok |= m->rcode == env.rcodes[i];
		if (!ok)
			return false;
	}
	if (env.failed && !timeout && !(response && m->rcode != 0))
		return false;
	if (env.latency_min_ms > 0 && !timeout &&
	    !(response && e->matched && e->latency_ns >= env.latency_min_ms * 1e6))
		return false;
	return true;
}

/* ---- --summary: per container ---- */

struct name_count {
	char *name;
	unsigned long n;
};

struct stats {
	struct gb_cli_per_container who; /* by id: the record may go */
	unsigned long queries, responses, nxdomain, servfail, other_errors, timeouts, malformed;
	unsigned long lat_seen;
	double *lat; /* ms of matched responses */
	size_t nlat, lat_cap;
	struct name_count *names;
	size_t nnames, names_cap;
};

static struct stats *stats;
static size_t nstats, stats_cap;

static struct stats *stats_of(const struct gb_container *c)
{
	return gb_cli_entry_of((void **)&stats, &nstats, &stats_cap, sizeof(*stats), c, "-");
}

#define MAX_NAMES     4096   /* distinct names counted per container; later ones go uncounted */
#define MAX_LATENCIES 262144 /* latency samples kept per container; later ones replace random earlier ones */

static void count_name(struct stats *s, const struct gb_dns_name *n)
{
	for (size_t i = 0; i < s->nnames; i++)
		if (strlen(s->names[i].name) == n->dig_len && !memcmp(s->names[i].name, n->dig, n->dig_len)) {
			s->names[i].n++;
			return;
		}
	if (s->nnames == MAX_NAMES)
		return;
	if (s->nnames == s->names_cap) {
		size_t cap = s->names_cap ? 2 * s->names_cap : 16;
		struct name_count *v = realloc(s->names, cap * sizeof(*v));
		if (!v)
			abort();
		s->names = v;
		s->names_cap = cap;
	}
	s->names[s->nnames].name = strndup(n->dig, n->dig_len);
	if (!s->names[s->nnames].name)
		abort();
	s->names[s->nnames++].n = 1;
}

static void count(const struct gb_dns_event *e)
{
	const struct gb_dns_msg *m = e->dns;
	struct stats *s = stats_of(e->proc.container);

	if (m->malformed)
		s->malformed++;
	if (e->kind == GB_DNS_TIMEOUT) {
		s->timeouts++;
		return;
	}
	if (!m->qr) {
		/* a query counts once, on the side that sent it or received it, not for every retransmission */
		if (!e->retransmits) {
			s->queries++;
			if (m->nqd)
				count_name(s, &m->qd[0].name);
		}
		return;
	}
	s->responses++;
	if (m->rcode == 3)
		s->nxdomain++;
	else if (m->rcode == 2)
		s->servfail++;
	else if (m->rcode)
		s->other_errors++;
	if (e->matched && ++s->lat_seen > MAX_LATENCIES) { /* a uniform sample of all of them (reservoir) */
		unsigned long j = (unsigned long)random() % s->lat_seen;
		if (j < MAX_LATENCIES)
			s->lat[j] = e->latency_ns / 1e6;
	} else if (e->matched) {
		if (s->nlat == s->lat_cap) {
			size_t cap = s->lat_cap ? 2 * s->lat_cap : 64;
			double *v = realloc(s->lat, cap * sizeof(*v));
			if (!v)
				abort();
			s->lat = v;
			s->lat_cap = cap;
		}
		s->lat[s->nlat++] = e->latency_ns / 1e6;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int cmp_names(const void *a, const void *b)
{
	const struct name_count *x = a, *y = b;
	return x->n != y->n ? (x->n > y->n ? -1 : 1) : strcmp(x->name, y->name);
}

static double percentile(const struct stats *s, double p)
{
	if (!s->nlat)
		return -1;
	size_t i = (size_t)(p * (double)(s->nlat - 1) + 0.5);
	return s->lat[i < s->nlat ? i : s->nlat - 1];
}

static void print_summary(void *arg)
{
	struct strbuf sb = {0};
	uint64_t now = gb_clock_realtime_ns();
	(void)arg;

	if (!output_json(out))
		sb_addf(&sb, "%-24s %7s %7s %8s %8s %8s %9s %9s  %s\n", "CONTAINER", "QUERIES", "RESP", "NXDOMAIN",
			"SERVFAIL", "TIMEOUTS", "P50(ms)", "P99(ms)", "TOP NAMES");
	for (size_t i = 0; i < nstats; i++) {
		struct stats *s = &stats[i];
		qsort(s->lat, s->nlat, sizeof(*s->lat), cmp_double);
		qsort(s->names, s->nnames, sizeof(*s->names), cmp_names);
		double p50 = percentile(s, 0.50), p99 = percentile(s, 0.99);
		if (!output_json(out)) {
			char a[32] = "-", b[32] = "-";
			if (p50 >= 0)
				snprintf(a, sizeof(a), "%.3f", p50);
			if (p99 >= 0)
				snprintf(b, sizeof(b), "%.3f", p99);
			struct strbuf name = {0};
			esc_terminal(&name, s->who.display, strlen(s->who.display));
			sb_addf(&sb, "%-24s %7lu %7lu %8lu %8lu %8lu %9s %9s ", sb_str(&name), s->queries, s->responses,
				s->nxdomain, s->servfail, s->timeouts, a, b);
			sb_free(&name);
			for (size_t j = 0; j < s->nnames && j < 3; j++) {
				sb_addc(&sb, ' ');
				esc_terminal(&sb, s->names[j].name, strlen(s->names[j].name));
				sb_addf(&sb, "(%lu)", s->names[j].n);
			}
			sb_addc(&sb, '\n');
			continue;
		}
		struct jsonw w;
		jw_init(&w, &sb);
		jw_obj_begin(&w);
		jw_member_str(&w, "type", "summary");
		jw_member_u64(&w, "timestamp", now);
		jw_member_str(&w, "container", s->who.display);
		jw_member_str(&w, "containerId", s->who.id);
		jw_member_u64(&w, "queries", s->queries);
		jw_member_u64(&w, "responses", s->responses);
		jw_member_u64(&w, "nxdomain", s->nxdomain);
		jw_member_u64(&w, "servfail", s->servfail);
		jw_member_u64(&w, "otherErrors", s->other_errors);
		jw_member_u64(&w, "timeouts", s->timeouts);
		jw_member_u64(&w, "malformed", s->malformed);
		if (p50 >= 0) {
			jw_member_double(&w, "latencyP50Ms", p50, 3);
			jw_member_double(&w, "latencyP99Ms", p99, 3);
		}
		jw_member_arr_begin(&w, "topNames");
		for (size_t j = 0; j < s->nnames && j < 10; j++) {
			jw_obj_begin(&w);
			jw_member_str(&w, "name", s->names[j].name);
			jw_member_u64(&w, "count", s->names[j].n);
			jw_obj_end(&w);
		}
		jw_arr_end(&w);
		jw_obj_end(&w);
		sb_addc(&sb, '\n');
	}
	out_text(out, sb.buf ? sb.buf : "", sb.len);
	sb_free(&sb);
}

static void stats_free(void)
{
	for (size_t i = 0; i < nstats; i++) {
		for (size_t j = 0; j < stats[i].nnames; j++)
			free(stats[i].names[j].name);
		free(stats[i].names);
		free(stats[i].lat);
	}
	free(stats);
}

static void on_event(void *arg, const struct gb_dns_event *e)
{
	if (!wanted(e))
		return;
	gb_metrics_dns(e);
	if (env.summary)
		count(e);
	if (!env.summary || env.messages)
		gb_dns_row(arg, e);
	gb_cli_check_closed(out);
}

static struct gb_tracer *open_tracer(struct gb_ctx *ctx, struct output *o)
{
	out = o;
	if (env.summary && !env.messages)
		output_skip_header(out); /* no message rows: the table has its own header */
	GB_OPTS(gb_dns_opts, dopts, .on_event = on_event, .cb_ctx = out, .ports = env.nports ? env.ports : NULL,
		.nports = env.nports, .query_timeout_ms = (unsigned)(env.query_timeout * 1000), .on_lost = gb_cli_lost,
		.pid = (uint32_t)env.pid, .ringbuf_bytes = gb_opts.buffer_bytes);
	struct gb_tracer *t = gb_dns__open(ctx, &dopts);
	traced = t != NULL;
	return t;
}

static void done(struct output *o)
{
	(void)o;
	if (env.summary && traced)
		print_summary(NULL);
	stats_free();
}

static int run(void)
{
	if (env.messages && !env.summary) {
		gb_usage_error("--messages goes with --summary");
		return 2;
	}
	return gb_cli_stream(&(struct gb_cli_stream){
		.rows = &gb_dns_rows,
		.columns = "time,container,pid,comm,dir,protocol,id,qr,qtype,name,rcode,latencyms,answerstext",
		.open = open_tracer,
		.tick = env.summary ? print_summary : NULL,
		.interval = env.summary ? env.summary_interval : 0,
		.done = done});
}

const struct gb_applet dnssnoop_applet = {
	.name = "dnssnoop",
	.summary = "Show every DNS message of the node's containers, decoded, with its process, latency and timeouts.",
	.examples = "  dnssnoop                          # every DNS message of every container\n"
		    "  dnssnoop -x                       # failures only: NXDOMAIN, SERVFAIL ..., and timeouts\n"
		    "  dnssnoop --k8s-namespace shop --latency-min 100  # slow lookups in namespace shop\n"
		    "  dnssnoop --summary=10            # a table per container every 10 s\n"
		    "  dnssnoop -o json --name example.com  # full records as JSON\n",
	.opts = opts,
	.common = GB_OPTS_OUTPUT | GB_OPTS_CONTAINERS | GB_OPTS_HOST | GB_OPTS_BPF | GB_OPTS_BUFFER | GB_OPTS_METRICS,
	.parse = parse,
	.run = run,
};
