/*
 * OCI seccomp profiles on the command line's side: sets of syscall names, an allow-list profile as
 * seccomp-advise writes it, a `syscalls` fragment, and reading a profile (its allowed names; or the whole
 * document, to be fixed by allowing more). Shared by seccomp-advise and seccomp-audit.
 */
#ifndef GADGETBOX_SECCOMP_PROFILE_H
#define GADGETBOX_SECCOMP_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

struct cJSON;

/* A set of syscall names (unsorted until sc_names_sort). */
struct sc_names {
	char **v;
	size_t n, cap;
};

void sc_names_add(struct sc_names *s, const char *name);
bool sc_names_has(const struct sc_names *s, const char *name);
void sc_names_sort(struct sc_names *s);
void sc_names_free(struct sc_names *s);

/* The `syscalls` array's entries allowing @native, then @compat (each sorted first; an empty set has none),
 * each line indented by @indent spaces, without the brackets. */
void sc_render_allow_entries(struct strbuf *sb, struct sc_names *native, struct sc_names *compat, int indent);
/* A whole profile allowing exactly these: defaultAction SCMP_ACT_ERRNO (errno 1), @arch and, with compat
 * names, @arch32. */
void sc_render_oci(struct strbuf *sb, struct sc_names *native, struct sc_names *compat, const char *arch,
		   const char *arch32);

/* Parse the OCI profile in @path. NULL with the reason in @err (one line). The caller cJSON_Delete()s it. */
struct cJSON *sc_profile_read(const char *path, struct strbuf *err);
/* Add the names the profile allows unconditionally or not (entries with action SCMP_ACT_ALLOW) to @out. */
void sc_profile_allowed(const struct cJSON *profile, struct sc_names *out);
/*
 * Change @profile so that it allows @native and @compat: those names leave every entry that does not allow
 * them, or allows them only under conditions (args), one entry allows them all, and @arch32 joins the
 * architectures when @compat is not empty and the list does not have it. 0, or -1 on no memory.
 */
int sc_profile_allow(struct cJSON *profile, struct sc_names *native, struct sc_names *compat, const char *arch32);

#endif
