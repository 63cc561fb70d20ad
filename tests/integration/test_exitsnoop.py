"""exitsnoop-k8s against the real kernel and real runtimes: every end with its code or signal and the cause
joined in (the sender and its container, the OOM killer with the cgroup's limit, a fault, seccomp), a
container's end line, --containers-only across a CRI pod's restarts, codes equal to strace's, and a fork bomb
whose every exit is reported or counted lost.

The crash workload (workloads/crash.c) is built static and bind-mounted into containers at /w.
"""
import json
import os
import re
import signal
import subprocess
import time
import uuid

import pytest

from conftest import Tracer, gadgetbox_cmd, static_workload, unique, wait_for
from runtimes import BUSYBOX, RUNTIMES, containers, cri, run  # noqa: F401 (fixtures)
from test_faults import stop_all_threads

HERE = os.path.dirname(os.path.abspath(__file__))
CRASH_SRC = os.path.join(HERE, "workloads", "crash.c")


@pytest.fixture(scope="module")
def crashdir():
    yield from static_workload(CRASH_SRC, "crash", "gb-exit-bin-")


def exit_tracer(*args, json_mode=True, host=True, names=None):
    """exitsnoop-k8s, ready once the end (exit 1, for -x) of a host process named after its marker shows (with
    --host); with --containers-only, once a container named after it ended (names: the -c list, with the
    probe's containers added)."""
    marker = "gbr-" + uuid.uuid4().hex[:8]  # a whole comm (at most 15 bytes)
    if names:
        args = ("-c", ",".join(names + [marker + "*"])) + args
    t = Tracer("exitsnoop-k8s", *args, json_mode=json_mode, host=host)
    t.marker = marker
    if "--containers-only" in args:
        t.probe = lambda marker: run("docker", "run", "--rm", "--network", "none", "--name", unique(marker),
                                     BUSYBOX, "true")
        return t
    link = os.path.join(t.dir, t.marker)
    os.symlink("/bin/false", link)
    t.probe = lambda marker: subprocess.run([link])
    return t


def named(events, name):
    """Events of the container named NAME (docker/podman name, or the CRI container name)."""
    return [e for e in events if e.get("runtime", {}).get("containerName") == name]


def end_of(events, name):
    ends = [e for e in named(events, name) if e["containerEnd"]]
    return ends[0] if ends else None


def wait_end(t, name, timeout=60):
    return wait_for(lambda: end_of(t.events(), name), timeout=timeout, what=f"the end of container {name}")


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_container_exit_code_is_its_end_line(containers, runtime):
    name = unique("gbt-exit-code")
    with exit_tracer("-c", name) as t:
        cid = containers.start(runtime, name, ["sh", "-c", "sleep 0.3; exit 3"])
        assert containers.wait(runtime, cid) == 3
        e = wait_end(t, name)
        t.stop()
    assert e["comm"] == "sh" and e["exitCode"] == 3 and e["cause"] == "exit"
    assert "signal" not in e and "sender" not in e
    assert e["runtime"]["containerId"] == cid
    assert e["age"] >= 0.3e9  # it ran at least its sleep
    # no other end line for it, and the host's probes are not its
    assert len([x for x in named(t.events(), name) if x["containerEnd"]]) == 1


@pytest.mark.parametrize("runtime", ["docker", "docker-crun", "podman"])
def test_stop_sigkill_after_grace_names_the_runtime(containers, runtime):
    """sleep as a container's init ignores SIGTERM (an init's default): the runtime kills it after the grace."""
    name = unique("gbt-exit-grace")
    engine = "docker" if runtime.startswith("docker") else "podman"
    with exit_tracer("-c", name) as t:
        cid = containers.start(runtime, name, ["sleep", "1000"])
        wait_for(lambda: containers.pid(runtime, cid), what="the container to run")
        run(engine, "stop", "-t", "1", cid)
        e = wait_end(t, name)
        t.stop()
    assert e["signal"] == "SIGKILL" and e["cause"] == "kill"
    assert e["sender"]["comm"] in ("runc", "crun") and e["sender"]["container"] == ""  # the host's runtime
    assert e["sender"]["pid"] != e["pid"]


def test_stop_sigterm_then_exit_is_a_graceful_stop(containers):
    """An init that handles SIGTERM and exits: exit 0 after SIGTERM from the runtime."""
    name = unique("gbt-exit-term")
    with exit_tracer("-c", name) as t:
        cid = containers.start("docker", name, ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.1; done"])
        wait_for(lambda: containers.pid("docker", cid), what="the container to run")
        time.sleep(0.5)  # its trap is set
        run("docker", "stop", "-t", "20", cid)
        e = wait_end(t, name)
        t.stop()
    assert e["exitCode"] == 0 and e["cause"] == "exit" and e["afterSignal"] == "SIGTERM"
    assert e["sender"]["comm"] == "runc" and e["sender"]["container"] == ""


def test_docker_stop_with_init_app_dies_of_sigterm_from_tini(containers):
    """docker --init: the runtime's SIGTERM reaches docker-init, which sends it on to the app (pid 2)."""
    name = unique("gbt-exit-tini")
    with exit_tracer("-c", name) as t:
        cid = containers.start("docker", name, ["sleep", "1000"], extra_args=["--init"])
        wait_for(lambda: containers.pid("docker", cid), what="the container to run")
        run("docker", "stop", "-t", "20", cid)
        e = wait_end(t, name)
        wait_for(lambda: [x for x in named(t.events(), name) if x["comm"] == "sleep"], what="sleep's end")
        t.stop()
    [app] = [x for x in named(t.events(), name) if x["comm"] == "sleep"]
    assert app["signal"] == "SIGTERM" and app["cause"] == "kill" and not app["containerEnd"]
    assert app["sender"]["comm"] == "docker-init" and app["sender"]["container"] == name
    assert app["sender"]["containerId"] == cid
    assert e["comm"] == "docker-init" and e["exitCode"] == 128 + 15


def test_docker_kill_hup_with_init(containers):
    name = unique("gbt-exit-hup")
    with exit_tracer("-c", name, "-x") as t:
        cid = containers.start("docker", name, ["sleep", "1000"], extra_args=["--init"])
        wait_for(lambda: containers.pid("docker", cid), what="the container to run")
        run("docker", "kill", "-s", "HUP", cid)
        e = wait_end(t, name)
        t.stop()
    [app] = [x for x in named(t.events(), name) if x["comm"] == "sleep"]
    assert app["signal"] == "SIGHUP" and app["sender"]["comm"] == "docker-init"
    assert e["exitCode"] == 128 + 1
    # -x: only failures (the runtime's own successful exits are not shown)
    assert all(x.get("exitCode", 1) != 0 for x in t.events())


@pytest.mark.parametrize("runtime", ["docker", "podman", "cri"])
def test_oom_kill_shows_rss_and_memory_limit(containers, runtime):
    """A container that allocates past its 32 MiB limit (a CRI pod's: the container config's memory limit, as the
    kubelet passes resources.limits.memory): its end line says oom, with the limit."""
    name = unique("gbt-exit-oom")
    if runtime == "cri":
        limit = {"memory_limit": 32 << 20}
    else:
        limit = {"extra_args": ["--memory", "32m", "--memory-swap", "32m"]}
    with exit_tracer("-c", name) as t:
        cid = containers.start(runtime, name, ["sh", "-c", "tail /dev/zero"], **limit)
        assert containers.wait(runtime, cid) == 137
        e = wait_end(t, name)
        t.stop()
    assert e["containerEnd"] and e["comm"] == "tail" and e["signal"] == "SIGKILL" and e["cause"] == "oom"
    if runtime == "cri":
        assert e["k8s"]["podName"] == name and e["k8s"]["containerName"] == name
    assert e["oom"]["memcgLimit"] == 32 << 20
    assert e["oom"]["memcgUsage"] > 30 << 20
    assert 16 << 10 < e["oom"]["rssKiB"] < 64 << 10
    assert "sender" not in e


def test_oom_end_line_in_columns(containers):
    name = unique("gbt-exit-oomc")
    with exit_tracer("--containers-only", json_mode=False, names=[name]) as t:
        cid = containers.start("docker", name, ["tail", "/dev/zero"], extra_args=["--memory", "32m",
                                                                                 "--memory-swap", "32m"])
        containers.wait("docker", cid)
        wait_for(lambda: name.encode() in t.raw(), what="the end line")
        t.stop()
    [line] = [l for l in t.lines() if name in l]
    assert re.search(r"\btail\b.*\bSIGKILL\s+oom\s+container ended after [0-9.]+s; rss [0-9.]+MiB, "
                     r"memory limit 32\.0MiB, usage 3[0-2]\.[0-9]MiB$", line), line
    assert t.lines()[0].split() == ["CONTAINER", "PCOMM", "PID", "PPID", "AGE(s)", "EXIT", "CAUSE", "DETAIL"]


@pytest.mark.parametrize("runtime", ["docker", "podman", "cri"])
def test_segfault_is_a_fault_at_its_address(containers, crashdir, runtime):
    name = unique("gbt-exit-segv")
    mount = {"mounts": [(crashdir, "/w")]} if runtime == "cri" else {"extra_args": ["-v", f"{crashdir}:/w:ro"]}
    with exit_tracer("-c", name) as t:
        cid = containers.start(runtime, name, ["sh", "-c", "/w/crash segv; exit 9"], **mount)
        containers.wait(runtime, cid)
        wait_end(t, name)
        t.stop()
    [e] = [x for x in named(t.events(), name) if x["comm"] == "crash"]
    assert e["signal"] == "SIGSEGV" and e["cause"] == "fault" and e["faultAddr"] == "0x0"
    assert e["signalCode"] == 1  # SEGV_MAPERR
    assert end_of(t.events(), name)["exitCode"] == 9


def test_abort_is_a_signal_of_its_own_making(containers, crashdir):
    name = unique("gbt-exit-abrt")
    with exit_tracer("-c", name) as t:
        # not as the container's init: an init ignores the signals it has no handler for, its own SIGABRT too
        cid = containers.start("docker", name, ["sh", "-c", "/w/crash abort; exit 9"],
                               extra_args=["-v", f"{crashdir}:/w:ro"])
        containers.wait("docker", cid)
        wait_end(t, name)
        t.stop()
    [e] = [x for x in named(t.events(), name) if x["comm"] == "crash"]
    assert e["signal"] == "SIGABRT" and e["cause"] == "self" and e["sender"]["pid"] == e["pid"]


@pytest.mark.parametrize("runtime", ["docker", "podman", "cri"])
def test_seccomp_kill_process_is_sigsys_with_the_syscall(containers, workdir, runtime):
    name = unique("gbt-exit-sys")
    profile = os.path.join(workdir, "kill-mkdir.json")
    with open(profile, "w") as f:
        json.dump({"defaultAction": "SCMP_ACT_ALLOW",
                   "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_KILL_PROCESS"}]}, f)
    with exit_tracer("-c", name) as t:
        profile_args = {"seccomp": profile} if runtime == "cri" else {
            "extra_args": ["--security-opt", f"seccomp={profile}"]}
        cid = containers.start(runtime, name, ["sh", "-c", "sleep 0.3; exec mkdir /tmp/nope"], **profile_args)
        containers.wait(runtime, cid)
        e = wait_end(t, name)
        t.stop()
    assert e["comm"] == "mkdir" and e["signal"] == "SIGSYS" and e["cause"] == "seccomp"
    assert e["syscall"] in ("mkdir", "mkdirat") and e["syscallNr"] in (83, 258)


def test_cri_pod_restarts_three_end_lines_in_order():
    """A crash-looping CRI container (re-created in its pod as the kubelet does, attempts 0..2): one end line per
    attempt, in order, each with its cause, and nothing else with --containers-only."""
    c = cri()
    pod = unique("gbt-exit-loop")

    def mine(t):
        return [e for e in t.events() if e["k8s"]["podName"] == pod]

    pod_id = c.run_pod(pod, "gbt-exit")
    try:
        with exit_tracer("--containers-only", names=["app"]) as t:
            ids = []
            for attempt, cmd in enumerate(["exit 1", "exit 2", "sleep 1000"]):
                cid = c.create_container(pod_id, None, "app", "gadgetbox-test/busybox:1", ["sh", "-c", cmd],
                                         attempt=attempt)
                c.start(cid)
                ids.append(cid)
                if attempt < 2:
                    c.wait(cid)
                else:
                    wait_for(lambda: c.pid(cid), what="the last attempt to run")
                    c.stop(cid, 0)  # SIGKILL from the runtime
                    c.wait(cid)
            wait_for(lambda: len(mine(t)) >= 3, what="three end lines")
            time.sleep(0.5)
            t.stop()
    finally:
        c.remove_pod(pod_id)
    ends = mine(t)
    assert [e["runtime"]["containerId"] for e in ends] == ids
    assert all(e["containerEnd"] and e["k8s"]["podName"] == pod and e["k8s"]["containerName"] == "app"
               for e in ends)
    assert ends[0]["exitCode"] == 1 and ends[1]["exitCode"] == 2
    assert ends[2]["signal"] == "SIGKILL" and ends[2]["cause"] == "kill" and ends[2]["sender"]["comm"] == "runc"


def tracer_pid(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"TracerPid:\s+(\d+)", f.read()).group(1))


def test_shell_children_codes_equal_strace(containers, workdir):
    """Exits of a container shell's children (not its init) are what strace -f reports for the same run."""
    name = unique("gbt-exit-strace")
    script = ("while [ ! -e /w/go ]; do sleep 0.05; done; (exit 3); (exit 0); sh -c 'exit 42'; "
              "sh -c 'kill -TERM $$'; sh -c 'kill -KILL $$'; (sleep 0.2 & wait); sh -c 'kill -USR1 $$'; exit 0")
    log = os.path.join(workdir, "strace.log")
    with exit_tracer("-c", name) as t:
        cid = containers.start("docker", name, ["sh", "-c", script], extra_args=["-v", f"{workdir}:/w"])
        pid = wait_for(lambda: containers.pid("docker", cid), what="the container to run")
        st = subprocess.Popen(["strace", "-f", "-e", "trace=none", "-o", log, "-p", str(pid)],
                              stderr=subprocess.DEVNULL)
        wait_for(lambda: tracer_pid(pid) == st.pid, what="strace to attach")
        open(os.path.join(workdir, "go"), "w").close()
        containers.wait("docker", cid, timeout=60)
        st.wait(30)
        wait_end(t, name)
        t.stop()
    expect = {}
    with open(log) as f:
        for line in f:
            m = re.match(r"(\d+)\s+\+\+\+ (?:exited with (\d+)|killed by (SIG\w+))", line)
            if m:
                expect[int(m.group(1))] = int(m.group(2)) if m.group(2) else m.group(3)
    assert {3, 42, "SIGTERM", "SIGKILL", "SIGUSR1"} <= set(expect.values()), expect
    got = {e["pid"]: e.get("exitCode", e.get("signal")) for e in named(t.events(), name) if e["pid"] in expect}
    assert got == expect


def test_fork_bomb_every_exit_reported_or_counted(containers):
    n = 5000
    name = unique("gbt-exit-bomb")
    script = f"i=0; while [ $i -lt {n} ]; do (exit 7); i=$((i+1)); done"
    with exit_tracer("-c", name) as t:
        cid = containers.start("docker", name, ["sh", "-c", script])
        assert containers.wait("docker", cid, timeout=300) == 0
        wait_end(t, name, timeout=60)
        t.stop()
    got = [e for e in named(t.events(), name) if e.get("exitCode") == 7]
    lost = sum(r["lost"] for r in t.records() if r.get("type") == "lost")
    assert len(got) == len({e["pid"] for e in got})  # each once
    if lost == 0:
        assert len(got) == n
    else:  # every loss counted: what is missing is in the count (the count may include the runtime's exits)
        assert n - len(got) <= lost <= n - len(got) + 4, (len(got), lost)


def test_threads_pid_and_time_options(crashdir):
    """-p PID -T: the ends of that process's threads and its own end, nothing else; -t is accepted."""
    marker = "gbr-" + uuid.uuid4().hex[:8]
    link = os.path.join(crashdir, marker)
    os.symlink(os.path.join(crashdir, "crash"), link)
    target = subprocess.Popen([link, "wait"])
    # its SIGUSR1 handler is set (before that, the probe's SIGUSR1 would end it)
    wait_for(lambda: int(re.search(r"SigCgt:\s+([0-9a-f]+)", open(f"/proc/{target.pid}/status").read()).group(1),
                         16) & (1 << (signal.SIGUSR1 - 1)), what="the target's handler")
    try:
        t = Tracer("exitsnoop-k8s", "-p", str(target.pid), "-T", "-t", host=True)
        t.marker = marker  # a thread of the target ending (its comm is the target's)
        t.probe = lambda m: os.kill(target.pid, signal.SIGUSR1)
        with t:
            subprocess.run(["sh", "-c", "exit 4"])
            target.terminate()
            target.wait()
            wait_for(lambda: [e for e in t.events() if not e["thread"]], what="the process's end")
            t.stop()
    finally:
        target.kill()
        os.unlink(link)
    threads = [e for e in t.events() if e["thread"]]
    [proc] = [e for e in t.events() if not e["thread"]]
    assert threads and all(e["pid"] == target.pid and e["tid"] != target.pid and e["exitCode"] == 0
                           for e in threads)
    assert proc["pid"] == proc["tid"] == target.pid and proc["signal"] == "SIGTERM"
    assert proc["sender"]["pid"] == os.getpid() and proc["sender"]["comm"] == "python3"


def test_threads_of_a_process_each_end(crashdir):
    crash = os.path.join(crashdir, "crash")
    with exit_tracer("--threads") as t:
        p = subprocess.run([crash, "threads", "3", "5"])
        assert p.returncode == 5
        wait_for(lambda: [e for e in t.events() if e["comm"] == "crash" and not e["thread"]], what="its end")
        t.stop()
    mine = [e for e in t.events() if e["comm"] == "crash"]
    [proc] = [e for e in mine if not e["thread"]]
    threads = [e for e in mine if e["thread"] and e["pid"] == proc["pid"]]
    assert len(threads) == 3 and all(e["tid"] != proc["pid"] for e in threads)
    assert proc["exitCode"] == 5 and proc["tid"] == proc["pid"]


@pytest.fixture
def probe_container(containers, workdir):
    """A running container in which `probe(marker)` runs /w/MARKER (busybox, no such applet: it exits 127)."""
    name = unique("gbt-exit-probe")
    cid = containers.start("docker", name, ["sleep", "1000"], extra_args=["-v", f"{workdir}:/w"])
    wait_for(lambda: containers.pid("docker", cid), what="the probe container to run")

    def probe(marker):
        link = os.path.join(workdir, marker)
        if not os.path.lexists(link):
            os.symlink("/bin/busybox", link)
        run("docker", "exec", cid, "/w/" + marker, check=False)
    return name, probe


def test_host_processes_hidden_by_default(containers, probe_container):
    probe_name, probe = probe_container
    name = unique("gbt-exit-def")
    t = Tracer("exitsnoop-k8s", host=False)
    t.marker = "gbr-" + uuid.uuid4().hex[:8]
    t.probe = probe
    with t:
        subprocess.run(["sh", "-c", "exit 6"])
        cid = containers.start("docker", name, ["sh", "-c", "exit 6"])
        containers.wait("docker", cid)
        wait_end(t, name)
        t.stop()
    # containers only (other containers of the node may end meanwhile): the host's sh is not there
    assert all(e["runtime"]["containerName"] and e["runtime"]["containerId"] for e in t.events())
    assert [e["exitCode"] for e in t.events() if e.get("exitCode") == 6] == [6]
    [marker] = [e for e in t.events() if e["comm"] == t.marker][:1]
    assert marker["exitCode"] == 127 and not marker["containerEnd"]


def test_time_fields_and_filter_in_columns(containers):
    name = unique("gbt-exit-cols")
    with exit_tracer("-t", "--fields", "time,container,comm,exit,cause", "--filter", "cause==exit",
                     json_mode=False) as t:
        cid = containers.start("docker", name, ["sh", "-c", "exit 5"])
        containers.wait("docker", cid)
        wait_for(lambda: re.search(rb"\bsh\s+5\b", t.raw()), what="its line")
        t.stop()
    assert t.lines()[0].split() == ["TIME", "CONTAINER", "PCOMM", "EXIT", "CAUSE"]
    [line] = [l for l in t.lines() if name in l and " sh " in l]
    assert re.match(r"\d\d:\d\d:\d\d\s+" + re.escape(name) + r"\s+sh\s+5\s+exit$", line), line


def test_bad_options_are_usage_errors():
    for args in (["-p", "0"], ["-p", "x"], ["--nope"]):
        r = subprocess.run(gadgetbox_cmd("exitsnoop-k8s", *args), capture_output=True, text=True, timeout=20)
        assert r.returncode == 2 and r.stderr.count("\n") == 1, (args, r.stderr)


def test_bcc_name_runs_the_applet(workdir):
    link = os.path.join(workdir, "exitsnoop")
    os.symlink(os.path.abspath(gadgetbox_cmd("x")[0]), link)
    r = subprocess.run([link, "--help"], capture_output=True, text=True, timeout=20)
    assert r.returncode == 0 and "--containers-only" in r.stdout


def test_core_dump_is_shown(crashdir, workdir):
    """A segfault with core dumps on (ulimit -c, core_pattern "core" here): coreDumped, and "(core)" in columns."""
    with open("/proc/sys/kernel/core_pattern") as f:
        if f.read().startswith("|"):
            pytest.skip("core_pattern pipes cores to a program: whether one is written is its business")
    crash = os.path.join(crashdir, "crash")
    with exit_tracer(json_mode=False) as t:
        subprocess.run(["sh", "-c", f"ulimit -c unlimited; cd {workdir}; exec {crash} segv"])
        wait_for(lambda: re.search(rb"\bcrash\b.*SIGSEGV", t.raw()), what="the crash")
        t.stop()
    [line] = [l for l in t.lines() if re.search(r"\bcrash\b", l)]
    assert re.search(r"SIGSEGV\(core\)\s+fault\s+at 0x0$", line), line
    assert any(n.startswith("core") for n in os.listdir(workdir))


@pytest.mark.parametrize("runtime", ["docker", "cri"])
def test_end_of_a_container_over_while_the_tracer_was_stopped(containers, runtime):
    """exitsnoop-k8s is SIGSTOPped while a container runs `exit 3` and ends (docker's is removed too): when it
    runs again neither the container's process nor its state is left, yet the end line is there, with its exit
    code and its container's id (from the cgroup the kernel saw its first exec in; test_short_containers.py)."""
    name = unique("gbt-exit-stopped")
    kw = {"host_network": False} if runtime == "cri" else {}
    with exit_tracer("--containers-only") as t:
        stop_all_threads(t.proc)
        try:
            cid = containers.start(runtime, name, ["sh", "-c", "cat /proc/self/stat >/dev/null; exit 3"], **kw)
            assert containers.wait(runtime, cid, timeout=60) == 3
            if runtime == "docker":
                containers.remove(runtime, cid)
        finally:
            t.proc.send_signal(signal.SIGCONT)
        ends = wait_for(lambda: [e for e in t.events() if e["runtime"]["containerId"] == cid and e["containerEnd"]],
                        timeout=30, what="the end line of the stopped-through container")
        t.stop()
    assert len(ends) == 1 and ends[0]["exitCode"] == 3 and ends[0]["comm"] == "sh", (ends, t.stderr())
