#include "diag.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static gb_log_fn log_fn;
static void *log_ctx;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

gb_log_fn gb_set_log(gb_log_fn fn, void *ctx)
{
	pthread_mutex_lock(&log_lock);
	gb_log_fn old = log_fn;
	log_fn = fn;
	log_ctx = ctx;
	pthread_mutex_unlock(&log_lock);
	return old;
}

int gb_log_enabled(void)
{
	return log_fn != NULL;
}

static void deliver(enum gb_log_level level, char *msg)
{
	size_t n = strlen(msg);

	while (n && msg[n - 1] == '\n') /* one message, no trailing newline */
		msg[--n] = '\0';
	pthread_mutex_lock(&log_lock);
	if (log_fn)
		log_fn(level, msg, log_ctx);
	pthread_mutex_unlock(&log_lock);
}

void gb_vlog(enum gb_log_level level, const char *fmt, va_list ap)
{
	char msg[2048];

	if (!log_fn)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	deliver(level, msg);
}

void gb_log(enum gb_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gb_vlog(level, fmt, ap);
	va_end(ap);
}

void gb_warn_once(const char *fmt, ...)
{
	static unsigned long seen[256];
	static unsigned nseen;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	unsigned long h = 5381;
	for (const char *p = msg; *p; p++)
		h = h * 33 + (unsigned char)*p;
	pthread_mutex_lock(&log_lock);
	for (unsigned i = 0; i < nseen; i++)
		if (seen[i] == h) {
			pthread_mutex_unlock(&log_lock);
			return;
		}
	if (nseen < sizeof(seen) / sizeof(seen[0]))
		seen[nseen++] = h;
	pthread_mutex_unlock(&log_lock);
	deliver(GB_LOG_WARN, msg);
}

static struct timespec process_start;

__attribute__((constructor)) static void note_start(void)
{
	clock_gettime(CLOCK_MONOTONIC, &process_start);
}

void gb_startup_step(const char *fmt, ...)
{
	struct timespec now;
	char what[256];
	va_list ap;

	if (!log_fn)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	gb_log(GB_LOG_DEBUG, "start-up: %.1f ms: %s",
	       (now.tv_sec - process_start.tv_sec) * 1e3 + (now.tv_nsec - process_start.tv_nsec) / 1e6, what);
}

bool gb_opts_valid(const char *fn, const void *opts, size_t sz, size_t known)
{
	for (size_t i = known; i < sz; i++)
		if (((const unsigned char *)opts)[i]) {
			gb_err("%s: the options set members this library does not know (%zu bytes, this library knows "
			       "%zu): built against a newer gadgetbox.h?",
			       fn, sz, known);
			return false;
		}
	return true;
}
