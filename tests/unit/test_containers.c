/*
 * The container table (common/containers/containers.c) and the runtimes' files (common/containers/runtimes.c) over a
 * fake host root: a temporary directory with proc/PID/{stat,cgroup,ns/mnt,ns/net} and each runtime's state, bundle and
 * engine files where it keeps them (README.md, "Where container metadata comes from"), with the contents real runtimes
 * write, trimmed.
 */
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "containers.h"
#include "boltdb.h"
#include "hostroot.h"
#include "runtimes.h"
#include "unit.h"

#define HOST_MNTNS 4026531841ull
#define HOST_NETNS 4026531840ull

#define ID_SANDBOX   "b7ad567477c83756aab9a542b2be04f77dbae25115d85f22070d74d8cc4779dc"
#define ID_NGINX     "5be1ecc7935f1dd85635d4feedaf660594030253cc97c9e9ca3819ffeac36b65"
#define ID_WEB	     "4b5e57f6eb2f42b9039b3d1e13929295f231749c510cbe341cd68036d9af97e2"
#define ID_CACHE     "5e1ecee06a7fc06f305ae5c12acfe7a7f67b8ece7af76932ed3afab00c3c6921"
#define ID_API	     "14c2529eb4498c5d1ffd6915d05bf58a91bdda796af59f41d480d11c099d0479"
#define ID_CTR	     "2752ea5db34c1dc718967086526c49d5f55793678e2002db3f7a3e45a4a97b2a"
#define ID_PLAIN     "a116c9ed46d6207734a43317d30fd88f52ac8634c37d904bbf4e41d865f90475"
#define ID_LATE	     "089001a35679a33ef3db0ca350db9b9a2f0136e0e327577b04b3b98127470961"
#define ID_CORRUPT   "11d510e067d2cdcd7559bd86d27a2f4c20babd43670346b97af99b522c1f0075"
#define ID_INFRA     "eb0de251ac21fb6753f04bc96527b0ff0686b585de75f924aedd7ba90502d6b4"
#define ID_APP	     "a172cedcae47474b615c54d510a5d84a8dea3032e958587430b413538be3f333"
#define ID_PROC_ONLY "a50253cad6f21d0c502c96be981df1672ea02a0c3b7d1d31b9b0fc903a18534c"
#define ID_LEAK1     "58eebb9c68e2c8e19fa987ca19ef1452bec90f8350c96d3d79032089589ddfe4"
#define ID_LEAK2     "8bfd631a85b4a72c01f6396a3b378705e9e6a0cdca37bfd8bb90f596cf18b84a"
#define ID_LEAK3     "d63e90896bd061a601b65fb45af9e846521ca30ae3083b768c23ae1129a2874f"
#define ID_LEAK4     "e935509b02f4245195a173d61645a908cc873bce7645e8ef7d194b599c5e1063"
#define ID_LEAK5     "024bfe98c871b78a791be6691c3bb0b672d52fc9638d7cd6699d6931b83accf5"
#define ID_LEAK6     "f028cd5c1f51f513b0668a177a4aaf308a19fcd914c6e373550d42979eb79833"
#define ID_REUSED    "7ad47c54939ef72323893e6c952c5f3a118c34cc76b31d9903d3ea0a4955e874"
#define ID_GONE	     "283bb9deef02e6843abfb538efa1eca70801bd8a701c3f98191e123496339247"
#define ID_HOSTNS    "90654e15040887a0da3a92cbb6f1d1d0cded064ee3ca21d11062b4dd0415f84c"
#define ID_STOPPED   "8322e87d24582952e5c996da182de0eca66dd2bf58fba5ec56a325c656f21b38"
#define ID_CREATED   "017e9e217af8bbb732e91d3f534e0702b9f492edd2c3a9994383aa9bfa700f77"
/* containers without a name of their own are named by their id: what 12 characters of it look like */
#define ID_SANDBOX12 "b7ad567477c8"
#define ID_CTR12     "2752ea5db34c"
#define ID_PLAIN12   "a116c9ed46d6"

#define POD_UID "0c4b7c6e-4d4c-4f5e-9a3b-1c2d3e4f5a6b"
#define POD_SLICE                                                                                                      \
	"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0c4b7c6e_4d4c_4f5e_9a3b_1c2d3e4f5a6b.slice"
#define POD2_UID "7f3e2d1c-0b9a-4876-8543-210fedcba987"
#define POD2_SLICE                                                                                                     \
	"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod7f3e2d1c_0b9a_4876_8543_210fedcba987.slice"
#define CRI_TASK       "/run/containerd/io.containerd.runtime.v2.task/k8s.io/"
#define MOBY_TASK      "/run/containerd/io.containerd.runtime.v2.task/moby/"
#define PODMAN_STORAGE "/var/lib/containers/storage/overlay-containers/"

/* ---- the fake host ---- */

static char root[512];
static bool host_is_up;

static void mkdirs(const char *path)
{
	char p[4096];

	snprintf(p, sizeof(p), "%s", path);
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			mkdir(p, 0755);
			*s = '/';
		}
	mkdir(p, 0755);
}

static void mkparent(const char *path)
{
	char dir[4096];

	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		mkdirs(dir);
	}
}

static void vwrite_file(const char *path, const char *fmt, va_list ap)
{
	mkparent(path);
	FILE *f = fopen(path, "w");
	if (!f) {
		unit_fail(__FILE__, __LINE__, "cannot create %s", path);
		return;
	}
	vfprintf(f, fmt, ap);
	fclose(f);
}

static void write_file(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void write_file(const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwrite_file(path, fmt, ap);
	va_end(ap);
}

/* A file at @rel under the host root ("run/runc/ID/state.json"), parent directories included. */
static void put(const char *rel, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(const char *rel, const char *fmt, ...)
{
	char path[4096];
	va_list ap;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	va_start(ap, fmt);
	vwrite_file(path, fmt, ap);
	va_end(ap);
}

static void put_link(const char *rel, const char *target)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	mkparent(path);
	unlink(path);
	if (symlink(target, path))
		unit_fail(__FILE__, __LINE__, "cannot create the symlink %s", path);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	remove(path);
	return 0;
}

static void remove_tree(const char *path)
{
	nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Remove @rel (a file or a whole directory) under the host root. */
static void drop(const char *rel)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	remove_tree(path);
}

/* proc/PID as the kernel shows it: stat (field 22 the start time), cgroup, and ns/ links like "mnt:[N]". */
static void proc_add(unsigned pid, unsigned long long start, unsigned long long mntns, unsigned long long netns,
		     const char *comm, const char *cgroup)
{
	char rel[64], target[64];

	snprintf(rel, sizeof(rel), "proc/%u/stat", pid);
	put(rel,
	    "%u (%s) S 1 %u %u 0 -1 4194560 1152 0 0 0 2 1 0 0 20 0 1 0 %llu 1847296 83 18446744073709551615 1 1 0 0 0 "
	    "0 0 0 0 0 0 0 17 1 0 0 0 0 0\n",
	    pid, comm, pid, pid, start);
	snprintf(rel, sizeof(rel), "proc/%u/cgroup", pid);
	put(rel, "%s\n", cgroup);
	snprintf(rel, sizeof(rel), "proc/%u/ns/mnt", pid);
	snprintf(target, sizeof(target), "mnt:[%llu]", mntns);
	put_link(rel, target);
	snprintf(rel, sizeof(rel), "proc/%u/ns/net", pid);
	snprintf(target, sizeof(target), "net:[%llu]", netns);
	put_link(rel, target);
}

static void proc_drop(unsigned pid)
{
	char rel[64];

	snprintf(rel, sizeof(rel), "proc/%u", pid);
	drop(rel);
}

/* runc's state.json (runc 1.1): every OCI annotation is in config.labels as "key=value", after "bundle=". */
static void runc_state(const char *dir, const char *id, unsigned pid, unsigned long long start, const char *bundle,
		       const char *labels)
{
	char rel[512];

	snprintf(rel, sizeof(rel), "%s/%s/state.json", dir, id);
	put(rel,
	    "{\"id\":\"%s\",\"init_process_pid\":%u,\"init_process_start\":%llu,"
	    "\"created\":\"2026-12-01T20:41:07.123456789Z\",\"config\":{\"no_pivot_root\":false,"
	    "\"parent_death_signal\":0,\"rootfs\":\"%s/rootfs\",\"readonlyfs\":false,\"rootPropagation\":0,"
	    "\"mounts\":[{\"source\":\"proc\",\"destination\":\"/proc\",\"device\":\"proc\",\"flags\":14,"
	    "\"propagation_flags\":null,\"data\":\"\",\"relabel\":\"\",\"rec_attr\":null,\"extensions\":0}],"
	    "\"mount_label\":\"\",\"hostname\":\"\",\"namespaces\":[{\"type\":\"NEWNS\",\"path\":\"\"},"
	    "{\"type\":\"NEWNET\",\"path\":\"\"},{\"type\":\"NEWPID\",\"path\":\"\"}],"
	    "\"capabilities\":{\"Bounding\":[\"CAP_CHOWN\",\"CAP_KILL\"]},\"oom_score_adj\":0,"
	    "\"uid_mappings\":null,\"gid_mappings\":null,\"mask_paths\":[\"/proc/kcore\"],"
	    "\"readonly_paths\":[\"/proc/sys\"],\"sysctl\":null,\"seccomp\":null,\"Hooks\":{},"
	    "\"version\":\"1.1.12\",\"labels\":[\"bundle=%s\"%s%s],\"no_new_keyring\":false},\"rootless\":false,"
	    "\"cgroup_paths\":{\"\":\"/sys/fs/cgroup/%s\"},\"namespace_paths\":{\"NEWNS\":\"/proc/%u/ns/mnt\","
	    "\"NEWNET\":\"/proc/%u/ns/net\"},"
	    "\"external_descriptors\":[\"/dev/null\",\"pipe:[51234]\",\"pipe:[51235]\"],\"intel_rdt_path\":\"\"}\n",
	    id, pid, start, bundle, bundle, *labels ? "," : "", labels, id, pid, pid);
}

/* crun's status file (pid, start time, bundle; its annotations are in the copy of config.json beside it). */
static void crun_status(const char *id, unsigned pid, unsigned long long start, const char *bundle, const char *cgroup)
{
	char rel[512];

	snprintf(rel, sizeof(rel), "run/crun/%s/status", id);
	put(rel,
	    "{\n    \"pid\": %u,\n    \"process-start-time\": %llu,\n    \"cgroup-path\": \"%s\",\n"
	    "    \"scope\": \"\",\n    \"rootfs\": \"/var/lib/containers/storage/overlay/0f1e2d/merged\",\n"
	    "    \"systemd-cgroup\": false,\n    \"bundle\": \"%s\",\n"
	    "    \"created\": \"2026-12-01T20:41:09.000293421Z\",\n    \"owner\": \"root\",\n"
	    "    \"detached\": true,\n    \"external_descriptors\": \"[\\\"/dev/null\\\",\\\"pipe:[6001]\\\"]\"\n}",
	    pid, start, cgroup, bundle);
}

/* An OCI bundle's config.json at @bundle (a host path), with @annotations (the members of an object). */
static void oci_config(const char *bundle, const char *annotations)
{
	char rel[512];

	snprintf(rel, sizeof(rel), "%s/config.json", bundle + 1);
	put(rel,
	    "{\"ociVersion\":\"1.1.0\",\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sleep\",\"3600\"],"
	    "\"env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"],\"cwd\":\"/\"},"
	    "\"root\":{\"path\":\"rootfs\"},\"hostname\":\"box\",\"mounts\":[{\"destination\":\"/proc\","
	    "\"type\":\"proc\",\"source\":\"proc\"}],\"annotations\":{%s},\"linux\":{\"namespaces\":["
	    "{\"type\":\"pid\"},{\"type\":\"mount\"},{\"type\":\"network\"}]}}",
	    annotations);
}

static void docker_config_at(const char *path, const char *id, const char *name, const char *image, const char *labels)
{
	write_file(path,
		   "{\"StreamConfig\":{},\"State\":{\"Running\":true,\"Paused\":false,\"Restarting\":false,"
		   "\"OOMKilled\":false,\"Dead\":false,\"Pid\":1200,\"ExitCode\":0,\"Error\":\"\","
		   "\"StartedAt\":\"2026-12-01T20:41:08.5Z\",\"FinishedAt\":\"0001-01-01T00:00:00Z\",\"Health\":null},"
		   "\"ID\":\"%s\",\"Created\":\"2026-12-01T20:41:08.1Z\",\"Managed\":false,\"Path\":\"sleep\","
		   "\"Args\":[\"3600\"],\"Config\":{\"Hostname\":\"%.12s\",\"Domainname\":\"\",\"User\":\"\","
		   "\"AttachStdin\":false,\"Tty\":false,\"Env\":[\"PATH=/usr/local/sbin:/usr/bin:/bin\"],"
		   "\"Cmd\":[\"sleep\",\"3600\"],\"Image\":\"%s\",\"Volumes\":null,\"WorkingDir\":\"\","
		   "\"Entrypoint\":null,\"OnBuild\":null,\"Labels\":{%s}},"
		   "\"Image\":\"sha256:7b9d3cc1f2a1e0d9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5\","
		   "\"NetworkSettings\":{},\"LogPath\":\"/var/lib/docker/containers/%s/%s-json.log\",\"Name\":\"/%s\","
		   "\"Driver\":\"overlay2\",\"OS\":\"linux\",\"RestartCount\":0,\"MountPoints\":{},"
		   "\"AppArmorProfile\":\"\",\"NoNewPrivileges\":false}",
		   id, id, image, labels, id, id, name);
}

/* Docker's /var/lib/docker/containers/ID/config.v2.json. */
static void docker_config(const char *id, const char *name, const char *image, const char *labels)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/var/lib/docker/containers/%s/config.v2.json", root, id);
	docker_config_at(path, id, name, image, labels);
}

/* One entry of podman's containers.json (containers/storage); metadata is a JSON string. */
#define PODMAN_ENTRY(id, name, image)                                                                                  \
	"{\"id\":\"" id "\",\"names\":[\"" name "\"],"                                                                 \
	"\"image\":\"4d1e9b2a0c3f5e7d9b1a3c5e7f9d1b3a5c7e9f1d3b5a7c9e1f3d5b7a9c1e3f5d\","                              \
	"\"layer\":\"9a1c3e5f7d9b1a3c5e7f9d1b3a5c7e9f1d3b5a7c9e1f3d5b7a9c1e3f5d7b9a1c\","                              \
	"\"metadata\":\"{\\\"image-name\\\":\\\"" image "\\\",\\\"image-id\\\":\\\"4d1e9b2a0c3f\\\","                  \
	"\\\"name\\\":\\\"" name "\\\",\\\"created-at\\\":1764621669,\\\"mountlabel\\\":\\\"\\\"}\","                  \
	"\"created\":\"2026-12-01T20:41:09.2Z\",\"flags\":{\"MountLabel\":\"\",\"ProcessLabel\":\"\"}}"

#define CRI_SANDBOX_ANNOTATIONS                                                                                        \
	"\"io.kubernetes.cri.container-type\":\"sandbox\",\"io.kubernetes.cri.sandbox-id\":\"" ID_SANDBOX "\","        \
	"\"io.kubernetes.cri.sandbox-log-directory\":\"/var/log/pods/shop_web-7d4b9_" POD_UID "\","                    \
	"\"io.kubernetes.cri.sandbox-name\":\"web-7d4b9\",\"io.kubernetes.cri.sandbox-namespace\":\"shop\","           \
	"\"io.kubernetes.cri.sandbox-uid\":\"" POD_UID "\""

#define CRI_NGINX_LABELS                                                                                               \
	"\"io.kubernetes.cri.container-name=nginx\",\"io.kubernetes.cri.container-type=container\","                   \
	"\"io.kubernetes.cri.image-name=docker.io/library/nginx:1.25\","                                               \
	"\"io.kubernetes.cri.sandbox-id=" ID_SANDBOX "\",\"io.kubernetes.cri.sandbox-name=web-7d4b9\","                \
	"\"io.kubernetes.cri.sandbox-namespace=shop\",\"io.kubernetes.cri.sandbox-uid=" POD_UID "\""

#define CRIO_API_ANNOTATIONS                                                                                           \
	"\"io.container.manager\":\"cri-o\",\"io.kubernetes.container.name\":\"api\","                                 \
	"\"io.kubernetes.cri-o.ContainerType\":\"container\",\"io.kubernetes.cri-o.ImageName\":"                       \
	"\"registry.example/shop/api:2.1\",\"io.kubernetes.cri-o.Labels\":\"{\\\"app\\\":\\\"api\\\"}\","              \
	"\"io.kubernetes.cri-o.SandboxID\":\"" ID_INFRA "\",\"io.kubernetes.pod.name\":\"api-5f6d9\","                 \
	"\"io.kubernetes.pod.namespace\":\"payments\",\"io.kubernetes.pod.uid\":\"" POD2_UID "\""

/* A node running one container (or pod) of every runtime, and a host process. */
static void node_with_every_runtime(void)
{
	/* containerd CRI: a pod's sandbox (annotations only in its bundle) and its nginx container */
	runc_state("run/containerd/runc/k8s.io", ID_SANDBOX, 1100, 51100, CRI_TASK ID_SANDBOX, "");
	oci_config(CRI_TASK ID_SANDBOX, CRI_SANDBOX_ANNOTATIONS);
	proc_add(1100, 51100, 4026532100, 4026532099, "pause", "0::" POD_SLICE "/cri-containerd-" ID_SANDBOX ".scope");
	runc_state("run/containerd/runc/k8s.io", ID_NGINX, 1101, 51101, CRI_TASK ID_NGINX, CRI_NGINX_LABELS);
	oci_config(CRI_TASK ID_NGINX, "\"io.kubernetes.cri.container-type\":\"container\"");
	proc_add(1101, 51101, 4026532101, 4026532099, "nginx", "0::" POD_SLICE "/cri-containerd-" ID_NGINX ".scope");

	/* Docker's own containerd, and a second process in that container */
	runc_state("run/docker/runtime-runc/moby", ID_WEB, 1200, 51200, MOBY_TASK ID_WEB, "");
	docker_config(ID_WEB, "web", "gadgetbox-test/busybox:1", "\"com.example.team\":\"shop\"");
	proc_add(1200, 51200, 4026532200, 4026532201, "sleep", "0::/system.slice/docker-" ID_WEB ".scope");
	proc_add(1201, 51999, 4026532200, 4026532201, "sh", "0::/system.slice/docker-" ID_WEB ".scope");

	/* podman with crun: status and a copy of config.json in /run/crun, names in containers.json */
	crun_status(ID_CACHE, 1300, 51300, PODMAN_STORAGE ID_CACHE "/userdata", "/libpod_parent/libpod-" ID_CACHE);
	oci_config("/run/crun/" ID_CACHE,
		   "\"io.container.manager\":\"libpod\",\"org.opencontainers.image.stopSignal\":\"15\"");
	oci_config(PODMAN_STORAGE ID_CACHE "/userdata", "\"io.container.manager\":\"libpod\"");
	put("var/lib/containers/storage/overlay-containers/containers.json", "[%s]",
	    PODMAN_ENTRY(ID_CACHE, "cache", "docker.io/gadgetbox-test/busybox:1"));
	proc_add(1300, 51300, 4026532300, 4026532301, "sleep", "0::/libpod_parent/libpod-" ID_CACHE);

	/* CRI-O (runc root /run/runc); its bundle is named through /var/run, a symlink to /run */
	put_link("var/run", "/run");
	runc_state("run/runc", ID_API, 1400, 51400,
		   "/var/run/containers/storage/overlay-containers/" ID_API "/userdata", "");
	oci_config("/run/containers/storage/overlay-containers/" ID_API "/userdata", CRIO_API_ANNOTATIONS);
	proc_add(1400, 51400, 4026532400, 4026532401, "api", "0::" POD2_SLICE "/crio-" ID_API ".scope");

	/* ctr run, namespace "default" */
	runc_state("run/containerd/runc/default", ID_CTR, 1500, 51500,
		   "/run/containerd/io.containerd.runtime.v2.task/default/" ID_CTR, "");
	proc_add(1500, 51500, 4026532500, 4026532501, "sh", "0::/default/" ID_CTR);

	/* plain runc in a bundle of one's own */
	runc_state("run/runc", ID_PLAIN, 1600, 51600, "/root/box", "");
	oci_config("/root/box", "");
	proc_add(1600, 51600, 4026532600, 4026532601, "my (odd) comm", "0::/plain/" ID_PLAIN);

	proc_add(700, 700, HOST_MNTNS, HOST_NETNS, "sshd", "0::/system.slice/ssh.service");
}

/* ---- messages ---- */

#define LOG_MAX 32

static struct {
	unsigned n, warnings;
	char msg[LOG_MAX][600];
} logged;

static void record_log(enum gb_log_level level, const char *msg, void *ctx)
{
	(void)ctx;
	if (level == GB_LOG_WARN)
		logged.warnings++;
	if (logged.n < LOG_MAX)
		snprintf(logged.msg[logged.n], sizeof(logged.msg[0]), "%s", msg);
	logged.n++;
}

static bool logged_contains(const char *text)
{
	for (unsigned i = 0; i < logged.n && i < LOG_MAX; i++)
		if (strstr(logged.msg[i], text))
			return true;
	return false;
}

static void show_log(void)
{
	for (unsigned i = 0; i < logged.n && i < LOG_MAX; i++)
		fprintf(stderr, "    logged: %s\n", logged.msg[i]);
}

/* ---- setup ---- */

static void host_down(void)
{
	if (!host_is_up)
		return;
	gb_containers_free();
	gb_set_log(NULL, NULL);
	gb_host_root_init("/");
	remove_tree(root);
	host_is_up = false;
}

/* A fresh host root holding only kthreadd (in the host's mount namespace) and etc/hostname. */
static bool host_up(void)
{
	static bool registered;
	const char *tmp = getenv("TMPDIR");

	host_down(); /* after a test that stopped early */
	if (!registered)
		atexit(host_down);
	registered = true;
	snprintf(root, sizeof(root), "%s/gb-unit-host-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(root)) {
		unit_fail(__FILE__, __LINE__, "mkdtemp %s failed", root);
		return false;
	}
	host_is_up = true;
	memset(&logged, 0, sizeof(logged));
	gb_set_log(record_log, NULL);
	put("etc/hostname", "node-1\n");
	proc_add(2, 3, HOST_MNTNS, HOST_NETNS, "kthreadd", "0::/");
	return gb_host_root_init(root) == 0;
}

static bool start(const struct gb_container_filter *f)
{
	static const struct gb_container_filter none;

	gb_containers_free();
	return gb_containers_init(f ? f : &none) == 0;
}

static const struct gb_container *find(const char *id)
{
	const struct gb_container *c;

	for (unsigned i = 0; (c = gb_container_at(i)); i++)
		if (!strcmp(c->id, id))
			return c;
	return NULL;
}

static unsigned count(void)
{
	unsigned n = 0;

	while (gb_container_at(n))
		n++;
	return n;
}

/* ---- what each runtime's files give ---- */

TEST(test_containers_reads_a_containerd_cri_pod_from_state_labels_and_bundle)
{
	REQUIRE(host_up());
	node_with_every_runtime();
	REQUIRE(start(NULL));

	const struct gb_container *c = find(ID_NGINX);
	REQUIRE(c);
	CHECK_STR_EQ(c->runtime, "containerd");
	CHECK_STR_EQ(c->name, "nginx");
	CHECK_STR_EQ(c->image, "docker.io/library/nginx:1.25");
	CHECK_STR_EQ(c->k8s_namespace, "shop");
	CHECK_STR_EQ(c->k8s_pod, "web-7d4b9");
	CHECK_STR_EQ(c->k8s_pod_uid, POD_UID);
	CHECK_STR_EQ(c->k8s_container, "nginx");
	CHECK_STR_EQ(c->sandbox_id, ID_SANDBOX);
	CHECK_STR_EQ(c->cgroup_path, POD_SLICE "/cri-containerd-" ID_NGINX ".scope");
	CHECK_UINT_EQ(c->pid, 1101);
	CHECK_UINT_EQ(c->pid_start, 51101);
	CHECK_UINT_EQ(c->mntns, 4026532101);
	CHECK_UINT_EQ(c->netns, 4026532099);
	CHECK(!c->sandbox);
	CHECK(c->selected);
	CHECK(!gb_rec(c)->from_proc);
	CHECK(gb_container_by_mntns(4026532101) == c);

	/* the pause container: known (its exit matters), never shown; its metadata came from the bundle only */
	const struct gb_container *sb = find(ID_SANDBOX);
	REQUIRE(sb);
	CHECK(sb->sandbox);
	CHECK(!sb->selected);
	CHECK_STR_EQ(sb->k8s_pod, "web-7d4b9");
	CHECK_STR_EQ(sb->k8s_namespace, "shop");
	CHECK(gb_container_by_mntns(4026532100) == sb);
	CHECK_UINT_EQ(logged.n, 0);
	if (logged.n)
		show_log();
	host_down();
}

TEST(test_containers_reads_docker_name_and_image_from_config_v2)
{
	REQUIRE(host_up());
	node_with_every_runtime();
	/* Docker on the system's containerd: namespace moby */
	runc_state("run/containerd/runc/moby", ID_LATE, 1250, 51250, MOBY_TASK ID_LATE, "");
	docker_config(ID_LATE, "worker", "gadgetbox-test/busybox:2", "");
	proc_add(1250, 51250, 4026532250, 4026532251, "sleep", "0::/docker/" ID_LATE);
	REQUIRE(start(NULL));

	const struct gb_container *c = find(ID_WEB);
	REQUIRE(c);
	CHECK_STR_EQ(c->runtime, "docker");
	CHECK_STR_EQ(c->name, "web");
	CHECK_STR_EQ(c->image, "gadgetbox-test/busybox:1");
	CHECK_STR_EQ(c->k8s_pod, "");
	CHECK_STR_EQ(c->k8s_namespace, "");
	CHECK_UINT_EQ(c->pid, 1200);
	CHECK_UINT_EQ(c->mntns, 4026532200);
	CHECK(c->selected);
	CHECK(gb_rec(c)->meta_mtime != 0);
	c = find(ID_LATE);
	REQUIRE(c);
	CHECK_STR_EQ(c->runtime, "docker");
	CHECK_STR_EQ(c->name, "worker");
	CHECK_STR_EQ(c->image, "gadgetbox-test/busybox:2");
	CHECK_STR_EQ(c->cgroup_path, "/docker/" ID_LATE);
	host_down();
}

#define CRI_DOCKERD_LABELS(type, container)                                                                            \
	"\"annotation.io.kubernetes.container.restartCount\":\"0\",\"io.kubernetes.container.name\":\"" container      \
	"\","                                                                                                          \
	"\"io.kubernetes.docker.type\":\"" type "\",\"io.kubernetes.pod.name\":\"web-7d4b9\","                         \
	"\"io.kubernetes.pod.namespace\":\"shop\",\"io.kubernetes.pod.uid\":\"" POD_UID "\","                          \
	"\"io.kubernetes.sandbox.id\":\"" ID_SANDBOX "\""

TEST(test_containers_reads_cri_dockerd_pods_from_docker_labels)
{
	REQUIRE(host_up());
	runc_state("run/docker/runtime-runc/moby", ID_SANDBOX, 1100, 51100, MOBY_TASK ID_SANDBOX, "");
	docker_config(ID_SANDBOX, "k8s_POD_web-7d4b9_shop_" POD_UID "_0", "registry.k8s.io/pause:3.9",
		      CRI_DOCKERD_LABELS("podsandbox", "POD"));
	proc_add(1100, 51100, 4026532100, 4026532099, "pause", "0::/kubepods/besteffort/pod" POD_UID "/" ID_SANDBOX);
	runc_state("run/docker/runtime-runc/moby", ID_NGINX, 1101, 51101, MOBY_TASK ID_NGINX, "");
	docker_config(ID_NGINX, "k8s_nginx_web-7d4b9_shop_" POD_UID "_0", "nginx:1.25",
		      CRI_DOCKERD_LABELS("container", "nginx"));
	proc_add(1101, 51101, 4026532101, 4026532099, "nginx", "0::/kubepods/besteffort/pod" POD_UID "/" ID_NGINX);
	REQUIRE(start(NULL));

	const struct gb_container *c = find(ID_NGINX), *sb = find(ID_SANDBOX);
	REQUIRE(c && sb);
	CHECK_STR_EQ(c->runtime, "docker");
	CHECK_STR_EQ(c->image, "nginx:1.25");
	CHECK_STR_EQ(c->k8s_namespace, "shop");
	CHECK_STR_EQ(c->k8s_pod, "web-7d4b9");
	CHECK_STR_EQ(c->k8s_pod_uid, POD_UID);
	CHECK_STR_EQ(c->k8s_container, "nginx");
	CHECK_STR_EQ(c->sandbox_id, ID_SANDBOX);
	CHECK(!c->sandbox);
	CHECK(c->selected);
	CHECK(sb->sandbox);
	CHECK(!sb->selected);
	host_down();
}

TEST(test_containers_reads_podman_from_crun_status_and_containers_json)
{
	REQUIRE(host_up());
	node_with_every_runtime();
	REQUIRE(start(NULL));

	const struct gb_container *c = find(ID_CACHE);
	REQUIRE(c);
	CHECK_STR_EQ(c->runtime, "podman");
	CHECK_STR_EQ(c->name, "cache");
	CHECK_STR_EQ(c->image, "docker.io/gadgetbox-test/busybox:1");
	CHECK_UINT_EQ(c->pid, 1300);
	CHECK_UINT_EQ(c->pid_start, 51300);
	CHECK_UINT_EQ(c->mntns, 4026532300);
	CHECK_UINT_EQ(c->netns, 4026532301);
	CHECK_STR_EQ(c->cgroup_path, "/libpod_parent/libpod-" ID_CACHE);
	CHECK(c->selected);
	host_down();
}

TEST(test_containers_reads_cri_o_annotations_from_a_bundle_behind_a_symlink)
{
	REQUIRE(host_up());
	node_with_every_runtime();
	REQUIRE(start(NULL));

	const struct gb_container *c = find(ID_API);
	REQUIRE(c);
	CHECK_STR_EQ(c->runtime, "cri-o");
	CHECK_STR_EQ(c->name, "api");
	CHECK_STR_EQ(c->image, "registry.example/shop/api:2.1");
	CHECK_STR_EQ(c->k8s_namespace, "payments");
	CHECK_STR_EQ(c->k8s_pod, "api-5f6d9");
	CHECK_STR_EQ(c->k8s_pod_uid, POD2_UID);
	CHECK_STR_EQ(c->k8s_container, "api");
	CHECK_STR_EQ(c->sandbox_id, ID_INFRA);
	CHECK(!c->sandbox);
	CHECK(c->selected);
	host_down();
}

TEST(test_containers_names_ctr_and_plain_runc_containers_by_their_id)
{
	REQUIRE(host_up());
	node_with_every_runtime();
	REQUIRE(start(NULL));

	const struct gb_container *c = find(ID_CTR);
	REQUIRE(c);
	CHECK_STR_EQ(c->runtime, "containerd");
	CHECK_STR_EQ(c->name, ID_CTR);
	CHECK_STR_EQ(c->image, ""); /* only in containerd's bolt database */
	c = find(ID_PLAIN);
	REQUIRE(c);
	CHECK_STR_EQ(c->runtime, "runc");
	CHECK_STR_EQ(c->name, ID_PLAIN);
	CHECK_UINT_EQ(c->pid_start, 51600); /* a comm with spaces and parentheses in proc/PID/stat */
	CHECK_UINT_EQ(count(), 7);
	/* host processes and the second process of a container are not containers */
	CHECK(gb_container_by_mntns(HOST_MNTNS) == NULL);
	CHECK(gb_container_by_mntns(12345) == NULL);
	CHECK(gb_container_by_mntns(0) == NULL);
	host_down();
}

TEST(test_containers_a_podman_pods_infra_container_is_its_sandbox)
{
	REQUIRE(host_up());
	/* podman kube play: the infra container has no type key; the pod's containers name it */
	crun_status(ID_INFRA, 1700, 51700, PODMAN_STORAGE ID_INFRA "/userdata", "/libpod_parent/libpod-" ID_INFRA);
	oci_config("/run/crun/" ID_INFRA, "\"io.container.manager\":\"libpod\"");
	proc_add(1700, 51700, 4026532700, 4026532701, "catatonit", "0::/libpod_parent/libpod-" ID_INFRA);
	crun_status(ID_APP, 1701, 51701, PODMAN_STORAGE ID_APP "/userdata", "/libpod_parent/libpod-" ID_APP);
	oci_config("/run/crun/" ID_APP,
		   "\"io.container.manager\":\"libpod\",\"io.kubernetes.cri-o.ContainerType\":\"container\","
		   "\"io.kubernetes.cri-o.SandboxID\":\"" ID_INFRA "\",\"io.podman.annotations.kube.play\":\"true\"");
	proc_add(1701, 51701, 4026532702, 4026532701, "httpd", "0::/libpod_parent/libpod-" ID_APP);
	put("var/lib/containers/storage/overlay-containers/containers.json", "[%s,%s]",
	    PODMAN_ENTRY(ID_INFRA, "eb0de251ac21-infra", "localhost/podman-pause:4.3.1-0"),
	    PODMAN_ENTRY(ID_APP, "shop-pod-app", "docker.io/gadgetbox-test/busybox:1"));
	REQUIRE(start(NULL));

	const struct gb_container *infra = find(ID_INFRA), *app = find(ID_APP);
	REQUIRE(infra && app);
	CHECK(infra->sandbox);
	CHECK(!infra->selected);
	CHECK(!app->sandbox);
	CHECK(app->selected);
	CHECK_STR_EQ(app->runtime, "podman");
	CHECK_STR_EQ(app->name, "shop-pod-app");
	CHECK_STR_EQ(app->sandbox_id, ID_INFRA);
	host_down();
}

TEST(test_containers_without_state_are_found_through_proc_cgroups)
{
	REQUIRE(host_up());
	/* no state directory (a runtime we do not know, or not written yet); the cgroup names the runtime */
	docker_config(ID_PROC_ONLY, "legacy", "gadgetbox-test/busybox:1", "");
	proc_add(1800, 51800, 4026532800, 4026532801, "sleep", "0::/system.slice/docker-" ID_PROC_ONLY ".scope");
	REQUIRE(start(NULL));

	const struct gb_container *c = find(ID_PROC_ONLY);
	REQUIRE(c);
	CHECK(gb_rec(c)->from_proc);
	CHECK_STR_EQ(c->runtime, "docker");
	CHECK_STR_EQ(c->name, "legacy");
	CHECK_UINT_EQ(c->pid, 1800);
	CHECK_UINT_EQ(c->mntns, 4026532800);
	host_down();
}

TEST(test_containers_node_name_is_the_host_roots_hostname_unless_node_name_is_set)
{
	const char *saved = getenv("NODE_NAME");
	char *copy = saved ? strdup(saved) : NULL;

	REQUIRE(host_up());
	unsetenv("NODE_NAME");
	REQUIRE(start(NULL));
	CHECK_STR_EQ(gb_node_name(), "node-1");
	setenv("NODE_NAME", "node-from-env", 1);
	REQUIRE(start(NULL));
	CHECK_STR_EQ(gb_node_name(), "node-from-env");
	if (copy)
		setenv("NODE_NAME", copy, 1);
	else
		unsetenv("NODE_NAME");
	free(copy);
	host_down();
}

/* ---- filters ---- */

static int by_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Restart the table with @f; the names of the selected containers (12 characters at most), sorted. */
static void check_selected(const char *file, int line, struct gb_container_filter f, const char *want)
{
	char names[16][13], got[256] = "";
	const struct gb_container *c;
	unsigned n = 0;

	if (!start(&f)) {
		unit_fail(file, line, "gb_containers_init failed");
		return;
	}
	for (unsigned i = 0; (c = gb_container_at(i)) && n < 16; i++)
		if (c->selected)
			snprintf(names[n++], sizeof(names[0]), "%.12s", c->name);
	qsort(names, n, sizeof(names[0]), by_name);
	for (unsigned i = 0; i < n; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", i ? "," : "", names[i]);
	unit_check_str(file, line, "selected", want, got, want);
}

#define CHECK_SELECTED(want, ...) check_selected(__FILE__, __LINE__, (struct gb_container_filter){__VA_ARGS__}, want)

/* every container but the sandbox */
#define ALL ID_CTR12 "," ID_PLAIN12 ",api,cache,nginx,web"

TEST(test_containers_filters_select_by_name_kubernetes_fields_and_runtime)
{
	REQUIRE(host_up());
	node_with_every_runtime();
	CHECK_SELECTED(ALL, .host = false);
	CHECK_SELECTED("cache,web", .names = "web,cache");
	CHECK_SELECTED("2752ea5db34c,a116c9ed46d6,api,cache,nginx", .names = "!web");
	CHECK_SELECTED("nginx", .k8s_namespaces = "shop");
	CHECK_SELECTED("2752ea5db34c,a116c9ed46d6,cache,web", .k8s_namespaces = "!shop,!payments");
	CHECK_SELECTED("api", .k8s_pods = "api-5f6d9");
	CHECK_SELECTED("api,nginx", .k8s_containers = "nginx,api");
	CHECK_SELECTED("cache,web", .runtimes = "docker,podman");
	CHECK_SELECTED("a116c9ed46d6,api,cache,web", .runtimes = "!containerd");
	CHECK_SELECTED("2752ea5db34c,nginx", .runtimes = "containerd");
	/* different members combine with AND */
	CHECK_SELECTED("", .names = "nginx", .runtimes = "!containerd");
	CHECK_SELECTED("nginx", .names = "nginx,web", .k8s_namespaces = "shop");
	/* a name that matches nothing */
	CHECK_SELECTED("", .names = "nosuch");
	host_down();
}

TEST(test_containers_filters_take_shell_patterns)
{
	REQUIRE(host_up());
	node_with_every_runtime();
	CHECK_SELECTED("cache,web", .names = "[cw]*");
	CHECK_SELECTED("nginx,web", .names = "?e?,ng*");
	CHECK_SELECTED("api,nginx", .names = "!*e*,!" ID_CTR12 "*,!" ID_PLAIN12 "*");
	CHECK_SELECTED("nginx", .k8s_namespaces = "sh*");
	CHECK_SELECTED("api", .k8s_pods = "api-*");
	CHECK_SELECTED("api,nginx", .k8s_containers = "*i*");
	CHECK_SELECTED("", .names = "web-*");
	host_down();
}

static void add_unmatched(void *arg, const struct gb_unmatched *u)
{
	char *got = arg;
	size_t len = strlen(got);

	snprintf(got + len, 512 - len, "%s%s %s:", *got ? "; " : "", u->filter, u->item);
	for (int i = 0; i < GB_MAX_SUGGESTIONS && u->suggestions[i]; i++)
		snprintf(got + strlen(got), 512 - strlen(got), " %s", u->suggestions[i]);
}

TEST(test_containers_unmatched_filter_items_come_with_the_closest_names)
{
	char got[512] = "";

	REQUIRE(host_up());
	node_with_every_runtime();
	REQUIRE(start(&(struct gb_container_filter){.names = "wbe,web,nosuch,ngin,!gone,w*,x*,cach,apo",
						    .k8s_namespaces = "shp",
						    .k8s_pods = "api-5f6d8",
						    .k8s_containers = "nginx"}));
	CHECK_INT_EQ(gb_containers_unmatched(add_unmatched, got), 8);
	CHECK_STR_EQ(got,
		     "names wbe: web; names nosuch:; names ngin: nginx; names x*:; names cach: cache; names apo: api; "
		     "k8s_namespaces shp: shop; k8s_pods api-5f6d8: api-5f6d9");
	host_down();
}

TEST(test_list_matches_shell_patterns)
{
	CHECK(gb_list_matches("web-*", "web-1"));
	CHECK(!gb_list_matches("web-*", "web"));
	CHECK(gb_list_matches("kube-?", "kube-a"));
	CHECK(!gb_list_matches("kube-?", "kube-ab"));
	CHECK(gb_list_matches("[ab]*", "api"));
	CHECK(!gb_list_matches("[ab]*", "cache"));
	CHECK(!gb_list_matches("!web-*", "web-2"));
	CHECK(gb_list_matches("!web-*", "db"));
	CHECK(gb_list_matches("db,web-*", "web-2"));
	CHECK(!gb_list_matches("*,!web-*", "web-2")); /* an exclusion still wins */
	CHECK(gb_list_matches("*", ""));
}

TEST(test_containers_visibility_of_host_processes_follows_the_host_flag)
{
	REQUIRE(host_up());
	REQUIRE(start(&(struct gb_container_filter){.host = true}));
	CHECK(gb_container_visible(NULL));
	REQUIRE(start(&(struct gb_container_filter){.host = false}));
	CHECK(!gb_container_visible(NULL));
	host_down();
}

TEST(test_list_matches_comma_lists_with_exclusions)
{
	CHECK(gb_list_matches(NULL, "web"));
	CHECK(gb_list_matches("web", "web"));
	CHECK(!gb_list_matches("web", "web2"));
	CHECK(!gb_list_matches("web2", "web"));
	CHECK(gb_list_matches("a,web,b", "web"));
	CHECK(!gb_list_matches("!web", "web"));
	CHECK(gb_list_matches("!web", "db"));
	CHECK(gb_list_matches("!web,!db", "cache"));
	CHECK(!gb_list_matches("web,!web", "web")); /* an exclusion wins */
	CHECK(!gb_list_matches("db,!web", "cache"));
	CHECK(gb_list_matches("", "web"));   /* no item: no filter */
	CHECK(gb_list_matches(",,", "web")); /* empty items are ignored */
	CHECK(gb_list_matches("web,", "web"));
	CHECK(!gb_list_matches("web", ""));
	CHECK(gb_list_matches("!", "web")); /* "!" alone excludes only "" */
	CHECK(!gb_list_matches("!", ""));
}

TEST(test_container_display_prefers_kubernetes_then_name_then_short_id)
{
	char buf[64];
	struct gb_container c = {
		.id = ID_WEB, .name = "", .k8s_namespace = "shop", .k8s_pod = "web-7d4b9", .k8s_container = "nginx"};

	CHECK_STR_EQ(gb_container__display(&c, buf, sizeof(buf)), "shop/web-7d4b9/nginx");
	c.k8s_pod = "";
	c.name = "web";
	CHECK_STR_EQ(gb_container__display(&c, buf, sizeof(buf)), "web");
	c.name = "";
	CHECK_STR_EQ(gb_container__display(&c, buf, sizeof(buf)), "4b5e57f6eb2f");
	CHECK_STR_EQ(gb_container__display(&c, buf, 5), "4b5e");
	/* ctr and runc: the id is the name the user chose, shown whole, as docker's names are */
	snprintf(c.id, sizeof(c.id), "gbt-ctr-a-long-name-of-31-chars");
	c.name = c.id;
	CHECK_STR_EQ(gb_container__display(&c, buf, sizeof(buf)), "gbt-ctr-a-long-name-of-31-chars");
}

/* ---- damaged, hostile and stale files ---- */

TEST(test_containers_corrupt_state_file_warns_once_and_the_others_are_read)
{
	REQUIRE(host_up());
	node_with_every_runtime();
	/* runc was killed while writing: the JSON stops in the middle */
	put("run/containerd/runc/k8s.io/" ID_CORRUPT "/state.json",
	    "{\"id\":\"" ID_CORRUPT "\",\"init_process_pid\":1900,\"init_process_start\":519");
	proc_add(1900, 51900, 4026532900, 4026532901, "sleep", "0::" POD_SLICE "/cri-containerd-" ID_CORRUPT ".scope");
	REQUIRE(start(NULL));
	gb_containers_refresh(GB_REFRESH_FULL | GB_REFRESH_PRUNE);
	gb_containers_refresh(0);

	CHECK_UINT_EQ(logged.warnings, 1);
	CHECK_UINT_EQ(logged.n, 1);
	CHECK(logged_contains("/run/containerd/runc/k8s.io/" ID_CORRUPT "/state.json"));
	CHECK(logged_contains("not valid JSON"));
	if (logged.n != 1)
		show_log();
	CHECK(find(ID_NGINX) && find(ID_WEB) && find(ID_CACHE) && find(ID_API));
	/* the container itself is still known through /proc, without its state's metadata */
	const struct gb_container *c = find(ID_CORRUPT);
	REQUIRE(c);
	CHECK(gb_rec(c)->from_proc);
	CHECK_STR_EQ(c->runtime, "containerd");
	CHECK_STR_EQ(c->k8s_pod, "");
	CHECK_UINT_EQ(count(), 8);
	host_down();
}

static bool container_mentions(const struct gb_container *c, const char *text)
{
	const char *fields[] = {c->id,	    c->runtime,	    c->name,	      c->image,	      c->k8s_namespace,
				c->k8s_pod, c->k8s_pod_uid, c->k8s_container, c->cgroup_path, c->sandbox_id};

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (strstr(fields[i], text))
			return true;
	return false;
}

#define LEAKED_LABELS                                                                                                  \
	"\"io.kubernetes.cri.container-type=container\",\"io.kubernetes.cri.container-name=LEAKED\","                  \
	"\"io.kubernetes.cri.sandbox-name=LEAKED\",\"io.kubernetes.cri.sandbox-namespace=LEAKED\""
#define LEAKED_ANNOTATIONS                                                                                             \
	"\"io.kubernetes.cri.container-type\":\"container\",\"io.kubernetes.cri.container-name\":\"LEAKED\","          \
	"\"io.kubernetes.cri.sandbox-name\":\"LEAKED\",\"io.kubernetes.cri.image-name\":\"LEAKED\""

TEST(test_containers_symlinks_in_runtime_files_never_leave_the_host_root)
{
	char outside[512], path[4096], rel[4096];
	const char *tmp = getenv("TMPDIR");

	REQUIRE(host_up());
	snprintf(outside, sizeof(outside), "%s/gb-unit-outside-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	REQUIRE(mkdtemp(outside));
	REQUIRE(outside[0] == '/');
	/* outside the root: files that would register containers labelled LEAKED if they were read */
	char *saved_root = strdup(root);
	snprintf(root, sizeof(root), "%s", outside); /* put() writes under root: point it outside for a moment */
	runc_state("runc", ID_LEAK1, 2001, 52001, "/bundle", LEAKED_LABELS);
	runc_state("runc", ID_LEAK2, 2002, 52002, "/bundle", LEAKED_LABELS);
	oci_config("/bundle", LEAKED_ANNOTATIONS);
	crun_status(ID_LEAK6, 2006, 52006, "/bundle", "/LEAKED");
	snprintf(path, sizeof(path), "%s/config.v2.json", outside);
	docker_config_at(path, ID_LEAK5, "LEAKED", "LEAKED", "\"io.kubernetes.pod.name\":\"LEAKED\"");
	snprintf(root, sizeof(root), "%s", saved_root);
	free(saved_root);

	/* an absolute symlink and one with enough ".." to reach the real / */
	snprintf(path, sizeof(path), "%s/runc/%s/state.json", outside, ID_LEAK1);
	put_link("run/runc/" ID_LEAK1 "/state.json", path);
	snprintf(rel, sizeof(rel), "../../../../../../../../../../../../../../../..%s/runc/%s/state.json", outside,
		 ID_LEAK2);
	put_link("run/runc/" ID_LEAK2 "/state.json", rel);
	/* a bundle path outside the root, and a bundle config.json that climbs out */
	snprintf(path, sizeof(path), "%s/bundle", outside);
	runc_state("run/runc", ID_LEAK3, 2003, 52003, path, "");
	runc_state("run/runc", ID_LEAK4, 2004, 52004, "/bundles/leak4", "");
	snprintf(rel, sizeof(rel), "../../../../../../../../../../../../../..%s/bundle/config.json", outside);
	put_link("bundles/leak4/config.json", rel);
	/* Docker's engine file as an absolute symlink */
	runc_state("run/docker/runtime-runc/moby", ID_LEAK5, 2005, 52005, MOBY_TASK ID_LEAK5, "");
	snprintf(path, sizeof(path), "%s/config.v2.json", outside);
	put_link("var/lib/docker/containers/" ID_LEAK5 "/config.v2.json", path);
	/* a whole state root that is a symlink */
	snprintf(path, sizeof(path), "%s/run/crun", outside);
	put_link("run/crun", path);
	/* the init processes: their cgroups name no container, so only their state could register them */
	for (unsigned pid = 2001; pid <= 2006; pid++)
		proc_add(pid, 52000 + pid - 2000, 4026533000 + pid, 4026534000 + pid, "sleep",
			 "0::/system.slice/x.service");

	/* the fixture would leak if the links were followed */
	snprintf(path, sizeof(path), "%s/run/runc/%s/state.json", root, ID_LEAK1);
	FILE *f = fopen(path, "r");
	REQUIRE(f);
	char buf[8192];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	REQUIRE(strstr(buf, "LEAKED"));

	REQUIRE(start(NULL));
	const struct gb_container *c;
	for (unsigned i = 0; (c = gb_container_at(i)); i++) {
		if (container_mentions(c, "LEAKED"))
			unit_fail(__FILE__, __LINE__, "container %.12s has metadata from outside the host root", c->id);
	}
	CHECK(!find(ID_LEAK1));
	CHECK(!find(ID_LEAK2));
	CHECK(!find(ID_LEAK6));
	/* the ones whose state is inside the root are registered, without what lies outside */
	c = find(ID_LEAK3);
	REQUIRE(c);
	CHECK_STR_EQ(c->name, ID_LEAK3);
	c = find(ID_LEAK4);
	REQUIRE(c);
	CHECK_STR_EQ(c->k8s_container, "");
	c = find(ID_LEAK5);
	REQUIRE(c);
	CHECK_STR_EQ(c->runtime, "docker");
	CHECK_STR_EQ(c->name, ID_LEAK5);
	CHECK_STR_EQ(c->image, "");
	CHECK(!logged_contains("LEAKED"));
	remove_tree(outside);
	host_down();
}

TEST(test_containers_whose_init_is_gone_reused_or_on_the_host_are_not_registered)
{
	REQUIRE(host_up());
	/* the state's pid now belongs to a host process started later */
	runc_state("run/runc", ID_REUSED, 2100, 52100, "/run/x", "");
	proc_add(2100, 99999, HOST_MNTNS, HOST_NETNS, "bash", "0::/user.slice/user-0.slice/session-1.scope");
	/* the same pid and start time, but in the host's mount namespace */
	runc_state("run/runc", ID_HOSTNS, 2101, 52101, "/run/x", "");
	proc_add(2101, 52101, HOST_MNTNS, HOST_NETNS, "sleep", "0::/system.slice/x.service");
	/* no such process */
	runc_state("run/runc", ID_GONE, 2102, 52102, "/run/x", "");
	/* a state directory without a state file (being deleted) */
	put("run/runc/" ID_STOPPED "/exec.fifo", "%s", "");
	/* crun's status of a container that has no process */
	crun_status(ID_CREATED, 0, 0, "/run/x", "/x");
	/* and one that is fine */
	runc_state("run/runc", ID_PLAIN, 1600, 51600, "/root/box", "");
	proc_add(1600, 51600, 4026532600, 4026532601, "sleep", "0::/plain/" ID_PLAIN);
	REQUIRE(start(NULL));

	CHECK(!find(ID_REUSED));
	CHECK(!find(ID_HOSTNS));
	CHECK(!find(ID_GONE));
	CHECK(!find(ID_STOPPED));
	CHECK(!find(ID_CREATED));
	CHECK(find(ID_PLAIN));
	CHECK_UINT_EQ(count(), 1);
	CHECK_UINT_EQ(logged.n, 0);
	host_down();
}

/* ---- subscribers ---- */

struct sub_log {
	char ev[64][16]; /* "+name" or "-name" */
	unsigned n;
};

static void sub_added(void *ctx, const struct gb_container *c)
{
	struct sub_log *l = ctx;

	if (l->n < 64)
		snprintf(l->ev[l->n++], sizeof(l->ev[0]), "+%.12s", c->name);
}

static void sub_removed(void *ctx, const struct gb_container *c)
{
	struct sub_log *l = ctx;

	if (l->n < 64)
		snprintf(l->ev[l->n++], sizeof(l->ev[0]), "-%.12s", c->name);
}

/* What @l heard since the last call, sorted, comma-separated. */
static const char *heard(struct sub_log *l)
{
	static char out[1024];

	out[0] = '\0';
	qsort(l->ev, l->n, sizeof(l->ev[0]), by_name);
	for (unsigned i = 0; i < l->n; i++)
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s", i ? "," : "", l->ev[i]);
	l->n = 0;
	return out;
}

TEST(test_containers_subscribers_hear_of_added_and_removed_containers)
{
	struct sub_log a = {0}, b = {0}, c = {0};

	REQUIRE(host_up());
	node_with_every_runtime();
	REQUIRE(start(NULL));
	int ida = gb_containers_subscribe(&(struct gb_container_hooks){sub_added, sub_removed, NULL, &a}, true);
	int idb = gb_containers_subscribe(&(struct gb_container_hooks){sub_added, sub_removed, NULL, &b}, false);
	REQUIRE(ida >= 0 && idb >= 0 && ida != idb);
	/* the replay tells of every known container, sandboxes included */
	CHECK_STR_EQ(heard(&a), "+" ID_CTR12 ",+" ID_PLAIN12 ",+api,+" ID_SANDBOX12 ",+cache,+nginx,+web");
	CHECK_STR_EQ(heard(&b), "");

	/* a container starts */
	runc_state("run/docker/runtime-runc/moby", ID_LATE, 1250, 51250, MOBY_TASK ID_LATE, "");
	docker_config(ID_LATE, "late", "gadgetbox-test/busybox:1", "");
	proc_add(1250, 51250, 4026532250, 4026532251, "sleep", "0::/system.slice/docker-" ID_LATE ".scope");
	gb_containers_refresh(0);
	CHECK_STR_EQ(heard(&a), "+late");
	CHECK_STR_EQ(heard(&b), "+late");
	/* nothing changed: nothing to tell */
	gb_containers_refresh(GB_REFRESH_FULL | GB_REFRESH_PRUNE);
	CHECK_STR_EQ(heard(&a), "");

	/* web stops: its state directory and its processes are gone */
	gb_containers_unsubscribe(idb);
	drop("run/docker/runtime-runc/moby/" ID_WEB);
	proc_drop(1200);
	proc_drop(1201);
	gb_containers_refresh(GB_REFRESH_FULL | GB_REFRESH_PRUNE);
	CHECK_STR_EQ(heard(&a), "-web");
	CHECK_STR_EQ(heard(&b), "");
	CHECK(!find(ID_WEB));
	CHECK(gb_container_by_mntns(4026532200) == NULL);
	CHECK(find(ID_LATE));

	/* a freed slot is reused; the others keep theirs */
	int idc = gb_containers_subscribe(&(struct gb_container_hooks){sub_added, sub_removed, NULL, &c}, false);
	CHECK_INT_EQ(idc, idb);
	gb_containers_exited(1250, 4026532999); /* not late's mount namespace: nothing */
	CHECK_STR_EQ(heard(&a), "");
	gb_containers_exited(1250, 4026532250);
	CHECK_STR_EQ(heard(&a), "-late");
	CHECK_STR_EQ(heard(&c), "-late");
	CHECK(!find(ID_LATE));
	gb_containers_unsubscribe(ida);
	gb_containers_unsubscribe(idc);
	gb_containers_unsubscribe(99); /* unknown ids are ignored */
	gb_containers_unsubscribe(-1);
	host_down();
}

TEST(test_containers_rename_updates_in_place_and_tells_only_filter_changes)
{
	struct sub_log a = {0};
	char path[4096];

	REQUIRE(host_up());
	node_with_every_runtime();
	REQUIRE(start(&(struct gb_container_filter){.names = "web"}));
	REQUIRE(gb_containers_subscribe(&(struct gb_container_hooks){sub_added, sub_removed, NULL, &a}, false) >= 0);

	/* docker rename web web-old: config.v2.json is rewritten */
	docker_config(ID_WEB, "web-old", "gadgetbox-test/busybox:1", "");
	snprintf(path, sizeof(path), "%s/var/lib/docker/containers/%s/config.v2.json", root, ID_WEB);
	struct timespec later[2] = {{.tv_sec = 1800000000}, {.tv_sec = 1800000000}};
	REQUIRE(utimensat(AT_FDCWD, path, later, 0) == 0);
	gb_containers_refresh(0);
	const struct gb_container *c = find(ID_WEB);
	REQUIRE(c);
	CHECK_STR_EQ(c->name, "web-old");
	CHECK(!c->selected);
	CHECK_STR_EQ(heard(&a), "-web"); /* it left the filter */

	/* and renamed back */
	docker_config(ID_WEB, "web", "gadgetbox-test/busybox:1", "");
	later[0].tv_sec = later[1].tv_sec = 1800000100;
	REQUIRE(utimensat(AT_FDCWD, path, later, 0) == 0);
	gb_containers_refresh(0);
	c = find(ID_WEB);
	REQUIRE(c);
	CHECK(c->selected);
	CHECK_STR_EQ(heard(&a), "+web");
	CHECK(gb_container_by_mntns(4026532200) == c);
	CHECK_UINT_EQ(count(), 7);

	/* a rename that keeps it outside the filter is not told */
	REQUIRE(start(NULL));
	REQUIRE(gb_containers_subscribe(&(struct gb_container_hooks){sub_added, sub_removed, NULL, &a}, false) >= 0);
	docker_config(ID_WEB, "web-2", "gadgetbox-test/busybox:1", "");
	later[0].tv_sec = later[1].tv_sec = 1800000200;
	REQUIRE(utimensat(AT_FDCWD, path, later, 0) == 0);
	gb_containers_refresh(0);
	c = find(ID_WEB);
	REQUIRE(c);
	CHECK_STR_EQ(c->name, "web-2");
	CHECK_STR_EQ(heard(&a), "");
	host_down();
}

/* An event of a namespace the table does not know: a container started after the last scan is read from its
 * new state directory at once */
TEST(test_ns_resolve_reads_a_container_started_after_the_last_scan)
{
	const struct gb_container *c;

	REQUIRE(host_up());
	node_with_every_runtime();
	REQUIRE(start(NULL));
	runc_state("run/containerd/runc/default", ID_LATE, 1250, 51250, "/run/x", "");
	proc_add(1250, 51250, 4026532250, 4026532251, "sleep", "0::/default/" ID_LATE);
	CHECK(gb_container_by_mntns(4026532250) == NULL);
	CHECK(gb_ns_resolve(4026532250, 0, 1250, false, &c) == GB_NS_CONTAINER);
	REQUIRE(c);
	CHECK_STR_EQ(c->id, ID_LATE);
	CHECK(gb_container_by_mntns(4026532250) == c);
	CHECK(gb_ns_resolve(4026532101, 0, 1, false, &c) == GB_NS_CONTAINER && c == find(ID_NGINX));
	CHECK(gb_ns_resolve(HOST_MNTNS, 0, 700, false, &c) == GB_NS_HOST && !c);
	CHECK(gb_ns_resolve(0, 0, 0, false, &c) == GB_NS_HOST && !c);
	host_down();
}

/* A namespace whose process lives in no container's cgroup is the host's at once; one nothing identifies
 * yet is held (pending), never waited for, and once the hold is over, unidentified */
TEST(test_ns_resolve_holds_then_gives_up_on_an_unknown_namespace)
{
	const struct gb_container *c;

	REQUIRE(host_up());
	node_with_every_runtime();
	REQUIRE(start(NULL));
	proc_add(2900, 52900, 4026533300, HOST_NETNS, "unshare", "0::/user.slice/session-1.scope");
	/* a live process outside every container's cgroup: held like any new namespace (a ctr container's
	 * cgroup names no id until its state is read), the host's once the hold is over */
	CHECK(gb_ns_resolve(4026533300, 0, 2900, false, &c) == GB_NS_PENDING && !c);
	CHECK(gb_ns_resolve(4026533300, 0, 2900, true, &c) == GB_NS_HOST && !c);
	/* a process that ended before anything could be read of it */
	CHECK(gb_ns_resolve(4026533301, 76, 2901, false, &c) == GB_NS_PENDING);
	CHECK(gb_ns_resolve(4026533301, 76, 2901, true, &c) == GB_NS_UNIDENTIFIED && !c);
	CHECK(gb_ns_resolve(4026533301, 76, 2901, false, &c) == GB_NS_UNIDENTIFIED);
	/* a new namespace that got the inode (another never-reused id) starts over */
	CHECK(gb_ns_resolve(4026533301, 77, 2902, false, &c) == GB_NS_PENDING);
	host_down();
}

/* A container whose init exec'd and ended before its state was read: its state names the event's process as
 * its init, so the event's namespace is that container's */
TEST(test_ns_resolve_labels_a_container_that_ended_before_it_was_read)
{
	const struct gb_container *c;

	REQUIRE(host_up());
	node_with_every_runtime();
	REQUIRE(start(NULL));
	runc_state("run/containerd/runc/default", ID_LATE, 1250, 51250, "/run/x", "");
	CHECK(gb_ns_resolve(4026532250, 9001, 1251, true, &c) == GB_NS_UNIDENTIFIED); /* not its init */
	CHECK(gb_ns_resolve(4026532260, 9002, 1250, false, &c) == GB_NS_CONTAINER);
	REQUIRE(c);
	CHECK_STR_EQ(c->id, ID_LATE);
	CHECK(gb_rec(c)->ended && c->mntns == 4026532260 && c->mntns_uid == 9002);
	/* not alive: the next pruning rescan lets it go */
	gb_containers_refresh(GB_REFRESH_PRUNE);
	CHECK(!find(ID_LATE));
	host_down();
}

/* The inode of a container's namespace may be a new container's before the old record leaves: the
 * never-reused id tells them apart */
TEST(test_containers_by_ns_tells_apart_namespaces_that_share_an_inode)
{
	const struct gb_container *c;

	REQUIRE(host_up());
	node_with_every_runtime();
	REQUIRE(start(NULL));
	CHECK(gb_ns_resolve(4026532260, 9002, 1250, false, &c) == GB_NS_PENDING);
	runc_state("run/containerd/runc/default", ID_LATE, 1250, 51250, "/run/x", "");
	REQUIRE(gb_ns_resolve(4026532260, 9002, 1250, false, &c) == GB_NS_CONTAINER ||
		gb_ns_resolve(4026532260, 9002, 1250, true, &c) == GB_NS_CONTAINER);
	const struct gb_container *old = c;
	runc_state("run/containerd/runc/default", ID_REUSED, 1260, 51260, "/run/y", "");
	CHECK(gb_ns_resolve(4026532260, 9010, 1260, true, &c) == GB_NS_CONTAINER);
	REQUIRE(c && old);
	CHECK_STR_EQ(c->id, ID_REUSED);
	CHECK(gb_container_by_ns(4026532260, 9002) == find(ID_LATE));
	CHECK(gb_container_by_ns(4026532260, 9010) == find(ID_REUSED));
	host_down();
}

/* ---- lifecycle facts and containers that run no more ---- */

TEST(test_containers_a_running_docker_container_has_its_state_start_and_log)
{
	REQUIRE(host_up());
	node_with_every_runtime();
	REQUIRE(start(NULL));
	const struct gb_container *c = find(ID_WEB);
	REQUIRE(c);
	CHECK_INT_EQ(c->state, GB_STATE_RUNNING);
	CHECK_STR_EQ(gb_container_state_name(c->state), "running");
	CHECK_UINT_EQ(c->started_at, 1796157668500000000ull); /* State.StartedAt, 2026-12-01T20:41:08.5Z */
	CHECK_UINT_EQ(c->finished_at, 0);
	CHECK(!c->exit_code_known);
	CHECK_INT_EQ(c->restart_count, 0);
	CHECK_STR_EQ(c->log_path, "/var/lib/docker/containers/" ID_WEB "/" ID_WEB "-json.log");
	host_down();
}

static void collect_exited(void *ctx, const struct gb_container *c)
{
	struct gb_container *out = ctx;

	if (!strcmp(c->id, ID_GONE)) {
		*out = *c;
		out->log_path = strdup(c->log_path);
		out->name = strdup(c->name);
	}
}

TEST(test_containers_an_exited_docker_container_is_listed_with_its_exit_code_but_not_in_the_table)
{
	struct gb_container got = {0};

	REQUIRE(host_up());
	node_with_every_runtime();
	put("var/lib/docker/containers/" ID_GONE "/config.v2.json",
	    "{\"State\":{\"Running\":false,\"Paused\":false,\"Pid\":0,\"ExitCode\":3,"
	    "\"StartedAt\":\"2026-12-01T20:41:08.5+01:00\",\"FinishedAt\":\"2026-12-01T20:41:09.123456789Z\"},"
	    "\"ID\":\"" ID_GONE "\",\"Config\":{\"Image\":\"busybox\"},\"Name\":\"/gone\",\"RestartCount\":2,"
	    "\"LogPath\":\"/var/lib/docker/containers/" ID_GONE "/" ID_GONE "-json.log\"}");
	REQUIRE(start(NULL));
	CHECK(!find(ID_GONE));
	CHECK(gb_containers_foreach_exited(collect_exited, &got) >= 1);
	CHECK(!find(ID_GONE)); /* for listing only */
	CHECK_STR_EQ(got.id, ID_GONE);
	CHECK_INT_EQ(got.state, GB_STATE_EXITED);
	CHECK(got.exit_code_known);
	CHECK_INT_EQ(got.exit_code, 3);
	CHECK_UINT_EQ(got.started_at, 1796154068500000000ull);
	CHECK_UINT_EQ(got.finished_at, 1796157669123456789ull);
	CHECK_INT_EQ(got.restart_count, 2);
	CHECK_UINT_EQ(got.pid, 0);
	CHECK(got.selected);
	CHECK_STR_EQ(got.name, "gone");
	CHECK_STR_EQ(got.log_path, "/var/lib/docker/containers/" ID_GONE "/" ID_GONE "-json.log");
	free(got.log_path);
	free(got.name);
	host_down();
}

TEST(test_rfc3339_times_as_the_engines_write_them)
{
	CHECK_UINT_EQ(gb_parse_rfc3339("1970-01-01T00:00:01Z"), 1000000000ull);
	CHECK_UINT_EQ(gb_parse_rfc3339("2026-12-02T22:31:27.443772004Z"), 1796250687443772004ull);
	CHECK_UINT_EQ(gb_parse_rfc3339("2026-12-02T23:31:27.4437Z"), 1796254287443700000ull);
	CHECK_UINT_EQ(gb_parse_rfc3339("2026-12-02T23:31:27-01:00"), 1796257887000000000ull);
	CHECK_UINT_EQ(gb_parse_rfc3339("0001-01-01T00:00:00Z"), 0); /* Go's zero time: never */
	CHECK_UINT_EQ(gb_parse_rfc3339("2026-12-02 23:31:27"), 0);
	CHECK_UINT_EQ(gb_parse_rfc3339(""), 0);
}

/* ---- the bbolt reader, over a file made here ---- */

#define PS 4096

struct elem {
	const char *key;
	const void *val;
	size_t vlen;
	bool bucket;
};

static void le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A leaf page at @p (header, elements, then keys and values); returns its length. */
static size_t leaf(uint8_t *p, uint64_t id, const struct elem *e, int n)
{
	size_t data = 16 + 16 * (size_t)n;

	le(p, id, 8);
	le(p + 8, 0x02, 2);
	le(p + 10, (uint64_t)n, 2);
	for (int i = 0; i < n; i++) {
		uint8_t *el = p + 16 + 16 * i;
		size_t kl = strlen(e[i].key);
		le(el, e[i].bucket ? 1 : 0, 4);
		le(el + 4, data - (size_t)(el - p), 4);
		le(el + 8, kl, 4);
		le(el + 12, e[i].vlen, 4);
		memcpy(p + data, e[i].key, kl);
		memcpy(p + data + kl, e[i].val, e[i].vlen);
		data += kl + e[i].vlen;
	}
	return data;
}

static void meta(uint8_t *p, uint64_t id, uint64_t root, uint64_t txid)
{
	uint8_t *m = p + 16;
	uint64_t h = 0xcbf29ce484222325ull;

	le(p, id, 8);
	le(p + 8, 0x04, 2);
	le(m, 0xED0CDAED, 4);
	le(m + 4, 2, 4);
	le(m + 8, PS, 4);
	le(m + 16, root, 8);
	le(m + 40, 6, 8);
	le(m + 48, txid, 8);
	for (int i = 0; i < 56; i++)
		h = (h ^ m[i]) * 0x100000001b3ull;
	le(m + 56, h, 8);
}

struct seen {
	char keys[256];
};

static int note_key(void *ctx, const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen, bool is_bucket)
{
	struct seen *s = ctx;

	(void)val;
	(void)vlen;
	snprintf(s->keys + strlen(s->keys), sizeof(s->keys) - strlen(s->keys), "%.*s%s,", (int)klen, key,
		 is_bucket ? "/" : "");
	return 0;
}

TEST(test_bolt_reads_nested_inline_and_branch_buckets_of_the_newer_meta)
{
	static uint8_t db[6 * PS];
	uint8_t inl[256], sub[16] = {0}, any[64];
	const uint8_t *v;
	size_t vlen;
	struct gb_bolt b;
	struct gb_bolt_bucket root, ctr, ns;
	struct seen s = {{0}};

	/* an inline bucket: its header (root 0), then a leaf page */
	memset(inl, 0, sizeof(inl));
	size_t inl_len = 16 + leaf(inl + 16, 0, (struct elem[]){{"a", "1", 1, false}, {"b", "22", 2, false}}, 2);
	/* containerd's way: spec as a protobuf Any whose value is JSON */
	size_t any_len = 0;
	any[any_len++] = 0x0a, any[any_len++] = 3, memcpy(any + any_len, "t/x", 3), any_len += 3;
	any[any_len++] = 0x12, any[any_len++] = 7, memcpy(any + any_len, "{\"a\":1}", 7), any_len += 7;
	le(sub, 4, 8); /* a bucket on page 4 */
	leaf(db + 4 * PS, 4, (struct elem[]){{"spec", any, any_len, false}}, 1);
	leaf(db + 3 * PS, 3, (struct elem[]){{"ctr", inl, inl_len, true}, {"ns", sub, 16, true}, {"v", "x", 1, false}},
	     3);
	/* page 5: a branch over page 3 */
	le(db + 5 * PS, 5, 8);
	le(db + 5 * PS + 8, 0x01, 2);
	le(db + 5 * PS + 10, 1, 2);
	le(db + 5 * PS + 16, 16, 4);
	le(db + 5 * PS + 20, 3, 4);
	memcpy(db + 5 * PS + 32, "ctr", 3);
	le(db + 5 * PS + 24, 3, 8);
	leaf(db + 2 * PS, 2, (struct elem[]){{"old", "1", 1, false}}, 1);
	meta(db, 0, 2, 7);	/* older */
	meta(db + PS, 1, 5, 8); /* newer: the branch */

	REQUIRE(gb_bolt_open(&b, db, sizeof(db), &root) == 0);
	CHECK_UINT_EQ(b.page_size, PS);
	gb_bolt_foreach(&b, &root, note_key, &s);
	CHECK_STR_EQ(s.keys, "ctr/,ns/,v,");
	REQUIRE(gb_bolt_sub(&b, &root, "ctr", &ctr));
	REQUIRE(gb_bolt_get(&b, &ctr, "b", &v, &vlen, NULL));
	CHECK(vlen == 2 && !memcmp(v, "22", 2));
	REQUIRE(gb_bolt_sub(&b, &root, "ns", &ns));
	REQUIRE(gb_bolt_get(&b, &ns, "spec", &v, &vlen, NULL));
	REQUIRE(gb_proto_any_value(v, vlen, &v, &vlen));
	CHECK(vlen == 7 && !memcmp(v, "{\"a\":1}", 7));
	CHECK(!gb_bolt_sub(&b, &root, "v", &ns)); /* a value, no bucket */
	CHECK(!gb_bolt_sub(&b, &root, "ctr/a", &ns));

	/* a broken checksum: the other meta */
	db[PS + 16 + 48] ^= 1;
	REQUIRE(gb_bolt_open(&b, db, sizeof(db), &root) == 0);
	memset(&s, 0, sizeof(s));
	gb_bolt_foreach(&b, &root, note_key, &s);
	CHECK_STR_EQ(s.keys, "old,");
	/* cut short, or pointing past the end: fewer entries, never a read out of bounds */
	db[PS + 16 + 48] ^= 1;
	REQUIRE(gb_bolt_open(&b, db, 4 * PS + 20, &root) == 0);
	memset(&s, 0, sizeof(s));
	gb_bolt_foreach(&b, &root, note_key, &s);
	CHECK_STR_EQ(s.keys, "");
	CHECK(gb_bolt_open(&b, db, 60, &root) != 0);
}

TEST(test_go_binary_time_as_containerd_stores_it)
{
	/* 1970-01-01T00:00:01.5Z: version 1, 62135596801 s since year 1, 500000000 ns, UTC */
	const uint8_t t[15] = {1, 0, 0, 0, 0x0e, 0x77, 0x91, 0xf7, 0x01, 0x1d, 0xcd, 0x65, 0x00, 0xff, 0xff};

	CHECK_UINT_EQ(gb_go_time_binary(t, sizeof(t)), 1500000000ull);
	CHECK_UINT_EQ(gb_go_time_binary(t, 10), 0);
}
