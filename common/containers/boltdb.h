/*
 * A read-only reader of bbolt databases (the B+tree files containerd keeps its containers in,
 * /var/lib/containerd/io.containerd.metadata.v1.bolt/meta.db, and podman 4 its state, bolt_state.db), over a
 * copy of the file in memory. Pure: no I/O, every offset checked, so a torn or corrupt copy (the owner writes
 * while we read; we take no lock) gives fewer entries, never a crash.
 */
#ifndef GADGETBOX_BOLTDB_H
#define GADGETBOX_BOLTDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gb_bolt {
	const uint8_t *data;
	size_t len;
	uint32_t page_size;
};

/* A bucket: its root page, or (root 0) an inline page held in its parent's value. */
struct gb_bolt_bucket {
	uint64_t root;
	const uint8_t *inline_page;
	size_t inline_len;
};

/* Check the file's meta pages and find the root bucket of the newer valid one. Returns 0, or -1 (no bbolt file). */
int gb_bolt_open(struct gb_bolt *db, const void *data, size_t len, struct gb_bolt_bucket *root);

/* Calls @fn for each key of @b in order (@is_bucket: the value is a nested bucket, see gb_bolt_sub); a non-zero
 * return stops the walk and is returned. */
typedef int (*gb_bolt_fn)(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen, bool is_bucket);
int gb_bolt_foreach(const struct gb_bolt *db, const struct gb_bolt_bucket *b, gb_bolt_fn fn, void *ctx);

/* The value of @key in @b: true with *val, *vlen (and *is_bucket) set, or false. */
bool gb_bolt_get(const struct gb_bolt *db, const struct gb_bolt_bucket *b, const char *key, const uint8_t **val,
		 size_t *vlen, bool *is_bucket);
/* The nested bucket @key of @b (a '/'-separated path of keys), into @out: true, or false. */
bool gb_bolt_sub(const struct gb_bolt *db, const struct gb_bolt_bucket *b, const char *path,
		 struct gb_bolt_bucket *out);
/* A bucket from the value of a key whose is_bucket was true. */
bool gb_bolt_bucket_of(const uint8_t *val, size_t vlen, struct gb_bolt_bucket *out);

/* The value (field 2) of a protobuf google.protobuf.Any (containerd stores specs and extensions so; for types
 * that are not protobuf messages the value is their JSON). true with @out and @outlen set, or false. */
bool gb_proto_any_value(const uint8_t *buf, size_t len, const uint8_t **out, size_t *outlen);

/* Go's time.MarshalBinary (containerd's createdat): ns since the epoch, or 0. */
uint64_t gb_go_time_binary(const uint8_t *buf, size_t len);

#endif
