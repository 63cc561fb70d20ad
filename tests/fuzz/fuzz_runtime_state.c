/*
 * libFuzzer: the runtimes' files and /proc entries that common/containers/runtimes.c and common/containers/containers.c
 * parse. A fake host root made once holds three containers (containerd CRI with runc, podman with crun, Docker); the
 * first input byte ('0'..'8') picks one of their files, the rest of the input replaces it, and the container table is
 * built from scratch over it, refreshed, checked and freed. The file gets its real-looking content back afterwards, so
 * each input is judged alone.
 */
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "containers.h"
#include "hostroot.h"

#define ID_A	  "5be1ecc7935f1dd85635d4feedaf660594030253cc97c9e9ca3819ffeac36b65"
#define ID_B	  "5e1ecee06a7fc06f305ae5c12acfe7a7f67b8ece7af76932ed3afab00c3c6921"
#define ID_C	  "4b5e57f6eb2f42b9039b3d1e13929295f231749c510cbe341cd68036d9af97e2"
#define POD_SLICE "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0c4b7c6e.slice"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct target {
	const char *path; /* under the host root */
	const char *content;
	bool symlink; /* the file is a symlink whose target is the input (readlinkat: ns/mnt) */
} targets[] = {
	{"run/containerd/runc/k8s.io/" ID_A "/state.json",
	 "{\"id\":\"" ID_A "\",\"init_process_pid\":4242,\"init_process_start\":424242,\"created\":"
	 "\"2026-12-01T20:41:07.1Z\",\"config\":{\"rootfs\":\"/bundles/a/rootfs\",\"labels\":[\"bundle=/bundles/a\","
	 "\"io.kubernetes.cri.container-type=container\",\"io.kubernetes.cri.container-name=nginx\"]},"
	 "\"rootless\":false,\"cgroup_paths\":{\"\":\"/sys/fs/cgroup\"}}",
	 false},
	{"bundles/a/config.json",
	 "{\"ociVersion\":\"1.1.0\",\"root\":{\"path\":\"rootfs\"},\"annotations\":{"
	 "\"io.kubernetes.cri.container-type\":\"container\",\"io.kubernetes.cri.sandbox-id\":\"" ID_C "\","
	 "\"io.kubernetes.cri.sandbox-name\":\"web-7d4b9\",\"io.kubernetes.cri.sandbox-namespace\":\"shop\","
	 "\"io.kubernetes.cri.image-name\":\"docker.io/library/nginx:1.25\"}}",
	 false},
	{"run/crun/" ID_B "/status",
	 "{\n    \"pid\": 4243,\n    \"process-start-time\": 424343,\n    \"cgroup-path\": "
	 "\"/libpod_parent/libpod-" ID_B
	 "\",\n    \"rootfs\": \"/var/lib/containers/storage/overlay/0f1e/merged\",\n    \"systemd-cgroup\": false,\n"
	 "    \"bundle\": \"/bundles/b\",\n    \"created\": \"2026-12-01T20:41:09.0Z\",\n    \"owner\": \"root\"\n}",
	 false},
	{"run/crun/" ID_B "/config.json",
	 "{\"ociVersion\":\"1.1.0\",\"annotations\":{\"io.container.manager\":\"libpod\","
	 "\"io.kubernetes.cri-o.ContainerType\":\"container\",\"io.kubernetes.cri-o.SandboxID\":\"" ID_A "\"}}",
	 false},
	{"var/lib/containers/storage/overlay-containers/containers.json",
	 "[{\"id\":\"" ID_B "\",\"names\":[\"cache\"],\"image\":\"4d1e9b2a\",\"layer\":\"9a1c3e5f\","
	 "\"metadata\":\"{\\\"image-name\\\":\\\"docker.io/gadgetbox-test/busybox:1\\\",\\\"name\\\":\\\"cache\\\"}\","
	 "\"created\":\"2026-12-01T20:41:09.2Z\"}]",
	 false},
	{"var/lib/docker/containers/" ID_C "/config.v2.json",
	 "{\"State\":{\"Running\":true,\"Pid\":4244},\"ID\":\"" ID_C "\",\"Config\":{\"Image\":\"busybox:1\","
	 "\"Labels\":{\"io.kubernetes.pod.name\":\"web\",\"io.kubernetes.docker.type\":\"podsandbox\"}},"
	 "\"Name\":\"/web\",\"Driver\":\"overlay2\"}",
	 false},
	{"proc/4242/stat",
	 "4242 (nginx) S 4230 4242 4242 0 -1 4194560 110 0 0 0 0 0 0 0 20 0 1 0 424242 1748992 224 "
	 "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n",
	 false},
	{"proc/4242/cgroup", "0::" POD_SLICE "/cri-containerd-" ID_A ".scope\n", false},
	{"proc/4242/ns/mnt", "mnt:[4026532424]", true},
};
#define NTARGETS (sizeof(targets) / sizeof(targets[0]))

static char root[512];

static void mkparents(const char *path)
{
	char p[4096];

	snprintf(p, sizeof(p), "%s", path);
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			mkdir(p, 0755);
			*s = '/';
		}
}

static void put(const char *rel, const void *data, size_t size, bool link)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	mkparents(path);
	unlink(path);
	if (link) {
		char target[256];
		snprintf(target, sizeof(target), "%.*s", (int)size, (const char *)data);
		if (target[0])
			(void)!symlink(target, path);
		return;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
}

static void proc_entry(unsigned pid, unsigned long long start, unsigned long long mntns, const char *cgroup)
{
	char rel[64], text[512];

	snprintf(rel, sizeof(rel), "proc/%u/stat", pid);
	snprintf(text, sizeof(text), "%u (sleep) S 1 %u %u 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 %llu 0 0\n", pid, pid,
		 pid, start);
	put(rel, text, strlen(text), false);
	snprintf(rel, sizeof(rel), "proc/%u/cgroup", pid);
	put(rel, cgroup, strlen(cgroup), false);
	snprintf(rel, sizeof(rel), "proc/%u/ns/mnt", pid);
	snprintf(text, sizeof(text), "mnt:[%llu]", mntns);
	put(rel, text, strlen(text), true);
	snprintf(rel, sizeof(rel), "proc/%u/ns/net", pid);
	snprintf(text, sizeof(text), "net:[%llu]", mntns + 1000);
	put(rel, text, strlen(text), true);
}

static void put_target(size_t i)
{
	put(targets[i].path, targets[i].content, strlen(targets[i].content), targets[i].symlink);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	remove(path);
	return 0;
}

static void cleanup(void)
{
	nftw(root, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void discard(enum gb_log_level level, const char *msg, void *ctx)
{
	(void)level, (void)msg, (void)ctx;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	(void)argc, (void)argv;
	snprintf(root, sizeof(root), "%s/gb-fuzz-host-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(root))
		abort();
	atexit(cleanup);
	gb_set_log(discard, NULL);
	put("etc/hostname", "node-1\n", 7, false);
	proc_entry(2, 3, 4026531841, "0::/\n");
	proc_entry(4243, 424343, 4026532434, "0::/libpod_parent/libpod-" ID_B "\n");
	proc_entry(4244, 424444, 4026532444, "0::/system.slice/docker-" ID_C ".scope\n");
	put("proc/4242/ns/net", "net:[4026533424]", 16, true);
	const char *docker_state =
		"{\"id\":\"" ID_C "\",\"init_process_pid\":4244,\"init_process_start\":424444,"
		"\"config\":{\"labels\":[\"bundle=/run/containerd/io.containerd.runtime.v2.task/moby/" ID_C "\"]}}";
	put("run/docker/runtime-runc/moby/" ID_C "/state.json", docker_state, strlen(docker_state), false);
	for (size_t i = 0; i < NTARGETS; i++)
		put_target(i);
	if (gb_host_root_init(root))
		abort();
	return 0;
}

static void check_table(void)
{
	const struct gb_container *c;

	for (unsigned i = 0; (c = gb_container_at(i)); i++) {
		const char *strs[] = {c->runtime,     c->name,		c->image,	c->k8s_namespace, c->k8s_pod,
				      c->k8s_pod_uid, c->k8s_container, c->cgroup_path, c->sandbox_id};
		for (size_t k = 0; k < sizeof(strs) / sizeof(strs[0]); k++)
			if (!strs[k] || strlen(strs[k]) > (64u << 20))
				__builtin_trap();
		if (strnlen(c->id, sizeof(c->id)) == sizeof(c->id) || !c->pid || !c->mntns)
			__builtin_trap();
		if (gb_container_by_mntns(c->mntns) != c)
			__builtin_trap(); /* one container per mount namespace, and the index finds it */
		if (c->sandbox && c->selected)
			__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct gb_container_filter filter = {.names = "!nosuch", .k8s_namespaces = "shop,!payments"};

	if (size < 1)
		return 0;
	size_t t = (uint8_t)(data[0] - '0') % NTARGETS;
	put(targets[t].path, data + 1, size - 1, targets[t].symlink);
	if (gb_containers_init(&filter) == 0) {
		check_table();
		gb_containers_refresh(GB_REFRESH_FULL | GB_REFRESH_PRUNE);
		check_table();
	}
	gb_containers_free();
	put_target(t);
	return 0;
}
