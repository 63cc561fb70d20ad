/* Where each container runtime keeps what, and reading it into a struct gb_container. */
#ifndef GADGETBOX_RUNTIMES_H
#define GADGETBOX_RUNTIMES_H

#include <stdbool.h>
#include <stdint.h>

#include "gadgetbox.h"

/* Calls @fn for every container directory in the runtimes' OCI state roots. */
void gb_runtime_state_foreach(void (*fn)(void *ctx, const char *root, const char *id, const char *hint), void *ctx);
/*
 * Fill @c (id set) from the OCI state at @root/@id (if root is not NULL), its bundle's annotations and the
 * engine's files. Sets c->pid and c->pid_start from the state when known. Returns 0, or -1 if the state
 * says the container is not running. Problems with files are warned about once and skipped.
 */
int gb_runtime_describe(struct gb_container *c, const char *root, const char *runtime_hint);
/* Modification time (ns) of the engine's own file for this container (e.g. Docker's config.v2.json, which a
 * rename rewrites), or 0 where the engine keeps no per-container file. */
long long gb_runtime_meta_mtime(const struct gb_container *c);
/* Calls @fn for every container the engines keep on the node, running or not (Docker's container directories,
 * podman's and containerd's databases), with the runtime it belongs to. */
void gb_runtime_stored_foreach(void (*fn)(void *ctx, const char *id, const char *runtime), void *ctx);
/* Release what the engines' databases were mapped into (the table is freed). */
void gb_runtime_free(void);
/* RFC 3339 time to ns since the epoch (0: not one, or before 1970). */
uint64_t gb_parse_rfc3339(const char *s);
/* Guess the runtime from how a cgroup path wraps the id (docker-, crio-, libpod-, cri-containerd-). */
const char *gb_runtime_from_cgroup(const char *cgroup_path);

/* Paths where OCI runtime binaries are installed (NULL-terminated): executions of these are watched. */
extern const char *const gb_runtime_binaries[];

#endif
