/* Container ids from cgroup paths, and cgroup paths from the cgroup ids that BPF programs record. */
#ifndef GADGETBOX_CGROUP_H
#define GADGETBOX_CGROUP_H

#include <stddef.h>
#include <stdint.h>

#define GB_CONTAINER_ID_LEN 64

/*
 * The container id in a cgroup path: the deepest component that is 64 hex digits, bare or wrapped the way a
 * runtime names it (docker-<id>.scope, cri-containerd-<id>.scope, crio-<id>.scope, libpod-<id>, …).
 * Writes it to @id (65 bytes) and returns 0, or returns -1 if the path names no container.
 */
int gb_cgroup_container_id(const char *path, size_t len, char *id);
/* The container id in the text of /proc/PID/cgroup (any hierarchy), or -1. */
int gb_cgroup_container_id_from_proc(const char *content, size_t len, char *id);
/* Path of the cgroup v2 directory with this id, relative to the cgroup2 root; -1 if unknown or gone. */
int gb_cgroup_path_by_id(uint64_t cgroup_id, char *path, size_t size);

#endif
