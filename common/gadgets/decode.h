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
#include "gadgetbox.h"
#include "strbuf.h"

/* The common part (container left NULL: the caller looks it up). */
void gb_decode_proc(const struct gb_proc *raw, struct gb_event_proc *p);
/* An exec record. @max_args bounds argv completed from the new program's argv area. Strings point into
 * @data or @scratch. Returns 0, or -EINVAL for a record shorter than its header. */
int gb_decode_exec(const void *data, size_t size, unsigned max_args, struct gb_exec_event *ev, struct strbuf *scratch);
/* An open record; @full_path: the tracer was asked for full paths (assembled in @scratch). */
int gb_decode_open(const void *data, size_t size, bool full_path, struct gb_open_event *ev, struct strbuf *scratch);
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
