/*
 * libgadgetbox in a program's own epoll loop: two tracers (exec and open) on one context, a container
 * subscription, and a timer of the program's own. Prints one line per happening and exits after argv[1]
 * seconds. Used by tests/integration/test_library.py.
 */
#include <gadgetbox.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

static const char *name_of(const struct gb_container *c)
{
	return c ? c->name : "-";
}

static void on_exec(void *cb_ctx, const struct gb_exec_event *e)
{
	(void)cb_ctx;
	printf("exec %s %u %s ret=%d argc=%u\n", name_of(e->proc.container), e->proc.pid, e->proc.comm, e->ret,
	       e->argc);
}

static void on_open(void *cb_ctx, const struct gb_open_event *e)
{
	(void)cb_ctx;
	printf("open %s %u %.*s ret=%d\n", name_of(e->proc.container), e->proc.pid, (int)e->path_len, e->path, e->ret);
}

static void on_container(void *cb_ctx, enum gb_container_event ev, const struct gb_container *c)
{
	static const char *const what[] = {"EXISTING", "ADDED", "REMOVED"};

	(void)cb_ctx;
	printf("%s %s %s %s\n", what[ev], c->runtime, c->name, c->id);
}

static void on_log(enum gb_log_level level, const char *msg, void *unused)
{
	(void)unused;
	if (level <= GB_LOG_WARN)
		fprintf(stderr, "own_loop: %s\n", msg);
}

int main(int argc, char **argv)
{
	int seconds = argc > 1 ? atoi(argv[1]) : 10;
	struct gb_tracer *exec = NULL, *open = NULL;
	struct gb_ctx *ctx;
	int rc = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	gb_set_log(on_log, NULL);
	struct gb_container_filter filter = {.names = argc > 2 ? argv[2] : NULL};
	GB_OPTS(gb_ctx_opts, co, .filter = &filter);
	if (!(ctx = gb_ctx__new(&co)))
		return 1;
	GB_OPTS(gb_exec_opts, eo, .on_event = on_exec, .failed = true);
	GB_OPTS(gb_open_opts, oo, .on_event = on_open, .prefixes = "/etc/");
	int sub = gb_ctx__subscribe(ctx, on_container, NULL, GB_SUB_EXISTING);
	if (sub < 0 || !(exec = gb_exec__open(ctx, &eo)) || !(open = gb_open__open(ctx, &oo)))
		goto out;

	int ep = epoll_create1(0), tfd = timerfd_create(CLOCK_MONOTONIC, 0);
	struct itimerspec its = {.it_value.tv_sec = seconds};
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = gb_ctx__fd(ctx)};
	timerfd_settime(tfd, 0, &its, NULL);
	epoll_ctl(ep, EPOLL_CTL_ADD, gb_ctx__fd(ctx), &ev);
	ev.data.fd = tfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
	printf("ready\n");
	for (bool done = false; !done;) {
		struct epoll_event evs[2];
		int n = epoll_wait(ep, evs, 2, -1);
		for (int i = 0; i < n; i++) {
			if (evs[i].data.fd == tfd)
				done = true;
			else if (gb_ctx__poll(ctx, 0) < 0)
				done = true;
		}
	}
	gb_tracer__stop(exec); /* deliver what is left */
	gb_tracer__stop(open);
	printf("lost exec=%llu open=%llu\n", (unsigned long long)gb_tracer__lost(exec),
	       (unsigned long long)gb_tracer__lost(open));
	close(tfd);
	close(ep);
	rc = 0;
out:
	gb_tracer__free(exec);
	gb_tracer__free(open);
	gb_ctx__unsubscribe(ctx, sub);
	gb_ctx__free(ctx);
	return rc;
}
