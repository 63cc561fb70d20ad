/* gadgetbox: one binary, many applets, chosen by the name it is called by (like BusyBox). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "frontend.h"
#include "applets.h"
#include "strbuf.h"
#include "versions.h" /* written by scripts/build-deps.sh: what went into this binary */

#ifndef GADGETBOX_VERSION
#define GADGETBOX_VERSION "dev"
#endif

static const struct gb_applet *const applets[] = {GB_APPLET_TABLE(GB_APPLET_REF)};
#define NAPPLETS (sizeof(applets) / sizeof(applets[0]))

static const struct gb_applet *find_applet(const char *name)
{
	for (size_t i = 0; i < NAPPLETS; i++)
		if (!strcmp(applets[i]->name, name))
			return applets[i];
	return NULL;
}

/* The names BCC's tools go by: a link named like one runs the applet that does the same (with @flag first:
 * killsnoop is sigsnoop of the kill syscalls), or says which applet and options do (@use). */
static const struct {
	const char *bcc, *applet, *flag, *use; /* applet NULL: none runs under that name */
} bcc_names[] = {
	{"execsnoop", "execsnoop-k8s", NULL, NULL},
	{"opensnoop", "opensnoop-k8s", NULL, NULL},
	{"bindsnoop", "bindsnoop-k8s", NULL, NULL},
	{"tcptracer", "tcptracer-k8s", NULL, NULL},
	{"exitsnoop", "exitsnoop-k8s", NULL, NULL},
	{"sigsnoop", "sigsnoop-k8s", NULL, NULL},
	{"killsnoop", "sigsnoop-k8s", "-k", NULL},
	{"tcpconnect", NULL, NULL, "tcptracer-k8s --type connect"},
	{"tcplife", NULL, NULL, "tcptracer-k8s --type close"},
	{"oomkill", NULL, NULL, "exitsnoop-k8s (its OOM kills) or sigsnoop-k8s"},
};

/* The option a BCC name adds to its applet's, or NULL. */
static const char *bcc_flag(const char *name)
{
	for (size_t i = 0; i < sizeof(bcc_names) / sizeof(bcc_names[0]); i++)
		if (!strcmp(name, bcc_names[i].bcc))
			return bcc_names[i].flag;
	return NULL;
}

/* The applet a name means: its own, or a BCC tool's that has one; NULL otherwise. */
static const struct gb_applet *applet_named(const char *name)
{
	const struct gb_applet *a = find_applet(name);

	for (size_t i = 0; !a && i < sizeof(bcc_names) / sizeof(bcc_names[0]); i++)
		if (!strcmp(name, bcc_names[i].bcc) && bcc_names[i].applet)
			a = find_applet(bcc_names[i].applet);
	return a;
}

/* The architecture this binary was built for, named as OCI image platforms name it (--version) */
#if defined(__x86_64__)
#define GB_PLATFORM "linux/amd64"
#elif defined(__aarch64__)
#define GB_PLATFORM "linux/arm64"
#else
#define GB_PLATFORM "linux/unknown"
#endif

/* Whether @name is the multi-call binary's own (gadgetbox, gadgetbox-arm64, ...). */
static bool own_name(const char *name)
{
	return !strncmp(name, "gadgetbox", 9);
}

static void list_applets(FILE *f)
{
	fprintf(f,
		"gadgetbox %s: container-aware eBPF tracing from one static binary\n\n"
		"Usage: gadgetbox APPLET [OPTION]...   or   APPLET [OPTION]... (via a link)\n"
		"       gadgetbox --install [-s] DIR   make a link per applet in DIR (-s: symbolic)\n"
		"       gadgetbox --list | --version\n\nApplets:\n",
		GADGETBOX_VERSION);
	for (size_t i = 0; i < NAPPLETS; i++)
		fprintf(f, "  %-18s %s\n", applets[i]->name, applets[i]->summary);
}

/* Link every applet name in @dir to this binary; an existing link of that name is replaced. */
static int install(const char *dir, bool symbolic)
{
	char self[PATH_MAX], path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int rc = 0;

	if (n < 0) {
		gb_cli_say("cannot find my own path: %s", strerror(errno));
		return 1;
	}
	self[n] = '\0';
	struct stat d;
	if (stat(dir, &d)) {
		gb_cli_say("--install: %s: %s", dir, strerror(errno));
		return 1;
	}
	if (!S_ISDIR(d.st_mode)) {
		gb_cli_say("--install: %s: not a directory", dir);
		return 1;
	}
	for (size_t i = 0; i < NAPPLETS; i++) {
		struct stat st;
		if (snprintf(path, sizeof(path), "%s/%s", dir, applets[i]->name) >= (int)sizeof(path)) {
			gb_cli_say("--install: path too long");
			return 1;
		}
		if (lstat(path, &st) == 0) {
			struct stat me;
			if (!S_ISLNK(st.st_mode) && !(stat(self, &me) == 0 && me.st_ino == st.st_ino)) {
				gb_cli_say("--install: %s exists and is not a link to gadgetbox; left alone", path);
				rc = 1;
				continue;
			}
			unlink(path);
		}
		if ((symbolic ? symlink(self, path) : link(self, path)) != 0) {
			gb_cli_say("--install: cannot create %s: %s", path, strerror(errno));
			rc = 1;
		}
	}
	return rc;
}

int main(int argc, char **argv)
{
	const char *base = argc > 0 ? strrchr(argv[0], '/') : NULL;
	const char *name = base ? base + 1 : (argc > 0 ? argv[0] : "gadgetbox");
	const struct gb_applet *a = applet_named(name);

	/* the library goes on without memory where it can (losing what did not fit); a command line has nothing
	 * better to do than stop */
	sb_abort_on_oom(true);
	if (!a && !own_name(name)) { /* a link whose name is no applet's: say which names there are */
		for (size_t i = 0; i < sizeof(bcc_names) / sizeof(bcc_names[0]); i++)
			if (!strcmp(name, bcc_names[i].bcc)) {
				gb_cli_say("'%s' has no applet of that name: use %s", name, bcc_names[i].use);
				return 2;
			}
		gb_cli_say("'%s' is not an applet's name: link gadgetbox as one of these, or run 'gadgetbox APPLET'",
			   name);
		list_applets(stderr);
		return 2;
	}
	if (!a) { /* called as gadgetbox: the first argument picks */
		if (argc < 2 || !strcmp(argv[1], "--list") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
			list_applets(stdout);
			return 0;
		}
		if (!strcmp(argv[1], "--version")) {
			printf("gadgetbox %s %s\n%s\nfrom Debian source packages: %s\n", GADGETBOX_VERSION, GB_PLATFORM,
			       GB_DEPS_VERSIONS, GB_DEPS_VERSIONS_DEBIAN);
			return 0;
		}
		if (!strcmp(argv[1], "--install")) {
			bool sym = argc > 2 && !strcmp(argv[2], "-s");
			const char *dir = argv[sym ? 3 : 2];
			if (argc != (sym ? 4 : 3)) {
				gb_cli_say("usage: gadgetbox --install [-s] DIR");
				return 2;
			}
			return install(dir, sym);
		}
		a = applet_named(argv[1]);
		if (!a) {
			gb_cli_say("unknown applet '%s' (see 'gadgetbox --list')", argv[1]);
			return 2;
		}
		argc--, argv++;
	}
	const char *used = strrchr(argv[0], '/'); /* the name the applet was called by */
	const char *flag = bcc_flag(used ? used + 1 : argv[0]);
	char *with_flag[argc + 2];
	if (flag) { /* NAME FLAG ARGS... */
		with_flag[0] = argv[0];
		with_flag[1] = (char *)flag;
		for (int i = 1; i <= argc; i++)
			with_flag[i + 1] = argv[i];
		argv = with_flag;
		argc++;
	}
	gb_parse_args(a, argc, argv);
	gb_cli_log_init(NULL);
	int rc = a->run();
	return rc < 0 ? 2 : rc; /* a run() that returns gb_usage_error(): a usage error, 2 as everywhere */
}
