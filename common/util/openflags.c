#include "openflags.h"

#include <stddef.h>

/* Values from the x86-64/generic ABI (asm-generic/fcntl.h); gadgetbox decodes what the kernel was given. */
struct flag_name {
	uint64_t bits;
	const char *name;
};

static const struct flag_name open_flags[] = {
	{020200000, "O_TMPFILE"}, /* __O_TMPFILE | O_DIRECTORY: before O_DIRECTORY */
	{04010000, "O_SYNC"},	  /* __O_SYNC | O_DSYNC: before O_DSYNC */
	{0100, "O_CREAT"},	  {0200, "O_EXCL"},	    {0400, "O_NOCTTY"},	      {01000, "O_TRUNC"},
	{02000, "O_APPEND"},	  {04000, "O_NONBLOCK"},    {010000, "O_DSYNC"},      {020000, "O_ASYNC"},
	{040000, "O_DIRECT"},	  {0100000, "O_LARGEFILE"}, {0200000, "O_DIRECTORY"}, {0400000, "O_NOFOLLOW"},
	{01000000, "O_NOATIME"},  {02000000, "O_CLOEXEC"},  {010000000, "O_PATH"},
};

static const struct flag_name resolve_flags[] = {
	{0x01, "RESOLVE_NO_XDEV"}, {0x02, "RESOLVE_NO_MAGICLINKS"}, {0x04, "RESOLVE_NO_SYMLINKS"},
	{0x08, "RESOLVE_BENEATH"}, {0x10, "RESOLVE_IN_ROOT"},	    {0x20, "RESOLVE_CACHED"},
};

static void names(struct strbuf *out, uint64_t bits, const struct flag_name *t, size_t n, int first)
{
	for (size_t i = 0; i < n; i++) {
		if ((bits & t[i].bits) != t[i].bits)
			continue;
		if (!first)
			sb_addc(out, '|');
		sb_adds(out, t[i].name);
		bits &= ~t[i].bits;
		first = 0;
	}
	if (bits) /* bits this table does not know: shown, never dropped */
		sb_addf(out, "%s0x%llx", first ? "" : "|", (unsigned long long)bits);
	else if (first)
		sb_adds(out, "0");
}

void gb_open_flags_str(struct strbuf *out, uint64_t flags)
{
	static const char *const access[] = {"O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"};

	sb_adds(out, access[flags & 3]);
	if (flags & ~3ull)
		names(out, flags & ~3ull, open_flags, sizeof(open_flags) / sizeof(open_flags[0]), 0);
}

void gb_resolve_flags_str(struct strbuf *out, uint64_t resolve)
{
	names(out, resolve, resolve_flags, sizeof(resolve_flags) / sizeof(resolve_flags[0]), 1);
}

int gb_open_flags_use_mode(uint64_t flags)
{
	return (flags & 0100) || (flags & 020000000);
}
