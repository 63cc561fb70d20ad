/*
 * skelz SKEL.h OBJ.bpf.o > OUT.h: the skeleton bpftool generated, with its elf_bytes() returning the object
 * inflated from a deflated copy (common/core/elfz.h) instead of the object itself. A build tool, built for
 * the build machine with the static zlib of build/deps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static unsigned char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t cap = 0;

	*n = 0;
	if (!f)
		return NULL;
	for (;;) {
		if (*n == cap && !(buf = realloc(buf, cap = cap ? 2 * cap : 1 << 16)))
			break;
		size_t r = fread(buf + *n, 1, cap - *n, f);
		if (!r)
			break;
		*n += r;
	}
	fclose(f);
	return buf;
}

int main(int argc, char **argv)
{
	size_t n;
	unsigned char *obj = argc == 3 ? slurp(argv[2], &n) : NULL;
	FILE *skel = argc == 3 ? fopen(argv[1], "r") : NULL;

	if (!obj || !skel) {
		fprintf(stderr, "usage: skelz SKEL.h OBJ.bpf.o (cannot read %s)\n", obj ? argv[1] : argv[2]);
		return 2;
	}
	uLongf zn = compressBound(n);
	unsigned char *z = malloc(zn);
	if (!z || compress2(z, &zn, obj, n, Z_BEST_COMPRESSION) != Z_OK) {
		fprintf(stderr, "skelz: cannot deflate %s\n", argv[2]);
		return 1;
	}
	char line[4096];
	int replaced = 0, skipping = 0;
	while (fgets(line, sizeof(line), skel)) {
		if (skipping) { /* the original body, up to its closing brace */
			skipping = strcmp(line, "}\n") != 0;
			continue;
		}
		const char *p = strstr(line, "__elf_bytes(size_t *sz)\n");
		if (!p || strncmp(line, "static inline const void *", 26)) {
			fputs(line, stdout);
			continue;
		}
		/* the definition (the prototype ends with ';'): a deflated copy and its inflater */
		printf("#include \"elfz.h\"\n\n%s{\n\tstatic const unsigned char z[] = {", line);
		for (uLongf i = 0; i < zn; i++)
			printf("%s0x%02x,", i % 16 ? "" : "\n\t\t", z[i]);
		printf("\n\t};\n\tstatic struct gb_elf_z e = {z, sizeof(z), %zu, NULL};\n\n", n);
		printf("\treturn gb_elf_inflate(&e, sz);\n}\n");
		replaced = skipping = 1;
	}
	fclose(skel);
	if (!replaced || skipping) {
		fprintf(stderr, "skelz: no elf_bytes() definition in %s (bpftool's skeleton changed?)\n", argv[1]);
		return 1;
	}
	return fflush(stdout) ? 1 : 0;
}
