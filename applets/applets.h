/* The applet table: adding an applet is one file in applets/ and one line here. */
#ifndef GADGETBOX_APPLETS_H
#define GADGETBOX_APPLETS_H

#include "../common/cli.h"

extern const struct gb_applet execsnoop_applet;
extern const struct gb_applet containers_applet;
extern const struct gb_applet opensnoop_applet;

#define GB_APPLETS &execsnoop_applet, &opensnoop_applet, &containers_applet,

#endif
