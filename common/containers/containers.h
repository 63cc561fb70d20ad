/*
 * The node's containers, read from the node itself: a table keyed by mount namespace (also reachable by
 * container id), filled from the OCI runtimes' state directories, /proc, bundle annotations and the engines'
 * own files (runtimes.c says where each runtime keeps what). No runtime API is needed.
 */
#ifndef GADGETBOX_CONTAINERS_H
#define GADGETBOX_CONTAINERS_H

#include <stdbool.h>
#include <stdint.h>

#include "gadgetbox.h"

/* A record of the table: the public part (gadgetbox.h) first, so a struct gb_container * of the table is one
 * of these; then what only the library reads. */
struct gb_container_rec {
	struct gb_container pub;
	bool from_proc;	      /* found through /proc before its runtime state: described again once that appears */
	bool ended;	      /* known from an event only: its init had ended before its state was read */
	uint64_t cgroup_id;   /* of cgroup_path, once looked up (UINT64_MAX: not found) */
	long long meta_mtime; /* of the engine's per-container file, to notice a rename */
};
/* The record of a container of the table (never of a copy the caller made). */
static inline struct gb_container_rec *gb_rec(const struct gb_container *c)
{
	return (struct gb_container_rec *)c;
}

/* Told when a container is registered or forgotten (the tracers' in-kernel filters, --watch, a library
 * user's subscription). */
struct gb_container_hooks {
	void (*added)(void *ctx, const struct gb_container *c);
	void (*removed)(void *ctx, const struct gb_container *c);
	/* A mount namespace that is no container (@add; @uid its never-reused id, or 0), or no longer known as
	 * one (!@add). May be NULL. */
	void (*other_ns)(void *ctx, uint64_t mntns, uint64_t uid, bool add);
	void *ctx;
};

/* Host root, node name and a first scan. Returns 0 or -1 after logging why. */
int gb_containers_init(const struct gb_container_filter *filter);
/* The same without the first scan (gb_containers_refresh(GB_REFRESH_FULL | GB_REFRESH_PRUNE) does it). */
int gb_containers_open(const struct gb_container_filter *filter);
/* Add a subscriber (any number); @replay calls added() for the containers already known (e.g. to fill a map).
 * Returns its id, or -ENOMEM. */
int gb_containers_subscribe(const struct gb_container_hooks *hooks, bool replay);
void gb_containers_unsubscribe(int id);
/* Forget every container and subscriber (the context is freed). */
void gb_containers_free(void);
enum gb_refresh {
	GB_REFRESH_FULL = 1 << 0,  /* also walk /proc for containers of runtimes whose state we do not know */
	GB_REFRESH_PRUNE = 1 << 1, /* forget containers whose init is gone: only once their events are read */
};

/* Re-read what changed: new containers in the runtimes' state directories, metadata that changed. */
void gb_containers_refresh(unsigned how);
/* The init process of a container exited (from the kernel, in order with events). */
void gb_containers_exited(uint32_t pid, uint64_t mntns);
const struct gb_container *gb_container_by_mntns(uint64_t mntns);
/* By inode and never-reused id (either 0: by inode alone). After a container ends, its namespace's inode may
 * be a new container's before the old record leaves (its last events are still to be read): both are here. */
const struct gb_container *gb_container_by_ns(uint64_t mntns, uint64_t uid);

/* What the mount namespace of an event is (gb_ns_resolve). */
enum gb_ns_kind {
	GB_NS_CONTAINER,    /* a container of the table (*out) */
	GB_NS_HOST,	    /* the host, or a namespace that is no container (or one of a container that ended) */
	GB_NS_PENDING,	    /* not known yet, maybe a container being started: hold its events and ask again */
	GB_NS_UNIDENTIFIED, /* held as long as allowed; nothing identified it (its processes had ended) */
};
/*
 * The mount namespace @mntns of an event made by @pid: from the table, else identified from the runtimes'
 * new state directories and /proc/@pid (at most every few ms per namespace, @final: now, and no more
 * holding). Never waits: a namespace nothing identifies stays GB_NS_PENDING for at most half a second.
 */
enum gb_ns_kind gb_ns_resolve(uint64_t mntns, uint64_t uid, uint32_t pid, bool final, const struct gb_container **out);
/* A namespace the kernel's filter did not know was made, or a process of it exec'd (the watcher): identify it
 * now, and (gb_ns_poll) again while its runtime may still be writing its state. @cgroup is the process's cgroup
 * path as the kernel told it (its last few components; "" if not known), @exec whether told at an exec (else a
 * fork or unshare): the last resort for a container whose process and state are gone before they were read. */
void gb_ns_exec(uint64_t mntns, uint64_t uid, uint32_t pid, const char *cgroup, bool exec);
/* Identify again the namespaces younger than the hold that nothing identified yet. Returns whether any is
 * still waiting (then call it again in a few ms). */
bool gb_ns_poll(void);
/* Once a second: namespaces that stayed outside containers are told to the hooks (other_ns). */
void gb_containers_tick(void);
/* The host's mount namespace inode (0 if unknown). */
uint64_t gb_host_mntns(void);
/* The never-reused id of /proc/@pid/ns/mnt (Linux 6.9+), or 0. */
uint64_t gb_mntns_uid(uint32_t pid);
/* Whether an event of this container (NULL: a host process) passes the filters. */
bool gb_container_visible(const struct gb_container *c);
/* By full id (a pod's sandbox from sandbox_id), or NULL. */
const struct gb_container *gb_container_by_id(const char *id);
/* Read the host's /proc/PID/FILE (e.g. "comm") into @buf, NUL-terminated: its length, or -1. */
long gb_proc_read(uint32_t pid, const char *file, char *buf, size_t size);
/* Open the host's /proc/PID/ns/NS (e.g. "net"): an fd, or a negative errno. */
int gb_proc_open_ns(uint32_t pid, const char *ns);
/* The host's cgroup2 hierarchy (an fd kept open by the table), or -1. */
int gb_cgroup2_root(void);
/* The container whose init's cgroup (unified hierarchy) has this id (an inode there), or NULL. */
const struct gb_container *gb_container_by_cgroup(uint64_t cgroup_id);
/* The inode of the host's network namespace (0 if unknown). */
uint64_t gb_host_netns(void);
/* The containers the engines keep that run no more (exited, created), described from their files, for
 * listing only; @fn's record is freed after it returns. Returns how many. */
int gb_containers_foreach_exited(void (*fn)(void *ctx, const struct gb_container *c), void *ctx);
/* Iterate: returns the i-th container or NULL past the end. */
const struct gb_container *gb_container_at(unsigned i);
/* Whether a comma list of names or shell patterns (fnmatch(3)), with "!" exclusions, matches @value (NULL list
 * matches everything). */
bool gb_list_matches(const char *list, const char *value);
/* gb_ctx__unmatched_names() over the table as it is. */
int gb_containers_unmatched(gb_unmatched_fn fn, void *cb_ctx);

#endif
