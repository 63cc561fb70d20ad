/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The path of a (dentry, vfsmount) as a task sees it, like d_path(): walk the dentry chain up to the task's
 * root, crossing mount points through struct mount. Built backwards at the end of a scratch buffer, with
 * bpf_loop so the verifier checks the body once however deep the path is. Works without kprobes/fentry.
 */
#ifndef GADGETBOX_PATH_BPF_H
#define GADGETBOX_PATH_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#define GB_PATH_BUF	  8192 /* a power of 2: offsets are masked with GB_PATH_BUF - 1 */
#define GB_PATH_MAX_STEPS 2048

struct gb_path_scratch {
	char buf[GB_PATH_BUF + 256]; /* + the longest name, so a masked offset plus a name stays inside */
};

struct gb_path_walk {
	struct dentry *dentry;
	struct vfsmount *mnt;
	struct dentry *root_dentry;
	struct vfsmount *root_mnt;
	struct gb_path_scratch *s;
	__u32 pos; /* the path so far is s->buf[pos .. GB_PATH_BUF) */
	bool truncated;
	bool unreachable; /* hit the global root without meeting the task's root */
};

static __always_inline struct mount *gb_real_mount(struct vfsmount *mnt)
{
	return (struct mount *)((char *)mnt - bpf_core_field_offset(struct mount, mnt));
}

static long gb_path_step(__u32 i, struct gb_path_walk *w)
{
	struct dentry *d = w->dentry, *parent;
	struct vfsmount *mnt = w->mnt; /* a local: BPF_CORE_READ must not relocate our own struct */
	struct qstr name;

	if (d == w->root_dentry && mnt == w->root_mnt)
		return 1;
	parent = BPF_CORE_READ(d, d_parent);
	if (d == BPF_CORE_READ(mnt, mnt_root)) {
		struct mount *m = gb_real_mount(mnt);
		struct mount *up = BPF_CORE_READ(m, mnt_parent);
		if (m == up) { /* the root of the namespace, or a detached tree */
			w->unreachable = true;
			return 1;
		}
		w->dentry = BPF_CORE_READ(m, mnt_mountpoint);
		w->mnt = (struct vfsmount *)((char *)up + bpf_core_field_offset(struct mount, mnt));
		return 0;
	}
	if (d == parent) { /* a disconnected dentry */
		w->unreachable = true;
		return 1;
	}
	name = BPF_CORE_READ(d, d_name);
	__u32 len = name.len & 255;
	if (w->pos < len + 1) {
		w->truncated = true;
		return 1;
	}
	w->pos -= len;
	bpf_probe_read_kernel(&w->s->buf[w->pos & (GB_PATH_BUF - 1)], len, name.name);
	w->pos -= 1;
	w->s->buf[w->pos & (GB_PATH_BUF - 1)] = '/';
	w->dentry = parent;
	return 0;
}

/*
 * Build the path of @dentry/@mnt relative to the root @root_dentry/@root_mnt into @s; returns the start offset (the
 * path is s->buf[start .. GB_PATH_BUF)), or GB_PATH_BUF - 1 with "/" for the root itself.
 */
static __always_inline __u32 gb_path_build(struct gb_path_scratch *s, struct dentry *dentry, struct vfsmount *mnt,
					   struct dentry *root_dentry, struct vfsmount *root_mnt, bool *truncated,
					   bool *unreachable)
{
	struct gb_path_walk w = {
		.dentry = dentry,
		.mnt = mnt,
		.root_dentry = root_dentry,
		.root_mnt = root_mnt,
		.s = s,
		.pos = GB_PATH_BUF,
	};

	bpf_loop(GB_PATH_MAX_STEPS, gb_path_step, &w, 0);
	if (w.pos == GB_PATH_BUF) { /* the root itself */
		w.pos = GB_PATH_BUF - 1;
		s->buf[GB_PATH_BUF - 1] = '/';
	}
	*truncated = w.truncated;
	*unreachable = w.unreachable;
	return w.pos;
}

#endif
