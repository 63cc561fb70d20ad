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
