/*
 * libFuzzer: the input as TCP segments of one stream into gb_dns_tcp_segment(), each message it completes into
 * gb_dns_parse(). Input: a 4-byte initial sequence number, a byte for the out-of-order limit (in 64-byte
 * units), then segments: flags (1 byte), an offset from where the previous segment ended (2 bytes, signed),
 * a payload length (1 byte) and the payload. The buffers must stay within their bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnsmsg.h"
#include "dnstcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct gb_dns_msg msg;

static void on_msg(void *ctx, const uint8_t *m, size_t len)
{
	struct gb_dns_tcp *s = ctx;

	if (len < GB_DNS_HEADER_LEN || len > GB_DNS_MAX_MSG)
		__builtin_trap();
	if (gb_dns_parse(&msg, m, len) != 0 && m[0] & 1)
		gb_dns_tcp_resync(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gb_dns_tcp s;
	uint64_t bytes = 0;

	if (size < 5)
		return 0;
	uint32_t seq = (uint32_t)data[0] << 24 | (uint32_t)data[1] << 16 | (uint32_t)data[2] << 8 | data[3];
	gb_dns_tcp_init(&s, on_msg, &s);
	s.max_pending = (size_t)data[4] * 64;
	for (size_t off = 5; size - off >= 4;) {
		unsigned flags = data[off];
		int16_t delta = (int16_t)(data[off + 1] << 8 | data[off + 2]);
		size_t len = data[off + 3];
		off += 4;
		if (len > size - off)
			len = size - off;
		gb_dns_tcp_segment(&s, seq + (uint32_t)(int32_t)delta, data + off, len, flags);
		seq += (uint32_t)(int32_t)delta + (uint32_t)len;
		off += len;
		bytes += len;
		if (s.pend_bytes > s.max_pending || s.npend > GB_DNS_TCP_MAX_SEGMENTS ||
		    s.frame_len > 2 + GB_DNS_MAX_MSG || s.stats.bytes > bytes ||
		    s.stats.messages * (2 + GB_DNS_HEADER_LEN) > s.stats.bytes)
			__builtin_trap();
	}
	gb_dns_tcp_free(&s);
	return 0;
}
