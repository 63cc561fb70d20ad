/*
 * The fields every event carries (who, when, which container), filled into an output row from the
 * struct gb_event_proc at the head of each library event. Applets number their own fields from GBF_COUNT on.
 */
#ifndef GADGETBOX_EVENT_H
#define GADGETBOX_EVENT_H

#include <stdbool.h>
#include <stdint.h>

#include "gadgetbox.h"
#include "output.h"

enum gb_field {
	GBF_TIME,      /* HH:MM:SS, columns only */
	GBF_ELAPSED,   /* seconds since start, columns only */
	GBF_CONTAINER, /* short display name, columns only */
	GBF_GADGET,    /* the agent's: which gadget an event is of (output_set_tag) */
	GBF_TIMESTAMP,
	GBF_MNTNS,
	GBF_PID,
	GBF_TID,
	GBF_PPID,
	GBF_UID,
	GBF_GID,
	GBF_COMM,
	GBF_RUNTIME_NAME,
	GBF_CONTAINER_ID,
	GBF_CONTAINER_NAME,
	GBF_IMAGE,
	GBF_K8S_NODE,
	GBF_K8S_NAMESPACE,
	GBF_K8S_POD,
	GBF_K8S_CONTAINER,
	GBF_COUNT
};

extern const struct out_field gb_event_fields[GBF_COUNT];

/*
 * An applet's output: the common fields, then the applet's (numbered from GBF_COUNT), --output, --fields,
 * --filter (container terms also narrow the context's container filter: call it before the context is made),
 * --sort and --max-entries. NULL after a one-line usage error.
 */
struct output *gb_output_setup(const struct out_field *own, size_t nown, const char *default_cols);

/* Columns: the CONTAINER column as wide as the longest name of the containers known now (before the header). */
void gb_output_size_containers(struct output *o, struct gb_ctx *ctx);
/* Fill the runtime/k8s fields (and the "container" column) of the current row from @c (NULL: host). */
void gb_event_container(struct output *o, const struct gb_container *c);

/* k8s.node on every event, host processes' and containers' outside pods too (the agent: its lines are read
 * from a whole fleet's logs); else only pods' events carry it. */
void gb_event_node_always(bool on);

/* Start a row and fill the common fields of an event from @p, with its container (and "gadget": the output's
 * tag, if it has one). */
void gb_event_begin(struct output *o, const struct gb_event_proc *p);

/* The head of an entry of a per-container table (a summary's): the container's full id ("" for host processes)
 * and its display name, kept after the container record goes. */
struct gb_cli_per_container {
	char id[GB_CONTAINER_ID_MAX + 1];
	char display[300];
};
/* The entry of @c (NULL: the host, shown as @host_name) in the array *@v of *@n entries of @size bytes, each
 * starting with a struct gb_cli_per_container: found by id, or added zeroed at the end (the array grows). */
void *gb_cli_entry_of(void **v, size_t *n, size_t *cap, size_t size, const struct gb_container *c,
		      const char *host_name);

#endif
