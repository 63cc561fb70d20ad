"""pssnap: the processes of every container from one pass of iter/task, equal to ps run inside the container."""
import json
import os
import re
import signal
import subprocess
import threading
import time
import uuid

import pytest

from conftest import gadgetbox_cmd, wait_for
from runtimes import RUNTIMES, container_runtimes, containers, cri_pod  # noqa: F401 (fixtures)

# sh (PID 1 in the container) with two sleeps it started and a third one in a subshell
FAMILY = ["sh", "-c", "trap 'exit 0' TERM; sleep 1001 & sleep 1002 & (sleep 1003; true) & while :; do sleep 1; done"]


def pssnap(*args, check=True):
    r = subprocess.run(gadgetbox_cmd("pssnap", *args), capture_output=True, timeout=60)
    if check:
        assert r.returncode == 0, r.stderr
    return r


def snap_json(*args):
    r = pssnap("-o", "json", *args)
    return [json.loads(l) for l in r.stdout.decode().splitlines() if l and "type" not in json.loads(l)]


def ps_inside(pid):
    """(pid, comm, state) of every process as ps shows them inside the container's pid namespace."""
    out = subprocess.run(["nsenter", "-t", str(pid), "-p", "-m", "--", "ps", "-o", "pid,comm,stat"],
                         capture_output=True, text=True, check=True, timeout=20).stdout
    rows = set()
    for line in out.splitlines()[1:]:
        f = line.split()
        if f and f[1] != "ps":  # not ps itself
            rows.add((int(f[0]), f[1], f[2][0]))
    return rows


def host_pids_in_mntns(mntns):
    pids = set()
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if os.stat(f"/proc/{d}/ns/mnt").st_ino == mntns:
                    pids.add(int(d))
            except OSError:
                pass
    return pids


def wait_family(containers, runtime, cid):
    pid = containers.pid(runtime, cid)
    wait_for(lambda: len(ps_inside(pid)) >= 5, timeout=15, what="the container's processes")
    return pid


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_process_set_equals_ps_inside_the_container(containers, runtime):
    name = f"gbt-ps-{uuid.uuid4().hex[:8]}"
    cid = containers.start(runtime, name, FAMILY)
    pid = wait_family(containers, runtime, cid)
    evs = snap_json("-c", name)
    inside = ps_inside(pid)
    # the same processes, by their pid inside the container, with the same names and states
    got = {(e["nspid"], e["comm"], e["state"]) for e in evs if e["comm"] != "nsenter"}
    assert got == inside, (got, inside)
    # and by host pid: exactly the processes in the container's mount namespace (as /proc says)
    mntns = os.stat(f"/proc/{pid}/ns/mnt").st_ino
    assert {e["pid"] for e in evs} == host_pids_in_mntns(mntns)
    for e in evs:
        assert e["runtime"]["containerId"] == cid and e["mountnsid"] == mntns
        assert e["tid"] == e["pid"] and e["uid"] == 0
        assert e["startTime"] <= e["timestamp"] and e["threads"] == 1
    [init] = [e for e in evs if e["nspid"] == 1]
    assert init["pid"] == pid and init["comm"] == "sh"
    assert {e["ppid"] for e in evs if e["comm"] == "sleep" and e["nspid"] != 1} <= {pid} | {e["pid"] for e in evs}
    if runtime == "cri":  # the pod sandbox (pause) is not a container of its own
        assert not [e for e in snap_json() if e["runtime"]["containerId"] == cri_pod(cid)]


def test_tree_puts_children_under_their_parent(containers):
    name = f"gbt-pst-{uuid.uuid4().hex[:8]}"
    cid = containers.start("docker", name, FAMILY)
    pid = wait_family(containers, "docker", cid)
    evs = snap_json("-c", name)
    [sub] = [e["pid"] for e in evs if e["comm"] == "sh" and e["ppid"] == pid]  # the ( ... ) subshell
    [grandchild] = [e["pid"] for e in evs if e["ppid"] == sub and e["comm"] == "sleep"]
    lines = pssnap("--tree", "-c", name).stdout.decode().splitlines()
    assert lines[0].split()[-1] == "COMMAND"
    col = lines[0].index("COMMAND")
    tree = {int(l.split()[1]): l[col:] for l in lines[1:]}
    assert set(tree) == {e["pid"] for e in evs}
    assert tree[pid] == "sh"  # the root, not indented
    assert tree[sub] == "  \u2514\u2500 sh" and tree[grandchild] == "    \u2514\u2500 sleep"
    # each child comes after its parent, before the parent's next sibling's subtree
    order = [int(l.split()[1]) for l in lines[1:]]
    assert order[0] == pid and order.index(grandchild) == order.index(sub) + 1


def test_threads_lists_every_thread_of_a_process():
    stop = threading.Event()
    workers = [threading.Thread(target=stop.wait) for _ in range(3)]
    for w in workers:
        w.start()
    try:
        me = os.getpid()
        evs = snap_json("--host", "-T", "-p", str(me))
        tids = {int(t) for t in os.listdir(f"/proc/{me}/task")}
        assert {e["tid"] for e in evs} == tids and len(tids) >= 4
        assert all(e["pid"] == me and e["threads"] == len(tids) for e in evs)
        # without -T: the process once
        [e] = snap_json("--host", "-p", str(me))
        assert e["tid"] == me
    finally:
        stop.set()
        for w in workers:
            w.join()


def test_stopped_and_zombie_processes_show_their_state(containers):
    name = f"gbt-psz-{uuid.uuid4().hex[:8]}"
    # a subshell that exits at once and is never reaped (PID 1 becomes busybox sleep, which does not reap),
    # and a sleep we stop
    cid = containers.start("docker", name, ["sh", "-c", "sleep 1000 & (exit 0) & exec sleep 1001"])
    pid = containers.pid("docker", cid)

    def snap():
        return snap_json("-c", name)
    wait_for(lambda: [e for e in snap() if e["state"] == "Z"], timeout=15, what="a zombie")
    [zombie] = [e for e in snap() if e["state"] == "Z"]
    assert zombie["ppid"] == pid and zombie["runtime"]["containerId"] == cid  # counted in its parent's container
    [sleeper] = [e["pid"] for e in snap() if e["state"] == "S" and e["pid"] != pid]
    os.kill(sleeper, signal.SIGSTOP)
    try:
        wait_for(lambda: [e for e in snap() if e["pid"] == sleeper and e["state"] == "T"], timeout=10,
                 what="a stopped process")
        # ps inside agrees on every process's state
        assert ps_inside(pid) == {(e["nspid"], e["comm"], e["state"]) for e in snap()}
    finally:
        os.kill(sleeper, signal.SIGCONT)


def test_uid_and_pid_filters():
    p = subprocess.Popen(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "sleep", "60"])
    try:
        wait_for(lambda: open(f"/proc/{p.pid}/comm").read().strip() == "sleep", what="sleep")
        evs = snap_json("--host", "-u", "65534")
        assert p.pid in {e["pid"] for e in evs} and all(e["uid"] == 65534 for e in evs)
        [e] = snap_json("--host", "-p", str(p.pid))
        assert e["comm"] == "sleep" and e["uid"] == 65534 and e["gid"] == 65534 and e["ppid"] == os.getpid()
        assert e["runtime"]["containerId"] == "" and e["nspid"] == p.pid
    finally:
        p.kill()
        p.wait()


def test_host_processes_only_with_host_and_columns_fit_their_content(containers):
    me = os.getpid()
    assert me not in {e["pid"] for e in snap_json()}
    assert me in {e["pid"] for e in snap_json("--host")}
    name = f"gbt-psw-{uuid.uuid4().hex[:4]}-" + "x" * 40  # a long name: the columns widen to fit it
    containers.start("docker", name, ["/pause"])
    out = pssnap("-c", name).stdout.decode().splitlines()
    assert len(out) == 2
    header, row = out
    assert row.startswith(name + " ") and header.index("PID") == len(name) + 1


def test_unknown_flag_and_bad_pid_are_usage_errors():
    for args in (["--bogus"], ["-p", "0"], ["-u", "x"]):
        r = pssnap(*args, check=False)
        assert r.returncode == 2 and r.stderr.count(b"\n") == 1, (args, r.stderr)


TIME_OF_DAY = re.compile(r"^\d\d:\d\d:\d\d$")


def test_start_of_fresh_processes_is_a_time_never_a_date():
    """Processes forked during the pass (a fork storm on the host) show their START as a time of day: start
    times and the snapshot's "now" come from one clock, and "now" is read after the pass."""
    storm = subprocess.Popen(["sh", "-c", "while :; do /bin/true & /bin/true; sleep 0.001 & done"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        fresh = 0
        for _ in range(15):
            out = pssnap("--host", "--fields", "pid,start,starttime").stdout.decode().splitlines()
            now = time.time_ns()
            for line in out[1:]:
                pid, start, start_ns = line.split()
                if now - int(start_ns) < 60e9:
                    fresh += 1
                    assert TIME_OF_DAY.match(start), line
    finally:
        os.killpg(storm.pid, signal.SIGKILL)
        storm.wait()
    assert fresh > 30


def cmdline(pid):
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return [a.decode("utf-8", "surrogateescape") for a in f.read().split(b"\0")[:-1]]


def test_args_rss_and_cpu_time_like_ps(containers):
    name = f"gbt-psa-{uuid.uuid4().hex[:8]}"
    cid = containers.start("docker", name, FAMILY)
    wait_family(containers, "docker", cid)
    evs = snap_json("-c", name)
    assert len(evs) >= 5
    for e in evs:  # the command line as /proc/PID/cmdline has it (a process that exited since is skipped)
        try:
            want = cmdline(e["pid"])
        except FileNotFoundError:
            continue
        assert e["args"] == want, (e, want)
        assert e["rss"] > 0 and "cpuTime" in e
    # a process of the host that burned CPU in two threads: TIME is its threads' total, RSS its VmRSS
    burn = ("import threading,time,sys\n"
            "def f():\n t=time.thread_time()\n while time.thread_time()-t<0.4: pass\n"
            "ts=[threading.Thread(target=f) for _ in range(2)]\n[t.start() for t in ts]\n[t.join() for t in ts]\n"
            "print(flush=True)\nsys.stdin.read()\n")
    p = subprocess.Popen(["/usr/bin/python3", "-c", burn, "gbt-marker-arg"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        p.stdout.readline()
        [e] = snap_json("--host", "-p", str(p.pid))
        with open(f"/proc/{p.pid}/stat") as f:
            ticks = sum(int(x) for x in f.read().rsplit(")", 1)[1].split()[11:13])
        with open(f"/proc/{p.pid}/status") as f:
            vmrss = int([l.split()[1] for l in f if l.startswith("VmRSS:")][0])
        cols = pssnap("--host", "-p", str(p.pid)).stdout.decode().splitlines()
    finally:
        p.stdin.close()
        p.wait(timeout=20)
    assert e["args"] == ["/usr/bin/python3", "-c", burn, "gbt-marker-arg"]
    clk = os.sysconf("SC_CLK_TCK")
    assert 0.7e9 <= e["cpuTime"] and abs(e["cpuTime"] / 1e9 - ticks / clk) < 0.3, (e["cpuTime"], ticks)
    assert abs(e["rss"] - vmrss) < max(2048, vmrss * 0.25), (e["rss"], vmrss)
    header, row = cols
    assert header.split()[-4:] == ["RSS", "TIME", "THR", "ARGS"], header
    assert re.search(r" 00:0[01] +1 +/usr/bin/python3 -c import threading", row), row
    assert row.endswith(" ...") and len(row) < 160, row  # ARGS cut at 64 characters; -w shows them whole
    wide = pssnap("--host", "-w", "--fields", "args", "-p", str(os.getpid())).stdout.decode().splitlines()
    assert wide[1] == " ".join(cmdline(os.getpid())).replace("\n", "\\n")


def test_kernel_threads_show_their_name_in_brackets():
    out = pssnap("--host", "--fields", "pid,args", "-p", "2").stdout.decode().splitlines()
    assert out[1].split() == ["2", "[kthreadd]"]
    [e] = snap_json("--host", "-p", "2")
    assert e["args"] == [] and e["rss"] == 0


def test_watch_takes_a_snapshot_every_interval_each_with_its_time():
    lines = pssnap("--host", "-p", str(os.getpid()), "--watch", "0.5", "--count", "3").stdout.decode().splitlines()
    assert [bool(re.match(r"^--- \d\d:\d\d:\d\d ---$", l)) for l in lines[::3]] == [True] * 3, lines
    assert len(lines) == 9 and all(l.split()[0] == "CONTAINER" for l in lines[1::3]), lines
    recs = snap_json("--host", "-p", str(os.getpid()), "--watch", "0.3", "--count", "3")
    stamps = [r["timestamp"] for r in recs]
    assert len(recs) == 3 and stamps == sorted(stamps) and stamps[2] - stamps[0] >= 0.5e9, stamps
    # --watch runs until interrupted: SIGINT ends it with exit 0
    p = subprocess.Popen(gadgetbox_cmd("pssnap", "--host", "-p", str(os.getpid()), "--watch", "0.2"),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(1.5)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 0 and out.decode().count("--- ") >= 2, err


def test_count_and_timeout_without_watch_are_usage_errors():
    for args in (["--count", "2"], ["--timeout", "1"], ["--watch", "0"]):
        r = pssnap(*args, check=False)
        assert r.returncode == 2 and len(r.stderr.decode().splitlines()) == 1, (args, r.stderr)


def test_a_command_line_longer_than_4096_bytes_is_cut_and_marked():
    long_arg = "x" * 5000
    p = subprocess.Popen(["/bin/sh", "-c", "read _", long_arg], stdin=subprocess.PIPE)
    try:
        wait_for(lambda: snap_json("--host", "-p", str(p.pid))[0]["args"][:1] == ["/bin/sh"], timeout=15,
                 what="the shell's command line")
        [e] = snap_json("--host", "-p", str(p.pid))
        cols = pssnap("--host", "-w", "--fields", "args", "-p", str(p.pid)).stdout.decode().splitlines()
    finally:
        p.stdin.close()
        p.wait(timeout=20)
    assert e["argsTruncated"] is True and e["args"][:2] == ["/bin/sh", "-c"]
    assert len("\0".join(e["args"])) + 1 >= 4095 and e["args"][3].startswith("xxxx") and len(e["args"][3]) < 5000
    assert cols[1].endswith("x ...") and len(cols[1]) < 4200
