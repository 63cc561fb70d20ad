/*
 * The TCP tracer (bpf/tcptracer.bpf.c): every connect's result, accept and close, with the process that acted.
 * Its programs hang on state tracepoints, on the cgroup2 root (connect, socket release) and on the accept
 * syscalls; the owners of connections that exist already are found by one iter/task_file pass at start.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "bpf/tcptracer.h"
#include "containers.h"
#include "decode.h"
#include "diag.h"
#include "tcptracer.skel.h"
#include "tracer.h"

struct tcp_kind {
	struct tcptracer_bpf *skel;
	struct gb_tcp_opts opts;
	int cgroup_fd; /* the cgroup2 root (gb_cgroup2_root(): not ours to close) */
};

static int tcp_record(struct gb_tracer *t, const void *data, size_t size)
{
	struct tcp_kind *k = t->kind;
	struct gb_tcp_event ev;

	if (gb_decode_tcp(data, size, &ev))
		return 0;
	if (ev.proc.pid) {
		if (!gb_tracer_proc(&ev.proc))
			return 0;
	} else { /* no process known: the container of the socket's cgroup */
		ev.proc.container = gb_container_by_cgroup(ev.cgroup_id);
		if (ev.proc.container)
			ev.proc.mntns = ev.proc.container->mntns;
		if (!gb_container_visible(ev.proc.container))
			return 0;
	}
	k->opts.on_event(k->opts.cb_ctx, &ev);
	return 1;
}

static void tcp_destroy(struct gb_tracer *t)
{
	struct tcp_kind *k = t->kind;

	if (!k)
		return;
	tcptracer_bpf__destroy(k->skel);
	free(k);
}

/* The owners of the connections that exist already: one pass of iter/task_file fills the kernel's table. */
static void scan_owners(struct gb_tracer *t, struct tcp_kind *k)
{
	struct bpf_link *link = gb_tracer_link(t, k->skel->progs.tcp_owners_scan);
	char buf[4096];

	int fd = link ? bpf_iter_create(bpf_link__fd(link)) : -1;
	if (fd < 0) {
		gb_warn("tcp: cannot scan the connections that exist already (%s): their closes show no process",
			strerror(errno));
		return;
	}
	for (ssize_t n; (n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR);)
		;
	close(fd);
}

static int tcp_attach(struct gb_tracer *t)
{
	struct tcp_kind *k = t->kind;
	struct bpf_program *cg[] = {k->skel->progs.tcp_connect4, k->skel->progs.tcp_connect6,
				    k->skel->progs.tcp_release};
	static const char *const exits[] = {"sys_exit_accept", "sys_exit_accept4", NULL};

	for (size_t i = 0; i < sizeof(cg) / sizeof(*cg); i++) {
		int err = gb_tracer_add_link(t, cg[i], bpf_program__attach_cgroup(cg[i], k->cgroup_fd),
					     "to the cgroup2 root");
		if (err)
			return err;
	}
	int err = gb_tracer_attach_syscalls(t, k->skel->progs.tcp_accept_exit, exits);
	if (!err)
		scan_owners(t, k);
	return err;
}

static const struct gb_tracer_ops tcp_ops = {
	.name = "tcp", .record = tcp_record, .attach = tcp_attach, .destroy = tcp_destroy};

struct gb_tracer *gb_tcp__open(struct gb_ctx *ctx, const struct gb_tcp_opts *opts)
{
	struct tcp_kind *k;

	if (opts && opts->nports > GB_TCP_MAX_PORTS) {
		gb_err("gb_tcp__open: at most %d ports", GB_TCP_MAX_PORTS);
		errno = EINVAL;
		return NULL;
	}
	k = gb_kind_new(ctx, "gb_tcp__open", opts, offsetof(struct gb_tcp_opts, ringbuf_bytes), sizeof(k->opts),
			opts ? (const void *)opts->on_event : NULL, sizeof(*k), offsetof(struct tcp_kind, opts));
	if (!k)
		return NULL;
	if ((k->cgroup_fd = gb_cgroup2_root()) < 0) {
		gb_err("no cgroup2 hierarchy is mounted on the host: tcptracer attaches to its root");
		free(k);
		errno = ENOENT;
		return NULL;
	}
	if (!(k->skel = GB_SKEL_OPEN(ctx, tcptracer_bpf)))
		return gb_kind_open_failed(&tcp_ops, k);
	GB_TRACER_CONFIGURE(ctx, k->skel, k->opts.ringbuf_bytes, false);
	k->skel->rodata->targ_tgid = k->opts.pid;
	k->skel->rodata->targ_uid = k->opts.uid_given ? k->opts.uid : GB_INVALID_UID;
	if (k->opts.types)
		k->skel->rodata->want_types = k->opts.types;
	k->skel->rodata->failed_only = k->opts.failed_only;
	for (size_t i = 0; i < k->opts.nports; i++)
		k->skel->rodata->targ_ports[i] = k->opts.ports[i];
	k->opts.ports = NULL; /* the caller's: not kept */
	struct bpf_program *manual[] = {k->skel->progs.tcp_connect4, k->skel->progs.tcp_connect6,
					k->skel->progs.tcp_release, k->skel->progs.tcp_accept_exit};
	for (size_t i = 0; i < sizeof(manual) / sizeof(*manual); i++)
		bpf_program__set_autoattach(manual[i], false); /* tcp_attach() */
	return gb_kind_load(ctx, &tcp_ops, k, k->skel->skeleton, k->opts.on_lost, k->opts.cb_ctx);
}
