/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Reading a process's memory counters (pssnap's RSS, an OOM victim's). Include after gadget.bpf.h. */
#ifndef GADGETBOX_MM_BPF_H
#define GADGETBOX_MM_BPF_H

/* Before 6.2 the mm's counters were atomics */
struct mm_rss_stat___old {
	atomic_long_t count[4];
} __attribute__((preserve_access_index));
struct mm_struct___old {
	struct mm_rss_stat___old rss_stat;
} __attribute__((preserve_access_index));

/* From 6.2 percpu counters; a flavor too, so that the objects compile against an older vmlinux.h (make arm64) */
struct percpu_counter___new {
	__s64 count;
} __attribute__((preserve_access_index));
struct mm_struct___new {
	struct percpu_counter___new rss_stat[4];
} __attribute__((preserve_access_index));

/* Resident pages as /proc/PID/status's VmRSS counts them: file + anon + shmem (MM_SWAPENTS, index 2, is not). */
static __always_inline __u64 gb_mm_rss_pages(struct mm_struct *mm)
{
	long file, anon, shmem;

	if (bpf_core_field_exists(struct mm_struct___old, rss_stat.count)) {
		struct mm_struct___old *old = (void *)mm;
		file = BPF_CORE_READ(old, rss_stat.count[0].counter);
		anon = BPF_CORE_READ(old, rss_stat.count[1].counter);
		shmem = BPF_CORE_READ(old, rss_stat.count[3].counter);
	} else { /* percpu counters: their central count, as get_mm_counter() reads them */
		struct mm_struct___new *m = (void *)mm;
		file = BPF_CORE_READ(m, rss_stat[0].count);
		anon = BPF_CORE_READ(m, rss_stat[1].count);
		shmem = BPF_CORE_READ(m, rss_stat[3].count);
	}
	long sum = (file > 0 ? file : 0) + (anon > 0 ? anon : 0) + (shmem > 0 ? shmem : 0);
	return (__u64)sum;
}

#endif
