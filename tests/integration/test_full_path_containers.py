"""opensnoop-k8s --full-path inside real containers (docker, podman, ctr, a CRI pod): the path the container's process sees (its own root,
its bind-mounted volume), equal to readlink /proc/self/fd/N run in the same process."""
import os
import shutil
import tempfile

import pytest

from conftest import Tracer, unique, wait_for
from runtimes import container_runtimes, containers  # noqa: F401,F811

# In the container: open a marker until the tracer is seen to be ready, then open files on the volume through
# an absolute path, a relative path and a symlinked directory, printing what /proc/self/fd/N says of each.
SCRIPT = r"""
while [ ! -e /data/go ]; do cat /data/marker-$M >/dev/null 2>&1; sleep 0.05; done
exec 3</data/sub/file
echo "abs $(readlink /proc/self/fd/3)"
cd /data/sub
exec 4<file
echo "rel $(readlink /proc/self/fd/4)"
exec 5</data/link/file
echo "link $(readlink /proc/self/fd/5)"
exec 6</bin/sh
echo "root $(readlink /proc/self/fd/6)"
cat /data/sub/nope 2>/dev/null
cat nope-rel 2>/dev/null
echo done
"""


def mount_kw(runtime, host_dir):
    if runtime in ("docker", "docker-crun", "podman"):
        return {"extra_args": ["-v", f"{host_dir}:/data"]}
    if runtime == "cri":
        return {"mounts": [(host_dir, "/data")]}
    return {"extra_args": ["--mount", f"type=bind,src={host_dir},dst=/data,options=rbind:rw"]}  # ctr


@pytest.mark.parametrize("runtime", ["docker", "docker-crun", "podman", "ctr", "cri"])
def test_full_path_in_a_container_equals_its_own_readlink(runtime, containers):  # noqa: F811
    host_dir = tempfile.mkdtemp(prefix="gb-vol-")
    os.chmod(host_dir, 0o755)
    try:
        os.makedirs(os.path.join(host_dir, "sub"))
        with open(os.path.join(host_dir, "sub", "file"), "w") as f:
            f.write("x")
        os.symlink("sub", os.path.join(host_dir, "link"))
        name = unique("gbt-fp")
        marker = unique("m")
        cid = containers.start(runtime, name, ["sh", "-c", f"M={marker}\n" + SCRIPT], **mount_kw(runtime, host_dir))

        def probe(m):
            pass  # the container itself keeps opening its marker

        # a CRI container's runtime name is the one in its pod spec: the same name here
        t = Tracer("opensnoop-k8s", "--full-path", "-c", name, probe=probe, host=False)
        t.marker = "marker-" + marker
        with t:
            open(os.path.join(host_dir, "go"), "w").close()
            assert containers.wait(runtime, cid, timeout=60) == 0
            logs = containers.logs(runtime, cid)
            wait_for(lambda: [e for e in t.events() if e["path"] == "nope-rel"], what="the last open")
            t.stop()
        seen = dict(line.split(" ", 1) for line in logs.splitlines() if " " in line)
        evs = t.events()

        def full(path):
            return [e["fullPath"] for e in evs if e["path"] == path and e.get("fd", -1) >= 0]

        assert seen["abs"] == "/data/sub/file" and full("/data/sub/file")[-1] == seen["abs"]
        assert full("file")[-1] == seen["rel"] == "/data/sub/file"
        assert full("/data/link/file")[-1] == seen["link"] == "/data/sub/file"
        assert full("/bin/sh")[-1] == seen["root"] == "/bin/busybox"  # a symlink in the image
        assert [e["fullPath"] for e in evs if e["path"] == "nope-rel"] == ["/data/sub/nope-rel"]
        assert all(e["runtime"]["containerName"] == name for e in evs)
    finally:
        shutil.rmtree(host_dir, ignore_errors=True)
