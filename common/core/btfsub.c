/*
 * The kernel's BTF cut down to what one BPF object's CO-RE relocations look at.
 *
 * libbpf resolves each relocated type by walking the kernel's whole BTF for candidates with its name: one
 * walk per distinct type, ~1.5 ms each for the 126,000 types of a 6.x kernel, which was most of an applet's
 * start-up (17 types: 30 ms). Here one walk finds every type the object names, and a small BTF of them is
 * handed to libbpf as bpf_object_open_opts.btf_custom_path (a memfd), so its walks see a few hundred types.
 *
 * What the subset holds, and why that is enough for libbpf's matching (relo_core.c):
 *   - every kernel type whose kind and name match a relocation's root type (all of them, as libbpf would
 *     find them, flavors like task_struct___old included);
 *   - with all their members, and the types of those members recursively: a field access may go through
 *     embedded structs, unions and arrays, and compares the kinds, sizes and signedness of what it finds;
 *   - except that every pointer points to void. A relocation never crosses a pointer (each dereference is a
 *     relocation of its own, rooted at the pointed-to type), and libbpf compares pointer members as
 *     compatible without looking at their targets. This keeps the subset from pulling in the whole kernel.
 * The kernel's BTF is read raw (mapped, walked once to index it and find the candidates): libbpf's parser
 * validates every type and took 8 ms here, more than the walk it saves.
 * Relocations that need the kernel's own type ids (bpf_core_type_id_kernel) or compare whole types
 * (bpf_core_type_matches), and root types the kernel's BTF does not have (libbpf then looks in modules),
 * make it step aside: NULL, and libbpf does what it always does.
 */
#include "btfsub.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/btf.h>

#include "diag.h"

/* .BTF.ext as the compiler writes it (include/uapi/linux/btf.h has no copy of these; libbpf's are private) */
struct ext_header {
	uint16_t magic;
	uint8_t version, flags;
	uint32_t hdr_len;
	uint32_t func_info_off, func_info_len, line_info_off, line_info_len;
	uint32_t core_relo_off, core_relo_len;
};

struct core_relo {
	uint32_t insn_off, type_id, access_str_off, kind;
};

enum {
	RELO_TYPE_ID_LOCAL = 6,
	RELO_TYPE_ID_TARGET = 7,
	RELO_TYPE_EXISTS = 8,
	RELO_TYPE_SIZE = 9,
	RELO_TYPE_MATCHES = 12
};

struct roots {
	const struct btf *local;
	uint32_t *ids; /* local root type ids, distinct */
	unsigned n, cap;
};

/* The length of @name without a flavor suffix ("task_struct___old" -> 11), as libbpf compares names. */
static size_t essential_len(const char *name)
{
	const char *flavor = strstr(name, "___");

	return flavor ? (size_t)(flavor - name) : strlen(name);
}

static int add_root(struct roots *r, uint32_t id)
{
	for (unsigned i = 0; i < r->n; i++)
		if (r->ids[i] == id)
			return 0;
	if (r->n == r->cap) {
		unsigned cap = r->cap ? 2 * r->cap : 32;
		uint32_t *ids = realloc(r->ids, cap * sizeof(*ids));
		if (!ids)
			return -ENOMEM;
		r->ids = ids, r->cap = cap;
	}
	r->ids[r->n++] = id;
	return 0;
}

/* Whether local type @id is, through typedefs and modifiers, a struct, union, enum, int or forward
 * declaration: what a type-based relocation compares by kind and name only. */
static bool plain_root(const struct btf *local, uint32_t id)
{
	const struct btf_type *t = btf__type_by_id(local, id);

	for (int depth = 0; t && depth < 32 && (btf_is_typedef(t) || btf_is_mod(t)); depth++)
		t = btf__type_by_id(local, t->type);
	return t && (btf_is_composite(t) || btf_is_any_enum(t) || btf_is_int(t) || btf_is_fwd(t));
}

/* The root types of the CO-RE relocations in @ext (a .BTF.ext section). -ENOTSUP: libbpf must do these. */
static int read_roots(const void *ext, size_t size, struct roots *r)
{
	const struct ext_header *h = ext;

	if (size < sizeof(*h) || h->magic != 0xeB9F || h->hdr_len < offsetof(struct ext_header, core_relo_len) + 4 ||
	    h->hdr_len > size)
		return -EINVAL;
	const uint8_t *p = (const uint8_t *)ext + h->hdr_len + h->core_relo_off, *end = p + h->core_relo_len;
	if (!h->core_relo_len)
		return 0;
	if (end > (const uint8_t *)ext + size || end < p || end - p < 4)
		return -EINVAL;
	uint32_t rec_size = *(const uint32_t *)p;
	if (rec_size < sizeof(struct core_relo))
		return -EINVAL;
	for (p += 4; end - p >= 8;) {
		uint32_t nrec = ((const uint32_t *)p)[1];
		p += 8;
		if ((uint64_t)nrec * rec_size > (uint64_t)(end - p))
			return -EINVAL;
		for (uint32_t i = 0; i < nrec; i++, p += rec_size) {
			const struct core_relo *rel = (const void *)p;
			if (rel->kind == RELO_TYPE_ID_TARGET || rel->kind == RELO_TYPE_MATCHES)
				return -ENOTSUP;
			if ((rel->kind == RELO_TYPE_EXISTS || rel->kind == RELO_TYPE_SIZE) &&
			    !plain_root(r->local, rel->type_id))
				return -ENOTSUP; /* libbpf compares a pointer's or array's target: not kept here */
			if (rel->kind != RELO_TYPE_ID_LOCAL && add_root(r, rel->type_id))
				return -ENOMEM;
		}
	}
	return 0;
}

/* The .BTF and .BTF.ext sections of the object @elf. */
static int find_sections(const void *elf, size_t size, Elf_Data **btf, Elf_Data **ext, Elf **e_out)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	elf_version(EV_CURRENT);
	Elf *e = elf_memory((char *)elf, size);
	if (!e || elf_getshdrstrndx(e, &shstrndx))
		goto fail;
	*btf = *ext = NULL;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		const char *name = gelf_getshdr(scn, &sh) ? elf_strptr(e, shstrndx, sh.sh_name) : NULL;
		if (name && !strcmp(name, ".BTF"))
			*btf = elf_getdata(scn, NULL);
		else if (name && !strcmp(name, ".BTF.ext"))
			*ext = elf_getdata(scn, NULL);
	}
	if (!*btf || !*ext)
		goto fail;
	*e_out = e;
	return 0;
fail:
	if (e)
		elf_end(e);
	return -EINVAL;
}

/* The kernel's BTF, raw: mapped, with an index of where each type starts. */
struct kbtf {
	const uint8_t *map;
	size_t map_size;
	bool copied;	      /* read into the heap, where it could not be mapped */
	const uint8_t *types; /* type section */
	const char *strs;
	uint32_t types_len, strs_len;
	uint32_t *off; /* type id -> offset in the type section; [0] is void */
	uint32_t n;
};

static const struct btf_type *ktype(const struct kbtf *k, uint32_t id)
{
	return id && id < k->n ? (const struct btf_type *)(k->types + k->off[id]) : NULL;
}

static const char *kname(const struct kbtf *k, uint32_t off)
{
	return off < k->strs_len ? k->strs + off : NULL;
}

/* The bytes after the struct btf_type of a type of @kind with @vlen entries, or -1 for an unknown kind. */
static long kind_extra(unsigned kind, unsigned vlen)
{
	switch (kind) {
	case BTF_KIND_INT:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG: return 4;
	case BTF_KIND_PTR:
	case BTF_KIND_FWD:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPE_TAG: return 0;
	case BTF_KIND_ARRAY: return sizeof(struct btf_array);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION: return (long)vlen * sizeof(struct btf_member);
	case BTF_KIND_ENUM: return (long)vlen * sizeof(struct btf_enum);
	case BTF_KIND_FUNC_PROTO: return (long)vlen * sizeof(struct btf_param);
	case BTF_KIND_DATASEC: return (long)vlen * sizeof(struct btf_var_secinfo);
	case BTF_KIND_ENUM64: return (long)vlen * sizeof(struct btf_enum64);
	}
	return -1;
}

static void kbtf_close(struct kbtf *k)
{
	if (k->copied)
		free((void *)k->map);
	else if (k->map && k->map != MAP_FAILED)
		munmap((void *)k->map, k->map_size);
	free(k->off);
}

/* Map raw BTF at @path (build() indexes it). -ENOTSUP for anything but raw BTF (an ELF file, say). */
static int kbtf_open(struct kbtf *k, const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	memset(k, 0, sizeof(*k));
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || st.st_size < (off_t)sizeof(struct btf_header)) {
		close(fd);
		return -EINVAL;
	}
	k->map_size = st.st_size;
	k->map = mmap(NULL, k->map_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (k->map == MAP_FAILED) { /* sysfs allows mapping the kernel's BTF from 6.16 on: read it before that */
		uint8_t *buf = malloc(k->map_size);
		size_t got = 0;
		for (ssize_t n; buf && got < k->map_size; got += n)
			if ((n = read(fd, buf + got, k->map_size - got)) <= 0)
				break;
		if (!buf || got < k->map_size) {
			free(buf);
			close(fd);
			return buf ? -EIO : -ENOMEM;
		}
		k->map = buf;
		k->copied = true;
	}
	close(fd);
	const struct btf_header *h = (const void *)k->map;
	if (h->magic != BTF_MAGIC)
		return -ENOTSUP;
	uint64_t base = h->hdr_len;
	if (base < sizeof(*h) || base + h->type_off + h->type_len > k->map_size ||
	    base + h->str_off + h->str_len > k->map_size || !h->str_len || (h->type_off & 3))
		return -EINVAL;
	k->types = k->map + base + h->type_off;
	k->types_len = h->type_len;
	k->strs = (const char *)k->map + base + h->str_off;
	k->strs_len = h->str_len;
	if (k->strs[k->strs_len - 1])
		return -EINVAL; /* kname() relies on the table ending in a NUL */
	uint32_t cap = 1 + h->type_len / sizeof(struct btf_type);
	if (!(k->off = malloc(cap * sizeof(*k->off))))
		return -ENOMEM;
	return 0;
}

struct copier {
	const struct kbtf *src;
	struct btf *dst;
	int32_t *map; /* kernel id -> subset id + 1 (0: not copied yet) */
	int void_ptr; /* the subset's one pointer type, to void */
};

static int copy_type(struct copier *c, uint32_t id, int depth);

static int copy_members(struct copier *c, const struct btf_type *t, int *ids, int depth)
{
	const struct btf_member *m = btf_members(t);

	for (unsigned i = 0; i < btf_vlen(t); i++)
		if ((ids[i] = copy_type(c, m[i].type, depth + 1)) < 0)
			return ids[i];
	return 0;
}

static int copy_enum(struct copier *c, const struct btf_type *t, const char *name)
{
	int rc;

	if (btf_is_enum(t)) {
		const struct btf_enum *e = btf_enum(t);
		rc = btf__add_enum(c->dst, name, t->size);
		for (unsigned i = 0; rc > 0 && i < btf_vlen(t); i++) {
			const char *v = kname(c->src, e[i].name_off);
			int err = v ? btf__add_enum_value(c->dst, v, e[i].val) : -EINVAL;
			rc = err ? err : rc;
		}
		if (rc > 0) { /* the kernel's signedness (libbpf guesses it from the values) */
			struct btf_type *d = (struct btf_type *)btf__type_by_id(c->dst, rc);
			d->info = (d->info & ~(1u << 31)) | (t->info & (1u << 31));
		}
		return rc;
	}
	const struct btf_enum64 *e = btf_enum64(t);
	rc = btf__add_enum64(c->dst, name, t->size, btf_kflag(t));
	for (unsigned i = 0; rc > 0 && i < btf_vlen(t); i++) {
		const char *v = kname(c->src, e[i].name_off);
		int err = v ? btf__add_enum64_value(c->dst, v, btf_enum64_value(&e[i])) : -EINVAL;
		rc = err ? err : rc;
	}
	return rc;
}

/* Copy kernel type @id (and what it embeds) into the subset; its subset id, or a negative errno. */
static int copy_type(struct copier *c, uint32_t id, int depth)
{
	const struct btf_type *t = ktype(c->src, id);
	int ref, rc = 0;

	if (!id)
		return 0;
	if (!t || depth > 64)
		return -EINVAL;
	if (c->map[id])
		return c->map[id] - 1;
	const char *name = kname(c->src, t->name_off);
	if (!name)
		return -EINVAL;
	switch (btf_kind(t)) {
	case BTF_KIND_INT: {
		uint32_t info = *(const uint32_t *)(t + 1);
		if (BTF_INT_OFFSET(info) || BTF_INT_BITS(info) != t->size * 8)
			return -ENOTSUP; /* not a plain integer: btf__add_int() cannot say it */
		rc = btf__add_int(c->dst, name, t->size, BTF_INT_ENCODING(info));
		break;
	}
	case BTF_KIND_FLOAT: rc = btf__add_float(c->dst, name, t->size); break;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64: rc = copy_enum(c, t, name); break;
	case BTF_KIND_FWD: rc = btf__add_fwd(c->dst, name, btf_kflag(t) ? BTF_FWD_UNION : BTF_FWD_STRUCT); break;
	case BTF_KIND_PTR:
		if (!c->void_ptr && (c->void_ptr = btf__add_ptr(c->dst, 0)) < 0)
			return c->void_ptr;
		rc = c->void_ptr;
		break;
	case BTF_KIND_ARRAY: {
		const struct btf_array *a = btf_array(t);
		int elem = copy_type(c, a->type, depth + 1), index = copy_type(c, a->index_type, depth + 1);
		if (elem < 0 || index < 0)
			return elem < 0 ? elem : index;
		rc = btf__add_array(c->dst, index, elem, a->nelems);
		break;
	}
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION: {
		int *ids = calloc(btf_vlen(t) + 1, sizeof(*ids));
		if (!ids)
			return -ENOMEM;
		/* the members' types first: libbpf adds fields to the type added last */
		if (!(rc = copy_members(c, t, ids, depth))) {
			const struct btf_member *m = btf_members(t);
			rc = btf_is_struct(t) ? btf__add_struct(c->dst, name, t->size)
					      : btf__add_union(c->dst, name, t->size);
			for (unsigned i = 0; rc > 0 && i < btf_vlen(t); i++) {
				const char *field = kname(c->src, m[i].name_off);
				int err = field ? btf__add_field(c->dst, field, ids[i], btf_member_bit_offset(t, i),
								 btf_member_bitfield_size(t, i))
						: -EINVAL;
				rc = err ? err : rc;
			}
		}
		free(ids);
		break;
	}
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
		if ((ref = copy_type(c, t->type, depth + 1)) < 0)
			return ref;
		rc = btf_is_typedef(t)	  ? btf__add_typedef(c->dst, name, ref)
		     : btf_is_const(t)	  ? btf__add_const(c->dst, ref)
		     : btf_is_volatile(t) ? btf__add_volatile(c->dst, ref)
					  : btf__add_restrict(c->dst, ref);
		break;
	case BTF_KIND_TYPE_TAG: return copy_type(c, t->type, depth + 1);
	default: /* functions, variables, sections, tags: not inside a struct */ return -EINVAL;
	}
	if (rc < 0)
		return rc;
	c->map[id] = rc + 1;
	return rc;
}

/* Whether kernel type @t can be a candidate for local type @l (libbpf: same kind; enums of either width). */
static bool kind_compat(const struct btf_type *t, const struct btf_type *l)
{
	return btf_kind(t) == btf_kind(l) || (btf_is_any_enum(t) && btf_is_any_enum(l));
}

struct match {
	uint32_t id;
	unsigned root;
};

/*
 * Index the kernel's types and, in the same pass (the walk is bound by memory), note the candidates of each
 * root; then copy them into @dst. -ENOENT: a root has no candidate.
 */
static int build(const struct roots *r, struct kbtf *k, struct btf *dst)
{
	const char *names[r->n];
	size_t lens[r->n];
	uint8_t matched[r->n];
	struct match m[256];
	unsigned nm = 0, found = 0;
	uint32_t kinds = 0;
	int rc = 0;

	/* only the kinds of the roots are looked at: for structs, ~11,000 of the kernel's ~126,000 types */
	for (unsigned i = 0; i < r->n; i++) {
		const struct btf_type *l = btf__type_by_id(r->local, r->ids[i]);
		names[i] = btf__name_by_offset(r->local, l->name_off);
		lens[i] = essential_len(names[i]);
		matched[i] = 0;
		kinds |= btf_is_any_enum(l) ? 1u << BTF_KIND_ENUM | 1u << BTF_KIND_ENUM64 : 1u << btf_kind(l);
	}
	k->n = 1;
	for (uint32_t pos = 0; pos < k->types_len;) {
		if (k->types_len - pos < sizeof(struct btf_type))
			return -EINVAL;
		const struct btf_type *t = (const void *)(k->types + pos);
		long extra = kind_extra(btf_kind(t), btf_vlen(t));
		if (extra < 0 || (uint64_t)k->types_len - pos - sizeof(*t) < (uint64_t)extra)
			return -EINVAL;
		k->off[k->n++] = pos;
		pos += sizeof(*t) + extra;
		const char *name = t->name_off && (kinds & 1u << btf_kind(t)) ? kname(k, t->name_off) : NULL;
		for (unsigned i = 0; name && i < r->n; i++) {
			if (name[0] != names[i][0] || strncmp(name, names[i], lens[i]) ||
			    essential_len(name) != lens[i] || !kind_compat(t, btf__type_by_id(r->local, r->ids[i])))
				continue;
			if (nm == sizeof(m) / sizeof(m[0]))
				return -E2BIG;
			m[nm++] = (struct match){k->n - 1, i};
		}
	}
	struct copier c = {.src = k, .dst = dst, .map = calloc(k->n, sizeof(int32_t))};
	if (!c.map)
		return -ENOMEM;
	for (unsigned j = 0; j < nm && rc >= 0; j++) {
		rc = copy_type(&c, m[j].id, 0);
		found += !matched[m[j].root];
		matched[m[j].root] = 1;
	}
	free(c.map);
	return rc < 0 ? rc : found == r->n ? 0 : -ENOENT;
}

int gb_btf_subset(const void *elf, size_t elf_size, const char *kernel_btf_path)
{
	struct roots r = {0};
	struct kbtf kernel = {0};
	struct btf *dst = NULL;
	Elf_Data *btf_data, *ext_data;
	Elf *e = NULL;
	int fd = -1, rc;

	if ((rc = find_sections(elf, elf_size, &btf_data, &ext_data, &e)))
		goto out;
	struct btf *local = btf__new(btf_data->d_buf, btf_data->d_size);
	if (!local) {
		rc = -errno;
		goto out;
	}
	r.local = local;
	if ((rc = read_roots(ext_data->d_buf, ext_data->d_size, &r)) || !r.n)
		goto out_local;
	if ((rc = kbtf_open(&kernel, kernel_btf_path ? kernel_btf_path : "/sys/kernel/btf/vmlinux")))
		goto out_local;
	if (!(dst = btf__new_empty())) {
		rc = -errno;
		goto out_local;
	}
	if ((rc = build(&r, &kernel, dst)))
		goto out_local;
	uint32_t size;
	const void *raw = btf__raw_data(dst, &size);
	fd = raw ? memfd_create("gadgetbox-btf", MFD_CLOEXEC) : -1;
	if (fd < 0 || write(fd, raw, size) != (ssize_t)size) {
		rc = -errno;
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
out_local:
	btf__free(local);
out:
	kbtf_close(&kernel);
	btf__free(dst);
	free(r.ids);
	if (e)
		elf_end(e);
	if (fd < 0 && rc && rc != -ENOENT && rc != -ENOTSUP)
		gb_log(GB_LOG_DEBUG, "no BTF subset for this object (%s): libbpf searches the whole BTF",
		       strerror(-rc));
	return fd;
}
