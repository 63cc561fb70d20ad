/* containers: the node's containers and their metadata, read from the node itself; --watch follows changes. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <time.h>

#include "clock.h"
#include "event.h"
#include "frontend.h"
#include "gadgetbox.h"
#include "applets.h"

static struct env {
	bool watch;
	bool all;
} env;

static const struct gb_opt opts[] = {
	{"watch", 'w', NULL, "after the list, print containers as they are added and removed"},
	{"all", 'a', NULL, "also containers that run no more but whose state is still on the node (exited, created)"},
	{0},
};

enum {
	CF_EVENT = GBF_COUNT,
	CF_SHORT_ID,
	CF_POD_UID,
	CF_NETNS,
	CF_CGROUP,
	CF_STATE,
	CF_STATUS,
	CF_STARTED_AT,
	CF_FINISHED_AT,
	CF_EXIT_CODE,
	CF_RESTARTS,
	CF_LOG_PATH,
	CF_COUNT,
};

static const struct out_field fields[CF_COUNT - GBF_COUNT] = {
	[CF_EVENT - GBF_COUNT] = {"event", "EVENT", 8, 0},
	[CF_SHORT_ID - GBF_COUNT] = {"id", "ID", 12, OUT_F_COLONLY},
	[CF_POD_UID - GBF_COUNT] = {"k8s.podUID", "PODUID", 36, 0},
	[CF_NETNS - GBF_COUNT] = {"netnsid", "NETNS", 10, 0},
	[CF_CGROUP - GBF_COUNT] = {"cgroupPath", "CGROUP", 24, 0},
	[CF_STATE - GBF_COUNT] = {"state", "STATE", 7, 0},
	[CF_STATUS - GBF_COUNT] = {"status", "STATUS", 24, OUT_F_COLONLY}, /* docker ps's */
	[CF_STARTED_AT - GBF_COUNT] = {"startedAt", "STARTEDAT", 19, 0},
	[CF_FINISHED_AT - GBF_COUNT] = {"finishedAt", "FINISHEDAT", 19, 0},
	[CF_EXIT_CODE - GBF_COUNT] = {"exitCode", "EXITCODE", 8, 0},
	[CF_RESTARTS - GBF_COUNT] = {"restartCount", "RESTARTS", 8, 0},
	[CF_LOG_PATH - GBF_COUNT] = {"logPath", "LOGPATH", 40, 0},
};

static int parse(int key, const char *arg)
{
	(void)arg;
	if (key == 'w')
		env.watch = true;
	if (key == 'a')
		env.all = true;
	return 0;
}

/* docker's units.HumanDuration: "5 minutes", "About an hour" */
static void human_duration(char *buf, size_t size, uint64_t ns)
{
	uint64_t s = ns / 1000000000ull, h = s / 3600;

	if (s < 1)
		snprintf(buf, size, "Less than a second");
	else if (s < 60)
		snprintf(buf, size, "%llu second%s", (unsigned long long)s, s == 1 ? "" : "s");
	else if (s < 120)
		snprintf(buf, size, "About a minute");
	else if (s < 3600)
		snprintf(buf, size, "%llu minutes", (unsigned long long)(s / 60));
	else if (h < 2)
		snprintf(buf, size, "About an hour");
	else if (h < 48)
		snprintf(buf, size, "%llu hours", (unsigned long long)h);
	else if (h < 24 * 14)
		snprintf(buf, size, "%llu days", (unsigned long long)(h / 24));
	else if (h < 24 * 60)
		snprintf(buf, size, "%llu weeks", (unsigned long long)(h / 24 / 7));
	else
		snprintf(buf, size, "%llu months", (unsigned long long)(h / 24 / 30));
}

/* docker ps's STATUS: "Up 5 minutes", "Up 2 hours (Paused)", "Exited (3) 4 seconds ago", "Created" */
static const char *status_of(const struct gb_container *c, uint64_t now, char *buf, size_t size)
{
	char ago[32] = "", code[16] = "";
	uint64_t t = c->state == GB_STATE_EXITED ? c->finished_at : c->started_at;

	if (t && now >= t)
		human_duration(ago, sizeof(ago), now - t);
	switch (c->state) {
	case GB_STATE_RUNNING:
	case GB_STATE_PAUSED:
		snprintf(buf, size, "Up%s%s%s", *ago ? " " : "", ago, c->state == GB_STATE_PAUSED ? " (Paused)" : "");
		break;
	case GB_STATE_EXITED:
		if (c->exit_code_known)
			snprintf(code, sizeof(code), " (%d)", c->exit_code);
		snprintf(buf, size, "Exited%s%s%s%s", code, *ago ? " " : "", ago, *ago ? " ago" : "");
		break;
	case GB_STATE_CREATED: snprintf(buf, size, "Created"); break;
	default: snprintf(buf, size, "Unknown"); break;
	}
	return buf;
}

static void print_container(struct output *o, const struct gb_container *c, const char *event)
{
	char short_id[13], status[64];
	uint64_t now = gb_clock_realtime_ns();

	if (c->sandbox || !c->selected)
		return;
	out_begin(o);
	if (event)
		out_str(o, CF_EVENT, event);
	out_u64(o, GBF_TIMESTAMP, now);
	gb_event_container(o, c);
	snprintf(short_id, sizeof(short_id), "%.12s", c->id);
	out_str(o, CF_SHORT_ID, short_id);
	out_str(o, CF_POD_UID, c->k8s_pod_uid);
	if (c->pid)
		out_u64(o, GBF_PID, c->pid);
	out_u64(o, GBF_MNTNS, c->mntns);
	out_u64(o, CF_NETNS, c->netns);
	out_str(o, CF_CGROUP, c->cgroup_path);
	out_str(o, CF_STATE, gb_container_state_name(c->state));
	out_str(o, CF_STATUS, status_of(c, now, status, sizeof(status)));
	if (c->started_at)
		out_u64(o, CF_STARTED_AT, c->started_at);
	if (c->finished_at)
		out_u64(o, CF_FINISHED_AT, c->finished_at);
	if (c->exit_code_known)
		out_s64(o, CF_EXIT_CODE, c->exit_code);
	if (c->restart_count >= 0)
		out_u64(o, CF_RESTARTS, (uint64_t)c->restart_count);
	if (*c->log_path)
		out_str(o, CF_LOG_PATH, c->log_path);
	out_end(o);
}

static void on_container(void *ctx, enum gb_container_event ev, const struct gb_container *c)
{
	static const char *const names[] = {"EXISTING", "ADDED", "REMOVED"};

	print_container(ctx, c, env.watch ? names[ev] : NULL);
	if (ev != GB_CONTAINER_EXISTING)
		output_flush(ctx);
}

static void on_exited(void *ctx, const struct gb_container *c)
{
	print_container(ctx, c, env.watch ? "EXISTING" : NULL);
}

static int run(void)
{
	struct output *out;
	struct gb_ctx *ctx;
	const char *cols = env.watch ? "event,runtime.runtimeName,id,runtime.containerName,runtime.containerImageName,"
				       "k8s.namespace,k8s.podName,k8s.containerName,status,restartCount,pid"
				     : "runtime.runtimeName,id,runtime.containerName,runtime.containerImageName,"
				       "k8s.namespace,k8s.podName,k8s.containerName,status,restartCount,pid";
	int rc = 0;

	if (!(out = gb_output_setup(fields, CF_COUNT - GBF_COUNT, cols)))
		return 2;
	if (geteuid() != 0)
		gb_cli_say("warning: not root: containers of other users are not visible");
	/* a snapshot sized to its content, like docker ps; with --watch, the ADDED/REMOVED rows that follow keep
	 * its widths (and widen for a longer value) */
	output_snapshot_begin(out);
	if (!(ctx = gb_cli_ctx_new(env.watch, false))) {
		output_free(out);
		return 1;
	}
	gb_ctx__subscribe(ctx, on_container, out, GB_SUB_EXISTING);
	if (env.all)
		gb_ctx__foreach_exited(ctx, on_exited, out);
	output_snapshot_end(out);
	if (!env.watch)
		gb_cli_flush(out);
	else
		rc = gb_cli_run(ctx, NULL, out);
	gb_ctx__free(ctx);
	output_free(out);
	return rc;
}

const struct gb_applet containers_applet = {
	.name = "containers",
	.summary = "List the node's containers with their runtime and Kubernetes metadata.",
	.examples = "  containers                      # every container (pod sandboxes are hidden)\n"
		    "  containers -o json              # one JSON object per container\n"
		    "  containers -a                   # also exited ones (docker ps -a), e.g. a crash-looping pod's\n"
		    "  containers --fields id,state,exitCode,finishedAt,logPath -a\n"
		    "  containers --k8s-namespace kube-system\n"
		    "  containers --watch              # then follow additions and removals\n"
		    "  HOST_ROOT=/host containers      # from a debug container with the host at /host\n",
	.opts = opts,
	.common = GB_OPTS_OUTPUT | GB_OPTS_SNAPSHOT | GB_OPTS_CONTAINERS | GB_OPTS_TIMEOUT,
	.parse = parse,
	.run = run,
};
