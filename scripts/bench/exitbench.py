"""The exit and signal tracers' part of the benchmark (bench.py runs it; BENCH_ONLY=exit alone).

A fork+exit loop (forkloop.c: each child exits at once, its parent gets SIGCHLD) on CPU 0 under: no tracer,
libbpf-tools' exitsnoop and sigsnoop (Debian's), and exitsnoop-k8s and sigsnoop-k8s (columns, JSON, and with a
container filter that drops every event in the kernel), tracers on CPU 1, RUNS rounds in rotated order. Also
the ready time and peak RSS of both applets (ready: the first marker caught, a process named after it exiting,
or signalling itself).
"""
import os
import re
import subprocess
import sys
import time

import bench as B

TRACERS = [
    ("none", None),
    ("libbpf-tools-exitsnoop", ["/usr/sbin/exitsnoop"]),
    ("exitsnoop-k8s", [B.GB, "exitsnoop-k8s", "--host"]),
    ("exitsnoop-k8s-json", [B.GB, "exitsnoop-k8s", "--host", "-o", "json"]),
    ("exitsnoop-k8s-filtered", [B.GB, "exitsnoop-k8s", "-c", "no-such-container"]),
    ("libbpf-tools-sigsnoop", ["/usr/sbin/sigsnoop"]),
    ("sigsnoop-k8s", [B.GB, "sigsnoop-k8s", "--host"]),
    ("sigsnoop-k8s-filtered", [B.GB, "sigsnoop-k8s", "-c", "no-such-container"]),
]
# each of ours against the libbpf-tools tool that does the same
PEER = {"exitsnoop-k8s": "libbpf-tools-exitsnoop", "exitsnoop-k8s-json": "libbpf-tools-exitsnoop",
        "sigsnoop-k8s": "libbpf-tools-sigsnoop"}


def build(tmp):
    out = os.path.join(tmp, "forkloop")
    subprocess.run(["gcc", "-O2", "-o", out, os.path.join(B.HERE, "forkloop.c")], check=True)
    return out


class Prober(B.Prober):
    """Markers for an exit tracer (a process named MARKER exits) or a signal tracer (a shell named MARKER sends
    itself SIGWINCH, which it ignores)."""

    def __init__(self, kind, tmp, tag):
        super().__init__(kind, None, tag)
        self.tmp = tmp

    def probe(self):
        i = len(self.issued)
        self.issued.append(time.monotonic())
        link = os.path.join(self.tmp, f"{self.tag}-{i}")  # a whole comm: at most 15 bytes
        os.symlink("/bin/true" if self.workload == "exit" else "/bin/dash", link)
        subprocess.run([link] if self.workload == "exit" else [link, "-c", "kill -WINCH $$"])
        os.unlink(link)


def kind(name):
    return "signal" if "sigsnoop" in name else "exit"


def run_one(name, cmd, forkloop, tmp, rnd):
    out_path = os.path.join(tmp, f"exit-{name}-{rnd}.out")
    err_path = out_path + ".err"
    res, proc = {"tracer": name}, None
    if cmd:
        prober = Prober(kind(name), tmp, f"gbx{rnd}{name[:3]}{len(name)}")
        proc = B.start_tracer(name, cmd, prober, out_path, err_path, res)
        cpu_before = B.cpu_ns(proc.pid)
    r = subprocess.run([forkloop, "0", str(B.DURATION)], capture_output=True, text=True, check=True)
    m = re.search(r"ops=(\d+) ns_per_op=([\d.]+)", r.stdout)
    res["ops"], res["ns_per_op"] = int(m.group(1)), float(m.group(2))
    if proc:
        B.stop_tracer(proc, cpu_before, err_path, res)
        with open(out_path, "rb") as f:
            res["delivered"] = sum(1 for line in f if b"forkloop" in line)
        res["events_per_s"] = res["delivered"] / B.DURATION
        res["cpu_ns_per_event"] = res["cpu_ns"] / res["delivered"] if res["delivered"] else None
        os.unlink(out_path)
    return res


def bench(tmp):
    """Rounds of every tracer on the fork+exit loop: a summary per tracer (medians, min, max)."""
    forkloop = build(tmp)
    rounds = []
    for rnd in range(B.RUNS):
        order = TRACERS[rnd % len(TRACERS):] + TRACERS[:rnd % len(TRACERS)]
        results = {}
        for name, cmd in order:
            results[name] = run_one(name, cmd, forkloop, tmp, rnd)
            print(f"  fork+exit round {rnd + 1}/{B.RUNS} {name}: {results[name]['ns_per_op']:.0f} ns/op",
                  file=sys.stderr)
        base = results["none"]["ns_per_op"]
        for r in results.values():
            r["overhead_ns"] = r["ns_per_op"] - base
            r["ratio_to_none"] = r["ns_per_op"] / base
        for n, peer in PEER.items():
            lt = results[peer]["overhead_ns"]
            results[n]["ratio_to_libbpf_tools"] = results[n]["overhead_ns"] / lt if lt > 0 else None
        rounds.append(results)
    keys = ("ns_per_op", "overhead_ns", "ratio_to_none", "ratio_to_libbpf_tools", "events_per_s", "lost",
            "cpu_ns_per_event", "rss_kb", "ready_ms")
    return {n: {k: B.med([rd[n].get(k) for rd in rounds]) for k in keys} for n, _ in TRACERS}


def markdown(summary):
    lines = ["## fork+exit loop (exitsnoop, sigsnoop)", "",
             "Each operation is a fork() whose child exits at once (one exit, one SIGCHLD). × none: ns/op against "
             "the same round's untraced loop (goal ≤ 1.05); × libbpf-tools: overhead against the libbpf-tools tool "
             "that does the same (goal ≤ 1.0).", "",
             "| tracer | ns/op | overhead ns/op | × none | × libbpf-tools | events/s delivered | lost | "
             "tracer CPU ns/event | peak RSS KiB | ready ms |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for n, s in summary.items():
        lines.append(f"| {n} | {B.fmt(s['ns_per_op'])} | {B.fmt(s['overhead_ns'])} | {B.fmt(s['ratio_to_none'], 3)} | "
                     f"{B.fmt(s['ratio_to_libbpf_tools'], 2)} | {B.fmt(s['events_per_s'])} | {B.fmt(s['lost'])} | "
                     f"{B.fmt(s['cpu_ns_per_event'])} | {B.fmt(s['rss_kb'])} | {B.fmt(s['ready_ms'])} |")
    return lines
