/*
 * libFuzzer: the network tracers' ring-buffer records, as raw bytes: a bind record (struct bind_event,
 * bpf/bindsnoop.h) into gb_decode_bind() (the sockaddr and a UNIX path must lie inside the record; every byte
 * of both is read) and a TCP record (struct tcp_event, bpf/tcptracer.h) into gb_decode_tcp().
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void touch(const void *p, size_t n)
{
	volatile unsigned char sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += ((const unsigned char *)p)[i];
	(void)sum;
}

static int inside(const void *p, size_t n, const uint8_t *base, size_t size)
{
	const uint8_t *q = p;

	return q >= base && n <= size && (size_t)(q - base) <= size - n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gb_bind_event ev;
	/* a copy of exactly @size bytes: ASan sees any read past the record */
	uint8_t *rec = malloc(size ? size : 1);

	memcpy(rec, data, size);
	if (gb_decode_bind(rec, size, &ev) == 0) {
		if (!inside(ev.sockaddr, ev.sockaddr_len, rec, size) ||
		    (ev.path && !inside(ev.path, ev.path_len, rec, size)))
			__builtin_trap();
		touch(ev.sockaddr, ev.sockaddr_len);
		if (ev.path)
			touch(ev.path, ev.path_len);
	}
	struct gb_tcp_event tev;
	if (gb_decode_tcp(rec, size, &tev) == 0 &&
	    ((unsigned)tev.type < GB_TCP_CONNECT || (unsigned)tev.type > GB_TCP_CLOSE ||
	     (unsigned)tev.ended_by > GB_TCP_END_TIMEOUT))
		__builtin_trap();
	free(rec);
	return 0;
}
