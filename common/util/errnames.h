#ifndef GADGETBOX_ERRNAMES_H
#define GADGETBOX_ERRNAMES_H

/* "ENOENT" for 2 or -2; an unknown value is written to @buf as "E<n>". */
const char *gb_errno_name(int err, char buf[16]);

#endif
