/*
 * Registering containers before their first instruction runs. Engines start a container in two steps:
 * `runc create` (the init process waits in the container's namespaces) then `runc start`. A fanotify
 * permission mark on the runtime binaries makes every execution of runc/crun wait until we have read the
 * runtime state directories, so a new container is in the table (and in the in-kernel filter) before
 * `start` lets it run. Works without kprobes; needs CAP_SYS_ADMIN and CONFIG_FANOTIFY_ACCESS_PERMISSIONS.
 * Where fanotify is unavailable, a short-period rescan is the fallback, with a warning.
 */
#ifndef GADGETBOX_WATCH_H
#define GADGETBOX_WATCH_H

#include "loop.h"

/* @drain runs before each rescan (e.g. to consume events already in the ring buffer, so events of a
 * container that just exited are labelled before its mount namespace id can be reused). */
int gb_watch_start(struct gb_loop *loop, void (*drain)(void *ctx), void *ctx);
void gb_watch_stop(void);

#endif
