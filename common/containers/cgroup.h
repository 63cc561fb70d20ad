/* Container ids from cgroup paths (/proc/PID/cgroup). */
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

/* The mount point of the cgroup2 (unified) hierarchy in the text of /proc/PID/mountinfo, unescaped, into @out;
 * 0, or -1 if there is none (or it does not fit). */
int gb_cgroup2_mountpoint(const char *mountinfo, size_t len, char *out, size_t size);

#endif
