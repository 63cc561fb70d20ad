/*
 * The libbpf half every tracing applet shares: privilege and BTF checks with errors that say what to do,
 * libbpf's log (shown with -v, otherwise kept to explain a refused program), attaching every program of an
 * object, the event ring buffer in the event loop, and the lost-event counter (reported on stderr while
 * events are lost, at exit, and in JSON as {"type":"lost",...} records).
 *
 * An applet's setup reads: gb_bpf_preflight → GB_SKEL_OPEN → GB_TRACER_CONFIGURE + its own rodata →
 * gb_tracer_load_run (load, attach, poll until done, detach) → destroy.
 */
#ifndef GADGETBOX_TRACER_H
#define GADGETBOX_TRACER_H

#include <bpf/libbpf.h>
#include <stdint.h>

#include "cli.h"
#include "loop.h"
#include "output.h"

#define GB_MAX_LINKS 16

typedef void (*gb_event_fn)(void *ctx, const void *data, size_t size);

struct gb_tracer {
	struct bpf_object *obj;
	struct ring_buffer *rb;
	struct bpf_link *links[GB_MAX_LINKS];
	int nlinks;
	int drops_fd;
	int mntns_fd; /* gb_mntns: containers whose events pass */
	int inits_fd; /* gb_container_inits: init pid → mntns, to notice a container's end */
	uint64_t drops_reported;
	gb_event_fn handle;
	void *ctx;
	struct output *out;
	int handled; /* events in the current poll */
};

/* Default sizes; applets with larger events may pass their own. */
#define GB_RINGBUF_BYTES (1u << 20) /* mapped twice by the kernel: counts 2x in RSS */
#define GB_WAKEUP_BYTES (64u << 10)

/* Set the shared rodata and the ring buffer size of a skeleton before load. */
#define GB_TRACER_CONFIGURE(skel, ringbuf_bytes)                                    \
	do {                                                                        \
		(skel)->rodata->gb_wakeup_bytes = GB_WAKEUP_BYTES;                  \
		(skel)->rodata->gb_filter_mntns = !gb_opts.filter.host;             \
		bpf_map__set_max_entries((skel)->maps.gb_events, (ringbuf_bytes)); \
		gb_tracer_select_programs((skel)->obj);                             \
	} while (0)

/* Whether the kernel has this tracepoint (tracefs is mounted by gb_bpf_preflight()). */
bool gb_tracepoint_exists(const char *category, const char *name);
/* Leave out optional programs that were not asked for (ia32_*: only with --ia32). */
void gb_tracer_select_programs(struct bpf_object *obj);

/* Open a bpftool skeleton with --btf applied: a `struct NAME *`, or NULL after saying why. */
#define GB_SKEL_OPEN(name)                                                         \
	({                                                                         \
		struct bpf_object_open_opts _opts;                                 \
		gb_bpf_open_opts(&_opts);                                          \
		struct name *_skel = name##__open_opts(&_opts);                    \
		if (!_skel)                                                        \
			gb_bpf_load_failed("cannot open the BPF object", -errno); \
		_skel;                                                             \
	})

/* Checks privileges and kernel BTF and installs the libbpf log. Returns 0, or prints one line and returns 1. */
int gb_bpf_preflight(void);
/* Open options carrying --btf. */
void gb_bpf_open_opts(struct bpf_object_open_opts *opts);
/* Explain a failed open/load (program name and the verifier's last lines) and return the exit code 1. */
int gb_bpf_load_failed(const char *what, int err);
/*
 * Attach every program of @obj, print the header, and deliver events to @fn until SIGINT/SIGTERM, --timeout
 * or a closed output; then detach. Returns the process exit code.
 */
int gb_tracer_run(struct gb_tracer *t, struct bpf_object *obj, struct output *out, gb_event_fn fn, void *ctx);
/* Load a configured skeleton (explaining a refusal), then gb_tracer_run() with @out as @fn's context. */
int gb_tracer_load_run(struct bpf_object_skeleton *s, struct output *out, gb_event_fn fn);

#endif
