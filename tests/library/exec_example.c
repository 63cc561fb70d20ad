/* Print every exec in the node's containers, with libgadgetbox. Build:
 *   musl-gcc -static -o exec_example exec_example.c $(pkg-config --static --cflags --libs gadgetbox) */
#include <gadgetbox.h>
#include <signal.h>
#include <stdio.h>

static struct gb_ctx *ctx;

static void on_exec(void *cb_ctx, const struct gb_exec_event *e)
{
	const struct gb_container *c = e->proc.container; /* host processes are left out by default */

	(void)cb_ctx;
	printf("A new \"%s\" process with pid %u was executed in container %s", e->proc.comm, e->proc.pid, c->name);
	if (*c->k8s_pod)
		printf(" (pod %s/%s)", c->k8s_namespace, c->k8s_pod);
	printf("\n");
	fflush(stdout);
}

static void on_log(enum gb_log_level level, const char *msg, void *unused)
{
	(void)unused;
	if (level <= GB_LOG_WARN)
		fprintf(stderr, "exec_example: %s\n", msg);
}

static void on_signal(int sig)
{
	(void)sig;
	gb_ctx__stop(ctx); /* async-signal-safe */
}

int main(void)
{
	gb_set_log(on_log, NULL);
	if (!(ctx = gb_ctx__new(NULL)))
		return 1;
	GB_OPTS(gb_exec_opts, opts, .on_event = on_exec);
	struct gb_tracer *t = gb_exec__open(ctx, &opts);
	if (t) {
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		gb_ctx__run(ctx, -1); /* or: gb_ctx__fd(ctx) in your own epoll loop, then gb_ctx__poll(ctx, 0) */
	}
	gb_tracer__free(t);
	gb_ctx__free(ctx);
	return t ? 0 : 1;
}
