"""--metrics: the agent's (and the streaming applets') Prometheus metrics, scraped by Debian's real `prometheus`
server on 127.0.0.1 and asked through its HTTP API (PromQL), against real containers; retention; bad clients."""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
import uuid

import pytest

from conftest import BINARY, Tracer, gadgetbox_cmd, static_workload, unique, wait_for
from runtimes import containers  # noqa: F401 (fixture)

HERE = os.path.dirname(os.path.abspath(__file__))
DNS_SERVER_SRC = os.path.join(HERE, "workloads", "dnsserver.c")
STREAMING = ["execsnoop-k8s", "opensnoop-k8s", "exitsnoop-k8s", "sigsnoop-k8s", "bindsnoop-k8s", "tcptracer-k8s",
             "dnssnoop", "seccomp-audit", "agent"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape(port, path="/metrics"):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
        return r.status, r.headers.get("Content-Type"), r.read().decode()


def series(text, name):
    """{labels text: value} of metric NAME in an exposition text."""
    out = {}
    for line in text.splitlines():
        if line.startswith(name + "{"):
            labels, value = line[len(name) + 1:].rsplit("} ", 1)
            out[labels] = float(value)
    return out


@pytest.fixture(scope="module")
def bindir():
    yield from static_workload(DNS_SERVER_SRC, "dnsserver", "gb-metrics-bin-")


@pytest.fixture(scope="module")
def prometheus():
    """Debian's prometheus (installed if missing), scraping the agent's port every second; yields (its API
    port, the port it scrapes)."""
    if not shutil.which("prometheus"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "prometheus"], check=True,
                       env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"), capture_output=True)
    d = tempfile.mkdtemp(prefix="gb-prom-")
    target, api = free_port(), free_port()
    with open(os.path.join(d, "prometheus.yml"), "w") as f:
        f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n"
                f"  - job_name: gadgetbox\n    static_configs:\n      - targets: ['127.0.0.1:{target}']\n")
    log = open(os.path.join(d, "log"), "wb")
    p = subprocess.Popen(["prometheus", f"--config.file={d}/prometheus.yml", f"--storage.tsdb.path={d}/data",
                          f"--web.listen-address=127.0.0.1:{api}"], stdout=log, stderr=log)

    def ready():
        try:
            return urllib.request.urlopen(f"http://127.0.0.1:{api}/-/ready", timeout=2).status == 200
        except OSError:
            return False
    try:
        wait_for(ready, timeout=60, what="prometheus ready")
        yield api, target
    finally:
        p.terminate()
        p.wait(30)
        log.close()
        shutil.rmtree(d, ignore_errors=True)


def promql(api, q):
    """The instant vector of Q: {frozenset of labels: value}."""
    url = f"http://127.0.0.1:{api}/api/v1/query?" + urllib.parse.urlencode({"query": q})
    with urllib.request.urlopen(url, timeout=10) as r:
        body = json.load(r)
    assert body["status"] == "success", body
    return {frozenset(v["metric"].items()): float(v["value"][1]) for v in body["data"]["result"]}


def value(api, q):
    r = promql(api, q)
    return sum(r.values()) if r else None


def metrics_agent(port, *args):
    return Tracer("agent", "--metrics", f"127.0.0.1:{port}", *args)


def test_prometheus_reads_the_counts_a_workload_produced(containers, bindir, prometheus):
    """5 NXDOMAIN answers for a pod, 3 failed execs in it, one OOM kill in a docker container: what PromQL says."""
    api, port = prometheus
    tag = uuid.uuid4().hex[:8]
    pod, oom = f"gbt-metp-{tag}", f"gbt-meto-{tag}"
    workload = ("/w/dnsserver 53 0 & sleep 1; for i in 1 2 3 4 5; do nslookup nx.{tag}.test 127.0.0.1; done; "
                "for i in 1 2 3; do /gbt-no-such-program; done; sleep 300").format(tag=tag)
    with metrics_agent(port, "-g", "exec,dns,exit", "--metrics-retention", "600") as t:
        containers.start("cri", pod, ["sh", "-c", workload], namespace="gbt-metrics", host_network=False,
                         mounts=[(bindir, "/w")])
        containers.start("docker", oom, ["tail", "/dev/zero"], extra_args=["--memory", "32m", "--memory-swap", "32m"])
        sel = f'namespace="gbt-metrics",pod="{pod}",container="{pod}"'
        wait_for(lambda: value(api, f'gadgetbox_dns_responses_total{{{sel},qtype="A",rcode="NXDOMAIN"}}') == 5,
                 timeout=90, what="5 NXDOMAIN in PromQL")
        wait_for(lambda: value(api, f'gadgetbox_execs_total{{{sel},result="ENOENT"}}') == 3, timeout=60,
                 what="3 failed execs in PromQL")
        wait_for(lambda: value(api, f'gadgetbox_oom_kills_total{{container="{oom}"}}') == 1, timeout=60,
                 what="the OOM kill in PromQL")
        assert value(api, f'gadgetbox_exits_total{{container="{oom}",cause="oom"}}') == 1
        # the queries were sent, each answered: latency observed per response
        assert value(api, f'gadgetbox_dns_queries_total{{{sel},qtype="A"}}') == 5
        assert value(api, f'gadgetbox_dns_latency_seconds_count{{{sel}}}') >= 5
        assert value(api, 'gadgetbox_build_info{applet="agent"}') == 1
        assert value(api, 'gadgetbox_containers{runtime="containerd"}') >= 1
        lost = promql(api, "gadgetbox_events_lost_total")
        assert {dict(k)["gadget"] for k in lost} == {"exec", "dns", "exit"} and not any(lost.values())
        t.stop()


def test_series_of_a_removed_container_go_after_the_retention(containers):
    port = free_port()
    name = unique("gbt-metr")
    keep = unique("gbt-metk")
    with metrics_agent(port, "-g", "exec", "--metrics-retention", "2") as t:
        cid = containers.start("docker", name, ["sh", "-c", "/gbt-nope; sleep 300"])
        containers.start("docker", keep, ["sh", "-c", "/gbt-nope; sleep 300"])

        def has(n):
            return any(f'container="{n}"' in k for k in series(scrape(port)[2], "gadgetbox_execs_total"))
        wait_for(lambda: has(name) and has(keep), timeout=30, what="both containers' series")
        containers.remove("docker", cid)
        removed = time.time()
        wait_for(lambda: not has(name), timeout=30, what="the removed container's series to go")
        assert time.time() - removed >= 1.5  # kept for the retention, not dropped at once
        assert has(keep)
        t.stop()


def test_metrics_only_agent_writes_no_lines(containers):
    port = free_port()
    p = subprocess.Popen(gadgetbox_cmd("agent", "--metrics", f"127.0.0.1:{port}", "-o", "none", "-g", "exec",
                                       "--host"), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        marker = "gbt-metrics-none-" + uuid.uuid4().hex[:6]

        def counted():
            subprocess.run(["/bin/sh", "-c", f"/{marker} 2>/dev/null"])
            try:
                return series(scrape(port)[2], "gadgetbox_execs_total")
            except OSError:
                return None
        got = wait_for(lambda: (s := counted()) and any('container=""' in k and 'result="ENOENT"' in k for k in s),
                       timeout=30, what="the host's failed exec counted")
        assert got
    finally:
        p.terminate()
        out, err = p.communicate(timeout=30)
    assert out == b"" and p.returncode == 0, err


def test_bad_clients_do_not_stop_tracing(containers):
    """1,000 idle connections, a malformed request, a 404 and a POST: the agent traces on and still answers."""
    port = free_port()
    with Tracer("agent", "--metrics", f"127.0.0.1:{port}", "-g", "exec") as t:
        idle = []
        try:
            for _ in range(1000):
                s = socket.create_connection(("127.0.0.1", port), timeout=10)
                idle.append(s)
            # a malformed request is refused, or left to the server's 10 s timeout, which then closes it
            with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
                s.sendall(b"\x00\x01GARBAGE \xff\r\n\r\n")
                # meanwhile a well-formed scrape is answered
                assert "gadgetbox_build_info" in scrape(port)[2]
                reply = s.recv(4096)
            assert reply == b"" or reply.startswith(b"HTTP/1.1 400"), reply
            # tracing goes on meanwhile: a new exec is written
            marker = "gbt-metrics-bad-" + uuid.uuid4().hex[:6]
            subprocess.run(["/bin/true", marker])
            wait_for(lambda: marker.encode() in t.raw(), timeout=30, what="an exec while 1,000 clients idle")
            status, ctype, text = scrape(port)
            assert status == 200 and ctype.startswith("text/plain; version=0.0.4")
            assert "gadgetbox_execs_total{" in text
        finally:
            for s in idle:
                s.close()
        for path, code in (("/", 404), ("/metricsx", 404)):
            with pytest.raises(urllib.error.HTTPError) as e:
                scrape(port, path)
            assert e.value.code == code
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/metrics", data=b"x" * 100000,
                                                          method="POST"), timeout=10)
        assert e.value.code == 405
        marker = "gbt-metrics-after-" + uuid.uuid4().hex[:6]
        subprocess.run(["/bin/true", marker])
        wait_for(lambda: marker.encode() in t.raw(), timeout=30, what="an exec after the bad clients")
        t.stop()
    assert t.proc.returncode == 0
    assert not [r for r in t.records() if r.get("type") == "lost"]


@pytest.mark.parametrize("applet", STREAMING)
def test_every_streaming_applet_serves_metrics(applet):
    """--metrics and --metrics-retention on each streaming applet: /metrics answers with its build_info and
    the lost events of its gadget; a port in use is a one-line error."""
    port = free_port()
    p = subprocess.Popen(gadgetbox_cmd(applet, "--metrics", f"127.0.0.1:{port}", "--metrics-retention", "60",
                                       "-o", "json", "--timeout", "60"),
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        # served from before the tracer is open; its lost events once it is
        text = wait_for(lambda: (t := _try_scrape(port)) and "gadgetbox_events_lost_total{gadget=" in t and t,
                        timeout=60, what=f"{applet}'s /metrics with its gadget's lost events")
        assert f'gadgetbox_build_info{{version="' in text and f'applet="{applet}"' in text
        # the same port again: it cannot listen, and says so in one line
        r = subprocess.run(gadgetbox_cmd(applet, "--metrics", f"127.0.0.1:{port}", "--timeout", "5"),
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 1 and f"--metrics 127.0.0.1:{port}: cannot listen there" in r.stderr, r.stderr
    finally:
        p.terminate()
        p.communicate(timeout=30)


def _try_scrape(port):
    try:
        return scrape(port)[2]
    except OSError:
        return None
