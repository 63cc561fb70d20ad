/*
 * libFuzzer: the bbolt reader (common/containers/boltdb.c) over any bytes, as a torn or corrupt copy of
 * containerd's meta.db or podman's bolt_state.db would be: every bucket walked to the bottom, every value also
 * read as a protobuf Any and a Go binary time.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boltdb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct gb_bolt db;

static int walk(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen, bool is_bucket)
{
	int depth = (int)(intptr_t)ctx;
	struct gb_bolt_bucket b;
	const uint8_t *any;
	size_t alen;

	(void)key;
	(void)klen;
	if (is_bucket && depth < 8 && gb_bolt_bucket_of(val, vlen, &b))
		gb_bolt_foreach(&db, &b, walk, (void *)(intptr_t)(depth + 1));
	if (!is_bucket && gb_proto_any_value(val, vlen, &any, &alen) && alen)
		(void)any[alen - 1];
	(void)gb_go_time_binary(val, vlen);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gb_bolt_bucket root, sub;
	uint8_t *copy = malloc(size ? size : 1); /* exact size: reads past the end are caught */

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (gb_bolt_open(&db, copy, size, &root) == 0) {
		gb_bolt_foreach(&db, &root, walk, (void *)(intptr_t)0);
		gb_bolt_sub(&db, &root, "v1/default/containers", &sub);
	}
	free(copy);
	return 0;
}
