/*
 * libgadgetbox: container-aware eBPF tracers as a C library.
 *
 * A context (struct gb_ctx) owns what every tracer shares: the table of the node's containers (read from the
 * node's files, no runtime API), the runtime watcher that registers a new container before its first
 * instruction, and one pollable file descriptor. Tracers are objects opened on a context; each delivers
 * typed, decoded events that point to their container record, to a callback of yours:
 *
 *	struct gb_ctx *ctx = gb_ctx__new(NULL);
 *	GB_OPTS(gb_exec_opts, eo, .on_event = print_exec, .cb_ctx = &state);
 *	struct gb_tracer *t = gb_exec__open(ctx, &eo);
 *	while (!done)
 *		gb_ctx__poll(ctx, 100);        (or: put gb_ctx__fd(ctx) into your own epoll loop)
 *	gb_tracer__free(t);
 *	gb_ctx__free(ctx);
 *
 * Conventions (libbpf's): opaque objects with noun__verb names; options structs whose first member is their
 * own size (fill them with GB_OPTS so new members never break old callers; a NULL context option means all
 * defaults, a tracer needs at least its event callback); constructors return NULL and set errno, other calls
 * return 0 or a negative errno; frees accept NULL. The library never writes to stdout or stderr, never aborts
 * (out of memory, a constructor returns NULL with ENOMEM, and what an event or record could not be kept for is
 * counted as lost or said in a warning), never changes signal dispositions and never reads globals of a
 * program: messages go to the callback set with gb_set_log().
 *
 * Callbacks: event and container callbacks run on the caller's thread, inside gb_ctx__poll(), gb_ctx__run(),
 * gb_ctx__subscribe(), gb_tracer__snapshot(), gb_tracer__stop()/__free() and gb_ctx__free(); the pointers
 * they get are valid until the callback returns (a container record, until its REMOVED). From a callback, do
 * not free or stop tracers or the context; gb_ctx__stop() is fine. The log callback may also run on the
 * library's runtime-watcher thread, under the library's log lock: make it thread-safe and do not call the
 * library from it.
 *
 * One context per process (the container table and the runtime watcher are the process's); not thread-safe:
 * call it from one thread. Loading eBPF programs needs root (CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN) and
 * kernel BTF.
 *
 * Where the implementation lives (common/, one folder per role; README "Layout"): core/ the context, its loop
 * and the tracer plumbing; containers/ the container table, the runtimes' files and the watcher; gadgets/ each
 * tracer's user-space half and the decoders of its records; dns/ the DNS decoder (dnsmsg.h, also public);
 * util/ small shared pieces. cli/ and applets/ are the gadgetbox command, a client of this header like yours.
 */
#ifndef GADGETBOX_H
#define GADGETBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Declare and fill an options struct: GB_OPTS(gb_exec_opts, o, .max_args = 64); sets o.sz. */
#define GB_OPTS(TYPE, NAME, ...) struct TYPE NAME = {.sz = sizeof(struct TYPE), __VA_ARGS__}

/* ---- messages ---- */

enum gb_log_level {
	GB_LOG_ERROR, /* why a call failed */
	GB_LOG_WARN,  /* something is degraded (a corrupt runtime file, no container watcher, lost events); work goes on
		       */
	GB_LOG_INFO,  /* what the library did on its own (mounted tracefs) */
	GB_LOG_DEBUG, /* libbpf's own messages */
};

/* @msg is one line without a newline (a verifier log excerpt may span lines); it may quote file contents. */
typedef void (*gb_log_fn)(enum gb_log_level level, const char *msg, void *ctx);

/* Where the library's messages go (process-wide; NULL: nowhere). Returns the previous callback. */
gb_log_fn gb_set_log(gb_log_fn fn, void *ctx);

/* "libbpf 1.7.0, libelf 0.188, zlib 1.2.13, cJSON 1.7.15, musl 1.2.3": what the library was built from. */
const char *gb_version_deps(void);

/* ---- containers ---- */

/* One container of the node, as read from its runtime's files. Strings are never NULL ("" when unknown). */
#define GB_CONTAINER_ID_MAX 128 /* bytes of an id, without its NUL */

/* Where a container is in its life, as its runtime's files tell (crictl's and docker's states). */
enum gb_container_state {
	GB_STATE_UNKNOWN,
	GB_STATE_CREATED, /* made, never started (or a task-less containerd container) */
	GB_STATE_RUNNING,
	GB_STATE_PAUSED, /* frozen (docker/podman pause, its cgroup frozen) */
	GB_STATE_EXITED,
};
/* "unknown", "created", "running", "paused", "exited" */
const char *gb_container_state_name(enum gb_container_state state);

struct gb_container {
	char id[GB_CONTAINER_ID_MAX + 1]; /* full container id (64 hex digits for every runtime seen so far) */
	const char *runtime;		  /* "docker", "containerd", "cri-o", "podman", "runc", "crun" */
	char *name;			  /* the runtime's container name */
	char *image;
	char *k8s_namespace; /* Kubernetes fields: "" outside pods */
	char *k8s_pod;
	char *k8s_pod_uid;
	char *k8s_container;
	char *cgroup_path;  /* of its init, in the unified hierarchy */
	uint32_t pid;	    /* init process (in the host's pid namespace) */
	uint64_t pid_start; /* its start time in clock ticks after boot, to tell a reused pid */
	uint64_t mntns;	    /* mount namespace inode: the key events are matched by */
	uint64_t netns;
	bool sandbox;	     /* pod infrastructure (pause): known, never shown */
	bool selected;	     /* passes the context's container filters */
	char *sandbox_id;    /* the pod sandbox this container belongs to (from annotations), "" if none */
	unsigned generation; /* changes whenever this record's contents do (e.g. a rename): for caches */
	uint64_t mntns_uid;  /* the mount namespace's never-reused id (Linux 6.9+; 0: unknown), as in events */
	/* Its life, from the engine's files (Docker's config.v2.json, podman's and containerd's databases, CRI's
	 * status file), else from its init process: */
	enum gb_container_state state;
	uint64_t started_at;  /* ns since the epoch (0: unknown): the engine's record, else its init's start */
	uint64_t finished_at; /* exited ones: when (0: unknown) */
	int32_t exit_code;    /* exited ones, if exit_code_known */
	bool exit_code_known;
	int32_t restart_count; /* the kubelet's restartCount annotation, else CRI's attempt, else the engine's
				* count of restarts (Docker); -1: unknown */
	char *log_path;	       /* the file the runtime writes its output to ("" unknown); it may be gone */
	/* the library keeps more after these members: a struct gb_container is only ever the library's */
};

/* Filters over the container table (comma lists; "!x" excludes x; NULL: no filter). An item is a name or a
 * shell pattern ("web-*", "kube-?", "[ab]*": fnmatch(3), matched in user space whenever the table changes).
 * Different members combine with AND. Tracers apply them in the kernel, through the mount-namespace filter. */
struct gb_container_filter {
	const char *names; /* the runtime's container name, or the container name in the pod spec */
	const char *k8s_namespaces;
	const char *k8s_pods;
	const char *k8s_containers;
	const char *runtimes;
	bool host; /* also events of host processes (in no container) */
};

/* The values of gb_container.runtime (NULL-terminated): what a filter's runtimes list may name. */
extern const char *const gb_runtime_names[];

/* The node's name for k8s fields: $NODE_NAME, else the host's hostname (read under the host root). */
const char *gb_node_name(void);

/* A short display name: namespace/pod/container for Kubernetes, else the name, else the short id. */
const char *gb_container__display(const struct gb_container *c, char *buf, size_t size);

/* Whether this process can load tracers: privileges (root: CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN), kernel
 * BTF (or the file at @btf_path) and tracefs (mounted if missing). Returns 0, or a negative errno after
 * logging what to do. Every tracer's open checks the same; call it first to fail before anything else. */
int gb_check_bpf(const char *btf_path);

/* ---- the context ---- */

struct gb_ctx;

struct gb_ctx_opts {
	size_t sz;
	const char *host_root; /* where the host's / is (NULL: $HOST_ROOT, else "/") */
	const char *btf_path;  /* BTF for kernels without /sys/kernel/btf/vmlinux */
	/*
	 * By default the context finds a new container at its first exec, without ever making its runtime wait:
	 * a small BPF program on exec wakes the context when a process of a mount namespace it does not know
	 * execs, and the tracers hold that namespace's events (at most 500 ms) until it is identified from the
	 * runtime's state. A stopped, frozen or killed program delays no container start. Set no_watch for a
	 * snapshot: new containers are then found by rescans once a second (and when their events are read).
	 */
	bool no_watch;
	bool libbpf_debug; /* pass libbpf's debug messages to the log callback */
	/* which containers' events tracers deliver (NULL: every container; copied); a pointer, so the filter
	 * can grow without moving the members after it */
	const struct gb_container_filter *filter;
};

/* Read the node's containers (in the background: the first call that needs them waits, so tracers load
 * meanwhile) and watch its runtimes. NULL (errno set, reason logged) on error. */
struct gb_ctx *gb_ctx__new(const struct gb_ctx_opts *opts);
/* Free the context, and any tracer still open on it (their handles become invalid). Accepts NULL. */
void gb_ctx__free(struct gb_ctx *ctx);
/* An fd that is readable whenever gb_ctx__poll() has work (events, container changes, timers). It is an
 * epoll fd: add it to your own epoll set or poll() it for POLLIN. */
int gb_ctx__fd(const struct gb_ctx *ctx);
/* Deliver what is ready, waiting up to @timeout_ms (0: do not wait, -1: forever). Returns the number of
 * events delivered, or a negative errno: -ECANCELED once gb_ctx__stop() was called (the fd may stay
 * readable then: leave your loop). */
int gb_ctx__poll(struct gb_ctx *ctx, int timeout_ms);
/* For programs without a loop: gb_ctx__poll() until gb_ctx__stop(), @timeout_ms (-1: none) or an error.
 * Returns 0 (stopped or timed out) or a negative errno. */
int gb_ctx__run(struct gb_ctx *ctx, int timeout_ms);
/* Make gb_ctx__run()/gb_ctx__poll() return; safe from a callback or a signal handler. */
void gb_ctx__stop(struct gb_ctx *ctx);
/* Whether gb_ctx__stop() was called. */
bool gb_ctx__stopped(const struct gb_ctx *ctx);
/* Whether this process sees the host's processes: false in a container with a pid namespace of its own (a debug
 * container without --pid=host), where process snapshots see only that container's processes and socket owners
 * are not found. Asked of the host root's procfs when the host root is not "/", else by whether this process is
 * in the kernel's initial pid namespace. */
bool gb_ctx__host_pids_visible(const struct gb_ctx *ctx);

/* The i-th known container (sandboxes and unselected ones included), or NULL past the end. The table may
 * change in any gb_ctx__poll(): do not keep the pointers across calls without a subscription. */
const struct gb_container *gb_ctx__container(struct gb_ctx *ctx, unsigned i);
/* The container of a mount namespace, or NULL (a host process, or unknown). */
const struct gb_container *gb_ctx__container_by_mntns(struct gb_ctx *ctx, uint64_t mntns);

/* An item of the context's container filters (a name or a pattern) that no container matches. */
#define GB_MAX_SUGGESTIONS 3
struct gb_unmatched {
	const char
		*filter;  /* its gb_container_filter member: "names", "k8s_namespaces", "k8s_pods", "k8s_containers" */
	const char *item; /* as given */
	/* the existing values closest to it, best first, NULL past the last: those within an edit distance of 2,
	 * then those it is a prefix of (or that are a prefix of it); none for a pattern */
	const char *suggestions[GB_MAX_SUGGESTIONS];
};
typedef void (*gb_unmatched_fn)(void *cb_ctx, const struct gb_unmatched *u);
/* Call @fn for each positive item of the context's filters (names, k8s_namespaces, k8s_pods, k8s_containers;
 * each member on its own; not "!x") that no container of the table matches now, sandboxes aside: a typo, or
 * a container not started yet. Waits for the first scan. Returns how many, or a negative errno. The pointers
 * are valid during the call. */
int gb_ctx__unmatched_names(struct gb_ctx *ctx, gb_unmatched_fn fn, void *cb_ctx);

/*
 * The containers whose state is still on the node but that run no more: exited ones (`docker ps -a`, a
 * crash-looping pod's earlier attempts) and ones created and never started, read from the node's files now.
 * They are for listing only: never in the table, the tracers' filters or events. @fn gets each (sandboxes
 * and ones the filters leave out too: see ->sandbox and ->selected), valid until it returns. Returns how
 * many, or a negative errno.
 */
typedef void (*gb_exited_fn)(void *cb_ctx, const struct gb_container *c);
int gb_ctx__foreach_exited(struct gb_ctx *ctx, gb_exited_fn fn, void *cb_ctx);

enum gb_container_event {
	GB_CONTAINER_EXISTING, /* known when subscribing (only with GB_SUB_EXISTING) */
	GB_CONTAINER_ADDED,
	GB_CONTAINER_REMOVED, /* gone, or (default subscribers) no longer passing the filters; the record is freed
			       * after the callback returns if it left the table */
};

enum gb_sub_flags {
	GB_SUB_EXISTING = 1 << 0, /* first call back for every container already known */
	GB_SUB_ALL = 1 << 1,	  /* also sandboxes and containers the filters leave out (one whose selection
				   * changes is REMOVED and ADDED again, same record) */
};

typedef void (*gb_container_fn)(void *cb_ctx, enum gb_container_event ev, const struct gb_container *c);

/* Call @fn as containers come and go (any number of subscribers). Returns an id >= 0, or a negative errno. */
int gb_ctx__subscribe(struct gb_ctx *ctx, gb_container_fn fn, void *cb_ctx, unsigned flags);
void gb_ctx__unsubscribe(struct gb_ctx *ctx, int id);

/* ---- tracers ---- */

/*
 * A tracer is one set of eBPF programs with its ring buffer. Three shapes share this handle:
 * streaming (exec, open: events as they happen), snapshot (iterate once, deliver, done) and
 * record-then-report (deliver at gb_tracer__stop() or when a container exits).
 */
struct gb_tracer;

/* Who did it: the first member of every event. */
struct gb_event_proc {
	uint64_t timestamp; /* nanoseconds since the Unix epoch */
	uint64_t boot_ns;   /* the kernel's CLOCK_BOOTTIME stamp */
	uint64_t mntns;
	uint64_t mntns_uid; /* the namespace's id that, unlike mntns (an inode number), is never reused; 0 if unknown */
	uint32_t pid, tid, ppid, uid, gid;    /* pid is the process (tgid); tid the thread */
	char comm[16];			      /* NUL-terminated */
	const struct gb_container *container; /* NULL for a host process */
};

/* Events were lost (ring buffer full, or no memory in the kernel): @lost since the last call, @total so far. */
typedef void (*gb_lost_fn)(void *cb_ctx, uint64_t lost, uint64_t total);

/* -- exec: every execve/execveat -- */

struct gb_exec_event {
	struct gb_event_proc proc;
	int ret;	      /* 0, or the negative errno of a failed exec */
	const char *filename; /* as passed (empty for execveat with AT_EMPTY_PATH); not NUL-terminated */
	size_t filename_len;
	bool filename_truncated; /* longer than 8191 bytes */
	const char *args;	 /* argv: argc NUL-terminated strings, back to back */
	size_t args_size;
	unsigned argc;
	uint64_t cut_mask;   /* bit i: argument i was cut at 8191 bytes */
	bool args_truncated; /* argv had more entries than these (max_args, or they did not fit) */
	bool compat;	     /* a 32-bit execve */
};

typedef void (*gb_exec_fn)(void *cb_ctx, const struct gb_exec_event *ev);

struct gb_exec_opts {
	size_t sz;
	gb_exec_fn on_event;
	gb_lost_fn on_lost;
	void *cb_ctx;
	uint32_t pid;	/* only this process (0: any) */
	bool uid_given; /* only the real uid in uid */
	uint32_t uid;
	bool failed;	      /* also failed execs */
	unsigned max_args;    /* 1..128 (0: 20) */
	bool ia32;	      /* also 32-bit syscalls: a program on every syscall of the node */
	size_t ringbuf_bytes; /* 0: 1 MiB */
	/* only the children of this process: events of processes whose parent is @ppid at the event (0: any) */
	uint32_t ppid;
	/* only this process and its descendants, followed in the kernel as they fork (0: any; it must exist
	 * when the tracer opens, else ESRCH). Costs a program on every fork and exit of the node. */
	uint32_t tree_pid;
};

/* Load and attach the exec tracer; events flow from when this returns. NULL (errno set, reason logged). */
struct gb_tracer *gb_exec__open(struct gb_ctx *ctx, const struct gb_exec_opts *opts);

/* -- open: every open/openat/openat2/creat -- */

enum gb_open_syscall { GB_SYS_OPEN, GB_SYS_OPENAT, GB_SYS_OPENAT2, GB_SYS_CREAT };

struct gb_open_event {
	struct gb_event_proc proc;
	int ret; /* the fd, or a negative errno */
	enum gb_open_syscall syscall;
	int dirfd;	  /* openat, openat2 */
	uint64_t flags;	  /* O_* */
	uint64_t mode;	  /* meaningful with O_CREAT or O_TMPFILE (gb_open_flags_use_mode) */
	uint64_t resolve; /* openat2's RESOLVE_* */
	const char *path; /* as passed; not NUL-terminated */
	size_t path_len;
	bool path_truncated;
	const char *full_path; /* with full_path set: as /proc/PID/fd/N would show it; else NULL */
	size_t full_path_len;
	bool full_path_truncated;    /* the dentry walk gave up: this is the tail */
	bool full_path_outside_root; /* the file is outside the process's root: shown from its mount ns root */
};

typedef void (*gb_open_fn)(void *cb_ctx, const struct gb_open_event *ev);

#define GB_OPEN_MAX_PREFIXES 8

struct gb_open_opts {
	size_t sz;
	gb_open_fn on_event;
	gb_lost_fn on_lost;
	void *cb_ctx;
	uint32_t pid;	/* only this process (0: any) */
	uint32_t tid;	/* only this thread (0: any) */
	bool uid_given; /* only the real uid in uid */
	uint32_t uid;
	bool failed_only;
	bool full_path;	      /* rebuild the absolute path in the kernel */
	const char *prefixes; /* comma list: only paths as passed starting with one (in the kernel; 8 x 255) */
	bool ia32;
	size_t ringbuf_bytes;
	uint32_t ppid;	   /* as in gb_exec_opts: only children of this process */
	uint32_t tree_pid; /* as in gb_exec_opts: only this process and its descendants */
};

struct gb_tracer *gb_open__open(struct gb_ctx *ctx, const struct gb_open_opts *opts);

/* -- procs: a snapshot of the node's processes (iter/task) -- */

struct gb_proc_entry {
	struct gb_event_proc proc; /* timestamp: when the snapshot was taken (after start_time, same clock) */
	uint64_t start_time;	   /* the process's (or thread's) start, ns since the Unix epoch */
	uint32_t nspid, nstid;	   /* pid and tid in the process's own pid namespace (the container's) */
	uint64_t pidns;		   /* inode of that pid namespace */
	char state;		   /* as ps shows it: R S D T t X Z P I */
	uint32_t nthreads;
	bool kthread;
	/* CPU time (user + system) the scheduler accounted, ns: a thread's own, or a process's (every thread,
	 * exited ones included), as ps's TIME */
	uint64_t cpu_ns;
	uint64_t rss_kib; /* resident memory (file + anon + shmem), KiB, as ps's RSS; 0 without an mm */
	/* the argument area as /proc/PID/cmdline: NUL-separated strings, args_size bytes (valid during the
	 * callback; 0 for kernel threads and zombies); at most 4096 bytes, args_truncated if it was longer */
	const char *args;
	size_t args_size;
	bool args_truncated;
};

typedef void (*gb_proc_fn)(void *cb_ctx, const struct gb_proc_entry *p);

struct gb_procs_opts {
	size_t sz;
	gb_proc_fn on_proc;
	void *cb_ctx;
	bool threads;	/* every thread, not only each process's main thread */
	uint32_t pid;	/* only this process (0: any) */
	bool uid_given; /* only the real uid in uid */
	uint32_t uid;
};

/* Load the process iterator; nothing is delivered until gb_tracer__snapshot(). */
struct gb_tracer *gb_procs__open(struct gb_ctx *ctx, const struct gb_procs_opts *opts);

/* -- socks: a snapshot of the sockets of the containers' network namespaces (iter/tcp, udp, unix, task_file) -- */

enum gb_sock_proto {
	GB_SOCK_TCP = 1 << 0,
	GB_SOCK_UDP = 1 << 1,
	GB_SOCK_UNIX = 1 << 2,
};

/* A process holding the socket in one of its fds. */
struct gb_sock_owner {
	uint32_t pid, fd, uid;
	char comm[16];
	uint64_t mntns;
	const struct gb_container *container; /* NULL for a host process */
};

/* TCP's counters of a full TCP socket, as `ss -i` shows them. */
struct gb_sock_tcp_info {
	uint32_t rtt_us, rttvar_us; /* smoothed round-trip time and its variation */
	uint32_t cwnd, ssthresh, mss;
	uint32_t retrans;	/* segments retransmitted, not yet acknowledged */
	uint32_t total_retrans; /* over the connection's life */
	uint32_t lost, rcv_space;
	uint32_t segs_out, segs_in;
	uint64_t bytes_sent, bytes_acked, bytes_received;
};

struct gb_sock_entry {
	uint64_t timestamp;	  /* when the snapshot was taken, ns since the Unix epoch */
	enum gb_sock_proto proto; /* one of GB_SOCK_TCP, _UDP, _UNIX */
	int family;		  /* AF_INET, AF_INET6, AF_UNIX */
	int type;		  /* SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET */
	int state;		  /* the kernel's TCP_* number (UDP and UNIX use TCP_CLOSE, _ESTABLISHED, _LISTEN) */
	const char *state_name;	  /* as ss shows it: "ESTAB", "LISTEN", "UNCONN", "TIME-WAIT", "SYN-RECV" ... */
	uint8_t local_addr[16], peer_addr[16]; /* IPv4: the first 4 bytes */
	uint16_t local_port, peer_port;
	bool v6only;	     /* IPv6 only (IPV6_V6ONLY); else an IPv6 socket bound to :: takes IPv4 too */
	const char *path;    /* UNIX: the bound name, path_len bytes; abstract names start with a NUL byte */
	size_t path_len;     /* 0: unnamed */
	uint64_t peer_inode; /* UNIX: the inode of the connected peer, 0 if none */
	uint32_t rqueue;     /* bytes to read; for a listener, connections waiting in the accept queue */
	uint32_t wqueue;     /* bytes not yet sent or acknowledged; for a listener, the accept queue's limit */
	bool rqueue_partial; /* UNIX stream: more buffers were queued than were counted */
	uint64_t inode;	     /* 0: no file (TIME_WAIT, SYN-RECV) */
	uint64_t cookie;     /* 0: none was ever asked for (cookies are made on first use) */
	uint64_t netns;
	uint32_t uid;
	uint32_t bound_ifindex; /* SO_BINDTODEVICE (0: none), and that device's name in the socket's netns */
	const char *bound_dev;
	const struct gb_sock_tcp_info *tcp_info; /* NULL unless a full TCP socket */
	const struct gb_sock_owner *owners;	 /* every process holding it (none for TIME_WAIT) */
	size_t nowners;
	/* The first owner's container, else the network namespace's (a pod's sandbox for a pod); NULL: host. */
	const struct gb_container *container;
};
typedef void (*gb_sock_fn)(void *cb_ctx, const struct gb_sock_entry *s);

struct gb_socks_opts {
	size_t sz;
	gb_sock_fn on_sock;
	void *cb_ctx;
	unsigned protocols; /* GB_SOCK_* (0: TCP and UDP) */
};

/*
 * Load the socket iterators; nothing is delivered until gb_tracer__snapshot(). A snapshot lists the network
 * namespaces of the selected containers (and the host's with the host filter); a container sharing the host's
 * network (host-network pods) contributes the sockets its processes hold. A container that exits during a
 * snapshot is left out with a warning.
 */
struct gb_tracer *gb_socks__open(struct gb_ctx *ctx, const struct gb_socks_opts *opts);

/* -- bind: every bind() of the node's processes, with its result (syscall tracepoints) -- */

/* The socket options that change what a bind means, as set on the socket when it bound. */
enum gb_bind_opt {
	GB_BIND_REUSEADDR = 1 << 0,	  /* SO_REUSEADDR */
	GB_BIND_REUSEPORT = 1 << 1,	  /* SO_REUSEPORT */
	GB_BIND_FREEBIND = 1 << 2,	  /* IP_FREEBIND / IPV6_FREEBIND */
	GB_BIND_TRANSPARENT = 1 << 3,	  /* IP_TRANSPARENT / IPV6_TRANSPARENT */
	GB_BIND_ADDRESS_NO_PORT = 1 << 4, /* IP_BIND_ADDRESS_NO_PORT */
	GB_BIND_V6ONLY = 1 << 5,	  /* IPV6_V6ONLY */
};

struct gb_bind_event {
	struct gb_event_proc proc; /* who called bind() */
	int ret;		   /* 0, or the negative errno */
	int fd;
	/* what was passed: the sockaddr's bytes (at most 128 of addrlen) and what they say */
	uint32_t addrlen;
	const uint8_t *sockaddr;
	size_t sockaddr_len;
	bool sockaddr_unreadable; /* a bad pointer (the bind failed with EFAULT) */
	int family;		  /* sa_family (-1: addrlen too short to hold one) */
	uint8_t addr[16];	  /* AF_INET, AF_INET6: the address (IPv4: the first 4 bytes) */
	uint16_t port;		  /* AF_INET, AF_INET6: the port asked for (0: any) */
	uint32_t scope_id;	  /* AF_INET6 */
	const char *path;	  /* AF_UNIX: sun_path, path_len bytes (abstract names start with a NUL); else NULL */
	size_t path_len;
	/* the socket's, read after the bind (0 when the fd was no socket) */
	int sock_family;
	int sock_type; /* SOCK_STREAM, SOCK_DGRAM, SOCK_RAW ... */
	int protocol;  /* IPPROTO_TCP, IPPROTO_UDP ... */
	bool no_socket;
	uint16_t bound_port;	/* AF_INET, AF_INET6: its local port after the bind (the kernel's choice for 0) */
	unsigned opts;		/* GB_BIND_* */
	uint32_t bound_ifindex; /* SO_BINDTODEVICE (0: none), and that device's name in its namespace ("" if none) */
	const char *bound_dev;
	uint64_t netns; /* the socket's network namespace (the caller's if no socket) */
	/*
	 * EADDRINUSE of a TCP or UDP bind (unless no_holders): who holds that port in that network namespace, found
	 * when the event is read — the sockets of the same protocol on that port whose address overlaps the one
	 * asked for, each with the processes holding it and its container (gb_sock_entry; none for TIME-WAIT).
	 * holders_searched is false when no search was made (not EADDRINUSE, or the namespace is gone).
	 */
	bool holders_searched;
	const struct gb_sock_entry *holders;
	size_t nholders;
};
typedef void (*gb_bind_fn)(void *cb_ctx, const struct gb_bind_event *ev);

#define GB_BIND_MAX_PORTS 16

struct gb_bind_opts {
	size_t sz;
	gb_bind_fn on_event;
	gb_lost_fn on_lost;
	void *cb_ctx;
	uint32_t pid;	/* only this process (0: any) */
	bool uid_given; /* only the real uid in uid */
	uint32_t uid;
	bool failed_only;      /* only binds that failed */
	bool inet_only;	       /* only AF_INET and AF_INET6 binds (BCC's bindsnoop shows no others) */
	const uint16_t *ports; /* only AF_INET/AF_INET6 binds asking for one of these nports ports (at most 16) */
	size_t nports;
	bool no_holders; /* do not look for who holds an address in use (else the socket snapshot is loaded at the
			  * first EADDRINUSE) */
	size_t ringbuf_bytes;
};

/* Attach the bind tracer. The socket snapshot that names who holds an address is loaded at the first
 * EADDRINUSE (it would double the tracer's memory), in the gb_ctx__poll() that reads it. */
struct gb_tracer *gb_bind__open(struct gb_ctx *ctx, const struct gb_bind_opts *opts);

/* -- tcp: every TCP connect, accept and close (state tracepoints, cgroup socket hooks) -- */

enum gb_tcp_event_type {
	GB_TCP_CONNECT = 1, /* a connect's result: established (error 0) or the errno it failed with */
	GB_TCP_ACCEPT = 2,  /* accept() handed out a connection */
	GB_TCP_CLOSE = 3,   /* an established connection ended (its socket reached TCP_CLOSE) */
};

/* Who ended a connection: the first sign of its end. */
enum gb_tcp_end {
	GB_TCP_END_UNKNOWN = 0,
	GB_TCP_END_LOCAL = 1,	       /* this side closed or shut down writing first (its FIN) */
	GB_TCP_END_PEER = 2,	       /* the peer's FIN came first */
	GB_TCP_END_RESET_SENT = 3,     /* this side aborted it with a reset (SO_LINGER 0, unread data ...) */
	GB_TCP_END_RESET_RECEIVED = 4, /* the peer reset it */
	GB_TCP_END_TIMEOUT = 5,	       /* retransmissions or keepalives gave up */
};

struct gb_tcp_event {
	/* the process that acted: for a connect the caller of connect(), for an accept the caller of accept(), for
	 * a close the process that closed its last fd, else the one that connected or accepted it; what TCP
	 * finishes in softirq (a non-blocking connect's result, a close after the peer's reset) still names it.
	 * pid 0: none known (a connection older than the tracer whose process is gone); the container is then the
	 * socket's cgroup's */
	struct gb_event_proc proc;
	enum gb_tcp_event_type type;
	int family;		      /* AF_INET, AF_INET6 */
	uint8_t saddr[16], daddr[16]; /* local and remote address (IPv4: the first 4 bytes) */
	uint16_t sport, dport;	      /* local and remote port */
	uint64_t netns;
	uint64_t sock; /* the socket (its kernel address): the same for a connection's connect/accept and close */
	/* connect */
	int error;	     /* 0 or the errno: ECONNREFUSED, ETIMEDOUT, EHOSTUNREACH, ENETUNREACH, ECONNRESET ... */
	uint64_t latency_ns; /* from its first SYN (or connect() when none was sent) to the result */
	uint32_t syn_retransmits; /* SYNs sent again */
	/* accept */
	/* the listener's own address and port (0.0.0.0 for a wildcard listener); port 0: not known (the accept()
	 * call began before the tracer) */
	uint8_t listen_addr[16];
	uint16_t listen_port;
	/* close */
	uint64_t age_ns; /* since its first SYN (connect) or its handshake (accepted); 0 if it began before tracing */
	uint64_t bytes_sent; /* payload sent, retransmissions counted once (not all of it acknowledged after a reset) */
	uint64_t bytes_received; /* payload received in order */
	uint32_t retransmits;	 /* segments retransmitted over its life */
	enum gb_tcp_end ended_by;
	bool closer;	    /* proc is the process that closed it (else the one that connected or accepted it) */
	uint64_t cgroup_id; /* the socket's cgroup */
};
typedef void (*gb_tcp_fn)(void *cb_ctx, const struct gb_tcp_event *ev);

#define GB_TCP_MAX_PORTS 16

struct gb_tcp_opts {
	size_t sz;
	gb_tcp_fn on_event;
	gb_lost_fn on_lost;
	void *cb_ctx;
	uint32_t pid;	/* only this process (0: any) */
	bool uid_given; /* only the real uid in uid */
	uint32_t uid;
	unsigned types;	       /* bits 1 << GB_TCP_CONNECT, ... (0: all three) */
	bool failed_only;      /* only failed connects and connections that ended with a reset or a timeout */
	const uint16_t *ports; /* only connections with one of these nports ports at either end (at most 16) */
	size_t nports;
	size_t ringbuf_bytes;
};

/* Attach the TCP tracer: every connect, accept and close of the node's TCP sockets, IPv4 and IPv6. */
struct gb_tracer *gb_tcp__open(struct gb_ctx *ctx, const struct gb_tcp_opts *opts);
/* "connect", "accept", "close" */
const char *gb_tcp_event_type_name(enum gb_tcp_event_type t);
/* "unknown", "local", "peer", "reset-sent", "reset-received", "timeout" */
const char *gb_tcp_end_name(enum gb_tcp_end e);

/* -- dns: every DNS message sent or received by the node's sockets (cgroup_skb on the cgroup2 root) -- */

struct gb_dns_msg; /* a decoded message: common/dnsmsg.h */

enum gb_dns_event_kind {
	GB_DNS_MESSAGE = 0, /* a query or a response, as sent or received */
	GB_DNS_TIMEOUT = 1, /* a query that got no response in time: the query again, stamped when it timed out,
			     * latency_ns = the time waited */
};

struct gb_dns_event {
	/* the socket's owner: who created it or first sent on it (pid 0: not known, e.g. a message received on a
	 * socket that has not sent yet); the container is the owner's, else that of the socket's cgroup */
	struct gb_event_proc proc;
	enum gb_dns_event_kind kind;
	bool egress;		      /* sent by the socket (else received) */
	int family;		      /* AF_INET, AF_INET6 */
	int protocol;		      /* IPPROTO_UDP, IPPROTO_TCP */
	uint8_t saddr[16], daddr[16]; /* IPv4: the first 4 bytes */
	uint16_t sport, dport;
	uint64_t netns;
	uint64_t sock;	    /* the socket (its kernel address): a query and its response share it */
	uint64_t cgroup_id; /* the socket's cgroup */
	uint32_t ifindex;
	const uint8_t *msg; /* the message as on the wire (TCP: without its length prefix) */
	size_t msg_len;
	const struct gb_dns_msg *dns; /* decoded; dns->malformed says what did not decode */
	bool truncated;		      /* the packet was longer than dnssnoop captures (64 KiB) */
	/* a response: its query was seen (same socket, peer, id and question) and latency_ns is since then (its
	 * last transmission); a timeout: the time waited */
	bool matched;
	uint64_t latency_ns;
	unsigned retransmits; /* a query: how many times it had been sent before */
};
typedef void (*gb_dns_fn)(void *cb_ctx, const struct gb_dns_event *e);

struct gb_dns_opts {
	size_t sz;
	gb_dns_fn on_event;
	void *cb_ctx;
	const uint16_t *ports; /* the ports watched (either end), nports of them (at most 8); NULL: 53, 5353, 5355 */
	size_t nports;
	unsigned query_timeout_ms; /* 0: 5000 */
	gb_lost_fn on_lost;
	uint32_t pid;	      /* only sockets this process owns (0: any) */
	size_t ringbuf_bytes; /* 0: 1 MiB */
};

/* Attach the DNS tracer: events for every message on the watched ports, UDP and TCP, IPv4 and IPv6. */
struct gb_tracer *gb_dns__open(struct gb_ctx *ctx, const struct gb_dns_opts *opts);

/* -- seccomp: every distinct syscall each container makes, for seccomp profiles (record, then report) -- */

struct gb_syscall_use {
	const char *name; /* "openat"; NULL if this architecture's number is not known */
	unsigned nr;
	bool compat; /* a 32-bit syscall (x86-64: int 0x80 or the ia32 entry) */
	uint64_t count;
	char first_comm[16]; /* the thread that made it first */
	/* made only by the container's runtime before its program started (count 0), and one a runtime makes
	 * after installing the container's seccomp filter (runc and crun drop capabilities, switch user and close
	 * fds under it): a profile must allow it for the container to start */
	bool runtime;
};

struct gb_seccomp_record {
	const struct gb_container *container;
	/* recorded from its program's execve on (it started while recording, the runtime's setup left out);
	 * else from when recording began, the container running already */
	bool from_start;
	uint64_t first_ns; /* its first recorded syscall, ns since the Unix epoch (0: none) */
	bool exited;	   /* delivered as the container went; else when the tracer stopped */
	int seccomp_mode;  /* of its program: 2 = it already ran under a seccomp filter, whose denials never show */
	const struct gb_syscall_use *syscalls; /* sorted: native first, by name */
	size_t nsyscalls;
	const char *arch, *arch32; /* their seccomp names: "SCMP_ARCH_X86_64", "SCMP_ARCH_X86" ("" if unknown) */
};
typedef void (*gb_seccomp_fn)(void *cb_ctx, const struct gb_seccomp_record *r);

struct gb_seccomp_opts {
	size_t sz;
	gb_seccomp_fn on_record;
	void *cb_ctx;
};

/*
 * Record the syscalls of the selected containers: each is delivered when its container exits, the others at
 * gb_tracer__stop(). A container that starts while recording is recorded from its program's execve (the
 * kernel starts its record at its first syscall, before user space knows it); one already running, from now.
 */
struct gb_tracer *gb_seccomp__open(struct gb_ctx *ctx, const struct gb_seccomp_opts *opts);

/* -- seccomp_audit: every syscall a seccomp filter refused, killed, trapped or logged -- */

/* What the filter did. The values are bits of gb_seccomp_audit_opts.actions as (1u << action). */
enum gb_seccomp_action {
	GB_SECCOMP_ERRNO = 1,	     /* SECCOMP_RET_ERRNO: the syscall did not run and returned an errno */
	GB_SECCOMP_KILL_PROCESS = 2, /* the process was killed with SIGSYS (KILL_PROCESS, or KILL_THREAD of its
				      * only thread: the kernel does the same for both) */
	GB_SECCOMP_KILL_THREAD = 3,  /* KILL_THREAD: only the thread ended (do_exit(SIGSYS)), its process lives on */
	GB_SECCOMP_TRAP = 4,	     /* SECCOMP_RET_TRAP: a SIGSYS the program may catch */
	GB_SECCOMP_LOG = 5,	     /* SECCOMP_RET_LOG: the syscall ran; the kernel logged it (audit type 1326) */
};
#define GB_SECCOMP_ACTION_MAX GB_SECCOMP_LOG
/* "errno", "kill_process", "kill_thread", "trap", "log" ("" for another value) */
const char *gb_seccomp_action_name(enum gb_seccomp_action a);

struct gb_seccomp_audit_event {
	/* who: for log events as the kernel log names it (pid; tid = pid; comm) and the process's container,
	 * looked up by its pid (it may have ended: its identity is kept a moment after it exits) */
	struct gb_event_proc proc;
	enum gb_seccomp_action action;
	unsigned nr;	     /* the syscall's number in its table */
	bool compat;	     /* a 32-bit syscall (x86-64: int $0x80 or the ia32 entry): the i386 table */
	const char *syscall; /* its name ("mkdir"), NULL if the table does not know the number */
	/* errno: the errno the syscall returned (EPERM: 1); trap and kill_process: the data the filter put in
	 * the signal's si_errno (the low 16 bits of its SECCOMP_RET_TRAP); else 0 */
	int errno_value;
	/* the first event of this syscall (table and number) and action in this container (all host
	 * processes count as one) since the tracer opened */
	bool first;
	const char *exe; /* log events: the program's path as the kernel log gives it; else NULL */
};
typedef void (*gb_seccomp_audit_fn)(void *cb_ctx, const struct gb_seccomp_audit_event *ev);

struct gb_seccomp_audit_opts {
	size_t sz;
	gb_seccomp_audit_fn on_event;
	gb_lost_fn on_lost;
	void *cb_ctx;
	uint32_t pid; /* only this process (0: any) */
	/*
	 * The actions wanted, as bits (1u << GB_SECCOMP_*); 0: all. Each costs its own hook: errno two programs
	 * on every syscall of the node (sys_enter and sys_exit; for a task without a filter each returns after
	 * one load), kill and trap one on every signal and task exit, log reading the kernel log (/dev/kmsg).
	 */
	unsigned actions;
	size_t ringbuf_bytes; /* 0: 256 KiB */
};

/*
 * Report every syscall of the selected containers (and with the host filter, of host processes) that a
 * seccomp filter refused (errno), killed a thread or process for, trapped, or logged. No kprobes: errno is a
 * syscall's exit without its entry (the filter runs before the sys_enter tracepoint), kill and trap the
 * SIGSYS the filter sends and a thread's exit, log the kernel's audit record (type 1326) in /dev/kmsg, which
 * the kernel rate-limits and which goes to auditd instead when one runs. Not seen: the first syscall of a
 * thread that had made none since the tracer opened, if it was refused with an errno; SECCOMP_RET_USER_NOTIF
 * answered with an error reads as errno, answered with CONTINUE as allowed; SECCOMP_RET_TRACE without a
 * tracer reads as errno(ENOSYS).
 */
struct gb_tracer *gb_seccomp_audit__open(struct gb_ctx *ctx, const struct gb_seccomp_audit_opts *opts);

/* -- syscall tables (this architecture's, from the kernel headers gadgetbox was built with) -- */

/* The name of syscall @nr ("mkdir"), in the native table or the 32-bit one (@compat); NULL if unknown. */
const char *gb_syscall_name(unsigned nr, bool compat);
/* The number of syscall @name in that table, or -1. */
int gb_syscall_nr(const char *name, bool compat);
/* The table's architecture as seccomp profiles name it: "SCMP_ARCH_X86_64", "SCMP_ARCH_X86" ("": unknown) */
const char *gb_syscall_arch(bool compat);
/* -- exit and signal: why a process died (exitsnoop), every signal (sigsnoop) -- */

/* Where a signal came from. */
enum gb_signal_origin {
	GB_SIGNAL_UNSEEN,  /* not seen (generated before tracing began) */
	GB_SIGNAL_PROCESS, /* sent by another process: kill(), tkill(), tgkill(), sigqueue() */
	GB_SIGNAL_SELF,	   /* sent by the process to itself: abort(), raise(), kill(getpid()) */
	GB_SIGNAL_OOM,	   /* the OOM killer's SIGKILL */
	GB_SIGNAL_FAULT,   /* the kernel, for a fault of the process's own making: SIGSEGV, SIGBUS, SIGILL, SIGFPE */
	GB_SIGNAL_SECCOMP, /* the kernel, for a syscall a seccomp filter kills for (SIGSYS) */
	GB_SIGNAL_PIDNS,   /* the kernel, ending the rest of a pid namespace (a container) whose init exited */
	GB_SIGNAL_CHILD,   /* the kernel: SIGCHLD, a child stopped or ended */
	GB_SIGNAL_TIMER,   /* the kernel: an alarm or a timer (SIGALRM, SIGVTALRM, SIGPROF, timer_create) */
	GB_SIGNAL_PIPE,	   /* the kernel: a write to a pipe or socket nobody reads (SIGPIPE) */
	GB_SIGNAL_KERNEL,  /* the kernel, for another reason (SIGXCPU, SIGIO, a tty's SIGHUP, ...) */
};
/* "unseen", "kill", "self", "oom", "fault", "seccomp", "pidns", "child", "timer", "pipe", "kernel" */
const char *gb_signal_origin_name(enum gb_signal_origin o);

/* A signal as it was generated. */
struct gb_signal_info {
	int sig;  /* its number (0: none seen) */
	int code; /* si_code: SI_USER 0, SI_TKILL -6, SI_QUEUE -1, SI_KERNEL 128, a fault's SEGV_MAPERR 1 ... */
	int err;  /* si_errno */
	enum gb_signal_origin origin;
	bool blocked;		  /* the target blocked it (it stays pending); sigsnoop only */
	bool group;		  /* sent to the whole process, not one thread */
	uint64_t addr;		  /* GB_SIGNAL_FAULT: the faulting address */
	int syscall;		  /* GB_SIGNAL_SECCOMP: the syscall's number in its table (-1 otherwise) */
	bool syscall_compat;	  /* the 32-bit table's (gb_syscall_name(syscall, true)) */
	const char *syscall_name; /* and its name ("mkdir"), NULL if not known */
	/* GB_SIGNAL_OOM: the victim's resident memory, and the limit and usage of the nearest memory cgroup
	 * (its own or a parent's) with a limit, at the kill (limit 0: no cgroup limit, a node-wide OOM) */
	uint64_t oom_rss_kib;
	uint64_t memcg_limit, memcg_usage; /* bytes */
};

struct gb_exit_event {
	struct gb_event_proc proc; /* the process that ended (its last thread), or the thread */
	uint64_t age_ns;	   /* how long it ran: since the process (the thread) started */
	bool thread;		   /* a thread ended, not its process's last (only with threads) */
	int exit_code;		   /* exit(N): 0..255 (signal 0) */
	int signal;		   /* the signal that ended it (0: it exited) */
	bool core_dumped;
	/* what sent that signal, when it was seen (cause.sig == signal); for an exit (signal 0), the stop request
	 * (SIGHUP, SIGINT, SIGQUIT or SIGTERM) it handled last before exiting, if any: a graceful stop (its
	 * sender.timestamp says how long before); cause.sig 0: none seen (origin GB_SIGNAL_UNSEEN) */
	struct gb_signal_info cause;
	/* the sender (origin PROCESS or SELF; for the kernel's origins, the task the kernel was running); its
	 * timestamp is when the signal was generated; ppid and gid are 0 */
	struct gb_event_proc sender;
	/* the process was its container's init: the container ended with it (after age_ns) */
	bool container_end;
};
typedef void (*gb_exit_fn)(void *cb_ctx, const struct gb_exit_event *ev);

struct gb_exit_opts {
	size_t sz;
	gb_exit_fn on_event;
	gb_lost_fn on_lost;
	void *cb_ctx;
	uint32_t pid;	      /* only this process (0: any) */
	bool threads;	      /* every thread's end, not only each process's */
	bool failed_only;     /* only ends by a non-zero code or a signal */
	size_t ringbuf_bytes; /* 0: 1 MiB */
};

/* Attach the exit tracer: an event when each process of the selected containers ends, with its cause. */
struct gb_tracer *gb_exit__open(struct gb_ctx *ctx, const struct gb_exit_opts *opts);

/* What became of a signal when it was generated (the kernel's signal_generate results), or of a kill()
 * that generated none. */
enum gb_signal_result {
	GB_SIGNAL_DELIVERED,	   /* queued to the target (blocked says whether it must wait) */
	GB_SIGNAL_IGNORED,	   /* ignored: its handler is SIG_IGN, the default ignores it, or the target is dying */
	GB_SIGNAL_ALREADY_PENDING, /* a standard signal pending already: merged */
	GB_SIGNAL_OVERFLOW,	   /* a real-time signal the queue had no room for */
	GB_SIGNAL_LOSE_INFO,	   /* queued without its siginfo */
	GB_SIGNAL_FAILED,	   /* a kill syscall failed (kill_ret) before any signal was generated */
};
/* "delivered", "ignored", "pending", "overflow", "lose-info", "failed" */
const char *gb_signal_result_name(enum gb_signal_result r);

struct gb_signal_event {
	/* the sender: the task that generated the signal (from_kernel: the task the kernel was running) */
	struct gb_event_proc proc;
	bool from_kernel;	     /* generated by the kernel (origin OOM, FAULT, SECCOMP, PIDNS, CHILD, ...) */
	struct gb_event_proc target; /* pid (0 for a failed kill()), tid, comm, mntns, container */
	struct gb_signal_info info;
	enum gb_signal_result result;
	/* sent from a kill syscall (kill_syscall not NULL: "kill", "tkill", "tgkill", "pidfd_send_signal",
	 * "rt_sigqueueinfo", "rt_tgsigqueueinfo"): the pid it was given (kill(): 0 or negative for a process
	 * group; pidfd_send_signal: the pidfd) and what it returned (0 or -errno) */
	const char *kill_syscall;
	int kill_pid, kill_ret;
};
typedef void (*gb_signal_fn)(void *cb_ctx, const struct gb_signal_event *ev);

struct gb_signal_opts {
	size_t sz;
	gb_signal_fn on_event;
	gb_lost_fn on_lost;
	void *cb_ctx;
	uint32_t pid;	      /* only signals sent by or to this process (0: any) */
	uint64_t signals;     /* bit N-1: only signal N (0: every signal) */
	bool failed_only;     /* only signals not delivered (ignored, pending already, ...) and failed kill syscalls */
	bool kill_only;	      /* only what the kill syscalls do (kill_syscall) */
	size_t ringbuf_bytes; /* 0: 1 MiB */
};

/* Attach the signal tracer: an event for every signal sent to or by a process of the selected containers. */
struct gb_tracer *gb_signal__open(struct gb_ctx *ctx, const struct gb_signal_opts *opts);

/* -- every tracer -- */

/* A snapshot tracer: iterate once and deliver every entry to the callback before returning (call it again for
 * a new snapshot). Returns the number delivered, or -EOPNOTSUPP for a streaming tracer. */
int gb_tracer__snapshot(struct gb_tracer *t);

/* Detach the programs and deliver what was already captured (a record-then-report tracer reports now).
 * Further calls do nothing. Returns 0 or a negative errno. */
int gb_tracer__stop(struct gb_tracer *t);
/* Stop if needed and free. Accepts NULL. */
void gb_tracer__free(struct gb_tracer *t);
/* Events lost so far. */
uint64_t gb_tracer__lost(const struct gb_tracer *t);
/* "exec", "open", ... */
const char *gb_tracer__name(const struct gb_tracer *t);

/* ---- decoding helpers ---- */

/* "ENOENT" for 2 or -2; an unknown value is written to @buf as "E<n>". */
const char *gb_errno_name(int err, char buf[16]);
/* "open", "openat", "openat2", "creat" */
const char *gb_open_syscall_name(enum gb_open_syscall s);
/* "SIGKILL" for 9, "SIGRTMIN+3" for 37; an unknown value is written to @buf as "SIG<n>". */
const char *gb_signal_name(int sig, char buf[16]);

#ifdef __cplusplus
}
#endif

#endif
