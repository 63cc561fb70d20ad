#!/usr/bin/python3
"""gadgetbox benchmark: the cost each tracer puts on a traced workload, side by side, in one run.

For each workload (open+close loop, fork+exec loop) and each of RUNS rounds, every tracer runs in turn
(order rotated each round): no tracer (the baseline), Debian's libbpf-tools, gadgetbox in columns and in
JSON, and gadgetbox with a container filter that drops every event in the kernel. The workload is pinned to
CPU 0, the tracer to CPU 1, output goes to a file. Ratios are computed within a round, pair by pair, because
these machines are noisy; tables show the median with min and max.

Usage: bench.py OUTDIR   (environment: RUNS=5 DURATION=3 CONTAINERS=100 SOCKETS_PER_CONTAINER=100)
"""
import json
import socket
import struct
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
GB = os.path.join(ROOT, "gadgetbox")
RUNS = int(os.environ.get("RUNS", "5"))
DURATION = float(os.environ.get("DURATION", "3"))
CONTAINERS = int(os.environ.get("CONTAINERS", "100"))
SOCKETS = int(os.environ.get("SOCKETS_PER_CONTAINER", "100"))
CLK_TCK = os.sysconf("SC_CLK_TCK")


def build(tmp):
    bins = {}
    for name, cc in (("openloop", ["gcc", "-O2"]), ("execloop", ["gcc", "-O2"]),
                     ("tiny", ["musl-gcc", "-O2", "-static", "-s"]), ("maxrss", ["musl-gcc", "-O2", "-static"])):
        out = os.path.join(tmp, name)
        subprocess.run(cc + ["-o", out, os.path.join(HERE, name + ".c")], check=True)
        bins[name] = out
    # the containers' sockets (the tests' workload): static, bind-mounted into busybox containers
    d = os.path.join(tmp, "w")
    os.makedirs(d)
    os.chmod(d, 0o755)
    subprocess.run(["musl-gcc", "-O2", "-static", "-o", os.path.join(d, "sockets"),
                    os.path.join(ROOT, "tests", "integration", "workloads", "sockets.c")], check=True)
    subprocess.run(["musl-gcc", "-O2", "-static", "-o", os.path.join(d, "sysloop"), os.path.join(HERE, "sysloop.c")],
                   check=True)
    bins["sockets_dir"] = d
    return bins


def tracers(workload):
    applet = "opensnoop-k8s" if workload == "open" else "execsnoop-k8s"
    bcc = "/usr/sbin/opensnoop" if workload == "open" else "/usr/sbin/execsnoop"
    return [
        ("none", None),
        ("libbpf-tools", [bcc]),
        ("gadgetbox", [GB, applet, "--host"]),
        ("gadgetbox-json", [GB, applet, "--host", "-o", "json"]),
        ("gadgetbox-filtered", [GB, applet, "-c", "no-such-container"]),
    ]


def cpu_ns(pid):
    """CPU time of a process in ns (schedstat when present, else utime+stime)."""
    try:
        with open(f"/proc/{pid}/schedstat") as f:
            return int(f.read().split()[0])
    except OSError:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) * 10**9 // CLK_TCK


def peak_rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


class Prober:
    """Makes numbered marker events until one shows up in the tracer's output; the ready time is when the
    first marker that was caught had been made, counted from the tracer's exec."""

    def __init__(self, workload, tiny, tag):
        self.workload, self.tiny, self.tag, self.issued = workload, tiny, tag, []

    def probe(self):
        i = len(self.issued)
        self.issued.append(time.monotonic())
        marker = f"{self.tag}-{i}"
        if self.workload == "dns":
            # a query for MARKER.example to 127.0.0.1:53: dnssnoop sees it leave, whether anything answers or not
            name = b"".join(bytes([len(p)]) + p.encode() for p in (marker, "example")) + b"\0"
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.sendto(struct.pack(">6H", i & 0xffff, 0x0100, 1, 0, 0, 0) + name + struct.pack(">2H", 1, 1),
                         ("127.0.0.1", 53))
        elif self.workload == "open":
            try:
                os.close(os.open(f"/tmp/{marker}", os.O_RDONLY))
            except OSError:
                pass
        else:
            subprocess.run([self.tiny, marker])

    def wait(self, out_path, deadline):
        """Probe until a marker shows in the tracer's output file: the first one caught, or None by deadline."""
        caught = None
        while time.monotonic() < deadline and caught is None:
            self.probe()
            time.sleep(0.002)
            with open(out_path, "rb") as f:
                caught = self.first_caught(f.read().decode(errors="replace"))
        return caught

    def first_caught(self, text):
        found = [int(m) for m in re.findall(re.escape(self.tag) + r"-(\d+)", text)]
        return min(found) if found else None


def ready_rss(workload, cmd, bins, tmp, tag):
    """Start a tracer, probe until it shows a marker: (ready ms, peak RSS KiB once ready)."""
    out_path = os.path.join(tmp, f"ready-{tag}.out")
    prober = Prober(workload, bins["tiny"], tag)
    t0 = time.monotonic()
    with open(out_path, "wb") as out:
        proc = subprocess.Popen(["taskset", "-c", "1"] + cmd, stdout=out, stderr=subprocess.DEVNULL)
    caught = prober.wait(out_path, t0 + 30)
    time.sleep(0.2)
    rss = peak_rss_kb(proc.pid)
    proc.send_signal(signal.SIGINT)
    proc.wait(30)
    os.unlink(out_path)
    if caught is None:
        raise SystemExit(f"{' '.join(cmd)} never showed a marker")
    return (prober.issued[caught] - t0) * 1000, rss


# the tracing applets, with the kind of marker event each shows (ready = the first marker caught)
READY_APPLETS = [("execsnoop-k8s", "exec"), ("opensnoop-k8s", "open"), ("dnssnoop", "dns")]


def ready_phase(bins, tmp, label):
    """Ready time and peak RSS of every tracing applet, RUNS rounds each."""
    res = {}
    for applet, kind in READY_APPLETS:
        ready, rss = [], []
        for rnd in range(RUNS):
            r, m = ready_rss(kind, [GB, applet, "--host"], bins, tmp, f"gbrdy{label}{rnd}{kind}")
            ready.append(r)
            rss.append(m)
        res[applet] = {"ready_ms": med(ready), "rss_kb": med(rss)}
        print(f"  ready {label} {applet}: {res[applet]['ready_ms'][0]:.0f} ms", file=sys.stderr)
    return res


def snapshot_rss(bins):
    """Peak RSS of the applets that take a snapshot and exit, and of seccomp-advise recording for 1 s."""
    res = {}
    for cmd in (["pssnap"], ["socksnap", "-tuna"], ["containers"], ["seccomp-advise", "--timeout", "1"]):
        rss = []
        for _ in range(RUNS):
            r = subprocess.run([bins["maxrss"], GB] + cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True)
            m = re.search(r"maxrss_kb=(\d+)", r.stderr)
            rss.append(int(m.group(1)) if m else None)
        res[" ".join(cmd)] = med(rss)
    return res


def run_one(workload, name, cmd, bins, tmp, rnd):
    out_path = os.path.join(tmp, f"{workload}-{name}-{rnd}.out")
    err_path = out_path + ".err"
    target = os.path.join(tmp, f"bench-target-{rnd}") if workload == "open" else bins["tiny"]
    if workload == "open":
        open(target, "w").close()
    res = {"tracer": name}
    proc = None
    if cmd:
        prober = Prober(workload, bins["tiny"], f"gbready{rnd}{name.replace('-', '')}")
        t0 = time.monotonic()
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            proc = subprocess.Popen(["taskset", "-c", "1"] + cmd, stdout=out, stderr=err)
        if name.endswith("filtered"):
            time.sleep(2.0)  # drops everything in the kernel: nothing to see; give it time to attach
        else:
            caught = prober.wait(out_path, t0 + 30)
            if caught is None:
                raise SystemExit(f"{name} never became ready: {open(err_path).read()}")
            res["ready_ms"] = (prober.issued[caught] - t0) * 1000
            time.sleep(0.2)
        cpu_before = cpu_ns(proc.pid)
    gen = bins["openloop"] if workload == "open" else bins["execloop"]
    r = subprocess.run([gen, "0", str(DURATION), target], capture_output=True, text=True, check=True)
    m = re.search(r"ops=(\d+) ns_per_op=([\d.]+)", r.stdout)
    res["ops"], res["ns_per_op"] = int(m.group(1)), float(m.group(2))
    if proc:
        time.sleep(0.3)  # let the tracer drain what is buffered
        res["cpu_ns"] = cpu_ns(proc.pid) - cpu_before
        res["rss_kb"] = peak_rss_kb(proc.pid)
        proc.send_signal(signal.SIGINT)
        proc.wait(30)
        with open(out_path, "rb") as f:
            data = f.read()
        key = os.path.basename(target).encode()
        lines = [line for line in data.split(b"\n") if key in line]
        res["delivered"] = len(lines)
        if workload == "exec":
            # argv is [tiny, "gb-bench-exec"]: did the tracer capture it whole?
            res["argv_complete_pct"] = (100.0 * sum(1 for line in lines if b"gb-bench-exec" in line) / len(lines)
                                        if lines else None)
        err = open(err_path, errors="replace").read()
        lost = [int(x) for x in re.findall(r"(\d+) events lost in total", err)]
        lost += [int(x) for x in re.findall(r"[Ll]ost (\d+) (?:events|samples)", err)] if not lost else []
        res["lost"] = max(lost) if lost else 0
        res["events_per_s"] = res["delivered"] / DURATION
        res["cpu_ns_per_event"] = res["cpu_ns"] / res["delivered"] if res["delivered"] else None
        os.unlink(out_path)
    return res


def med(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return statistics.median(values), min(values), max(values)


def fmt(t, digits=0):
    if t is None:
        return "–"
    m, lo, hi = t
    f = f"{{:,.{digits}f}}"
    return f"{f.format(m)} ({f.format(lo)}–{f.format(hi)})"


def bench_workload(workload, bins, tmp):
    rounds = []
    names = [n for n, _ in tracers(workload)]
    for rnd in range(RUNS):
        order = tracers(workload)
        order = order[rnd % len(order):] + order[:rnd % len(order)]
        results = {}
        for name, cmd in order:
            results[name] = run_one(workload, name, cmd, bins, tmp, rnd)
            print(f"  {workload} round {rnd + 1}/{RUNS} {name}: {results[name]['ns_per_op']:.0f} ns/op",
                  file=sys.stderr)
        base = results["none"]["ns_per_op"]
        for r in results.values():
            r["overhead_ns"] = r["ns_per_op"] - base
        for r in results.values():
            lt = results["libbpf-tools"]["overhead_ns"]
            r["ratio_to_libbpf_tools"] = r["overhead_ns"] / lt if lt > 0 else None
        rounds.append(results)
    summary = {}
    for n in names:
        rs = [rd[n] for rd in rounds]
        summary[n] = {k: med([r.get(k) for r in rs]) for k in (
            "ns_per_op", "overhead_ns", "ratio_to_libbpf_tools", "events_per_s", "lost", "cpu_ns_per_event",
            "rss_kb", "ready_ms", "argv_complete_pct")}
    return summary, rounds


def container_pids():
    """The init PID of every container `gadgetbox containers` lists (its last column)."""
    return [int(l.split()[-1]) for l in subprocess.run([GB, "containers"], capture_output=True, text=True)
            .stdout.splitlines()[1:] if l.split()]


def pssnap_vs_ps(pids):
    """One pssnap of every container against what a user would run: ps in each container's pid namespace."""
    snap_ms, loop_ms, n_snap, n_loop = [], [], 0, 0
    for _ in range(RUNS):
        t = time.monotonic()
        out = subprocess.run([GB, "pssnap", "-o", "json"], capture_output=True, text=True, check=True).stdout
        snap_ms.append((time.monotonic() - t) * 1000)
        n_snap = len(out.splitlines())
        t = time.monotonic()
        n_loop = 0
        for pid in pids:
            r = subprocess.run(["nsenter", "-t", str(pid), "-p", "-m", "--", "ps", "-o", "pid,comm"],
                               capture_output=True, text=True)
            n_loop += max(len(r.stdout.splitlines()) - 2, 0)  # less the header and ps itself
        loop_ms.append((time.monotonic() - t) * 1000)
    return {"pssnap_ms": med(snap_ms), "ps_loop_ms": med(loop_ms), "pssnap_procs": n_snap, "ps_procs": n_loop}


def socksnap_vs_ss(pids):
    """One socksnap of every container against the loop a user would write: ss in each container's netns."""
    snap_ms, loop_ms, n_snap, n_loop = [], [], 0, 0
    for _ in range(RUNS):
        t = time.monotonic()
        out = subprocess.run([GB, "socksnap", "-tuna", "-o", "json"], capture_output=True, text=True,
                             check=True).stdout
        snap_ms.append((time.monotonic() - t) * 1000)
        n_snap = len(out.splitlines())
        t = time.monotonic()
        n_loop = 0
        for pid in pids:
            r = subprocess.run(["nsenter", "-t", str(pid), "-n", "ss", "-tunapH"], capture_output=True, text=True)
            n_loop += len(r.stdout.splitlines())
        loop_ms.append((time.monotonic() - t) * 1000)
    ratios = [b / a for a, b in zip(snap_ms, loop_ms)]
    return {"socksnap_ms": med(snap_ms), "ss_loop_ms": med(loop_ms), "socksnap_ratio": med(ratios),
            "socksnap_sockets": n_snap, "ss_sockets": n_loop}


def seccomp_cost(env, bins):
    """ns per syscall of a getppid loop in a container: no tracer, seccomp-advise recording another container,
    seccomp-advise recording this one; rounds alternate, medians and per-round differences."""
    image = env.get("GADGETBOX_TEST_BUSYBOX", "gadgetbox-test/busybox:1")
    n = str(int(os.environ.get("SYSCALLS", "3000000")))

    def loop(name):
        r = subprocess.run(["docker", "run", "--rm", "--name", name, "--network", "none", "--cpuset-cpus", "0",
                            "--security-opt", "seccomp=unconfined", "-v", f"{bins['sockets_dir']}:/w:ro", image,
                            "/w/sysloop", n], env=env, capture_output=True, text=True, check=True)
        return float(r.stdout.strip())

    rows = {"none": [], "other": [], "recorded": []}
    for rnd in range(RUNS):
        for mode in ("none", "other", "recorded"):
            name = f"gb-bench-sys-{rnd}-{mode}"
            rec = None
            if mode != "none":
                target = name if mode == "recorded" else "gb-bench-no-such-container"
                rec = subprocess.Popen(["taskset", "-c", "1", GB, "seccomp-advise", "-o", "columns", "-c", target],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                deadline = time.time() + 20
                while "recording" not in (rec.stderr.readline() or "") and time.time() < deadline:
                    pass
            try:
                rows[mode].append(loop(name))
            finally:
                if rec:
                    rec.send_signal(signal.SIGINT)
                    rec.wait(30)
    over = {m: med([b - a for a, b in zip(rows["none"], rows[m])]) for m in ("other", "recorded")}
    return {"syscall_ns_none": med(rows["none"]), "syscall_ns_other": med(rows["other"]),
            "syscall_ns_recorded": med(rows["recorded"]), "syscall_overhead_other_ns": over["other"],
            "syscall_overhead_recorded_ns": over["recorded"]}


def containers_phase(bins, tmp):
    """Ready time and memory of gadgetbox with many idle containers on the node, each holding
    SOCKETS_PER_CONTAINER sockets (listeners and bound UDP sockets), and the snapshots of all of them."""
    env = dict(os.environ)
    up = subprocess.run(["bash", os.path.join(ROOT, "scripts/runtimes.sh"), "up"], capture_output=True, text=True)
    if up.returncode != 0:
        return {"error": "container runtimes did not start: " + up.stderr.strip()[-200:]}
    for line in open("/run/gadgetbox-test/env"):
        k, _, v = line.replace("export ", "").strip().partition("=")
        env[k] = v
    image = env.get("GADGETBOX_TEST_BUSYBOX", "gadgetbox-test/busybox:1")
    names = [f"gb-bench-idle-{i}" for i in range(CONTAINERS)]
    try:
        t = time.monotonic()
        for n in names:
            subprocess.run(["docker", "run", "-d", "--name", n, "--network", "none", "-v",
                            f"{bins['sockets_dir']}:/w:ro", image, "/w/sockets", "many", str(SOCKETS), "9000"],
                           env=env, check=True, capture_output=True)
        started = time.monotonic() - t
        ready_all = ready_phase(bins, tmp, "c")
        ready = ready_all["execsnoop-k8s"]
        listing = subprocess.run([GB, "containers", "-o", "json"], capture_output=True, text=True).stdout
        pids = container_pids()
        snap = pssnap_vs_ps(pids)
        socks = socksnap_vs_ss(pids)
        sc = seccomp_cost(env, bins)
        return {"containers": CONTAINERS, "listed": len(listing.splitlines()), "start_s": started,
                "ready_ms": ready["ready_ms"], "rss_kb": ready["rss_kb"], "ready": ready_all, **snap, **socks, **sc}
    finally:
        subprocess.run(["docker", "rm", "-f", "-t", "0"] + names, env=env, capture_output=True)


def chart(out_dir, results):
    dat = os.path.join(out_dir, "bench.dat")
    with open(dat, "w") as f:
        f.write("tracer open exec\n")
        for n, _ in tracers("open"):
            if n == "none":
                continue
            o = results["open"][n]["overhead_ns"][0]
            e = results["exec"][n]["overhead_ns"][0]
            f.write(f"{n} {o:.0f} {e:.0f}\n")
    script = f"""
set terminal pngcairo size 1000,420 font ",10" noenhanced
set output '{os.path.join(out_dir, "bench.png")}'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set grid ytics
set key off
set yrange [0:*]
set xtics rotate by -25 scale 0
set bmargin 6
set datafile columnheaders
set multiplot layout 1,2 title 'Overhead on the traced workload, ns per operation (median; lower is better)'
set title 'open+close loop'
plot '{dat}' using 2:xtic(1) lc rgb '#7b3fbf'
set title 'fork+exec loop'
plot '{dat}' using 3:xtic(1) lc rgb '#2a9d8f'
unset multiplot
"""
    subprocess.run(["gnuplot"], input=script, text=True, check=True)
    os.unlink(dat)


def goal(value, limit):
    """' (goal: LIMIT or less: met)' for a median (value, lo, hi) against its goal."""
    if value is None:
        return ""
    return f" (goal ≤ {limit:,}: {'met' if value[0] <= limit else 'not met'})"


def markdown(results, idle, cont, size):
    lines = [
        "# Benchmark", "",
        f"`make bench` on {os.uname().nodename} ({os.cpu_count()} vCPUs, kernel {os.uname().release}), "
        f"{time.strftime('%Y-%m-%d')}. {RUNS} rounds of {DURATION:g} s per tracer and workload; "
        "each cell is the median (min–max). Overhead is ns per operation above the no-tracer baseline of the "
        "same round; the ratio to libbpf-tools is computed round by round.", "",
        "![overhead chart](bench.png)", "",
    ]
    heads = {"open": "open+close loop (opensnoop)", "exec": "fork+exec loop (execsnoop)"}
    for w in ("open", "exec"):
        lines += [f"## {heads[w]}", "",
                  "| tracer | ns/op | overhead ns/op | × libbpf-tools | events/s delivered | lost | "
                  "tracer CPU ns/event | peak RSS KiB | ready ms |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for n, s in results[w].items():
            lines.append(f"| {n} | {fmt(s['ns_per_op'])} | {fmt(s['overhead_ns'])} | "
                         f"{fmt(s['ratio_to_libbpf_tools'], 2)} | {fmt(s['events_per_s'])} | {fmt(s['lost'])} | "
                         f"{fmt(s['cpu_ns_per_event'])} | {fmt(s['rss_kb'])} | {fmt(s['ready_ms'])} |")
        if w == "exec":
            lines += ["", "Share of exec events whose argv was captured complete (the workload execs right after "
                      "fork, with argv strings in pages the child has not touched yet):", "",
                      "| tracer | argv complete % |", "|---|---|"]
            lines += [f"| {n} | {fmt(s['argv_complete_pct'], 1)} |" for n, s in results[w].items()
                      if n not in ("none", "gadgetbox-filtered")]
        lines.append("")
    lines += ["## Start-up and memory of every applet", "",
              "Ready: from the tracer's exec until the first marker event it shows was made (an open, an exec, a "
              "DNS query to 127.0.0.1:53), `--host`, pinned to one CPU. Peak RSS: VmHWM once ready.", "",
              "| applet | ready ms, idle node | ready ms, with the idle containers | peak RSS KiB, idle node |",
              "|---|---|---|---|"]
    with_cont = cont.get("ready", {}) if "error" not in cont else {}
    for applet, r in idle["ready"].items():
        c = with_cont.get(applet, {}).get("ready_ms")
        lines.append(f"| {applet} | {fmt(r['ready_ms'])}{goal(r['ready_ms'], 50)} | "
                     f"{fmt(c)}{goal(c, 50)} | {fmt(r['rss_kb'])}{goal(r['rss_kb'], 6144)} |")
    lines += ["", "Peak RSS of the other applets (their whole run, from the kernel's rusage):", "",
              "| command | peak RSS KiB |", "|---|---|"]
    lines += [f"| `{cmd}` | {fmt(v)}{goal(v, 6144)} |" for cmd, v in idle["snapshot_rss_kb"].items()]
    jc, cc = (results["open"][n]["cpu_ns_per_event"] for n in ("gadgetbox-json", "gadgetbox"))
    jo, co = (results["open"][n]["overhead_ns"] for n in ("gadgetbox-json", "gadgetbox"))
    if jc and cc and jo and co:
        lines += ["", f"JSON against columns (open+close loop, medians): tracer CPU per event {jc[0] / cc[0]:.2f}x "
                  f"(goal ≤ 1.5x: {'met' if jc[0] / cc[0] <= 1.5 else 'not met'}); overhead on the workload "
                  f"{jo[0] / co[0]:.2f}x (goal ≤ 1.5x: {'met' if jo[0] / co[0] <= 1.5 else 'not met'})."]
    lines += ["", "## With idle containers", ""]
    if "error" in cont:
        lines.append(f"Not measured: {cont['error']}")
    else:
        lines.append(f"{cont['containers']} idle Docker containers (`containers` listed {cont['listed']}): "
                     f"execsnoop-k8s ready in {fmt(cont['ready_ms'])} ms, peak RSS {fmt(cont['rss_kb'])} KiB.")
        if "pssnap_ms" in cont:
            lines += ["", f"A snapshot of every container's processes: `pssnap` took {fmt(cont['pssnap_ms'])} ms "
                      f"({cont['pssnap_procs']} processes); `nsenter -t PID -p -m ps` once per container took "
                      f"{fmt(cont['ps_loop_ms'])} ms ({cont['ps_procs']} processes)."]
        if "socksnap_ms" in cont:
            lines += ["", f"A snapshot of every container's sockets ({SOCKETS} per container): `socksnap -tuna` took "
                      f"{fmt(cont['socksnap_ms'])} ms ({cont['socksnap_sockets']} sockets); "
                      f"`nsenter -t PID -n ss -tunap` once per container took {fmt(cont['ss_loop_ms'])} ms "
                      f"({cont['ss_sockets']} sockets): {fmt(cont['socksnap_ratio'], 1)}x faster "
                      "(goal: 10x, and 100 ms or less)."]
        if "syscall_ns_none" in cont:
            lines += ["", f"Cost of seccomp-advise per syscall (a getppid loop in a container, {RUNS} rounds): "
                      f"{fmt(cont['syscall_ns_none'])} ns with no tracer; "
                      f"{fmt(cont['syscall_ns_other'])} ns while another container is recorded "
                      f"(+{fmt(cont['syscall_overhead_other_ns'])} ns); "
                      f"{fmt(cont['syscall_ns_recorded'])} ns while this one is "
                      f"(+{fmt(cont['syscall_overhead_recorded_ns'])} ns; goal: 70 ns or less)."]
    lines += ["", f"Binary: `gadgetbox` is {size:,} bytes (static, stripped).", "",
              "`gadgetbox-filtered` runs with `-c no-such-container`: every event is dropped in the kernel by "
              "the mount-namespace filter, so its overhead is the cost of an event nobody asked for.", "",
              "Reproduce: `make bench` (RUNS, DURATION and CONTAINERS may be set in the environment)."]
    return "\n".join(lines) + "\n"


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "docs")
    os.makedirs(out_dir, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="gb-bench-")
    try:
        bins = build(tmp)
        results = {}
        for w in ("open", "exec"):
            print(f"workload {w}", file=sys.stderr)
            results[w], _ = bench_workload(w, bins, tmp)
        print("ready and memory of every applet, idle node", file=sys.stderr)
        idle = {"ready": ready_phase(bins, tmp, "i"), "snapshot_rss_kb": snapshot_rss(bins)}
        cont = containers_phase(bins, tmp) if CONTAINERS else {"error": "CONTAINERS=0"}
        size = os.path.getsize(GB)
        with open(os.path.join(out_dir, "bench.json"), "w") as f:
            json.dump({"results": results, "idle": idle, "containers": cont, "binary_bytes": size}, f, indent=1)
        chart(out_dir, results)
        with open(os.path.join(out_dir, "bench.md"), "w") as f:
            f.write(markdown(results, idle, cont, size))
        print(open(os.path.join(out_dir, "bench.md")).read())
    finally:
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
