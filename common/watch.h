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

#include <pthread.h>

/*
 * Start watching. @drain runs before each rescan (to consume events already in the ring buffers, so events
 * of a container that just exited are labelled before its mount namespace id can be reused). Returns an
 * eventfd the event loop must watch and pass to gb_watch_wake() when readable, or -1 where fanotify is
 * unavailable (warned about: gb_watch_tick() then rescans often).
 */
int gb_watch_start(void (*drain)(void *ctx), void *ctx);
/* The eventfd returned by gb_watch_start() is readable: rescan and let the waiting runtime go on. */
void gb_watch_wake(void);
/* Once a second from the event loop: prune exited containers; a full /proc walk now and then. */
void gb_watch_tick(void);
void gb_watch_stop(void);
/* Start a thread of the library: it takes none of the process's signals (they stay the program's).
 * Returns 0 or an errno, as pthread_create. */
int gb_thread_start(pthread_t *thread, void *(*fn)(void *), void *arg);

#endif
