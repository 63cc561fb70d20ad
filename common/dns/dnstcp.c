#include "dnstcp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsmsg.h"

enum { STREAM_NONE, STREAM_OPEN, STREAM_CLOSED };

/* a segment waiting for the hole before it */
struct gb_dns_tcp_seg {
	uint32_t seq;
	uint32_t len;
	bool fin;
	uint8_t *data;
};

/* a - b in serial arithmetic (RFC 1982): negative when a comes before b. */
static int32_t seq_diff(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}

void gb_dns_tcp_init(struct gb_dns_tcp *s, gb_dns_tcp_msg_fn fn, void *ctx)
{
	*s = (struct gb_dns_tcp){.fn = fn, .ctx = ctx, .max_pending = GB_DNS_TCP_MAX_PENDING};
}

void gb_dns_tcp_resync(struct gb_dns_tcp *s)
{
	s->resync = true;
}

/* Throws away the partial message. */
static void drop_partial(struct gb_dns_tcp *s)
{
	s->stats.dropped_bytes += s->frame_len;
	s->frame_len = 0;
}

/* Throws away the waiting segments. */
static void drop_pending(struct gb_dns_tcp *s)
{
	for (size_t i = 0; i < s->npend; i++) {
		s->stats.dropped_bytes += s->pend[i].len;
		free(s->pend[i].data);
	}
	s->npend = 0;
	s->pend_bytes = 0;
}

/* Makes the frame buffer hold @need bytes (at most 2 + 65535). */
/* Room for a message of @need bytes; false without memory (the caller drops what it cannot keep). */
static bool frame_reserve(struct gb_dns_tcp *s, size_t need)
{
	if (need <= s->frame_cap)
		return true;
	size_t cap = s->frame_cap ? s->frame_cap * 2 : 512;
	if (cap < need)
		cap = need;
	if (cap > 2 + GB_DNS_MAX_MSG)
		cap = 2 + GB_DNS_MAX_MSG;
	uint8_t *f = realloc(s->frame, cap);
	if (!f)
		return false;
	s->frame = f;
	s->frame_cap = cap;
	return true;
}

/* Hands one message to the callback; true when the callback asked for a resync. */
static bool deliver(struct gb_dns_tcp *s, const uint8_t *msg, size_t len)
{
	s->stats.messages++;
	s->resync = false;
	if (s->fn)
		s->fn(s->ctx, msg, len);
	return s->resync;
}

/*
 * Bytes that continue the stream: completes frames (straight from @p when a whole one is there, else through
 * the frame buffer) and hands each message over.
 */
static void consume(struct gb_dns_tcp *s, const uint8_t *p, size_t n)
{
	s->next_seq += (uint32_t)n;
	s->stats.bytes += n;
	while (n) {
		if (!s->frame_len && n >= 2) {
			size_t len = (size_t)p[0] << 8 | p[1];
			if (len < GB_DNS_HEADER_LEN)
				goto desync;
			if (n >= 2 + len) {
				bool resync = deliver(s, p + 2, len);
				p += 2 + len, n -= 2 + len;
				if (resync)
					goto drop;
				continue;
			}
		}
		if (!frame_reserve(s, 2))
			goto drop;
		if (s->frame_len < 2) {
			s->frame[s->frame_len++] = *p++;
			n--;
			continue;
		}
		size_t need = 2 + ((size_t)s->frame[0] << 8 | s->frame[1]);
		if (need < 2 + GB_DNS_HEADER_LEN)
			goto desync;
		if (!frame_reserve(s, need))
			goto drop;
		size_t take = need - s->frame_len < n ? need - s->frame_len : n;
		memcpy(s->frame + s->frame_len, p, take);
		s->frame_len += take;
		p += take, n -= take;
		if (s->frame_len == need) {
			s->frame_len = 0;
			if (deliver(s, s->frame + 2, need - 2))
				goto drop;
		}
	}
	/* a length completed by the last byte is checked now, not when the next segment comes */
	if (s->frame_len == 2 && ((size_t)s->frame[0] << 8 | s->frame[1]) < GB_DNS_HEADER_LEN)
		goto desync;
	return;
desync:
	s->stats.desyncs++;
drop:
	s->stats.dropped_bytes += s->frame_len + n;
	s->frame_len = 0;
}

/* After a FIN: nothing more belongs to this connection. */
static void stream_close(struct gb_dns_tcp *s)
{
	drop_partial(s);
	drop_pending(s);
	s->state = STREAM_CLOSED;
}

/* A segment that starts at or before next_seq: skips what was consumed, consumes the rest, honours its FIN. */
static void in_order(struct gb_dns_tcp *s, uint32_t seq, const uint8_t *p, size_t len, bool fin)
{
	size_t old = (uint32_t)(s->next_seq - seq);

	if (old > len) {
		s->stats.retrans_bytes += len;
		return;
	}
	s->stats.retrans_bytes += old;
	if (len > old)
		consume(s, p + old, len - old);
	if (fin)
		stream_close(s);
}

/* Consumes the waiting segments that the stream has reached. */
static void drain(struct gb_dns_tcp *s)
{
	while (s->state == STREAM_OPEN && s->npend && seq_diff(s->pend[0].seq, s->next_seq) <= 0) {
		struct gb_dns_tcp_seg seg = s->pend[0];
		s->npend--;
		memmove(s->pend, s->pend + 1, s->npend * sizeof(*s->pend));
		s->pend_bytes -= seg.len;
		in_order(s, seg.seq, seg.data, seg.len, seg.fin);
		free(seg.data);
	}
}

/* Keeps an out-of-order segment; past the limits, gives up the hole before the earliest one (a gap). */
static void store_pending(struct gb_dns_tcp *s, uint32_t seq, const uint8_t *p, size_t len, bool fin)
{
	size_t i;

	for (i = 0; i < s->npend; i++) {
		const struct gb_dns_tcp_seg *w = &s->pend[i];
		if (w->seq == seq && w->len >= len && (w->fin || !fin)) {
			s->stats.retrans_bytes += len;
			return;
		}
	}
	for (i = 0; i < s->npend && seq_diff(s->pend[i].seq, seq) <= 0; i++)
		;
	/* without memory the segment is not kept: the gap it leaves is handled as any other */
	if (s->npend == s->pend_cap) {
		size_t cap = s->pend_cap ? s->pend_cap * 2 : 8;
		struct gb_dns_tcp_seg *v = realloc(s->pend, cap * sizeof(*s->pend));
		if (!v)
			return;
		s->pend = v;
		s->pend_cap = cap;
	}
	uint8_t *copy = len ? malloc(len) : NULL;
	if (len && !copy)
		return;
	if (copy)
		memcpy(copy, p, len);
	memmove(s->pend + i + 1, s->pend + i, (s->npend - i) * sizeof(*s->pend));
	s->pend[i] = (struct gb_dns_tcp_seg){.seq = seq, .len = (uint32_t)len, .fin = fin, .data = copy};
	s->npend++;
	s->pend_bytes += len;
	while (s->state == STREAM_OPEN && s->npend &&
	       (s->pend_bytes > s->max_pending || s->npend > GB_DNS_TCP_MAX_SEGMENTS)) {
		s->stats.gaps++;
		s->stats.gap_bytes += (uint32_t)(s->pend[0].seq - s->next_seq);
		drop_partial(s);
		s->next_seq = s->pend[0].seq;
		drain(s);
	}
}

void gb_dns_tcp_segment(struct gb_dns_tcp *s, uint32_t seq, const void *data, size_t len, unsigned flags)
{
	const uint8_t *p = data;
	bool fin = flags & GB_DNS_TCP_FIN;

	/* one TCP segment carries less than 4 GiB; anything larger would break the sequence arithmetic */
	if (len > INT32_MAX)
		len = INT32_MAX;
	if (flags & GB_DNS_TCP_RST) {
		drop_partial(s);
		drop_pending(s);
		s->state = STREAM_NONE;
		return;
	}
	if (flags & GB_DNS_TCP_SYN) {
		/* a retransmitted SYN is skipped like data; another one starts a new connection */
		if (s->state == STREAM_NONE || !s->have_isn || seq != s->isn) {
			drop_partial(s);
			drop_pending(s);
			s->state = STREAM_OPEN;
			s->isn = seq;
			s->have_isn = true;
			s->next_seq = seq + 1;
		}
		seq++;
	}
	if (!len && !fin)
		return;
	if (s->state == STREAM_NONE) {
		if (!len)
			return;
		s->stats.late_starts++;
		s->state = STREAM_OPEN;
		s->have_isn = false;
		s->next_seq = seq;
	}
	if (s->state == STREAM_CLOSED) {
		int32_t d = seq_diff(s->next_seq, seq);
		size_t old = d <= 0 ? 0 : (size_t)d < len ? (size_t)d : len;
		s->stats.retrans_bytes += old;
		s->stats.dropped_bytes += len - old;
		return;
	}
	if (seq_diff(seq, s->next_seq) > 0)
		store_pending(s, seq, p, len, fin);
	else
		in_order(s, seq, p, len, fin);
	drain(s);
}

void gb_dns_tcp_free(struct gb_dns_tcp *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->npend; i++)
		free(s->pend[i].data);
	free(s->pend);
	free(s->frame);
	*s = (struct gb_dns_tcp){0};
}
