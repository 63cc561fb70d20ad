/*
 * The library's messages: every error and warning goes through here to the callback set with gb_set_log()
 * (gadgetbox.h); nothing is printed otherwise. Messages may come from the runtime watcher's thread.
 */
#ifndef GADGETBOX_DIAG_H
#define GADGETBOX_DIAG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "gadgetbox.h"

void gb_log(enum gb_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void gb_vlog(enum gb_log_level level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
#define gb_err(...)  gb_log(GB_LOG_ERROR, __VA_ARGS__)
#define gb_warn(...) gb_log(GB_LOG_WARN, __VA_ARGS__)
#define gb_info(...) gb_log(GB_LOG_INFO, __VA_ARGS__)
/* A warning, once per distinct message (corrupt files are seen again at every rescan). */
void gb_warn_once(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A step of start-up, with the milliseconds since the process started, at GB_LOG_DEBUG (-v shows them). */
void gb_startup_step(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* libbpf's OPTS_VALID: options from a caller built against a newer header (@sz larger than the @known size
 * this library has) are accepted only if every byte it does not know is zero; otherwise says so (@fn) and
 * returns false. A newer member we would silently ignore could change what the caller asked for. */
bool gb_opts_valid(const char *fn, const void *opts, size_t sz, size_t known);
/* Whether anyone listens at @level (to skip building expensive messages). */
int gb_log_enabled(void);

#endif
