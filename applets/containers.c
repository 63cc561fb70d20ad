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
} env;

static const struct gb_opt opts[] = {
	{"watch", 'w', NULL, "after the list, print containers as they are added and removed"},
	{0},
};

enum {
	CF_EVENT = GBF_COUNT,
	CF_SHORT_ID,
	CF_POD_UID,
	CF_NETNS,
	CF_CGROUP,
	CF_COUNT,
};

static const struct out_field fields[CF_COUNT - GBF_COUNT] = {
	[CF_EVENT - GBF_COUNT] = {"event", "EVENT", 8, 0},
	[CF_SHORT_ID - GBF_COUNT] = {"id", "ID", 12, OUT_F_COLONLY},
	[CF_POD_UID - GBF_COUNT] = {"k8s.podUID", "PODUID", 36, 0},
	[CF_NETNS - GBF_COUNT] = {"netnsid", "NETNS", 10, 0},
	[CF_CGROUP - GBF_COUNT] = {"cgroupPath", "CGROUP", 24, 0},
};

static int parse(int key, const char *arg)
{
	(void)arg;
	if (key == 'w')
		env.watch = true;
	return 0;
}

static void print_container(struct output *o, const struct gb_container *c, const char *event)
{
	char short_id[13];

	if (c->sandbox || !c->selected)
		return;
	out_begin(o);
	if (event)
		out_str(o, CF_EVENT, event);
	out_u64(o, GBF_TIMESTAMP, gb_clock_realtime_ns());
	gb_event_container(o, c);
	snprintf(short_id, sizeof(short_id), "%.12s", c->id);
	out_str(o, CF_SHORT_ID, short_id);
	out_str(o, CF_POD_UID, c->k8s_pod_uid);
	out_u64(o, GBF_PID, c->pid);
	out_u64(o, GBF_MNTNS, c->mntns);
	out_u64(o, CF_NETNS, c->netns);
	out_str(o, CF_CGROUP, c->cgroup_path);
	out_end(o);
}

static void on_container(void *ctx, enum gb_container_event ev, const struct gb_container *c)
{
	static const char *const names[] = {"EXISTING", "ADDED", "REMOVED"};

	print_container(ctx, c, env.watch ? names[ev] : NULL);
	if (ev != GB_CONTAINER_EXISTING)
		output_flush(ctx);
}

static int run(void)
{
	struct output *out;
	struct gb_ctx *ctx;
	const char *cols = env.watch ? "event,runtime.runtimeName,id,runtime.containerName,runtime.containerImageName,"
				       "k8s.namespace,k8s.podName,k8s.containerName,pid"
				     : "runtime.runtimeName,id,runtime.containerName,runtime.containerImageName,"
				       "k8s.namespace,k8s.podName,k8s.containerName,pid";
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
		    "  containers --k8s-namespace kube-system\n"
		    "  containers --watch              # then follow additions and removals\n"
		    "  HOST_ROOT=/host containers      # from a debug container with the host at /host\n",
	.opts = opts,
	.common = GB_OPTS_OUTPUT | GB_OPTS_SNAPSHOT | GB_OPTS_CONTAINERS | GB_OPTS_TIMEOUT,
	.parse = parse,
	.run = run,
};
