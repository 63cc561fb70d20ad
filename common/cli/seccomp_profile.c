#include "seccomp_profile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

void sc_names_add(struct sc_names *s, const char *name)
{
	if (sc_names_has(s, name))
		return;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		char **v = realloc(s->v, cap * sizeof(*v));
		if (!v)
			abort();
		s->v = v;
		s->cap = cap;
	}
	if (!(s->v[s->n++] = strdup(name)))
		abort();
}

bool sc_names_has(const struct sc_names *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], name))
			return true;
	return false;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void sc_names_sort(struct sc_names *s)
{
	if (s->n)
		qsort(s->v, s->n, sizeof(char *), cmp_str);
}

void sc_names_free(struct sc_names *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	*s = (struct sc_names){0};
}

void sc_render_allow_entries(struct strbuf *sb, struct sc_names *native, struct sc_names *compat, int indent)
{
	bool any = false;

	for (int c = 0; c < 2; c++) {
		struct sc_names *s = c ? compat : native;
		if (!s->n)
			continue;
		sc_names_sort(s);
		sb_addf(sb, "%s\n%*s{\n%*s\"names\": [", any ? "," : "", indent, "", indent + 2, "");
		for (size_t i = 0; i < s->n; i++)
			sb_addf(sb, "%s\n%*s\"%s\"", i ? "," : "", indent + 4, "", s->v[i]);
		sb_addf(sb, "\n%*s],\n%*s\"action\": \"SCMP_ACT_ALLOW\"\n%*s}", indent + 2, "", indent + 2, "", indent,
			"");
		any = true;
	}
}

void sc_render_oci(struct strbuf *sb, struct sc_names *native, struct sc_names *compat, const char *arch,
		   const char *arch32)
{
	sb_adds(sb, "{\n  \"defaultAction\": \"SCMP_ACT_ERRNO\",\n  \"defaultErrnoRet\": 1,\n  \"architectures\": [");
	sb_addf(sb, "\"%s\"", arch);
	if (compat->n)
		sb_addf(sb, ", \"%s\"", arch32);
	sb_adds(sb, "],\n  \"syscalls\": [");
	sc_render_allow_entries(sb, native, compat, 4);
	sb_adds(sb, "\n  ]\n}\n");
}

struct cJSON *sc_profile_read(const char *path, struct strbuf *err)
{
	struct strbuf sb = {0};
	char buf[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		sb_addf(err, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		sb_add(&sb, buf, (size_t)n);
	close(fd);
	cJSON *j = cJSON_ParseWithLength(sb.buf ? sb.buf : "", sb.len);
	sb_free(&sb);
	if (!cJSON_IsArray(j ? cJSON_GetObjectItemCaseSensitive(j, "syscalls") : NULL)) {
		sb_addf(err, "%s is not an OCI seccomp profile (no \"syscalls\" array)", path);
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

static bool allows(const cJSON *entry)
{
	const cJSON *action = cJSON_GetObjectItemCaseSensitive(entry, "action");

	return cJSON_IsString(action) && !strcmp(action->valuestring, "SCMP_ACT_ALLOW");
}

void sc_profile_allowed(const struct cJSON *profile, struct sc_names *out)
{
	const cJSON *e, *nm;

	cJSON_ArrayForEach (e, cJSON_GetObjectItemCaseSensitive(profile, "syscalls")) {
		if (!allows(e))
			continue;
		cJSON_ArrayForEach (nm, cJSON_GetObjectItemCaseSensitive(e, "names"))
			if (cJSON_IsString(nm))
				sc_names_add(out, nm->valuestring);
	}
}

int sc_profile_allow(struct cJSON *profile, struct sc_names *native, struct sc_names *compat, const char *arch32)
{
	cJSON *sys = cJSON_GetObjectItemCaseSensitive(profile, "syscalls"), *e, *next;

	/* the names leave the entries that deny them, and conditional ones (a rule for a name that also has an
	 * unconditional one is refused by libseccomp) */
	for (e = sys ? sys->child : NULL; e; e = next) {
		next = e->next;
		if (allows(e) && !cJSON_GetObjectItemCaseSensitive(e, "args"))
			continue;
		cJSON *names = cJSON_GetObjectItemCaseSensitive(e, "names"), *nm, *nn;
		for (nm = names ? names->child : NULL; nm; nm = nn) {
			nn = nm->next;
			if (cJSON_IsString(nm) &&
			    (sc_names_has(native, nm->valuestring) || sc_names_has(compat, nm->valuestring)))
				cJSON_Delete(cJSON_DetachItemViaPointer(names, nm));
		}
		if (cJSON_IsArray(names) && !cJSON_GetArraySize(names))
			cJSON_Delete(cJSON_DetachItemViaPointer(sys, e));
	}
	const cJSON *def = cJSON_GetObjectItemCaseSensitive(profile, "defaultAction");
	if (cJSON_IsString(def) && !strcmp(def->valuestring, "SCMP_ACT_ALLOW"))
		return 0; /* allowed by default once no entry denies them (runtimes refuse a rule of the default) */
	cJSON *entry = cJSON_CreateObject(), *names = cJSON_AddArrayToObject(entry, "names");
	if (!entry || !names || !cJSON_AddStringToObject(entry, "action", "SCMP_ACT_ALLOW"))
		goto nomem;
	struct sc_names all = {0};
	for (size_t i = 0; i < native->n; i++)
		sc_names_add(&all, native->v[i]);
	for (size_t i = 0; i < compat->n; i++)
		sc_names_add(&all, compat->v[i]);
	sc_names_sort(&all);
	for (size_t i = 0; i < all.n; i++)
		cJSON_AddItemToArray(names, cJSON_CreateString(all.v[i]));
	sc_names_free(&all);
	if (!cJSON_AddItemToArray(sys, entry))
		goto nomem;
	cJSON *archs = cJSON_GetObjectItemCaseSensitive(profile, "architectures"), *a;
	if (compat->n && cJSON_IsArray(archs) && *arch32) {
		bool have = false;
		cJSON_ArrayForEach (a, archs)
			have |= cJSON_IsString(a) && !strcmp(a->valuestring, arch32);
		if (!have)
			cJSON_AddItemToArray(archs, cJSON_CreateString(arch32));
	}
	return 0;
nomem:
	cJSON_Delete(entry);
	return -1;
}
