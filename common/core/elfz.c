#include "elfz.h"

#include <pthread.h>
#include <stdlib.h>
#include <zlib.h>

#include "diag.h"

static pthread_mutex_t elfz_lock = PTHREAD_MUTEX_INITIALIZER;

const void *gb_elf_inflate(struct gb_elf_z *e, size_t *sz)
{
	pthread_mutex_lock(&elfz_lock);
	if (!e->elf) {
		unsigned char *buf = malloc(e->size);
		uLongf n = e->size;
		int err = buf ? uncompress(buf, &n, e->z, e->z_size) : Z_MEM_ERROR;
		if (err == Z_OK && n == e->size)
			e->elf = buf;
		else {
			free(buf);
			gb_warn("cannot inflate an embedded BPF object: %s",
				err == Z_MEM_ERROR ? "out of memory" : "corrupt");
		}
	}
	pthread_mutex_unlock(&elfz_lock);
	*sz = e->elf ? e->size : 0;
	return e->elf;
}
