#include "tracer.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <linux/capability.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "bpf/gadget.h"
#include "btfsub.h"
#include "clock.h"
#include "containers.h"
#include "decode.h"
#include "diag.h"

#define VMLINUX_BTF "/sys/kernel/btf/vmlinux"
#define LOG_KEEP    (256 * 1024)

static struct strbuf libbpf_log;
static bool libbpf_debug;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (libbpf_debug) {
		gb_vlog(GB_LOG_DEBUG, fmt, ap);
		return 0;
	}
	if (level == LIBBPF_DEBUG)
		return 0;
	if (libbpf_log.len > LOG_KEEP) /* bound it; what explains a refusal comes last */
		sb_reset(&libbpf_log);
	size_t before = libbpf_log.len;
	sb_vaddf(&libbpf_log, fmt, ap);
	return (int)(libbpf_log.len - before);
}

void gb_tracer_libbpf_debug(bool on)
{
	libbpf_debug = on;
	libbpf_set_print(libbpf_print);
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
		gb_info("mounted tracefs at /sys/kernel/tracing");
		return 0;
	}
	int err = errno;
	gb_err("tracefs is not mounted and mounting it failed (%s); run: mount -t tracefs tracefs /sys/kernel/tracing",
	       strerror(err));
	return -err;
}

int gb_check_bpf(const char *btf_path)
{
	return gb_bpf_preflight(btf_path);
}

int gb_bpf_preflight(const char *btf_path)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2] = {0};

	libbpf_set_print(libbpf_print);
	if (syscall(SYS_capget, &hdr, data) == 0 && !has_cap(data, CAP_SYS_ADMIN) &&
	    !(has_cap(data, CAP_BPF) && has_cap(data, CAP_PERFMON))) {
		gb_err("needs root to load eBPF programs (CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN); "
		       "run it with sudo or in a privileged container");
		return -EPERM;
	}
	const char *btf = btf_path ? btf_path : VMLINUX_BTF;
	int fd = open(btf, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;
		if (btf_path)
			gb_err("cannot read BTF file %s: %s", btf, strerror(err));
		else
			gb_err("this kernel has no BTF (%s: %s); give a BTF file made for this exact kernel (btf_path)",
			       VMLINUX_BTF, strerror(err));
		return -err;
	}
	close(fd);
	return ensure_tracefs();
}

/* The BTF subset of each object opened so far (a handful: one per tracer kind), kept for the process. */
static struct {
	const void *elf;
	char *btf_path; /* the kernel BTF it was cut from (NULL: the running kernel's) */
	int fd;		/* -1: none for this object */
} subsets[16];
static unsigned nsubsets;
static pthread_mutex_t subsets_lock = PTHREAD_MUTEX_INITIALIZER;

static int subset_fd(const void *elf, size_t elf_size, const char *btf_path)
{
	int fd = -1;

	pthread_mutex_lock(&subsets_lock);
	for (unsigned i = 0; i < nsubsets; i++)
		if (subsets[i].elf == elf &&
		    !strcmp(subsets[i].btf_path ? subsets[i].btf_path : "", btf_path ? btf_path : "")) {
			fd = subsets[i].fd;
			goto out;
		}
	fd = gb_btf_subset(elf, elf_size, btf_path);
	char *copy = btf_path ? strdup(btf_path) : NULL;
	if (nsubsets < sizeof(subsets) / sizeof(subsets[0]) && (copy || !btf_path)) {
		subsets[nsubsets].elf = elf, subsets[nsubsets].btf_path = copy, subsets[nsubsets++].fd = fd;
	} else { /* no room to keep it (libbpf reads it at load, long after this): libbpf searches the whole BTF */
		free(copy);
		if (fd >= 0)
			close(fd), fd = -1;
	}
out:
	pthread_mutex_unlock(&subsets_lock);
	return fd;
}

void gb_bpf_open_opts(struct gb_ctx *ctx, struct bpf_object_open_opts *opts, const void *elf, size_t elf_size,
		      char path[32])
{
	const char *btf = gb_ctx_btf_path(ctx);
	int fd = subset_fd(elf, elf_size, btf);

	memset(opts, 0, sizeof(*opts));
	opts->sz = sizeof(*opts);
	opts->btf_custom_path = btf;
	if (fd >= 0) {
		snprintf(path, 32, "/proc/self/fd/%d", fd);
		opts->btf_custom_path = path;
	}
	gb_startup_step("BTF for CO-RE: %s", fd >= 0 ? "the object's subset" : btf ? btf : "the kernel's");
}

/* The lines of the last verifier log, at most @max of them from its end, appended to @sb. */
static void verifier_tail(struct strbuf *sb, const char *log, int max)
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
	sb_adds(sb, "\nverifier log (last lines):");
	for (const char *l = start; l < end;) {
		const char *nl = memchr(l, '\n', end - l);
		size_t len = nl ? (size_t)(nl - l) : (size_t)(end - l);
		if (len)
			sb_addf(sb, "\n  %.*s", (int)len, l);
		l += len + 1;
	}
}

int gb_bpf_load_failed(const char *what, int err)
{
	const char *log = sb_str(&libbpf_log);
	const char *prog = NULL, *p = log;
	char name[128] = "";
	struct strbuf msg = {0};

	err = err < 0 ? -err : err;
	/* libbpf: "prog 'NAME': BPF program load failed: ..." names the program the kernel refused */
	while ((p = strstr(p, "prog '"))) {
		const char *q = strchr(p + 6, '\'');
		if (q && strncmp(q, "': BPF program load failed", 26) == 0)
			prog = p + 6, snprintf(name, sizeof(name), "%.*s", (int)(q - prog), prog);
		p += 6;
	}
	if (err == EPERM && !*name)
		sb_addf(&msg, "%s: permission denied (need root: CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN)", what);
	else if (*name)
		sb_addf(&msg, "%s: the kernel refused BPF program '%s': %s", what, name, strerror(err));
	else
		sb_addf(&msg, "%s: %s%s", what, strerror(err),
			libbpf_debug ? "" : " (libbpf_debug shows libbpf's messages)");
	if (*name && !libbpf_debug)
		verifier_tail(&msg, log, 12);
	gb_err("%s", sb_str(&msg));
	sb_free(&msg);
	sb_reset(&libbpf_log);
	return -err;
}

size_t gb_ringbuf_bytes(size_t requested)
{
	size_t size = GB_RINGBUF_MIN_BYTES;

	if (!requested)
		return GB_RINGBUF_DEFAULT_BYTES;
	while (size < requested && size < GB_RINGBUF_MAX_BYTES)
		size <<= 1;
	return size;
}

uint64_t gb_wakeup_bytes(size_t ringbuf_bytes)
{
	/* a threshold near the size would let the buffer fill before the reader is woken */
	return ringbuf_bytes / 4 < GB_WAKEUP_BYTES ? ringbuf_bytes / 4 : GB_WAKEUP_BYTES;
}

void gb_tracer_configure(struct bpf_object *obj, size_t ringbuf_bytes, bool ia32)
{
	struct bpf_program *prog;

	struct bpf_map *events = bpf_object__find_map_by_name(obj, "gb_events");
	if (events)
		bpf_map__set_max_entries(events, gb_ringbuf_bytes(ringbuf_bytes));
	/* 32-bit syscalls are caught on the raw sys_enter/sys_exit, which run for every syscall on the node */
	bpf_object__for_each_program (prog, obj) {
		if (!ia32 && !strncmp(bpf_program__name(prog), "ia32_", 5))
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

/* ---- the steps of every kind's __open ---- */

void *gb_kind_new(struct gb_ctx *ctx, const char *fn, const void *opts, size_t min_sz, size_t max_sz,
		  const void *callback, size_t kind_size, size_t opts_off)
{
	size_t sz = opts ? *(const size_t *)opts : 0;
	int err;

	if (!ctx || !opts || sz < min_sz || !callback) {
		gb_err("%s: invalid options (fill them with GB_OPTS and set the event callback)", fn);
		errno = EINVAL;
		return NULL;
	}
	if (!gb_opts_valid(fn, opts, sz, max_sz)) {
		errno = EINVAL;
		return NULL;
	}
	if ((err = gb_bpf_preflight(gb_ctx_btf_path(ctx)))) {
		errno = -err;
		return NULL;
	}
	char *k = calloc(1, kind_size);
	if (!k) {
		gb_err("%s: out of memory", fn);
		errno = ENOMEM;
		return NULL;
	}
	/* a newer caller's members we do not know are zero (gb_opts_valid); an older caller's missing ones stay
	 * zero */
	memcpy(k + opts_off, opts, sz < max_sz ? sz : max_sz);
	return k;
}

struct gb_tracer *gb_kind_open_failed(const struct gb_tracer_ops *ops, void *kind)
{
	int err = gb_bpf_load_failed("cannot open the BPF object", -errno);

	ops->destroy(&(struct gb_tracer){.ops = ops, .kind = kind});
	errno = -err;
	return NULL;
}

struct gb_tracer *gb_kind_load(struct gb_ctx *ctx, const struct gb_tracer_ops *ops, void *kind,
			       struct bpf_object_skeleton *skel, gb_lost_fn on_lost, void *cb_ctx)
{
	gb_startup_step("%s: BPF object opened", skel->name);
	int err = bpf_object__load_skeleton(skel);

	gb_startup_step("%s: BPF programs loaded", skel->name);
	if (err) {
		err = gb_bpf_load_failed("cannot load the BPF programs", err);
		ops->destroy(&(struct gb_tracer){.ops = ops, .kind = kind});
		errno = -err;
		return NULL;
	}
	return gb_tracer_start(ctx, ops, kind, *skel->obj, on_lost, cb_ctx);
}

struct gb_tracer *gb_kind_follow(struct gb_tracer *t, gb_container_fn fn, void *arg, unsigned flags, int *sub_id)
{
	int id = t ? gb_ctx__subscribe(t->ctx, fn, arg, flags) : -EINVAL;

	if (!t)
		return NULL;
	if (id < 0) {
		gb_err("cannot follow the containers: %s", strerror(-id));
		gb_tracer__free(t);
		errno = -id;
		return NULL;
	}
	*sub_id = id;
	return t;
}

/* ---- a running tracer ---- */

#define HOLD_MAX (8u << 20) /* beyond this, events of namespaces not identified yet are delivered as they are */

static int release_held(struct gb_tracer *t, bool final);

/* Deliver one event record (its namespace identified, or given up on): 1 if it became an event, 0 if not, or
 * -ECANCELED after a callback stopped the context (e.g. its reader went away): leave the rest, except in the
 * final drain of gb_tracer__stop(), which delivers everything captured. */
static int deliver(struct gb_tracer *t, const void *data, size_t size)
{
	t->handled += t->ops->record(t, data, size);
	return !t->stopped && gb_ctx__stopped(t->ctx) ? -ECANCELED : 0;
}

static bool held_ns(const struct gb_tracer *t, uint64_t mntns)
{
	for (unsigned i = 0; i < t->nheld_ns; i++)
		if (t->held_ns[i] == mntns)
			return true;
	return false;
}

/*
 * Whether an event of this namespace may be delivered now. Events of a namespace nobody has identified yet
 * (a container that started a moment ago, whose runtime did not wait for us) are held, in order, until it is
 * (gb_ns_resolve: at most half a second); then delivered, labelled, or left out by the filters.
 */
static bool ready_to_deliver(struct gb_tracer *t, const struct gb_proc *p, bool final)
{
	const struct gb_container *c;

	switch (gb_ns_resolve(p->mntns_id, p->mntns_uid, p->pid, final || t->stopped, &c)) {
	case GB_NS_PENDING: return false;
	case GB_NS_UNIDENTIFIED: t->unidentified++; return true;
	default: return true;
	}
}

/* An event record the loop read for this tracer: delivered, or held behind its namespace's identification. */
static int hold_or_deliver(struct gb_tracer *t, const void *data, size_t size)
{
	const struct gb_proc *p = data;

	/* behind the namespace's held events, or held itself */
	if (held_ns(t, p->mntns_id) || !ready_to_deliver(t, p, false)) {
		/* no room (or memory) to wait: what is held goes first, as it is */
		if (t->held.len + size > HOLD_MAX || (!held_ns(t, p->mntns_id) && t->nheld_ns == GB_MAX_HELD_NS) ||
		    !gb_keep_record(&t->held, data, size)) {
			int rc = release_held(t, true);
			if (rc)
				return rc;
			ready_to_deliver(t, p, true);
			return deliver(t, data, size);
		}
		if (!held_ns(t, p->mntns_id))
			t->held_ns[t->nheld_ns++] = p->mntns_id;
		return 0;
	}
	return deliver(t, data, size);
}

/* The loop's calls (gb_source_ops), counting the events delivered. */
static int on_event(void *owner, const void *data, size_t size)
{
	struct gb_tracer *t = owner;

	t->handled = 0;
	int rc = hold_or_deliver(t, data, size);
	return rc < 0 ? rc : t->handled;
}

static int on_release(void *owner, bool final)
{
	struct gb_tracer *t = owner;

	t->handled = 0;
	int rc = t->held.len ? release_held(t, final) : 0;
	return rc < 0 ? rc : t->handled;
}

static void on_tick(void *owner)
{
	struct gb_tracer *t = owner;

	if (t->ops->tick)
		t->ops->tick(t);
}

static void on_second(void *owner)
{
	gb_tracer_check_lost(owner);
}

static const struct gb_source_ops tracer_source_ops = {
	.event = on_event, .release = on_release, .tick = on_tick, .second = on_second};

/* Deliver the held events whose namespace is identified now (all of them if @final), in their order. */
static int release_held(struct gb_tracer *t, bool final)
{
	struct strbuf held = t->held;
	const struct gb_proc *p;
	size_t off = 0, size;
	int rc = 0;

	/* the namespaces still held are those of the records kept */
	t->held = (struct strbuf){0};
	t->nheld_ns = 0;
	while ((p = gb_next_record(&held, &off, &size))) {
		/* behind a record of its namespace that waits, or waiting itself (or the context stopped) */
		if (rc || held_ns(t, p->mntns_id) || !ready_to_deliver(t, p, final)) {
			if (!gb_keep_record(&t->held, p, size)) { /* no memory to wait longer: now, or counted lost */
				if (rc) {
					t->src->lost++;
				} else {
					ready_to_deliver(t, p, true);
					rc = deliver(t, p, size);
				}
				continue;
			}
			if (!held_ns(t, p->mntns_id))
				t->held_ns[t->nheld_ns++] = p->mntns_id; /* no more than there were */
		} else {
			rc = deliver(t, p, size);
		}
	}
	sb_free(&held);
	return rc;
}

bool gb_tracer_proc(struct gb_event_proc *p)
{
	p->container = gb_container_by_ns(p->mntns, p->mntns_uid);
	return gb_container_visible(p->container);
}

int gb_tracer_consume(struct gb_tracer *t)
{
	if (!t->src)
		return 0;
	t->src->stopped = t->stopped;
	return gb_source_consume(t->src);
}

uint64_t gb_tracer__lost(const struct gb_tracer *t)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t total = 0;
	uint32_t zero = 0;

	if (!t || ncpu <= 0 || t->drops_fd < 0)
		return 0;
	uint64_t per_cpu[ncpu];
	if (bpf_map_lookup_elem(t->drops_fd, &zero, per_cpu))
		return 0;
	for (int i = 0; i < ncpu; i++)
		total += per_cpu[i];
	return total + (t->src ? t->src->lost : 0);
}

void gb_tracer_check_lost(struct gb_tracer *t)
{
	uint64_t total = gb_tracer__lost(t);

	if (t->unidentified > t->unidentified_reported) {
		gb_warn("%s: %llu events came from mount namespaces that could not be identified before their "
			"processes ended (containers that started and ended while this process was stopped or "
			"busy?): not attributed to any container; %llu so far",
			t->ops->name, (unsigned long long)(t->unidentified - t->unidentified_reported),
			(unsigned long long)t->unidentified);
		t->unidentified_reported = t->unidentified;
	}

	if (total > t->lost_reported) {
		uint64_t now = total - t->lost_reported;
		t->lost_reported = total;
		if (t->on_lost)
			t->on_lost(t->cb_ctx, now, total);
	}
}

struct bpf_link *gb_tracer_link(const struct gb_tracer *t, const struct bpf_program *prog)
{
	for (int i = 0; i < t->nlinks; i++)
		if (t->progs[i] == prog)
			return t->links[i];
	return NULL;
}

int gb_tracer__snapshot(struct gb_tracer *t)
{
	if (!t || !t->ops->snapshot)
		return -EOPNOTSUPP;
	if (t->stopped)
		return -ESHUTDOWN;
	int rc = t->ops->snapshot(t);
	gb_tracer_check_lost(t);
	return rc;
}

const char *gb_tracer__name(const struct gb_tracer *t)
{
	return t ? t->ops->name : "";
}

/* The in-kernel filter follows the container table: inits (to notice a container's end), and every container's
 * mount namespace with its verdict (pass if the filters select it, else drop). */
static void set_ns(struct gb_tracer *t, uint64_t mntns, uint64_t uid, uint32_t verdict, bool fresh)
{
	struct gb_ns_entry e = {.uid = uid, .verdict = verdict, .fresh = fresh};

	if (mntns && bpf_map_update_elem(t->mntns_fd, &mntns, &e, BPF_ANY))
		gb_warn_once("the in-kernel container filter is full (%d mount namespaces): events of the others "
			     "are filtered in user space",
			     GB_MAX_MNTNS);
}

/* Forget a namespace's entry, unless a container of the table has its inode (a new namespace may). */
static void forget_ns(struct gb_tracer *t, uint64_t mntns)
{
	if (!gb_container_by_mntns(mntns))
		bpf_map_delete_elem(t->mntns_fd, &mntns);
}

static void container_added(void *ctx, const struct gb_container *c)
{
	struct gb_tracer *t = ctx;

	/* an ended container's init pid may be another process's by now, and its namespace's inode another
	 * namespace's (which the filter must not take for it) */
	if (gb_rec(c)->ended)
		return;
	bpf_map_update_elem(t->inits_fd, &c->pid, &c->mntns, BPF_ANY);
	set_ns(t, c->mntns, c->mntns_uid, c->selected ? GB_NS_PASS : GB_NS_DROP, !t->replaying);
}

static void container_removed(void *ctx, const struct gb_container *c)
{
	struct gb_tracer *t = ctx;

	if (gb_rec(c)->ended)
		return;
	bpf_map_delete_elem(t->inits_fd, &c->pid);
	forget_ns(t, c->mntns);
}

static void other_ns(void *ctx, uint64_t mntns, uint64_t uid, bool add)
{
	struct gb_tracer *t = ctx;

	if (add)
		set_ns(t, mntns, uid, GB_NS_DROP, false);
	else /* not if it turned out to be a container's */
		forget_ns(t, mntns);
}

static int map_fd(struct bpf_object *obj, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, name);

	if (!m)
		gb_err("internal error: BPF object lacks map %s", name);
	return m ? bpf_map__fd(m) : -1;
}

int gb_tracer_add_link(struct gb_tracer *t, struct bpf_program *prog, struct bpf_link *link, const char *where)
{
	int err = errno;

	if (link && t->nlinks == GB_MAX_LINKS)
		err = E2BIG;
	else if (link) {
		t->progs[t->nlinks] = prog;
		t->links[t->nlinks++] = link;
		return 0;
	}
	gb_err("cannot attach BPF program '%s' %s: %s", bpf_program__name(prog), where, strerror(err));
	bpf_link__destroy(link);
	errno = err;
	return -err;
}

/* Write gb_state (gadget.bpf.h): the container filter armed, the tracer stopping. */
static int set_state(struct gb_tracer *t, bool armed, bool stopped)
{
	struct bpf_map *m = bpf_object__find_map_by_name(t->obj, ".data.gb_state");
	uint32_t zero = 0;

	if (!m) {
		gb_err("internal error: BPF object lacks map .data.gb_state");
		return -ENOENT;
	}
	struct gb_state state = {.armed = armed, .stopped = stopped};
	if (bpf_map__value_size(m) != sizeof(state)) {
		gb_err("internal error: .data.gb_state holds %u bytes, not %zu", bpf_map__value_size(m), sizeof(state));
		return -EINVAL;
	}
	if (bpf_map_update_elem(bpf_map__fd(m), &zero, &state, BPF_ANY)) {
		int err = errno;
		gb_err("cannot set the tracer's state in the kernel: %s", strerror(err));
		return -err;
	}
	t->armed = armed;
	return 0;
}

int gb_tracer_attach_syscalls(struct gb_tracer *t, struct bpf_program *prog, const char *const *names)
{
	for (; *names; names++) {
		if (!gb_tracepoint_exists("syscalls", *names))
			continue; /* this architecture has no such syscall (arm64: open, creat) */
		char where[128];
		snprintf(where, sizeof(where), "to syscalls/%s", *names);
		int err = gb_tracer_add_link(t, prog, bpf_program__attach_tracepoint(prog, "syscalls", *names), where);
		if (err)
			return err;
	}
	return 0;
}

/* Attach every program of the object; on failure say which one. */
static int attach_all(struct gb_tracer *t)
{
	struct bpf_program *prog;

	bpf_object__for_each_program (prog, t->obj) {
		if (!bpf_program__autoload(prog) || !bpf_program__autoattach(prog))
			continue; /* not loaded, or attached by its kind (e.g. an iterator over a map) */
		if (t->nlinks == GB_MAX_LINKS) {
			gb_err("internal error: too many programs");
			return -E2BIG;
		}
		char where[160];
		snprintf(where, sizeof(where), "(%s)", bpf_program__section_name(prog));
		int err = gb_tracer_add_link(t, prog, bpf_program__attach(prog), where);
		if (err)
			return err;
	}
	return 0;
}

struct gb_tracer *gb_tracer_start(struct gb_ctx *ctx, const struct gb_tracer_ops *ops, void *kind,
				  struct bpf_object *obj, gb_lost_fn on_lost, void *cb_ctx)
{
	struct gb_tracer *t = calloc(1, sizeof(*t));
	int err = -ENOMEM;

	if (!t) {
		ops->destroy(&(struct gb_tracer){.ops = ops, .kind = kind});
		errno = ENOMEM;
		return NULL;
	}
	*t = (struct gb_tracer){
		.ops = ops, .ctx = ctx, .kind = kind, .obj = obj, .on_lost = on_lost, .cb_ctx = cb_ctx, .sub_id = -1};
	t->drops_fd = map_fd(obj, "gb_drops");
	t->mntns_fd = map_fd(obj, "gb_mntns");
	t->inits_fd = map_fd(obj, "gb_container_inits");
	int events_fd = map_fd(obj, "gb_events");
	if (t->drops_fd < 0 || t->mntns_fd < 0 || t->inits_fd < 0 || events_fd < 0) {
		err = -ENOENT;
		goto fail;
	}
	t->src = gb_source_add(ctx, events_fd, &tracer_source_ops, t, ops->internal);
	if (!t->src) {
		err = -errno;
		goto fail;
	}
	/*
	 * Attach first, then wait for the first container scan (it runs in its own thread from gb_ctx__new()):
	 * the ring buffer keeps what happens meanwhile, and the in-kernel container filter lets everything through
	 * until it is filled and armed, user space filtering instead. Start-up is then the load alone, whatever the
	 * number of containers.
	 */
	/* the host is known from the start: its events never wait for the first scan to be dropped */
	set_ns(t, gb_host_mntns(), gb_mntns_uid(2), GB_NS_DROP, false);
	if ((err = attach_all(t)) || (ops->attach && (err = ops->attach(t))))
		goto fail;
	gb_startup_step("programs attached");
	/* while the scan runs, keep the ring buffer read (its records are delivered at the first consume) */
	gb_source_wait_scan(t->src);
	if ((err = gb_ctx_ready(ctx)))
		goto fail;
	/* fill the filter, keep it in step, and arm it */
	t->replaying = true; /* the containers known now are no new ones */
	t->sub_id = gb_containers_subscribe(
		&(struct gb_container_hooks){container_added, container_removed, other_ns, t}, true);
	t->replaying = false;
	if (t->sub_id < 0) {
		err = t->sub_id;
		goto fail;
	}
	if ((err = set_state(t, true, false)))
		goto fail;
	return t;
fail:
	t->stopped = true; /* nothing to deliver */
	gb_tracer__free(t);
	errno = -err;
	return NULL;
}

int gb_tracer__stop(struct gb_tracer *t)
{
	if (!t || t->stopped)
		return 0;
	t->stopped = true;
	set_state(t, t->armed, true); /* before detaching, which takes a while (see gb_state) */
	for (int i = 0; i < t->nlinks; i++)
		bpf_link__destroy(t->links[i]);
	t->nlinks = 0;
	/* events already in the buffer were traced before we stopped: deliver them */
	int rc = gb_tracer_consume(t); /* stopped: what is held is delivered too */
	gb_ctx_apply_exits(t->ctx);
	gb_tracer_check_lost(t);
	if (t->ops->report)
		t->ops->report(t);
	return rc < 0 ? rc : 0;
}

void gb_tracer_adopt(struct gb_tracer *t, struct gb_tracer *helper)
{
	t->helper = helper;
	helper->helper_of = t;
}

void gb_tracer__free(struct gb_tracer *t)
{
	if (!t)
		return;
	if (t->helper_of)
		t->helper_of->helper = NULL;
	gb_tracer__free(t->helper); /* clears t->helper */
	gb_tracer__stop(t);
	for (int i = 0; i < t->nlinks; i++)
		bpf_link__destroy(t->links[i]);
	gb_source_remove(t->src);
	if (t->sub_id >= 0)
		gb_containers_unsubscribe(t->sub_id);
	sb_free(&t->held);
	t->ops->destroy(t);
	free(t);
}
