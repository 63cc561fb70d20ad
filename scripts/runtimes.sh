#!/usr/bin/env bash
# Start and stop REAL container runtimes for the integration tests, on a machine without systemd:
# containerd (with its CRI plugin), dockerd on top of that containerd, and podman (daemonless).
#
#   scripts/runtimes.sh up     install what is missing, start the daemons, load the test images (idempotent)
#   scripts/runtimes.sh down   remove every container/pod, stop the daemons, leave no runtime process behind
#   scripts/runtimes.sh status one line per daemon
#
# Everything generated (configs, logs, pid files, the env file for the tests) lives in $STATE
# (/run/gadgetbox-test). The test images are built once into build/test-images/ and reused.
# Facts this relies on were measured on the project's machines (Debian 12, no systemd): crun refuses a hybrid
# cgroup layout unless each cgroup2 controller also has its v1 mount; CRI pod sandboxes need
# restrict_oom_score_adj (root lacks CAP_SYS_RESOURCE) and a local sandbox image; podman needs cgroupfs, a file
# events logger and ulimits within the hard limits; no NAT and no forwarding (tests stay on this machine).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STATE=${GADGETBOX_TEST_STATE:-/run/gadgetbox-test}
LOCK=/run/gadgetbox-test.lock          # serialises up/down of parallel test sessions
IMAGES=$ROOT/build/test-images
TIMEOUT=${GADGETBOX_RUNTIMES_TIMEOUT:-60}   # seconds for anything to come up / go away

CTRD_SOCK=/run/containerd/containerd.sock
DOCKER_SOCK=/var/run/docker.sock
CNI_BRIDGE=gbtest-cni0               # the CRI pod bridge: no IP on it, no gateway, no masquerade
BUSYBOX_REF=gadgetbox-test/busybox:1 # docker.io/ is implied, as for any short name
PAUSE_REF=gadgetbox-test/pause:1
CONTAINERD_STARTED=0                 # set by start_containerd when this `up` started it
PYTHON=/usr/bin/python3              # Debian's, where python3-grpcio is installed (a pyenv python may be first)

PACKAGES=(runc crun containerd docker.io podman conmon catatonit containernetworking-plugins busybox-static
	python3-grpcio python3-grpc-tools python3-pytest util-linux iproute2)

say() { echo "runtimes: $*"; }
die() {
	echo "runtimes: FAILED: $*" >&2
	exit 1
}

# ---------------------------------------------------------------------------------------------------------
# small helpers

# wait_until SECONDS WHAT PID CMD...: run CMD (quietly) until it succeeds, or fail with one clear line,
# at once if process PID (the daemon being waited for) has died; on a timeout PID is stopped first.
wait_until() {
	local secs=$1 what=$2 pid=$3
	shift 3
	local deadline=$((SECONDS + secs))
	until "$@" >/dev/null 2>&1; do
		alive "$pid" || die "$what exited while starting"
		if [ "$SECONDS" -ge "$deadline" ]; then
			stop_pid "$pid" "$what" >/dev/null # do not leave a half-started daemon behind
			die "$what did not come up within ${secs}s"
		fi
		sleep 0.1
	done
}

# alive PID: the process exists and is not a zombie. Our daemons are reparented to PID 1 once the `up` that
# started them exits, and PID 1 here reaps late: a zombie must count as stopped.
alive() {
	local stat
	[ -n "${1:-}" ] && stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[ "${stat%% *}" != Z ]
}

# ctr_ok: containerd answers. (A bare `ctr version` waits 10 s to dial a socket that is not there.)
ctr_ok() { [ -S "$CTRD_SOCK" ] && ctr --connect-timeout 2s version; }

# pids_by_argv NAME [NEEDLE]: PIDs whose argv[0] has basename NAME (exactly) and whose command line contains
# NEEDLE (a fixed string). We scan /proc instead of pgrep -f so that nothing is matched by a pattern; mapfile
# reads each cmdline without forking (a scan of a few hundred processes stays in the milliseconds).
pids_by_argv() {
	local name=$1 needle=${2:-} d argv
	for d in /proc/[0-9]*; do
		[ "${d#/proc/}" = "$$" ] && continue
		mapfile -d '' -t argv 2>/dev/null <"$d/cmdline" || continue
		[ ${#argv[@]} -gt 0 ] || continue # kernel threads, zombies
		[ "${argv[0]##*/}" = "$name" ] || continue
		[ -z "$needle" ] || [[ "${argv[*]}" == *"$needle"* ]] || continue
		echo "${d#/proc/}"
	done
}

# stop_pid PID WHAT: SIGTERM, wait up to $TIMEOUT/2 s, then SIGKILL.
stop_pid() {
	local pid=$1 what=$2 i
	alive "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < TIMEOUT * 5; i++)); do
		alive "$pid" || return 0
		sleep 0.1
	done
	say "$what (pid $pid) ignored SIGTERM for $((TIMEOUT / 2))s: SIGKILL"
	kill -KILL "$pid" 2>/dev/null || true
	sleep 0.2
}

# daemon_pid NAME CONFIG: the PID of our daemon: the one recorded in $STATE/NAME.pid if it is still that
# daemon, else one found by its command line (which names our config file: so never someone else's daemon).
daemon_pid() {
	local name=$1 config=$2 pid=""
	[ -r "$STATE/$name.pid" ] && pid=$(cat "$STATE/$name.pid")
	if alive "$pid" && tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF -- "$config"; then
		echo "$pid"
		return 0
	fi
	pid=$(pids_by_argv "$name" "$config" | head -n1)
	[ -n "$pid" ] && echo "$pid"
}

# ---------------------------------------------------------------------------------------------------------
# up: packages

install_packages() {
	local missing=() p
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	say "installing ${missing[*]}"
	# Package scripts would start daemons (dockerd, containerd) from init scripts: forbid that.
	local rc=0
	[ -x /usr/sbin/policy-rc.d ] && { /usr/sbin/policy-rc.d >/dev/null 2>&1 || rc=$?; }
	if [ "$rc" != 101 ]; then
		printf '#!/bin/sh\n# set by gadgetbox scripts/runtimes.sh: never start services from package scripts\nexit 101\n' \
			>/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq || die "apt-get update failed"
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$STATE/apt.log" 2>&1 ||
		die "apt-get install failed (see $STATE/apt.log)"
}

# ---------------------------------------------------------------------------------------------------------
# up: cgroups

# crun refuses the hybrid layout while cgroup2 owns a controller that has no v1 hierarchy (hugetlb here):
# give each such controller its own v1 hierarchy. Also remount a controller whose v1 hierarchy still exists
# (non-zero hierarchy id in /proc/cgroups) but is mounted nowhere, e.g. after someone unmounted it: the kernel
# keeps such a hierarchy alive, so the controller is then neither in cgroup2 nor visible anywhere.
# This is never undone by `down` (see unmount note there).
cgroup_workaround() {
	local c
	[ -r /sys/fs/cgroup/unified/cgroup.controllers ] || return 0   # pure v1 or pure v2: nothing to do
	for c in $( (
		cat /sys/fs/cgroup/unified/cgroup.controllers
		awk '!/^#/ && $2 != 0 {print $1}' /proc/cgroups
	) | tr ' ' '\n' | sort -u); do
		grep -qE "^[^ ]+ [^ ]+ cgroup [^ ]*\<$c\>" /proc/self/mounts && continue   # mounted somewhere (cpu,cpuacct...)
		mountpoint -q "/sys/fs/cgroup/$c" && continue
		mkdir -p "/sys/fs/cgroup/$c"
		mount -t cgroup -o "$c" cgroup "/sys/fs/cgroup/$c" || die "cannot mount the $c cgroup v1 hierarchy"
		say "mounted cgroup v1 hierarchy $c (for crun)"
	done
}

# ---------------------------------------------------------------------------------------------------------
# up: images

# A tiny static pause: PID 1 of the CRI sandbox and of long-running test containers. Unlike busybox sleep
# as PID 1 (which ignores SIGTERM) it exits on SIGTERM/SIGINT, and it reaps children.
write_pause_c() {
	cat >"$1" <<'EOF'
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_term(int sig) { (void)sig; _exit(0); }
static void on_chld(int sig) { (void)sig; while (waitpid(-1, NULL, WNOHANG) > 0) {} }

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_chld;
	sa.sa_flags = SA_NOCLDSTOP | SA_RESTART;
	sigaction(SIGCHLD, &sa, NULL);
	for (;;)
		pause();
}
EOF
}

# Build build/test-images/{busybox,pause}.tar: one shared layer (busybox-static with a symlink per applet,
# /pause, a minimal /etc) and two image configs. Each archive is an OCI layout (oci-layout, index.json,
# blobs/) that is also a docker-save archive (manifest.json): docker, podman and ctr all load it.
# The tars are reproducible (fixed mtimes and owners), so image IDs only change when the inputs do
# (scripts/ociarchive.py, which `make image` uses too).
build_images() {
	local key
	mkdir -p "$IMAGES"
	write_pause_c "$IMAGES/pause.c.new"
	key=$( (
		echo "image-format 1"
		sha256sum /bin/busybox "$IMAGES/pause.c.new" | cut -d' ' -f1
		sha256sum "$ROOT/scripts/ociarchive.py" | cut -d' ' -f1
	) | sha256sum | cut -d' ' -f1)
	if [ -s "$IMAGES/busybox.tar" ] && [ -s "$IMAGES/pause.tar" ] && [ "$(cat "$IMAGES/key" 2>/dev/null)" = "$key" ]; then
		rm -f "$IMAGES/pause.c.new"
		return 0
	fi
	say "building test images into build/test-images/"
	mv "$IMAGES/pause.c.new" "$IMAGES/pause.c"
	gcc -static -O2 -s -o "$IMAGES/pause" "$IMAGES/pause.c" || die "cannot compile the pause binary"
	"$PYTHON" "$ROOT/scripts/ociarchive.py" test-images "$IMAGES" /bin/busybox "$IMAGES/pause" "$BUSYBOX_REF" "$PAUSE_REF" ||
		die "image build failed"
	echo "$key" >"$IMAGES/key"
}

# Load both images into every engine that lacks them (or has an older build under the same name).
load_images() {
	local img ref want have ns
	for img in busybox pause; do
		if [ "$img" = busybox ]; then ref=$BUSYBOX_REF; else ref=$PAUSE_REF; fi
		want=$(cat "$IMAGES/$img.id")
		have=$(docker image inspect -f '{{.Id}}' "$ref" 2>/dev/null || true)
		if [ "$have" != "$want" ]; then
			docker load -q -i "$IMAGES/$img.tar" >/dev/null || die "docker load $img failed"
			say "loaded $ref into docker"
		fi
		have=$(podman image inspect --format '{{.Id}}' "$ref" 2>/dev/null || true)
		if [ "sha256:$have" != "$want" ]; then
			podman load -q -i "$IMAGES/$img.tar" >/dev/null || die "podman load $img failed"
			say "loaded $ref into podman"
		fi
		# CRI only sees namespace k8s.io; `ctr run` uses namespace default
		for ns in k8s.io default; do
			have=$(ctr_image_config "$ns" "docker.io/$ref")
			if [ "$have" != "$want" ]; then
				ctr -n "$ns" images import "$IMAGES/$img.tar" >/dev/null || die "ctr -n $ns images import $img failed"
				say "loaded $ref into containerd namespace $ns"
			fi
		done
	done
}

# ctr_image_config NS REF: the config digest (= image ID) of REF in containerd namespace NS, or nothing.
# (ctr 1.6 has no `image inspect`; the manifest is read from the content store.)
ctr_image_config() {
	local ns=$1 ref=$2 digest
	digest=$(ctr -n "$ns" images ls "name==$ref" 2>/dev/null | awk -v r="$ref" '$1 == r {print $3}')
	[ -n "$digest" ] || return 0
	ctr -n "$ns" content get "$digest" 2>/dev/null | "$PYTHON" -c \
		'import json,sys; m=json.load(sys.stdin); print(m.get("config",{}).get("digest",""))' 2>/dev/null || true
}

# ---------------------------------------------------------------------------------------------------------
# up: configs

write_configs() {
	local nofile nproc
	mkdir -p "$STATE/cni/net.d" "$STATE/cni/ipam"

	# containerd with the CRI plugin. Default root/state paths, so that files land where they do on real nodes.
	cat >"$STATE/containerd.toml" <<EOF
# generated by scripts/runtimes.sh
version = 2
root = "/var/lib/containerd"
state = "/run/containerd"

[grpc]
  address = "$CTRD_SOCK"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "docker.io/$PAUSE_REF"   # local only: there is no registry
  restrict_oom_score_adj = true            # root lacks CAP_SYS_RESOURCE here
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
    # RunPodSandbox(runtime_handler="crun")
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.crun]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.crun.options]
        BinaryName = "/usr/bin/crun"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$STATE/cni/net.d"
    max_conf_num = 1
EOF

	# Pods that are not host-network need CNI. A bridge with no IP on the host side, no gateway, no
	# masquerade and no routes: pods get an address and can reach each other, nothing leaves the machine and
	# ip_forward is never touched (the bridge plugin only enables it for isGateway).
	cat >"$STATE/cni/net.d/10-gadgetbox-test.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "gadgetbox-test",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$CNI_BRIDGE",
      "isGateway": false,
      "isDefaultGateway": false,
      "ipMasq": false,
      "hairpinMode": false,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "10.203.77.0/24"}]],
        "dataDir": "$STATE/cni/ipam"
      }
    }
  ]
}
EOF

	# dockerd: `docker run --runtime crun` works through this entry
	cat >"$STATE/daemon.json" <<EOF
{
  "runtimes": { "crun": { "path": "/usr/bin/crun" } }
}
EOF

	# podman: no systemd, so cgroupfs and a file events log; ulimits no higher than our hard limits
	# (root has no CAP_SYS_RESOURCE here, podman's default nproc/nofile would exceed them).
	nofile=$(ulimit -Hn)
	[ "$nofile" = unlimited ] && nofile=1048576
	nproc=$(ulimit -Hu)
	if [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ]; then nproc=32768; fi
	cat >"$STATE/containers.conf" <<EOF
# generated by scripts/runtimes.sh; used through CONTAINERS_CONF (see $STATE/env)
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
log_driver = "k8s-file"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF

	# What the tests need in their environment (shell syntax; tests/integration/runtimes.py parses it)
	cat >"$STATE/env.tmp" <<EOF
export CONTAINERS_CONF=$STATE/containers.conf
export CONTAINERD_ADDRESS=$CTRD_SOCK
export DOCKER_HOST=unix://$DOCKER_SOCK
export GADGETBOX_TEST_BUSYBOX=$BUSYBOX_REF
export GADGETBOX_TEST_PAUSE=$PAUSE_REF
export GADGETBOX_TEST_STATE=$STATE
EOF
}

# ---------------------------------------------------------------------------------------------------------
# up: daemons

start_containerd() {
	local pid
	pid=$(daemon_pid containerd "$STATE/containerd.toml" || true)
	if [ -n "$pid" ]; then
		say "containerd already running (pid $pid)"
	elif ctr_ok >/dev/null 2>&1; then
		die "a containerd not started by this script answers on $CTRD_SOCK; stop it first"
	else
		# setsid: not in the caller's process group (a ^C to the tests must not kill it); 9>&-: do not
		# inherit the lock; all output to the log so the caller's pipes close.
		setsid containerd --config "$STATE/containerd.toml" </dev/null >>"$STATE/containerd.log" 2>&1 9>&- &
		pid=$!
		CONTAINERD_STARTED=1
		echo "$pid" >"$STATE/containerd.pid"
		say "started containerd (pid $pid, log $STATE/containerd.log)"
	fi
	wait_until "$TIMEOUT" "containerd (socket $CTRD_SOCK; log $STATE/containerd.log)" "$pid" ctr_ok
	# the CRI plugin fails on bad config without stopping containerd: check it explicitly
	ctr plugins ls 2>/dev/null | awk '$2 == "cri" && $NF == "ok" {f=1} END {exit !f}' ||
		die "containerd's CRI plugin is not ok (ctr plugins ls; log $STATE/containerd.log)"
}

start_dockerd() {
	local pid
	pid=$(daemon_pid dockerd "$STATE/daemon.json" || true)
	if [ -n "$pid" ]; then
		say "dockerd already running (pid $pid)"
	elif docker version >/dev/null 2>&1; then
		die "a dockerd not started by this script answers on $DOCKER_SOCK; stop it first"
	else
		setsid dockerd --config-file "$STATE/daemon.json" --containerd="$CTRD_SOCK" \
			--iptables=false --ip-forward=false --ip-masq=false --bridge=none --storage-driver=overlay2 \
			</dev/null >>"$STATE/dockerd.log" 2>&1 9>&- &
		pid=$!
		echo "$pid" >"$STATE/dockerd.pid"
		say "started dockerd (pid $pid, log $STATE/dockerd.log)"
	fi
	wait_until "$TIMEOUT" "dockerd (log $STATE/dockerd.log)" "$pid" docker version
}

check_podman() {
	podman info >"$STATE/podman-info.log" 2>&1 || die "podman info failed (see $STATE/podman-info.log)"
}

cmd_up() {
	local t0=$SECONDS
	install_packages
	cgroup_workaround
	build_images
	write_configs
	export CONTAINERS_CONF=$STATE/containers.conf CONTAINERD_ADDRESS=$CTRD_SOCK
	start_containerd
	start_dockerd
	if [ "$CONTAINERD_STARTED" = 1 ]; then
		# A fresh containerd means the last session ended without `down` (or crashed): whatever docker and
		# containerd still list is dead and would only clash with the names tests use.
		remove_docker_containers
		remove_containerd_containers
	fi
	check_podman
	load_images
	mv "$STATE/env.tmp" "$STATE/env"   # last: its presence means "up succeeded"
	say "up in $((SECONDS - t0))s; environment for tests: $STATE/env"
}

# ---------------------------------------------------------------------------------------------------------
# down

# The removal functions below are bounded by $TIMEOUT: with containerd dead, `docker rm -f` waits ~15 s per
# container for an exit event that never comes (the processes are then killed by PID in cmd_down).
remove_docker_containers() {
	local ids
	docker version >/dev/null 2>&1 || return 0
	ids=$(docker ps -aq 2>/dev/null || true)
	[ -n "$ids" ] || return 0
	say "docker: removing $(echo "$ids" | wc -w) container(s)"
	# shellcheck disable=SC2086
	timeout "$TIMEOUT" docker rm -f $ids >/dev/null || true
}

remove_podman_containers() {
	local ids
	command -v podman >/dev/null || return 0
	ids=$(podman ps -aq 2>/dev/null || true)
	if [ -n "$ids" ]; then
		say "podman: removing $(echo "$ids" | wc -w) container(s)"
		timeout "$TIMEOUT" podman rm -f -a -t 0 >/dev/null 2>&1 || true
	fi
	timeout "$TIMEOUT" podman pod rm -f -a -t 0 >/dev/null 2>&1 || true
}

remove_containerd_containers() {
	local ns ids id
	ctr_ok >/dev/null 2>&1 || return 0
	# CRI before raw ctr, through its own API, so that its sandboxes (netns, shm mounts, CNI addresses) are released
	timeout "$TIMEOUT" "$PYTHON" "$ROOT/tests/integration/cri.py" remove-all || say "CRI cleanup failed; continuing with ctr"
	for ns in k8s.io default; do
		for id in $(ctr -n "$ns" tasks ls -q 2>/dev/null); do
			ctr -n "$ns" tasks kill -a -s SIGKILL "$id" >/dev/null 2>&1 || true
			ctr -n "$ns" tasks rm -f "$id" >/dev/null 2>&1 || true
		done
		ids=$(ctr -n "$ns" containers ls -q 2>/dev/null || true)
		if [ -n "$ids" ]; then
			say "containerd/$ns: removing $(echo "$ids" | wc -w) container(s)"
			# shellcheck disable=SC2086
			ctr -n "$ns" containers rm $ids >/dev/null 2>&1 || true
		fi
	done
}

# Container processes in a pid namespace other than ours whose cgroup one of the engines made: only left
# if a shim was killed under them. Printed, then killed by PID.
kill_orphan_container_processes() {
	local d pid
	for d in /proc/[0-9]*; do
		pid=${d#/proc/}
		[ "$d/ns/pid" -ef /proc/$$/ns/pid ] && continue # same pid namespace as ours: not in a container
		[ -r "$d/cgroup" ] || continue
		grep -qE ':/(docker|libpod_parent|kubepods|default|k8s\.io|moby)(/|$)' "$d/cgroup" 2>/dev/null || continue
		say "killing leftover container process $pid ($(tr '\0' ' ' 2>/dev/null <"$d/cmdline" | cut -c1-60))"
		kill -KILL "$pid" 2>/dev/null || true
	done
}

# The runtime helper processes that must not outlive `down`. Shims are matched on our containerd's
# socket; conmon, runc and crun only ever run for the engines started here.
leftover_pids() {
	{
		pids_by_argv containerd-shim-runc-v2 "$CTRD_SOCK"
		pids_by_argv containerd-shim "$CTRD_SOCK"
		pids_by_argv conmon
		pids_by_argv runc
		pids_by_argv crun
	} | sort -un
}

# Mounts the engines make and normally remove themselves (container rootfs overlays, CRI shm and netns,
# docker's netns files, dockerd's bind mount of /var/lib/docker onto itself); they stay behind only when a
# daemon or shim was killed. Called once no runtime process is left, so unmounting them is safe.
unmount_runtime_leftovers() {
	local mp
	# mountinfo field 5 is the mount point (octal escapes for spaces do not occur under these paths);
	# sort -r: deepest first
	awk '{print $5}' /proc/self/mountinfo |
		{ grep -E '^/run/containerd/|^/var/lib/docker/|^/run/docker/|^/var/lib/containers/storage/|^/run/containers/storage/|^/run/netns/cni-' || true; } |
		sort -r | while read -r mp; do
		if umount "$mp" 2>/dev/null; then say "unmounted leftover $mp"; fi
	done
	# the now unmounted netns files of CRI pods (containerd names them cni-<uuid>)
	for mp in /run/netns/cni-*; do
		if [ -e "$mp" ] && ! mountpoint -q "$mp"; then rm -f "$mp"; fi
	done
	# dockerd bind-mounts its root onto itself at start (root "/var/lib/docker" in field 4, not "/")
	if awk '$4 == "/var/lib/docker" && $5 == "/var/lib/docker" {f=1} END {exit !f}' /proc/self/mountinfo; then
		umount /var/lib/docker && say "unmounted leftover /var/lib/docker bind mount"
	fi
	return 0
}

cmd_down() {
	local pid left t0=$SECONDS
	mkdir -p "$STATE"
	rm -f "$STATE/env" # from now on the runtimes are not "up"
	export CONTAINERS_CONF=$STATE/containers.conf CONTAINERD_ADDRESS=$CTRD_SOCK
	[ -r "$CONTAINERS_CONF" ] || unset CONTAINERS_CONF
	remove_docker_containers
	remove_podman_containers
	remove_containerd_containers

	# dockerd first: it is a client of containerd
	pid=$(daemon_pid dockerd "$STATE/daemon.json" || true)
	if [ -n "$pid" ]; then
		say "stopping dockerd (pid $pid)"
		stop_pid "$pid" dockerd
	fi
	pid=$(daemon_pid containerd "$STATE/containerd.toml" || true)
	if [ -n "$pid" ]; then
		say "stopping containerd (pid $pid)"
		stop_pid "$pid" containerd
	fi
	rm -f "$STATE/dockerd.pid" "$STATE/containerd.pid"

	left=$(leftover_pids)
	if [ -n "$left" ]; then
		for pid in $left; do
			say "killing leftover $(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | cut -c1-80) (pid $pid)"
			kill -KILL "$pid" 2>/dev/null || true
		done
	fi
	kill_orphan_container_processes
	sleep 0.2

	unmount_runtime_leftovers

	# the CRI pod bridge (created by the CNI bridge plugin on the first non-host-network pod)
	if ip link show "$CNI_BRIDGE" >/dev/null 2>&1; then
		ip link del "$CNI_BRIDGE" && say "deleted bridge $CNI_BRIDGE"
	fi
	rm -rf "$STATE/cni/ipam"
	# The cgroup v1 hierarchies `up` mounted for crun stay mounted: unmounting does not give the controller
	# back to cgroup2 (the kernel keeps the hierarchy alive, invisibly), so it would only hide it.

	left=$( (leftover_pids; pids_by_argv containerd "$STATE/containerd.toml"; pids_by_argv dockerd "$STATE/daemon.json") | sort -un)
	[ -z "$left" ] || die "processes still running after down: ${left//$'\n'/ }"
	say "down in $((SECONDS - t0))s"
}

cmd_status() {
	local pid
	pid=$(daemon_pid containerd "$STATE/containerd.toml" || true)
	echo "containerd: ${pid:-not running}"
	pid=$(daemon_pid dockerd "$STATE/daemon.json" || true)
	echo "dockerd: ${pid:-not running}"
	if [ -e "$STATE/env" ]; then echo "env: $STATE/env"; else echo "env: none (not up)"; fi
}

main() {
	[ "$(id -u)" = 0 ] || die "must run as root"
	case "${1:-}" in
	up | down | status) ;;
	*)
		echo "usage: $0 up|down|status" >&2
		exit 2
		;;
	esac
	mkdir -p "$STATE"
	# one up/down at a time (parallel test sessions); fd 9 is closed for the daemons we start
	exec 9>"$LOCK"
	flock -w $((TIMEOUT * 5)) 9 || die "another runtimes.sh holds $LOCK"
	"cmd_$1"
}

main "$@"
