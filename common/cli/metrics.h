/*
 * Prometheus metrics of the events the command line delivers (--metrics ADDR on the agent and every streaming
 * applet): counters and histograms per container, labelled namespace, pod and container (the runtime's name
 * outside pods), served in the text exposition format at /metrics by libmicrohttpd from its own thread.
 *
 * The registry lives here, in the command line, not in the library: it counts what the applet's own filters
 * let through and names its series after the applets' fields, and the library already hands every event to
 * its caller, who can count as it likes. The event loop's thread counts (gb_metrics_exec() ...: a short lock,
 * taken by a scrape only to copy the tables), so a scrape, a slow client or a malformed request never holds
 * the reader of the ring buffers. Memory is bounded: at most GB_METRICS_MAX_SERIES containers and
 * GB_METRICS_MAX_COUNTERS labelled counters (what does not fit is counted in gadgetbox_metrics_dropped_total);
 * a container's series go --metrics-retention after it left the table.
 */
#ifndef GADGETBOX_METRICS_H
#define GADGETBOX_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "gadgetbox.h"

#define GB_METRICS_MAX_SERIES	     2048
#define GB_METRICS_MAX_COUNTERS	     32768
#define GB_METRICS_DEFAULT_RETENTION 300.0

/* a parsed --metrics address (metrics_addr.c) */
struct gb_metrics_addr {
	struct sockaddr_storage sa;
	char text[128];
};

/* --metrics ADDR: "IP:PORT", "[IPv6]:PORT" or ":PORT" (every address of the node); 0, or -1 if it is none. */
int gb_metrics_parse_addr(const char *arg, struct gb_metrics_addr **out);
/* The address as given, for messages. */
const char *gb_metrics_addr_text(const struct gb_metrics_addr *a);

/* Start serving at @a (NULL: do nothing), series kept @retention_s after their container went (0: the
 * default), gadgetbox_build_info naming @applet: 0, or -1 with errno (the port is taken ...). */
int gb_metrics_start(const struct gb_metrics_addr *a, double retention_s, const char *applet);
/* Stop serving and free the registry (nothing if not started). */
void gb_metrics_stop(void);
bool gb_metrics_on(void);

/* A tracer whose lost events gadgetbox_events_lost_total{gadget} reports (read at each gb_metrics_sweep()). */
void gb_metrics_tracer(const char *gadget, struct gb_tracer *t);
/* Every second or so, on the event loop's thread: the containers per runtime, the tracers' lost events, and
 * the series of containers gone longer than the retention dropped. */
void gb_metrics_sweep(struct gb_ctx *ctx);

/* Count one event (nothing when metrics are off); on the event loop's thread, from the event callbacks. */
void gb_metrics_exec(const struct gb_exec_event *e);
void gb_metrics_open(const struct gb_open_event *e);
void gb_metrics_exit(const struct gb_exit_event *e);
void gb_metrics_signal(const struct gb_signal_event *e);
void gb_metrics_tcp(const struct gb_tcp_event *e);
void gb_metrics_bind(const struct gb_bind_event *e);
void gb_metrics_dns(const struct gb_dns_event *e);
void gb_metrics_seccomp_audit(const struct gb_seccomp_audit_event *e);

/* The exposition text of the registry now (what /metrics answers), appended to @sb: for tests. */
struct strbuf;
void gb_metrics_render(struct strbuf *sb);

#endif
