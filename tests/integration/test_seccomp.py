"""seccomp-advise: record what a container does, then run it under the profile: it must behave the same, and fail
where a syscall was taken out. Real runtimes: docker with runc and crun, podman, a CRI pod with a Localhost profile."""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid

import pytest
import yaml

from conftest import gadgetbox_cmd, wait_for
from runtimes import container_runtimes, containers, cri, cri_pod, run  # noqa: F401 (fixtures)

# files, directories, a fork and exec, a socket, a signal, a sleep
WORK = ("mkdir /tmp/w && echo data > /tmp/w/f && cat /tmp/w/f && ls /tmp/w && sh -c 'echo child' && "
        "(wget -q -O- http://127.0.0.1:1/ 2>/dev/null || echo refused) && "
        "trap 'echo got-usr1' USR1 && kill -USR1 $$ && sleep 0.1 && echo done")
EXPECTED = "data\nf\nchild\nrefused\ngot-usr1\ndone\n"
SETUP_ONLY = {"pivot_root", "mount", "umount2", "sethostname", "setdomainname", "unshare", "setns", "seccomp",
              "keyctl", "mknodat", "symlinkat", "open_tree", "move_mount", "fsopen", "fsmount", "mount_setattr"}
# the program's commands, and the runtime: its needs after the filter, and runc init's other threads, which
# run on for a moment after its execve begins
PROGRAM = {"sh", "mkdir", "cat", "ls", "wget", "sleep", "kill", "busybox", "(runtime)", "runc:[2:INIT]"}


class Recorder:
    """seccomp-advise in the background with --output-dir."""

    def __init__(self, *args):
        self.dir = tempfile.mkdtemp(prefix="gb-seccomp-")
        self.err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(gadgetbox_cmd("seccomp-advise", "--output-dir", self.dir, *args),
                                     stdout=subprocess.PIPE, stderr=self.err)
        wait_for(lambda: b"recording" in self.stderr().encode() or self.proc.poll() is not None, timeout=20,
                 what="seccomp-advise to start")
        assert self.proc.poll() is None, self.stderr()

    def stderr(self):
        self.err.seek(0)
        return self.err.read().decode(errors="replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        out, _ = self.proc.communicate(timeout=30)
        return self.proc.returncode, out.decode()

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def engine_run(runtime, name, seccomp, cmd=WORK):
    """docker/podman run NAME under a seccomp profile (a path, or "unconfined"); (exit code, output)."""
    eng = "podman" if runtime == "podman" else "docker"
    rt = ["--runtime", "crun"] if runtime == "docker-crun" else []
    r = run(eng, "run", "--name", name, "--network", "none", *rt, "--security-opt", f"seccomp={seccomp}",
            "gadgetbox-test/busybox:1", "sh", "-c", cmd, check=False, timeout=60)
    run(eng, "rm", "-f", name, check=False)
    return r.returncode, r.stdout + r.stderr


@pytest.mark.parametrize("runtime", ["docker", "docker-crun", "podman"])
def test_recorded_profile_runs_the_program_and_nothing_more(container_runtimes, runtime):
    name = f"gbt-sc-{uuid.uuid4().hex[:8]}"
    rec = Recorder("-c", name)
    try:
        rc, out = engine_run(runtime, name, "unconfined")
        assert (rc, out) == (0, EXPECTED)
        # the file is there as soon as the container exited, the recorder still running
        path = os.path.join(rec.dir, name + ".json")
        wait_for(lambda: os.path.exists(path), what="the profile file")
        assert rec.proc.poll() is None
        rec.stop()
        profile = json.load(open(path))
    finally:
        rec.close()
    assert profile["defaultAction"] == "SCMP_ACT_ERRNO" and profile["defaultErrnoRet"] == 1
    assert profile["architectures"] == ["SCMP_ARCH_X86_64"]
    names = profile["syscalls"][0]["names"]
    assert names == sorted(names) and profile["syscalls"][0]["action"] == "SCMP_ACT_ALLOW"
    assert not SETUP_ONLY & set(names), SETUP_ONLY & set(names)
    assert {"execve", "mkdirat" if "mkdirat" in names else "mkdir", "clone" if "clone" in names else "fork",
            "socket", "connect", "kill", "wait4", "nanosleep" if "nanosleep" in names else "clock_nanosleep"} <= set(names)

    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "p.json")
        with open(p, "w") as f:
            json.dump(profile, f)
        # the same program under the profile: the same output, under both runtimes
        for rt in (runtime, "docker-crun" if runtime == "docker" else "docker"):
            assert engine_run(rt, name, p) == (0, EXPECTED)
        # without mkdir, it fails where it makes it
        less = dict(profile, syscalls=[{"names": [n for n in names if n not in ("mkdir", "mkdirat")],
                                        "action": "SCMP_ACT_ALLOW"}])
        with open(p, "w") as f:
            json.dump(less, f)
        rc, out = engine_run(runtime, name, p)
        assert rc != 0 and "Operation not permitted" in out and "data" not in out, out


def test_columns_and_json_say_who_made_each_syscall(container_runtimes):
    name = f"gbt-scj-{uuid.uuid4().hex[:8]}"
    p = subprocess.Popen(gadgetbox_cmd("seccomp-advise", "-o", "json", "-c", name), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        time.sleep(2.5)
        assert engine_run("docker", name, "unconfined") == (0, EXPECTED)
        time.sleep(1)
    finally:
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=30)
    rows = [json.loads(line) for line in out.decode().splitlines()]
    assert rows and all(r["container"] == name for r in rows)
    by = {r["syscall"]: r for r in rows}
    assert by["execve"]["count"] >= 3 and by["mkdir" if "mkdir" in by else "mkdirat"]["firstComm"] == "mkdir"
    for r in rows:
        # made by the program (or needed by the runtime after its filter), never the runtime's setup
        # (the execve that starts the program is made by the runtime's init: runc:[2:INIT], crun)
        assert r["firstComm"] in PROGRAM or r["syscall"] == "execve", r
        assert r["syscall"] not in SETUP_ONLY and r["fromStart"] is True
        assert r["count"] > 0 or r["firstComm"] == "(runtime)"


def test_cri_pod_merged_profile_as_crd_and_localhost(container_runtimes, tmp_path):
    """Two containers of one pod: one merged profile (OCI and CRD); then the pod runs under it as Localhost."""
    pod_name = f"gbt-scp-{uuid.uuid4().hex[:6]}"
    oci = Recorder("--merge", "--k8s-podname", pod_name)
    crd = Recorder("--merge", "-o", "crd", "--k8s-podname", pod_name)
    each = Recorder("--k8s-podname", pod_name)  # a file per container: DIR/NAMESPACE/POD/CONTAINER.json
    c = cri()
    pod = c.run_pod(pod_name, "default")
    try:
        ids = []
        for cname, cmd in (("a", "mkdir /tmp/a && echo a"), ("b", "echo b > /tmp/b && cat /tmp/b")):
            cid = c.create_container(pod, None, cname, "gadgetbox-test/busybox:1", ["sh", "-c", cmd],
                                     seccomp="unconfined")
            c.start(cid)
            ids.append(cid)
        for cid in ids:
            assert c.wait(cid, 30) == 0
        time.sleep(1)
        for r in (oci, crd, each):
            assert r.stop()[0] == 0, r.stderr()
        merged = json.load(open(os.path.join(oci.dir, "default", pod_name + ".json")))
        assert sorted(os.listdir(os.path.join(each.dir, "default", pod_name))) == ["a.json", "b.json"], \
            each.stderr()
        assert "mkdir" in json.dumps(json.load(open(os.path.join(each.dir, "default", pod_name, "a.json"))))
        crd_path = os.path.join(crd.dir, "default", pod_name + ".yaml")
        assert os.path.exists(crd_path), (os.listdir(crd.dir), crd.stderr())
        doc = yaml.safe_load(open(crd_path))
    finally:
        c.remove_pod(pod)
        oci_dir = oci.dir
        crd.close()
        each.close()
    try:
        names = set(merged["syscalls"][0]["names"])
        assert {"mkdir" if "mkdir" in names else "mkdirat", "openat", "write", "execve"} <= names
        assert doc["apiVersion"] == "security-profiles-operator.x-k8s.io/v1beta1" and doc["kind"] == "SeccompProfile"
        assert doc["metadata"] == {"name": pod_name, "namespace": "default"}
        assert doc["spec"]["defaultAction"] == "SCMP_ACT_ERRNO"
        assert doc["spec"]["architectures"] == ["SCMP_ARCH_X86_64"]
        assert set(doc["spec"]["syscalls"][0]["names"]) == names and doc["spec"]["syscalls"][0]["action"] == "SCMP_ACT_ALLOW"
        # the pod again, each container under the merged profile as a Localhost profile
        path = str(tmp_path / "merged.json")
        shutil.copy(os.path.join(oci_dir, "default", pod_name + ".json"), path)
        pod = c.run_pod(pod_name + "-again", "default")
        try:
            for cname, cmd, want in (("a", "mkdir /tmp/a && echo a", "a\n"), ("b", "echo b > /tmp/b && cat /tmp/b", "b\n")):
                cid = c.create_container(pod, None, cname, "gadgetbox-test/busybox:1", ["sh", "-c", cmd], seccomp=path)
                c.start(cid)
                assert c.wait(cid, 30) == 0 and c.logs(cid) == want
            cid = c.create_container(pod, None, "c", "gadgetbox-test/busybox:1", ["sh", "-c", "ln -s x /tmp/y"],
                                     seccomp=path)  # symlink was never recorded
            c.start(cid)
            assert c.wait(cid, 30) != 0
        finally:
            c.remove_pod(pod)
    finally:
        oci.close()


def test_a_container_already_running_is_said_so(containers):
    name = f"gbt-scr-{uuid.uuid4().hex[:8]}"
    cid = containers.start("docker", name, ["sh", "-c", "while :; do sleep 0.1; done"])
    wait_for(lambda: containers.pid("docker", cid), what="the container")
    r = subprocess.run(gadgetbox_cmd("seccomp-advise", "-c", name, "--timeout", "1.5"), capture_output=True,
                       timeout=30)
    assert r.returncode == 0, r.stderr
    assert b"was running already" in r.stderr and b"already runs under a seccomp filter" in r.stderr
    prof = json.loads(r.stdout)
    assert "nanosleep" in prof["syscalls"][0]["names"] or "clock_nanosleep" in prof["syscalls"][0]["names"]


def test_base_profile_is_kept_and_added_to(container_runtimes, tmp_path):
    base = tmp_path / "base.json"
    base.write_text(json.dumps({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
        {"names": ["reboot", "swapon"], "action": "SCMP_ACT_ALLOW"},
        {"names": ["ptrace"], "action": "SCMP_ACT_ERRNO"}]}))
    name = f"gbt-scb-{uuid.uuid4().hex[:8]}"
    rec = Recorder("-c", name, "--base", str(base))
    try:
        assert engine_run("docker", name, "unconfined") == (0, EXPECTED)
        path = os.path.join(rec.dir, name + ".json")
        wait_for(lambda: os.path.exists(path), what="the profile file")
        names = set(json.load(open(path))["syscalls"][0]["names"])
    finally:
        rec.close()
    assert {"reboot", "swapon", "execve"} <= names and "ptrace" not in names  # only what the base allows
    r = subprocess.run(gadgetbox_cmd("seccomp-advise", "--base", "/nonexistent.json"), capture_output=True, timeout=20)
    assert r.returncode != 0 and b"cannot open /nonexistent.json" in r.stderr
