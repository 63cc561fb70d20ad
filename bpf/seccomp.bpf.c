// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * seccomp-advise, kernel side: one program on every syscall entry of the node (raw_tp/sys_enter). A task whose
 * mount namespace with a record in sc_recs has the syscall's bit set and its count raised, in its native or
 * compat table; the first time a bit is set, the task's comm is kept. User space makes the records of the
 * containers it knows; a namespace the container filter does not know yet (a container that started a moment
 * ago: no runtime waits for gadgetbox) gets one here, at its first syscall, in SC_WAITING: what its runtime
 * does in there first (mounts, pivot_root, capabilities, the seccomp filter itself) goes to a separate set,
 * and recording starts with the execve of the container's program, which the profile must allow. User space
 * adopts the record once it knows the container, or drops it. Cost: one hash lookup per syscall of the node
 * (the filter's), two for recorded ones, and an atomic add.
 */
#include "gadget.bpf.h"
#include "seccomp.h"

/* execve and execveat, native and compat numbers (set by user space from the syscall tables) */
const volatile __u32 nr_execve = 59, nr_execveat = 322, nr_execve32 = 11, nr_execveat32 = 358;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SC_MAX_CONTAINERS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct sc_rec);
} sc_recs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct sc_first_key);
	__type(value, char[GB_COMM_LEN]);
} sc_first SEC(".maps");

/* an empty record to start one from (too big for the stack) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sc_rec);
} sc_blank SEC(".maps");

/* A record for a namespace first seen now (or the one another CPU made a moment ago): in SC_WAITING for one the
 * filter does not know (a new container, maybe), recording at once for a known one not given a record yet. */
static __always_inline struct sc_rec *new_rec(__u64 mntns, __u64 uid, bool known)
{
	__u32 zero = 0;
	struct sc_rec *blank = bpf_map_lookup_elem(&sc_blank, &zero), *r;

	if (!blank)
		return NULL;
	bpf_map_update_elem(&sc_recs, &mntns, blank, BPF_NOEXIST);
	r = bpf_map_lookup_elem(&sc_recs, &mntns);
	if (r && !r->pid) {
		r->ns_uid = uid;
		r->pid = bpf_get_current_pid_tgid() >> 32;
		if (known)
			r->state = SC_RECORDING;
	}
	return r;
}

SEC("raw_tp/sys_enter")
int BPF_PROG(sc_enter, struct pt_regs *regs, long id)
{
	struct task_struct *task = bpf_get_current_task_btf();
	/* loaded, not read (as gb_task_mnt() does): this runs for every syscall of the node, and the load's verifier
	 * cost (~2 ms, see gadget.bpf.h) is paid once */
	struct nsproxy *nsp = task->nsproxy;

	if (!nsp)
		return 0;
	struct mnt_namespace *mnt = nsp->mnt_ns;
	__u64 mntns = mnt->ns.inum;
	__u32 verdict = gb_ns_verdict(mnt, mntns);
	if (verdict == GB_NS_DROP) /* the host, and what the filters leave out */
		return 0;
	struct sc_rec *r = bpf_map_lookup_elem(&sc_recs, &mntns);
	__u64 uid = gb_mnt_uid(mnt);
	if (r && r->ns_uid && uid && r->ns_uid != uid)
		return 0; /* the record of a namespace that had this inode and ended: user space still has to read it */
	if (r && !r->ns_uid)
		r->ns_uid = uid; /* made by user space where it could not tell the id (before Linux 6.9): bind it */
	if (!r && (!gb_state.armed || !(r = new_rec(mntns, uid, verdict == GB_NS_PASS))))
		return 0; /* before the first scan is in the filter, every namespace looks new */
	bool compat = gb_in_ia32_syscall();
	__u32 nr = (__u32)id;
	if (r->state == SC_WAITING) {
		if (compat ? nr != nr_execve32 && nr != nr_execveat32 : nr != nr_execve && nr != nr_execveat) {
			/* the runtime's setup: kept apart (user space keeps what a runtime makes after its filter) */
			if (!compat && nr < SC_MAX) {
				barrier_var(nr);
				nr &= SC_MAX - 1;
				__u64 bit = 1ull << (nr & 63);
				if (!(r->setup[nr / 64] & bit))
					__sync_fetch_and_or(&r->setup[nr / 64], bit);
			}
			return 0;
		}
		r->state = SC_RECORDING;
	}
	if (nr >= SC_MAX)
		return 0;
	barrier_var(nr);
	nr &= SC_MAX - 1;	 /* for the verifier: the check above, on the register it indexes with */
	if (!r->first_boot_ns) { /* its first recorded syscall: the program's seccomp mode */
		r->first_boot_ns = bpf_ktime_get_boot_ns();
		r->seccomp_mode = BPF_CORE_READ(task, seccomp.mode);
	}
	__u64 bit = 1ull << (nr & 63);
	__u64 *w = compat ? &r->seen32[nr / 64] : &r->seen[nr / 64];
	if (!(*w & bit) && !(__sync_fetch_and_or(w, bit) & bit)) {
		struct sc_first_key k = {.mntns = mntns, .nr = nr, .compat = compat};
		char comm[GB_COMM_LEN];
		bpf_get_current_comm(comm, sizeof(comm));
		bpf_map_update_elem(&sc_first, &k, comm, BPF_NOEXIST);
	}
	__sync_fetch_and_add(compat ? &r->count32[nr] : &r->count[nr], 1);
	return 0;
}
