#include "cgroup.h"

#include <stdbool.h>
#include <string.h>

/* How each runtime wraps the id in a cgroup name: data, so a new runtime is one line. */
static const struct {
	const char *prefix, *suffix;
} id_wrappers[] = {
	{"docker-", ".scope"},	       /* Docker, systemd cgroup driver */
	{"cri-containerd-", ".scope"}, /* containerd CRI, systemd driver */
	{"crio-", ".scope"},	       /* CRI-O, systemd driver */
	{"crio-", ""},		       /* CRI-O, cgroupfs driver */
	{"libpod-", ".scope"},	       /* podman, systemd driver */
	{"libpod-", ""},	       /* podman, cgroupfs driver */
	{"", ".scope"},
	{"", ""}, /* /docker/<id>, /kubepods/…/<id>, /<ns>/<id> */
};

static bool all_hex(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static bool component_id(const char *c, size_t len, char *id)
{
	for (size_t w = 0; w < sizeof(id_wrappers) / sizeof(id_wrappers[0]); w++) {
		size_t pl = strlen(id_wrappers[w].prefix), sl = strlen(id_wrappers[w].suffix);
		if (len != pl + GB_CONTAINER_ID_LEN + sl || strncmp(c, id_wrappers[w].prefix, pl) ||
		    strncmp(c + len - sl, id_wrappers[w].suffix, sl) || !all_hex(c + pl, GB_CONTAINER_ID_LEN))
			continue;
		memcpy(id, c + pl, GB_CONTAINER_ID_LEN);
		id[GB_CONTAINER_ID_LEN] = '\0';
		return true;
	}
	return false;
}

int gb_cgroup_container_id(const char *path, size_t len, char *id)
{
	int found = -1;

	for (size_t i = 0; i < len;) {
		size_t end = i;
		while (end < len && path[end] != '/')
			end++;
		if (end > i && component_id(path + i, end - i, id))
			found = 0; /* keep going: the deepest match wins */
		i = end + 1;
	}
	return found;
}

int gb_cgroup_container_id_from_proc(const char *content, size_t len, char *id)
{
	/* lines are "hierarchy-id:controllers:path" */
	for (size_t i = 0; i < len;) {
		const char *line = content + i;
		const char *nl = memchr(line, '\n', len - i);
		size_t llen = nl ? (size_t)(nl - line) : len - i;
		const char *c1 = memchr(line, ':', llen);
		const char *c2 = c1 ? memchr(c1 + 1, ':', llen - (c1 + 1 - line)) : NULL;

		if (c2 && gb_cgroup_container_id(c2 + 1, llen - (c2 + 1 - line), id) == 0)
			return 0;
		i += llen + 1;
	}
	return -1;
}

int gb_cgroup2_mountpoint(const char *mountinfo, size_t len, char *out, size_t size)
{
	/* "36 25 0:31 / /sys/fs/cgroup/unified rw,relatime shared:9 - cgroup2 cgroup2 rw": fields, then "-", then
	 * the filesystem type */
	for (size_t i = 0; i < len;) {
		const char *line = mountinfo + i;
		const char *nl = memchr(line, '\n', len - i);
		size_t llen = nl ? (size_t)(nl - line) : len - i;
		const char *sep = NULL, *mp = NULL;
		size_t mp_len = 0;
		int field = 0;
		for (size_t j = 0; j < llen;) {
			while (j < llen && line[j] == ' ')
				j++;
			size_t start = j;
			while (j < llen && line[j] != ' ')
				j++;
			if (start == j)
				break;
			if (field == 4) {
				mp = line + start;
				mp_len = j - start;
			}
			if (j - start == 1 && line[start] == '-' && field >= 6) {
				sep = line + j;
				break;
			}
			field++;
		}
		if (sep && mp && !strncmp(sep, " cgroup2 ", 9) && mp_len + 1 <= size) {
			/* mountinfo escapes space, tab, newline and backslash as \ooo */
			size_t o = 0;
			for (size_t k = 0; k < mp_len; k++) {
				if (mp[k] == '\\' && k + 3 < mp_len && mp[k + 1] >= '0' && mp[k + 1] <= '3' &&
				    mp[k + 2] >= '0' && mp[k + 2] <= '7' && mp[k + 3] >= '0' && mp[k + 3] <= '7') {
					out[o++] = (char)((mp[k + 1] - '0') * 64 + (mp[k + 2] - '0') * 8 +
							  (mp[k + 3] - '0'));
					k += 3;
				} else {
					out[o++] = mp[k];
				}
			}
			out[o] = '\0';
			return 0;
		}
		i += llen + 1;
	}
	return -1;
}
