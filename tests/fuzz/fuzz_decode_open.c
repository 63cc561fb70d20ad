/*
 * libFuzzer: an open ring-buffer record (struct open_event, bpf/opensnoop.h), as raw bytes, into
 * gb_decode_open(), with and without full paths. The path must lie inside the record and the full path in the
 * scratch buffer; every byte of both is read.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bpf/opensnoop.h"
#include "decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool inside(const char *p, size_t n, const void *base, size_t base_size)
{
	const char *b = base;

	return p >= b && n <= base_size && p - b <= (ptrdiff_t)(base_size - n);
}

static void touch(const char *p, size_t n)
{
	volatile unsigned char sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += (unsigned char)p[i];
	(void)sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf sb = {0};
	struct gb_open_event ev;

	for (int want_full = 0; want_full < 2; want_full++) {
		if (gb_decode_open(data, size, want_full, &ev, &sb) != 0)
			break;
		if (!inside(ev.path, ev.path_len, data, size))
			__builtin_trap();
		touch(ev.path, ev.path_len);
		if (!want_full) {
			if (ev.full_path || ev.full_path_len || ev.full_path_outside_root)
				__builtin_trap();
			continue;
		}
		if (!ev.full_path ||
		    (ev.full_path_len && !(sb.buf && inside(ev.full_path, ev.full_path_len, sb.buf, sb.len))))
			__builtin_trap();
		touch(ev.full_path, ev.full_path_len);
		if ((unsigned)ev.syscall > GB_SYS_CREAT)
			__builtin_trap();
	}
	sb_free(&sb);
	return 0;
}
