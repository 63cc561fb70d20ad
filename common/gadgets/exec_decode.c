/* The exec record (bpf/execsnoop.h) into a struct gb_exec_event: argv completed from the new program's argv area. */
#include "decode.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bpf/execsnoop.h"

/* Offset just past the @n-th NUL-terminated string at or after @off in buf[0..size) (or size). */
static size_t skip_strings(const char *buf, size_t size, size_t off, unsigned n)
{
	while (n-- && off < size)
		off += strnlen(buf + off, size - off) + 1;
	return off < size ? off : size;
}

/*
 * The argv to show: the strings captured at entry, completed (when a page was not present then) by the
 * new program's argv area. For a script, the kernel put the interpreter in front of the caller's argv, so
 * the caller's argv[i] is the area's string i + (final_argc - orig_argc).
 */
static void exec_argv(const struct exec_event *e, size_t args_size, size_t fn_end, unsigned max_args,
		      struct gb_exec_event *ev, struct strbuf *sb)
{
	size_t cap_end = skip_strings(e->args, args_size, fn_end, e->argc);
	unsigned captured = 0;

	for (size_t off = fn_end; off < cap_end; off += strnlen(e->args + off, cap_end - off) + 1)
		captured++;
	ev->args = e->args + fn_end;
	ev->args_size = cap_end - fn_end;
	ev->argc = captured;
	if (!(e->flags & EXEC_ARGS_FROM_MM))
		return;
	size_t mm_end = cap_end + e->mm_args_size <= args_size ? cap_end + e->mm_args_size : args_size;
	unsigned shift = e->final_argc > e->orig_argc ? e->final_argc - e->orig_argc : 0;
	unsigned limit = e->orig_argc < max_args ? e->orig_argc : max_args;
	unsigned want = limit > captured ? limit - captured : 0;
	size_t from = skip_strings(e->args, mm_end, cap_end, shift + captured);

	sb_reset(sb);
	sb_add(sb, ev->args, ev->args_size);
	for (size_t off = from; want && off < mm_end; want--) {
		size_t n = strnlen(e->args + off, mm_end - off);
		sb_add(sb, e->args + off, n);
		sb_addc(sb, '\0');
		off += n + 1;
		ev->argc++;
	}
	ev->args = sb->buf ? sb->buf : "";
	ev->args_size = sb->len;
}

/* Every argument ends in a NUL, even the last one of a record cut short (then copied to @sb). */
static void terminate_args(struct gb_exec_event *ev, struct strbuf *sb)
{
	if (!ev->args_size || ev->args[ev->args_size - 1] == '\0')
		return;
	if (ev->args != sb->buf) {
		sb_reset(sb);
		sb_add(sb, ev->args, ev->args_size);
	}
	sb_addc(sb, '\0');
	ev->args = sb->buf;
	ev->args_size = sb->len;
}

int gb_decode_exec(const void *data, size_t size, unsigned max_args, struct gb_exec_event *ev, struct strbuf *scratch)
{
	const struct exec_event *e = data;
	size_t hdr = offsetof(struct exec_event, args);

	if (size < hdr)
		return -EINVAL;
	memset(ev, 0, sizeof(*ev));
	gb_decode_proc(&e->proc, &ev->proc);
	size_t args_size = e->args_size < size - hdr ? e->args_size : size - hdr;
	size_t fn_len = strnlen(e->args, args_size);

	ev->ret = e->ret;
	ev->filename = e->args;
	exec_argv(e, args_size, fn_len + 1 < args_size ? fn_len + 1 : args_size, max_args ? max_args : 20, ev, scratch);
	if (e->flags & EXEC_FILENAME_AT_END && args_size >= 2) {
		/* the last string: scan back from its NUL */
		size_t start = args_size - 1;
		while (start > 0 && e->args[start - 1] != '\0')
			start--;
		ev->filename = e->args + start;
		fn_len = strnlen(ev->filename, args_size - start);
	}
	ev->filename_len = fn_len;
	terminate_args(ev, scratch);
	ev->filename_truncated = e->flags & EXEC_FILENAME_TRUNCATED;
	ev->cut_mask = e->cut_mask;
	ev->args_truncated = (e->flags & (EXEC_ARGV_TRUNCATED | EXEC_ARGV_UNREADABLE)) || ev->argc < e->orig_argc;
	ev->compat = e->flags & EXEC_COMPAT;
	return 0;
}
