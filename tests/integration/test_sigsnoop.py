"""sigsnoop-k8s against the real kernel and real runtimes: every signal sent to or by a container's process,
with both ends' containers (or the kernel), its result and reason: the runtime's stop and kill, OOM kills as
SIGKILL from the kernel with reason oom, faults, seccomp, a pid namespace's end, failed kill()s, and the
BCC flags (-x, -k, -s, -p, -n) and -T.
"""
import json
import os
import re
import signal
import subprocess
import uuid

import pytest

from conftest import Tracer, gadgetbox_cmd, static_workload, unique, wait_for
from runtimes import containers, run  # noqa: F401 (fixtures)

HERE = os.path.dirname(os.path.abspath(__file__))
CRASH_SRC = os.path.join(HERE, "workloads", "crash.c")


@pytest.fixture(scope="module")
def crashdir():
    yield from static_workload(CRASH_SRC, "crash", "gb-sig-bin-")


def sig_tracer(*args, json_mode=True, target=None, applet="sigsnoop-k8s"):
    """sigsnoop-k8s (with --host), ready once a host shell named after its marker sent SIGWINCH (to itself, or
    to process TARGET) and that shows."""
    t = Tracer(applet, *args, json_mode=json_mode, host=True)
    t.marker = "gbr-" + uuid.uuid4().hex[:8]  # a whole comm
    link = os.path.join(t.dir, t.marker)
    os.symlink("/bin/dash", link)
    dest = str(target) if target else "$$"
    t.probe = lambda marker: subprocess.run([link, "-c", f"kill -WINCH {dest}"])
    return t


def to(events, name):
    """Signals whose target is in the container named NAME."""
    return [e for e in events if e.get("target", {}).get("container") == name]


def sender_in(events, name):
    return [e for e in events if e.get("runtime", {}).get("containerName") == name]


@pytest.mark.parametrize("runtime", ["docker", "podman"])
def test_runtime_stop_sigterm_ignored_by_init_then_sigkill(containers, runtime):
    name = unique("gbt-sig-stop")
    engine = "docker" if runtime == "docker" else "podman"
    with sig_tracer("-c", name) as t:
        cid = containers.start(runtime, name, ["sleep", "1000"])
        pid = wait_for(lambda: containers.pid(runtime, cid), what="the container to run")
        run(engine, "stop", "-t", "1", cid)
        wait_for(lambda: [e for e in to(t.events(), name) if e["signal"] == "SIGKILL"], what="the SIGKILL")
        t.stop()
    evs = [e for e in to(t.events(), name) if e["signal"] in ("SIGTERM", "SIGKILL")]
    assert [(e["signal"], e["result"]) for e in evs] == [("SIGTERM", "ignored"), ("SIGKILL", "delivered")]
    for e in evs:
        assert e["target"]["pid"] == pid and e["target"]["comm"] == "sleep"
        assert e["target"]["containerId"] == cid
        assert e["comm"] in ("runc", "crun") and e["runtime"]["containerName"] == ""  # the host's runtime
        assert e["reason"] == "kill" and not e["fromKernel"]
        # runc kill()s, crun uses a pidfd
        assert (e["kill"]["syscall"], e["kill"]["pid"] == pid) in (("kill", True), ("pidfd_send_signal", False))


def test_docker_kill_hup_ignored_by_init_delivered_to_a_handler(containers):
    plain, trapping = unique("gbt-sig-hup"), unique("gbt-sig-huptrap")
    with sig_tracer("-c", f"{plain},{trapping}", "-s", "HUP,WINCH") as t:
        a = containers.start("docker", plain, ["sleep", "1000"])
        b = containers.start("docker", trapping, ["sh", "-c", "trap 'echo hup' HUP; while :; do sleep 0.1; done"])
        for cid in (a, b):
            wait_for(lambda: containers.pid("docker", cid), what="the container to run")
        wait_for(lambda: "sh" in run("docker", "top", b).stdout, what="the trap to be set")
        for cid in (a, b):
            run("docker", "kill", "-s", "HUP", cid)
        wait_for(lambda: to(t.events(), plain) and to(t.events(), trapping), what="both HUPs")
        t.stop()
    [p] = to(t.events(), plain)
    [q] = [e for e in to(t.events(), trapping) if e["target"]["comm"] == "sh"]
    assert p["signal"] == q["signal"] == "SIGHUP"
    assert p["result"] == "ignored" and q["result"] == "delivered" and not q["blocked"]
    assert all(e["signal"] in ("SIGHUP", "SIGWINCH") for e in t.events())


def test_oom_kill_is_sigkill_from_the_kernel_reason_oom(containers):
    name = unique("gbt-sig-oom")
    with sig_tracer("-c", name, "-s", "KILL,WINCH") as t:
        cid = containers.start("docker", name, ["sh", "-c", "tail /dev/zero"],
                               extra_args=["--memory", "32m", "--memory-swap", "32m"])
        assert containers.wait("docker", cid) == 137
        wait_for(lambda: [e for e in to(t.events(), name) if e["reason"] == "oom"], what="the OOM kill")
        t.stop()
    [e] = [e for e in to(t.events(), name) if e["reason"] == "oom"]
    assert e["signal"] == "SIGKILL" and e["fromKernel"] and e["result"] == "delivered"
    assert e["target"]["comm"] == "tail" and e["signalCode"] == 128  # SI_KERNEL
    assert e["oom"]["memcgLimit"] == 32 << 20 and e["oom"]["rssKiB"] > 16 << 10


def test_oom_kill_columns_say_kernel(containers):
    name = unique("gbt-sig-oomc")
    with sig_tracer("-c", name, "-T", json_mode=False) as t:
        cid = containers.start("docker", name, ["tail", "/dev/zero"], extra_args=["--memory", "32m",
                                                                                 "--memory-swap", "32m"])
        containers.wait("docker", cid)
        wait_for(lambda: b" oom " in t.raw(), what="the OOM line")
        t.stop()
    assert t.lines()[0].split() == ["CONTAINER", "TIME", "PID", "SENDER", "SIG", "TPID", "TCOMM", "TCONTAINER",
                                    "RESULT", "REASON", "DETAIL"]
    [line] = [l for l in t.lines() if " oom " in l]
    assert re.search(r"\d\d:\d\d:\d\d\s+-\s+kernel\s+SIGKILL\s+\d+\s+tail\s+" + re.escape(name) +
                     r"\s+delivered\s+oom\s+rss [0-9.]+MiB, memory limit 32\.0MiB, usage 3[0-2]\.[0-9]MiB$",
                     line), line


def test_signals_inside_a_container_fault_and_pidns(containers, crashdir):
    """A shell kills its child (both in the container), a child faults (the kernel), and when the runtime
    kills the init the kernel ends the rest of its pid namespace."""
    name = unique("gbt-sig-in")
    script = "sleep 1000 & sleep 0.3; kill -USR1 $!; /w/crash segv; sleep 1001 & wait"
    with sig_tracer("-c", name) as t:
        cid = containers.start("docker", name, ["sh", "-c", script], extra_args=["-v", f"{crashdir}:/w:ro"])
        wait_for(lambda: [e for e in to(t.events(), name) if e["signal"] == "SIGSEGV"], what="the fault")
        run("docker", "kill", cid)
        wait_for(lambda: [e for e in to(t.events(), name) if e["reason"] == "pidns"], what="the pid namespace end")
        t.stop()
    evs = to(t.events(), name)
    [usr1] = [e for e in evs if e["signal"] == "SIGUSR1"]
    assert usr1["comm"] == "sh" and usr1["runtime"]["containerName"] == name and usr1["target"]["comm"] == "sleep"
    assert usr1["reason"] == "kill" and usr1["result"] == "delivered"
    [segv] = [e for e in evs if e["signal"] == "SIGSEGV"]
    assert segv["fromKernel"] and segv["reason"] == "fault" and segv["faultAddr"] == "0x0"
    assert segv["target"]["comm"] == "crash" and segv["signalCode"] == 1
    [kill] = [e for e in evs if e["signal"] == "SIGKILL" and e["reason"] == "kill"]
    assert kill["target"]["comm"] == "sh" and kill["comm"] == "runc"
    [pidns] = [e for e in evs if e["reason"] == "pidns"]
    assert pidns["target"]["comm"] == "sleep" and pidns["fromKernel"]


def test_seccomp_kill_is_sigsys_reason_seccomp(containers, workdir):
    name = unique("gbt-sig-sys")
    profile = os.path.join(workdir, "kill-mkdir.json")
    with open(profile, "w") as f:
        json.dump({"defaultAction": "SCMP_ACT_ALLOW",
                   "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_KILL_PROCESS"}]}, f)
    with sig_tracer("-c", name) as t:
        cid = containers.start("docker", name, ["sh", "-c", "sleep 0.3; exec mkdir /tmp/nope"],
                               extra_args=["--security-opt", f"seccomp={profile}"])
        containers.wait("docker", cid)
        wait_for(lambda: [e for e in to(t.events(), name) if e["signal"] == "SIGSYS"], what="the SIGSYS")
        t.stop()
    [e] = [e for e in to(t.events(), name) if e["signal"] == "SIGSYS"]
    assert e["reason"] == "seccomp" and e["fromKernel"] and e["syscall"] in ("mkdir", "mkdirat")
    assert e["target"]["comm"] == "mkdir"


def test_failed_only_shows_failed_kill_and_undelivered(containers):
    name = unique("gbt-sig-fail")
    with sig_tracer("-c", name, "-x") as t:
        cid = containers.start("docker", name, ["sh", "-c", "kill -TERM 999999; kill -USR2 $$; exit 0"])
        containers.wait("docker", cid)
        wait_for(lambda: [e for e in sender_in(t.events(), name) if e["signal"] == "SIGUSR2"], what="the USR2")
        t.stop()
    evs = sender_in(t.events(), name)
    [failed] = [e for e in evs if e["result"] == "failed"]
    assert failed["signal"] == "SIGTERM" and failed["kill"]["pid"] == 999999 and failed["kill"]["error"] == "ESRCH"
    assert "target" not in failed and failed["comm"] == "sh"
    [usr2] = [e for e in evs if e["signal"] == "SIGUSR2"]
    assert usr2["result"] == "ignored"  # the container's init has no handler for it
    assert all(e["result"] != "delivered" for e in t.events())


def test_kill_only_and_blocked(crashdir):
    """-k: what kill(), tkill() and tgkill() sent (a fault is not); a blocked signal is marked."""
    crash = os.path.join(crashdir, "crash")
    blocker = subprocess.Popen(["python3", "-c", "import signal, time\n"
                                "signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR2])\n"
                                "print('ready', flush=True)\ntime.sleep(1000)"], stdout=subprocess.PIPE, text=True)
    try:
        assert blocker.stdout.readline() == "ready\n"
        with sig_tracer("-k", "-p", str(blocker.pid), target=blocker.pid) as t:
            subprocess.run([crash, "segv"])
            os.kill(blocker.pid, signal.SIGUSR2)
            wait_for(lambda: [e for e in t.events() if e["signal"] == "SIGUSR2"], what="the USR2")
            t.stop()
    finally:
        blocker.kill()
        blocker.wait()
    [e] = [e for e in t.events() if e["signal"] == "SIGUSR2"]
    assert e["blocked"] and e["result"] == "delivered" and e["target"]["pid"] == blocker.pid
    assert e["pid"] == os.getpid() and e["kill"]["syscall"] == "kill"
    assert all(e["kill"]["syscall"] and e["target"]["pid"] == blocker.pid for e in t.events())
    assert not [e for e in t.events() if e["signal"] == "SIGSEGV"]


def test_name_filter_and_tgkill(crashdir):
    """-n: sender's or target's name; abort() is a tgkill() to itself."""
    name = "gbn-" + uuid.uuid4().hex[:6]
    link = os.path.join(crashdir, name)
    os.symlink(os.path.join(crashdir, "crash"), link)
    try:
        t = sig_tracer("-n", "gb")
        t.marker = "gbr-" + t.marker[4:]  # the probe's name contains "gb" too
        with t:
            subprocess.run([link, "abort"])
            subprocess.run(["sh", "-c", "kill -USR1 $$"])
            wait_for(lambda: [e for e in t.events() if e["comm"] == name], what="the abort")
            t.stop()
    finally:
        os.unlink(link)
    [e] = [e for e in t.events() if e["comm"] == name and e["signal"] == "SIGABRT"]
    assert e["reason"] == "self" and e["kill"]["syscall"] == "tgkill" and e["target"]["comm"] == name
    assert all("gb" in e["comm"] or "gb" in e["target"]["comm"] for e in t.events())


def test_bad_signal_is_a_usage_error():
    for args in (["-s", "NOPE"], ["-s", "65"], ["-s", ""], ["-p", "-1"]):
        r = subprocess.run(gadgetbox_cmd("sigsnoop-k8s", *args), capture_output=True, text=True, timeout=20)
        assert r.returncode == 2 and r.stderr.count("\n") == 1, (args, r.stderr)
    r = subprocess.run(gadgetbox_cmd("sigsnoop-k8s", "-s", "NOPE"), capture_output=True, text=True, timeout=20)
    assert "unknown signal 'NOPE'" in r.stderr


def test_bcc_name_runs_the_applet(workdir):
    link = os.path.join(workdir, "sigsnoop")
    os.symlink(os.path.abspath(gadgetbox_cmd("x")[0]), link)
    r = subprocess.run([link, "--help"], capture_output=True, text=True, timeout=20)
    assert r.returncode == 0 and "--kill" in r.stdout


def test_killsnoop_is_sigsnoop_of_the_kill_syscalls(crashdir, workdir):
    """BCC's killsnoop traces what kill() sends: `gadgetbox killsnoop` (and a link of that name) is sigsnoop-k8s -k.
    A fault's SIGSEGV (no kill syscall) is left out; a shell's kill -USR1 to itself is shown."""
    link = os.path.join(workdir, "killsnoop")
    os.symlink(os.path.abspath(gadgetbox_cmd("x")[0]), link)
    r = subprocess.run([link, "--help"], capture_output=True, text=True, timeout=20)
    assert r.returncode == 0 and "--kill" in r.stdout
    with sig_tracer(applet="killsnoop") as t:
        subprocess.run([os.path.join(crashdir, "crash"), "segv"])
        subprocess.run(["sh", "-c", "kill -USR1 $$"])
        wait_for(lambda: [e for e in t.events() if e["signal"] == "SIGUSR1"], what="the USR1")
        t.stop()
    [e] = [e for e in t.events() if e["signal"] == "SIGUSR1"]
    assert e["reason"] == "self" and e["kill"]["syscall"] == "kill"
    assert not [e for e in t.events() if e["signal"] == "SIGSEGV"]
    assert all(e.get("kill", {}).get("syscall") for e in t.events()), t.events()
