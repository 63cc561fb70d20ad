"""Container starts never wait on gadgetbox: against the real binary and the real runtimes.

A tracer that is SIGSTOPped, frozen with its cgroup, or SIGKILLed must not hold any container start on the node:
each start completes within its usual time (measured in the same test, without any tracer, median of 3) plus
SLACK. A binary that holds the runtimes (a fanotify permission mark on runc/crun) makes every start wait until the
tracer runs again; the tests then resume the tracer, let the start finish, and fail, without hanging.

After it runs again, the tracer goes on: it shows later execs, and what happened while it was stopped is either
shown with its container's labels or reported on stderr (never silently nothing): see
assert_labelled_or_reported().
"""
import json
import os
import re
import signal
import statistics
import threading
import time
import uuid

import pytest

from conftest import unique, wait_for
from runtimes import containers, cri_pod, run  # noqa: F401,F811 (pytest fixture)
from test_containers import (events, expected_labels, first_exec_cmd, labels, ns_exec, probed_tracer, tracing,
                             with_arg, EMPTY_K8S, EMPTY_RUNTIME)
from test_seccomp import Recorder

SLACK = 1.0              # seconds a start may take beyond its usual time (the bound)
FINISH_AFTER_RESUME = 120  # seconds a held start has to finish once the tracer runs again
CGROUP2 = "/sys/fs/cgroup/unified"
FREEZER_V1 = "/sys/fs/cgroup/freezer"


# ---- timing container starts --------------------------------------------------------------------------------

def start_kw(runtime, name, ns):
    """The keyword arguments that put a CRI container NAME into its own pod NAME of namespace ns."""
    return {"pod_name": name, "namespace": ns} if runtime == "cri" else {}


def usual_start_seconds(containers, runtime, ns, n=3):
    """The median time of n container starts (a short first_exec_cmd container each) with no tracer running."""
    times = []
    for _ in range(n):
        name = unique("gbt-nhbase")
        t0 = time.monotonic()
        containers.start(runtime, name, first_exec_cmd(unique("base")), **start_kw(runtime, name, ns))
        times.append(time.monotonic() - t0)
    return statistics.median(times)


def start_within(containers, runtime, name, command, bound, resume, what, **kw):
    """Start a container in a thread and return (id, seconds) if it was started within bound seconds.

    Otherwise resume() the paused tracer (the start of a binary that holds the runtimes resumes only then), let
    the start finish (at most FINISH_AFTER_RESUME seconds) and fail, saying how long it took."""
    result = {}

    def body():
        t0 = time.monotonic()
        try:
            result["id"] = containers.start(runtime, name, command, **kw)
        except BaseException as e:  # re-raised in the test's thread
            result["error"] = e
        result["seconds"] = time.monotonic() - t0

    th = threading.Thread(target=body, name=f"start-{name}", daemon=True)
    t0 = time.monotonic()
    th.start()
    th.join(bound)
    if th.is_alive():
        overrun = time.monotonic() - t0
        resume()
        resumed = time.monotonic()
        th.join(FINISH_AFTER_RESUME)
        if th.is_alive():
            if runtime != "cri":  # a last resort: the fixture's teardown removes it by name
                containers.started.append((runtime, name))
            pytest.fail(f"{runtime}: a container start with {what} was still not done after "
                        f"{overrun:.1f}s (bound {bound:.2f}s), nor {FINISH_AFTER_RESUME}s after the tracer was "
                        f"resumed", pytrace=False)
        pytest.fail(f"{runtime}: a container start with {what} took {result['seconds']:.1f}s: not done "
                    f"within {bound:.2f}s (usual {bound - SLACK:.2f}s + {SLACK:.0f}s); it finished "
                    f"{time.monotonic() - resumed:.1f}s after the tracer was resumed: the runtime waited for "
                    f"gadgetbox", pytrace=False)
    if "error" in result:
        raise result["error"]
    assert result["seconds"] <= bound, (f"{runtime}: a container start with {what} took "
                                        f"{result['seconds']:.2f}s, more than {bound:.2f}s")
    return result["id"], result["seconds"]


# ---- pausing a tracer -------------------------------------------------------------------------------------

def _thread_states(pid):
    states = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                states.append(f.read().rsplit(")", 1)[1].split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return states


class SigStop:
    """pause(): SIGSTOP the process and wait until every thread of it is stopped; resume(): SIGCONT."""
    what = "SIGSTOPped"

    def __init__(self, proc):
        self.proc = proc

    def pause(self):
        self.proc.send_signal(signal.SIGSTOP)
        wait_for(lambda: all(s in "Tt" for s in _thread_states(self.proc.pid)), timeout=10,
                 what="every thread of the tracer to be stopped")

    def resume(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)

    def close(self):
        self.resume()


class FrozenCgroup:
    """The process alone in a fresh cgroup of ours: cgroup2 (cgroup.freeze) if this kernel has it under CGROUP2,
    else the v1 freezer. pause() freezes the cgroup and waits until it is frozen, resume() thaws it, close()
    thaws it, moves the process back where it was and removes the cgroup."""
    what = "frozen with its cgroup"

    def __init__(self, proc):
        self.proc = proc
        name = unique("gbt-nohold")
        self.v2, self.path = True, os.path.join(CGROUP2, name)
        try:
            os.mkdir(self.path)
        except OSError:
            self.path = None
        if self.path and not os.path.exists(os.path.join(self.path, "cgroup.freeze")):
            os.rmdir(self.path)  # a kernel without cgroup2 freezing
            self.path = None
        if self.path is None:
            if not os.path.exists(os.path.join(FREEZER_V1, "freezer.state")) and \
                    not os.path.exists(os.path.join(FREEZER_V1, "tasks")):
                pytest.skip("neither cgroup2 cgroup.freeze nor a v1 freezer hierarchy")
            self.v2, self.path = False, os.path.join(FREEZER_V1, name)
            os.mkdir(self.path)
        self.root = CGROUP2 if self.v2 else FREEZER_V1
        self.home = self._current_cgroup()
        try:
            self._write("cgroup.procs", str(proc.pid))
        except BaseException:
            os.rmdir(self.path)
            raise

    def _current_cgroup(self):
        with open(f"/proc/{self.proc.pid}/cgroup") as f:
            for line in f:
                num, ctrl, path = line.rstrip("\n").split(":", 2)
                if (self.v2 and num == "0" and ctrl == "") or (not self.v2 and "freezer" in ctrl.split(",")):
                    return os.path.join(self.root, path.lstrip("/"))
        return self.root

    def _write(self, file, value, base=None):
        with open(os.path.join(base or self.path, file), "w") as f:
            f.write(value)

    def _read(self, file):
        with open(os.path.join(self.path, file)) as f:
            return f.read()

    def frozen(self):
        if self.v2:
            return "frozen 1" in self._read("cgroup.events").splitlines()
        return self._read("freezer.state").strip() == "FROZEN"

    def pause(self):
        self._write("cgroup.freeze" if self.v2 else "freezer.state", "1" if self.v2 else "FROZEN")
        wait_for(self.frozen, timeout=10, what="the tracer's cgroup to be frozen")

    def resume(self):
        self._write("cgroup.freeze" if self.v2 else "freezer.state", "0" if self.v2 else "THAWED")

    def close(self):
        self.resume()
        if self.proc.poll() is None:
            try:
                self._write("cgroup.procs", str(self.proc.pid), base=self.home)
            except ProcessLookupError:
                pass  # exited meanwhile

        def removed():
            try:
                os.rmdir(self.path)
                return True
            except FileNotFoundError:
                return True
            except OSError:  # EBUSY until the process has left (or been reaped)
                return False
        wait_for(removed, timeout=10, what=f"rmdir {self.path}")


PAUSES = {"sigstop": SigStop, "freeze": FrozenCgroup}


# ---- what a resumed tracer must say -----------------------------------------------------------------------

# words of a report that an event could not be attributed to its container, or was lost
REPORT_RE = re.compile(r"\blost\b|could not", re.I)


def reports(t):
    """The tracer's reports of lost or unattributed events: stderr lines, {"type":"warning"} records, and
    {"type":"lost"} records."""
    out = [line for line in t.stderr().splitlines() if REPORT_RE.search(line)]
    for r in t.records():
        if r.get("type") == "lost":
            out.append(f"lost record: {r}")
        elif r.get("type") == "warning" and REPORT_RE.search(r.get("message", "")):
            out.append(f"warning record: {r['message']}")
    return out


def labelled_or_reported(t, marker, want):
    """'labelled' if the exec carrying marker is shown with labels want, 'reported' if the tracer reported lost
    or unattributed events, else None. An exec shown with another container's labels is a failure either way."""
    shown = with_arg(events(t), marker)
    unlabelled = {"runtime": EMPTY_RUNTIME, "k8s": EMPTY_K8S}
    wrong = [e for e in shown if labels(e) not in (want, unlabelled)]
    assert not wrong, f"the exec {marker} was shown with another container's labels: {wrong}"
    if any(labels(e) == want for e in shown):
        return "labelled"
    return "reported" if reports(t) else None


def assert_labelled_or_reported(t, marker, want, timeout=10):
    """The first exec of a container started while the tracer was paused (marker: its last argument) is shown
    labelled with that container (want: expected_labels()), or the tracer says on stderr (or in warning/lost
    records) that it lost or could not attribute events. Never silently nothing. Adjust here."""
    try:
        return wait_for(lambda: labelled_or_reported(t, marker, want), timeout=timeout,
                        what="the paused-time container's first exec, labelled, or a report of lost/unattributed"
                             " events")
    except AssertionError:
        shown = with_arg(events(t), marker)
        raise AssertionError(f"the first exec of the container started while the tracer was paused was neither "
                             f"shown labelled (shown: {shown}) nor reported as lost/unattributed; stderr: "
                             f"{t.stderr()!r}") from None


# ---- 1, 2. a stopped or frozen execsnoop-k8s -------------------------------------------------------------

def start_while_tracer_paused(containers, runtime, pause):
    """The body of tests 1 and 2; pause: a PAUSES key."""
    u = uuid.uuid4().hex[:10]
    ns = f"gbt-nhns-{u}"  # CRI pods only
    target, probe, after = f"gbt-nht-{u}", f"gbt-nhp-{u}", f"gbt-nha-{u}"
    if runtime == "cri":
        # pods named after the containers; in each pod one container (CRI names need no uniqueness)
        filt = ["--k8s-podname", f"{target},{probe},{after}", "--k8s-namespace", ns]
        cname = {target: "target", probe: "probe", after: "after"}
    else:
        filt = ["-c", f"{target},{probe},{after}"]
        cname = {n: n for n in (target, probe, after)}

    def kw(pod):
        return start_kw(runtime, pod, ns)

    usual = usual_start_seconds(containers, runtime, ns)
    bound = usual + SLACK
    t, probe_id = probed_tracer(containers, runtime, cname[probe], *filt, **kw(probe))
    marker, probe_marker, after_marker = unique("paused-first"), unique("probe-after"), unique("after-first")
    with tracing(t):
        pauser = PAUSES[pause](t.proc)
        try:
            pauser.pause()
            cid, secs = start_within(containers, runtime, cname[target], first_exec_cmd(marker), bound,
                                     pauser.resume, f"execsnoop-k8s {pauser.what}", **kw(target))
        finally:
            pauser.close()
        assert t.proc.poll() is None, f"the tracer died: {t.stderr()!r}"
        # it goes on: a later exec in the probe container, the first exec of a container started now
        ns_exec(containers.pid(runtime, probe_id), "/bin/true", probe_marker)
        after_id = containers.start(runtime, cname[after], first_exec_cmd(after_marker), **kw(after))
        wait_for(lambda: with_arg(events(t), probe_marker), timeout=15, what="an exec in the probe after resuming")
        wait_for(lambda: with_arg(events(t), after_marker), timeout=15,
                 what="the first exec of a container started after resuming")
        pod_id = cri_pod(cid) if runtime == "cri" else None
        want = expected_labels(runtime, cname[target], cid, pod_id)
        assert_labelled_or_reported(t, marker, want)
        assert t.stop() == 0, t.stderr()
    evs = events(t)
    [e] = with_arg(evs, probe_marker)
    assert labels(e) == expected_labels(runtime, cname[probe], probe_id, cri_pod(probe_id) if runtime == "cri" else None)
    [e] = with_arg(evs, after_marker)
    assert e["args"] == first_exec_cmd(after_marker)
    assert labels(e) == expected_labels(runtime, cname[after], after_id, cri_pod(after_id) if runtime == "cri" else None)
    assert containers.wait(runtime, cid) == 0 and containers.logs(runtime, cid) == marker + "\n"
    return secs, usual


@pytest.mark.parametrize("runtime", ["docker", "podman", "ctr", "cri"])
def test_container_start_does_not_wait_for_a_sigstopped_tracer(containers, runtime):
    """execsnoop-k8s (containers only, filtered to the new container) SIGSTOPped: a container start completes
    within its usual time + SLACK; after SIGCONT the tracer goes on, and the container's first exec is shown
    labelled or reported."""
    start_while_tracer_paused(containers, runtime, "sigstop")


@pytest.mark.parametrize("runtime", ["docker", "cri"])
def test_container_start_does_not_wait_for_a_tracer_in_a_frozen_cgroup(containers, runtime):
    """The same with the tracer alone in a frozen cgroup (cgroup2 cgroup.freeze, else the v1 freezer)."""
    start_while_tracer_paused(containers, runtime, "freeze")


# ---- 3. SIGKILL while containers start ----------------------------------------------------------------------

def bpf_objects_of(pid):
    """{"prog": ids, "map": ids, "link": ids} of the BPF objects process pid holds file descriptors of."""
    found = {"prog": set(), "map": set(), "link": set()}
    for fd in os.listdir(f"/proc/{pid}/fdinfo"):
        try:
            with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                text = f.read()
        except OSError:
            continue
        for kind in found:
            m = re.search(rf"^{kind}_id:\s*(\d+)$", text, re.M)
            if m:
                found[kind].add(int(m.group(1)))
    return found


def bpf_ids_loaded(kind):
    out = run("bpftool", "-j", kind, "list", timeout=30).stdout
    return {o["id"] for o in json.loads(out or "[]")}


def process_tree(pid):
    """pid and its descendants."""
    children = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(d))
    tree, todo = set(), [pid]
    while todo:
        p = todo.pop()
        tree.add(p)
        todo += children.get(p, [])
    return tree


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_sigkill_while_containers_start_holds_none_and_leaves_nothing_attached(containers):
    """Five docker containers started one after another while the tracer is SIGKILLed (as the third begins): no
    start takes more than usual + SLACK, every container runs, and no BPF program, map or link of the tracer nor
    any process of it is left."""
    u = uuid.uuid4().hex[:8]
    names = [f"gbt-nhk{u}-{i}" for i in range(5)]
    probe = f"gbt-nhk{u}-probe"
    usual = usual_start_seconds(containers, "docker", None)
    bound = usual + SLACK
    t, _ = probed_tracer(containers, "docker", probe, "-c", ",".join(names + [probe]))
    began = [threading.Event() for _ in names]
    times, ids, errors = {}, {}, []

    def starts():
        try:
            for i, n in enumerate(names):
                began[i].set()
                t0 = time.monotonic()
                ids[n] = containers.start("docker", n, first_exec_cmd(f"k-{u}-{i}"))
                times[n] = time.monotonic() - t0
        except BaseException as e:
            errors.append(e)
        finally:
            for b in began:
                b.set()

    th = threading.Thread(target=starts, name="five-starts", daemon=True)
    with tracing(t):
        ours = bpf_objects_of(t.proc.pid)
        assert ours["prog"], "the tracer holds no BPF program"
        tree = process_tree(t.proc.pid)
        th.start()
        try:
            assert began[2].wait(5 * bound + 30), "the third start never began"
            t.proc.kill()
            t.proc.wait(15)
        finally:
            th.join(5 * bound + FINISH_AFTER_RESUME)
        assert t.proc.returncode == -signal.SIGKILL
    assert not th.is_alive(), f"five docker starts not done after {5 * bound + FINISH_AFTER_RESUME:.0f}s: {times}"
    if errors:
        raise errors[0]
    slow = {n: round(s, 2) for n, s in times.items() if s > bound}
    assert not slow, f"starts slower than usual {usual:.2f}s + {SLACK:.0f}s: {slow} (all: {times})"
    for i, n in enumerate(names):
        assert containers.wait("docker", ids[n]) == 0 and containers.logs("docker", ids[n]) == f"k-{u}-{i}\n"
    wait_for(lambda: not any(alive(p) for p in tree), timeout=10, what="every process of the tracer to be gone")
    for kind in ("link", "prog", "map"):
        wait_for(lambda: not (ours[kind] & bpf_ids_loaded(kind)), timeout=10,
                 what=f"the tracer's BPF {kind}s {sorted(ours[kind])} to be released")


# ---- 4. seccomp-advise SIGSTOPped ---------------------------------------------------------------------------

def test_container_start_does_not_wait_for_a_sigstopped_seccomp_advise(containers):
    """seccomp-advise recording one container name, SIGSTOPped: that container's docker start completes within
    usual + SLACK; after SIGCONT it writes the container's profile (or reports what it lost) and exits 0 on
    SIGINT."""
    name = unique("gbt-nhsc")
    usual = usual_start_seconds(containers, "docker", None)
    bound = usual + SLACK
    rec = Recorder("-c", name)
    try:
        pauser = SigStop(rec.proc)
        try:
            pauser.pause()
            cid, _ = start_within(containers, "docker", name, ["sh", "-c", "echo hi; sleep 0.5"], bound,
                                  pauser.resume, f"seccomp-advise {pauser.what}")
        finally:
            pauser.close()
        assert containers.wait("docker", cid) == 0
        profile = os.path.join(rec.dir, name + ".json")

        def written_or_reported():
            if os.path.exists(profile):
                return "written"
            return "reported" if REPORT_RE.search(rec.stderr()) else None
        try:
            wait_for(written_or_reported, timeout=15, what="the profile, or a report of lost events")
        except AssertionError:
            raise AssertionError(f"no profile for {name} and no report of lost events; stderr: "
                                 f"{rec.stderr()!r}") from None
        rc, _ = rec.stop()
        assert rc == 0, rec.stderr()
    finally:
        rec.close()
