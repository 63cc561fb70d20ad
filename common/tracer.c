#include "tracer.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "cli.h"
#include "../bpf/gadget.h"
#include "clock.h"
#include "containers.h"
#include "hostroot.h"
#include "watch.h"
#include "strbuf.h"

#define VMLINUX_BTF "/sys/kernel/btf/vmlinux"
#define LOG_KEEP (256 * 1024)

static struct strbuf libbpf_log;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (gb_opts.verbose)
		return vfprintf(stderr, fmt, ap);
	if (level == LIBBPF_DEBUG)
		return 0;
	if (libbpf_log.len > LOG_KEEP) /* bound it; what explains a refusal comes last */
		sb_reset(&libbpf_log);
	size_t before = libbpf_log.len;
	sb_vaddf(&libbpf_log, fmt, ap);
	return (int)(libbpf_log.len - before);
}

static bool has_cap(const struct __user_cap_data_struct d[2], int cap)
{
	return d[cap / 32].effective & (1u << (cap % 32));
}

/*
 * Syscall tracepoints are attached by id, which libbpf reads from tracefs. Nodes usually have it mounted;
 * rescue systems and fresh VMs may not, so mount it at its usual place (and leave it: it costs nothing).
 */
static int ensure_tracefs(void)
{
	if (access("/sys/kernel/tracing/events", F_OK) == 0 || access("/sys/kernel/debug/tracing/events", F_OK) == 0)
		return 0;
	if (mount("tracefs", "/sys/kernel/tracing", "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0) {
		if (gb_opts.verbose)
			fprintf(stderr, "%s: mounted tracefs at /sys/kernel/tracing\n", gb_prog);
		return 0;
	}
	fprintf(stderr,
		"%s: tracefs is not mounted and mounting it failed (%s); run: mount -t tracefs tracefs "
		"/sys/kernel/tracing\n",
		gb_prog, strerror(errno));
	return 1;
}

int gb_bpf_preflight(void)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2] = {0};

	libbpf_set_print(libbpf_print);
	if (gb_host_root_init(gb_opts.host_root))
		return 1;
	if (syscall(SYS_capget, &hdr, data) == 0 && !has_cap(data, CAP_SYS_ADMIN) &&
	    !(has_cap(data, CAP_BPF) && has_cap(data, CAP_PERFMON))) {
		fprintf(stderr,
			"%s: needs root to load eBPF programs (CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN); "
			"run it with sudo or in a privileged container\n",
			gb_prog);
		return 1;
	}
	const char *btf = gb_opts.btf ? gb_opts.btf : VMLINUX_BTF;
	int fd = open(btf, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (gb_opts.btf)
			fprintf(stderr, "%s: cannot read BTF file %s: %s\n", gb_prog, btf, strerror(errno));
		else
			fprintf(stderr,
				"%s: this kernel has no BTF (%s: %s); pass a BTF file for this exact kernel "
				"with --btf PATH\n",
				gb_prog, VMLINUX_BTF, strerror(errno));
		return 1;
	}
	close(fd);
	gb_clock_init();
	return ensure_tracefs();
}

void gb_bpf_open_opts(struct bpf_object_open_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->sz = sizeof(*opts);
	opts->btf_custom_path = gb_opts.btf;
}

/* Print the lines of the last verifier log, at most @max of them from its end. */
static void print_verifier_tail(const char *log, int max)
{
	const char *begin = NULL, *p = log, *end;

	while ((p = strstr(p, "-- BEGIN PROG LOAD LOG --"))) {
		begin = strchr(p, '\n');
		p++;
	}
	if (!begin)
		return;
	begin++;
	end = strstr(begin, "-- END PROG LOAD LOG --");
	if (!end)
		end = begin + strlen(begin);
	const char *start = end;
	for (int lines = 0; start > begin && lines <= max;) {
		start--;
		if (*start == '\n' && start + 1 < end)
			lines++;
	}
	if (start > begin)
		start++;
	fprintf(stderr, "%s: verifier log (last lines):\n", gb_prog);
	for (const char *l = start; l < end;) {
		const char *nl = memchr(l, '\n', end - l);
		size_t len = nl ? (size_t)(nl - l) : (size_t)(end - l);
		if (len)
			fprintf(stderr, "  %.*s\n", (int)len, l);
		l += len + 1;
	}
}

int gb_bpf_load_failed(const char *what, int err)
{
	const char *log = sb_str(&libbpf_log);
	const char *prog = NULL, *p = log;
	char name[128] = "";

	err = err < 0 ? -err : err;
	/* libbpf: "prog 'NAME': BPF program load failed: ..." names the program the kernel refused */
	while ((p = strstr(p, "prog '"))) {
		const char *q = strchr(p + 6, '\'');
		if (q && strncmp(q, "': BPF program load failed", 26) == 0)
			prog = p + 6, snprintf(name, sizeof(name), "%.*s", (int)(q - prog), prog);
		p += 6;
	}
	if (err == EPERM && !*name)
		fprintf(stderr, "%s: %s: permission denied (need root: CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN)\n",
			gb_prog, what);
	else if (*name)
		fprintf(stderr, "%s: %s: the kernel refused BPF program '%s': %s\n", gb_prog, what, name,
			strerror(err));
	else
		fprintf(stderr, "%s: %s: %s%s\n", gb_prog, what, strerror(err),
			gb_opts.verbose ? "" : " (run with -v for libbpf's messages)");
	if (*name && !gb_opts.verbose)
		print_verifier_tail(log, 12);
	return 1;
}

/* Attach every program of @obj; on failure say which one and return 1. */
static int gb_tracer_attach(struct gb_tracer *t, struct bpf_object *obj)
{
	struct bpf_program *prog;

	t->obj = obj;
	bpf_object__for_each_program(prog, obj)
	{
		if (!bpf_program__autoload(prog))
			continue;
		if (t->nlinks == GB_MAX_LINKS) {
			fprintf(stderr, "%s: internal error: too many programs\n", gb_prog);
			return 1;
		}
		struct bpf_link *link = bpf_program__attach(prog);
		if (!link) {
			int err = errno;
			fprintf(stderr, "%s: cannot attach BPF program '%s' (%s): %s\n", gb_prog, bpf_program__name(prog),
				bpf_program__section_name(prog), strerror(err));
			return 1;
		}
		t->links[t->nlinks++] = link;
	}
	return 0;
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct gb_tracer *t = ctx;
	const struct gb_container_exit *exit_rec = data;

	if (size >= sizeof(*exit_rec) && exit_rec->kind == GB_RECORD_CONTAINER_EXIT) {
		gb_containers_exited(exit_rec->pid, exit_rec->mntns_id);
		return 0;
	}
	t->handle(t->ctx, data, size);
	t->handled++;
	/* stop consuming once the reader is gone; the loop then ends */
	return t->out->closed ? -EPIPE : 0;
}

/* Events lost so far (all CPUs). */
static uint64_t gb_tracer_drops(const struct gb_tracer *t)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t total = 0;
	uint32_t zero = 0;

	if (ncpu <= 0 || t->drops_fd < 0)
		return 0;
	uint64_t per_cpu[ncpu];
	if (bpf_map_lookup_elem(t->drops_fd, &zero, per_cpu))
		return 0;
	for (int i = 0; i < ncpu; i++)
		total += per_cpu[i];
	return total;
}

static void report_drops(struct gb_tracer *t, bool final)
{
	uint64_t total = gb_tracer_drops(t);

	if (total > t->drops_reported) {
		uint64_t now = total - t->drops_reported;
		fprintf(stderr, "%s: lost %llu events (ring buffer full or no memory); %llu lost so far\n", gb_prog,
			(unsigned long long)now, (unsigned long long)total);
		out_record(t->out, "lost", "lost", now, gb_clock_realtime_ns());
		t->drops_reported = total;
		output_flush(t->out);
	}
	if (final && total)
		fprintf(stderr, "%s: %llu events lost in total\n", gb_prog, (unsigned long long)total);
}

static void tick(void *ctx)
{
	report_drops(ctx, false);
}

static int poll_rb(void *ctx)
{
	struct gb_tracer *t = ctx;

	t->handled = 0;
	int rc = ring_buffer__consume(t->rb);
	output_flush(t->out);
	if (t->out->closed)
		return -EPIPE;
	if (rc < 0 && rc != -EINTR)
		return rc;
	return t->handled;
}

/* Before the container table changes, label what is already in the ring buffer with the table it was
 * produced under. */
static void drain(void *ctx)
{
	struct gb_tracer *t = ctx;

	if (t->rb)
		poll_rb(t);
}

static void container_added(void *ctx, const struct gb_container *c)
{
	struct gb_tracer *t = ctx;
	__u8 one = 1;

	bpf_map_update_elem(t->inits_fd, &c->pid, &c->mntns, BPF_ANY);
	if (c->selected)
		bpf_map_update_elem(t->mntns_fd, &c->mntns, &one, BPF_ANY);
}

static void container_removed(void *ctx, const struct gb_container *c)
{
	struct gb_tracer *t = ctx;

	bpf_map_delete_elem(t->inits_fd, &c->pid);
	bpf_map_delete_elem(t->mntns_fd, &c->mntns);
}

/* Fill the table and keep the in-kernel filter in step with it, before any program is attached. */
static int setup_containers(struct gb_tracer *t, struct gb_loop *loop)
{
	struct bpf_map *mntns = bpf_object__find_map_by_name(t->obj, "gb_mntns");
	struct bpf_map *inits = bpf_object__find_map_by_name(t->obj, "gb_container_inits");

	if (!mntns || !inits) {
		fprintf(stderr, "%s: internal error: BPF object lacks the container maps\n", gb_prog);
		return 1;
	}
	t->mntns_fd = bpf_map__fd(mntns);
	t->inits_fd = bpf_map__fd(inits);
	if (gb_containers_init(&gb_opts.filter))
		return 1;
	gb_containers_set_hooks(&(struct gb_container_hooks){container_added, container_removed, t}, true);
	return gb_watch_start(loop, drain, t) ? 1 : 0;
}

static int rb_ready(void *ctx, uint32_t events)
{
	(void)events;
	int rc = poll_rb(ctx);
	return rc < 0 ? rc : 0;
}

/* Consume gb_events from @loop, calling @fn per event and flushing @out after each batch. */
static int gb_tracer_start(struct gb_tracer *t, struct gb_loop *loop, struct output *out, gb_event_fn fn,
			   void *ctx)
{
	struct bpf_map *events = bpf_object__find_map_by_name(t->obj, "gb_events");
	struct bpf_map *drops = bpf_object__find_map_by_name(t->obj, "gb_drops");

	t->out = out;
	t->handle = fn;
	t->ctx = ctx;
	t->drops_fd = drops ? bpf_map__fd(drops) : -1;
	if (!events) {
		fprintf(stderr, "%s: internal error: BPF object has no gb_events map\n", gb_prog);
		return 1;
	}
	t->rb = ring_buffer__new(bpf_map__fd(events), on_event, t, NULL);
	if (!t->rb) {
		fprintf(stderr, "%s: cannot set up the ring buffer: %s\n", gb_prog, strerror(errno));
		return 1;
	}
	gb_loop_set_poll(loop, poll_rb, t);
	gb_loop_add_tick(loop, tick, t);
	if (gb_loop_add_fd(loop, ring_buffer__epoll_fd(t->rb), rb_ready, t)) {
		fprintf(stderr, "%s: cannot watch the ring buffer\n", gb_prog);
		return 1;
	}
	return 0;
}

/* Drain what is left, report losses, detach everything. */
static void gb_tracer_close(struct gb_tracer *t)
{
	for (int i = 0; i < t->nlinks; i++)
		bpf_link__destroy(t->links[i]);
	t->nlinks = 0;
	if (t->rb) {
		/* events already in the buffer were traced before we stopped: deliver them */
		if (t->out && !t->out->closed) {
			ring_buffer__consume(t->rb);
			report_drops(t, true);
			output_flush(t->out);
		}
		ring_buffer__free(t->rb);
		t->rb = NULL;
	}
	sb_free(&libbpf_log);
}

int gb_tracer_run(struct gb_tracer *t, struct bpf_object *obj, struct output *out, gb_event_fn fn, void *ctx)
{
	struct gb_loop loop;
	int rc;

	t->out = out;
	if (gb_loop_init(&loop, gb_opts.timeout)) {
		fprintf(stderr, "%s: cannot set up the event loop: %s\n", gb_prog, strerror(errno));
		return 1;
	}
	t->obj = obj;
	rc = setup_containers(t, &loop);
	if (!rc)
		rc = gb_tracer_attach(t, obj);
	if (!rc)
		rc = gb_tracer_start(t, &loop, out, fn, ctx);
	if (!rc) {
		output_header(out);
		output_flush(out);
		rc = gb_loop_run(&loop);
		if (rc < 0 && rc != -EPIPE) {
			fprintf(stderr, "%s: %s\n", gb_prog, strerror(-rc));
			rc = 1;
		} else {
			rc = 0; /* a signal, the timeout or a closed reader: a normal end */
		}
	}
	gb_watch_stop();
	gb_tracer_close(t);
	gb_loop_free(&loop);
	return rc;
}

int gb_tracer_load_run(struct bpf_object_skeleton *s, struct output *out, gb_event_fn fn)
{
	struct gb_tracer tracer = {0};
	int err = bpf_object__load_skeleton(s);

	if (err)
		return gb_bpf_load_failed("cannot load the BPF programs", err);
	return gb_tracer_run(&tracer, *s->obj, out, fn, out);
}

void gb_tracer_select_programs(struct bpf_object *obj)
{
	struct bpf_program *prog;

	/* 32-bit syscalls are caught on the raw sys_enter/sys_exit, which run for every syscall on the node */
	bpf_object__for_each_program(prog, obj)
	{
		if (!gb_opts.ia32 && !strncmp(bpf_program__name(prog), "ia32_", 5))
			bpf_program__set_autoload(prog, false);
	}
}

bool gb_tracepoint_exists(const char *category, const char *name)
{
	static const char *const roots[] = {"/sys/kernel/tracing/events", "/sys/kernel/debug/tracing/events"};
	char path[256];

	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s/%s", roots[i], category, name);
		if (access(path, F_OK) == 0)
			return true;
	}
	return false;
}
