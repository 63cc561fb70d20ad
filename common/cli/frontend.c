#include "frontend.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "escape.h"
#include "metrics.h"

static struct output *log_out;
static struct gb_ctx *cli_ctx;
static bool cli_watch; /* cli_ctx follows the runtimes (not a snapshot's) */
static pthread_t main_thread;
/* warnings from the runtime watcher's thread, written into the output by the main thread */
static pthread_mutex_t pending_lock = PTHREAD_MUTEX_INITIALIZER;
static char *pending[32];
static unsigned npending;

/* Each line of @msg as "prog: [warning: ]line" (continuation lines that start with a space as they are). */
static void print_lines(const char *tag, const char *msg)
{
	struct strbuf sb = {0};

	for (const char *l = msg; *l;) {
		size_t len = strcspn(l, "\n");
		if (l == msg || *l != ' ')
			sb_addf(&sb, "%s: %s", gb_prog, tag);
		esc_terminal(&sb, l, len);
		sb_addc(&sb, '\n');
		l += len + (l[len] == '\n');
	}
	if (sb.len && write(STDERR_FILENO, sb.buf, sb.len) < 0) {
		/* nowhere left to complain */
	}
	sb_free(&sb);
}

static void flush_pending(void)
{
	pthread_mutex_lock(&pending_lock);
	for (unsigned i = 0; i < npending; i++) {
		if (log_out && pending[i])
			out_record_str(log_out, "warning", "message", pending[i], gb_clock_realtime_ns());
		free(pending[i]);
	}
	npending = 0;
	pthread_mutex_unlock(&pending_lock);
}

/* A filter item that matched no container: "no container named 'wbe' yet; waiting for one; did you mean
 * 'web'?" (a snapshot: without the waiting). */
static void say_unmatched(void *arg, const struct gb_unmatched *u)
{
	static const struct {
		const char *filter, *what;
	} whats[] = {{"names", "container"},
		     {"k8s_namespaces", "Kubernetes namespace"},
		     {"k8s_pods", "pod"},
		     {"k8s_containers", "Kubernetes container"}};
	const char *what = "container";
	struct strbuf sb = {0};

	(void)arg;
	for (size_t i = 0; i < sizeof(whats) / sizeof(whats[0]); i++)
		if (!strcmp(u->filter, whats[i].filter))
			what = whats[i].what;
	if (strpbrk(u->item, "*?["))
		sb_addf(&sb, "no %s matches '%s'", what, u->item);
	else
		sb_addf(&sb, "no %s named '%s'", what, u->item);
	sb_adds(&sb, cli_watch ? " yet; waiting for one" : "");
	for (int i = 0; i < GB_MAX_SUGGESTIONS && u->suggestions[i]; i++)
		sb_addf(&sb, "%s'%s'",
			!i							? "; did you mean "
			: (i + 1 < GB_MAX_SUGGESTIONS && u->suggestions[i + 1]) ? ", "
										: " or ",
			u->suggestions[i]);
	if (u->suggestions[0])
		sb_adds(&sb, "?");
	gb_cli_say("%s", sb_str(&sb));
	sb_free(&sb);
}

/* Once per command, when the table is read: the filter items that match no container. */
static void hint_unmatched(struct gb_ctx *ctx)
{
	static bool done;

	if (done || !ctx)
		return;
	done = true;
	gb_ctx__unmatched_names(ctx, say_unmatched, NULL);
}

void gb_cli_flush(struct output *out)
{
	if (!cli_watch) /* a snapshot's output is complete: say why it is empty */
		hint_unmatched(cli_ctx);
	flush_pending();
	output_flush(out);
}

/* The library names its options where a message tells what to do; the command line says its flags instead. */
static const struct {
	const char *lib, *cli;
} option_words[] = {
	{"(btf_path)", "with --btf PATH"},
	{"(libbpf_debug shows libbpf's messages)", "(run with -v for libbpf's messages)"},
	{"(tree_pid)", "(--tree)"},
};

/* @msg with the library's option words turned into the command line's: @msg itself, or the text in @sb. */
static const char *with_flags(const char *msg, struct strbuf *sb)
{
	for (size_t i = 0; i < sizeof(option_words) / sizeof(option_words[0]); i++) {
		const char *at = strstr(msg, option_words[i].lib);
		if (!at)
			continue;
		struct strbuf next = {0};
		sb_add(&next, msg, (size_t)(at - msg));
		sb_adds(&next, option_words[i].cli);
		sb_adds(&next, at + strlen(option_words[i].lib));
		sb_free(sb); /* msg may point into it: read before */
		*sb = next;
		msg = sb_str(sb);
	}
	return msg;
}

static void log_line(enum gb_log_level level, const char *msg)
{
	print_lines(level == GB_LOG_WARN ? "warning: " : "", msg);
	if (level != GB_LOG_WARN || !log_out || !output_json(log_out))
		return;
	if (pthread_equal(pthread_self(), main_thread)) {
		out_record_str(log_out, "warning", "message", msg, gb_clock_realtime_ns());
		return;
	}
	pthread_mutex_lock(&pending_lock);
	if (npending < sizeof(pending) / sizeof(pending[0]))
		pending[npending++] = strdup(msg);
	pthread_mutex_unlock(&pending_lock);
}

static void cli_log(enum gb_log_level level, const char *msg, void *arg)
{
	struct strbuf sb = {0};

	(void)arg;
	if ((level == GB_LOG_INFO || level == GB_LOG_DEBUG) && !gb_opts.verbose)
		return;
	log_line(level, with_flags(msg, &sb));
	sb_free(&sb);
}

void gb_cli_log_init(struct output *out)
{
	main_thread = pthread_self();
	log_out = out;
	gb_set_log(cli_log, NULL);
}

void gb_cli_say(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	print_lines("", msg);
}

/* The signals that end a command, taken from a signalfd by gb_cli_run(). */
static void stop_signals(sigset_t *mask)
{
	sigemptyset(mask);
	sigaddset(mask, SIGINT);
	sigaddset(mask, SIGTERM);
	sigaddset(mask, SIGHUP);
}

static bool need_host_pids;

void gb_cli_need_host_pids(void)
{
	need_host_pids = true;
}

struct gb_ctx *gb_cli_ctx_new(bool watch, bool bpf)
{
	GB_OPTS(gb_ctx_opts, o, .host_root = gb_opts.host_root, .btf_path = gb_opts.btf, .filter = &gb_opts.filter,
		.libbpf_debug = gb_opts.verbose, .no_watch = !watch);

	/* the signals gb_cli_run() takes from a signalfd: blocked before any thread of the library exists
	 * (a snapshot has neither: ^C ends it at once) */
	sigset_t mask;
	stop_signals(&mask);
	if (watch)
		sigprocmask(SIG_BLOCK, &mask, NULL);
	/* a tracing applet fails on missing privileges or BTF before it reads anything */
	if (bpf && gb_check_bpf(gb_opts.btf))
		return NULL;
	cli_ctx = gb_ctx__new(&o);
	/* a debug container without --pid=host: the kernel's task iterators see only its own processes */
	if (cli_ctx && bpf && !gb_ctx__host_pids_visible(cli_ctx)) {
		if (need_host_pids) {
			gb_cli_say("not in the host's pid namespace: only this container's processes are visible; run "
				   "the debug container with --pid=host");
			gb_ctx__free(cli_ctx);
			return cli_ctx = NULL;
		}
		log_line(GB_LOG_WARN, "not in the host's pid namespace: processes outside this container are not "
				      "shown (nor as socket owners); run the debug container with --pid=host");
	}
	cli_watch = watch;
	return cli_ctx;
}

void gb_cli_lost(void *arg, uint64_t lost, uint64_t total)
{
	struct output *out = arg;

	gb_cli_say("lost %llu events (ring buffer full or no memory); %llu lost so far", (unsigned long long)lost,
		   (unsigned long long)total);
	out_record(out, "lost", "lost", lost, gb_clock_realtime_ns());
	output_flush(out);
}

int gb_cli_metrics_start(void)
{
	if (!gb_metrics_start(gb_opts.metrics_addr, gb_opts.metrics_retention, gb_prog))
		return 0;
	gb_cli_say("--metrics %s: cannot listen there: %s", gb_metrics_addr_text(gb_opts.metrics_addr),
		   strerror(errno));
	return 1;
}

void gb_cli_check_closed(struct output *out)
{
	if (output_closed(out) && cli_ctx)
		gb_ctx__stop(cli_ctx);
}

/* The command's own loop: the context's fd, signals and --timeout, in one epoll set. */
int gb_cli_run(struct gb_ctx *ctx, struct gb_tracer *tracer, struct output *out)
{
	return gb_cli_run_every(ctx, tracer, out, 0, NULL, NULL);
}

static int arm_timer(int ep, uint32_t id, double seconds, bool repeat)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	struct timespec t = {.tv_sec = (time_t)seconds, .tv_nsec = (long)((seconds - (time_t)seconds) * 1e9)};
	struct itimerspec its = {.it_value = t, .it_interval = repeat ? t : (struct timespec){0}};
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = id};

	if (fd < 0 || timerfd_settime(fd, 0, &its, NULL) || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

int gb_cli_run_every(struct gb_ctx *ctx, struct gb_tracer *tracer, struct output *out, double interval,
		     void (*tick)(void *arg), void *arg)
{
	return gb_cli_run_many(ctx, &tracer, tracer ? 1 : 0, &out, 1, interval, tick, arg);
}

static bool any_closed(struct output *const *outs, size_t nouts)
{
	for (size_t i = 0; i < nouts; i++)
		if (output_closed(outs[i]))
			return true;
	return false;
}

static void flush_all(struct output *const *outs, size_t nouts)
{
	flush_pending();
	for (size_t i = 0; i < nouts; i++)
		output_flush(outs[i]);
}

int gb_cli_run_many(struct gb_ctx *ctx, struct gb_tracer *const *tracers, size_t ntracers, struct output *const *outs,
		    size_t nouts, double interval, void (*tick)(void *arg), void *arg)
{
	int ep = epoll_create1(EPOLL_CLOEXEC), sigfd = -1, tfd = -1, ifd = -1, mfd = -1, rc = 0;
	sigset_t mask;

	/* a closed pipe is seen as EPIPE by the writer, which ends the loop cleanly */
	signal(SIGPIPE, SIG_IGN);
	stop_signals(&mask);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 0};
	if (ep < 0 || sigfd < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, gb_ctx__fd(ctx), &ev)) {
		gb_cli_say("cannot set up the event loop: %s", strerror(errno));
		rc = 1;
		goto out;
	}
	ev.data.u32 = 1;
	epoll_ctl(ep, EPOLL_CTL_ADD, sigfd, &ev);
	if (gb_opts.timeout > 0 && (tfd = arm_timer(ep, 2, gb_opts.timeout, false)) < 0) {
		gb_cli_say("cannot set up --timeout: %s", strerror(errno));
		rc = 1;
		goto out;
	}
	if (tick && interval > 0 && (ifd = arm_timer(ep, 3, interval, true)) < 0) {
		gb_cli_say("cannot set up the interval timer: %s", strerror(errno));
		rc = 1;
		goto out;
	}
	/* --metrics: the containers per runtime, lost events and retention, once a second */
	if (gb_metrics_on() && (mfd = arm_timer(ep, 5, 1.0, true)) < 0) {
		gb_cli_say("cannot set up the metrics timer: %s", strerror(errno));
		rc = 1;
		goto out;
	}
	gb_metrics_sweep(ctx);
	/* the reader of a pipe going away (`| head -1`) ends the loop even when nothing is written: the write end
	 * reports EPOLLERR then (not a regular file: epoll refuses those, and they have no reader to lose) */
	ev.data.u32 = 4;
	ev.events = 0;
	epoll_ctl(ep, EPOLL_CTL_ADD, STDOUT_FILENO, &ev);
	for (size_t i = 0; i < nouts; i++)
		output_header(outs[i]);
	flush_all(outs, nouts);
	hint_unmatched(ctx); /* the tracer waited for the first scan: the table is there */
	for (bool done = any_closed(outs, nouts); !done;) {
		struct epoll_event evs[4];
		int n = epoll_wait(ep, evs, 4, -1);
		if (n < 0 && errno != EINTR) {
			gb_cli_say("%s", strerror(errno));
			rc = 1;
			break;
		}
		for (int i = 0; i < n; i++) {
			if (evs[i].data.u32 == 3) {
				uint64_t expirations;
				if (read(ifd, &expirations, sizeof(expirations)) > 0)
					tick(arg);
				continue;
			}
			if (evs[i].data.u32 == 5) {
				uint64_t expirations;
				if (read(mfd, &expirations, sizeof(expirations)) > 0)
					gb_metrics_sweep(ctx);
				continue;
			}
			if (evs[i].data.u32 != 0) {
				done = true; /* a signal, the timeout or the reader's end: a normal end */
				continue;
			}
			int r = gb_ctx__poll(ctx, 0);
			if (r < 0 && r != -ECANCELED) {
				gb_cli_say("%s", strerror(-r));
				rc = 1;
				done = true;
			}
		}
		flush_all(outs, nouts);
		done |= any_closed(outs, nouts) || gb_ctx__stopped(ctx);
	}
out:
	for (size_t i = 0; i < ntracers && !any_closed(outs, nouts); i++) {
		gb_tracer__stop(tracers[i]); /* delivers what was captured before we stopped */
		uint64_t total = gb_tracer__lost(tracers[i]);
		if (total && ntracers > 1)
			gb_cli_say("%s: %llu events lost in total", gb_tracer__name(tracers[i]),
				   (unsigned long long)total);
		else if (total)
			gb_cli_say("%llu events lost in total", (unsigned long long)total);
	}
	flush_all(outs, nouts);
	if (tfd >= 0)
		close(tfd);
	if (ifd >= 0)
		close(ifd);
	if (mfd >= 0)
		close(mfd);
	if (sigfd >= 0)
		close(sigfd);
	if (ep >= 0)
		close(ep);
	return rc;
}

void gb_cli_snapshot_time(struct output *out, uint64_t ns)
{
	char line[64];
	struct tm tm;
	time_t secs = (time_t)(ns / 1000000000ull);

	if (output_json(out))
		return;
	localtime_r(&secs, &tm);
	size_t len = strftime(line, sizeof(line), "--- %H:%M:%S ---\n", &tm);
	out_text(out, line, len);
}
