#include "watch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/fanotify.h>
#include <unistd.h>

#include "cli.h"
#include "containers.h"
#include "hostroot.h"
#include "runtimes.h"

static int fan_fd = -1;
static void (*drain_fn)(void *ctx);
static void *drain_ctx;
static unsigned fallback_ticks;

static void rescan(void)
{
	if (drain_fn)
		drain_fn(drain_ctx);
	gb_containers_refresh(false);
}

static int on_fanotify(void *ctx, uint32_t events)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct fanotify_event_metadata))));
	(void)ctx;
	(void)events;

	for (;;) {
		ssize_t len = read(fan_fd, buf, sizeof(buf));
		if (len < 0 && errno == EINTR)
			continue;
		if (len <= 0)
			return 0;
		bool scanned = false;
		for (struct fanotify_event_metadata *m = (void *)buf; FAN_EVENT_OK(m, len); m = FAN_EVENT_NEXT(m, len)) {
			if (m->vers != FANOTIFY_METADATA_VERSION)
				continue;
			if (m->mask & FAN_OPEN_EXEC_PERM) {
				/* the runtime waits until we answer: register what it created, then let it run */
				if (!scanned)
					rescan(), scanned = true;
				struct fanotify_response r = {.fd = m->fd, .response = FAN_ALLOW};
				if (write(fan_fd, &r, sizeof(r)) < 0)
					gb_warn_once("cannot answer a fanotify permission event: %s", strerror(errno));
			}
			if (m->fd >= 0)
				close(m->fd);
		}
	}
}

/* Without fanotify: rescan every tick (1 s) and hope; at least containers are labelled. */
static void fallback_tick(void *ctx)
{
	(void)ctx;
	fallback_ticks++;
	rescan();
}

/* With fanotify, still look for exited containers and unknown runtimes now and then. */
static void slow_tick(void *ctx)
{
	(void)ctx;
	if (++fallback_ticks % 5 == 0)
		gb_containers_refresh(fallback_ticks % 30 == 0);
	else
		gb_containers_refresh(false);
}

int gb_watch_start(struct gb_loop *loop, void (*drain)(void *ctx), void *ctx)
{
	int marked = 0, err = 0;

	drain_fn = drain;
	drain_ctx = ctx;
	fan_fd = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK, O_RDONLY | O_LARGEFILE | O_CLOEXEC);
	if (fan_fd < 0)
		err = errno;
	for (int i = 0; fan_fd >= 0 && gb_runtime_binaries[i]; i++) {
		int bin = gb_host_open(gb_runtime_binaries[i], O_RDONLY);
		if (bin < 0)
			continue;
		if (fanotify_mark(fan_fd, FAN_MARK_ADD, FAN_OPEN_EXEC_PERM, bin, NULL) == 0)
			marked++;
		else
			err = errno;
		close(bin);
	}
	if (fan_fd >= 0 && marked && gb_loop_add_fd(loop, fan_fd, on_fanotify, NULL) == 0) {
		gb_loop_add_tick(loop, slow_tick, NULL);
		return 0;
	}
	if (fan_fd >= 0)
		close(fan_fd);
	fan_fd = -1;
	if (err)
		gb_warn_once("cannot watch container runtimes with fanotify (%s): new containers are found by "
			     "polling and may lose their first events",
			     strerror(err));
	gb_loop_add_tick(loop, fallback_tick, NULL);
	return 0;
}

void gb_watch_stop(void)
{
	if (fan_fd >= 0)
		close(fan_fd); /* pending permission events are allowed by the kernel */
	fan_fd = -1;
}
