/* open(2) flags and openat2 RESOLVE_ flags as text: "O_WRONLY|O_CREAT|O_CLOEXEC". */
#ifndef GADGETBOX_OPENFLAGS_H
#define GADGETBOX_OPENFLAGS_H

#include <stdint.h>

#include "strbuf.h"

void gb_open_flags_str(struct strbuf *out, uint64_t flags);
void gb_resolve_flags_str(struct strbuf *out, uint64_t resolve);
/* Whether a mode argument means anything for these flags (O_CREAT or O_TMPFILE). */
int gb_open_flags_use_mode(uint64_t flags);

#endif
