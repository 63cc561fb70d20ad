/* The BPF objects are embedded in the binary deflated (scripts/skelz.c rewrites each skeleton's elf_bytes()
 * to call gb_elf_inflate): their BTF compresses about fourfold, and they were most of the binary's size. */
#ifndef GADGETBOX_ELFZ_H
#define GADGETBOX_ELFZ_H

#include <stddef.h>

struct gb_elf_z {
	const unsigned char *z; /* the object, deflated (zlib format) */
	size_t z_size;
	size_t size; /* its size inflated */
	void *elf;   /* inflated on first use and kept: libbpf reads it until the object is loaded */
};

/* The object inflated (*@sz its size), or NULL (*@sz 0) without memory: libbpf then fails to open it (EINVAL)
 * and the tracer says so. Thread-safe. */
const void *gb_elf_inflate(struct gb_elf_z *e, size_t *sz);

#endif
