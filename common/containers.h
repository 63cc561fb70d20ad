/*
 * The node's containers, read from the node itself: a table keyed by mount namespace (also reachable by
 * container id), filled from the OCI runtimes' state directories, /proc, bundle annotations and the engines'
 * own files (runtimes.c says where each runtime keeps what). No runtime API is needed.
 */
#ifndef GADGETBOX_CONTAINERS_H
#define GADGETBOX_CONTAINERS_H

#include <stdbool.h>
#include <stdint.h>

#define GB_ID_MAX 128

struct gb_container {
	char id[GB_ID_MAX + 1];
	const char *runtime; /* "docker", "containerd", "cri-o", "podman", "runc", "crun" */
	char *name;          /* the runtime's container name ("" if none) */
	char *image;
	char *k8s_namespace; /* Kubernetes fields: "" outside pods */
	char *k8s_pod;
	char *k8s_pod_uid;
	char *k8s_container;
	char *cgroup_path;
	uint32_t pid;       /* init process */
	uint64_t pid_start; /* its start time in clock ticks after boot, to tell a reused pid */
	uint64_t mntns;
	uint64_t netns;
	bool sandbox;  /* pod infrastructure (pause): known, never shown */
	bool selected; /* passes the container filters */
	bool from_proc; /* found through /proc before its runtime state: described again once that appears */
	char *sandbox_id; /* the pod sandbox this container belongs to (from annotations), "" if none */
	long long meta_mtime; /* of the engine's per-container file, to notice a rename */
};

/* Called when a container is registered or forgotten (e.g. to update the in-kernel filter, or --watch). */
struct gb_container_hooks {
	void (*added)(void *ctx, const struct gb_container *c);
	void (*removed)(void *ctx, const struct gb_container *c);
	void *ctx;
};

/* Filters from the command line (comma lists; "!x" excludes x). NULL: no filter. */
struct gb_container_filter {
	const char *names;
	const char *k8s_namespaces;
	const char *k8s_pods;
	const char *k8s_containers;
	const char *runtimes;
	bool host; /* include host processes */
};

extern const char *gb_node_name;

/* Host root, node name and a first scan. Returns 0 or -1 after printing why. */
int gb_containers_init(const struct gb_container_filter *filter);
/* Install the hooks; @replay calls added() for the containers already known (e.g. to fill a map). */
void gb_containers_set_hooks(const struct gb_container_hooks *hooks, bool replay);
enum gb_refresh {
	GB_REFRESH_FULL = 1 << 0,  /* also walk /proc for containers of runtimes whose state we do not know */
	GB_REFRESH_PRUNE = 1 << 1, /* forget containers whose init is gone: only once their events are read */
};

/* Re-read what changed: new containers in the runtimes' state directories, metadata that changed. */
void gb_containers_refresh(unsigned how);
/* The init process of a container exited (from the kernel, in order with events). */
void gb_containers_exited(uint32_t pid, uint64_t mntns);
const struct gb_container *gb_container_by_mntns(uint64_t mntns);
/* For an event: by mount namespace, rescanning (at most once a second) for one never seen before. */
const struct gb_container *gb_container_lookup(uint64_t mntns);
/* Whether an event of this container (NULL: a host process) passes the filters. */
bool gb_container_visible(const struct gb_container *c);
/* Iterate: returns the i-th container or NULL past the end. */
const struct gb_container *gb_container_at(unsigned i);
/* A short display name: namespace/pod/container for Kubernetes, else the name, else the short id. */
const char *gb_container_display(const struct gb_container *c, char *buf, unsigned size);
/* Whether a comma list with "!" exclusions matches @value (NULL list matches everything). */
bool gb_list_matches(const char *list, const char *value);

#endif
