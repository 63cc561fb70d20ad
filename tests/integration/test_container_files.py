"""Container metadata from the runtimes' files, read under --host-root: hostile values, corrupt files, and
paths that try to leave the host root. The runtime state here is written by the test into a host root of its
own; the container process, its mount namespace and /proc are real."""
import json
import os
import subprocess
import tempfile
import uuid

import pytest

from conftest import BINARY, Tracer, gadgetbox_cmd, wait_for

HOSTILE_POD = 'pod\x1b[31mX"q\\'
HOSTILE_CONTAINER = "c1\nnext\u202e"


def start_time(pid):
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[19])


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


@pytest.fixture
def fake_host():
    """A host root with the real /proc bound in, a process in a mount namespace of its own posing as a
    container, runc state for it, and files outside the root that must never be read."""
    hr = tempfile.mkdtemp(prefix="gb-hostroot-")
    outside = tempfile.mkdtemp(prefix="gb-outside-")
    os.makedirs(os.path.join(hr, "proc"))
    subprocess.run(["mount", "--bind", "/proc", os.path.join(hr, "proc")], check=True)
    procs = [subprocess.Popen(["unshare", "-m", "sh", "-c", 'while read x; do /bin/true "$x"; done'],
                              stdin=subprocess.PIPE, text=True) for _ in range(2)]
    proc, proc2 = procs
    try:
        for p in procs:
            wait_for(lambda: os.readlink(f"/proc/{p.pid}/ns/mnt") != os.readlink("/proc/self/ns/mnt"),
                     what="the new mount namespace")
        ids = {k: uuid.uuid4().hex + uuid.uuid4().hex for k in ("good", "dotdot", "corrupt", "dead")}
        labels = [
            "bundle=/bundle",
            "io.kubernetes.cri.container-type=container",
            "io.kubernetes.cri.sandbox-name=" + HOSTILE_POD,
            "io.kubernetes.cri.sandbox-namespace=ns-" + ids["good"][:8],
            "io.kubernetes.cri.container-name=" + HOSTILE_CONTAINER,
            "io.kubernetes.cri.image-name=registry.local/app:1",
        ]
        state = {"id": ids["good"], "init_process_pid": proc.pid, "init_process_start": start_time(proc.pid),
                 "config": {"labels": labels}}
        write(os.path.join(hr, "run/runc", ids["good"], "state.json"), json.dumps(state))
        # the bundle is a symlink to a directory outside the host root: it must resolve inside it
        os.symlink(outside, os.path.join(hr, "bundle"))
        write(os.path.join(outside, "config.json"),
              json.dumps({"annotations": {"io.kubernetes.cri.sandbox-uid": "LEAKED-" + ids["good"]}}))
        # a second container whose bundle path climbs out with "..": it must stay inside the root too
        state2 = {"id": ids["dotdot"], "init_process_pid": proc2.pid, "init_process_start": start_time(proc2.pid),
                  "config": {"labels": ["bundle=/../../../../.." + outside]}}
        write(os.path.join(hr, "run/runc", ids["dotdot"], "state.json"), json.dumps(state2))
        write(os.path.join(hr, "run/runc", ids["corrupt"], "state.json"), '{"init_process_pid": 12')
        write(os.path.join(hr, "run/runc", ids["dead"], "state.json"),
              json.dumps({"init_process_pid": 4000000, "init_process_start": 1}))
        yield {"root": hr, "proc": proc, "ids": ids, "outside": outside}
    finally:
        for p in procs:
            p.kill()
            p.wait()
        subprocess.run(["umount", "-l", os.path.join(hr, "proc")])
        subprocess.run(["rm", "-rf", hr, outside])


def test_containers_lists_hostile_annotations_escaped_and_exact_in_json(fake_host):
    ids = fake_host["ids"]
    r = subprocess.run(gadgetbox_cmd("containers", "--host-root", fake_host["root"], "-o", "json"),
                       capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    records = [json.loads(l) for l in r.stdout.decode().splitlines()]
    rows = [c for c in records if "type" not in c]
    [c] = [c for c in rows if c["runtime"]["containerId"] == ids["good"]]
    # the corrupt state file's warning is also a JSON record, with the same words as on stderr
    [w] = [c["message"] for c in records if c.get("type") == "warning" and ids["corrupt"] in c["message"]]
    assert "not valid JSON" in w and w in r.stderr.decode()
    assert c["k8s"]["podName"] == HOSTILE_POD
    assert c["k8s"]["containerName"] == HOSTILE_CONTAINER
    assert c["k8s"]["namespace"] == "ns-" + ids["good"][:8]
    assert c["runtime"]["containerImageName"] == "registry.local/app:1"
    assert c["pid"] == fake_host["proc"].pid
    assert c["mountnsid"] == os.stat(f"/proc/{fake_host['proc'].pid}/ns/mnt").st_ino
    assert not [c for c in rows if c["runtime"]["containerId"] in (ids["corrupt"], ids["dead"])]
    [c2] = [c for c in rows if c["runtime"]["containerId"] == ids["dotdot"]]
    assert c2["runtime"]["runtimeName"] == "runc" and c2["k8s"]["podUID"] == ""
    assert b"LEAKED" not in r.stdout + r.stderr, "read a file outside the host root"


def test_corrupt_state_file_gives_one_warning_line(fake_host):
    r = subprocess.run(gadgetbox_cmd("containers", "--host-root", fake_host["root"]), capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0
    warnings = [l for l in r.stderr.splitlines() if "warning" in l]
    assert len(warnings) == 1 and fake_host["ids"]["corrupt"] in warnings[0] and "JSON" in warnings[0]


def test_containers_columns_escape_hostile_names(fake_host):
    r = subprocess.run(gadgetbox_cmd("containers", "--host-root", fake_host["root"]), capture_output=True,
                       timeout=30)
    assert r.returncode == 0
    assert b"\x1b" not in r.stdout and "\u202e".encode() not in r.stdout
    text = r.stdout.decode()
    assert 'pod\\x1b[31mX"q\\\\' in text and "c1\\nnext\\u202e" in text


def test_execsnoop_labels_events_from_files_under_host_root_and_filters_by_namespace(fake_host):
    ns = "ns-" + fake_host["ids"]["good"][:8]
    proc = fake_host["proc"]

    def probe(marker):
        proc.stdin.write(marker + "\n")
        proc.stdin.flush()

    with Tracer("execsnoop-k8s", "--host-root", fake_host["root"], "--k8s-namespace", ns, probe=probe,
                host=False) as t:
        probe("after-ready")
        wait_for(lambda: [e for e in t.events() if e["args"][-1:] == ["after-ready"]], what="the exec")
        subprocess.run(["/bin/true", "host-exec-not-shown"])
        t.stop()
    evs = t.events()
    assert evs and all(e["k8s"]["namespace"] == ns for e in evs)
    e = [e for e in evs if e["args"][-1:] == ["after-ready"]][0]
    assert e["runtime"]["containerId"] == fake_host["ids"]["good"]
    assert e["k8s"]["podName"] == HOSTILE_POD and e["k8s"]["containerName"] == HOSTILE_CONTAINER
    assert e["k8s"]["node"] == os.uname().nodename
    assert not [e for e in evs if "host-exec-not-shown" in e["args"]]
    assert b"LEAKED" not in t.raw()


def test_missing_runtime_directories_are_not_an_error(workdir):
    os.makedirs(os.path.join(workdir, "proc"))
    subprocess.run(["mount", "--bind", "/proc", os.path.join(workdir, "proc")], check=True)
    try:
        r = subprocess.run(gadgetbox_cmd("containers", "--host-root", workdir), capture_output=True, text=True,
                           timeout=30)
        assert r.returncode == 0 and r.stderr == ""
        assert r.stdout.splitlines()[0].split()[:2] == ["RUNTIME", "ID"]
    finally:
        subprocess.run(["umount", "-l", os.path.join(workdir, "proc")])


def test_host_root_without_proc_is_one_line_error(workdir):
    r = subprocess.run(gadgetbox_cmd("containers", "--host-root", workdir), capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "proc" in r.stderr
