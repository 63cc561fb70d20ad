// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * seccomp-advise, kernel side: one program on every syscall entry of the node (raw_tp/sys_enter). A task whose
 * mount namespace user space registered in sc_recs has the syscall's bit set and its count raised, in its
 * native or compat table; the first time a bit is set, the task's comm is kept. A container registered before
 * it ran starts in SC_WAITING: what its runtime does in there first (mounts, pivot_root, capabilities, the
 * seccomp filter itself) goes to a separate set, and recording starts with the execve of the container's
 * program, which the profile must allow. Cost: one hash lookup per syscall of the node, and an atomic add for recorded
 * ones.
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

SEC("raw_tp/sys_enter")
int BPF_PROG(sc_enter, struct pt_regs *regs, long id)
{
	struct task_struct *task = bpf_get_current_task_btf();
	/* loaded, not read (gb_task_mntns()): this runs for every syscall of the node, and the load's verifier
	 * cost (~2 ms, see gadget.bpf.h) is paid once */
	struct nsproxy *nsp = task->nsproxy;

	if (!nsp)
		return 0;
	__u64 mntns = nsp->mnt_ns->ns.inum;
	struct sc_rec *r = bpf_map_lookup_elem(&sc_recs, &mntns);
	if (!r)
		return 0;
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
