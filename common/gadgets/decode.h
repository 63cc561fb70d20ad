/*
 * Raw ring-buffer records (the structs of bpf/NAME.h) into the typed events of gadgetbox.h. Pure functions of their
 * input: no libbpf, no kernel, so the unit tests and fuzzers feed them synthetic records. A record too short for its
 * header is refused; every length inside it is bounded by the record's size.
 */
#ifndef GADGETBOX_DECODE_H
#define GADGETBOX_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "bpf/gadget.h"
#include "bpf/sigcause.h"
#include "gadgetbox.h"
#include "strbuf.h"

/* The common part (container left NULL: the caller looks it up). */
void gb_decode_proc(const struct gb_proc *raw, struct gb_event_proc *p);
/* An exec record. @max_args bounds argv completed from the new program's argv area. Strings point into
 * @data or @scratch. Returns 0, or -EINVAL for a record shorter than its header. */
int gb_decode_exec(const void *data, size_t size, unsigned max_args, struct gb_exec_event *ev, struct strbuf *scratch);
/* An open record; @full_path: the tracer was asked for full paths (assembled in @scratch). */
int gb_decode_open(const void *data, size_t size, bool full_path, struct gb_open_event *ev, struct strbuf *scratch);
/* Signals as exitsnoop and sigsnoop record them (bpf/sigcause.h): where one with facts @f came from, sent by
 * process @sender_pid to process @target_pid, and the facts decoded into @info. */
enum gb_signal_origin gb_signal_origin_of(const struct gb_sig_facts *f, uint32_t sender_pid, uint32_t target_pid);
void gb_decode_sig_facts(const struct gb_sig_facts *f, uint32_t sender_pid, uint32_t target_pid,
			 struct gb_signal_info *info);
/* A NUL-terminated copy of a kernel comm. */
void gb_decode_comm(char dst[16], const char src[GB_COMM_LEN]);
/* An exit record (containers left NULL, container_end false: the tracer looks them up); -EINVAL if short. */
int gb_decode_exit(const void *data, size_t size, struct gb_exit_event *ev);
/* A signal record (containers left NULL); -EINVAL if short. */
int gb_decode_signal(const void *data, size_t size, struct gb_signal_event *ev);

/* A seccomp-audit record (bpf/seccomp_audit.h): all but the syscall's name and the first mark. 0 or -EINVAL. */
int gb_decode_seccomp_audit(const void *data, size_t size, struct gb_seccomp_audit_event *ev);

/* The kernel's audit record of a seccomp action (type 1326), as one read of /dev/kmsg gives it:
 * "PRI,SEQ,USEC,FLAGS;audit: type=1326 audit(SEC.MS:N): ... pid=.. comm=.. exe=.. sig=.. arch=.. syscall=..
 * compat=.. ip=.. code=0x..". */
struct gb_audit_seccomp {
	uint64_t time_ns; /* since the epoch, to the millisecond (0: not given) */
	uint32_t pid;	  /* the process (tgid), in the host's pid namespace */
	uint32_t uid, gid;
	char comm[16];
	char exe[256];
	int sig;
	uint32_t arch; /* AUDIT_ARCH_* (0xc000003e x86-64, 0x40000003 i386) */
	uint32_t syscall;
	bool compat;
	uint32_t code; /* the filter's return value: action (SECCOMP_RET_ACTION_FULL) and data */
};
/* 0 for a seccomp audit record with at least pid, syscall and code; -EINVAL for any other. */
int gb_parse_audit_seccomp(const char *rec, size_t size, struct gb_audit_seccomp *out);
/* A bind record: the sockaddr decoded as its family says; sockaddr and path point into @data; holders and
 * bound_dev are the tracer's to fill. Returns 0, or -EINVAL for a record of another size. */
int gb_decode_bind(const void *data, size_t size, struct gb_bind_event *ev);
/* A TCP record (bpf/tcptracer.h). Returns 0, or -EINVAL for a record of another size or an unknown type. */
int gb_decode_tcp(const void *data, size_t size, struct gb_tcp_event *ev);

/* The length of the pssnap record (bpf/pssnap.h) at @data: 0 if @avail bytes do not hold it whole yet,
 * -EINVAL for one that is no pssnap record. */
long gb_ps_record_len(const void *data, size_t avail);
/* A pssnap task record of @size bytes (gb_ps_record_len); args point into @data; the snapshot's time
 * (proc.timestamp) is the caller's to set. Returns 0 or -EINVAL. */
int gb_decode_ps(const void *data, size_t size, struct gb_proc_entry *ev);
/* The letter ps shows for a task's state (task->__state, task->exit_state). */
char gb_task_state_letter(unsigned state, unsigned exit_state);

#endif
