/*
 * bbolt's file format, read-only (go.etcd.io/bbolt: page.go, node.go, bucket.go, db.go's meta):
 * pages of page_size bytes, each a 16-byte header {id u64, flags u16, count u16, overflow u32} and @count
 * 16-byte elements; branch elements {pos u32, ksize u32, pgid u64}, leaf elements {flags u32, pos u32, ksize u32,
 * vsize u32}, with the key (and value) @pos bytes after the element itself. Pages 0 and 1 are metas; the newer
 * valid one (checksum, txid) holds the root bucket. A bucket's value is {root u64, sequence u64}, then, for
 * root 0, an inline page. Little-endian, as on every machine bbolt runs on.
 */
#include "boltdb.h"

#include <string.h>

#define PAGE_HDR      16
#define ELEM_SIZE     16
#define BRANCH_PAGE   0x01
#define LEAF_PAGE     0x02
#define META_PAGE     0x04
#define BUCKET_LEAF   0x01
#define BOLT_MAGIC    0xED0CDAEDu
#define BOLT_VERSION  2
#define META_CSUM_OFF 56 /* magic, version, page size, flags, root {root, seq}, freelist, pgid, txid */
#define MAX_DEPTH     16 /* of a B+tree: a loop in a corrupt file ends here */

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static uint64_t fnv1a64(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

/* A meta page at @off: its txid (and root), or false if it is not a valid one. */
static bool meta_at(const uint8_t *data, size_t len, size_t off, uint64_t *txid, uint32_t *psize, uint64_t *root)
{
	if (len < off || len - off < PAGE_HDR + META_CSUM_OFF + 8)
		return false;
	const uint8_t *p = data + off, *m = p + PAGE_HDR;
	if (!(le16(p + 8) & META_PAGE) || le32(m) != BOLT_MAGIC || le32(m + 4) != BOLT_VERSION)
		return false;
	if (fnv1a64(m, META_CSUM_OFF) != le64(m + META_CSUM_OFF))
		return false;
	*psize = le32(m + 8);
	*root = le64(m + 16);
	*txid = le64(m + 48);
	return *psize >= 512 && *psize <= (1u << 20) && !(*psize & (*psize - 1));
}

int gb_bolt_open(struct gb_bolt *db, const void *data, size_t len, struct gb_bolt_bucket *root)
{
	uint64_t tx0 = 0, tx1 = 0, r0 = 0, r1 = 0;
	uint32_t ps0 = 0, ps1 = 0;
	bool ok0 = meta_at(data, len, 0, &tx0, &ps0, &r0);
	/* the second meta is one page on: the first tells the page size, else try bbolt's usual 4 KiB */
	bool ok1 = meta_at(data, len, ok0 ? ps0 : 4096, &tx1, &ps1, &r1);

	if (!ok0 && !ok1)
		return -1;
	bool second = ok1 && (!ok0 || tx1 > tx0);
	*db = (struct gb_bolt){.data = data, .len = len, .page_size = second ? ps1 : ps0};
	*root = (struct gb_bolt_bucket){.root = second ? r1 : r0};
	return 0;
}

/* A page of @b's tree: its bytes (overflow pages included, cut at the end of the file). */
static const uint8_t *page_at(const struct gb_bolt *db, uint64_t pgid, size_t *plen)
{
	if (pgid < 2 || pgid > db->len / db->page_size)
		return NULL; /* 0 and 1 are metas */
	size_t off = (size_t)pgid * db->page_size;
	if (db->len - off < PAGE_HDR)
		return NULL;
	const uint8_t *p = db->data + off;
	uint64_t span = ((uint64_t)le32(p + 12) + 1) * db->page_size;
	*plen = span < db->len - off ? (size_t)span : db->len - off;
	return p;
}

static int walk_page(const struct gb_bolt *db, const uint8_t *p, size_t plen, int depth, gb_bolt_fn fn, void *ctx)
{
	if (plen < PAGE_HDR || depth > MAX_DEPTH)
		return 0;
	uint16_t flags = le16(p + 8), count = le16(p + 10);
	if ((size_t)count * ELEM_SIZE > plen - PAGE_HDR)
		return 0;
	for (unsigned i = 0; i < count; i++) {
		const uint8_t *e = p + PAGE_HDR + (size_t)i * ELEM_SIZE;
		size_t at = (size_t)(e - p);
		if (flags & BRANCH_PAGE) {
			size_t child_len;
			const uint8_t *child = page_at(db, le64(e + 8), &child_len);
			int rc = child ? walk_page(db, child, child_len, depth + 1, fn, ctx) : 0;
			if (rc)
				return rc;
		} else if (flags & LEAF_PAGE) {
			uint64_t pos = le32(e + 4), ks = le32(e + 8), vs = le32(e + 12);
			if (at + pos + ks + vs > plen)
				continue; /* torn: skip the element */
			const uint8_t *k = e + pos;
			int rc = fn(ctx, k, ks, k + ks, vs, le32(e) & BUCKET_LEAF);
			if (rc)
				return rc;
		}
	}
	return 0;
}

int gb_bolt_foreach(const struct gb_bolt *db, const struct gb_bolt_bucket *b, gb_bolt_fn fn, void *ctx)
{
	if (!b->root)
		return walk_page(db, b->inline_page, b->inline_len, 0, fn, ctx);
	size_t plen;
	const uint8_t *p = page_at(db, b->root, &plen);
	return p ? walk_page(db, p, plen, 0, fn, ctx) : 0;
}

bool gb_bolt_bucket_of(const uint8_t *val, size_t vlen, struct gb_bolt_bucket *out)
{
	if (vlen < 16)
		return false;
	*out = (struct gb_bolt_bucket){.root = le64(val), .inline_page = val + 16, .inline_len = vlen - 16};
	return true;
}

struct get_ctx {
	const char *key;
	size_t klen;
	const uint8_t *val;
	size_t vlen;
	bool is_bucket;
};

static int get_cb(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen, bool is_bucket)
{
	struct get_ctx *g = ctx;

	if (klen != g->klen || memcmp(key, g->key, klen))
		return 0;
	g->val = val;
	g->vlen = vlen;
	g->is_bucket = is_bucket;
	return 1;
}

static bool get_n(const struct gb_bolt *db, const struct gb_bolt_bucket *b, const char *key, size_t klen,
		  struct get_ctx *g)
{
	*g = (struct get_ctx){.key = key, .klen = klen};
	return gb_bolt_foreach(db, b, get_cb, g) == 1;
}

bool gb_bolt_get(const struct gb_bolt *db, const struct gb_bolt_bucket *b, const char *key, const uint8_t **val,
		 size_t *vlen, bool *is_bucket)
{
	struct get_ctx g;

	if (!get_n(db, b, key, strlen(key), &g))
		return false;
	*val = g.val;
	*vlen = g.vlen;
	if (is_bucket)
		*is_bucket = g.is_bucket;
	return true;
}

bool gb_bolt_sub(const struct gb_bolt *db, const struct gb_bolt_bucket *b, const char *path, struct gb_bolt_bucket *out)
{
	struct gb_bolt_bucket cur = *b;
	struct get_ctx g;

	while (*path) {
		size_t len = strcspn(path, "/");
		if (!get_n(db, &cur, path, len, &g) || !g.is_bucket || !gb_bolt_bucket_of(g.val, g.vlen, &cur))
			return false;
		path += len + (path[len] == '/');
	}
	*out = cur;
	return true;
}

/* A protobuf varint at *p (advanced), or false past @end. */
static bool varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	*v = 0;
	for (int shift = 0; *p < end && shift < 64; shift += 7) {
		uint8_t b = *(*p)++;
		*v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return true;
	}
	return false;
}

bool gb_proto_any_value(const uint8_t *buf, size_t len, const uint8_t **out, size_t *outlen)
{
	const uint8_t *p = buf, *end = buf + len;
	uint64_t tag, n;

	while (p < end && varint(&p, end, &tag)) {
		if ((tag & 7) != 2 || !varint(&p, end, &n) || n > (uint64_t)(end - p))
			return false; /* Any has two length-delimited fields only */
		if (tag >> 3 == 2) {
			*out = p;
			*outlen = (size_t)n;
			return true;
		}
		p += n;
	}
	return false;
}

uint64_t gb_go_time_binary(const uint8_t *buf, size_t len)
{
	/* version 1 or 2, seconds since January 1 of year 1 (big-endian), nanoseconds, zone offset */
	if (len < 15 || (buf[0] != 1 && buf[0] != 2))
		return 0;
	uint64_t sec = 0;
	uint32_t nsec = 0;
	for (int i = 0; i < 8; i++)
		sec = sec << 8 | buf[1 + i];
	for (int i = 0; i < 4; i++)
		nsec = nsec << 8 | buf[9 + i];
	const uint64_t unix_from_year1 = 62135596800ull;
	if (sec < unix_from_year1 || sec - unix_from_year1 > 1ull << 33 || nsec >= 1000000000u)
		return 0;
	return (sec - unix_from_year1) * 1000000000ull + nsec;
}
