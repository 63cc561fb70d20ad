/* seccomp-advise: a seccomp profile per container from the syscalls it made, from its first instruction. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "escape.h"
#include "frontend.h"
#include "jsonw.h"
#include "seccomp_profile.h"
#include "gadgetbox.h"
#include "strbuf.h"
#include "applets.h"

enum format { FMT_OCI, FMT_CRD, FMT_COLUMNS, FMT_JSON };

static struct env {
	enum format format;
	const char *output_dir;
	bool merge;
	const char *base;
} env;

enum {
	OPT_OUTPUT_DIR = GB_LONG_OPT,
	OPT_MERGE,
	OPT_BASE,
};

static const struct gb_opt opts[] = {
	{"output", 'o', "FORMAT",
	 "oci (default: the OCI/Docker seccomp JSON), crd (a security-profiles-operator SeccompProfile), columns, "
	 "json"},
	{"output-dir", OPT_OUTPUT_DIR, "DIR", "a file per container in DIR, written as soon as it exits"},
	{"merge", OPT_MERGE, NULL, "one profile per pod (for containers outside pods: one for all)"},
	{"base", OPT_BASE, "FILE", "start from this OCI profile: its allowed syscalls are kept"},
	{0},
};

static int parse(int key, const char *arg)
{
	switch (key) {
	case 'o':
		if (!strcmp(arg, "oci"))
			env.format = FMT_OCI;
		else if (!strcmp(arg, "crd"))
			env.format = FMT_CRD;
		else if (!strcmp(arg, "columns"))
			env.format = FMT_COLUMNS;
		else if (!strcmp(arg, "json"))
			env.format = FMT_JSON;
		else
			return gb_usage_error("-o: '%s' is not oci, crd, columns or json", arg);
		break;
	case OPT_OUTPUT_DIR: env.output_dir = arg; break;
	case OPT_MERGE: env.merge = true; break;
	case OPT_BASE: env.base = arg; break;
	}
	return 0;
}

/* A profile being made: for one container, or for a pod (--merge). */
struct profile {
	char key[400];	   /* what --merge groups by: "ns/pod", or "" for everything outside pods */
	char display[300]; /* the container's (or pod's) name for messages and files */
	char ns[128], name[260];
	struct sc_names native, compat;
	const char *arch, *arch32;
	bool written;
};

static struct profile *profiles;
static size_t nprofiles, profiles_cap;
static struct sc_names base_names;
static struct output *out; /* columns and json rows */
static int rc_write;

static struct profile *profile_for(const char *key)
{
	for (size_t i = 0; i < nprofiles; i++)
		if (!strcmp(profiles[i].key, key))
			return &profiles[i];
	if (nprofiles == profiles_cap) {
		size_t cap = profiles_cap ? 2 * profiles_cap : 16;
		struct profile *v = realloc(profiles, cap * sizeof(*v));
		if (!v)
			abort();
		profiles = v;
		profiles_cap = cap;
	}
	struct profile *p = &profiles[nprofiles++];
	memset(p, 0, sizeof(*p));
	snprintf(p->key, sizeof(p->key), "%s", key);
	for (size_t i = 0; i < base_names.n; i++)
		sc_names_add(&p->native, base_names.v[i]);
	return p;
}

/* A name usable as a file name and a Kubernetes object name: [a-z0-9.-], the rest as "-". */
static void sanitize(char *dst, size_t size, const char *src)
{
	size_t o = 0;

	for (const char *s = src; *s && o + 1 < size; s++) {
		char c = *s >= 'A' && *s <= 'Z' ? (char)(*s - 'A' + 'a') : *s;
		dst[o++] = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ? c : '-';
	}
	while (o && dst[o - 1] == '-')
		o--;
	dst[o] = '\0';
	if (!o || dst[0] == '.')
		snprintf(dst, size, "container");
}

static void render_crd(struct strbuf *sb, struct profile *p)
{
	char name[260];

	sanitize(name, sizeof(name), p->name);
	sb_adds(sb, "apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\nmetadata:\n");
	sb_addf(sb, "  name: %s\n", name);
	if (*p->ns)
		sb_addf(sb, "  namespace: %s\n", p->ns);
	sb_addf(sb, "spec:\n  defaultAction: SCMP_ACT_ERRNO\n  architectures:\n  - %s\n", p->arch);
	if (p->compat.n)
		sb_addf(sb, "  - %s\n", p->arch32);
	sb_adds(sb, "  syscalls:\n");
	for (int c = 0; c < 2; c++) {
		struct sc_names *s = c ? &p->compat : &p->native;
		if (!s->n)
			continue;
		sc_names_sort(s);
		sb_adds(sb, "  - action: SCMP_ACT_ALLOW\n    names:\n");
		for (size_t i = 0; i < s->n; i++)
			sb_addf(sb, "    - %s\n", s->v[i]);
	}
}

static void render(struct strbuf *sb, struct profile *p)
{
	if (env.format == FMT_CRD)
		render_crd(sb, p);
	else
		sc_render_oci(sb, &p->native, &p->compat, p->arch, p->arch32);
}

/* mkdir -p for the directories of @path (inside --output-dir). */
static int make_dirs(char *path)
{
	for (char *s = strchr(path + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		int r = mkdir(path, 0755);
		*s = '/';
		if (r && errno != EEXIST)
			return -1;
	}
	return 0;
}

/* DIR/NAMESPACE/POD/CONTAINER.json (--merge: DIR/NAMESPACE/POD.json), or DIR/NAME.json (.yaml for crd): each
 * part of the name made safe on its own, so that a pod's containers share the pod's directory. */
static void write_file(struct profile *p)
{
	char path[4096], part[260];
	size_t o = (size_t)snprintf(path, sizeof(path), "%s", env.output_dir);
	struct strbuf sb = {0};

	if (*p->ns) {
		sanitize(part, sizeof(part), p->ns);
		o += (size_t)snprintf(path + o, sizeof(path) - o, "/%s", part);
	}
	for (const char *s = p->name, *slash; o < sizeof(path) && s; s = slash ? slash + 1 : NULL) {
		char one[260];
		slash = strchr(s, '/');
		snprintf(one, sizeof(one), "%.*s", slash ? (int)(slash - s) : (int)strlen(s), s);
		sanitize(part, sizeof(part), one);
		o += (size_t)snprintf(path + o, sizeof(path) - o, "/%s", part);
	}
	if (o < sizeof(path))
		snprintf(path + o, sizeof(path) - o, ".%s", env.format == FMT_CRD ? "yaml" : "json");
	render(&sb, p);
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int fd = make_dirs(tmp) ? -1 : open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	bool ok = fd >= 0 && write(fd, sb.buf, sb.len) == (ssize_t)sb.len;
	int err = errno;
	if (fd >= 0 && close(fd) && ok) {
		ok = false;
		err = errno;
	}
	if (ok && rename(tmp, path)) {
		ok = false;
		err = errno;
	}
	if (!ok) {
		if (fd >= 0)
			unlink(tmp);
		gb_cli_say("cannot write %s: %s", path, strerror(err));
		rc_write = 1;
	} else {
		gb_cli_say("wrote %s (%zu syscalls)", path, p->native.n + p->compat.n);
		p->written = true;
	}
	sb_free(&sb);
}

static void print_rows(const struct gb_seccomp_record *r)
{
	char display[300];
	struct strbuf sb = {0};

	gb_container__display(r->container, display, sizeof(display));
	for (size_t i = 0; i < r->nsyscalls; i++) {
		const struct gb_syscall_use *u = &r->syscalls[i];
		char nr[32];
		snprintf(nr, sizeof(nr), "syscall%u", u->nr);
		const char *name = u->name ? u->name : nr;
		if (env.format == FMT_JSON) {
			struct jsonw w;
			jw_init(&w, &sb);
			jw_obj_begin(&w);
			jw_member_str(&w, "container", display);
			jw_member_str(&w, "containerId", r->container->id);
			jw_member_str(&w, "syscall", name);
			jw_member_u64(&w, "nr", u->nr);
			jw_member_str(&w, "arch", u->compat ? r->arch32 : r->arch);
			jw_member_u64(&w, "count", u->count);
			jw_member_str(&w, "firstComm", u->first_comm);
			jw_member_bool(&w, "fromStart", r->from_start);
			jw_obj_end(&w);
			sb_addc(&sb, '\n');
		} else {
			if (!i)
				sb_addf(&sb, "%-24s %-22s %10s  %-16s %s\n", "CONTAINER", "SYSCALL", "COUNT",
					"FIRST-COMM", "ARCH");
			struct strbuf e = {0};
			esc_terminal(&e, display, strlen(display));
			sb_addf(&sb, "%-24s %-22s %10llu  ", sb_str(&e), name, (unsigned long long)u->count);
			sb_reset(&e);
			esc_terminal(&e, u->first_comm, strlen(u->first_comm));
			sb_addf(&sb, "%-16s %s\n", sb_str(&e), u->compat ? r->arch32 : r->arch);
			sb_free(&e);
		}
	}
	out_text(out, sb.buf ? sb.buf : "", sb.len);
	sb_free(&sb);
}

static void on_record(void *arg, const struct gb_seccomp_record *r)
{
	const struct gb_container *c = r->container;
	char display[300];
	(void)arg;

	gb_container__display(c, display, sizeof(display));
	if (r->seccomp_mode == 2)
		gb_cli_say("container %s already runs under a seccomp filter: syscalls that filter denies were never "
			   "made, "
			   "so this profile is no wider than it (run it unconfined to record everything)",
			   display);
	if (!r->from_start)
		gb_cli_say(
			"container %s was running already: recorded from when seccomp-advise started, so what it did "
			"at its start may be missing",
			display);
	if (env.format == FMT_COLUMNS || env.format == FMT_JSON) {
		print_rows(r);
		return;
	}
	char key[400];
	if (env.merge)
		snprintf(key, sizeof(key), "%s/%s", c->k8s_namespace, *c->k8s_pod ? c->k8s_pod : "");
	else
		snprintf(key, sizeof(key), "%s", c->id);
	struct profile *p = profile_for(key);
	p->arch = r->arch;
	p->arch32 = r->arch32;
	if (env.merge && *c->k8s_pod) {
		snprintf(p->display, sizeof(p->display), "%s/%s", c->k8s_namespace, c->k8s_pod);
		snprintf(p->name, sizeof(p->name), "%s", c->k8s_pod);
	} else if (env.merge) {
		snprintf(p->display, sizeof(p->display), "merged");
		snprintf(p->name, sizeof(p->name), "merged");
	} else {
		snprintf(p->display, sizeof(p->display), "%s", display);
		/* a pod's container: ns/pod/container; else the runtime's name */
		if (*c->k8s_pod)
			snprintf(p->name, sizeof(p->name), "%s/%s", c->k8s_pod, c->k8s_container);
		else
			snprintf(p->name, sizeof(p->name), "%s", *c->name ? c->name : c->id);
	}
	snprintf(p->ns, sizeof(p->ns), "%s", c->k8s_namespace);
	for (size_t i = 0; i < r->nsyscalls; i++)
		if (r->syscalls[i].name)
			sc_names_add(r->syscalls[i].compat ? &p->compat : &p->native, r->syscalls[i].name);
	/* a file as soon as the container exits (merged profiles wait for the end: more may come) */
	if (env.output_dir && r->exited && !env.merge)
		write_file(p);
}

/* The allowed syscalls of an OCI profile (--base). 0, or 1 after saying why not. */
static int read_base(const char *path)
{
	struct strbuf err = {0};
	cJSON *j = sc_profile_read(path, &err);

	if (!j)
		gb_cli_say("--base: %s", sb_str(&err));
	else
		sc_profile_allowed(j, &base_names);
	cJSON_Delete(j);
	sb_free(&err);
	return j ? 0 : 1;
}

/* At the end: the profiles not written yet, to files or to stdout. */
static void finish(void)
{
	struct strbuf sb = {0};
	size_t pending = 0;

	for (size_t i = 0; i < nprofiles; i++)
		pending += !profiles[i].written;
	for (size_t i = 0; i < nprofiles; i++) {
		struct profile *p = &profiles[i];
		if (p->written)
			continue;
		if (env.output_dir) {
			write_file(p);
			continue;
		}
		if (env.format == FMT_CRD) { /* several: one YAML document each */
			if (sb.len)
				sb_adds(&sb, "---\n");
			render(&sb, p);
		} else if (pending == 1) {
			render(&sb, p);
		} else { /* several: {"container": profile, ...} (jq '."web"' picks one) */
			struct strbuf one = {0};
			render(&one, p);
			sb_adds(&sb, sb.len ? ",\n\"" : "{\n\"");
			esc_json(&sb, p->display, strlen(p->display));
			sb_adds(&sb, "\": ");
			sb_add(&sb, one.buf, one.len ? one.len - 1 : 0);
			sb_free(&one);
		}
	}
	if (!env.output_dir && env.format == FMT_OCI && pending > 1)
		sb_adds(&sb, "\n}\n");
	if (!nprofiles && (env.format == FMT_OCI || env.format == FMT_CRD))
		gb_cli_say("no container was recorded");
	out_text(out, sb.buf ? sb.buf : "", sb.len);
	sb_free(&sb);
}

static int run(void)
{
	struct gb_tracer *t = NULL;
	int rc;

	gb_opts.mode = env.format == FMT_JSON ? OUT_JSON : OUT_COLUMNS;
	struct strbuf err = {0};
	out = output_new(gb_prog, gb_opts.mode, 1, NULL, 0, NULL, 0, NULL, "", &err);
	sb_free(&err);
	if (!out)
		return 1;
	gb_cli_log_init(out);
	if (env.base && read_base(env.base))
		return 1;
	if (env.output_dir && mkdir(env.output_dir, 0755) && errno != EEXIST)
		return gb_usage_error("--output-dir: cannot create %s: %s", env.output_dir, strerror(errno));
	GB_OPTS(gb_seccomp_opts, o, .on_record = on_record, .cb_ctx = NULL);
	struct gb_ctx *ctx = gb_cli_ctx_new(true, true);
	if (!ctx || !(t = gb_seccomp__open(ctx, &o))) {
		rc = 1;
	} else {
		gb_cli_say("recording; stop with ^C (or --timeout) for the profiles");
		rc = gb_cli_run(ctx, t, out);
		finish();
		gb_cli_flush(out);
	}
	gb_tracer__free(t);
	gb_ctx__free(ctx);
	output_free(out);
	for (size_t i = 0; i < nprofiles; i++) {
		sc_names_free(&profiles[i].native);
		sc_names_free(&profiles[i].compat);
	}
	free(profiles);
	sc_names_free(&base_names);
	return rc ? rc : rc_write;
}

const struct gb_applet seccomp_applet = {
	.name = "seccomp-advise",
	.summary = "Record the syscalls of the node's containers and write a seccomp profile for each.",
	.examples = "  seccomp-advise -c web --timeout 60           # web's profile after a minute, on stdout\n"
		    "  seccomp-advise --output-dir /tmp/profiles   # a file per container as each exits (and at ^C)\n"
		    "  seccomp-advise --k8s-namespace shop -o crd --merge  # a SeccompProfile per pod\n"
		    "  seccomp-advise -c job -o columns            # syscall, count, first comm\n",
	.opts = opts,
	.common = GB_OPTS_CONTAINERS | GB_OPTS_BPF,
	.parse = parse,
	.run = run,
};
