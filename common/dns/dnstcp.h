/*
 * DNS over TCP (RFC 7766 framing: a 2-byte big-endian length, then the message) reassembled from the TCP
 * segments of one direction of one connection. Pure: no libbpf, no kernel.
 *
 * Segments may repeat (retransmissions: bytes already consumed are skipped and counted), overlap, carry several
 * messages or part of one, and arrive a little out of order: up to max_pending bytes (default 128 KiB) wait for
 * the hole before them to fill. When more would have to wait, the hole is given up (a gap): the partial message
 * is dropped and the earliest waiting segment is taken to start a frame. Sequence numbers wrap (32-bit serial
 * arithmetic).
 *
 * Where frames start is known only from the SYN. A stream first seen without its SYN (tracing started late) is
 * assumed to start a frame at the first byte seen: if that guess is wrong the messages handed over are garbage
 * and the parser reports them malformed. A length below 12 (no DNS header fits) proves the framing wrong: the
 * rest of that segment is dropped and the next segment is taken to start a frame (a desync), which is right
 * whenever a peer writes each message with one send. The callback may ask for the same with gb_dns_tcp_resync()
 * when a message does not parse.
 *
 * Memory per stream: the partial message (at most 65537 bytes) and the waiting segments (max_pending bytes, or
 * one segment if it is larger), freed by gb_dns_tcp_free().
 */
#ifndef GADGETBOX_DNSTCP_H
#define GADGETBOX_DNSTCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* the TCP header's flag bits (the caller can pass th->flags as they are) */
#define GB_DNS_TCP_FIN 0x01
#define GB_DNS_TCP_SYN 0x02
#define GB_DNS_TCP_RST 0x04

#define GB_DNS_TCP_MAX_PENDING (128u << 10)
/* waiting segments, whatever their size */
#define GB_DNS_TCP_MAX_SEGMENTS 512

/* A complete message (without its length prefix); @msg is valid during the call only. */
typedef void (*gb_dns_tcp_msg_fn)(void *ctx, const uint8_t *msg, size_t len);

struct gb_dns_tcp_stats {
	uint64_t messages;	/* handed to the callback */
	uint64_t bytes;		/* payload consumed in order */
	uint64_t retrans_bytes; /* skipped: consumed or waiting already */
	uint64_t gaps;		/* holes given up on */
	uint64_t gap_bytes;	/* the sequence space they covered */
	uint64_t desyncs;	/* frame lengths below 12: resynchronised at the next segment */
	uint64_t dropped_bytes; /* partial messages and desynchronised bytes thrown away, data after FIN */
	uint64_t late_starts;	/* streams first seen without their SYN */
};

struct gb_dns_tcp_seg; /* internal */

struct gb_dns_tcp {
	gb_dns_tcp_msg_fn fn;
	void *ctx;
	size_t max_pending; /* out-of-order bytes kept; may be changed between segments */
	struct gb_dns_tcp_stats stats;
	/* internal */
	uint8_t state;
	bool resync, have_isn;
	uint32_t isn, next_seq;
	uint8_t *frame;
	size_t frame_len, frame_cap;
	struct gb_dns_tcp_seg *pend;
	size_t npend, pend_cap, pend_bytes;
};

/* Prepares @s for one direction of a connection; @fn gets each message. */
void gb_dns_tcp_init(struct gb_dns_tcp *s, gb_dns_tcp_msg_fn fn, void *ctx);
/*
 * One TCP segment: its sequence number, payload and flags (GB_DNS_TCP_*). A SYN (re)starts the stream, a FIN
 * ends it (a partial message is dropped; later data is ignored until a SYN), a RST forgets it (the next
 * segment starts it again, as a late start). Calls the callback for each message it completes.
 */
void gb_dns_tcp_segment(struct gb_dns_tcp *s, uint32_t seq, const void *data, size_t len, unsigned flags);
/* From the callback: drop the rest of the segment being consumed; the next segment starts a frame. */
void gb_dns_tcp_resync(struct gb_dns_tcp *s);
/* Frees the buffers (NULL allowed); @s can be initialised again. */
void gb_dns_tcp_free(struct gb_dns_tcp *s);

#endif
