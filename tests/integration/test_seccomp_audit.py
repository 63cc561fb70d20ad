"""seccomp-audit: what real seccomp profiles, enforced by real runtimes (docker with runc and crun, podman, a CRI
pod's Localhost profile), refused, killed, trapped or logged; Docker's default profile; the loop with
seccomp-advise (record, enforce, audit, fix); 32-bit syscalls; host processes.

The workload (workloads/seccomp_calls.c) is built static and mounted into busybox containers at /w. Every tracer
is ready once it reports a probe: a mkdir refused in a long-lived probe container (its comm is the tracer's
marker)."""
import json
import os
import signal
import subprocess
import tempfile
import time
import uuid

import pytest

from conftest import Tracer, gadgetbox_cmd, static_workload, wait_for
from runtimes import (container_runtimes, containers, cri, docker_remove, docker_start, run,  # noqa: F401
                      runtimes_up)

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "workloads", "seccomp_calls.c")
ALLOW = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": []}


def deny(action, names=("mkdir", "mkdirat"), errno_ret=None, archs=None):
    """An allow-all profile where NAMES get ACTION."""
    rule = {"names": list(names), "action": action}
    if errno_ret is not None:
        rule["errnoRet"] = errno_ret
    p = dict(ALLOW, syscalls=[rule])
    if archs:
        p["architectures"] = archs
    return p


@pytest.fixture(scope="module")
def wdir():
    yield from static_workload(SRC, "sc", "gb-sa-")


def profile_file(profile):
    f = tempfile.NamedTemporaryFile("w", prefix="gb-sa-prof-", suffix=".json", delete=False)
    json.dump(profile, f)
    f.close()
    os.chmod(f.name, 0o644)
    return f.name


@pytest.fixture(scope="module")
def probe(wdir):
    """A docker container whose profile refuses mkdir: `docker exec` of the workload named after a tracer's
    marker makes an event that says the tracer is ready."""
    runtimes_up()
    name = f"gbt-sa-probe-{uuid.uuid4().hex[:6]}"
    path = profile_file(deny("SCMP_ACT_ERRNO"))
    cid = docker_start(name, ["/w/sc", "sleep", "3600000"],
                       extra_args=["-v", f"{wdir}:/w:ro", "--security-opt", f"seccomp={path}"])
    os.unlink(path)
    yield name
    docker_remove(cid)


def tracer(probe, *args, containers=None, host=False):
    """seccomp-audit in JSON with ARGS; CONTAINERS (names) become -c NAMES,PROBE."""
    cargs = ["-c", ",".join(list(containers) + [probe])] if containers else []
    t = Tracer("seccomp-audit", *args, *cargs, host=host,
               probe=lambda m: run("docker", "exec", probe, "/w/sc", "name", m, "mkdir", "/tmp/p", check=False))
    t.marker = "gbr" + uuid.uuid4().hex[:10]  # a comm: 15 bytes at most
    return t


def of(t, name):
    """The events of container NAME (runtime or Kubernetes container name)."""
    return [e for e in t.events() if name in (e["runtime"]["containerName"], e["k8s"]["containerName"])]


def start_under(containers, runtime, name, profile, command, wdir):
    """A detached container running COMMAND under PROFILE with the workload at /w; (id, profile path)."""
    path = profile_file(profile)
    if runtime == "cri":
        cid = containers.start("cri", name, command, seccomp=path, mounts=[(wdir, "/w")])
    else:
        cid = containers.start(runtime, name, command,
                               extra_args=["-v", f"{wdir}:/w:ro", "--security-opt", f"seccomp={path}"])
    return cid, path


def wait_exit(containers, runtime, cid):
    from runtimes import wait_container
    return wait_container(runtime, cid, timeout=60)


def logs(runtime, cid):
    from runtimes import container_logs
    return container_logs(runtime, cid)


@pytest.mark.parametrize("runtime", ["docker", "docker-crun", "podman", "cri"])
def test_a_profile_without_mkdir_gives_one_errno_event_with_pid_and_comm(container_runtimes, containers, probe, wdir,
                                                                        runtime):
    name = f"gbt-sa-e-{uuid.uuid4().hex[:6]}"
    with tracer(probe, containers=[name]) as t:
        cid, path = start_under(containers, runtime, name, deny("SCMP_ACT_ERRNO"),
                                ["/w/sc", "sleep", "1000", "mkdir", "/tmp/x", "sleep", "60000"], wdir)
        from runtimes import container_pid
        pid = wait_for(lambda: container_pid(runtime, cid), what="the container's pid")
        evs = wait_for(lambda: of(t, name), timeout=30, what="the denial")
        time.sleep(1)
        evs = of(t, name)
        t.stop()
    os.unlink(path)
    assert len(evs) == 1, evs
    e = evs[0]
    assert (e["syscall"], e["nr"], e["arch"]) == ("mkdir", 83, "SCMP_ARCH_X86_64")
    assert (e["action"], e["errno"], e["first"]) == ("errno(EPERM)", "EPERM", True)
    assert (e["pid"], e["tid"], e["comm"]) == (pid, pid, "sc")
    if runtime == "cri":
        assert e["k8s"]["podName"] == name and e["k8s"]["namespace"] == "default"
    # the probe container is in the filter list, other containers not: only the two are seen
    assert {x["runtime"]["containerName"] or x["k8s"]["containerName"] for x in t.events()} <= {name, probe}


@pytest.mark.parametrize("runtime", ["docker", "podman"])
def test_each_action_of_a_profile(container_runtimes, containers, probe, wdir, runtime):
    """KILL_PROCESS kills the container, KILL_THREAD only the thread, LOG lets mkdir run, TRAP sends SIGSYS,
    ERRNO with errnoRet returns that errno: each is told with its name, all in one run of the tracer."""
    cases = [("kill_process", deny("SCMP_ACT_KILL_PROCESS"), ["mkdir", "/tmp/x"], 159, None),
             ("kill_thread", deny("SCMP_ACT_KILL_THREAD"), ["thread-mkdir", "/tmp/x"], 0, "main alive"),
             ("log", deny("SCMP_ACT_LOG"), ["sleep", "300", "mkdir", "/tmp/x", "sleep", "1000"], 0, "mkdir: 0"),
             ("trap", deny("SCMP_ACT_TRAP"), ["mkdir", "/tmp/x"], 159, None),
             ("errno(EACCES)", deny("SCMP_ACT_ERRNO", errno_ret=13), ["mkdir", "/tmp/x"], 0, "mkdir: -13")]
    names = {c[0]: f"gbt-sa-a{i}-{uuid.uuid4().hex[:6]}" for i, c in enumerate(cases)}
    paths = []
    with tracer(probe, containers=list(names.values())) as t:
        for action, profile, cmd, want_rc, want_out in cases:
            cid, path = start_under(containers, runtime, names[action], profile, ["/w/sc", *cmd], wdir)
            paths.append(path)
            assert wait_exit(containers, runtime, cid) == want_rc, (action, logs(runtime, cid))
            if want_out:
                assert want_out in logs(runtime, cid), action
        wait_for(lambda: all(of(t, n) for n in names.values()), timeout=30,
                 what=f"an event of every action: {[e['action'] for e in t.events()]}")
        t.stop()
    for p in paths:
        os.unlink(p)
    for action, name in names.items():
        evs = of(t, name)
        assert [(e["action"], e["syscall"], e["comm"], e["first"]) for e in evs] == [(action, "mkdir", "sc", True)], \
            (action, evs)
        if action == "log":
            assert evs[0]["exe"] == "/w/sc"
        if action == "kill_thread":  # the thread that made it, not the process's main thread
            assert evs[0]["tid"] != evs[0]["pid"]


@pytest.fixture
def cpu_hog():
    """Both vCPUs busy (two shell loops on the host) for the test's length: the tracer and the runtimes run late."""
    hogs = [subprocess.Popen(["sh", "-c", "while :; do :; done"]) for _ in range(2)]
    yield
    for h in hogs:
        h.kill()
        h.wait()


@pytest.mark.parametrize("runtime", ["docker", "podman"])
def test_kill_thread_after_a_short_container_under_load(container_runtimes, containers, probe, wdir, runtime,
                                                        cpu_hog):
    """KILL_THREAD, many times in a row on a loaded machine, each right after a container that a KILL_PROCESS ended
    at once (the next container's mount namespace gets its inode number): every kill_thread is reported, in its
    own container. The container table read a namespace's inode and its id in two opens of /proc/PID/ns/mnt:
    an init that exited between them left a record (and, once removed, an ended entry) without the id, which
    matched whichever namespace got that inode next: the next container's events were not its own."""
    rounds = int(os.environ.get("GB_KT_ROUNDS", "8"))
    names = [(f"gbt-sa-kp{i}-{uuid.uuid4().hex[:6]}", f"gbt-sa-kt{i}-{uuid.uuid4().hex[:6]}") for i in range(rounds)]
    paths = []
    with tracer(probe, containers=[n for pair in names for n in pair]) as t:
        for kp, kt in names:
            for name, profile, cmd, want_rc in ((kp, deny("SCMP_ACT_KILL_PROCESS"), ["mkdir", "/tmp/x"], 159),
                                                 (kt, deny("SCMP_ACT_KILL_THREAD"),
                                                  ["sleep", "300", "thread-mkdir", "/tmp/x", "sleep", "300"], 0)):
                cid, path = start_under(containers, runtime, name, profile, ["/w/sc", *cmd], wdir)
                paths.append(path)
                assert wait_exit(containers, runtime, cid) == want_rc, (name, logs(runtime, cid))
                containers.remove(runtime, cid)
        deadline = time.time() + 60
        while time.time() < deadline and not all(of(t, kt) for kp, kt in names):
            time.sleep(0.2)
        time.sleep(1)
        t.stop()
    for p in paths:
        os.unlink(p)
    # the kill_thread containers live long enough to be identified while they run (0.3 s before the kill): their
    # events can only be lost to a record or an ended entry of another namespace that claims theirs. The
    # kill_process ones end within a millisecond of their start: on a loaded machine their events may go
    # unattributed (counted, with a warning), never to another container.
    got = {kt: [(e["action"], e["syscall"]) for e in of(t, kt)] for kp, kt in names}
    assert got == {kt: [("kill_thread", "mkdir")] for kp, kt in names}, t.stderr()
    for kp, kt in names:
        assert [(e["action"], e["syscall"]) for e in of(t, kp)] in ([], [("kill_process", "mkdir")]), of(t, kp)


def test_docker_default_profile_unshare_and_mount_and_nothing_else(container_runtimes, containers, probe, wdir):
    """Docker's own default profile: unshare and mount are denied and named; a busy container under an
    allow-all filter, running since before the tracer (syscalls in progress when it attached), gives nothing."""
    busy = f"gbt-sa-busy-{uuid.uuid4().hex[:6]}"
    path = profile_file(deny("SCMP_ACT_ERRNO", names=("acct",)))  # a filter that refuses nothing this does
    bcid = containers.start("docker", busy, ["sh", "-c", "while :; do /w/sc busy 50; ls / >/dev/null; sleep 0.2; done"],
                     extra_args=["-v", f"{wdir}:/w:ro", "--security-opt", f"seccomp={path}"])
    from runtimes import container_pid
    bpid = wait_for(lambda: container_pid("docker", bcid), what="the busy container")
    assert "Seccomp:\t2" in open(f"/proc/{bpid}/status").read()
    time.sleep(1)
    name = f"gbt-sa-d-{uuid.uuid4().hex[:6]}"
    with tracer(probe, containers=[name, busy]) as t:
        r = run("docker", "run", "--name", name, "--network", "none", "gadgetbox-test/busybox:1", "sh", "-c",
                "unshare -m true; mount -t tmpfs x /mnt; /bin/sh -c 'echo ordinary work' > /tmp/f; cat /tmp/f",
                check=False)
        run("docker", "rm", "-f", name, check=False)
        assert "ordinary work" in r.stdout
        wait_for(lambda: len(of(t, name)) >= 2, timeout=30, what="the denials")
        time.sleep(3)  # the busy container goes on
        t.stop()
    os.unlink(path)
    got = sorted((e["syscall"], e["action"], e["comm"]) for e in of(t, name))
    assert got == [("mount", "errno(EPERM)", "mount"), ("unshare", "errno(EPERM)", "unshare")], got
    assert of(t, busy) == []


def test_32_bit_syscalls_are_named_with_the_i386_table(container_runtimes, containers, probe, wdir):
    name = f"gbt-sa-32-{uuid.uuid4().hex[:6]}"
    with tracer(probe, containers=[name]) as t:
        cid, path = start_under(containers, "docker", name,
                                deny("SCMP_ACT_ERRNO", archs=["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"]),
                                ["/w/sc", "mkdir32", "/tmp/a", "mkdir", "/tmp/b"], wdir)
        assert wait_exit(containers, "docker", cid) == 0
        assert "mkdir32: -1\nmkdir: -1" in logs("docker", cid)
        wait_for(lambda: len(of(t, name)) >= 2, timeout=30, what="both denials")
        t.stop()
    os.unlink(path)
    got = sorted((e["syscall"], e["nr"], e["arch"], e["first"]) for e in of(t, name))
    # the same name in two tables: each is a first
    assert got == [("mkdir", 39, "SCMP_ARCH_X86", True), ("mkdir", 83, "SCMP_ARCH_X86_64", True)], got


def test_host_processes_only_with_host_and_pid(probe, wdir):
    """A host process under a filter of its own: left out by default, shown with --host; -p keeps one pid."""
    sc = os.path.join(wdir, "sc")
    plain = tracer(probe)
    with_host = tracer(probe, host=True)
    other = f"gbh{uuid.uuid4().hex[:8]}"
    # a mkdir refused every 0.2 s for a minute
    p = subprocess.Popen([sc, "name", "gbt-sa-host", "filter", "83", "1"] +
                         ["mkdir", "/tmp/gbt-sa-h", "sleep", "200"] * 300, stdout=subprocess.DEVNULL)
    try:
        with plain, with_host:
            only = tracer(probe, "-p", str(p.pid), host=True)
            only.marker = "gbt-sa-host"  # ready: it sees the process's own events (the probe is another)
            only.probe = lambda m: None
            with only:
                run(sc, "name", other, "filter", "83", "1", "mkdir", "/tmp/gbt-sa-h2", check=False)
                wait_for(lambda: any(e["comm"] == other for e in with_host.events()), timeout=30, what="the other")
                time.sleep(1)
                only.stop()
            plain.stop()
            with_host.stop()
    finally:
        p.kill()
        p.wait()
    mine = [e for e in with_host.events() if e["pid"] == p.pid]
    assert mine and {(e["syscall"], e["action"], e["runtime"]["containerId"]) for e in mine} == \
        {("mkdir", "errno(EPERM)", "")}
    assert [e["first"] for e in mine] == [True] + [False] * (len(mine) - 1)
    assert not [e for e in plain.events() if e["comm"] in ("gbt-sa-host", other)]
    assert only.events() and {e["pid"] for e in only.events()} == {p.pid}


def test_syscall_action_fields_and_filter_options(container_runtimes, containers, probe, wdir):
    """--syscall and --action keep what they name, --fields and --filter shape the rows."""
    name = f"gbt-sa-f-{uuid.uuid4().hex[:6]}"
    prof = deny("SCMP_ACT_ERRNO", names=("mkdir", "mkdirat", "rmdir", "symlink", "symlinkat"))
    # no probe event passes --action kill: this one is started first, and is loaded by the time the others
    # have seen their probes
    kills = tracer(probe, "--action", "kill,trap,log", containers=[name])
    kills.proc = subprocess.Popen(gadgetbox_cmd("seccomp-audit", *kills.args, "-o", "json"),
                                  stdout=open(kills.out_path, "wb"), stderr=open(kills.err_path, "wb"))
    kinds = tracer(probe, "--syscall", "rmdir,mkdir", "--action", "errno,kill", containers=[name])
    # the probes' comm starts with gbr: they pass too
    shaped = tracer(probe, "--fields", "comm,syscall,action", "--filter", "comm~^(ln|gbr)", containers=[name])
    try:
        for t in (kinds, shaped):
            t.start()
        cid, path = start_under(containers, "docker", name, prof,
                                ["sh", "-c", "/w/sc mkdir /tmp/a mkdir /tmp/b; rmdir /tmp/nonesuch; ln -s a /tmp/l; "
                                 "true"], wdir)
        assert wait_exit(containers, "docker", cid) == 0
        wait_for(lambda: len(of(kinds, name)) >= 3, timeout=30, what="the mkdir and rmdir events")
        wait_for(lambda: [e for e in shaped.events() if e["comm"] == "ln"], timeout=30, what="the symlink event")
        time.sleep(1)
    finally:
        for t in (kinds, kills, shaped):
            t.stop()
            t.__exit__(None, None, None)
    os.unlink(path)
    got = of(kinds, name)
    assert [(e["syscall"], e["first"]) for e in got] == [("mkdir", True), ("mkdir", False), ("rmdir", True)], got
    assert of(kills, name) == []
    rows = [e for e in shaped.events() if e["comm"] != shaped.marker]
    assert rows == [{"comm": "ln", "syscall": "symlink", "action": "errno(EPERM)"}], rows


def test_summary_counts_per_container(container_runtimes, containers, probe, wdir):
    name = f"gbt-sa-s-{uuid.uuid4().hex[:6]}"
    t = tracer(probe, "--summary=0.5", containers=[name])
    with t:  # ready: the periodic table names the probe's comm as the first comm
        cid, path = start_under(containers, "docker", name, deny("SCMP_ACT_ERRNO"),
                                ["/w/sc", "mkdir", "/tmp/a", "mkdir", "/tmp/b", "mkdir", "/tmp/c"], wdir)
        assert wait_exit(containers, "docker", cid) == 0
        wait_for(lambda: any(r.get("container") == name and r["count"] == 3 for r in t.records()), timeout=30,
                 what="a summary row with 3 mkdirs")
        t.stop()
    os.unlink(path)
    rows = [r for r in t.records() if r.get("container") == name]
    assert rows[-1] == {"type": "summary", "timestamp": rows[-1]["timestamp"], "container": name,
                        "containerId": rows[-1]["containerId"], "syscall": "mkdir", "nr": 83,
                        "arch": "SCMP_ARCH_X86_64", "action": "errno(EPERM)", "count": 3, "firstComm": "sc"}
    # columns: the table at exit only
    r = subprocess.run(gadgetbox_cmd("seccomp-audit", "--summary", "--timeout", "1", "-c", name), capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.split()[:6] == ["CONTAINER", "SYSCALL", "ARCH", "ACTION", "COUNT",
                                                          "FIRST-COMM"], r


class Auditor:
    """seccomp-audit --suggest in the background; stop() gives (exit code, stdout, stderr)."""

    def __init__(self, *args):
        self.err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(gadgetbox_cmd("seccomp-audit", "--suggest", *args), stdout=subprocess.PIPE,
                                     stderr=self.err)
        wait_for(lambda: b"watching" in self.stderr() or self.proc.poll() is not None, timeout=30,
                 what="seccomp-audit to start")
        assert self.proc.poll() is None, self.stderr()

    def stderr(self):
        self.err.seek(0)
        return self.err.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        out, _ = self.proc.communicate(timeout=30)
        return self.proc.returncode, out.decode(), self.stderr().decode()


def test_the_loop_advise_enforce_audit_fix(container_runtimes, tmp_path):
    """seccomp-advise records a workload; under that profile the workload does one thing more and fails;
    seccomp-audit names the missing syscall, --suggest prints it, --base prints the fixed profile, which runs it."""
    name = f"gbt-sa-loop-{uuid.uuid4().hex[:6]}"
    work = "mkdir /tmp/w && echo data > /tmp/w/f && cat /tmp/w/f"
    more = work + " && ln -s f /tmp/w/l && cat /tmp/w/l"

    def engine_run(seccomp, cmd):
        r = run("docker", "run", "--name", name, "--network", "none", "--security-opt", f"seccomp={seccomp}",
                "gadgetbox-test/busybox:1", "sh", "-c", cmd, check=False, timeout=60)
        run("docker", "rm", "-f", name, check=False)
        return r.returncode, r.stdout + r.stderr

    rec_err = tempfile.TemporaryFile()
    rec = subprocess.Popen(gadgetbox_cmd("seccomp-advise", "-c", name), stdout=subprocess.PIPE, stderr=rec_err)
    try:
        wait_for(lambda: rec_err.seek(0) == 0 and b"recording" in rec_err.read(), timeout=30,
                 what="seccomp-advise to start")
        assert engine_run("unconfined", work) == (0, "data\n")
        time.sleep(1)
    finally:
        rec.send_signal(signal.SIGINT)
        out, _ = rec.communicate(timeout=30)
    profile = tmp_path / "advised.json"
    profile.write_bytes(out)
    assert "symlink" not in json.loads(out)["syscalls"][0]["names"]

    frag = Auditor("-c", name)
    fixed = Auditor("-c", name, "--base", str(profile))
    try:
        rc, text = engine_run(str(profile), more)
        assert rc != 0 and "data\n" in text and "Operation not permitted" in text, text
    finally:
        rc1, out1, err1 = frag.stop()
        rc2, out2, err2 = fixed.stop()
    assert rc1 == 0 and rc2 == 0, (err1, err2)
    assert json.loads(out1) == {"syscalls": [{"names": ["symlink"], "action": "SCMP_ACT_ALLOW"}]}, out1
    assert f"{name}: its profile must allow symlink" in err1
    doc = json.loads(out2)
    assert doc["defaultAction"] == "SCMP_ACT_ERRNO" and doc["syscalls"][-1] == {"names": ["symlink"],
                                                                                  "action": "SCMP_ACT_ALLOW"}
    path = tmp_path / "fixed.json"
    path.write_text(out2)
    assert engine_run(str(path), more) == (0, "data\ndata\n")


def test_suggest_with_nothing_denied_and_usage_errors(tmp_path):
    r = subprocess.run(gadgetbox_cmd("seccomp-audit", "--suggest", "--timeout", "1", "-c", "gbt-sa-none"),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout == "" and "no syscall was denied" in r.stderr, r
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    for args, msg in ((["--base", str(bad)], "--base goes with --suggest"),
                      (["--suggest", "--base", str(bad)], "not an OCI seccomp profile"),
                      (["--suggest", "--summary"], "choose one"),
                      (["--syscall", "mkdir,nosuchcall"], "'nosuchcall' is not a syscall"),
                      (["--action", "errno,deny"], "'deny' is not errno"),
                      (["--summary=0"], "not a number of seconds")):
        r = subprocess.run(gadgetbox_cmd("seccomp-audit", *args), capture_output=True, text=True, timeout=30)
        assert r.returncode == 2 and msg in r.stderr and len(r.stderr.strip().splitlines()) == 1, (args, r.stderr)
