/* The library's threads (the first container scan, the runtime watcher's reads). */
#ifndef GADGETBOX_THREAD_H
#define GADGETBOX_THREAD_H

#include <pthread.h>

/* Start a thread of the library: it takes none of the process's signals (they stay the program's).
 * Returns 0 or an errno, as pthread_create. */
int gb_thread_start(pthread_t *thread, void *(*fn)(void *), void *arg);

#endif
