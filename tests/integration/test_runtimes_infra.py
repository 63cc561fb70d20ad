"""Smoke tests of the test infrastructure itself (scripts/runtimes.sh, runtimes.py, cri.py): every runtime really
runs a container from the local busybox image, reports its output, exit status and PID, puts it in the cgroup
and state directory the gadgetbox collectors expect, and cleans up. The CRI pod carries the Kubernetes labels and
annotations the way kubelet sets them."""
import json
import os

import pytest

from conftest import unique
from runtimes import (BUSYBOX, BUSYBOX_FQ, RUNTIMES, ROOT, Containers, cri, cri_pod, run,
                      container_runtimes, containers)  # noqa: F401,F811 (pytest fixtures)

# where each runtime keeps the container's OCI state (README.md, "Where container metadata comes from"); docker keeps crun's state under
# runtime-runc too, so the file in it tells which runtime ran the container
STATE_FILE = {
    "docker": "/run/docker/runtime-runc/moby/{id}/state.json",
    "docker-crun": "/run/docker/runtime-runc/moby/{id}/status",
    "podman": "/run/crun/{id}/status",
    "ctr": "/run/containerd/runc/default/{id}/state.json",
    "cri": "/run/containerd/runc/k8s.io/{id}/state.json",
}


def cgroup_path(runtime, cid):
    if runtime.startswith("docker"):
        return f"/docker/{cid}"
    if runtime == "podman":
        return f"/libpod_parent/libpod-{cid}"
    if runtime == "ctr":
        return f"/default/{cid}"
    return f"/{cid}"  # CRI: <cgroup_parent>/<id>


@pytest.fixture(scope="module", autouse=True)
def ip_forward_untouched(container_runtimes):
    """Nothing here may turn on forwarding (no NAT, no gateway: test traffic stays on this machine), checked."""
    with open("/proc/sys/net/ipv4/ip_forward") as f:
        before = f.read()
    yield
    with open("/proc/sys/net/ipv4/ip_forward") as f:
        assert f.read() == before


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_runs_echo_and_reports_output_and_exit_status(containers, runtime):
    cid = containers.start(runtime, unique("gbt-echo"), ["sh", "-c", f"echo hello-{runtime}; exit 3"])
    assert containers.wait(runtime, cid) == 3
    assert containers.logs(runtime, cid) == f"hello-{runtime}\n"


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_long_running_container_pid_cgroup_state_and_removal(containers, runtime):
    cid = containers.start(runtime, unique("gbt-pause"), ["/pause"])
    pid = containers.pid(runtime, cid)
    assert pid > 0
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        assert f.read() == b"/pause\0"
    with open(f"/proc/{pid}/cgroup") as f:
        cg = f.read()
    assert cgroup_path(runtime, cid) + "\n" in cg, cg
    assert os.path.exists(STATE_FILE[runtime].format(id=cid))
    # own pid namespace: /pause is PID 1 in there
    with open(f"/proc/{pid}/status") as f:
        nspid = [line.split()[1:] for line in f if line.startswith("NSpid:")][0]
    assert nspid[-1] == "1"

    containers.remove(runtime, cid)
    assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/cmdline", "rb").read() != b"/pause\0"
    assert not os.path.exists(STATE_FILE[runtime].format(id=cid))


def test_images_are_the_local_build(container_runtimes):
    with open(os.path.join(ROOT, "build", "test-images", "busybox.id")) as f:
        want = f.read().strip()
    assert run("docker", "image", "inspect", "-f", "{{.Id}}", BUSYBOX).stdout.strip() == want
    assert "sha256:" + run("podman", "image", "inspect", "--format", "{{.Id}}", BUSYBOX).stdout.strip() == want
    for ns in ("default", "k8s.io"):
        assert BUSYBOX_FQ in run("ctr", "-n", ns, "images", "ls", "-q").stdout.split()


def test_cri_pod_and_container_carry_kubernetes_metadata(containers):
    pod_name, ns = unique("gbt-pod"), "gbt-ns"
    cid = containers.start("cri", "app", ["/pause"], pod_name=pod_name, namespace=ns,
                           labels={"app.kubernetes.io/name": "smoke"}, pod_labels={"tier": "test"},
                           annotations={"example.com/note": "x"})
    pod_id = cri_pod(cid)
    c = cri()

    pods = {p.id: p for p in c.list_pods()}
    assert pod_id in pods
    p = pods[pod_id]
    assert (p.metadata.name, p.metadata.namespace) == (pod_name, ns)
    assert p.labels["io.kubernetes.pod.name"] == pod_name and p.labels["io.kubernetes.pod.namespace"] == ns
    assert p.labels["io.kubernetes.pod.uid"] == p.metadata.uid and p.labels["tier"] == "test"

    listed = {k.id: k for k in c.list_containers(pod_id=pod_id)}
    assert list(listed) == [cid]
    k = listed[cid]
    assert k.metadata.name == "app"
    assert k.labels["io.kubernetes.container.name"] == "app"
    assert k.labels["io.kubernetes.pod.name"] == pod_name and k.labels["io.kubernetes.pod.namespace"] == ns
    assert k.labels["io.kubernetes.pod.uid"] == p.metadata.uid
    assert k.labels["app.kubernetes.io/name"] == "smoke"
    assert k.annotations["io.kubernetes.container.restartCount"] == "0"
    assert k.annotations["example.com/note"] == "x"
    assert c.container_status(cid).labels["io.kubernetes.container.name"] == "app"

    # what gadgetbox reads on the node: containerd's annotations in the OCI bundle
    task_dir = "/run/containerd/io.containerd.runtime.v2.task/k8s.io"
    with open(f"{task_dir}/{cid}/config.json") as f:
        ann = json.load(f)["annotations"]
    assert ann["io.kubernetes.cri.container-type"] == "container"
    assert ann["io.kubernetes.cri.container-name"] == "app"
    assert ann["io.kubernetes.cri.sandbox-id"] == pod_id
    assert ann["io.kubernetes.cri.sandbox-name"] == pod_name
    assert ann["io.kubernetes.cri.sandbox-namespace"] == ns
    assert ann["io.kubernetes.cri.sandbox-uid"] == p.metadata.uid
    assert ann["io.kubernetes.cri.image-name"] == BUSYBOX_FQ
    with open(f"{task_dir}/{pod_id}/config.json") as f:
        sandbox = json.load(f)
    assert sandbox["annotations"]["io.kubernetes.cri.container-type"] == "sandbox"
    assert sandbox["process"]["args"] == ["/pause"]
    assert sandbox["linux"]["cgroupsPath"] == f"/kubepods/besteffort/pod{p.metadata.uid}/{pod_id}"

    containers.remove("cri", cid)
    assert pod_id not in {p.id for p in c.list_pods()}
    assert cid not in {k.id for k in c.list_containers()}


def test_cri_pod_network_is_a_bridge_without_gateway(containers):
    cid = containers.start("cri", "net", ["sh", "-c", "ip -4 -o addr show eth0; ip route; hostname"],
                           pod_name=unique("gbt-netpod"), host_network=False)
    assert containers.wait("cri", cid) == 0
    out = containers.logs("cri", cid)
    assert " 10.203.77." in out, out
    assert "default" not in out  # no default route: nothing can leave the machine


def test_cri_crun_handler(containers):
    cid = containers.start("cri", "c", ["sh", "-c", "echo hello-cri-crun"], runtime_handler="crun")
    assert containers.wait("cri", cid) == 0
    assert containers.logs("cri", cid) == "hello-cri-crun\n"


def test_tracker_removes_everything_it_started(container_runtimes):
    prefix = unique("gbt-trk")  # unique per run: parallel sessions must not see each other's containers
    t = Containers()
    started = [(rt, t.start(rt, f"{prefix}-{rt}", ["/pause"])) for rt in RUNTIMES]
    pids = [t.pid(rt, cid) for rt, cid in started]
    t.remove_all()
    for pid in pids:
        assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/cmdline", "rb").read() != b"/pause\0"
    assert run("docker", "ps", "-aq", "--filter", f"name={prefix}").stdout.strip() == ""
    assert run("podman", "ps", "-aq", "--filter", f"name={prefix}").stdout.strip() == ""
    assert not [n for n in run("ctr", "-n", "default", "containers", "ls", "-q").stdout.split() if prefix in n]
    assert not [p for p in cri().list_pods() if p.metadata.name.startswith(prefix)]
