/*
 * Which container a process belongs to. This is the seam the container collection plugs into: today a
 * record carries the container id derived from the task's cgroup; the full table keyed by mount namespace
 * (runtime, names, image, Kubernetes metadata) fills the other members.
 */
#ifndef GADGETBOX_CONTAINER_H
#define GADGETBOX_CONTAINER_H

#include <stdint.h>

#include "../bpf/gadget.h"
#include "cgroup.h"

struct gb_container {
	char id[GB_CONTAINER_ID_LEN + 1];
	const char *runtime;   /* "docker", "containerd", … or "" */
	const char *name;      /* runtime container name */
	const char *image;
	const char *node;      /* Kubernetes node (set for Kubernetes containers) */
	const char *namespace_;
	const char *pod;
	const char *k8s_container;
};

/* The container of the process that produced @p, or NULL for a host process. */
const struct gb_container *gb_container_of(const struct gb_proc *p);

#endif
