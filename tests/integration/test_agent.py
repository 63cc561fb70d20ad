"""agent: several gadgets on one context, their events as JSON lines tagged "gadget" and k8s.node, against real
containers (docker, and a CRI pod) doing one thing of each kind: exec, a failed open, a DNS exchange, a refused
TCP connect, a bind, a signal, failed exits, a syscall Docker's default seccomp profile refuses."""
import os
import subprocess
import threading
import time
import uuid

import pytest

from conftest import BINARY, Tracer, static_workload, unique, wait_for
from runtimes import BUSYBOX, containers, run  # noqa: F401 (fixture)
from test_containers import events
from test_metrics import free_port, scrape

HERE = os.path.dirname(os.path.abspath(__file__))
DNS_SERVER_SRC = os.path.join(HERE, "workloads", "dnsserver.c")
ALL = "exec,open,dns,tcp,bind,exit,signal,seccomp-audit"

# one of each: the DNS server and nslookup inside the container (its own network namespace), cat of a missing
# file, busybox nc connecting to a closed port and listening on another, a TERM to a sleep, exit 3, mount
WORKLOAD = ("/w/dnsserver 53 0 & sleep 1; nslookup {tag}.test 127.0.0.1; cat /gbt-no-such-{tag}; "
            "nc 127.0.0.1 1 </dev/null; nc -l -p 4242 & sleep 0.5; kill $!; sleep 100 & kill -TERM $!; "
            "sh -c 'exit 3'; mount -t tmpfs x /mnt; echo done; sleep 300")


@pytest.fixture(scope="module")
def bindir():
    yield from static_workload(DNS_SERVER_SRC, "dnsserver", "gb-agent-bin-")


def agent(*args):
    return Tracer("agent", *args)


def of(t, cid):
    return [e for e in t.events() if e.get("runtime", {}).get("containerId") == cid]


def check_every_gadget(t, cid, tag, node):
    want = set(ALL.split(","))
    wait_for(lambda: want <= {e["gadget"] for e in of(t, cid)}, timeout=60,
             what=f"an event of every gadget: {want - {e['gadget'] for e in of(t, cid)}}")
    evs = of(t, cid)
    assert all(e["k8s"]["node"] == node for e in evs), evs[:3]
    by = {}
    for e in evs:
        by.setdefault(e["gadget"], []).append(e)
    assert any(e.get("args", [""])[0] == "cat" or e["comm"] == "cat" for e in by["exec"])
    assert any(e["path"] == f"/gbt-no-such-{tag}" and e["error"] == "ENOENT" for e in by["open"])
    assert all(e["ret"] < 0 for e in by["open"])  # failed opens only, by default
    assert any(e.get("name") == f"{tag}.test" for e in by["dns"])
    assert any(e["type"] == "connect" and e.get("error") == "ECONNREFUSED" for e in by["tcp"])
    assert {e["type"] for e in by["tcp"]} == {"connect"}  # connects only, by default
    assert any(e.get("port") == 4242 for e in by["bind"])
    assert any(e["signal"] == "SIGTERM" for e in by["signal"])
    assert all(e["signal"] != "SIGCHLD" for e in by["signal"])
    assert any(e.get("exitCode") == 3 for e in by["exit"])
    assert any(e.get("signal") == "SIGTERM" for e in by["exit"])
    assert all(e.get("exitCode", 1) != 0 or e.get("containerEnd") for e in by["exit"])  # failures only
    assert any(e["syscall"] == "mount" and e["action"] == "errno(EPERM)" for e in by["seccomp-audit"])
    return by


def test_agent_events_of_every_gadget_carry_gadget_and_node(containers, bindir, monkeypatch):
    node = unique("gbt-node")
    monkeypatch.setenv("NODE_NAME", node)
    tag = uuid.uuid4().hex[:8]
    name = f"gbt-agent-{tag}"
    with agent("--gadgets", ALL) as t:
        cid = containers.start("docker", name, ["sh", "-c", WORKLOAD.format(tag=tag)],
                               extra_args=["-v", f"{bindir}:/w:ro"])
        check_every_gadget(t, cid, tag, node)
        # a host process's event has k8s.node too (the agent's lines name their node, pods or not)
        host = [e for e in t.events() if e["gadget"] == "exec" and t.marker in str(e.get("args"))]
        assert host and host[0]["k8s"]["node"] == node and host[0]["runtime"]["containerId"] == ""
        t.stop()
    assert t.proc.returncode == 0, t.stderr()


def test_agent_pod_events_carry_namespace_pod_and_node(containers, bindir, monkeypatch):
    node = unique("gbt-node")
    monkeypatch.setenv("NODE_NAME", node)
    tag = uuid.uuid4().hex[:8]
    name = f"gbt-agentp-{tag}"
    with agent("-g", "exec,open", "--k8s-namespace", "gbt-agent") as t:
        cid = containers.start("cri", name, ["sh", "-c", f"cat /gbt-no-such-{tag}; sleep 300"],
                               namespace="gbt-agent", host_network=False)
        wait_for(lambda: {"exec", "open"} <= {e["gadget"] for e in of(t, cid)}, timeout=60, what="the pod's events")
        for e in of(t, cid):
            assert e["k8s"] == {"node": node, "namespace": "gbt-agent", "podName": name, "containerName": name}
        assert {e["gadget"] for e in t.events() if "gadget" in e} <= {"exec", "open"}


def test_default_gadgets_leave_seccomp_audit_out_and_say_which_run():
    r = subprocess.run([BINARY, "agent", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "default: all but seccomp-audit" in r.stdout
    with agent() as t:
        subprocess.run(["cat", "/gbt-agent-no-such-file"], capture_output=True)
        wait_for(lambda: any(e.get("path") == "/gbt-agent-no-such-file" for e in t.events()), what="the failed open")
        t.stop()
    assert t.proc.returncode == 0


def test_agent_usage_errors():
    for args, msg in ((["--gadgets", "exec,bogus"], "unknown gadget 'bogus'"),
                      (["-o", "none"], "-o none writes nothing: give --metrics"),
                      (["--metrics", "nonsense"], "invalid --metrics 'nonsense'"),
                      (["--metrics", "127.0.0.1:99999"], "invalid --metrics"),
                      (["--metrics-retention", "-1"], "invalid --metrics-retention")):
        r = subprocess.run([BINARY, "agent", *args], capture_output=True, text=True, timeout=30)
        assert r.returncode == 2 and msg in r.stderr, (args, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    # -o none exists only where --metrics does
    r = subprocess.run([BINARY, "pssnap", "-o", "none"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2



CHURN_N = int(os.environ.get("GB_AGENT_CHURN_N", "200"))


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def first_exec(evs, name):
    return [e for e in evs if e.get("gadget") == "exec" and e.get("args", [""])[0] == "/" + name]


def test_agent_under_churn_stays_bounded_and_labels_every_first_exec(containers):
    """CHURN_N containers (docker and ctr, two at a time) started and removed while the agent runs with its
    default gadgets and metrics. Each one's first act is a failed exec of /NAME (the agent writes failed execs
    only): every one is written with its container; RSS stays within
    1 MiB of what it was after the first quarter; the series of the removed containers all go after the
    retention, so their number follows the live containers (sampled at every scrape)."""
    port, tag = free_port(), uuid.uuid4().hex[:6]
    started, failures, peak = [], [], {"series": 0, "churned": 0}
    lock = threading.Lock()
    quarter = threading.Event()
    done = threading.Event()

    def churn(runtime, n):
        containers.run_each(runtime, [f"gbt-achurn-{runtime}-{tag}-{i:03d}" for i in range(n)],
                            lambda name: ["/bin/sh", "-c", '"/$0" 2>/dev/null; exit 0', name], started, failures,
                            lock, on_done=lambda k: k >= CHURN_N // 4 and quarter.set())

    def sample():
        while not done.wait(0.5):
            try:
                lines = [x for x in scrape(port)[2].splitlines() if x and not x.startswith("#")]
            except OSError:
                continue
            peak["series"] = max(peak["series"], len(lines))
            peak["churned"] = max(peak["churned"], len({x.split('container="')[1].split('"')[0]
                                                        for x in lines if "gbt-achurn-" in x and tag in x}))

    # containers only (the host's failed execs, every PATH search of the runtimes' CLIs, would be most of the
    # output): ready once a container's failed exec of the marker shows
    t = Tracer("agent", "--metrics", f"127.0.0.1:{port}", "--metrics-retention", "5", host=False,
               probe=lambda m: run("docker", "run", "--rm", "--network", "none", BUSYBOX, "sh", "-c", '"/$0"; :', m))
    with t:
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        threads = [threading.Thread(target=churn, args=(r, CHURN_N // 2), daemon=True) for r in ("docker", "ctr")]
        for th in threads:
            th.start()
        assert quarter.wait(900), failures
        rss_quarter = rss_kib(t.proc.pid)
        for th in threads:
            th.join(1800)
        assert not failures, failures
        def missing():
            evs = events(t)
            return [name for _, name, _ in started if not first_exec(evs, name)]
        deadline = time.time() + 60
        while missing() and time.time() < deadline:
            time.sleep(1)
        gone = missing()
        assert not gone, (f"{len(gone)} failed execs not written: {gone[:10]}\n{t.stderr()}\n" +
                          "\n".join(line.decode(errors="replace")[:300] for line in t.raw().splitlines()
                                    if any(n.encode() in line for n in gone[:3])))
        # the removed containers' series go after the 5 s retention
        wait_for(lambda: tag not in scrape(port)[2], timeout=60, what="the churned containers' series to go")
        done.set()
        sampler.join(10)
        rss_end = rss_kib(t.proc.pid)
        t.stop()
    evs = events(t)
    wrong = [name for _, name, cid in started if any(e["runtime"]["containerId"] != cid for e in first_exec(evs, name))]
    assert not wrong, f"{len(wrong)} first execs labelled with another container: {wrong}"
    assert len(started) == CHURN_N // 2 * 2
    assert rss_end - rss_quarter <= 1024, f"RSS grew {rss_quarter} -> {rss_end} KiB over {CHURN_N} containers"
    # two at a time, each gone 5 s after its removal: a few dozen at most carry series at once, never all
    assert 0 < peak["churned"] < CHURN_N // 2, peak
    assert not [r for r in t.records() if r.get("type") == "lost"], t.stderr()
