#ifndef GADGETBOX_SIGNAMES_H
#define GADGETBOX_SIGNAMES_H

/* "SIGKILL" for 9, "SIGRTMIN+3" for 37; an unknown value is written to @buf as "SIG<n>". */
const char *gb_signal_name(int sig, char buf[16]);
/* The number of a signal named "SIGKILL", "KILL", "kill", "9", "SIGRTMIN+3" or "RTMAX-1"; -1 if none. */
int gb_signal_number(const char *name);

#endif
