/* seccomp-audit: every syscall a seccomp filter refused, killed, trapped or logged, per container; the
 * syscalls a profile must add to let it run (--suggest). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "clock.h"
#include "escape.h"
#include "event.h"
#include "metrics.h"
#include "rows.h"
#include "frontend.h"
#include "jsonw.h"
#include "reformat.h"
#include "seccomp_profile.h"
#include "stream.h"
#include "gadgetbox.h"
#include "applets.h"

#define ACTION_BIT(a) (1u << (a))
#define KILLS	      (ACTION_BIT(GB_SECCOMP_KILL_PROCESS) | ACTION_BIT(GB_SECCOMP_KILL_THREAD))

static struct env {
	unsigned long pid;
	struct sc_names syscalls; /* --syscall: only these names */
	unsigned actions;	  /* --action: bits (1 << GB_SECCOMP_*); 0: all */
	bool summary;
	double summary_interval;
	bool suggest;
	const char *base;
} env;

enum {
	OPT_SYSCALL = GB_LONG_OPT,
	OPT_ACTION,
	OPT_SUMMARY,
	OPT_SUGGEST,
	OPT_BASE,
};

static const struct gb_opt opts[] = {
	{"pid", 'p', "PID", "this process only"},
	{"syscall", OPT_SYSCALL, "SYSCALLS", "only these syscalls (comma list: mkdir,unshare)"},
	{"action", OPT_ACTION, "ACTIONS",
	 "only these actions (comma list of errno, kill, kill_process, kill_thread, trap, log); each costs its own "
	 "hook, errno one on every syscall of the node"},
	{"summary", OPT_SUMMARY, "[SECONDS]",
	 "a table per container at exit (and every SECONDS): syscall, action, count, first comm; instead of each "
	 "event"},
	{"suggest", OPT_SUGGEST, NULL,
	 "at exit, for each container, the syscalls its profile must allow to let what was denied run (an OCI "
	 "\"syscalls\" fragment); instead of each event"},
	{"base", OPT_BASE, "FILE",
	 "with --suggest: the whole profile FILE (the one in use) with those syscalls allowed"},
	{0},
};

static int add_syscall(const char *w, const char *what)
{
	if (gb_syscall_nr(w, false) < 0 && gb_syscall_nr(w, true) < 0)
		return gb_usage_error("%s: '%s' is not a syscall of this architecture", what, w);
	sc_names_add(&env.syscalls, w);
	return 0;
}

static int add_action(const char *w, const char *what)
{
	for (int a = 1; a <= GB_SECCOMP_ACTION_MAX; a++)
		if (!strcmp(w, gb_seccomp_action_name(a))) {
			env.actions |= ACTION_BIT(a);
			return 0;
		}
	if (!strcmp(w, "kill")) {
		env.actions |= KILLS;
		return 0;
	}
	return gb_usage_error("%s: '%s' is not errno, kill, kill_process, kill_thread, trap or log", what, w);
}

static int parse(int key, const char *arg)
{
	switch (key) {
	case 'p': return gb_parse_pid_opt(arg, "PID", &env.pid);
	case OPT_SYSCALL: return gb_each_word(arg, "--syscall", add_syscall);
	case OPT_ACTION: return gb_each_word(arg, "--action", add_action);
	case OPT_SUMMARY: env.summary = true; return gb_parse_interval_opt("--summary", arg, &env.summary_interval);
	case OPT_SUGGEST: env.suggest = true; break;
	case OPT_BASE: env.base = arg; break;
	}
	return 0;
}

static struct output *out;
static bool traced; /* the tracer opened: a summary or suggestion is due at the end */

/* ---- --summary and --suggest: per container ---- */

struct row {
	char syscall[32];
	unsigned nr;
	bool compat;
	char action[40];
	unsigned long count;
	char first_comm[16];
};

struct box {
	struct gb_cli_per_container who;
	struct row *rows;
	size_t nrows, cap;
	struct sc_names native, compat; /* denied (not logged): what its profile must allow */
};

static struct box *boxes;
static size_t nboxes, boxes_cap;

static struct box *box_of(const struct gb_container *c)
{
	return gb_cli_entry_of((void **)&boxes, &nboxes, &boxes_cap, sizeof(*boxes), c, "host");
}

static void count(const struct gb_seccomp_audit_event *e, const char *name, const char *action)
{
	struct box *b = box_of(e->proc.container);

	if (e->syscall && e->action != GB_SECCOMP_LOG)
		sc_names_add(e->compat ? &b->compat : &b->native, e->syscall);
	for (size_t i = 0; i < b->nrows; i++) {
		struct row *r = &b->rows[i];
		if (r->nr == e->nr && r->compat == e->compat && !strcmp(r->action, action)) {
			r->count++;
			return;
		}
	}
	if (b->nrows == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 8;
		if (!(b->rows = realloc(b->rows, b->cap * sizeof(*b->rows))))
			abort();
	}
	struct row *r = &b->rows[b->nrows++];
	*r = (struct row){.nr = e->nr, .compat = e->compat, .count = 1};
	snprintf(r->syscall, sizeof(r->syscall), "%s", name);
	snprintf(r->action, sizeof(r->action), "%s", action);
	memcpy(r->first_comm, e->proc.comm, sizeof(r->first_comm));
}

static void print_summary(void *arg)
{
	struct strbuf sb = {0};
	uint64_t now = gb_clock_realtime_ns();
	(void)arg;

	if (!output_json(out))
		sb_addf(&sb, "%-24s %-18s %-16s %-16s %8s  %s\n", "CONTAINER", "SYSCALL", "ARCH", "ACTION", "COUNT",
			"FIRST-COMM");
	for (size_t i = 0; i < nboxes; i++) {
		for (size_t j = 0; j < boxes[i].nrows; j++) {
			const struct row *r = &boxes[i].rows[j];
			const char *arch = gb_syscall_arch(r->compat);
			if (!output_json(out)) {
				struct strbuf name = {0}, comm = {0};
				esc_terminal(&name, boxes[i].who.display, strlen(boxes[i].who.display));
				esc_terminal(&comm, r->first_comm, strlen(r->first_comm));
				sb_addf(&sb, "%-24s %-18s %-16s %-16s %8lu  %s\n", sb_str(&name), r->syscall, arch,
					r->action, r->count, sb_str(&comm));
				sb_free(&name);
				sb_free(&comm);
				continue;
			}
			struct jsonw w;
			jw_init(&w, &sb);
			jw_obj_begin(&w);
			jw_member_str(&w, "type", "summary");
			jw_member_u64(&w, "timestamp", now);
			jw_member_str(&w, "container", boxes[i].who.display);
			jw_member_str(&w, "containerId", boxes[i].who.id);
			jw_member_str(&w, "syscall", r->syscall);
			jw_member_u64(&w, "nr", r->nr);
			jw_member_str(&w, "arch", arch);
			jw_member_str(&w, "action", r->action);
			jw_member_u64(&w, "count", r->count);
			jw_member_str(&w, "firstComm", r->first_comm);
			jw_obj_end(&w);
			sb_addc(&sb, '\n');
		}
	}
	out_text(out, sb.buf ? sb.buf : "", sb.len);
	sb_free(&sb);
}

/* One container's suggestion: a "syscalls" fragment, or with --base the whole profile fixed. */
static int suggestion(struct strbuf *sb, struct box *b)
{
	if (!env.base) {
		sb_adds(sb, "{\n  \"syscalls\": [");
		sc_render_allow_entries(sb, &b->native, &b->compat, 4);
		sb_adds(sb, "\n  ]\n}\n");
		return 0;
	}
	struct strbuf err = {0};
	cJSON *j = sc_profile_read(env.base, &err);
	char *text = NULL;
	if (!j || sc_profile_allow(j, &b->native, &b->compat, gb_syscall_arch(true)) ||
	    !(text = cJSON_PrintUnformatted(j))) {
		gb_cli_say("--base: %s", err.len ? sb_str(&err) : "out of memory");
		cJSON_Delete(j);
		sb_free(&err);
		return 1;
	}
	json_reformat(sb, text, strlen(text), REFORMAT_PRETTY);
	free(text);
	cJSON_Delete(j);
	return 0;
}

/* At the end: for each container that had syscalls denied, what its profile must allow; several come as
 * {"name": suggestion, ...} (jq '."web"' picks one), as seccomp-advise writes several profiles. */
static int print_suggestions(void)
{
	struct strbuf sb = {0};
	size_t n = 0, done = 0;
	int rc = 0;

	for (size_t i = 0; i < nboxes; i++)
		n += boxes[i].native.n + boxes[i].compat.n > 0;
	if (!n)
		gb_cli_say("no syscall was denied: nothing to suggest");
	for (size_t i = 0; i < nboxes && !rc; i++) {
		struct box *b = &boxes[i];
		if (!b->native.n && !b->compat.n)
			continue;
		struct strbuf list = {0};
		sc_names_sort(&b->native);
		sc_names_sort(&b->compat);
		for (size_t j = 0; j < b->native.n; j++)
			sb_addf(&list, "%s%s", list.len ? " " : "", b->native.v[j]);
		for (size_t j = 0; j < b->compat.n; j++)
			sb_addf(&list, "%s%s (32-bit)", list.len ? " " : "", b->compat.v[j]);
		gb_cli_say("%s: its profile must allow %s", b->who.display, sb_str(&list));
		sb_free(&list);
		struct strbuf one = {0};
		rc = suggestion(&one, b);
		if (n == 1) {
			sb_add(&sb, one.buf, one.len);
		} else if (!rc) {
			sb_adds(&sb, done++ ? ",\n\"" : "{\n\"");
			esc_json(&sb, b->who.display, strlen(b->who.display));
			sb_adds(&sb, "\": ");
			sb_add(&sb, one.buf, one.len ? one.len - 1 : 0);
		}
		sb_free(&one);
	}
	if (n > 1 && !rc)
		sb_adds(&sb, "\n}\n");
	if (!rc)
		out_text(out, sb.buf ? sb.buf : "", sb.len);
	sb_free(&sb);
	return rc;
}

static void on_event(void *ctx, const struct gb_seccomp_audit_event *e)
{
	struct output *o = ctx;
	char action[40], nrname[32];

	if (env.syscalls.n && (!e->syscall || !sc_names_has(&env.syscalls, e->syscall)))
		return;
	if (env.actions && !(env.actions & ACTION_BIT(e->action)))
		return;
	gb_metrics_seccomp_audit(e);
	gb_seccomp_audit_names(e, action, nrname);
	if (env.summary || env.suggest) {
		count(e, nrname, action);
		gb_cli_check_closed(o);
		return;
	}
	gb_seccomp_audit_row(o, e);
}

static struct gb_tracer *open_tracer(struct gb_ctx *ctx, struct output *o)
{
	out = o;
	if (env.summary || env.suggest)
		output_skip_header(out); /* no event rows: the table or the profile is all */
	GB_OPTS(gb_seccomp_audit_opts, ao, .on_event = on_event, .on_lost = gb_cli_lost, .cb_ctx = out,
		.pid = (uint32_t)env.pid, .actions = env.actions, .ringbuf_bytes = gb_opts.buffer_bytes);
	struct gb_tracer *t = gb_seccomp_audit__open(ctx, &ao);
	traced = t != NULL;
	if (t && env.suggest)
		gb_cli_say("watching; stop with ^C (or --timeout) for the suggestions");
	return t;
}

static int done_rc;

static void done(struct output *o)
{
	(void)o;
	if (env.summary && traced)
		print_summary(NULL);
	if (env.suggest && traced)
		done_rc = print_suggestions();
	for (size_t i = 0; i < nboxes; i++) {
		free(boxes[i].rows);
		sc_names_free(&boxes[i].native);
		sc_names_free(&boxes[i].compat);
	}
	free(boxes);
	sc_names_free(&env.syscalls);
}

static int run(void)
{
	if (env.base && !env.suggest)
		return gb_usage_error("--base goes with --suggest"), 2;
	if (env.summary && env.suggest)
		return gb_usage_error("--summary and --suggest both write the output: choose one"), 2;
	if (env.base) { /* a bad profile is said now, not after a long watch */
		struct strbuf err = {0};
		cJSON *j = sc_profile_read(env.base, &err);
		if (!j)
			gb_usage_error("--base: %s", sb_str(&err));
		sb_free(&err);
		cJSON_Delete(j);
		if (!j)
			return 2;
	}
	int rc = gb_cli_stream(&(struct gb_cli_stream){
		.rows = &gb_seccomp_audit_rows,
		.columns = "container,pid,tid,comm,syscall,nr,arch,action,first",
		.open = open_tracer,
		.tick = env.summary ? print_summary : NULL,
		.interval = env.summary ? env.summary_interval : 0,
		.done = done,
	});
	return rc ? rc : done_rc;
}

const struct gb_applet seccomp_audit_applet = {
	.name = "seccomp-audit",
	.summary = "Show every syscall a seccomp filter denied, killed, trapped or logged, per container.",
	.examples = "  seccomp-audit                      # every denial in the node's containers\n"
		    "  seccomp-audit -c web --action errno,kill  # refused and killing syscalls of web only\n"
		    "  seccomp-audit --summary=10         # a table per container every 10 s\n"
		    "  seccomp-audit -c web --suggest --base web.json --timeout 60 > fixed.json\n"
		    "                                     # web's profile with what it was denied allowed\n",
	.opts = opts,
	.common = GB_OPTS_OUTPUT | GB_OPTS_CONTAINERS | GB_OPTS_HOST | GB_OPTS_BPF | GB_OPTS_BUFFER | GB_OPTS_METRICS,
	.parse = parse,
	.run = run,
};
