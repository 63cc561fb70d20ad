"""tcptracer-k8s against the real kernel: TCP connections made by workloads/netprobe (static; on the host, in network
namespaces of our own and in CRI pods on the test bridge), each event compared with what the program itself saw:
its ports, its errno, the bytes it wrote and read, the times it measured."""
import json
import os
import socket
import subprocess
import time
import uuid

import pytest

from conftest import Tracer, gadgetbox_cmd, static_workload, wait_for
from runtimes import containers  # noqa: F401 (fixture)

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(scope="module")
def bindir():
    yield from static_workload(os.path.join(HERE, "workloads", "netprobe.c"), "netprobe", "gb-netprobe-")


@pytest.fixture(scope="module")
def np(bindir):
    return os.path.join(bindir, "netprobe")


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nobody listens there now
    return port


def tracer(*args, host=True, probe=None, port=None):
    """A tracer whose readiness probe is a refused connect to a port nobody listens on (its connect event)."""
    port = port or closed_port()

    def refused(marker):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
        except OSError:
            pass
    t = Tracer("tcptracer-k8s", *args, host=host, probe=probe or refused)
    t.marker = f'"dport":{port},'
    return t


def run(*cmd, ns=None):
    full = (["ip", "netns", "exec", ns] if ns else []) + [str(c) for c in cmd]
    return subprocess.run(full, capture_output=True, text=True, timeout=120).stdout.split()


def serve(np, n, reply, addr="127.0.0.1"):
    p = subprocess.Popen([np, "serve", addr, "0", str(n), str(reply)], stdout=subprocess.PIPE, text=True)
    return p, int(p.stdout.readline().split()[1])


def of_port(t, port):
    return [e for e in t.events() if port in (e.get("sport"), e.get("dport"))]


def test_connect_accept_and_close_of_both_ends(np):
    """One connection over loopback: the client's connect (established, its latency), the server's accept (the
    peer and the listener's address), and a close on each side with the payload each wrote and read, who
    ended it, and an age within what the client measured around the connection."""
    with tracer() as t:
        srv, port = serve(np, 1, 7000)
        _, lport, ret, connect_ns, got, age_ns = run(np, "client", "127.0.0.1", port, 5000)
        conn_line = srv.stdout.readline().split()
        srv.wait(10)
        evs = wait_for(lambda: (lambda e: e if len(e) >= 4 else None)(of_port(t, port)), what="four events")
    lport = int(lport)
    assert ret == "0" and got == "7000" and conn_line == ["conn", str(lport), "5000"]
    by = {(e["type"], e["sport"]): e for e in evs}
    c, a = by[("connect", lport)], by[("accept", port)]
    xc, xs = by[("close", lport)], by[("close", port)]
    assert c["pid"] == xc["pid"] != srv.pid and a["pid"] == xs["pid"] == srv.pid
    assert c["comm"] == a["comm"] == "netprobe"
    assert (c["saddr"], c["daddr"], c["dport"]) == ("127.0.0.1", "127.0.0.1", port) and "error" not in c
    assert 0 < c["latency"] <= int(connect_ns) + 5_000_000
    assert a["dport"] == lport and (a["listenAddr"], a["listenPort"]) == ("127.0.0.1", port)
    assert (xc["sent"], xc["received"], xc["endedBy"]) == (5000, 7000, "local")
    assert (xs["sent"], xs["received"], xs["endedBy"]) == (7000, 5000, "peer")
    # the connection's life lies within what the client measured around it (from before socket() to after
    # close()); how much shorter it is depends on how long the client was kept from the CPU: no lower bound
    assert 0 < xc["age"] <= int(age_ns), (xc["age"], age_ns)
    assert c["ipversion"] == 4 and c["netns"] == a["netns"] == xc["netns"]


def test_ipv6_and_a_reset_sent_by_the_client(np):
    with tracer() as t:
        srv, port = serve(np, 1, 0, "::1")
        _, lport, ret, *_ = run(np, "client", "::1", port, 10, "rst")
        srv.wait(10)
        evs = wait_for(lambda: (lambda e: e if len([x for x in e if x["type"] == "close"]) >= 2 else None)(
            of_port(t, port)), what="both closes")
    by = {(e["type"], e["sport"]): e for e in evs}
    assert by[("connect", int(lport))]["ipversion"] == 6 and by[("connect", int(lport))]["saddr"] == "::1"
    assert by[("close", int(lport))]["endedBy"] == "reset-sent"
    assert by[("close", port)]["endedBy"] == "reset-received"


def test_refused_nonblocking_and_unreachable(np):
    """Each failed connect with its errno: refused (blocking and non-blocking, the result coming in softirq),
    no route (connect() fails before any SYN), a neighbour that never answers ARP (EHOSTUNREACH) and a SYN no
    one answers (ETIMEDOUT, SYNs retried twice), with a latency within 20% of what the client measured. The
    network: a veth pair between two namespaces of our own, the far end with no address."""
    tag = uuid.uuid4().hex[:6]
    ns, sink = "gbt-tcp-" + tag, "gbt-sink-" + tag
    subprocess.run(["ip", "netns", "add", ns], check=True)
    subprocess.run(["ip", "netns", "add", sink], check=True)
    try:
        for cmd in (["ip", "link", "set", "lo", "up"], ["ip", "link", "add", "v0", "type", "veth", "peer", "v1"],
                    ["ip", "link", "set", "v1", "netns", sink], ["ip", "link", "set", "v0", "up"],
                    ["ip", "addr", "add", "10.98.0.1/24", "dev", "v0"],
                    ["ip", "neigh", "add", "10.98.0.2", "lladdr", "02:00:00:00:00:02", "dev", "v0"],
                    ["sysctl", "-qw", "net.ipv4.tcp_syn_retries=2"]):  # 7 s; ARP gives up after 3
            subprocess.run(["ip", "netns", "exec", ns, *cmd], check=True)
        subprocess.run(["ip", "netns", "exec", sink, "ip", "link", "set", "v1", "up"], check=True)
        port = closed_port()
        with tracer("-x") as t:
            refused = run(np, "client", "127.0.0.1", port, 1)
            nonblock = run(np, "nbconnect", "127.0.0.1", port)
            unreach = run(np, "client", "10.99.0.1", 80, 1, ns=ns)
            timeout = run(np, "client", "10.98.0.2", 80, 1, ns=ns)
            # the namespace's own count of SYNs sent again (tcp_syn_linear_timeouts makes it more than syn_retries)
            nstat = subprocess.run(["ip", "netns", "exec", ns, "nstat", "-az", "TcpExtTCPSynRetrans"],
                                   capture_output=True, text=True).stdout.split()
            syn_retrans = int(nstat[nstat.index("TcpExtTCPSynRetrans") + 1])
            hostunreach = run(np, "client", "10.98.0.3", 80, 1, ns=ns)
            wait_for(lambda: [e for e in t.events() if e.get("error") == "ETIMEDOUT"], timeout=30, what="ETIMEDOUT")
            evs = [e for e in t.events() if e["type"] == "connect" and e["comm"] == "netprobe"]
            wait_for(lambda: [e for e in t.events() if e.get("error") == "EHOSTUNREACH"], timeout=30,
                     what="EHOSTUNREACH")
            evs = [e for e in t.events() if e["type"] == "connect" and e["comm"] == "netprobe"]
    finally:
        subprocess.run(["ip", "netns", "del", ns])
        subprocess.run(["ip", "netns", "del", sink])
    assert [r[2] for r in (refused, nonblock, unreach, timeout, hostunreach)] == [
        "ECONNREFUSED", "ECONNREFUSED", "ENETUNREACH", "ETIMEDOUT", "EHOSTUNREACH"]
    errs = {(e["error"], e["daddr"]) for e in evs}
    assert ("ECONNREFUSED", "127.0.0.1") in errs and ("ENETUNREACH", "10.99.0.1") in errs
    assert len([e for e in evs if e["error"] == "ECONNREFUSED" and e["dport"] == port]) == 2
    [to] = [e for e in evs if e["error"] == "ETIMEDOUT"]
    assert to["daddr"] == "10.98.0.2" and to["dport"] == 80
    assert to["synRetransmits"] == syn_retrans > 0
    for e, client in ((to, timeout), ([e for e in evs if e["error"] == "EHOSTUNREACH"][0], hostunreach)):
        client_ns = int(client[3])
        assert abs(e["latency"] - client_ns) <= 0.2 * client_ns, (e, client)
    for e in evs:
        if e["error"] == "ECONNREFUSED":
            assert e["latency"] <= int(refused[3]) + int(nonblock[3]) + 5_000_000


def test_a_passed_socket_is_closed_by_the_process_that_closed_it(np):
    """The client passes its connected socket to a child over SCM_RIGHTS and closes its own fd; the child
    writes and closes: the close names the child, the connect the parent."""
    with tracer("--type", "connect,close") as t:
        srv, port = serve(np, 1, 0)
        _, parent, child = run(np, "pass", "127.0.0.1", port)
        srv.wait(10)
        evs = wait_for(lambda: (lambda e: e if len(e) >= 3 else None)(of_port(t, port)), what="the events")
    types = {e["type"] for e in evs}
    assert types == {"connect", "close"}  # --type: no accept
    [c] = [e for e in evs if e["type"] == "connect"]
    [x] = [e for e in evs if e["type"] == "close" and e["dport"] == port]
    assert c["pid"] == int(parent) and x["pid"] == int(child) and x["closer"] is True
    assert x["sent"] == 1


def test_pid_ports_uid_filters(np):
    with tracer("-p", str(os.getpid()), "-u", "0") as t:
        srv, port = serve(np, 1, 0)
        run(np, "client", "127.0.0.1", port, 1)  # another process: not shown
        srv.wait(10)
        time.sleep(0.5)
        t.stop()
    assert t.events() and all(e["pid"] == os.getpid() for e in t.events())
    srv, port = serve(np, 1, 0)
    other_srv, other = serve(np, 1, 0)
    with tracer("-P", f"{port},1", port=1) as t:
        run(np, "client", "127.0.0.1", port, 1)
        run(np, "client", "127.0.0.1", other, 1)
        srv.wait(10), other_srv.wait(10)
        wait_for(lambda: len([e for e in of_port(t, port) if e["type"] == "close"]) == 2, what="closes")
        t.stop()
    assert not of_port(t, other)


def test_columns_and_time_flags(np):
    port = closed_port()
    t = Tracer("tcptracer-k8s", "-t", "-T", "-U", "--host", json_mode=False, host=False,
               probe=lambda m: run(np, "nbconnect", "127.0.0.1", port))
    t.marker = f"127.0.0.1:{port}"
    with t:
        t.stop()
    header = t.lines()[0].split()
    assert {"UID", "T", "LOCAL", "REMOTE", "RESULT"} <= set(header)
    row = [line for line in t.lines() if f"127.0.0.1:{port}" in line][0]
    assert " C " in row and "ECONNREFUSED" in row


def test_burst_of_20000_connections_every_event_or_the_loss_counted(np):
    """20,000 connections over loopback as fast as one client makes them (each: connect, accept, a close on
    both ends): every one of the 80,000 events, or the loss said in {"type":"lost"} records."""
    with tracer() as t:
        _, port, n = run(np, "burst", 20000)
        port = int(port)
        seen, last = -1, 0
        while seen != last:  # until nothing more comes for 2 s
            seen = last
            time.sleep(2)
            last = len(t.raw())
        t.stop()
    evs = [e for e in of_port(t, port) if e["comm"] == "netprobe"]
    lost = sum(r["lost"] for r in t.records() if r.get("type") == "lost")
    counts = {k: len([e for e in evs if e["type"] == k]) for k in ("connect", "accept", "close")}
    assert counts["connect"] + counts["accept"] + counts["close"] + lost >= 80000, (counts, lost)
    if not lost:
        assert counts == {"connect": 20000, "accept": 20000, "close": 40000}


def pod_ip(pid):
    out = subprocess.run(["nsenter", "-t", str(pid), "-n", "ip", "-4", "-o", "addr", "show", "eth0"],
                         capture_output=True, text=True).stdout.split()
    return out[3].split("/")[0]


def test_two_pods_on_the_bridge_each_end_labelled(containers, np):
    """A server pod and a client pod on the CRI bridge: the client's connect and close carry the client's pod,
    the server's accept and close the server's, with one 4-tuple seen from both ends."""
    d = os.path.dirname(np)
    tag = uuid.uuid4().hex[:6]
    kw = {"mounts": [(d, "/w")], "host_network": False}
    srv = containers.start("cri", f"gbt-tcp-srv-{tag}", ["/w/netprobe", "serve", "0.0.0.0", "8080", "1", "300"], **kw)
    wait_for(lambda: "ready" in containers.logs("cri", srv), what="the server pod")
    ip = pod_ip(containers.pid("cri", srv))
    with tracer("--k8s-podname", f"gbt-tcp-*-{tag}", host=False, port=1,
                probe=lambda m: subprocess.run(["nsenter", "-t", str(containers.pid("cri", srv)), "-n", "-m",
                                                "/w/netprobe", "nbconnect", "127.0.0.1", "1"])) as t:
        cli = containers.start("cri", f"gbt-tcp-cli-{tag}", ["/w/netprobe", "client", ip, "8080", "200"], **kw)
        assert containers.wait("cri", cli) == 0
        _, lport, ret, *_ = containers.logs("cri", cli).split()
        evs = wait_for(lambda: (lambda e: e if len(e) >= 4 else None)(
            [e for e in t.events() if 8080 in (e["sport"], e["dport"])]), timeout=20, what="four events")
    assert ret == "0"
    for e in evs:
        client_side = e["sport"] == int(lport)
        assert e["k8s"]["podName"] == (f"gbt-tcp-cli-{tag}" if client_side else f"gbt-tcp-srv-{tag}"), e
        assert e["runtime"]["containerId"] == (cli if client_side else srv)
    by = {(e["type"], e["sport"]): e for e in evs}
    c, a = by[("connect", int(lport))], by[("accept", 8080)]
    assert (c["saddr"], c["sport"], c["daddr"], c["dport"]) == (a["daddr"], a["dport"], a["saddr"], a["sport"])
    # the server was waiting in accept() before the tracer started: the listener is not known
    assert a["daddr"] != a["saddr"] and "listenAddr" not in a
    assert by[("close", int(lport))]["sent"] == 200 and by[("close", 8080)]["received"] == 200
    assert by[("close", 8080)]["sent"] == 300


def test_bcc_name_and_bad_options(tmp_path):
    link = tmp_path / "tcptracer"
    link.symlink_to(gadgetbox_cmd("x")[0])
    r = subprocess.run([str(link), "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.startswith("Usage: tcptracer-k8s")
    for args, msg in ((["--type", "open"], "not connect, accept or close"), (["-P", "70000"], "not a port"),
                      (["-p", "0"], "PID")):
        r = subprocess.run(gadgetbox_cmd("tcptracer-k8s", *args), capture_output=True, text=True)
        assert r.returncode == 2 and msg in r.stderr, (args, r.stderr)

