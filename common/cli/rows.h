/*
 * The rows of the streaming gadgets' events: each gadget's own fields (numbered from GBF_COUNT, after
 * event.h's) and its row writer, shared by its applet and by the agent, so an event reads the same wherever it
 * is written. A writer fills the common fields (gb_event_begin), then the gadget's, and ends the row.
 */
#ifndef GADGETBOX_ROWS_H
#define GADGETBOX_ROWS_H

#include <stdbool.h>
#include <stddef.h>

#include "gadgetbox.h"
#include "output.h"

struct gb_cli_rows {
	const char *gadget; /* "exec", "open", ...: the agent's --gadgets word and the "gadget" key of its rows */
	const struct out_field *fields;
	size_t nfields;
};

extern const struct gb_cli_rows gb_exec_rows, gb_open_rows, gb_exit_rows, gb_signal_rows, gb_tcp_rows, gb_bind_rows,
	gb_dns_rows, gb_seccomp_audit_rows;

/* @quote: columns wrap each argument in double quotes. */
void gb_exec_row(struct output *o, const struct gb_exec_event *e, bool quote);
void gb_open_row(struct output *o, const struct gb_open_event *e);
/* The decoded flags the open writer keeps for the next event: freed at the end. */
void gb_open_rows_free(void);
/* @threads: the "thread" key (whether a thread ended, not its process). */
void gb_exit_row(struct output *o, const struct gb_exit_event *e, bool threads);
void gb_signal_row(struct output *o, const struct gb_signal_event *e);
void gb_tcp_row(struct output *o, const struct gb_tcp_event *e);
void gb_bind_row(struct output *o, const struct gb_bind_event *e);
void gb_dns_row(struct output *o, const struct gb_dns_event *e);
void gb_seccomp_audit_row(struct output *o, const struct gb_seccomp_audit_event *e);
/* How seccomp-audit names an event's action ("errno(EPERM)", "kill_process") and syscall ("mkdir", else
 * "syscall_N"), in its rows and its summary. */
void gb_seccomp_audit_names(const struct gb_seccomp_audit_event *e, char action[40], char name[32]);

#endif
