/*
 * libFuzzer: a signal ring-buffer record (struct signal_event, bpf/sigsnoop.h), as raw bytes, into
 * gb_decode_signal(). The comms must end within their arrays; the result, the origin and the kill syscall
 * must have names.
 */
#include <stdint.h>
#include <string.h>

#include "bpf/sigsnoop.h"
#include "decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gb_signal_event ev;

	if (gb_decode_signal(data, size, &ev) != 0)
		return 0;
	if (strnlen(ev.proc.comm, sizeof(ev.proc.comm)) == sizeof(ev.proc.comm) ||
	    strnlen(ev.target.comm, sizeof(ev.target.comm)) == sizeof(ev.target.comm))
		__builtin_trap();
	if (!strcmp(gb_signal_result_name(ev.result), "unknown") ||
	    !strcmp(gb_signal_origin_name(ev.info.origin), "unknown"))
		__builtin_trap();
	if (ev.kill_syscall && !strlen(ev.kill_syscall)) /* read every byte of the name */
		__builtin_trap();
	return 0;
}
