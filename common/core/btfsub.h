/* The kernel's BTF cut down to what one BPF object's CO-RE relocations need (see btfsub.c). */
#ifndef GADGETBOX_BTFSUB_H
#define GADGETBOX_BTFSUB_H

#include <stddef.h>

/*
 * A memfd holding, as raw BTF, the types of the kernel's BTF (@kernel_btf_path, or the running kernel's when
 * NULL) that the CO-RE relocations of the BPF object @elf can match; for bpf_object_open_opts.btf_custom_path
 * as /proc/self/fd/N. -1 when libbpf should search the whole BTF itself (the object needs something the
 * subset cannot give, or anything failed).
 */
int gb_btf_subset(const void *elf, size_t elf_size, const char *kernel_btf_path);

#endif
