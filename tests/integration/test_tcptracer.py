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
    # the server was waiting in accept() before the tracer started: its listener (a wildcard) is still known
    assert a["daddr"] != a["saddr"] and (a["listenAddr"], a["listenPort"]) == ("0.0.0.0", 8080)
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



class Netns:
    """Network namespaces of our own (gbt-net2-TAG-NAME), lo up; with pair=True the first two joined by a veth
    (v0 10.97.0.1/24 in the first, v1 10.97.0.2/24 in the second). Removed at exit."""

    def __init__(self, *names, pair=False):
        tag = uuid.uuid4().hex[:6]
        self.ns = {n: f"gbt-net2-{tag}-{n}" for n in names}
        self.pair = pair

    def __enter__(self):
        for n in self.ns.values():
            subprocess.run(["ip", "netns", "add", n], check=True)
            self.run(n, "ip", "link", "set", "lo", "up")
        if self.pair:
            a, b = list(self.ns.values())[:2]
            self.run(a, "ip", "link", "add", "v0", "type", "veth", "peer", "v1")
            self.run(a, "ip", "link", "set", "v1", "netns", b)
            for ns, dev, ip in ((a, "v0", "10.97.0.1/24"), (b, "v1", "10.97.0.2/24")):
                self.run(ns, "ip", "addr", "add", ip, "dev", dev)
                self.run(ns, "ip", "link", "set", dev, "up")
        return self

    def __exit__(self, *exc):
        for n in self.ns.values():
            subprocess.run(["ip", "netns", "del", n])

    def __getitem__(self, name):
        return self.ns[name]

    def run(self, ns, *cmd):
        subprocess.run(["ip", "netns", "exec", ns, *[str(c) for c in cmd]], check=True)

    def snmp(self, ns, key):
        """A counter of the namespace's /proc/net/snmp or netstat (e.g. ("Tcp", "RetransSegs"))."""
        group, field = key
        for f in ("/proc/net/snmp", "/proc/net/netstat"):
            lines = subprocess.run(["ip", "netns", "exec", ns, "cat", f], capture_output=True, text=True,
                                   check=True).stdout.splitlines()
            for names, values in zip(lines[::2], lines[1::2]):
                if names.startswith(group + ":") and field in names.split():
                    return int(values.split()[names.split().index(field)])
        raise KeyError(key)


def lose(n, ns, dev, percent, workdir):
    """Drop @percent% of the data packets arriving on @dev in namespace @ns (this kernel has no netem: a tc BPF
    classifier, workloads/loss.bpf.c)."""
    obj = os.path.join(workdir, f"loss{percent}.o")
    arch = subprocess.run(["gcc", "-print-multiarch"], capture_output=True, text=True).stdout.strip()
    subprocess.run(["clang", "-O2", "-target", "bpf", f"-I/usr/include/{arch}", f"-DPERCENT={percent}", "-c",
                    os.path.join(HERE, "workloads", "loss.bpf.c"), "-o", obj], check=True)
    n.run(ns, "tc", "qdisc", "add", "dev", dev, "clsact")
    n.run(ns, "tc", "filter", "add", "dev", dev, "ingress", "bpf", "da", "obj", obj, "sec", "tc")


PY_LISTEN = ("import socket,sys,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1); "
             "s.bind((sys.argv[1],0)); s.listen(int(sys.argv[2])); print(s.getsockname()[1],flush=True); "
             "time.sleep(600)")


def py_listener(ns, addr, backlog):
    """A listener that never accepts, in namespace @ns: (its process, its port)."""
    p = subprocess.Popen(["ip", "netns", "exec", ns, "/usr/bin/python3", "-c", PY_LISTEN, addr, str(backlog)],
                         stdout=subprocess.PIPE, text=True)
    return p, int(p.stdout.readline())


def test_reset_of_a_connection_still_in_the_listeners_queue():
    """What the kernel does with a handshake the server never finishes accepting: the client's connect()
    succeeds (the kernel completed the handshake), then the listener is closed with the connection still in its
    accept queue, and the kernel resets it: the client's read gets ECONNRESET. The tracer shows the connect as
    established, the client's close as reset-received, and the queued half's close as reset-sent with no
    process (nobody ever accepted it)."""
    with tracer() as t:
        lst = socket.socket()
        lst.bind(("127.0.0.1", 0))
        lst.listen(1)
        port = lst.getsockname()[1]
        cli = socket.create_connection(("127.0.0.1", port), timeout=10)
        lport = cli.getsockname()[1]
        lst.close()
        with pytest.raises(ConnectionResetError):
            cli.recv(1)
        cli.close()
        evs = wait_for(lambda: (lambda e: e if len(e) >= 3 else None)(of_port(t, port)), what="three events")
    by = {(e["type"], e["sport"]): e for e in evs}
    assert "error" not in by[("connect", lport)] and by[("connect", lport)]["pid"] == os.getpid()
    assert by[("close", lport)]["endedBy"] == "reset-received" and by[("close", lport)]["pid"] == os.getpid()
    srv = by[("close", port)]
    assert srv["endedBy"] == "reset-sent" and srv["dport"] == lport and srv["pid"] == 0
    assert not [e for e in evs if e["type"] == "accept"]


def test_full_backlog_connect_times_out(np):
    """A listener with listen(fd, 0) that never accepts, in a namespace of our own with tcp_syncookies=0 and
    tcp_syn_retries=1: the first connection fills its accept queue, the next SYNs are dropped (the namespace's
    ListenOverflows counts them) and that connect() fails with ETIMEDOUT; the tracer's latency is within 20% of
    what the client measured and its SYN retransmits equal the namespace's counter."""
    with Netns("c") as n:
        ns = n["c"]
        n.run(ns, "sysctl", "-qw", "net.ipv4.tcp_syncookies=0")
        n.run(ns, "sysctl", "-qw", "net.ipv4.tcp_syn_retries=1")
        lst, port = py_listener(ns, "127.0.0.1", 0)
        try:
            with tracer("-P", str(port), port=port) as t:
                first = run(np, "nbconnect", "127.0.0.1", port, ns=ns)
                second = run(np, "client", "127.0.0.1", port, 1, ns=ns)
                evs = wait_for(lambda: [e for e in of_port(t, port) if e.get("error") == "ETIMEDOUT"],
                               timeout=30, what="ETIMEDOUT")
            overflows = n.snmp(ns, ("TcpExt", "ListenOverflows"))
            syn_retrans = n.snmp(ns, ("TcpExt", "TCPSynRetrans"))
        finally:
            lst.kill()
            lst.wait()
    assert first[2] == "0" and second[2] == "ETIMEDOUT" and overflows > 0
    [e] = evs
    assert e["sport"] == int(second[1]) and e["comm"] == "netprobe" and e["type"] == "connect"
    assert abs(e["latency"] - int(second[3])) <= 0.2 * int(second[3]), (e, second)
    assert e["synRetransmits"] == syn_retrans > 0


PY_CLIENT = ("import socket,sys,time; c=socket.create_connection((sys.argv[1],int(sys.argv[2])),timeout=120); "
             "print(c.getsockname()[1],flush=True); sys.stdin.readline(); c.sendall(b'x'*1000); t=time.time()\n"
             "try: c.recv(1); print('no-error',flush=True)\n"
             "except OSError as e: print(e.errno, int((time.time()-t)*1e9), flush=True)\n"
             "c.close()")


def test_close_by_timeout_with_its_retransmits(np, tmp_path):
    """An established connection between two namespaces of ours whose path then loses every packet (all dropped
    at the server's interface: loss.bpf.c) while the client has data in flight, with tcp_retries2=3: the kernel
    gives up (ETIMEDOUT on the client's read) and the close says timeout, with the retransmits the namespace
    counted."""
    with Netns("c", "s", pair=True) as n:
        n.run(n["c"], "sysctl", "-qw", "net.ipv4.tcp_retries2=3")
        lst, port = py_listener(n["s"], "10.97.0.2", 4)
        cli = subprocess.Popen(["ip", "netns", "exec", n["c"], "/usr/bin/python3", "-c", PY_CLIENT, "10.97.0.2",
                                str(port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            with tracer("-P", str(port), port=port) as t:
                lport = int(cli.stdout.readline())
                before = n.snmp(n["c"], ("Tcp", "RetransSegs"))
                lose(n, n["s"], "v1", 100, tmp_path)
                cli.stdin.write("go\n")
                cli.stdin.flush()
                result = cli.stdout.readline().split()
                evs = wait_for(lambda: [e for e in of_port(t, port) if e["type"] == "close"], timeout=30,
                               what="the close")
            retrans = n.snmp(n["c"], ("Tcp", "RetransSegs")) - before
        finally:
            for p in (cli, lst):
                p.kill()
                p.wait()
    assert result[0] == "110"  # ETIMEDOUT
    [x] = evs
    assert x["sport"] == lport and x["pid"] == cli.pid and x["endedBy"] == "timeout"
    assert x["retransmits"] == retrans > 0


def test_retransmits_at_close_equal_the_namespaces_count(np, tmp_path):
    """50,000 bytes from a client to a server in two namespaces of ours, 30% of the client's data packets lost on
    the way (dropped at the server's interface: loss.bpf.c): each close's retransmits equal what its namespace
    counted (Tcp RetransSegs), and the bytes are all there."""
    with Netns("c", "s", pair=True) as n:
        # one segment a packet (veth sends 64 KiB GSO packets else: 50,000 bytes in a few, perhaps none lost)
        n.run(n["c"], "ip", "link", "set", "v0", "gso_max_segs", "1")
        lose(n, n["s"], "v1", 30, tmp_path)
        srv = subprocess.Popen(["ip", "netns", "exec", n["s"], np, "serve", "10.97.0.2", "0", "1", "0"],
                               stdout=subprocess.PIPE, text=True)
        port = int(srv.stdout.readline().split()[1])
        try:
            with tracer("-P", str(port), port=port) as t:
                _, lport, ret, *_ = run(np, "client", "10.97.0.2", port, 50000, ns=n["c"])
                srv.wait(60)
                evs = wait_for(lambda: (lambda e: e if len(e) == 2 else None)(
                    [e for e in of_port(t, port) if e["type"] == "close"]), timeout=60, what="both closes")
            counted = {side: n.snmp(n[side], ("Tcp", "RetransSegs")) for side in ("c", "s")}
        finally:
            if srv.poll() is None:
                srv.kill()
                srv.wait()
    assert ret == "0"
    by = {e["sport"]: e for e in evs}
    xc, xs = by[int(lport)], by[port]
    assert xc["sent"] == xs["received"] == 50000
    assert xc["retransmits"] == counted["c"] > 0, (xc, counted)
    assert xs["retransmits"] == counted["s"], (xs, counted)


def strace_events(path, lport=None):
    """The TCP connects, accepts and closes in an `strace -f -yy` log: (type, pid, local port, remote port).
    strace names a socket's ends only while it is connected: a client's socket (already in TIME-WAIT when it
    closes it) shows its inode only, so its local port is @lport (what the client printed) and its remote port
    the one it connected to."""
    import re
    out, connected = [], {}
    for line in open(path):
        m = re.match(r"(\d+) +(connect|accept4?|close)\((\d+)<TCP(?:v6)?:\[(.*?)\]>", line)
        if not m or (m[2] in ("connect", "close") and not line.rstrip().endswith("= 0")):
            continue
        pid, call, fd, what = int(m[1]), m[2], int(m[3]), m[4]
        ends = re.match(r".*:(\d+)->.*:(\d+)$", what)
        if call == "connect":
            connected[(pid, fd)] = int(re.search(r"htons\((\d+)\)", line)[1])
            out.append(("connect", pid, lport, connected[(pid, fd)]))
        elif call.startswith("accept"):
            r = re.search(r"= \d+<TCP(?:v6)?:\[.*?:(\d+)->.*?:(\d+)\]>", line)
            out.append(("accept", pid, int(r[1]), int(r[2])))
        elif ends:
            out.append(("close", pid, int(ends[1]), int(ends[2])))
        elif (pid, fd) in connected:
            out.append(("close", pid, lport, connected.pop((pid, fd))))
    return out


def test_every_event_equals_what_strace_shows(np, tmp_path):
    """A server and three clients, each under `strace -f -yy -e trace=connect,accept,accept4,close`: the
    tracer's connects, accepts and closes on that port are exactly strace's, with the same pids and ports."""
    st = ["strace", "-f", "-qq", "-yy", "-e", "trace=connect,accept,accept4,close"]
    with tracer() as t:
        srv = subprocess.Popen([*st, "-o", tmp_path / "srv", np, "serve", "127.0.0.1", "0", "3", "100"],
                               stdout=subprocess.PIPE, text=True)
        port = int(srv.stdout.readline().split()[1])
        lports = [int(run(*st, "-o", tmp_path / f"cli{i}", np, "client", "127.0.0.1", port, 10 * (i + 1))[1])
                  for i in range(3)]
        srv.wait(30)
        seen = wait_for(lambda: (lambda e: e if len(e) >= 12 else None)(of_port(t, port)), what="12 events")
    traced = sorted(strace_events(tmp_path / "srv") + sum((strace_events(tmp_path / f"cli{i}", lports[i])
                                                           for i in range(3)), []))
    assert len(traced) == 12, traced
    assert sorted((e["type"], e["pid"], e["sport"], e["dport"]) for e in seen) == traced


def test_four_tuples_equal_ss_while_up():
    """Connections that stay up (IPv4 and IPv6, made by this process): the tracer's connect and accept
    4-tuples are the ones `ss -tnp` shows for this process."""
    pairs = []
    with tracer("-p", str(os.getpid()), "--type", "connect,accept") as t:
        for fam, addr in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
            lst = socket.socket(fam)
            lst.bind((addr, 0))
            lst.listen(1)
            cli = socket.create_connection((addr, lst.getsockname()[1]), timeout=10)
            srv, _ = lst.accept()
            pairs.append((lst, cli, srv))
        ports = [p[0].getsockname()[1] for p in pairs]
        evs = wait_for(lambda: (lambda e: e if len(e) >= 4 else None)(
            [e for e in t.events() if e["type"] in ("connect", "accept") and
             {e["sport"], e["dport"]} & set(ports)]), what="four events")
        ss = subprocess.run(["ss", "-tnpH", "state", "established"], capture_output=True, text=True).stdout
    for p in pairs:
        for s in p:
            s.close()
    mine = set()
    for line in ss.splitlines():
        f = line.split()
        if f"pid={os.getpid()}," in line:
            (la, lp), (ra, rp) = (x.rsplit(":", 1) for x in f[2:4])
            mine.add((la.strip("[]"), int(lp), ra.strip("[]"), int(rp)))
    got = {(e["saddr"], e["sport"], e["daddr"], e["dport"]) for e in evs}
    assert len(got) == 4 and got <= mine, (got, mine)


def test_connect_reset_during_the_handshake(np):
    """connect() fails with ECONNRESET only when the reset comes in SYN_RECV (in SYN_SENT it is ECONNREFUSED):
    a peer of raw frames (workloads/synpeer.py, on an interface with no address in a namespace of ours) answers
    the SYN with a SYN of its own, a simultaneous open, and the SYN-ACK that follows with a reset. The tracer
    reports one connect, ECONNRESET, not a result at the SYN_RECV in between."""
    with Netns("c", "s", pair=True) as n:
        n.run(n["s"], "ip", "addr", "flush", "dev", "v1")  # the kernel there must not answer
        mac = subprocess.run(["ip", "netns", "exec", n["s"], "cat", "/sys/class/net/v1/address"],
                             capture_output=True, text=True, check=True).stdout.strip()
        n.run(n["c"], "ip", "neigh", "replace", "10.97.0.2", "lladdr", mac, "dev", "v0")
        peer = subprocess.Popen(["ip", "netns", "exec", n["s"], "/usr/bin/python3",
                                 os.path.join(HERE, "workloads", "synpeer.py"), "v1"], stdout=subprocess.PIPE,
                                text=True)
        try:
            assert peer.stdout.readline().strip() == "ready"
            with tracer("-P", "80", port=80) as t:
                _, lport, ret, connect_ns, *_ = run(np, "client", "10.97.0.2", 80, 1, ns=n["c"])
                evs = wait_for(lambda: [e for e in t.events() if e["sport"] == int(lport)], what="the connect")
                time.sleep(1)
                evs = [e for e in t.events() if e["sport"] == int(lport)]
            assert peer.stdout.readline().strip() == "reset"
        finally:
            peer.kill()
            peer.wait()
    assert ret == "ECONNRESET"
    [c] = evs
    assert (c["type"], c["error"], c["daddr"], c["dport"], c["comm"]) == ("connect", "ECONNRESET", "10.97.0.2", 80,
                                                                          "netprobe")
    assert 0 < c["latency"] <= int(connect_ns) + 5_000_000
