#include "signames.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Linux's numbers (the same on x86-64 and arm64), so a signal reads "SIGTERM", not "15". */
static const char *const names[] = {
	[1] = "SIGHUP",	  [2] = "SIGINT",     [3] = "SIGQUIT",	[4] = "SIGILL",	    [5] = "SIGTRAP",  [6] = "SIGABRT",
	[7] = "SIGBUS",	  [8] = "SIGFPE",     [9] = "SIGKILL",	[10] = "SIGUSR1",   [11] = "SIGSEGV", [12] = "SIGUSR2",
	[13] = "SIGPIPE", [14] = "SIGALRM",   [15] = "SIGTERM", [16] = "SIGSTKFLT", [17] = "SIGCHLD", [18] = "SIGCONT",
	[19] = "SIGSTOP", [20] = "SIGTSTP",   [21] = "SIGTTIN", [22] = "SIGTTOU",   [23] = "SIGURG",  [24] = "SIGXCPU",
	[25] = "SIGXFSZ", [26] = "SIGVTALRM", [27] = "SIGPROF", [28] = "SIGWINCH",  [29] = "SIGIO",   [30] = "SIGPWR",
	[31] = "SIGSYS",
};
#define NAMES	 (int)(sizeof(names) / sizeof(names[0]))
#define RTMIN	 32 /* the kernel's; glibc and musl keep 32..34 for themselves and call 34 or 35 SIGRTMIN */
#define RTMAX	 64
#define RT_SPLIT 48 /* up to here RTMIN+n, after it RTMAX-n, as kill -l writes them */

const char *gb_signal_name(int sig, char buf[16])
{
	if (sig > 0 && sig < NAMES && names[sig])
		return names[sig];
	if (sig >= RTMIN && sig <= RTMAX) {
		if (sig == RTMIN)
			return "SIGRTMIN";
		if (sig == RTMAX)
			return "SIGRTMAX";
		if (sig <= RT_SPLIT)
			snprintf(buf, 16, "SIGRTMIN+%d", sig - RTMIN);
		else
			snprintf(buf, 16, "SIGRTMAX-%d", RTMAX - sig);
		return buf;
	}
	snprintf(buf, 16, "SIG%d", sig);
	return buf;
}

/* A whole non-negative number, or -1. */
static int number(const char *s)
{
	char *end;
	long n;

	if (*s < '0' || *s > '9')
		return -1;
	n = strtol(s, &end, 10);
	return *end || n > RTMAX ? -1 : (int)n;
}

int gb_signal_number(const char *name)
{
	int n = number(name);

	if (n >= 0)
		return n ? n : -1;
	if (!strncasecmp(name, "SIG", 3))
		name += 3;
	for (int i = 1; i < NAMES; i++)
		if (!strcasecmp(name, names[i] + 3))
			return i;
	if (!strncasecmp(name, "RTMIN", 5) || !strncasecmp(name, "RTMAX", 5)) {
		bool min = !strncasecmp(name, "RTMIN", 5);
		const char *rest = name + 5;
		if (!*rest)
			return min ? RTMIN : RTMAX;
		if (*rest != (min ? '+' : '-') || (n = number(rest + 1)) < 0 || n > RTMAX - RTMIN)
			return -1;
		return min ? RTMIN + n : RTMAX - n;
	}
	return -1;
}
