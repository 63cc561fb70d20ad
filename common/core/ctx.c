/*
 * The context's public face (gb_ctx__ in gadgetbox.h): made with its loop (loop.c, which reads every ring
 * buffer) and the container watcher (watch.c), subscriptions to the container table, and the end of it all.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "containers.h"
#include "deps/versions.h"
#include "diag.h"
#include "hostroot.h"
#include "loop.h"
#include "tracer.h"
#include "watch.h"

struct pub_sub {
	struct gb_ctx *ctx;
	gb_container_fn fn;
	void *cb_ctx;
	unsigned flags;
	int hook_id;
};

static struct gb_ctx *the_ctx;

/* The watcher, when the loop finds it due (after the first events are out). */
static void open_watcher(struct gb_ctx *ctx)
{
	gb_watch_open(ctx);
}

const char *gb_version_deps(void)
{
	return GB_DEPS_VERSIONS;
}

const struct gb_container *gb_ctx__container(struct gb_ctx *ctx, unsigned i)
{
	return gb_ctx_ready(ctx) ? NULL : gb_container_at(i);
}

const struct gb_container *gb_ctx__container_by_mntns(struct gb_ctx *ctx, uint64_t mntns)
{
	return gb_ctx_ready(ctx) ? NULL : gb_container_by_mntns(mntns);
}

bool gb_ctx__host_pids_visible(const struct gb_ctx *ctx)
{
	(void)ctx; /* the host root is set: gb_ctx__new() */
	return gb_host_pids_visible() != 0;
}

int gb_ctx__unmatched_names(struct gb_ctx *ctx, gb_unmatched_fn fn, void *cb_ctx)
{
	int err = gb_ctx_ready(ctx);

	return err ? err : gb_containers_unmatched(fn, cb_ctx);
}

int gb_ctx__foreach_exited(struct gb_ctx *ctx, gb_exited_fn fn, void *cb_ctx)
{
	int err = gb_ctx_ready(ctx);

	return err ? err : gb_containers_foreach_exited(fn, cb_ctx);
}

/* ---- container subscriptions ---- */

static bool pub_wants(const struct pub_sub *s, const struct gb_container *c)
{
	return (s->flags & GB_SUB_ALL) || (c->selected && !c->sandbox);
}

static void pub_added(void *arg, const struct gb_container *c)
{
	struct pub_sub *s = arg;

	if (pub_wants(s, c))
		s->fn(s->cb_ctx, GB_CONTAINER_ADDED, c);
}

static void pub_removed(void *arg, const struct gb_container *c)
{
	struct pub_sub *s = arg;

	/* the record still has the flags it was announced with: one that leaves the filters is REMOVED for
	 * the default subscribers (and, for GB_SUB_ALL ones, ADDED again with its new flags) */
	if (pub_wants(s, c))
		s->fn(s->cb_ctx, GB_CONTAINER_REMOVED, c);
}

int gb_ctx__subscribe(struct gb_ctx *ctx, gb_container_fn fn, void *cb_ctx, unsigned flags)
{
	int err = gb_ctx_ready(ctx);

	if (err)
		return err;
	if (!ctx->nsources) /* containers only (--watch): no start-up to keep short */
		gb_ctx_open_watcher(ctx);
	struct pub_sub *s = calloc(1, sizeof(*s));
	struct pub_sub **n = realloc(ctx->subs, (ctx->nsubs + 1) * sizeof(*n));

	if (!s || !n) {
		free(s);
		if (n)
			ctx->subs = n;
		return -ENOMEM;
	}
	ctx->subs = n;
	*s = (struct pub_sub){ctx, fn, cb_ctx, flags, -1};
	s->hook_id = gb_containers_subscribe(&(struct gb_container_hooks){pub_added, pub_removed, NULL, s}, false);
	if (s->hook_id < 0) {
		free(s);
		return -ENOMEM;
	}
	int id = ctx->nsubs++;
	ctx->subs[id] = s; /* before the replay: its callbacks may subscribe too */
	if (flags & GB_SUB_EXISTING)
		for (unsigned i = 0; gb_container_at(i); i++)
			if (pub_wants(s, gb_container_at(i)))
				fn(cb_ctx, GB_CONTAINER_EXISTING, gb_container_at(i));
	return id;
}

void gb_ctx__unsubscribe(struct gb_ctx *ctx, int id)
{
	if (id < 0 || id >= ctx->nsubs || !ctx->subs[id])
		return;
	gb_containers_unsubscribe(ctx->subs[id]->hook_id);
	free(ctx->subs[id]);
	ctx->subs[id] = NULL;
}

/* ---- life ---- */

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void copy_filter(struct gb_container_filter *to, const struct gb_container_filter *from)
{
	to->names = dup_or_null(from->names);
	to->k8s_namespaces = dup_or_null(from->k8s_namespaces);
	to->k8s_pods = dup_or_null(from->k8s_pods);
	to->k8s_containers = dup_or_null(from->k8s_containers);
	to->runtimes = dup_or_null(from->runtimes);
	to->host = from->host;
}

static void free_filter(struct gb_container_filter *f)
{
	free((char *)f->names);
	free((char *)f->k8s_namespaces);
	free((char *)f->k8s_pods);
	free((char *)f->k8s_containers);
	free((char *)f->runtimes);
}

/* A member of @opts, or its zero default when the caller's struct is too old to have it. */
#define OPT(opts, field)                                                                                               \
	((opts) && (opts)->sz >= offsetof(struct gb_ctx_opts, field) + sizeof((opts)->field)                           \
		 ? (opts)->field                                                                                       \
		 : (__typeof__((opts)->field)){0})

struct gb_ctx *gb_ctx__new(const struct gb_ctx_opts *opts)
{
	struct gb_ctx *ctx;
	int err;

	if (the_ctx) {
		gb_err("a context exists already: one per process");
		errno = EBUSY;
		return NULL;
	}
	if (opts && opts->sz < sizeof(size_t)) {
		gb_err("gb_ctx__new: options without their size (fill them with GB_OPTS)");
		errno = EINVAL;
		return NULL;
	}
	if (opts && !gb_opts_valid("gb_ctx__new", opts, opts->sz, sizeof(*opts))) {
		errno = EINVAL;
		return NULL;
	}
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return NULL;
	ctx->epfd = ctx->timerfd = ctx->stopfd = -1;
	ctx->open_watcher = open_watcher;
	ctx->host_root = dup_or_null(OPT(opts, host_root));
	ctx->btf_path = dup_or_null(OPT(opts, btf_path));
	const struct gb_container_filter *f = OPT(opts, filter);
	copy_filter(&ctx->filter, f ? f : &(struct gb_container_filter){0});
	gb_clock_init();
	gb_tracer_libbpf_debug(OPT(opts, libbpf_debug));
	the_ctx = ctx;
	if (gb_host_root_init(ctx->host_root) || gb_containers_open(&ctx->filter)) {
		err = errno ? errno : ENOENT;
		goto fail;
	}
	ctx->no_watch = OPT(opts, no_watch);
	if (gb_loop_open(ctx)) {
		err = errno;
		goto fail;
	}
	return ctx;
fail:
	gb_ctx__free(ctx);
	errno = err;
	return NULL;
}

void gb_ctx__free(struct gb_ctx *ctx)
{
	if (!ctx)
		return;
	while (ctx->nsources) /* every source is a tracer's */
		gb_tracer__free(ctx->sources[0]->owner);
	if (ctx->watcher) { /* nothing of it to deliver: no subscriber is told of containers while the context goes */
		struct gb_tracer *w = ctx->watcher->owner;
		w->stopped = true;
		gb_tracer__free(w);
	}
	for (int i = 0; i < ctx->nsubs; i++)
		gb_ctx__unsubscribe(ctx, i);
	free(ctx->subs);
	gb_loop_close(ctx); /* the first scan's thread ends before the table goes */
	gb_containers_free();
	free_filter(&ctx->filter);
	free(ctx->host_root);
	free(ctx->btf_path);
	if (the_ctx == ctx)
		the_ctx = NULL;
	free(ctx);
}
