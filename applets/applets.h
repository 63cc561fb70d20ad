/* The applet table: adding an applet is one file in applets/ (defining NAME_applet) and one line here. */
#ifndef GADGETBOX_APPLETS_H
#define GADGETBOX_APPLETS_H

#include "cli.h"

#define GB_APPLET_TABLE(X)                                                                                             \
	X(execsnoop)                                                                                                   \
	X(opensnoop)                                                                                                   \
	X(exitsnoop)                                                                                                   \
	X(sigsnoop)                                                                                                    \
	X(bindsnoop)                                                                                                   \
	X(tcptracer)                                                                                                   \
	X(dnssnoop)                                                                                                    \
	X(pssnap)                                                                                                      \
	X(socksnap)                                                                                                    \
	X(seccomp)                                                                                                     \
	X(seccomp_audit)                                                                                               \
	X(containers)                                                                                                  \
	X(agent)

#define GB_APPLET_DECLARE(name) extern const struct gb_applet name##_applet;
GB_APPLET_TABLE(GB_APPLET_DECLARE)
#define GB_APPLET_REF(name) &name##_applet,

#endif
