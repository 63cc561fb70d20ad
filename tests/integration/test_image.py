"""`make image`: the OCI image archive (scripts/ociarchive.py gadgetbox), loaded into docker, podman and
containerd, run by each, pushed to a real registry (Debian's docker-registry on 127.0.0.1) and pulled through
containerd's CRI as a kubelet pulls."""
import os
import select
import socket
import subprocess
import tarfile
import json
import tempfile
import time
import uuid

import pytest

from conftest import BINARY, wait_for
from runtimes import cri, run, container_runtimes  # noqa: F401 (pytest fixture)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REPO = "gbt-image/gadgetbox"


def build(path, tag, repo=REPO, *others):
    """`make image`'s archive of BINARY (and @others, other architectures' builds) at @path, tagged repo:tag;
    returns the image ID."""
    r = subprocess.run(["python3", os.path.join(ROOT, "scripts", "ociarchive.py"), "gadgetbox", path, BINARY, tag,
                        repo, *others], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def version_line():
    return subprocess.run([BINARY, "--version"], capture_output=True, text=True).stdout.splitlines()[0]


@pytest.fixture(scope="module")
def image():
    """(archive path, ref, image id): built twice to the same bytes; removed from every engine afterwards."""
    d = tempfile.mkdtemp(prefix="gbt-image-")
    tag = "t-" + uuid.uuid4().hex[:8]
    a, b = os.path.join(d, "a.tar"), os.path.join(d, "b.tar")
    image_id = build(a, tag)
    assert build(b, tag) == image_id
    assert open(a, "rb").read() == open(b, "rb").read(), "the image archive is not reproducible"
    ref = f"{REPO}:{tag}"
    yield a, ref, image_id
    run("docker", "rmi", "-f", ref, check=False)
    run("podman", "rmi", "-f", ref, check=False)
    run("ctr", "-n", "k8s.io", "images", "rm", "docker.io/" + ref, check=False)
    subprocess.run(["rm", "-rf", d])


def test_archive_holds_the_binary_its_links_and_annotations(image):
    path, ref, image_id = image
    assert os.path.getsize(path) < 2 * 1024 * 1024  # the goal: an image of at most 2 MB
    with tarfile.open(path) as tf:
        index = json.load(tf.extractfile("index.json"))
        man_digest = index["manifests"][0]["digest"]
        manifest = json.load(tf.extractfile("blobs/sha256/" + man_digest[7:]))
        config = json.load(tf.extractfile("blobs/sha256/" + image_id[7:]))
        layer = manifest["layers"][0]
        assert layer["mediaType"].endswith("tar+gzip")
        with tarfile.open(fileobj=tf.extractfile("blobs/sha256/" + layer["digest"][7:]), mode="r:gz") as lt:
            names = {m.name: m for m in lt.getmembers()}
    assert config["config"]["Entrypoint"] == ["/gadgetbox"]
    assert config["architecture"] == "amd64"
    assert names["gadgetbox"].size == os.path.getsize(BINARY)
    listing = subprocess.run([BINARY, "--list"], capture_output=True, text=True).stdout.split("Applets:\n")[1]
    for applet in (ln.split()[0] for ln in listing.splitlines() if ln.strip()):
        assert names["bin/" + applet].issym() and names["bin/" + applet].linkname == "/gadgetbox", applet
    tag = ref.rsplit(":", 1)[1]
    assert manifest["annotations"]["org.opencontainers.image.version"] == tag
    assert index["manifests"][0]["annotations"]["io.containerd.image.name"] == "docker.io/" + ref


def test_docker_podman_and_ctr_load_and_run_it(container_runtimes, image):
    path, ref, image_id = image
    want = version_line()
    run("docker", "load", "-i", path)
    assert run("docker", "image", "inspect", "-f", "{{.Id}}", ref).stdout.strip() == image_id
    assert run("docker", "run", "--rm", "--network", "none", ref, "--version").stdout.splitlines()[0] == want
    # an applet by its link, as `kubectl debug --image` runs one
    out = run("docker", "run", "--rm", "--network", "none", "--entrypoint", "/bin/containers", ref, "--help").stdout
    assert out.startswith("Usage: containers ")
    run("podman", "load", "-i", path)
    assert run("podman", "run", "--rm", "--network", "none", ref, "--version").stdout.splitlines()[0] == want
    run("ctr", "-n", "k8s.io", "images", "import", path)
    name = "gbt-image-" + uuid.uuid4().hex[:6]
    r = run("ctr", "-n", "k8s.io", "run", "--rm", "docker.io/" + ref, name, "/gadgetbox", "--version")
    assert r.stdout.splitlines()[0] == want


def test_the_image_traces_the_node_as_a_debug_container(container_runtimes, image):
    """Run from the image with the host's pid namespace and root, the least docker options that work here
    (SYS_ADMIN for bpf(), SYS_PTRACE to read other processes' /proc, no seccomp filter): another container's
    exec is labelled with its name."""
    path, ref, image_id = image
    run("docker", "load", "-i", path)
    target = "gbt-image-t-" + uuid.uuid4().hex[:6]
    name = "gbt-image-d-" + uuid.uuid4().hex[:6]
    p = subprocess.Popen(["docker", "run", "--rm", "--name", name, "--network", "none", "--pid=host", "-v",
                          "/:/host:ro", "-e", "HOST_ROOT=/host", "--cap-add", "SYS_ADMIN", "--cap-add", "SYS_PTRACE",
                          "--security-opt", "seccomp=unconfined", ref, "execsnoop-k8s", "-c", target, "-o", "json",
                          "--timeout", "60"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=container_runtimes)
    try:
        # the tracer's readiness cannot be seen from outside the container: run the target until its exec comes
        deadline = time.time() + 90
        line = ""
        while not line and time.time() < deadline and p.poll() is None:
            run("docker", "run", "--rm", "--name", target, "--network", "none", "gadgetbox-test/busybox:1", "true",
                check=False)
            if select.select([p.stdout], [], [], 2)[0]:
                line = p.stdout.readline()
        assert line, p.stderr.read() if p.poll() is not None else "no event in 90 s"
        ev = json.loads(line)
        assert ev["runtime"]["containerName"] == target and ev["comm"] == "true", ev
    finally:
        subprocess.run(["docker", "rm", "-f", name, target], capture_output=True)
        p.kill()
        p.wait()


def test_a_two_architecture_index_loads_everywhere_and_runs_the_native_image(container_runtimes):
    """make image-multiarch: amd64 and arm64 images under one index; each engine runs this machine's."""
    arm64 = os.path.join(ROOT, "gadgetbox-arm64")
    r = subprocess.run(["make", "-C", ROOT, "-s", "arm64"], capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    d = tempfile.mkdtemp(prefix="gbt-image-")
    tag = "m-" + uuid.uuid4().hex[:8]
    ref = f"{REPO}:{tag}"
    path = os.path.join(d, "multi.tar")
    try:
        build(path, tag, REPO, arm64)
        with tarfile.open(path) as tf:
            top = json.load(tf.extractfile("index.json"))["manifests"][0]
            assert top["mediaType"] == "application/vnd.oci.image.index.v1+json"
            platforms = json.load(tf.extractfile("blobs/sha256/" + top["digest"][7:]))["manifests"]
            assert sorted(m["platform"]["architecture"] for m in platforms) == ["amd64", "arm64"]
            for m in platforms:
                man = json.load(tf.extractfile("blobs/sha256/" + m["digest"][7:]))
                cfg = json.load(tf.extractfile("blobs/sha256/" + man["config"]["digest"][7:]))
                assert cfg["architecture"] == m["platform"]["architecture"]
        want = version_line()
        run("docker", "load", "-i", path)
        assert run("docker", "run", "--rm", "--network", "none", ref, "--version").stdout.splitlines()[0] == want
        run("podman", "load", "-i", path)
        assert run("podman", "run", "--rm", "--network", "none", ref, "--version").stdout.splitlines()[0] == want
        run("ctr", "-n", "k8s.io", "images", "import", "--all-platforms", path)
        listed = run("ctr", "-n", "k8s.io", "images", "ls").stdout
        assert any(ln.startswith("docker.io/" + ref) and "linux/amd64" in ln and "linux/arm64" in ln
                   for ln in listed.splitlines()), listed
        name = "gbt-image-" + uuid.uuid4().hex[:6]
        r = run("ctr", "-n", "k8s.io", "run", "--rm", "docker.io/" + ref, name, "/gadgetbox", "--version")
        assert r.stdout.splitlines()[0] == want
    finally:
        run("docker", "rmi", "-f", ref, check=False)
        run("podman", "rmi", "-f", ref, check=False)
        run("ctr", "-n", "k8s.io", "images", "rm", "docker.io/" + ref, check=False)
        subprocess.run(["rm", "-rf", d])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_pushed_to_a_registry_and_pulled_by_the_cri(container_runtimes, image):
    """docker push to Debian's docker-registry on 127.0.0.1, then containerd's CRI PullImage (what a kubelet does
    for a DaemonSet's pod) and a container of a pod run from the pulled image."""
    path, ref, image_id = image
    d = tempfile.mkdtemp(prefix="gbt-registry-")
    port = free_port()
    cfg = os.path.join(d, "config.yml")
    with open(cfg, "w") as f:
        f.write(f"version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: {d}/data\n"
                f"http:\n  addr: 127.0.0.1:{port}\n")
    reg = subprocess.Popen(["docker-registry", "serve", cfg], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    remote = f"127.0.0.1:{port}/gadgetbox:{ref.rsplit(':', 1)[1]}"
    c = cri()
    pod = None
    try:
        wait_for(lambda: reg.poll() is not None or _listening(port), timeout=30, what="the registry to listen")
        assert reg.poll() is None, reg.stderr.read().decode()
        run("docker", "load", "-i", path)
        run("docker", "tag", ref, remote)
        run("docker", "push", remote, timeout=120)
        pulled = c.pull_image(remote)
        assert pulled == image_id, (pulled, image_id)  # the same image, byte for byte, through the registry
        pod = c.run_pod("gbt-image-" + uuid.uuid4().hex[:6], "default")
        cid = c.create_container(pod, None, "gadgetbox", remote, ["/gadgetbox"], ["--version"])
        c.start(cid)
        assert c.wait(cid, 60) == 0
        assert c.logs(cid).splitlines()[0] == version_line()
    finally:
        if pod:
            c.remove_pod(pod)
        try:
            c.remove_image(remote)
        except Exception:
            pass
        run("docker", "rmi", "-f", remote, check=False)
        reg.terminate()
        reg.wait(timeout=10)
        subprocess.run(["rm", "-rf", d])


def _listening(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        time.sleep(0.2)
        return False
