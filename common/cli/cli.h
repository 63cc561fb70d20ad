/*
 * Applets and their command lines. An applet describes itself (name, summary, options with their help,
 * examples) next to its code; the option parser and --help are generated from that description, merged with
 * the options every tracing applet shares.
 */
#ifndef GADGETBOX_CLI_H
#define GADGETBOX_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gadgetbox.h"
#include "output.h"

/* No -u/--uid given. */
#define GB_NO_UID 0xffffffffUL

/* Long-only option keys start here; short options use their letter. */
#define GB_LONG_OPT 256

struct gb_opt {
	const char *name; /* long name */
	int key;	  /* short letter, or >= GB_LONG_OPT for a long-only option */
	const char *arg;  /* argument name, or NULL for a flag; "[NAME]": optional (--opt=VALUE), NULL when absent */
	const char *help;
};

enum gb_common_groups {
	GB_OPTS_OUTPUT = 1 << 0,		     /* -o, --fields, --filter */
	GB_OPTS_SNAPSHOT = 1 << 4,		     /* --sort, --max-entries */
	GB_OPTS_TIMEOUT = 1 << 3,		     /* -t/--timeout */
	GB_OPTS_BTF = 1 << 1,			     /* --btf, -v (snapshots: no timeout) */
	GB_OPTS_BPF = GB_OPTS_BTF | GB_OPTS_TIMEOUT, /* --timeout, --btf, -v */
	GB_OPTS_CONTAINERS = 1 << 2,		     /* -c, --k8s-*, -r, --host-root */
	GB_OPTS_HOST = 1 << 5,			     /* --host: host processes too */
	GB_OPTS_IA32 = 1 << 6,			     /* --ia32: the 32-bit syscall programs too */
	GB_OPTS_BUFFER = 1 << 7,		     /* --buffer-size: streaming tracers' ring buffer */
	GB_OPTS_METRICS = 1 << 8,		     /* --metrics, --metrics-retention, -o none */
};

struct gb_applet {
	const char *name;
	const char *summary;
	const char *examples;
	const struct gb_opt *opts; /* ends with a zeroed entry */
	unsigned common;	   /* enum gb_common_groups */
	/* Called for each of the applet's own options; returns 0, or -1 after gb_usage_error(). */
	int (*parse)(int key, const char *arg);
	int (*run)(void);
};

struct gb_metrics_addr; /* metrics.h */

/* Settings of the shared options. */
struct gb_common_opts {
	enum out_mode mode;
	const char *fields;
	const char *row_filter;	   /* --filter EXPR */
	const char *sort;	   /* --sort FIELDS */
	unsigned long max_entries; /* --max-entries N (0: all) */
	double timeout;		   /* seconds; 0 = none */
	bool verbose;
	const char *btf;
	struct gb_container_filter filter;
	const char *host_root;
	bool ia32;			      /* also trace 32-bit syscalls (a program on every syscall of the node) */
	size_t buffer_bytes;		      /* --buffer-size (0: the library's default): the tracer's ringbuf_bytes */
	struct gb_metrics_addr *metrics_addr; /* --metrics (NULL: none) */
	double metrics_retention;	      /* --metrics-retention, seconds (0: the default, 300) */
};
extern struct gb_common_opts gb_opts;
extern const char *gb_prog; /* the applet's name, for messages */

/* Parse argv for @a (argv[0] is the applet name); exits 0 on --help and 2 on a usage error. */
void gb_parse_args(const struct gb_applet *a, int argc, char **argv);
void gb_print_help(const struct gb_applet *a);
/* Print "prog: message (see 'prog --help')" and return -1. */
int gb_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Strict number parsing: the whole string, in range. */
int gb_parse_ulong(const char *s, unsigned long max, unsigned long *out);
int gb_parse_seconds(const char *s, double *out);
/* A size in bytes: digits with an optional K, M or G (binary: 256K = 262144), in @min..@max. */
int gb_parse_size(const char *s, size_t min, size_t max, size_t *out);
/* An optional "every SECONDS" argument (--summary[=SECONDS]): NULL leaves @out alone; 0, or -1 after
 * gb_usage_error() naming @opt. */
int gb_parse_interval_opt(const char *opt, const char *arg, double *out);
/* Call @fn for each word of the comma list @list (an option's argument; @what names the option in messages);
 * 0, or -1 once @fn returned it (after a usage error). */
int gb_each_word(const char *list, const char *what, int (*fn)(const char *w, const char *what));
/* -p/-t and -u: a pid or tid (@what) above 0, a uid below GB_NO_UID; 0, or -1 after gb_usage_error(). */
int gb_parse_pid_opt(const char *s, const char *what, unsigned long *out);
int gb_parse_uid_opt(const char *s, unsigned long *out);
/* A comma list of ports (1..65535) appended to @ports (@n of @max used); 0, or -1 after gb_usage_error(). */
int gb_parse_ports(const char *list, const char *what, uint16_t *ports, size_t max, size_t *n);

#endif
