/*
 * libFuzzer: an exit ring-buffer record (struct exit_event, bpf/exitsnoop.h), as raw bytes, into
 * gb_decode_exit(). The comms it gives must end within their arrays, the status must split as wait() does.
 */
#include <stdint.h>
#include <string.h>

#include "bpf/exitsnoop.h"
#include "decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gb_exit_event ev;

	if (gb_decode_exit(data, size, &ev) != 0)
		return 0;
	if (strnlen(ev.proc.comm, sizeof(ev.proc.comm)) == sizeof(ev.proc.comm) ||
	    strnlen(ev.sender.comm, sizeof(ev.sender.comm)) == sizeof(ev.sender.comm))
		__builtin_trap();
	if (ev.signal < 0 || ev.signal > 0x7f || ev.exit_code < 0 || ev.exit_code > 255 || (ev.signal && ev.exit_code))
		__builtin_trap();
	if (ev.cause.sig && ev.signal && ev.cause.sig != ev.signal)
		__builtin_trap();
	if (!strcmp(gb_signal_origin_name(ev.cause.origin), "unknown"))
		__builtin_trap();
	return 0;
}
