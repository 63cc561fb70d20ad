"""socksnap: the sockets of every container's network namespace from bpf iterators, equal to ss run in that
namespace (`nsenter -t PID -n ss`), with their owning processes and containers.

The workload (workloads/sockets.c) is built static and bind-mounted into busybox containers at /w.
"""
import json
import os
import re
import subprocess
import threading
import time
import uuid

import pytest

from conftest import gadgetbox_cmd, static_workload, wait_for
from runtimes import RUNTIMES, container_runtimes, containers, cri_pod  # noqa: F401 (fixtures)

HERE = os.path.dirname(os.path.abspath(__file__))
WORKLOAD_SRC = os.path.join(HERE, "workloads", "sockets.c")
PORT = 7100


@pytest.fixture(scope="module")
def workload_dir():
    yield from static_workload(WORKLOAD_SRC, "sockets", "gb-sockets-bin-")


def mount_kw(runtime, d):
    """Start keywords that bind-mount directory d at /w (read-only) for RUNTIME."""
    if runtime in ("docker", "docker-crun", "podman"):
        return {"extra_args": ["-v", f"{d}:/w:ro"]}
    if runtime == "ctr":
        return {"extra_args": ["--mount", f"type=bind,src={d},dst=/w,options=rbind:ro"]}
    return {"mounts": [(d, "/w")], "host_network": False}  # a CRI pod with its own network (CNI)


def socksnap(*args, check=True):
    r = subprocess.run(gadgetbox_cmd("socksnap", *args), capture_output=True, timeout=120)
    if check:
        assert r.returncode == 0, r.stderr
    return r


def snap_json(*args):
    out = socksnap("-o", "json", *args).stdout.decode()
    recs = [json.loads(line) for line in out.splitlines() if line]
    return [r for r in recs if "type" not in r]


def endpoint(addr, port, family, v6only=False, dev=""):
    """The form ss -n prints: 1.2.3.4:80, [::1]:80, 0.0.0.0:*, *:80 (:: that takes IPv4 too), addr%dev:port."""
    p = str(port) if port else "*"
    if family == "IPv6" and addr == "::" and not v6only:
        return f"*:{p}"
    dev = f"%{dev}" if dev else ""
    return f"[{addr}]{dev}:{p}" if family == "IPv6" else f"{addr}{dev}:{p}"


def ours(recs):
    """(netid, state, recv-q, send-q, local, peer, inode, owner pids) of each socket socksnap listed."""
    rows = []
    for r in recs:
        pids = frozenset(p["pid"] for p in r["processes"])
        if r["protocol"] == "unix":
            local, peer = f"{r['path']} {r['inode']}", f"* {r['peerInode']}"
        else:
            v6only, dev = r.get("v6only", False), r.get("boundDev", "")
            local = endpoint(r["src"]["addr"], r["src"]["port"], r["family"], v6only, dev)
            peer = endpoint(r["dst"]["addr"], r["dst"]["port"], r["family"], v6only)
        rows.append((r["netid"], r["state"], r["recvQ"], r["sendQ"], local, peer, r["inode"], pids))
    return rows


def ss_rows(pid, *flags):
    """The same tuples from `nsenter -t PID -n ss -H -O -n -a -p -e FLAGS`."""
    out = subprocess.run(["nsenter", "-t", str(pid), "-n", "ss", "-HOnape", *flags], capture_output=True, text=True,
                         check=True, timeout=30).stdout
    rows = []
    for line in out.splitlines():
        f = line.split()
        if f[0].startswith("u_"):  # name inode * peer-inode
            local, peer, rest, inode = f"{f[4]} {f[5]}", f"{f[6]} {f[7]}", " ".join(f[8:]), int(f[5])
        else:
            local, peer, rest = f[4], f[5], " ".join(f[6:])
            m = re.search(r"\bino:(\d+)", rest)
            inode = int(m.group(1)) if m else 0
        pids = frozenset(int(p) for p in re.findall(r"pid=(\d+)", rest))
        rows.append((f[0], f[1], int(f[2]), int(f[3]), local, peer, inode, pids))
    return rows


def start_workload(containers, runtime, d, *args, name=None):
    name = name or f"gbt-sock-{uuid.uuid4().hex[:8]}"
    cid = containers.start(runtime, name, ["/w/sockets", *args], **mount_kw(runtime, d))
    wait_for(lambda: "ready" in containers.logs(runtime, cid), timeout=30, what="the workload's sockets")
    return name, cid, containers.pid(runtime, cid)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_sockets_equal_ss_in_the_container_netns(containers, workload_dir, runtime):
    name, cid, pid = start_workload(containers, runtime, workload_dir, "all", str(PORT))
    inet = ours(snap_json("-a", "-t", "-u", "-c", name))
    unix = ours(snap_json("-a", "-x", "-c", name))
    ss_inet, ss_unix = ss_rows(pid, "-tu"), ss_rows(pid, "-x")
    assert sorted(inet, key=repr) == sorted(ss_inet, key=repr)
    assert sorted(unix, key=repr) == sorted(ss_unix, key=repr)
    assert len(inet) == len(set(inet)) and len(unix) == len(set(unix))  # none twice

    # what the workload made is all there
    states = {(r[0], r[1]) for r in inet}
    assert {("tcp", "LISTEN"), ("tcp", "ESTAB"), ("tcp", "TIME-WAIT"), ("tcp", "SYN-SENT"), ("udp", "UNCONN"),
            ("udp", "ESTAB")} <= states
    [full] = [r for r in inet if r[1] == "LISTEN" and r[4].endswith(f":{PORT + 2}")]
    assert full[2:4] == (2, 1)  # the accept queue: 2 waiting, limit 1
    [unread] = [r for r in inet if r[1] == "ESTAB" and r[4].endswith(f":{PORT}")]
    assert unread[2] == 5  # the bytes the server never read
    names = {r[4].split(" ")[0] for r in unix}
    assert {"/tmp/gbt.sock", "@gbt-abstract"} <= names and any(r[0] == "u_dgr" for r in unix)
    # every socket the workload holds is shared with its forked child
    child = {p for r in inet for p in r[7]} - {pid}
    assert len(child) == 1
    for r in inet + unix:
        if r[6]:  # not TIME-WAIT, nor a connection still in an accept queue
            assert r[7] == {pid} | child, r

    # the container's metadata, on owned sockets and on the unowned TIME-WAIT
    recs = snap_json("-a", "-c", name)
    for r in recs:
        if r["processes"]:
            assert r["runtime"]["containerId"] == cid
            assert {p["comm"] for p in r["processes"]} == {"sockets"}
    [tw] = [r for r in recs if r["state"] == "TIME-WAIT"]
    assert tw["processes"] == [] and tw["inode"] == 0
    if runtime == "cri":
        assert tw["runtime"]["containerId"] == cri_pod(cid) and tw["k8s"]["podName"] == name
    else:
        assert tw["runtime"]["containerId"] == cid


def test_default_listening_and_filters(containers, workload_dir):
    name, cid, pid = start_workload(containers, "docker", workload_dir, "all", str(PORT))
    every = snap_json("-a", "-c", name)
    # ss's defaults: without -a or -l, connected sockets only
    assert {r["state"] for r in snap_json("-c", name)} == {r["state"] for r in every} - {"LISTEN", "UNCONN",
                                                                                        "TIME-WAIT", "SYN-RECV"}
    assert {r["state"] for r in snap_json("-l", "-c", name)} == {"LISTEN", "UNCONN"}
    assert {r["protocol"] for r in snap_json("-a", "-t", "-c", name)} == {"tcp"}
    assert {r["protocol"] for r in snap_json("-a", "-u", "-c", name)} == {"udp"}
    assert {r["state"] for r in snap_json("--state", "time-wait,syn-sent", "-c", name)} == {"TIME-WAIT", "SYN-SENT"}
    port = snap_json("-a", "--port", str(PORT + 2), "-c", name)
    assert port and all(PORT + 2 in (r["src"]["port"], r["dst"]["port"]) for r in port)
    four = snap_json("-a", "-4", "-c", name)
    assert four and all(r["family"] == "IPv4" for r in four)
    # another container's sockets are not this one's
    assert not snap_json("-a", "-c", "gbt-no-such-container")
    # -i: TCP's counters on full TCP sockets
    [est] = [r for r in snap_json("-ti", "-c", name) if r["src"]["port"] != PORT and r["dst"]["port"] == PORT]
    assert est["tcpInfo"]["bytesSent"] == 5 and est["tcpInfo"]["cwnd"] > 0
    # columns like ss -tunap, with the container
    lines = socksnap("-a", "-t", "-c", name).stdout.decode().splitlines()
    assert lines[0].split()[:5] == ["CONTAINER", "NETID", "STATE", "RECV-Q", "SEND-Q"]
    assert any(f"0.0.0.0:{PORT}" in line and "LISTEN" in line and f'users:(("sockets",pid={pid},fd=' in line
               for line in lines[1:]), (pid, lines)
    r = socksnap("--state", "bogus", check=False)
    assert r.returncode == 2 and b"unknown socket state 'bogus'" in r.stderr


def test_host_network_container_shows_only_its_own_sockets(containers, workload_dir):
    """A host-network CRI pod shares the host's namespace: only the sockets its processes hold are its."""
    name = f"gbt-sockh-{uuid.uuid4().hex[:8]}"
    cid = containers.start("cri", name, ["/w/sockets", "many", "6", str(PORT + 40)], mounts=[(workload_dir, "/w")])
    pid = containers.pid("cri", cid)
    wait_for(lambda: len(ss_rows(pid, "-tul", f"sport >= :{PORT + 40} and sport < :{PORT + 46}")) == 6,
             what="the listeners")
    recs = snap_json("-a", "-c", name)
    assert len(recs) == 6 and all(r["runtime"]["containerId"] == cid for r in recs)
    assert sorted(r["src"]["port"] for r in recs) == list(range(PORT + 40, PORT + 46))
    # the host's own sockets are there with --host, without a container
    host = snap_json("-a", "--host")
    assert any(not r["runtime"]["containerId"] for r in host)
    assert {r["inode"] for r in recs} <= {r["inode"] for r in host if r["runtime"]["containerId"] == cid}


def test_thousand_sockets_in_one_container(containers, workload_dir):
    name, cid, pid = start_workload(containers, "docker", workload_dir, "many", "1000", "20000")
    recs = snap_json("-a", "-c", name)
    inodes = [r["inode"] for r in recs]
    assert len(inodes) == 1000 and len(set(inodes)) == 1000
    assert sorted(ours(recs), key=repr) == sorted(ss_rows(pid, "-tu"), key=repr)


def test_more_timewait_sockets_than_one_walk_holds(containers, workload_dir):
    """7,000 TIME-WAIT sockets (no process holds them: only the hash walk finds them) are more than the ring
    buffer takes in one run (~5,900): the walk goes on where it stopped, and every one is listed once."""
    name, cid, pid = start_workload(containers, "docker", workload_dir, "timewait", "7000", "21000")
    recs = snap_json("-t", "--state", "time-wait", "-c", name)
    theirs = [r for r in ss_rows(pid, "-tu") if r[1] == "TIME-WAIT"]
    # the last connections may not have reached TIME-WAIT yet: ss is the reference, and ~5,900 fit in one run
    assert len(theirs) >= 6900
    pairs = [(r["src"]["port"], r["dst"]["port"]) for r in recs]
    assert len(pairs) == len(set(pairs)) and len(pairs) >= 6900
    ss_pairs = {(int(r[4].rsplit(":", 1)[1]), int(r[5].rsplit(":", 1)[1])) for r in theirs}
    assert len(set(pairs) & ss_pairs) >= len(ss_pairs) - 10
    assert all(r["state"] == "TIME-WAIT" and not r["processes"] for r in recs)


def test_hundred_containers_ten_sockets_each(containers, workload_dir):
    """Every socket of 100 containers once, and (pssnap) every container's process once."""
    tag = uuid.uuid4().hex[:6]
    names = [f"gbt-s100-{tag}-{i}" for i in range(100)]
    errors = []

    def start(chunk):
        for n in chunk:
            try:
                containers.start("docker", n, ["/w/sockets", "many", "10", "9000"], **mount_kw("docker", workload_dir))
            except Exception as e:  # noqa: BLE001
                errors.append(e)
    threads = [threading.Thread(target=start, args=(names[i::6],)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    filt = ",".join(names)
    wait_for(lambda: len(snap_json("-a", "-c", filt)) == 1000, timeout=60, what="1000 sockets")
    recs = snap_json("-a", "-c", filt)
    by = {}
    for r in recs:
        by.setdefault(r["runtime"]["containerName"], []).append(r)
    assert set(by) == set(names)
    for n, rs in by.items():
        assert len(rs) == 10 and len({r["inode"] for r in rs}) == 10, n
        assert sorted(r["src"]["port"] for r in rs) == list(range(9000, 9010))
        assert len({r["netnsid"] for r in rs}) == 1
    assert len({rs[0]["netnsid"] for rs in by.values()}) == 100
    ps = subprocess.run(gadgetbox_cmd("pssnap", "-o", "json", "-c", filt), capture_output=True, timeout=60)
    assert ps.returncode == 0, ps.stderr
    procs = [json.loads(line) for line in ps.stdout.decode().splitlines()]
    assert sorted(p["runtime"]["containerName"] for p in procs if p["comm"] == "sockets") == sorted(names)


def test_containers_exiting_during_snapshots(containers, workload_dir):
    """Containers that come and go while snapshots are taken: each snapshot completes, the stable container's
    sockets are in every one, and the only complaint is a one-line warning about a container that exited."""
    name, cid, pid = start_workload(containers, "docker", workload_dir, "many", "4", str(PORT + 60))
    stop = threading.Event()

    def churn():
        i = 0
        while not stop.is_set():
            n = f"gbt-churn-{uuid.uuid4().hex[:6]}-{i}"
            i += 1
            try:
                c = containers.start("docker", n, ["sh", "-c", "sleep 0.$((RANDOM % 5))"])
                containers.wait("docker", c)
                containers.remove("docker", c)
            except Exception:  # noqa: BLE001 - churn only
                pass
    t = threading.Thread(target=churn)
    t.start()
    try:
        for applet, args in (("socksnap", ["-a", "--interval", "0.2", "--count", "15"]), ("pssnap", [])):
            for _ in range(1 if applet == "socksnap" else 15):
                r = subprocess.run(gadgetbox_cmd(applet, "-o", "json", *args), capture_output=True, timeout=120)
                assert r.returncode == 0, r.stderr
                recs = [json.loads(line) for line in r.stdout.decode().splitlines()]
                mine = [x for x in recs if x.get("runtime", {}).get("containerName") == name]
                if applet == "socksnap":
                    assert len(mine) == 15 * 4  # every snapshot has all four
                else:
                    assert [x["comm"] for x in mine] == ["sockets"]
                for w in (x for x in recs if x.get("type") == "warning"):
                    assert re.search(r"exited during the snapshot|stopped early", w["message"]), w
                for line in r.stderr.decode().splitlines():
                    assert re.search(r"exited during the snapshot|stopped early", line), line
    finally:
        stop.set()
        t.join()


def test_interval_diff_shows_sockets_that_come_and_go(containers, workload_dir):
    name, cid, pid = start_workload(containers, "docker", workload_dir, "many", "2", str(PORT + 70))
    p = subprocess.Popen(gadgetbox_cmd("socksnap", "-a", "-o", "json", "--interval", "0.3", "--diff", "-c", name),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        time.sleep(1.0)
        # a third socket appears in the container, then goes
        helper = subprocess.Popen(["nsenter", "-t", str(pid), "-n", "python3", "-c",
                                   f"import socket,time; s=socket.socket(); s.bind(('127.0.0.1',{PORT + 79}));"
                                   "s.listen(); time.sleep(1.5)"])
        helper.wait(timeout=20)
        time.sleep(1.0)
    finally:
        p.terminate()
        out, err = p.communicate(timeout=20)
    recs = [json.loads(line) for line in out.decode().splitlines()]
    first = [r for r in recs if "change" not in r]
    assert sorted(r["src"]["port"] for r in first) == [PORT + 70, PORT + 71]
    changes = [(r["change"], r["src"]["port"]) for r in recs if "change" in r]
    assert changes == [("+", PORT + 79), ("-", PORT + 79)], (changes, err)


TIME_LINE = re.compile(r"^--- \d\d:\d\d:\d\d ---$")


def test_diff_baseline_shows_equals_and_each_snapshot_its_time(containers, workload_dir):
    """--diff's first snapshot is the baseline: "=" in the +/- column (never "-", which reads as gone); every
    snapshot of --interval starts with a "--- HH:MM:SS ---" line in columns, and in JSON its rows share one
    timestamp, a gone socket's row the snapshot that saw it gone."""
    name, cid, pid = start_workload(containers, "docker", workload_dir, "many", "2", str(PORT + 90))
    lines = socksnap("-a", "--interval", "0.3", "--count", "2", "--diff", "-c", name).stdout.decode().splitlines()
    assert [bool(TIME_LINE.match(l)) for l in lines if l.startswith("---")] == [True, True], lines
    first = lines[:next(i for i, l in enumerate(lines) if i and TIME_LINE.match(l))]
    assert TIME_LINE.match(first[0]) and first[1].split()[:2] == ["CONTAINER", "+/-"], lines
    assert len(first) == 4 and all(l.split()[:2] == [name, "="] for l in first[2:]), lines
    # JSON: a socket that goes between two snapshots
    helper = subprocess.Popen(["nsenter", "-t", str(pid), "-n", "python3", "-c",
                               f"import socket,sys; s=socket.socket(); s.bind(('127.0.0.1',{PORT + 99}));"
                               "s.listen(); print(flush=True); sys.stdin.read()"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    helper.stdout.readline()
    p = subprocess.Popen(gadgetbox_cmd("socksnap", "-a", "-o", "json", "--interval", "1", "--count", "2", "--diff",
                                       "-c", name), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        first_line = p.stdout.readline()  # the first snapshot is out: the socket goes
        helper.stdin.close()
        helper.wait(timeout=20)
        out = p.stdout.read()  # the file object may hold more of the first snapshot already
        err = p.stderr.read()
        p.wait(timeout=60)
    finally:
        if helper.poll() is None:
            helper.kill()
        if p.poll() is None:
            p.kill()
    recs = [json.loads(l) for l in (first_line + out).decode().splitlines()]
    base = [r for r in recs if "change" not in r]
    assert sorted(r["src"]["port"] for r in base) == [PORT + 90, PORT + 91, PORT + 99], recs
    assert len({r["timestamp"] for r in base}) == 1
    [gone] = [r for r in recs if "change" in r]
    assert (gone["change"], gone["src"]["port"]) == ("-", PORT + 99), (recs, err)
    assert gone["timestamp"] > base[0]["timestamp"] + 0.5e9  # the second snapshot's time, not the first's


def test_ipv4_and_ipv6_only():
    """-4 and -6, on the host's namespace: an IPv6 listener on [::1] and an IPv4 one on the same port."""
    import socket
    six, four = socket.socket(socket.AF_INET6), socket.socket(socket.AF_INET)
    try:
        six.bind(("::1", 0))
        port = six.getsockname()[1]
        four.bind(("127.0.0.1", port))
        six.listen()
        four.listen()
        rows6 = snap_json("--host", "-l", "-6", "--port", str(port))
        rows4 = snap_json("--host", "-l", "-4", "--port", str(port))
    finally:
        six.close()
        four.close()
    assert [(r["family"], r["src"]["addr"]) for r in rows6] == [("IPv6", "::1")], rows6
    assert [(r["family"], r["src"]["addr"]) for r in rows4] == [("IPv4", "127.0.0.1")], rows4
