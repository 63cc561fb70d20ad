#!/usr/bin/python3
"""make soak: the streaming tracers running for SOAK_MINUTES (default 10) while containers start and stop without
pause across docker (runc and crun), podman, ctr and CRI pods. Each container runs a short known workload, named
after the container (its marker M):

    a DNS server on the container's own loopback (tests/integration/workloads/dnsserver.c, mounted at /w),
    an exec (`sh -c`, then busybox applets), an open (/tmp/M), a DNS query (M.soak.test) to that server and a TCP
    connect to a closed port (refused)

execsnoop-k8s, opensnoop-k8s, dnssnoop, exitsnoop-k8s and tcptracer-k8s run with `-o json -c 'gbt-soak-*'`.
The soak fails (exit 1) on:
  - a container's first exec (its `sh -c ... M ...`) not labelled with that container;
  - any event labelled with the wrong container (an event carrying another container's marker, or of a process
    that exec'd in another soak container);
  - a tracer's RSS growing by more than 1 MB after the first minute, or its open file descriptors growing;
  - entries left, after the last soak container stopped, in a tracer's in-kernel mount-namespace map (gb_mntns:
    an entry for a namespace no live process is in) or in the map that mirrors its container table
    (gb_container_inits: one entry per running container, keyed by its init's pid: an entry whose process is
    gone), read with bpftool from the maps the tracer's own file descriptors hold;
  - a lost event not counted: a container's expected event missing from a tracer's output while the tracer
    reported fewer lost events than were missing.
It prints a report (Markdown; also written to build/soak.md and build/soak.json).

Environment: SOAK_MINUTES (default 10), GADGETBOX_BINARY (default ./gadgetbox), SOAK_RUNTIMES (a comma list of
tests/integration/runtimes.py's RUNTIMES; default all).
"""
import glob
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import runtimes as rt  # noqa: E402
from conftest import bpf_map_ids  # noqa: E402

BINARY = os.environ.get("GADGETBOX_BINARY") or os.path.join(ROOT, "gadgetbox")
MINUTES = float(os.environ.get("SOAK_MINUTES", "10"))
RUNTIMES = [r for r in os.environ.get("SOAK_RUNTIMES", ",".join(rt.RUNTIMES)).split(",") if r]
PREFIX = "gbt-soak-"
APPLETS = ("execsnoop-k8s", "opensnoop-k8s", "dnssnoop", "exitsnoop-k8s", "tcptracer-k8s")
WARMUP = 60.0  # RSS and fds are compared with their value after the first minute
RSS_LIMIT_KB = 1024
SAMPLE_EVERY = 5.0


def workload(m):
    """The container's command: its own DNS server, then an exec, an open, a DNS query and a TCP connect."""
    script = (f"/w/dnsserver 53 0 >/tmp/ready & "
              f"while ! grep -q ready /tmp/ready; do sleep 0.05; done; "
              f"echo {m} >/tmp/{m}; cat /tmp/{m} >/dev/null; "
              f"nslookup {m}.soak.test 127.0.0.1 >/dev/null; "
              f"nc 127.0.0.1 9 </dev/null 2>/dev/null; "
              f"kill $!; exit 0")
    return ["sh", "-c", script]


def mount_kw(runtime, d):
    if runtime.startswith("docker") or runtime == "podman":
        return {"extra_args": ["-v", f"{d}:/w:ro"]}
    if runtime == "ctr":
        return {"extra_args": ["--mount", f"type=bind,src={d},dst=/w,options=rbind:ro"]}
    return {"mounts": [(d, "/w")], "host_network": False}


# ---- the tracers -------------------------------------------------------------------------------------------

class Tracer:
    def __init__(self, applet, workdir):
        self.applet = applet
        self.out_path = os.path.join(workdir, applet + ".json")
        self.err_path = os.path.join(workdir, applet + ".err")
        self.samples = []  # (seconds since the soak began, rss kB, fds)
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen([BINARY, applet, "-o", "json", "-c", PREFIX + "*"], stdout=out, stderr=err)

    def raw(self):
        with open(self.out_path, "rb") as f:
            return f.read()

    def records(self):
        out = []
        for line in self.raw().decode("utf-8", "surrogateescape").split("\n")[:-1]:
            if line:
                out.append(json.loads(line))
        return out

    def sample(self, t0):
        pid = self.proc.pid
        try:
            with open(f"/proc/{pid}/status") as f:
                rss = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
            fds = len(os.listdir(f"/proc/{pid}/fd"))
        except (OSError, StopIteration):
            return
        self.samples.append((time.time() - t0, rss, fds))

    def map_ids(self):
        """{map name: [ids]} of the BPF maps this tracer holds open."""
        return {k: [mid for mid, _ in v] for k, v in bpf_map_ids(self.proc.pid).items()}

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return "did not exit within 60 s of SIGINT"
        return None


def dump_map(mid):
    """[(key int, value bytes)] of a map, by id."""
    r = subprocess.run(["bpftool", "-j", "map", "dump", "id", str(mid)], capture_output=True, text=True)
    out = []
    for e in json.loads(r.stdout or "[]"):
        key = bytes(int(b, 16) for b in e["key"])
        val = bytes(int(b, 16) for b in e["value"])
        out.append((int.from_bytes(key, "little"), val))
    return out


def live_mntns():
    """The mount namespace inodes some live process is in."""
    out = set()
    for d in glob.glob("/proc/[0-9]*/ns/mnt"):
        try:
            out.add(os.stat(d).st_ino)
        except OSError:
            pass
    return out


def mntns_of(pid):
    try:
        return os.stat(f"/proc/{pid}/ns/mnt").st_ino
    except OSError:
        return None


def stale_entries(tracer):
    """Entries of the tracer's gb_mntns and gb_container_inits that no live process accounts for."""
    ids = tracer.map_ids()
    live = live_mntns()
    stale = {"gb_mntns": [], "gb_container_inits": []}
    counts = {}
    for mid in ids.get("gb_mntns", []):
        entries = dump_map(mid)
        counts["gb_mntns"] = counts.get("gb_mntns", 0) + len(entries)
        stale["gb_mntns"] += [k for k, _ in entries if k not in live]
    for mid in ids.get("gb_container_in", []):  # (the kernel keeps 15 characters of a map name)
        entries = dump_map(mid)
        counts["gb_container_inits"] = counts.get("gb_container_inits", 0) + len(entries)
        for pid, val in entries:
            if mntns_of(pid) != int.from_bytes(val[:8], "little"):
                stale["gb_container_inits"].append(pid)
    return counts, stale


# ---- the churn ---------------------------------------------------------------------------------------------

class Churn:
    def __init__(self, deadline, bindir):
        self.deadline = deadline
        self.bindir = bindir
        self.lock = threading.Lock()
        self.done = []    # dicts: runtime, name, cid, code, start, end
        self.errors = []  # (runtime, name, message)

    def worker(self, runtime):
        n = 0
        while time.time() < self.deadline:
            n += 1
            name = f"{PREFIX}{runtime}-{n:05d}-{random.randrange(16**4):04x}"
            cid, code, t = None, None, time.time()
            try:
                cid = rt.start_container(runtime, name, workload(name), **mount_kw(runtime, self.bindir))
                code = rt.wait_container(runtime, cid, timeout=120)
            except Exception as e:  # a runtime's failure is reported, not the tracer's
                with self.lock:
                    self.errors.append((runtime, name, str(e).strip().splitlines()[-1][:200]))
            finally:
                if cid:
                    try:
                        rt.remove_container(runtime, cid)
                    except Exception as e:
                        with self.lock:
                            self.errors.append((runtime, name, "remove: " + str(e)[:200]))
            if cid:
                with self.lock:
                    self.done.append(dict(runtime=runtime, name=name, cid=cid, code=code, start=t, end=time.time()))

    def run(self):
        threads = [threading.Thread(target=self.worker, args=(r,), daemon=True) for r in RUNTIMES]
        for th in threads:
            th.start()
        return threads


# ---- the analysis ------------------------------------------------------------------------------------------

def cid_of(e):
    return (e.get("runtime") or {}).get("containerId", "")


def analyse(tracers, containers):
    """Per tracer: expected events found, missing, mislabelled; lost events reported."""
    by_name = {c["name"]: c for c in containers}
    by_cid = {c["cid"]: c for c in containers}
    ok = [c for c in containers if c["code"] == 0]
    recs = {a: t.records() for a, t in tracers.items()}
    lost = {a: sum(r.get("lost", 0) for r in rs if r.get("type") == "lost") for a, rs in recs.items()}
    # events that went out unattributed: the tracer counts them in a warning ("N events came from mount
    # namespaces that could not be identified ...; TOTAL so far"); the last total is the count
    unidentified = {}
    for a, rs in recs.items():
        n = 0
        for r in rs:
            msg = r.get("message", "") if r.get("type") == "warning" else ""
            if "could not be identified" in msg and msg.endswith(" so far"):
                n = int(msg.rsplit(";", 1)[1].split()[0])
        unidentified[a] = n
    # records of their own have a type of these; events may have a "type" too (tcptracer-k8s: connect, ...)
    ev = {a: [r for r in rs if r.get("type") not in ("lost", "warning", "summary")] for a, rs in recs.items()}
    res = {a: dict(expected=0, found=0, missing=0, wrong=[], lost=lost[a], unidentified=unidentified[a],
                   events=len(ev[a])) for a in tracers}

    def marker_in(text):
        """The soak container whose name TEXT contains (names are unique and none is a prefix of another)."""
        i = text.find(PREFIX)
        if i < 0:
            return None
        name = text[i:].split("/")[0].split(".")[0].split(" ")[0].split(";")[0].split(">")[0]
        return by_name.get(name)

    def wrong(applet, e, owner, why):
        res[applet]["wrong"].append(dict(labelled=cid_of(e)[:12], owner=owner["name"], why=why,
                                         event={k: e.get(k) for k in ("pid", "comm", "args", "path", "name")
                                                if k in e}))

    # execs: the first (sh -c ... M ...) labelled with M; pids of each container
    pids = {}  # cid -> set of pids that exec'd in it
    first_exec = {}
    for e in sorted(ev.get("execsnoop-k8s", []), key=lambda e: e["timestamp"]):
        c = marker_in(" ".join(e.get("args", [])))
        if not c:
            continue
        first_exec.setdefault(c["cid"], e)
        if cid_of(e) != c["cid"]:
            wrong("execsnoop-k8s", e, c, "exec carrying the container's marker")
    for e in ev.get("execsnoop-k8s", []):  # every process that exec'd in a soak container (nc has no marker)
        if cid_of(e) in by_cid:
            pids.setdefault(cid_of(e), set()).add(e["pid"])
    # a process is known to another container when its pid exec'd there and not in the labelled one
    owner_pid = {}
    for cid, ps in pids.items():
        for p in ps:
            owner_pid.setdefault(p, set()).add(cid)

    def alive_at(c, ts, slack=2.0):
        return c["start"] - slack <= ts / 1e9 <= c["end"] + slack

    def check_pid(applet, e):
        """An event labelled X whose pid exec'd in Y while Y ran and X did not (pids are reused: 32768 here)."""
        lab = cid_of(e)
        if lab not in by_cid or alive_at(by_cid[lab], e["timestamp"]):
            return
        owners = [by_cid[c] for c in owner_pid.get(e.get("pid"), ()) if alive_at(by_cid[c], e["timestamp"])]
        if owners:
            wrong(applet, e, owners[0], "a process of another container")

    unlabelled = []
    for c in ok:
        r = res["execsnoop-k8s"]
        r["expected"] += 1
        e = first_exec.get(c["cid"])
        if e is None:
            r["missing"] += 1
            unlabelled.append(dict(name=c["name"], labelled=None))  # not delivered labelled at all
        else:
            r["found"] += 1
            if cid_of(e) != c["cid"]:
                unlabelled.append(dict(name=c["name"], labelled=cid_of(e)))
    for e in ev.get("execsnoop-k8s", []):
        check_pid("execsnoop-k8s", e)

    def expect(applet, seen, among=None):
        if applet not in res:
            return
        r = res[applet]
        for c in among if among is not None else ok:
            r["expected"] += 1
            if c["cid"] in seen:
                r["found"] += 1
            else:
                r["missing"] += 1

    for applet, key in (("opensnoop-k8s", "path"), ("dnssnoop", "name")):
        seen = set()
        for e in ev.get(applet, []):
            c = marker_in(str(e.get(key, "")))
            if c and cid_of(e) != c["cid"]:
                wrong(applet, e, c, f"{key} carrying the container's marker")
            elif c:
                seen.add(c["cid"])
            check_pid(applet, e)
        expect(applet, seen)
    for applet in ("exitsnoop-k8s", "tcptracer-k8s"):
        seen = set()
        for e in ev.get(applet, []):
            check_pid(applet, e)
            lab = cid_of(e)
            if lab in by_cid and e.get("pid") in pids.get(lab, ()):
                seen.add(lab)
        # told by the pids that exec'd in the container: only where execsnoop-k8s gave them
        expect(applet, seen, [c for c in ok if c["cid"] in pids])
    return res, unlabelled


# ---- main --------------------------------------------------------------------------------------------------

def main():
    if not os.access(BINARY, os.X_OK):
        sys.exit(f"soak: no binary {BINARY} (make it first)")
    print(f"soak: {MINUTES:g} minutes, runtimes {', '.join(RUNTIMES)}, tracers {', '.join(APPLETS)}", flush=True)
    rt.runtimes_up()
    work = tempfile.mkdtemp(prefix="gb-soak-")
    bindir = os.path.join(work, "bin")
    os.makedirs(bindir)
    os.chmod(work, 0o755)
    os.chmod(bindir, 0o755)
    r = subprocess.run(["gcc", "-static", "-O2", "-o", os.path.join(bindir, "dnsserver"),
                        os.path.join(ROOT, "tests", "integration", "workloads", "dnsserver.c")],
                       capture_output=True, text=True)
    if r.returncode:
        sys.exit("soak: cannot build dnsserver: " + r.stderr)
    tracers = {a: Tracer(a, work) for a in APPLETS}
    failures = []
    try:
        # ready: every tracer has seen a first container's marked events
        ready = False
        for attempt in range(5):
            name = f"{PREFIX}ready-{random.randrange(16**6):06x}"
            cid = rt.start_container("docker", name, workload(name), **mount_kw("docker", bindir))
            rt.wait_container("docker", cid)
            rt.remove_container("docker", cid)
            deadline = time.time() + 30
            while time.time() < deadline and not ready:
                ready = all(name.encode() in t.raw() or cid.encode() in t.raw() for t in tracers.values())
                time.sleep(0.5)
            if ready:
                break
        for a, t in tracers.items():
            if t.proc.poll() is not None:
                sys.exit(f"soak: {a} exited: {open(t.err_path).read().strip()}")
        if not ready:
            sys.exit("soak: the tracers did not see a first container within 5 tries")
        t0 = time.time()
        churn = Churn(t0 + MINUTES * 60, bindir)
        threads = churn.run()
        next_report = t0 + 60
        while any(th.is_alive() for th in threads):
            for t in tracers.values():
                t.sample(t0)
                if t.proc.poll() is not None:
                    failures.append(f"{t.applet} exited (rc {t.proc.returncode}) during the soak")
            if time.time() >= next_report:
                with churn.lock:
                    n = len(churn.done)
                print(f"soak: {(time.time() - t0) / 60:.0f} min, {n} containers, " + ", ".join(
                    f"{a} {t.samples[-1][1] / 1024:.1f} MB {t.samples[-1][2]} fds" for a, t in tracers.items()
                    if t.samples), flush=True)
                next_report += 60
            time.sleep(SAMPLE_EVERY)
            if failures:
                break
        elapsed = time.time() - t0
        # the last container stopped: give the tracers a moment, then compare the maps twice, 5 s apart
        time.sleep(5)
        for t in tracers.values():
            t.sample(t0)
        maps = {}
        for a, t in tracers.items():
            counts, s1 = stale_entries(t)
            time.sleep(1)
            maps[a] = (counts, s1)
        time.sleep(5)
        for a, t in tracers.items():
            counts, s2 = stale_entries(t)
            s1 = maps[a][1]
            maps[a] = (counts, {k: sorted(set(s1[k]) & set(s2[k])) for k in s1})
    finally:
        stop_err = {a: t.stop() for a, t in tracers.items()}
    containers = churn.done
    res, unlabelled = analyse(tracers, containers)

    # ---- the verdicts
    for a, err in stop_err.items():
        if err:
            failures.append(f"{a} {err}")
    if unlabelled:
        failures.append(f"{len(unlabelled)} first execs not labelled with their container: {unlabelled[:3]}")
    rows = []
    for a, t in tracers.items():
        s = t.samples
        base = [x for x in s if x[0] >= WARMUP]
        if not base:
            failures.append(f"{a}: no sample after the first minute (soak too short)")
            continue
        b, last = base[0], s[-1]
        peak = max(x[1] for x in base)
        rss_growth = peak - b[1]
        fd_growth = last[2] - b[2]
        r = res[a]
        counts, stale = maps[a]
        rows.append(dict(applet=a, rss_first_kb=s[0][1], rss_1min_kb=b[1], rss_peak_kb=peak, rss_end_kb=last[1],
                         rss_growth_kb=rss_growth, fds_1min=b[2], fds_end=last[2], events=r["events"],
                         expected=r["expected"], found=r["found"], missing=r["missing"], lost=r["lost"],
                         unidentified=r["unidentified"],
                         wrong=len(r["wrong"]), map_counts=counts, stale=stale))
        if rss_growth > RSS_LIMIT_KB:
            failures.append(f"{a}: RSS grew by {rss_growth} kB after the first minute ({b[1]} → {peak} kB)")
        if fd_growth > 0:
            failures.append(f"{a}: open fds grew from {b[2]} to {last[2]}")
        if r["wrong"]:
            failures.append(f"{a}: {len(r['wrong'])} events labelled with the wrong container: {r['wrong'][:3]}")
        if r["missing"] > r["lost"] + r["unidentified"]:
            failures.append(f"{a}: {r['missing']} expected events missing, {r['lost']} lost and "
                            f"{r['unidentified']} unattributed events reported")
        for k, v in stale.items():
            if v:
                failures.append(f"{a}: {len(v)} entries left in {k} after the last container stopped: {v[:5]}")

    per_rt = {r: sum(1 for c in containers if c["runtime"] == r) for r in RUNTIMES}
    failed_workloads = [c for c in containers if c["code"] != 0]
    durations = sorted(c["end"] - c["start"] for c in containers)
    report = [
        f"# Soak: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(t0))}, {elapsed / 60:.1f} minutes",
        "",
        f"{len(containers)} containers started and stopped ({', '.join(f'{r} {n}' for r, n in per_rt.items())}); "
        f"{len(failed_workloads)} workloads did not exit 0 (not counted as expected events); "
        f"{len(churn.errors)} runtime errors. Start-to-removed per container: median "
        f"{durations[len(durations) // 2] if durations else 0:.2f} s.",
        "",
        "| applet | RSS at 0 / 1 min / peak after / end (MB) | growth after 1 min | fds at 1 min / end | events "
        "| expected / found / missing | lost (reported) | unattributed (reported) | wrong label | gb_mntns / gb_container_inits entries at "
        "end | stale entries |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for x in rows:
        report.append(
            f"| {x['applet']} | {x['rss_first_kb'] / 1024:.2f} / {x['rss_1min_kb'] / 1024:.2f} / "
            f"{x['rss_peak_kb'] / 1024:.2f} / {x['rss_end_kb'] / 1024:.2f} | {x['rss_growth_kb']} kB | "
            f"{x['fds_1min']} / {x['fds_end']} | {x['events']} | {x['expected']} / {x['found']} / {x['missing']} | "
            f"{x['lost']} | {x['unidentified']} | {x['wrong']} | {x['map_counts'].get('gb_mntns', '-')} / "
            f"{x['map_counts'].get('gb_container_inits', '-')} | "
            f"{sum(len(v) for v in x['stale'].values())} |")
    report += ["", f"First execs not labelled with their container: {len(unlabelled)}.", ""]
    if churn.errors:
        report.append("Runtime errors (first 5): " + "; ".join(f"{r} {n}: {m}" for r, n, m in churn.errors[:5]))
        report.append("")
    report.append("Result: " + ("PASS" if not failures else "FAIL"))
    report += [f"- {f}" for f in failures]
    text = "\n".join(report) + "\n"
    print(text)
    os.makedirs(os.path.join(ROOT, "build"), exist_ok=True)
    with open(os.path.join(ROOT, "build", "soak.md"), "w") as f:
        f.write(text)
    with open(os.path.join(ROOT, "build", "soak.json"), "w") as f:
        json.dump(dict(minutes=elapsed / 60, containers=len(containers), per_runtime=per_rt, rows=rows,
                       failures=failures, runtime_errors=churn.errors[:50], container_list=containers,
                       failed_workloads=[c["name"] for c in failed_workloads][:50]), f, indent=1)
    keep = os.path.join(ROOT, "build", "soak-output")
    shutil.rmtree(keep, ignore_errors=True)
    shutil.copytree(work, keep)
    print(f"soak: the tracers' output is kept in {keep}")
    shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
