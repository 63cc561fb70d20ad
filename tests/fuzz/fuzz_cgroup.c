/*
 * libFuzzer: the input as a cgroup path (gb_cgroup_container_id) and as the text of /proc/PID/cgroup
 * (gb_cgroup_container_id_from_proc). An id found must be 64 lowercase hex digits taken from the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_id(const char *id, const uint8_t *data, size_t size)
{
	if (strlen(id) != GB_CONTAINER_ID_LEN || strspn(id, "0123456789abcdef") != GB_CONTAINER_ID_LEN ||
	    !memmem(data, size, id, GB_CONTAINER_ID_LEN))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char id[GB_CONTAINER_ID_LEN + 1];

	memset(id, 'x', sizeof(id));
	if (gb_cgroup_container_id((const char *)data, size, id) == 0)
		check_id(id, data, size);
	memset(id, 'x', sizeof(id));
	if (gb_cgroup_container_id_from_proc((const char *)data, size, id) == 0)
		check_id(id, data, size);
	return 0;
}
