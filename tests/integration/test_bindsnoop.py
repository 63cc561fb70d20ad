"""bindsnoop-k8s against the real kernel: binds by real programs (Python's socket module on the host, the static
workloads/netprobe in docker containers and CRI pods), each compared with what the program itself was told."""
import errno
import os
import socket
import subprocess
import time
import uuid

import pytest

from conftest import Tracer, gadgetbox_cmd, static_workload, wait_for
from runtimes import containers, cri_pod, run  # noqa: F401 (fixture)

HERE = os.path.dirname(os.path.abspath(__file__))
IP_FREEBIND, IP_TRANSPARENT, IP_BIND_ADDRESS_NO_PORT = 15, 19, 24


@pytest.fixture(scope="module")
def bindir():
    yield from static_workload(os.path.join(HERE, "workloads", "netprobe.c"), "netprobe", "gb-netprobe-")


def unix_probe(marker):
    """A bind of an abstract UNIX name: the marker shows as its address."""
    s = socket.socket(socket.AF_UNIX)
    s.bind("\0" + marker)
    s.close()


def failing_unix_probe(marker):
    """The same abstract UNIX name bound twice: the second bind fails (EADDRINUSE), the marker its address."""
    s = socket.socket(socket.AF_UNIX)
    s.bind("\0" + marker)
    try:
        socket.socket(socket.AF_UNIX).bind("\0" + marker)
    except OSError:
        pass
    s.close()


def tracer(*args, host=True, probe=unix_probe):
    return Tracer("bindsnoop-k8s", *args, host=host, probe=probe)


def binds(t, pid):
    return [e for e in t.events() if e["pid"] == pid]


def test_binds_of_every_kind_with_their_result_and_options():
    """Successful and failed binds from one process: the port the kernel chose, the options that change what a
    bind means, the device, UNIX paths, and each errno as the program got it."""
    with tracer() as t:
        a = socket.socket()
        a.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        a.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        a.bind(("127.0.0.1", 0))
        port = a.getsockname()[1]
        b = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        b.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        b.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"lo")
        b.bind(("::1", 0))
        port6 = b.getsockname()[1]
        c = socket.socket()
        with pytest.raises(OSError) as not_here:
            c.bind(("192.0.2.77", 0))
        assert not_here.value.errno == errno.EADDRNOTAVAIL
        d = socket.socket()
        d.setsockopt(socket.IPPROTO_IP, IP_FREEBIND, 1)
        d.setsockopt(socket.IPPROTO_IP, IP_TRANSPARENT, 1)
        d.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
        d.bind(("192.0.2.77", 4242))
        path = f"/tmp/gbt-bind-{uuid.uuid4().hex[:8]}.sock"
        u = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        u.bind(path)
        r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        r.bind(("127.0.0.1", 0))
        with pytest.raises(OSError) as bad_len:  # a sockaddr_in cut to 4 bytes
            import ctypes
            libc = ctypes.CDLL(None, use_errno=True)
            sa = bytes([2, 0, 0x10, 0x92]) + bytes(12)
            if libc.bind(socket.socket().detach(), sa, 4) != 0:
                raise OSError(ctypes.get_errno(), "bind")
        assert bad_len.value.errno == errno.EINVAL
        me = os.getpid()
        wait_for(lambda: [e for e in binds(t, me) if e.get("addrlen") == 4], what="the last bind")
        evs = [e for e in binds(t, me) if not e.get("addr", "").startswith("@gb-ready-")]
        for s in (a, b, c, d, u, r):
            s.close()
        os.unlink(path)
    by = {}
    for e in evs:
        by.setdefault((e["proto"], e.get("addr")), e)
    tcp = by[("TCP", "127.0.0.1")]
    assert tcp["ret"] == 0 and tcp["port"] == port and tcp["requestedPort"] == 0
    assert tcp["opts"] == "...Rr." and set(tcp["options"]) == {"SO_REUSEADDR", "SO_REUSEPORT"}
    assert tcp["family"] == "AF_INET" and tcp["type"] == "SOCK_STREAM" and tcp["comm"].startswith("python")
    udp6 = by[("UDP", "::1")]
    assert udp6["ret"] == 0 and udp6["opts"] == ".....V" and udp6["if"] == "lo" and udp6["family"] == "AF_INET6"
    assert udp6["port"] == port6
    failed, freebind = [e for e in evs if e.get("addr") == "192.0.2.77"]
    assert failed["error"] == "EADDRNOTAVAIL" and failed["ret"] == -errno.EADDRNOTAVAIL
    assert freebind["ret"] == 0 and freebind["opts"] == "FTN..." and freebind["requestedPort"] == 4242
    unix = by[("UNIX", path)]
    assert unix["ret"] == 0 and unix["type"] == "SOCK_DGRAM" and unix["family"] == "AF_UNIX"
    assert by[("RAW", "127.0.0.1")]["ret"] == 0
    short = [e for e in evs if e.get("addrlen") == 4]
    assert short and short[0]["error"] == "EINVAL" and short[0]["family"] == "AF_INET" and "port" not in short[0]


def test_eaddrinuse_names_the_process_holding_the_port(bindir):
    """A second bind of a port a listener holds: EADDRINUSE, and the holder named with its pid and fd."""
    np = os.path.join(bindir, "netprobe")
    holder = subprocess.Popen([np, "listen", "127.0.0.1", "0"], stdout=subprocess.PIPE, text=True)
    try:
        port = int(holder.stdout.readline().split()[1])
        with tracer("-x", probe=failing_unix_probe) as t:
            r = subprocess.run([np, "bind", "0.0.0.0", str(port)], capture_output=True, text=True)
            assert r.stdout.strip() == "error EADDRINUSE"
            e = wait_for(lambda: [e for e in t.events() if e.get("requestedPort") == port], what="the bind")[0]
    finally:
        holder.terminate()
        holder.wait()
    assert e["error"] == "EADDRINUSE" and e["comm"] == "netprobe"
    assert [h["state"] for h in e["holders"]] == ["LISTEN"]
    h = e["holders"][0]
    assert h["addr"] == "127.0.0.1" and h["port"] == port and h["proto"] == "TCP"
    assert [(p["pid"], p["comm"], p["fd"]) for p in h["processes"]] == [(holder.pid, "netprobe", 3)]
    assert all(e["ret"] != 0 for e in t.events())  # -x


def test_eaddrinuse_columns_show_who_holds_it(bindir):
    np = os.path.join(bindir, "netprobe")
    holder = subprocess.Popen([np, "listen", "127.0.0.1", "0"], stdout=subprocess.PIPE, text=True)
    try:
        port = int(holder.stdout.readline().split()[1])
        t = Tracer("bindsnoop-k8s", "-x", "-t", "-T", "-U", "-P", str(port), json_mode=False, host=True,
                   probe=lambda m: subprocess.run([np, "bind", "127.0.0.1", str(port)], capture_output=True))
        t.marker = "EADDRINUSE"  # the failed bind is the readiness probe
        with t:
            wait_for(lambda: b"users:" in t.raw(), what="a row")
            t.stop()
    finally:
        holder.terminate()
        holder.wait()
    lines = t.lines()
    assert "UID" in lines[0].split() and "HELD-BY" in lines[0].split()
    row = [line for line in lines if "EADDRINUSE" in line][0]
    assert f'LISTEN 127.0.0.1:{port} users:(("netprobe",pid={holder.pid},fd=3))' in row


def mount_kw(runtime, d):
    if runtime == "docker":
        return {"extra_args": ["-v", f"{d}:/w:ro"]}
    return {"mounts": [(d, "/w")], "host_network": False}


@pytest.mark.parametrize("runtime", ["docker", "cri"])
def test_second_server_in_a_container_names_the_container_holding_the_port(containers, bindir, runtime):
    """A server in one container holds 8080; a second one started beside it (the same network namespace:
    docker's container:ID network, a CRI pod's second container) fails with EADDRINUSE, and the event names
    the first server's process and its container."""
    tag = uuid.uuid4().hex[:6]
    first = containers.start(runtime, f"gbt-bind-a-{tag}", ["/w/netprobe", "listen", "0.0.0.0", "8080"],
                             **mount_kw(runtime, bindir))
    wait_for(lambda: "ready" in containers.logs(runtime, first), what="the first server")
    kw = {"pod_id": cri_pod(first), "mounts": [(bindir, "/w")]} if runtime == "cri" else {
        "network": f"container:{first}", "extra_args": ["-v", f"{bindir}:/w:ro"]}
    pid = containers.pid(runtime, first)

    def probe(marker):  # a bind in the first container's namespaces
        subprocess.run(["nsenter", "-t", str(pid), "-m", "-n", "/w/netprobe", "unix", marker])

    with tracer("-c", f"gbt-bind-*-{tag}", host=False, probe=probe) as t:
        second = containers.start(runtime, f"gbt-bind-b-{tag}", ["/w/netprobe", "bind", "0.0.0.0", "8080"], **kw)
        assert containers.wait(runtime, second) == 1
        assert containers.logs(runtime, second).strip() == "error EADDRINUSE"
        e = wait_for(lambda: [e for e in t.events() if e.get("error") == "EADDRINUSE"], timeout=20,
                     what="the failed bind")[0]
    assert e["runtime"]["containerId"] == second
    [h] = e["holders"]
    assert h["state"] == "LISTEN" and h["port"] == 8080 and h["addr"] == "0.0.0.0"
    assert [p["pid"] for p in h["processes"]] == [pid]
    assert h["containerId"] == first
    if runtime == "cri":
        assert e["k8s"]["podName"] == f"gbt-bind-a-{tag}"


def bind_port(port):
    s = socket.socket()
    s.bind(("127.0.0.1", port))
    s.close()


def test_filters_pid_ports_inet_and_uid(bindir):
    """-p, -P, --inet and -u in the kernel: only this process's IPv4/IPv6 binds to ports 7 and 9 by root."""
    np = os.path.join(bindir, "netprobe")
    t = tracer("-p", str(os.getpid()), "--inet", "-P", "7,9", "-u", "0", probe=lambda m: bind_port(9))
    t.marker = '"requestedPort":9'
    with t:
        for port in (7, 9, 11):
            bind_port(port)
        subprocess.run([np, "bind", "127.0.0.1", "7"], capture_output=True)  # another process
        unix_probe("gbt-not-inet")
        wait_for(lambda: '"requestedPort":7' in t.raw().decode(), what="port 7")
        time.sleep(0.5)
        t.stop()
    evs = t.events()
    assert {e["requestedPort"] for e in evs} == {7, 9}
    assert all(e["pid"] == os.getpid() and e["uid"] == 0 for e in evs)



def test_uid_filter():
    def as_4242(marker):
        subprocess.run(["setpriv", "--reuid", "4242", "/usr/bin/python3", "-c",
                        "import socket; socket.socket().bind(('127.0.0.1', 0))"])
    t = tracer("-u", "4242", "--inet", probe=as_4242)
    t.marker = '"uid":4242'
    with t:
        bind_port(0)  # root's
        as_4242("")
        time.sleep(0.5)
        t.stop()
    assert t.events() and all(e["uid"] == 4242 for e in t.events())


def test_failed_only_and_no_holders():
    with tracer("-x", "--no-holders", probe=failing_unix_probe) as t:
        a = socket.socket()
        a.bind(("127.0.0.1", 0))
        a.listen()
        b = socket.socket()
        with pytest.raises(OSError):
            b.bind(("127.0.0.1", a.getsockname()[1]))
        me = os.getpid()
        wait_for(lambda: [e for e in binds(t, me) if e["proto"] == "TCP"], what="the failed bind")
        a.close()
        b.close()
    evs = [e for e in binds(t, me) if e["proto"] == "TCP"]
    assert [e["error"] for e in evs] == ["EADDRINUSE"] and "holders" not in evs[0]


def test_bcc_name_runs_the_applet(tmp_path):
    link = tmp_path / "bindsnoop"
    link.symlink_to(gadgetbox_cmd("x")[0])
    r = subprocess.run([str(link), "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.startswith("Usage: bindsnoop-k8s")


def test_bad_options():
    for args, msg in ((["-P", "0"], "not a port"), (["-P", ",".join(str(p) for p in range(1, 18))], "at most 16"),
                      (["-p", "x"], "PID"), (["-u", "x"], "UID")):
        r = subprocess.run(gadgetbox_cmd("bindsnoop-k8s", *args), capture_output=True, text=True)
        assert r.returncode == 2 and msg in r.stderr, (args, r.stderr)
