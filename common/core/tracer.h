/*
 * The libbpf half every tracer shares (internal to libgadgetbox): privilege and BTF checks with errors that
 * say what to do, libbpf's log (passed on at GB_LOG_DEBUG, otherwise kept to explain a refused program),
 * attaching every program of an object, the event ring buffer in the context's loop, the in-kernel
 * container filter kept in step with the container table, and the lost-event counter.
 *
 * A tracer kind (exec.c, open.c) reads: gb_bpf_preflight → open its skeleton with gb_bpf_open_opts →
 * gb_tracer_configure + its own rodata → load (gb_bpf_load_failed explains a refusal) → gb_tracer_start.
 */
#ifndef GADGETBOX_TRACER_H
#define GADGETBOX_TRACER_H

#include <bpf/libbpf.h>
#include <stdint.h>

#include "gadgetbox.h"
#include "loop.h"
#include "strbuf.h"

#define GB_MAX_LINKS   16
#define GB_MAX_HELD_NS 64
/* A forced wake-up when this much is pending (less in a small ring buffer: gb_wakeup_bytes()) */
#define GB_WAKEUP_BYTES (64u << 10)

struct gb_tracer;

/* What makes one kind of tracer: how a record becomes an event, and how its object is freed. */
struct gb_tracer_ops {
	const char *name;
	/* Decode one ring-buffer record and deliver it; returns 1 if an event was delivered, 0 if not. */
	int (*record)(struct gb_tracer *t, const void *data, size_t size);
	/* Record-then-report kinds: deliver what was recorded (at stop). May be NULL. */
	void (*report)(struct gb_tracer *t);
	/* Snapshot kinds: iterate once and deliver; returns events delivered or a negative errno. May be NULL. */
	int (*snapshot)(struct gb_tracer *t);
	/* Called on every poll of the context's timer (a few times a second at least): timeouts. May be NULL. */
	void (*tick)(struct gb_tracer *t);
	/* Attach what attach_all() leaves (programs with autoattach off), right after it, before the tracer
	 * waits for the first container scan. May be NULL. */
	int (*attach)(struct gb_tracer *t);
	/* Free the skeleton and the kind's state. */
	void (*destroy)(struct gb_tracer *t);
	/* The context's own (the watcher): read before the others, not counted as a caller's tracer. */
	bool internal;
};

struct gb_tracer {
	const struct gb_tracer_ops *ops;
	struct gb_ctx *ctx;
	void *kind; /* the kind's own state (skeleton, options, scratch buffers) */
	struct bpf_object *obj;
	struct gb_source *src; /* its ring buffer, which the context's loop reads (loop.h) */
	struct bpf_link *links[GB_MAX_LINKS];
	struct bpf_program *progs[GB_MAX_LINKS]; /* links[i] attaches progs[i] */
	int nlinks;
	int drops_fd;
	int mntns_fd; /* gb_mntns: containers whose events pass */
	int inits_fd; /* gb_container_inits: init pid → mntns, to notice a container's end */
	int sub_id;   /* container subscription that keeps the maps in step */
	uint64_t lost_reported;
	gb_lost_fn on_lost;
	void *cb_ctx;
	int handled; /* events delivered in the current consume */
	bool stopped;
	bool armed;	/* the in-kernel container filter is (gb_state) */
	bool replaying; /* writing the filter entries of what was known before: no fresh containers */
	/* events of mount namespaces not identified yet (gb_ns_resolve), in order, as [size_t size][bytes]... */
	struct strbuf held;
	uint64_t held_ns[GB_MAX_HELD_NS]; /* the namespaces they belong to */
	unsigned nheld_ns;
	uint64_t unidentified, unidentified_reported; /* events delivered without their namespace identified */
	/* a tracer this one's kind opened for its own use (the bind tracer's socket snapshot): freed with it; and
	 * the reverse link, cleared if the context frees the helper first */
	struct gb_tracer *helper, *helper_of;
};

/* Checks privileges, kernel BTF (or @btf_path) and tracefs. Returns 0, or a negative errno after logging. */
int gb_bpf_preflight(const char *btf_path);
/* Open options carrying the context's BTF path. */
/* Open options for the object whose ELF is @elf: the context's BTF, and for CO-RE the subset of it the
 * object needs (btfsub.c), whose path is kept in @path (libbpf copies it). */
void gb_bpf_open_opts(struct gb_ctx *ctx, struct bpf_object_open_opts *opts, const void *elf, size_t elf_size,
		      char path[32]);
/* Log why an open/load failed (the program the kernel refused and the verifier's last lines); returns -err. */
int gb_bpf_load_failed(const char *what, int err);

/* The size a ring buffer gets for a requested one (0: GB_RINGBUF_DEFAULT_BYTES): a power of two in range. */
size_t gb_ringbuf_bytes(size_t requested);
/* The forced wake-up threshold for a ring buffer of @ringbuf_bytes: GB_WAKEUP_BYTES, at most a quarter of it. */
uint64_t gb_wakeup_bytes(size_t ringbuf_bytes);
/* The ring buffer size (gb_ringbuf_bytes()) and the optional ia32_* programs of an object before load. */
void gb_tracer_configure(struct bpf_object *obj, size_t ringbuf_bytes, bool ia32);
/* Also the rodata every gadget.bpf.h program has: the wake-up threshold and whether the mount-namespace
 * filter applies (not when host processes are wanted too). */
#define GB_TRACER_CONFIGURE(ctx, skel, ringbuf_bytes, ia32)                                                            \
	do {                                                                                                           \
		size_t gb_rb_ = gb_ringbuf_bytes(ringbuf_bytes);                                                       \
		(skel)->rodata->gb_wakeup_bytes = gb_wakeup_bytes(gb_rb_);                                             \
		(skel)->rodata->gb_filter_mntns = !gb_ctx_filter(ctx)->host;                                           \
		gb_tracer_configure((skel)->obj, gb_rb_, (ia32));                                                      \
	} while (0)
/* Turn libbpf's debug messages into GB_LOG_DEBUG messages (or keep them for explaining refusals). */
void gb_tracer_libbpf_debug(bool on);
/* Attach @prog (autoattach off) to syscalls/NAME for each of the NULL-terminated @names this kernel has. */
int gb_tracer_attach_syscalls(struct gb_tracer *t, struct bpf_program *prog, const char *const *names);
/* Whether the kernel has this tracepoint (tracefs is mounted by gb_bpf_preflight()). */
bool gb_tracepoint_exists(const char *category, const char *name);

/*
 * A tracer over a loaded object: fill the container maps, attach every program, and add the ring buffer
 * to the context. Returns the tracer (which owns @kind from then on, freeing it with ops->destroy) or NULL
 * with errno set, after logging why; on failure @kind is destroyed too.
 */
struct gb_tracer *gb_tracer_start(struct gb_ctx *ctx, const struct gb_tracer_ops *ops, void *kind,
				  struct bpf_object *obj, gb_lost_fn on_lost, void *cb_ctx);
/*
 * The steps every kind's __open shares. gb_kind_new: check @opts (its size at least @min_sz, @callback set)
 * and whether tracers can load at all, then allocate @kind_size bytes with a copy of the options at
 * @opts_off. gb_kind_load: load the configured skeleton (explaining a refusal) and start the tracer. Both
 * log why they fail, set errno and free the kind with ops->destroy on failure.
 */
void *gb_kind_new(struct gb_ctx *ctx, const char *fn, const void *opts, size_t min_sz, size_t max_sz,
		  const void *callback, size_t kind_size, size_t opts_off);
struct gb_tracer *gb_kind_load(struct gb_ctx *ctx, const struct gb_tracer_ops *ops, void *kind,
			       struct bpf_object_skeleton *skel, gb_lost_fn on_lost, void *cb_ctx);
/* A started tracer's kind follows the containers: @fn subscribed with @flags (gb_ctx__subscribe), its id in
 * *@sub_id. Returns @t, or NULL (errno set, @t freed) after logging why. */
struct gb_tracer *gb_kind_follow(struct gb_tracer *t, gb_container_fn fn, void *arg, unsigned flags, int *sub_id);
/* A skeleton failed to open: log it, free the kind, set errno. Returns NULL. */
struct gb_tracer *gb_kind_open_failed(const struct gb_tracer_ops *ops, void *kind);
/* Open a skeleton NAME with the context's BTF: a struct NAME *, or NULL. */
#define GB_SKEL_OPEN(ctx, name)                                                                                        \
	({                                                                                                             \
		struct bpf_object_open_opts _oo;                                                                       \
		char _btf[32];                                                                                         \
		size_t _elf_sz;                                                                                        \
		const void *_elf = name##__elf_bytes(&_elf_sz);                                                        \
		gb_bpf_open_opts((ctx), &_oo, _elf, _elf_sz, _btf);                                                    \
		name##__open_opts(&_oo);                                                                               \
	})

/* Consume what the ring buffer holds. Returns events delivered, or a negative errno. */
int gb_tracer_consume(struct gb_tracer *t);
/* Check the lost-event counter and tell on_lost about new losses. */
void gb_tracer_check_lost(struct gb_tracer *t);
/* A program its kind attached itself (to a cgroup, say): detached and freed with the others. @link NULL (the
 * attach failed, errno says why) or no room: says "cannot attach BPF program 'NAME' WHERE: why" and returns
 * -errno. */
int gb_tracer_add_link(struct gb_tracer *t, struct bpf_program *prog, struct bpf_link *link, const char *where);
/* The link of one of the tracer's programs (e.g. an iterator's, to create iterators from), or NULL. */
struct bpf_link *gb_tracer_link(const struct gb_tracer *t, const struct bpf_program *prog);
/* Make @helper (a tracer @t's kind opened for its own use) @t's: freed with @t, whichever the context frees
 * first. */
void gb_tracer_adopt(struct gb_tracer *t, struct gb_tracer *helper);
/* Fill the common part of an event (container looked up); false if the filters hide it. */
bool gb_tracer_proc(struct gb_event_proc *p);

#endif
