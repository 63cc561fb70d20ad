"""A small Kubernetes CRI (runtime.v1) client, enough to play kubelet for tests: pods and containers in containerd.

There is no crictl in Debian and no package ships the CRI api.proto, so cri/api.proto next to this file holds the
subset we use (names and field numbers of the public runtime.v1 API). The Python stubs are generated from it with
Debian's python3-grpc-tools on first use, into build/cri-py/<hash of the proto>/ (not committed).

    from cri import CRI
    c = CRI()                                  # /run/containerd/containerd.sock
    pod = c.run_pod("web", "default")          # host-network pod sandbox (pause container), returns its id
    cid = c.create_container(pod, None, "app", "gadgetbox-test/busybox:1", ["sh", "-c"], ["echo hi"])
    c.start(cid); c.wait(cid); c.logs(cid)     # -> "hi\n"
    c.remove_pod(pod)                          # stops and removes the pod and its containers

Command line (used by scripts/runtimes.sh down):  python3 cri.py version|ps|remove-all
Use Debian's /usr/bin/python3 (python3-grpcio is installed there).
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

import grpc

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PROTO = os.path.join(HERE, "cri", "api.proto")
SOCKET = "/run/containerd/containerd.sock"
STATE_DIR = os.environ.get("GADGETBOX_TEST_STATE", "/run/gadgetbox-test")
LOG_ROOT = os.path.join(STATE_DIR, "cri-logs")  # like kubelet's /var/log/pods, but ours to delete


def _stubs():
    """Import api_pb2/api_pb2_grpc, generating them first if this proto was never compiled here."""
    with open(PROTO, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:16]
    out = os.path.join(ROOT, "build", "cri-py", digest)
    if not os.path.exists(os.path.join(out, "api_pb2_grpc.py")):
        os.makedirs(os.path.dirname(out), exist_ok=True)
        tmp = tempfile.mkdtemp(prefix="gen-", dir=os.path.dirname(out))
        r = subprocess.run([sys.executable, "-m", "grpc_tools.protoc", "-I" + os.path.dirname(PROTO),
                            "--python_out=" + tmp, "--grpc_python_out=" + tmp, os.path.basename(PROTO)],
                           capture_output=True, text=True)
        if r.returncode != 0:
            shutil.rmtree(tmp, ignore_errors=True)
            raise RuntimeError("grpc_tools.protoc failed (is python3-grpc-tools installed?): " + r.stderr.strip())
        try:
            os.rename(tmp, out)  # atomic: parallel sessions either win or find it done
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)
    if out not in sys.path:
        sys.path.insert(0, out)
    import api_pb2  # noqa: E402  (generated)
    import api_pb2_grpc  # noqa: E402
    return api_pb2, api_pb2_grpc


pb, pb_grpc = _stubs()

# kubelet's label and annotation keys (pkg/kubelet/types/labels.go and kuberuntime/labels.go)
POD_NAME, POD_NAMESPACE, POD_UID = "io.kubernetes.pod.name", "io.kubernetes.pod.namespace", "io.kubernetes.pod.uid"
CONTAINER_NAME = "io.kubernetes.container.name"


def _seccomp_profile(seccomp):
    if seccomp is None:  # the field unset: as before
        return None
    if seccomp == "unconfined":
        return pb.SecurityProfile(profile_type=pb.SecurityProfile.Unconfined)
    return pb.SecurityProfile(profile_type=pb.SecurityProfile.Localhost, localhost_ref=seccomp)


class CRI:
    def __init__(self, socket=SOCKET, timeout=60.0):
        self.socket = socket
        self.timeout = timeout
        self.channel = grpc.insecure_channel("unix://" + socket)
        self.rt = pb_grpc.RuntimeServiceStub(self.channel)
        self.img = pb_grpc.ImageServiceStub(self.channel)
        self._pod_configs = {}  # pod id -> PodSandboxConfig, so create_container needs no config

    def close(self):
        self.channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _call(self, rpc, request):
        return getattr(self.rt, rpc)(request, timeout=self.timeout)

    def pull_image(self, ref):
        """PullImage as a kubelet does it: the image's digest reference (from the registry its name names)."""
        return self.img.PullImage(pb.PullImageRequest(image=pb.ImageSpec(image=ref)), timeout=self.timeout).image_ref

    def remove_image(self, ref):
        self.img.RemoveImage(pb.RemoveImageRequest(image=pb.ImageSpec(image=ref)), timeout=self.timeout)

    def version(self):
        v = self._call("Version", pb.VersionRequest(version="v1"))
        return {"runtime_name": v.runtime_name, "runtime_version": v.runtime_version,
                "runtime_api_version": v.runtime_api_version}

    # ---- pods

    def pod_config(self, name, namespace="default", uid=None, host_network=True, labels=None, annotations=None,
                   cgroup_parent=None, log_directory=None, host_pid=False):
        """A PodSandboxConfig the way kubelet fills it (cgroupfs driver, BestEffort QoS)."""
        uid = uid or str(uuid.uuid4())
        lab = {POD_NAME: name, POD_NAMESPACE: namespace, POD_UID: uid}
        lab.update(labels or {})
        ann = {"kubernetes.io/config.source": "api", "kubernetes.io/config.seen": "2024-01-01T00:00:00Z"}
        ann.update(annotations or {})
        net = pb.NODE if host_network else pb.POD
        return pb.PodSandboxConfig(
            metadata=pb.PodSandboxMetadata(name=name, uid=uid, namespace=namespace, attempt=0),
            # host-network pods must not set a hostname (containerd refuses to change the node's)
            hostname="" if host_network else name,
            log_directory=log_directory or os.path.join(LOG_ROOT, f"{namespace}_{name}_{uid}"),
            labels=lab, annotations=ann,
            linux=pb.LinuxPodSandboxConfig(
                cgroup_parent=cgroup_parent or f"/kubepods/besteffort/pod{uid}",
                security_context=pb.LinuxSandboxSecurityContext(
                    namespace_options=pb.NamespaceOption(network=net, pid=pb.NODE if host_pid else pb.CONTAINER,
                                                         ipc=pb.POD))))

    def run_pod(self, name, namespace="default", uid=None, host_network=True, labels=None, annotations=None,
                runtime_handler="", cgroup_parent=None, host_pid=False):
        """Run a pod sandbox; returns its id. runtime_handler "crun" selects crun (see runtimes.sh).
        host_pid: the pod spec's hostPID (the node's pid namespace)."""
        config = self.pod_config(name, namespace, uid, host_network, labels, annotations, cgroup_parent,
                                 host_pid=host_pid)
        os.makedirs(config.log_directory, exist_ok=True)
        pod_id = self._call("RunPodSandbox", pb.RunPodSandboxRequest(config=config,
                                                                     runtime_handler=runtime_handler)).pod_sandbox_id
        self._pod_configs[pod_id] = config
        return pod_id

    def stop_pod(self, pod_id):
        self._call("StopPodSandbox", pb.StopPodSandboxRequest(pod_sandbox_id=pod_id))

    def remove_pod(self, pod_id):
        """Stop and remove the pod with all its containers, and its log directory."""
        log_dir = None
        for p in self.list_pods():
            if p.id == pod_id:
                md = p.metadata
                log_dir = os.path.join(LOG_ROOT, f"{md.namespace}_{md.name}_{md.uid}")
        try:
            self.stop_pod(pod_id)
            self._call("RemovePodSandbox", pb.RemovePodSandboxRequest(pod_sandbox_id=pod_id))
        except grpc.RpcError as e:
            if e.code() != grpc.StatusCode.NOT_FOUND:
                raise
        self._pod_configs.pop(pod_id, None)
        if log_dir:
            shutil.rmtree(log_dir, ignore_errors=True)

    def list_pods(self, labels=None):
        f = pb.PodSandboxFilter(label_selector=labels or {})
        return list(self._call("ListPodSandbox", pb.ListPodSandboxRequest(filter=f)).items)

    # ---- containers

    def create_container(self, pod_id, pod_config, name, image, command, args=(), labels=None, annotations=None,
                         env=None, log_path=None, mounts=(), seccomp=None, attempt=0, memory_limit=None,
                         caps_add=(), caps_drop=(), readonly_rootfs=False, run_as_user=None):
        """Create a container in a pod; returns its id. pod_config None: the one run_pod used (same CRI object).

        command is the entrypoint (Kubernetes `command`), args its arguments (Kubernetes `args`).
        stdout/stderr go to <pod log_directory>/<name>/0.log in the CRI log format (see logs()).
        seccomp: None (the runtime's default), "unconfined", or the path of a Localhost profile on the node.
        attempt: the kubelet's restart number (its restartCount annotation and the log file <name>/<attempt>.log).
        memory_limit: bytes (the pod spec's resources.limits.memory; swap limited to it, as the kubelet does).
        mounts: (host path, container path) or (host path, container path, read-only).
        caps_add, caps_drop, readonly_rootfs, run_as_user: the container's securityContext, as the kubelet passes it
        (capability names without CAP_, "ALL" in drop).
        """
        if pod_config is None:
            pod_config = self._pod_configs[pod_id]
        md = pod_config.metadata
        lab = {CONTAINER_NAME: name, POD_NAME: md.name, POD_NAMESPACE: md.namespace, POD_UID: md.uid}
        lab.update(labels or {})
        ann = {"io.kubernetes.container.hash": hashlib.sha256(name.encode()).hexdigest()[:8],
               "io.kubernetes.container.restartCount": str(attempt),
               "io.kubernetes.container.terminationMessagePath": "/dev/termination-log",
               "io.kubernetes.container.terminationMessagePolicy": "File",
               "io.kubernetes.pod.terminationGracePeriod": "30"}
        ann.update(annotations or {})
        ns = pod_config.linux.security_context.namespace_options
        config = pb.ContainerConfig(
            metadata=pb.ContainerMetadata(name=name, attempt=attempt),
            image=pb.ImageSpec(image=image),
            command=list(command), args=list(args),
            envs=[pb.KeyValue(key=k, value=v) for k, v in (env or {}).items()],
            mounts=[pb.Mount(host_path=m[0], container_path=m[1], readonly=len(m) > 2 and m[2]) for m in mounts],
            labels=lab, annotations=ann,
            log_path=log_path or os.path.join(name, f"{attempt}.log"),
            linux=pb.LinuxContainerConfig(resources=pb.LinuxContainerResources(
                memory_limit_in_bytes=memory_limit or 0, memory_swap_limit_in_bytes=memory_limit or 0),
                security_context=pb.LinuxContainerSecurityContext(
                capabilities=pb.Capability(add_capabilities=list(caps_add), drop_capabilities=list(caps_drop)),
                readonly_rootfs=readonly_rootfs,
                run_as_user=None if run_as_user is None else pb.Int64Value(value=run_as_user),
                namespace_options=pb.NamespaceOption(network=ns.network, pid=ns.pid, ipc=ns.ipc),
                seccomp=_seccomp_profile(seccomp))))
        if pod_config.log_directory:
            os.makedirs(os.path.join(pod_config.log_directory, os.path.dirname(config.log_path)), exist_ok=True)
        req = pb.CreateContainerRequest(pod_sandbox_id=pod_id, config=config, sandbox_config=pod_config)
        return self._call("CreateContainer", req).container_id

    def start(self, container_id):
        self._call("StartContainer", pb.StartContainerRequest(container_id=container_id))

    def stop(self, container_id, timeout=0):
        """timeout 0: SIGKILL at once (as in the CRI API)."""
        self._call("StopContainer", pb.StopContainerRequest(container_id=container_id, timeout=timeout))

    def remove(self, container_id):
        try:
            self._call("RemoveContainer", pb.RemoveContainerRequest(container_id=container_id))
        except grpc.RpcError as e:
            if e.code() != grpc.StatusCode.NOT_FOUND:
                raise

    start_container, stop_container, remove_container = start, stop, remove

    def list_containers(self, pod_id="", labels=None):
        f = pb.ContainerFilter(pod_sandbox_id=pod_id, label_selector=labels or {})
        return list(self._call("ListContainers", pb.ListContainersRequest(filter=f)).containers)

    def status(self, container_id, verbose=False):
        """(ContainerStatus message, info dict); info (verbose only) has e.g. "pid" and the OCI "runtimeSpec"."""
        r = self._call("ContainerStatus", pb.ContainerStatusRequest(container_id=container_id, verbose=verbose))
        info = json.loads(r.info["info"]) if "info" in r.info else {}
        return r.status, info

    def container_status(self, container_id):
        return self.status(container_id)[0]

    def pid(self, container_id):
        """Host PID of the container's first process (0 once it has exited)."""
        return int(self.status(container_id, verbose=True)[1].get("pid", 0))

    def wait(self, container_id, timeout=30.0):
        """Wait for the container to exit; returns its exit code."""
        deadline = time.time() + timeout
        while True:
            st = self.container_status(container_id)
            if st.state == pb.CONTAINER_EXITED:
                return st.exit_code
            if time.time() > deadline:
                raise TimeoutError(f"CRI container {container_id[:12]} still {pb.ContainerState.Name(st.state)}"
                                   f" after {timeout}s")
            time.sleep(0.05)

    def logs(self, container_id, stream=None):
        """The container's output from its CRI log file ("<time> <stdout|stderr> <F|P> <text>" per line)."""
        path = self.container_status(container_id).log_path
        if not path or not os.path.exists(path):
            return ""
        out = []
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                parts = line.rstrip("\n").split(" ", 3)
                if len(parts) < 3 or (stream and parts[1] != stream):
                    continue
                out.append((parts[3] if len(parts) > 3 else "") + ("\n" if parts[2] == "F" else ""))
        return "".join(out)

    def remove_all(self):
        """Remove every CRI container and pod (namespace k8s.io of this containerd). Returns (containers, pods)."""
        cs = self.list_containers()
        for c in cs:
            try:
                self.stop(c.id, 0)
            except grpc.RpcError:
                pass
            self.remove(c.id)
        pods = self.list_pods()
        for p in pods:
            self.remove_pod(p.id)
        return len(cs), len(pods)


def main(argv):
    cmd = argv[1] if len(argv) > 1 else "ps"
    with CRI() as c:
        if cmd == "version":
            print(c.version())
        elif cmd == "ps":
            for p in c.list_pods():
                print("pod", p.id[:13], p.metadata.namespace + "/" + p.metadata.name, pb.PodSandboxState.Name(p.state))
            for k in c.list_containers():
                print("container", k.id[:13], "pod", k.pod_sandbox_id[:13], k.metadata.name,
                      pb.ContainerState.Name(k.state))
        elif cmd == "remove-all":
            n_c, n_p = c.remove_all()
            if n_c or n_p:
                print(f"runtimes: CRI: removed {n_c} container(s) and {n_p} pod(s)")
        else:
            print("usage: cri.py version|ps|remove-all", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
