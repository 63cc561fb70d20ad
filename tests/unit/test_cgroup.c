/* Container ids from cgroup paths and /proc/PID/cgroup (common/containers/cgroup.c). */
#include "cgroup.h"
#include "unit.h"

#define ID_A	      "3f1c9e0b7a2d4c6e8f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6a"
#define ID_B	      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define POD_UID	      "0c4b7c6e-4d4c-4f5e-9a3b-1c2d3e4f5a6b"
#define POD_UID_SLICE "0c4b7c6e_4d4c_4f5e_9a3b_1c2d3e4f5a6b"

static void check_id(const char *file, int line, const char *path, size_t len, const char *want)
{
	char id[GB_CONTAINER_ID_LEN + 1] = "untouched";
	int rc = gb_cgroup_container_id(path, len, id);

	if (!want) {
		if (rc != -1)
			unit_fail(file, line, "gb_cgroup_container_id(\"%.*s\") = %d, id %s; want -1", (int)len, path,
				  rc, id);
		return;
	}
	if (rc != 0) {
		unit_fail(file, line, "gb_cgroup_container_id(\"%.*s\") = %d; want 0", (int)len, path, rc);
		return;
	}
	unit_check_str(file, line, "id", want, id, want);
}

#define CHECK_ID(path, want) check_id(__FILE__, __LINE__, path, strlen(path), want)
#define CHECK_NO_ID(path)    check_id(__FILE__, __LINE__, path, strlen(path), NULL)

TEST(test_cgroup_finds_docker_ids)
{
	CHECK_ID("/docker/" ID_A, ID_A);		       /* cgroupfs driver */
	CHECK_ID("/system.slice/docker-" ID_A ".scope", ID_A); /* systemd driver */
	CHECK_ID("/system.slice/docker-" ID_A ".scope/init.scope", ID_A);
}

TEST(test_cgroup_finds_kubernetes_ids)
{
	CHECK_ID("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" POD_UID_SLICE
		 ".slice/cri-containerd-" ID_A ".scope",
		 ID_A);
	CHECK_ID("/kubepods/besteffort/pod" POD_UID "/" ID_A, ID_A);
	CHECK_ID("/kubepods/pod" POD_UID "/" ID_A, ID_A); /* guaranteed QoS */
	CHECK_ID("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" POD_UID_SLICE ".slice/crio-" ID_A
		 ".scope",
		 ID_A);
	CHECK_ID("crio-" ID_A ".scope", ID_A);
	CHECK_ID("/kubepods/burstable/pod" POD_UID "/crio-" ID_A, ID_A);
	CHECK_ID("/k8s.io/" ID_A, ID_A); /* containerd namespace */
}

TEST(test_cgroup_finds_podman_ids)
{
	CHECK_ID("/machine.slice/libpod-" ID_A ".scope/container", ID_A);
	CHECK_ID("/machine.slice/libpod-" ID_A ".scope", ID_A);
	CHECK_ID("/libpod_parent/libpod-" ID_A, ID_A);
	CHECK_ID("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID_A ".scope", ID_A);
}

TEST(test_cgroup_finds_no_id_outside_containers)
{
	CHECK_NO_ID("");
	CHECK_NO_ID("/");
	CHECK_NO_ID("//");
	CHECK_NO_ID("/user.slice/user-0.slice/session-1.scope");
	CHECK_NO_ID("/system.slice/containerd.service");
	CHECK_NO_ID("/init.scope");
	CHECK_NO_ID("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" POD_UID_SLICE ".slice");
}

TEST(test_cgroup_ignores_conmon_and_other_wrappers)
{
	CHECK_NO_ID("/machine.slice/libpod-conmon-" ID_A ".scope");
	CHECK_NO_ID("/libpod_parent/libpod-conmon-" ID_A);
	CHECK_NO_ID("/system.slice/docker-" ID_A ".service");
	CHECK_NO_ID("/system.slice/podman-" ID_A ".scope");
	CHECK_NO_ID("/docker/" ID_A ".scope.d");
}

TEST(test_cgroup_requires_exactly_64_lowercase_hex_digits)
{
	/* drop the last digit, add one, change one: */
	CHECK_NO_ID("/docker/3f1c9e0b7a2d4c6e8f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6");
	CHECK_NO_ID("/docker/" ID_A "0");
	CHECK_NO_ID("/system.slice/docker-" ID_A "0.scope");
	CHECK_NO_ID("/docker/3F1C9E0B7A2D4C6E8F0A1B2C3D4E5F60718293A4B5C6D7E8F90A1B2C3D4E5F6A");
	CHECK_NO_ID("/docker/3f1c9e0b7a2d4c6e8f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6g");
	CHECK_NO_ID("/docker/3f1c9e0b7a2d4c6e8f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6-");
}

TEST(test_cgroup_deepest_matching_component_wins)
{
	CHECK_ID("/docker/" ID_A "/docker/" ID_B, ID_B);
	CHECK_ID("/kubepods/besteffort/pod" POD_UID "/" ID_A "/" ID_B, ID_B);
	CHECK_ID("/system.slice/docker-" ID_B ".scope/" ID_A, ID_A);
	/* a deeper component that is not an id does not undo the match above it */
	CHECK_ID("/docker/" ID_A "/docker/not-an-id", ID_A);
}

TEST(test_cgroup_reads_only_len_bytes_of_the_path)
{
	const char *path = "/docker/" ID_A "/docker/" ID_B;
	size_t first = strlen("/docker/" ID_A);

	check_id(__FILE__, __LINE__, path, first, ID_A);
	check_id(__FILE__, __LINE__, path, first - 1, NULL);
	check_id(__FILE__, __LINE__, path, first + 1, ID_A);
}

static void check_proc(const char *file, int line, const char *content, const char *want)
{
	char id[GB_CONTAINER_ID_LEN + 1] = "untouched";
	int rc = gb_cgroup_container_id_from_proc(content, strlen(content), id);

	if (rc != (want ? 0 : -1)) {
		unit_fail(file, line, "gb_cgroup_container_id_from_proc() = %d; want %d", rc, want ? 0 : -1);
		return;
	}
	if (want)
		unit_check_str(file, line, "id", want, id, want);
}

#define CHECK_PROC(content, want) check_proc(__FILE__, __LINE__, content, want)

TEST(test_cgroup_from_proc_reads_cgroup_v1_lines)
{
	CHECK_PROC("12:pids:/docker/" ID_A "\n"
		   "11:memory:/docker/" ID_A "\n"
		   "10:cpu,cpuacct:/docker/" ID_A "\n"
		   "1:name=systemd:/docker/" ID_A "\n",
		   ID_A);
	/* the id only on a later line */
	CHECK_PROC("12:pids:/\n"
		   "11:memory:/user.slice\n"
		   "4:devices:/kubepods/besteffort/pod" POD_UID "/" ID_A "\n",
		   ID_A);
}

TEST(test_cgroup_from_proc_reads_the_cgroup_v2_line)
{
	CHECK_PROC("0::/system.slice/docker-" ID_A ".scope\n", ID_A);
	CHECK_PROC("0::/system.slice/docker-" ID_A ".scope", ID_A); /* no final newline */
	CHECK_PROC("0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" POD_UID_SLICE
		   ".slice/cri-containerd-" ID_A ".scope\n",
		   ID_A);
}

TEST(test_cgroup_from_proc_reads_hybrid_hierarchies)
{
	CHECK_PROC("12:cpuset:/\n"
		   "11:memory:/\n"
		   "1:name=systemd:/user.slice/user-0.slice/session-1.scope\n"
		   "0::/machine.slice/libpod-" ID_A ".scope/container\n",
		   ID_A);
	CHECK_PROC("5:freezer:/docker/" ID_A "\n"
		   "1:name=systemd:/docker/" ID_A "\n"
		   "0::/docker/" ID_A "\n",
		   ID_A);
}

TEST(test_cgroup_from_proc_path_may_contain_colons)
{
	CHECK_PROC("0::/odd:name/docker/" ID_A "\n", ID_A);
	CHECK_PROC("1:name=systemd:/odd:docker/" ID_A "\n", ID_A);
}

TEST(test_cgroup_from_proc_finds_nothing_for_host_processes_and_junk)
{
	CHECK_PROC("", NULL);
	CHECK_PROC("\n\n", NULL);
	CHECK_PROC("0::/\n", NULL);
	CHECK_PROC("0::/user.slice/user-0.slice/session-1.scope\n", NULL);
	CHECK_PROC("12:pids:/\n11:memory:/\n0::/init.scope\n", NULL);
	/* an id outside the path field does not count */
	CHECK_PROC(ID_A "\n", NULL);
	CHECK_PROC("0:" ID_A "\n", NULL);
}
