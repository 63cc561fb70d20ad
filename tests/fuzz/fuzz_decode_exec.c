/*
 * libFuzzer: an exec ring-buffer record (struct exec_event, bpf/execsnoop.h), as raw bytes, into
 * gb_decode_exec(). Beyond what ASan and UBSan see, every string of the event must lie inside the record or the
 * scratch buffer, and argc must count the strings of args.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bpf/execsnoop.h"
#include "decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool inside(const char *p, size_t n, const void *base, size_t base_size)
{
	const char *b = base;

	return p >= b && n <= base_size && p - b <= (ptrdiff_t)(base_size - n);
}

/* Read every byte, so that ASan checks the whole range. */
static void touch(const char *p, size_t n)
{
	volatile unsigned char sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += (unsigned char)p[i];
	(void)sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned max_args[] = {0, 1, EXEC_DEFAULT_MAX_ARGS, EXEC_MAX_ARGS_LIMIT};
	struct strbuf sb = {0};
	struct gb_exec_event ev;

	for (size_t i = 0; i < sizeof(max_args) / sizeof(max_args[0]); i++) {
		if (gb_decode_exec(data, size, max_args[i], &ev, &sb) != 0) {
			if (size >= offsetof(struct exec_event, args))
				__builtin_trap(); /* only a short record is refused */
			break;
		}
		if (ev.filename_len && !inside(ev.filename, ev.filename_len, data, size))
			__builtin_trap();
		if (ev.args_size && !inside(ev.args, ev.args_size, data, size) &&
		    !(sb.buf && inside(ev.args, ev.args_size, sb.buf, sb.len)))
			__builtin_trap();
		touch(ev.filename, ev.filename_len);
		touch(ev.args, ev.args_size);
		unsigned n = 0;
		for (size_t off = 0; off < ev.args_size; off += strnlen(ev.args + off, ev.args_size - off) + 1)
			n++;
		if (n != ev.argc)
			__builtin_trap();
		if (ev.argc < ((const struct exec_event *)data)->orig_argc && !ev.args_truncated)
			__builtin_trap();
	}
	sb_free(&sb);
	return 0;
}
