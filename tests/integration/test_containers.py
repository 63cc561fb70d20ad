"""Container metadata against REAL runtimes: docker (runc and crun), podman, containerd's ctr and the Kubernetes CRI.

gadgetbox labels events with what it reads on the node (OCI state, bundle annotations, the engines' files, /proc),
never from a runtime API; these tests compare what the real binary printed with what the runtimes themselves
report. Readiness never relies on a sleep: a tracer is ready once it shows an exec it was meant to show (a probe
container looping execs, or an exec run with nsenter in a container's mount namespace, which gadgetbox attributes
to that container), and "not shown" is proven with a barrier exec made after the one that must stay hidden (one
ring buffer: events come out in the order they were submitted).

Tests that once showed bugs of the binary keep checking the fixed behaviour.
"""
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field

import pytest

from conftest import BINARY, Tracer, gadgetbox_cmd, unique, wait_for
from runtimes import (BUSYBOX_FQ, RUNTIMES, STATE_DIR, Containers, cri, cri_pod, run, runtimes_up,
                      container_runtimes, containers)  # noqa: F401,F811 (pytest fixtures)

NODE = os.environ.get("NODE_NAME") or os.uname().nodename
RUNTIME_NAME = {"docker": "docker", "docker-crun": "docker", "podman": "podman", "ctr": "containerd",
                "cri": "containerd"}
EMPTY_K8S = {"node": "", "namespace": "", "podName": "", "containerName": ""}
EMPTY_RUNTIME = {"runtimeName": "", "containerId": "", "containerName": "", "containerImageName": ""}


# ---- parsing what gadgetbox printed ------------------------------------------------------------------------

def _merge_duplicates(pairs):
    """json object hook: a key given twice with object values is merged (test_containers_json_keys_are_unique_...
    checks that this never happens); any other duplicate is an error."""
    d = {}
    for k, v in pairs:
        if k in d:
            if isinstance(d[k], dict) and isinstance(v, dict):
                d[k] = {**d[k], **v}
                continue
            raise ValueError(f"duplicate JSON key {k!r}")
        d[k] = v
    return d


def _strict(pairs):
    keys = [k for k, _ in pairs]
    dups = sorted({k for k in keys if keys.count(k) > 1})
    if dups:
        raise ValueError(f"duplicate JSON key(s) {dups}")
    return dict(pairs)


def parse_json_lines(raw, strict=False):
    """The complete JSON lines of raw (bytes or str); a trailing partial line (still being written) is skipped."""
    text = raw.decode("utf-8", "surrogateescape") if isinstance(raw, bytes) else raw
    text = text[:text.rfind("\n") + 1]
    hook = _strict if strict else _merge_duplicates
    rows = [json.loads(line, object_pairs_hook=hook) for line in text.splitlines() if line.strip()]
    return [r for r in rows if r.get("type") != "warning"]  # warnings are records of their own


def events(t):
    return parse_json_lines(t.raw())


def with_arg(evs, marker):
    """Exec events whose last argument is marker (not the host's nsenter that ns_exec runs to make them)."""
    return [e for e in evs if e.get("args", [])[-1:] == [marker] and e.get("comm") != "nsenter"]


def labels(rec):
    """The container labels of an event or a `containers` row, as compared in these tests."""
    return {"runtime": dict(rec["runtime"]), "k8s": {k: rec["k8s"][k] for k in EMPTY_K8S}}


def gadgetbox_containers(*args, timeout=30):
    r = subprocess.run(gadgetbox_cmd("containers", "-o", "json", *args), capture_output=True, timeout=timeout)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    return parse_json_lines(r.stdout)


def kernel_mntns_filter(pid):
    """The mount namespaces the in-kernel container filter (the gb_mntns map) of gadgetbox process pid lets
    through: its entries with verdict GB_NS_PASS (1). (Those with GB_NS_DROP, 2, are the host, containers the
    filters leave out and namespaces that are no containers; a namespace it does not know passes too, until
    user space has identified it.)"""
    for fd in os.listdir(f"/proc/{pid}/fdinfo"):
        try:
            with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                m = re.search(r"^map_id:\s*(\d+)$", f.read(), re.M)
        except OSError:
            continue
        if not m:
            continue
        bpftool = ["bpftool", "-j", "map"]
        show = json.loads(subprocess.run(bpftool + ["show", "id", m.group(1)], capture_output=True, text=True,
                                         check=True).stdout)
        if show.get("name") != "gb_mntns":
            continue
        dump = json.loads(subprocess.run(bpftool + ["dump", "id", m.group(1)], capture_output=True, text=True,
                                         check=True).stdout or "[]")
        def num(byte_strs):
            return int.from_bytes(bytes(int(b, 16) for b in byte_strs), "little")
        return {num(e["key"]) for e in dump if num(e["value"][8:12]) == 1}  # struct gb_ns_entry's verdict
    raise AssertionError(f"process {pid} holds no gb_mntns map")


@contextlib.contextmanager
def tracing(t, ready_timeout=30.0):
    """Run conftest's Tracer t for the block (start() returns once t shows its probe). If it never does, the
    failure says which containers a fresh `gadgetbox containers` sees and what was in the tracer's in-kernel
    filter while it waited."""
    probe, seen = t.probe, {}
    t0 = time.monotonic()

    def probe_and_look(marker):
        probe(marker)
        if time.monotonic() - t0 > ready_timeout / 2 and "filter" not in seen and t.proc.poll() is None:
            try:
                seen["filter"] = sorted(kernel_mntns_filter(t.proc.pid))
            except Exception as e:  # only a diagnostic
                seen["filter"] = repr(e)
    t.probe = probe_and_look
    try:
        try:
            t.start(ready_timeout)
        except AssertionError as e:
            known = subprocess.run(gadgetbox_cmd("containers", "-o", "json"), capture_output=True, timeout=30)
            raise AssertionError(f"{e}\nin-kernel filter while waiting: {seen.get('filter')}\n"
                                 f"containers now: {known.stdout.decode(errors='replace')}") from None
        yield t
    finally:
        t.__exit__(None, None, None)


# ---- containers and what their runtimes say about them -----------------------------------------------------

def loop_cmd(marker, period="0.2"):
    """A container command that execs `/bin/true MARKER` again and again until killed."""
    return ["sh", "-c", f"while :; do /bin/true {marker}; sleep {period}; done"]


def ns_exec(pid, *argv):
    """Run argv in the mount namespace (and so the root) of process pid: gadgetbox attributes the exec to the
    container that owns that mount namespace."""
    subprocess.run(["nsenter", "-t", str(pid), "-m", "--", *argv], check=True, timeout=20,
                   stdout=subprocess.DEVNULL)


def host_exec(marker):
    subprocess.run(["/bin/true", marker], check=True)


def mntns_of(pid):
    return os.stat(f"/proc/{pid}/ns/mnt").st_ino


def netns_of(pid):
    return os.stat(f"/proc/{pid}/ns/net").st_ino


def cri_pod_meta(pod_id):
    [p] = [p for p in cri().list_pods() if p.id == pod_id]
    return p.metadata


def expected_labels(runtime, name, cid=None, pod_id=None):
    """What gadgetbox must print for a container, from what its runtime reports (never from gadgetbox).

    name: the docker/podman name, the ctr id, or the CRI (Kubernetes) container name."""
    k8s = dict(EMPTY_K8S)
    if runtime in ("docker", "docker-crun"):
        cid2, image, rname = run("docker", "inspect", "-f", "{{.Id}} {{.Config.Image}} {{.Name}}",
                                 name).stdout.split()
        assert rname == "/" + name
    elif runtime == "podman":
        cid2, image, rname = run("podman", "inspect", "--format", "{{.Id}} {{.ImageName}} {{.Name}}",
                                 name).stdout.split()
        assert rname == name
    elif runtime == "ctr":
        assert name in run("ctr", "-n", "default", "containers", "ls", "-q").stdout.split()
        # containerd keeps the image in its bolt database, which gadgetbox reads too
        cid2, image = name, json.loads(run("ctr", "-n", "default", "containers", "info", name).stdout)["Image"]
    else:
        matches = [k for k in cri().list_containers(pod_id=pod_id) if k.metadata.name == name]
        assert len(matches) == 1, matches
        cid2, image = matches[0].id, BUSYBOX_FQ  # containerd's io.kubernetes.cri.image-name annotation
        md = cri_pod_meta(pod_id)
        k8s = {"node": NODE, "namespace": md.namespace, "podName": md.name, "containerName": name}
    if cid is not None:
        assert cid2 == cid, f"{runtime} reports id {cid2}, its start command returned {cid}"
    return {"runtime": {"runtimeName": RUNTIME_NAME[runtime], "containerId": cid2, "containerName": name,
                        "containerImageName": image}, "k8s": k8s}


@dataclass
class Member:
    key: str
    runtime: str
    name: str
    id: str
    pid: int
    loop_marker: str
    expected: dict
    pod_id: str = ""
    extra: dict = field(default_factory=dict)


@pytest.fixture(scope="module")
def fleet(container_runtimes):
    """One long-running container of every runtime, each looping `/bin/true loop-<key>-<uniq>` every 0.2 s:
    docker (runc), docker-crun, podman, ctr, and a CRI pod with two containers (cri_a, cri_b)."""
    c = Containers()
    u = uuid.uuid4().hex[:8]
    members = {}
    try:
        for key, rt in (("docker", "docker"), ("crun", "docker-crun"), ("podman", "podman"), ("ctr", "ctr")):
            name, marker = f"gbt-f{key}-{u}", f"loop-{key}-{u}"
            cid = c.start(rt, name, loop_cmd(marker))
            members[key] = Member(key, rt, name, cid, Containers.pid(rt, cid), marker,
                                  expected_labels(rt, name, cid))
        pod, ns = f"gbt-fpod-{u}", f"gbt-fns-{u}"
        pod_id = None
        for key in ("cri_a", "cri_b"):
            name, marker = f"k{key[-1]}-{u}", f"loop-{key}-{u}"
            kw = {"pod_id": pod_id} if pod_id else {"pod_name": pod, "namespace": ns}
            cid = c.start("cri", name, loop_cmd(marker), **kw)
            pod_id = pod_id or cri_pod(cid)
            members[key] = Member(key, "cri", name, cid, Containers.pid("cri", cid), marker,
                                  expected_labels("cri", name, cid, pod_id), pod_id=pod_id,
                                  extra={"pod": pod, "namespace": ns})
        for m in members.values():
            assert m.pid > 0, m
        yield members
    finally:
        c.remove_all()


def remove_many(containers, runtime, ids):
    """Remove many containers of one docker-like engine in one command, then let the fixture forget them."""
    engine = "docker" if runtime.startswith("docker") else runtime
    if ids:
        run(engine, "rm", "-f", *ids, check=False, timeout=300)
    containers.started[:] = [s for s in containers.started if s[1] not in set(ids)]


def first_exec_cmd(marker):
    """The command of a container whose first exec (runc/crun exec it directly) carries marker as its last
    argument. It prints marker and lives one more second: a container that exits at once may lose its last events
    to the race test_last_exec_of_an_exited_container_keeps_its_labels shows deterministically."""
    return ["/bin/sh", "-c", 'echo "$0"; sleep 1', marker]


def probed_tracer(containers, runtime, name, *args, **start_kw):
    """A containers-only execsnoop-k8s (args: its filters) and, started first, a probe container NAME the
    filters let through, looping execs of the tracer's readiness marker. The probe exists before the tracer
    starts: a container created while the tracer does its first scan can stay unlabelled for good (see
    test_container_seen_before_its_state_is_written_gets_its_metadata_later). Returns (tracer, probe id)."""
    t = Tracer("execsnoop-k8s", *args, host=False, probe=lambda marker: None)
    try:
        return t, containers.start(runtime, name, loop_cmd(t.marker), **start_kw)
    except BaseException:
        shutil.rmtree(t.dir, ignore_errors=True)
        raise


# ---- 1. the very first exec of a new container ---------------------------------------------------------------

@pytest.mark.parametrize("runtime", RUNTIMES)
def test_first_exec_of_a_new_container_is_labelled(containers, runtime):
    """A tracer filtered to a container that does not exist yet shows that container's first exec (runc/crun
    exec the command directly), with the runtime's id, name and image, and for CRI the pod's metadata."""
    u = uuid.uuid4().hex[:10]
    target, probe_name = f"gbt-first-{u}", f"gbt-probe-{u}"
    if runtime == "cri":
        ns = f"gbt-ns-{u}"
        filt = ["--k8s-podname", f"{target},{probe_name}", "--k8s-namespace", ns]
        target_kw, probe_kw = {"pod_name": target, "namespace": ns}, {"pod_name": probe_name, "namespace": ns}
        target_cname, probe_cname = f"c-{u}", "probe"
    else:
        filt = ["-c", f"{target},{probe_name}"]
        target_kw = probe_kw = {}
        target_cname, probe_cname = target, probe_name
    marker = f"first-{u}"
    t, probe_id = probed_tracer(containers, runtime, probe_cname, *filt, **probe_kw)
    with tracing(t):
        cid = containers.start(runtime, target_cname, first_exec_cmd(marker), **target_kw)
        wait_for(lambda: with_arg(events(t), marker), timeout=15, what="the container's first exec")
        t.stop()
    assert containers.wait(runtime, cid) == 0
    assert containers.logs(runtime, cid) == marker + "\n"
    evs = events(t)
    [e] = with_arg(evs, marker)
    assert e["args"] == first_exec_cmd(marker) and e["ret"] == 0 and e["comm"] == "sh"
    pod_id = cri_pod(cid) if runtime == "cri" else None
    assert labels(e) == expected_labels(runtime, target_cname, cid, pod_id)
    # only the two containers of the filter are shown
    ids = {cid, probe_id}
    assert {ev["runtime"]["containerId"] for ev in evs} <= ids


# ---- 2. many container starts in a row ------------------------------------------------------------------------

def first_execs(evs, prefix):
    """{marker: [events]} of the first execs whose marker starts with prefix."""
    got = {}
    for e in evs:
        if e.get("args", [])[-1:] and e["args"][-1].startswith(prefix):
            got.setdefault(e["args"][-1], []).append(e)
    return got


def test_first_exec_of_50_consecutive_docker_containers(containers):
    u = uuid.uuid4().hex[:8]
    names = [f"gbt-b{u}-{i:02d}" for i in range(50)]
    probe_name = f"gbt-b{u}-probe"
    ids = {}
    try:
        t, _ = probed_tracer(containers, "docker", probe_name, "-c", ",".join(names + [probe_name]), "--fields",
                             "runtime.containerName,runtime.containerId,args")
        with tracing(t):
            for i, n in enumerate(names):
                ids[n] = containers.start("docker", n, first_exec_cmd(f"first-{u}-{i:02d}"))
            try:
                wait_for(lambda: len(first_execs(events(t), f"first-{u}-")) >= 50, timeout=30,
                         what="50 first execs")
            except AssertionError:
                pass  # reported below, with the missing names
            t.stop()
    finally:
        remove_many(containers, "docker", list(ids.values()))
    got = first_execs(events(t), f"first-{u}-")
    missing = [n for i, n in enumerate(names) if f"first-{u}-{i:02d}" not in got]
    assert not missing, f"{len(missing)} of 50 first execs not shown: {missing}"
    for i, n in enumerate(names):
        [e] = got[f"first-{u}-{i:02d}"]
        assert e["runtime"] == {"containerName": n, "containerId": ids[n]}
        assert e["args"] == first_exec_cmd(f"first-{u}-{i:02d}")


def test_first_exec_of_50_consecutive_cri_containers_in_one_pod(containers):
    u = uuid.uuid4().hex[:8]
    pod, ns = f"gbt-bpod-{u}", f"gbt-bns-{u}"
    t, probe_id = probed_tracer(containers, "cri", "probe", "--k8s-podname", pod, "--k8s-namespace", ns, "--fields",
                                "runtime.containerId,k8s.podName,k8s.containerName,args", pod_name=pod,
                                namespace=ns)
    pod_id = cri_pod(probe_id)
    ids = {}
    try:
        with tracing(t):
            for i in range(50):
                ids[f"c{i:02d}"] = containers.start("cri", f"c{i:02d}", first_exec_cmd(f"first-{u}-{i:02d}"),
                                                    pod_id=pod_id)
            try:
                wait_for(lambda: len(first_execs(events(t), f"first-{u}-")) >= 50, timeout=30,
                         what="50 first execs")
            except AssertionError:
                pass
            t.stop()
    finally:
        try:
            cri().remove_pod(pod_id)  # the pod with its 51 containers, in one call
        except Exception:
            pass  # the fixture removes what is left, container by container
    got = first_execs(events(t), f"first-{u}-")
    missing = [n for n in ids if f"first-{u}-{n[1:]}" not in got]
    assert not missing, f"{len(missing)} of 50 first execs not shown: {missing}"
    for n, cid in ids.items():
        [e] = got[f"first-{u}-{n[1:]}"]
        assert e["runtime"] == {"containerId": cid}
        assert e["k8s"] == {"podName": pod, "containerName": n}


def test_last_exec_of_an_exited_container_keeps_its_labels(containers):
    """Deterministic: the tracer is stopped while (1) a host process in a private mount namespace execs, (2) a
    container execs, (3) the container's init is killed; after SIGCONT the three are decoded in that order."""
    name = unique("gbt-gone")
    cid = containers.start("docker", name, ["/pause"])
    pid = containers.pid("docker", cid)
    want = expected_labels("docker", name, cid)
    mntns = mntns_of(pid)
    private, last = unique("private-mntns"), unique("last")
    with tracing(Tracer("execsnoop-k8s", host=True)) as t:
        t.proc.send_signal(signal.SIGSTOP)
        stopped = time.monotonic()
        try:
            subprocess.run(["unshare", "-m", "/bin/true", private], check=True)
            ns_exec(pid, "/bin/true", last)
            os.kill(pid, signal.SIGKILL)
            wait_for(lambda: not os.path.exists(f"/proc/{pid}"), what="the container's init to be reaped")
            # the once-a-second rescan would forget the container: let that second pass while it is stopped
            wait_for(lambda: time.monotonic() - stopped > 1.2, what="one second")
        finally:
            t.proc.send_signal(signal.SIGCONT)
        wait_for(lambda: with_arg(events(t), last), what="the container's last exec")
        t.stop()
    evs = events(t)
    [u] = [e for e in with_arg(evs, private) if e["args"] == ["/bin/true", private]]  # not unshare's own exec
    assert u["runtime"] == EMPTY_RUNTIME and u["mountnsid"] not in (mntns, mntns_of(os.getpid()))
    [e] = with_arg(evs, last)
    assert e["mountnsid"] == mntns
    assert labels(e) == want, "the container's last exec was labelled as a host process"


def test_container_seen_before_its_state_is_written_gets_its_metadata_later(containers):
    """Deterministic: the state directory of a running CRI container is hidden (an empty directory bound over it,
    as during `runc create`) while the tracer does its first scan, then shown again; after a rescan (once a
    second) the container must be known with its metadata, and pass the pod filter."""
    u = uuid.uuid4().hex[:10]
    ns, probe_pod, target_pod = f"gbt-hns-{u}", f"gbt-hprobe-{u}", f"gbt-htarget-{u}"
    probe_id = containers.start("cri", "probe", ["/pause"], pod_name=probe_pod, namespace=ns)
    probe_pid = containers.pid("cri", probe_id)
    tid = containers.start("cri", "app", ["/pause"], pod_name=target_pod, namespace=ns)
    tpid = containers.pid("cri", tid)
    want = expected_labels("cri", "app", tid, cri_pod(tid))
    state = f"/run/containerd/runc/k8s.io/{tid}"
    assert os.path.isfile(os.path.join(state, "state.json"))
    empty = tempfile.mkdtemp(prefix="gb-empty-state-")
    subprocess.run(["mount", "--bind", empty, state], check=True)
    mounted = True
    try:
        t = Tracer("execsnoop-k8s", "--k8s-podname", f"{probe_pod},{target_pod}", host=False,
                   probe=lambda m: ns_exec(probe_pid, "/bin/true", m))
        with tracing(t):  # ready: its first scan is done
            subprocess.run(["umount", state], check=True)
            mounted = False
            [row] = [r for r in gadgetbox_containers() if r["runtime"]["containerId"] == tid]
            assert labels(row) == want  # a fresh scan knows it
            marker = unique("target")

            def shown_after_a_rescan():
                ns_exec(tpid, "/bin/true", marker)  # until the tracer's rescan has read the state again
                return with_arg(events(t), marker)
            wait_for(shown_after_a_rescan, timeout=15, what="the target pod's exec, after a rescan")
            t.stop()
    finally:
        if mounted:
            subprocess.run(["umount", state])
        os.rmdir(empty)
    shown = with_arg(events(t), marker)
    assert shown, "the exec of a pod the filter names was not shown"
    assert labels(shown[0]) == want


# ---- 3. containers that already run; host processes; pod sandboxes --------------------------------------------

def test_containers_started_before_the_tracer_are_labelled(fleet):
    """Every fleet container was running before the tracer: the execs of their own loops are labelled."""
    t = Tracer("execsnoop-k8s", host=False, probe=lambda m: ns_exec(fleet["docker"].pid, "/bin/true", m))
    with tracing(t):
        def seen():
            evs = events(t)
            return all(with_arg(evs, m.loop_marker) for m in fleet.values())
        wait_for(seen, timeout=15, what="a loop exec of every fleet container")
        t.stop()
    evs = events(t)
    for m in fleet.values():
        loop_evs = with_arg(evs, m.loop_marker)
        assert loop_evs
        for e in loop_evs:
            assert labels(e) == m.expected, m.key
            assert e["ppid"] == m.pid  # the loop's shell is the container's init
            assert e["mountnsid"] == mntns_of(m.pid)
            assert e["args"] == ["/bin/true", m.loop_marker]


def test_host_processes_are_shown_only_with_host(fleet):
    box = fleet["docker"]
    hidden, barrier = unique("host-hidden"), unique("barrier")
    with tracing(Tracer("execsnoop-k8s", host=False, probe=lambda m: ns_exec(box.pid, "/bin/true", m))) as t:
        host_exec(hidden)
        ns_exec(box.pid, "/bin/true", barrier)
        wait_for(lambda: with_arg(events(t), barrier), what="the barrier exec")
        t.stop()
    evs = events(t)
    assert not with_arg(evs, hidden), "a host exec was shown without --host"
    assert all(e["runtime"]["containerId"] for e in evs), "an event without a container, without --host"
    [e] = with_arg(evs, barrier)
    assert labels(e) == box.expected

    shown, in_box = unique("host-shown"), unique("in-box")
    with tracing(Tracer("execsnoop-k8s", host=True)) as t:  # default probe: a host exec
        host_exec(shown)
        ns_exec(box.pid, "/bin/true", in_box)
        wait_for(lambda: with_arg(events(t), in_box), what="the container exec")
        t.stop()
    evs = events(t)
    [e] = with_arg(evs, shown)
    assert e["runtime"] == EMPTY_RUNTIME and e["k8s"] == EMPTY_K8S
    assert e["mountnsid"] == mntns_of(os.getpid())
    [e] = with_arg(evs, in_box)
    assert labels(e) == box.expected


def sandbox_pid(pod_id):
    """PID of the pod sandbox's pause process, as containerd reports the task."""
    for line in run("ctr", "-n", "k8s.io", "tasks", "ls").stdout.splitlines()[1:]:
        f = line.split()
        if f and f[0] == pod_id and f[2] == "RUNNING":
            return int(f[1])
    raise AssertionError(f"no running sandbox task {pod_id}")


def test_pod_sandboxes_are_never_shown(fleet):
    pod_id = fleet["cri_a"].pod_id
    pause = sandbox_pid(pod_id)
    with open(f"/proc/{pause}/cmdline", "rb") as f:
        assert f.read() == b"/pause\0"
    rows = gadgetbox_containers()
    listed = {r["runtime"]["containerId"] for r in rows}
    assert {fleet["cri_a"].id, fleet["cri_b"].id} <= listed
    assert pod_id not in listed
    assert not [r for r in rows if r["k8s"]["podName"] and not r["k8s"]["containerName"]]
    assert not [r for r in rows if r["pid"] == pause or r["mountnsid"] == mntns_of(pause)]

    # an exec in the sandbox's mount namespace is not shown, not even with --host, nor labelled as the host
    for host in (True, False):
        hidden, barrier = unique("in-sandbox"), unique("barrier")
        box = fleet["cri_a"]
        with tracing(Tracer("execsnoop-k8s", host=host, probe=lambda m: ns_exec(box.pid, "/bin/true", m))) as t:
            ns_exec(pause, "/bin/true", hidden)
            ns_exec(box.pid, "/bin/true", barrier)
            wait_for(lambda: with_arg(events(t), barrier), what="the barrier exec")
            if not host:  # containers only: every fleet container is in the in-kernel filter, the sandbox not
                in_kernel = kernel_mntns_filter(t.proc.pid)
                assert {mntns_of(m.pid) for m in fleet.values()} <= in_kernel
                assert mntns_of(pause) not in in_kernel
            t.stop()
        evs = events(t)
        assert not with_arg(evs, hidden), f"an exec in the pod sandbox was shown (host={host})"
        assert not [e for e in evs if e["runtime"]["containerId"] == pod_id or e["mountnsid"] == mntns_of(pause)]
        assert not [e for e in evs if e["k8s"]["podName"] and not e["k8s"]["containerName"]]
        [e] = with_arg(evs, barrier)
        assert labels(e) == box.expected


def test_k8s_node_is_node_name_from_the_environment(fleet):
    node = unique("gbt-node")
    r = subprocess.run(gadgetbox_cmd("containers", "-o", "json"), capture_output=True, timeout=30,
                       env=dict(os.environ, NODE_NAME=node))
    assert r.returncode == 0
    rows = {x["runtime"]["containerId"]: x for x in parse_json_lines(r.stdout)}
    assert rows[fleet["cri_a"].id]["k8s"]["node"] == node
    assert rows[fleet["docker"].id]["k8s"]["node"] == ""  # not in a pod


# ---- 4. gadgetbox in a privileged debug container -------------------------------------------------------------

CAP_NAMES = ("CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP LINUX_IMMUTABLE "
             "NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO SYS_CHROOT "
             "SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE "
             "AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ "
             "PERFMON BPF CHECKPOINT_RESTORE").split()  # capability numbers 0..40


def debug_container_args(engine):
    """Run options for a privileged debug container with the host at /host and gadgetbox at /gadgetbox.

    docker --privileged asks runc for every capability; where our own bounding set lacks some (this machine has
    no CAP_SYS_RESOURCE), runc fails with "unable to apply caps", so ask for everything we have instead, with
    what --privileged also turns off (seccomp, AppArmor, masked /proc and /sys paths)."""
    common = ["--pid=host", "-v", "/:/host:ro", "-v", f"{BINARY}:/gadgetbox:ro", "-e", "HOST_ROOT=/host"]
    with open("/proc/self/status") as f:
        bnd = int([l.split()[1] for l in f if l.startswith("CapBnd:")][0], 16)
    with open("/proc/sys/kernel/cap_last_cap") as f:
        all_caps = (1 << (int(f.read()) + 1)) - 1
    if engine == "podman" or bnd & all_caps == all_caps:
        return ["--privileged"] + common  # podman --privileged grants what the bounding set allows
    drops = []
    for i in range(all_caps.bit_length()):
        if not bnd >> i & 1:
            drops += ["--cap-drop", CAP_NAMES[i]]
    return ["--cap-add", "ALL", *drops, "--security-opt", "seccomp=unconfined", "--security-opt",
            "apparmor=unconfined", "--security-opt", "systempaths=unconfined"] + common


def engine_logs(engine, cid):
    return run(engine, "logs", cid).stdout


@pytest.mark.parametrize("engine", ["docker", "podman"])
def test_gadgetbox_in_a_privileged_debug_container_labels_the_others(containers, fleet, engine):
    """gadgetbox run from a privileged container with the host's / at /host (HOST_ROOT) lists and labels
    containers of another engine, and of the CRI (node name from the host's /etc/hostname, not the debug
    container's), and labels the first exec of a container started after it (its state read through /host)."""
    target_rt = "podman" if engine == "docker" else "docker"
    target, late = unique("gbt-dbg-target"), unique("gbt-dbg-late")
    loop_marker = unique("loop")
    tid = containers.start(target_rt, target, loop_cmd(loop_marker))
    tpid = containers.pid(target_rt, tid)
    want = expected_labels(target_rt, target, tid)
    args = debug_container_args(engine)

    lister = containers.start(engine, unique("gbt-dbg-ls"), ["/gadgetbox", "containers", "-o", "json"],
                              extra_args=args)
    assert containers.wait(engine, lister) == 0, containers.logs(engine, lister)
    rows = parse_json_lines(engine_logs(engine, lister))
    mine = [r for r in rows if r["runtime"]["containerId"] == tid]
    assert len(mine) == 1, containers.logs(engine, lister)
    assert labels(mine[0]) == want
    assert mine[0]["pid"] == tpid and mine[0]["mountnsid"] == mntns_of(tpid)
    assert mine[0]["netnsid"] == netns_of(tpid)
    k = fleet["cri_a"]
    [kr] = [r for r in rows if r["runtime"]["containerId"] == k.id]
    want_k = {"runtime": k.expected["runtime"], "k8s": {**k.expected["k8s"], "node": os.uname().nodename}}
    assert labels(kr) == want_k  # NODE_NAME is not passed into the debug container
    assert fleet["cri_a"].pod_id not in {r["runtime"]["containerId"] for r in rows}

    snoop = containers.start(engine, unique("gbt-dbg-snoop"),
                             ["/gadgetbox", "execsnoop-k8s", "-o", "json", "-c", f"{target},{late}"],
                             extra_args=args)

    def snooped():
        return parse_json_lines(engine_logs(engine, snoop))
    try:
        wait_for(lambda: with_arg(snooped(), loop_marker), timeout=30,
                 what="the target's loop exec in the debug container's output")
    except AssertionError:
        raise AssertionError("debug container output: " + containers.logs(engine, snoop))
    marker = unique("exec")
    run(target_rt, "exec", target, "/bin/echo", marker)
    wait_for(lambda: with_arg(snooped(), marker), timeout=15, what=f"`{target_rt} exec` in the debug output")
    first = unique("first")
    lid = containers.start(target_rt, late, first_exec_cmd(first))
    wait_for(lambda: with_arg(snooped(), first), timeout=15, what="the first exec of a container started later")
    evs = snooped()
    [e] = with_arg(evs, marker)
    assert e["args"] == ["/bin/echo", marker] and e["mountnsid"] == mntns_of(tpid)
    assert labels(e) == want
    [e] = with_arg(evs, first)
    assert e["args"] == first_exec_cmd(first)
    assert labels(e) == expected_labels(target_rt, late, lid)
    assert {ev["runtime"]["containerId"] for ev in evs} == {tid, lid}, "the debug tracer showed another container"


# ---- 5. the runtime's API does not answer ---------------------------------------------------------------------

def test_labels_do_not_need_the_runtime_api_frozen_dockerd(containers):
    name, loop_marker = unique("gbt-frozen"), unique("loop")
    cid = containers.start("docker", name, loop_cmd(loop_marker))
    pid = containers.pid("docker", cid)
    want = expected_labels("docker", name, cid)
    with open(os.path.join(STATE_DIR, "dockerd.pid")) as f:
        dockerd = int(f.read())
    with open(f"/proc/{dockerd}/comm") as f:
        assert f.read().strip() == "dockerd"
    env = runtimes_up()
    os.kill(dockerd, signal.SIGSTOP)
    try:
        # the API really hangs
        with pytest.raises(subprocess.TimeoutExpired):
            subprocess.run(["docker", "ps"], env=env, capture_output=True, timeout=1.5)
        rows = [r for r in gadgetbox_containers(timeout=20) if r["runtime"]["containerId"] == cid]
        assert len(rows) == 1
        assert labels(rows[0]) == want and rows[0]["pid"] == pid
        t = Tracer("execsnoop-k8s", "-c", name, host=False, probe=lambda m: ns_exec(pid, "/bin/true", m))
        with tracing(t):
            wait_for(lambda: with_arg(events(t), loop_marker), timeout=10, what="the container's own exec")
            t.stop()
        evs = events(t)
        assert with_arg(evs, loop_marker) and with_arg(evs, t.marker)
        assert all(labels(e) == want for e in evs)
    finally:
        os.kill(dockerd, signal.SIGCONT)
    run("docker", "version")  # answers again


# ---- 6. containers lists what the runtimes list -----------------------------------------------------------------

def running_ids_by_runtime():
    from cri import pb
    out = {
        "docker": set(run("docker", "ps", "-q", "--no-trunc").stdout.split()),
        # a podman pod's infra (pause) container is a pod sandbox: never shown (test_podman_pod_infra_...)
        "podman": {l.split()[0] for l in run("podman", "ps", "--no-trunc", "--format",
                                             "{{.ID}} {{.IsInfra}}").stdout.splitlines()
                   if l.split()[1:] == ["false"]},
        "ctr": {l.split()[0] for l in run("ctr", "-n", "default", "tasks", "ls").stdout.splitlines()[1:]
                if len(l.split()) >= 3 and l.split()[2] == "RUNNING"},
        "cri": {k.id for k in cri().list_containers() if k.state == pb.CONTAINER_RUNNING},
    }
    return out


def cgroup_paths(pid):
    with open(f"/proc/{pid}/cgroup") as f:
        return {line.rstrip("\n").split(":", 2)[2] for line in f}


def test_containers_lists_every_running_container_of_every_runtime(fleet):
    before = running_ids_by_runtime()
    rows = gadgetbox_containers()
    after = running_ids_by_runtime()
    by_id = {}
    for r in rows:
        assert r["runtime"]["containerId"] not in by_id, f"listed twice: {r}"
        assert "event" not in r  # only --watch has it
        by_id[r["runtime"]["containerId"]] = r
    for m in fleet.values():
        assert m.id in before[{"docker-crun": "docker"}.get(m.runtime, m.runtime)]
        r = by_id.get(m.id)
        assert r is not None, f"{m.runtime} container {m.name} not listed"
        assert labels(r) == m.expected
        assert r["pid"] == m.pid
        assert r["mountnsid"] == mntns_of(m.pid) and r["netnsid"] == netns_of(m.pid)
        assert m.id in r["cgroupPath"] and r["cgroupPath"] in cgroup_paths(m.pid)
        assert r["k8s"]["podUID"] == (cri_pod_meta(m.pod_id).uid if m.pod_id else "")
    for rt in before:
        stable = before[rt] & after[rt]  # running during the whole listing
        missing = stable - set(by_id)
        assert not missing, f"{rt} lists running containers that gadgetbox does not: {sorted(missing)}"


def test_podman_pod_infra_container_is_not_shown(containers):
    pod = unique("gbt-ppod")
    run("podman", "pod", "create", "--name", pod, "--network", "none")
    try:
        cid = containers.start("podman", unique("gbt-papp"), ["/pause"], extra_args=["--pod", pod])
        infra = run("podman", "pod", "inspect", "--format", "{{.InfraContainerID}}", pod).stdout.strip()
        assert len(infra) == 64
        listed = {r["runtime"]["containerId"] for r in gadgetbox_containers()}
        assert cid in listed
        assert infra not in listed, "the podman pod's infra container is listed"
    finally:
        run("podman", "pod", "rm", "-f", "-t", "0", pod, check=False)


def test_running_tracer_follows_docker_rename(containers):
    name = unique("gbt-ren")
    cid = containers.start("docker", name, ["/pause"])
    pid = containers.pid("docker", cid)
    with tracing(Tracer("execsnoop-k8s", "-r", "docker", host=False,
                        probe=lambda m: ns_exec(pid, "/bin/true", m))) as t:
        run("docker", "rename", name, name + "-renamed")
        renamed_at = time.monotonic()
        markers, started = [], {}

        def exec_shows_new_name():  # the rescan that reads Docker's file again runs once a second
            markers.append(unique("after-rename"))
            started[markers[-1]] = time.monotonic()
            run("docker", "exec", name + "-renamed", "/bin/true", markers[-1])
            time.sleep(0.2)
            shown = [(m, e) for m in markers for e in with_arg(events(t), m)]
            return [m for m, e in shown if e["runtime"]["containerName"] == name + "-renamed"]
        first = min(wait_for(exec_shows_new_name, timeout=30, what="an exec labelled with the new name"),
                    key=started.get)
        # from the rename to the start of the first exec shown with the new name: not how long `docker exec`
        # itself takes, which on a loaded machine can be seconds
        seen_after = started[first] - renamed_at
        t.stop()
    assert seen_after < 5, f"an exec started {seen_after:.1f}s after the rename was the first with the new name"
    for e in [e for m in markers for e in with_arg(events(t), m)]:
        assert e["runtime"]["containerName"] in (name, name + "-renamed") and e["runtime"]["containerId"] == cid


# ---- 7. containers --watch --------------------------------------------------------------------------------------

@pytest.fixture
def watcher():
    procs = []

    def start(*args):
        out = tempfile.NamedTemporaryFile(prefix="gb-watch-", delete=False)
        p = subprocess.Popen(gadgetbox_cmd("containers", "--watch", "-o", "json", *args), stdout=out,
                             stderr=subprocess.PIPE)
        p.out_path = out.name
        out.close()
        p.rows = lambda: parse_json_lines(open(p.out_path, "rb").read())
        procs.append(p)
        return p
    yield start
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()
        os.unlink(p.out_path)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_watch_reports_added_and_removed(containers, fleet, watcher, runtime):
    p = watcher("--timeout", "120")
    existing = fleet["docker"].id
    wait_for(lambda: [r for r in p.rows() if r["runtime"]["containerId"] == existing], timeout=15,
             what="the EXISTING rows")
    u = uuid.uuid4().hex[:10]
    name = f"gbt-watch-{u}"
    kw = {"pod_name": f"gbt-wpod-{u}", "namespace": f"gbt-wns-{u}"} if runtime == "cri" else {}
    cid = containers.start(runtime, name, ["/pause"], **kw)
    pid = containers.pid(runtime, cid)
    pod_id = cri_pod(cid) if runtime == "cri" else None
    want = expected_labels(runtime, name, cid, pod_id)

    def rows_of(id_):
        return [r for r in p.rows() if r["runtime"]["containerId"] == id_]
    wait_for(lambda: [r for r in rows_of(cid) if r["event"] == "ADDED"], timeout=15, what="ADDED")
    containers.remove(runtime, cid)
    wait_for(lambda: [r for r in rows_of(cid) if r["event"] == "REMOVED"], timeout=15, what="REMOVED")
    # a container that exits at once is registered (at `runc start`) and reported gone too
    short_kw = {"pod_name": f"gbt-wpod2-{u}", "namespace": f"gbt-wns-{u}"} if runtime == "cri" else {}
    short = containers.start(runtime, f"gbt-wshort-{u}", ["/bin/echo", "bye"], **short_kw)
    wait_for(lambda: [r["event"] for r in rows_of(short)] == ["ADDED", "REMOVED"], timeout=15,
             what="ADDED and REMOVED of a container that exits at once")
    p.send_signal(signal.SIGINT)
    assert p.wait(15) == 0
    rows = rows_of(cid)
    assert [r["event"] for r in rows] == ["ADDED", "REMOVED"]
    for r in rows:
        assert labels(r) == want and r["pid"] == pid
    if pod_id:
        assert not rows_of(pod_id), "the pod sandbox was reported"
    assert [r["event"] for r in rows_of(existing)][:1] == ["EXISTING"]


def test_watch_reports_existing_containers_once(fleet):
    r = subprocess.run(gadgetbox_cmd("containers", "--watch", "--timeout", "1", "-o", "json"), capture_output=True,
                       timeout=30)
    assert r.returncode == 0, r.stderr
    rows = parse_json_lines(r.stdout)
    for m in fleet.values():
        assert [x["event"] for x in rows if x["runtime"]["containerId"] == m.id] == ["EXISTING"], m.key


# ---- 8. container filters ---------------------------------------------------------------------------------------

ALL = ("docker", "crun", "podman", "ctr", "cri_a", "cri_b")

FILTER_CASES = {
    # id: (function of the fleet giving the arguments, the fleet members that must be shown)
    "c": (lambda f: ["-c", f["docker"].name], {"docker"}),
    "c-list": (lambda f: ["-c", f"{f['podman'].name},{f['ctr'].name}"], {"podman", "ctr"}),
    "c-k8s-container": (lambda f: ["-c", f["cri_b"].name], {"cri_b"}),
    "c-exclude": (lambda f: ["-c", "!" + f["docker"].name], set(ALL) - {"docker"}),
    "c-exclude-two": (lambda f: ["-c", f"!{f['docker'].name},!{f['cri_a'].name}"], set(ALL) - {"docker", "cri_a"}),
    "r-podman": (lambda f: ["-r", "podman"], {"podman"}),
    "r-docker": (lambda f: ["-r", "docker"], {"docker", "crun"}),
    "r-containerd": (lambda f: ["-r", "containerd"], {"ctr", "cri_a", "cri_b"}),
    "r-exclude": (lambda f: ["-r", "!docker,!containerd"], {"podman"}),
    "k8s-namespace": (lambda f: ["--k8s-namespace", f["cri_a"].extra["namespace"]], {"cri_a", "cri_b"}),
    "k8s-podname": (lambda f: ["--k8s-podname", f["cri_a"].extra["pod"]], {"cri_a", "cri_b"}),
    "k8s-containername": (lambda f: ["--k8s-containername", f["cri_a"].name], {"cri_a"}),
    "k8s-pod-and-not-container": (lambda f: ["--k8s-podname", f["cri_a"].extra["pod"], "--k8s-containername",
                                             "!" + f["cri_a"].name], {"cri_b"}),
    "runtime-and-name": (lambda f: ["-r", "docker", "-c", f"{f['docker'].name},{f['podman'].name}"], {"docker"}),
}


@pytest.mark.parametrize("case", list(FILTER_CASES))
def test_execsnoop_container_filters(fleet, case):
    make_args, visible = FILTER_CASES[case]
    args = make_args(fleet)
    probe_box = fleet[sorted(visible)[0]]
    markers = {}
    with tracing(Tracer("execsnoop-k8s", *args, host=False,
                probe=lambda m: ns_exec(probe_box.pid, "/bin/true", m))) as t:
        for key in ALL:
            markers[key] = unique(f"f-{key}")
            ns_exec(fleet[key].pid, "/bin/true", markers[key])
        markers["host"] = unique("f-host")
        host_exec(markers["host"])
        barrier = unique("barrier")
        ns_exec(probe_box.pid, "/bin/true", barrier)
        wait_for(lambda: with_arg(events(t), barrier), what="the barrier exec")
        in_kernel = kernel_mntns_filter(t.proc.pid)
        t.stop()
    # the filter is in the kernel: exactly the matching fleet members' mount namespaces are in the map
    assert {k for k in ALL if mntns_of(fleet[k].pid) in in_kernel} == visible
    evs = events(t)
    shown = {key for key, m in markers.items() if with_arg(evs, m)}
    assert shown == visible, f"{args}: shown {sorted(shown)}, expected {sorted(visible)}"
    for key in visible:
        [e] = with_arg(evs, markers[key])
        assert labels(e) == fleet[key].expected
    # nothing else passes either: every event is of a container that passes the filter
    fleet_ids = {m.id: k for k, m in fleet.items()}
    for e in evs:
        k = fleet_ids.get(e["runtime"]["containerId"])
        assert k is None or k in visible, f"{args}: event of {k}: {e}"
        assert e["runtime"]["containerId"], f"{args}: host event {e}"


@pytest.mark.parametrize("case", list(FILTER_CASES))
def test_containers_applet_filters(fleet, case):
    make_args, visible = FILTER_CASES[case]
    args = make_args(fleet)
    rows = gadgetbox_containers(*args)
    listed = {r["runtime"]["containerId"] for r in rows}
    shown = {k for k, m in fleet.items() if m.id in listed}
    assert shown == visible, f"{args}: listed {sorted(shown)}, expected {sorted(visible)}"


# ---- JSON shape -------------------------------------------------------------------------------------------------

def test_containers_json_keys_are_unique_and_nested_once(fleet):
    """Each JSON line is an object with unique keys (RFC 8259 "SHOULD"; most parsers keep only the last of a
    duplicate, which would lose k8s.namespace/podName/containerName here)."""
    r = subprocess.run(gadgetbox_cmd("containers", "-o", "json"), capture_output=True, timeout=30)
    assert r.returncode == 0
    rows = parse_json_lines(r.stdout, strict=True)
    [row] = [x for x in rows if x["runtime"]["containerId"] == fleet["cri_a"].id]
    assert set(row["k8s"]) == {"node", "namespace", "podName", "containerName", "podUID"}


def test_execsnoop_json_keys_are_unique(fleet):
    box = fleet["cri_a"]
    with tracing(Tracer("execsnoop-k8s", "-c", box.name, host=False,
                        probe=lambda m: ns_exec(box.pid, "/bin/true", m))) as t:
        t.stop()
    evs = parse_json_lines(t.raw(), strict=True)
    assert evs and all(labels(e) == box.expected for e in evs)


# ---- state, start and end, exit code, restart count, log path; --all (exited containers) ------------------

# a container's own record of its start may come before its init's exec (the engine writes it first): allow
# this much either side of the window the test measured, on a loaded machine
CLOCK_SLACK_NS = 5 * 10**9
LOGGED = {"docker", "docker-crun", "podman", "cri"}  # runtimes that record where the output goes


def rows_by_id(*args):
    return {r["runtime"]["containerId"]: r for r in gadgetbox_containers(*args)}


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_containers_shows_state_and_start_time_of_a_running_container(containers, runtime):
    before = time.time_ns()
    cid = containers.start(runtime, unique("gbt-ct-run"), ["sleep", "600"])
    pid = wait_for(lambda: containers.pid(runtime, cid), timeout=30, what="the container's pid")
    after = time.time_ns()
    r = wait_for(lambda: rows_by_id().get(cid), timeout=30, what="the container listed")
    assert r["state"] == "running" and r["pid"] == pid
    assert before - CLOCK_SLACK_NS <= r["startedAt"] <= after + CLOCK_SLACK_NS
    assert "exitCode" not in r and "finishedAt" not in r
    if runtime in LOGGED:
        assert os.path.isfile(r["logPath"]), r
    if runtime == "cri":
        assert r["restartCount"] == 0
    # the columns show it as docker ps does
    out = subprocess.run(gadgetbox_cmd("containers", "--fields", "runtime.containerId,status"), capture_output=True,
                         text=True, timeout=30).stdout
    assert re.search(rf"^{cid}\s+Up\b", out, re.M), out


@pytest.mark.parametrize("runtime", ["docker", "docker-crun", "podman"])
def test_containers_all_lists_an_exited_container_with_its_exit_code(containers, runtime):
    before = time.time_ns()
    cid = containers.start(runtime, unique("gbt-ct-exit"), ["sh", "-c", "echo bye; exit 3"])
    assert containers.wait(runtime, cid) == 3
    # the engine writes the exit down after its waiters hear of it: poll
    def exited():
        r = rows_by_id("--all").get(cid)
        return r if r and "exitCode" in r else None
    r = wait_for(exited, timeout=30, what="the exited container with its exit code")
    assert r["state"] == "exited" and r["exitCode"] == 3
    assert "pid" not in r and r["mountnsid"] == 0
    # Docker writes StartedAt once its start call returns: after the end of a container this short
    assert before - CLOCK_SLACK_NS <= r["startedAt"] <= r["finishedAt"] + CLOCK_SLACK_NS
    assert before - CLOCK_SLACK_NS <= r["finishedAt"] <= time.time_ns() + CLOCK_SLACK_NS
    assert os.path.isfile(r["logPath"]) and "bye" in open(r["logPath"], errors="replace").read()
    assert r["runtime"]["containerName"].startswith("gbt-ct-exit")
    assert cid not in rows_by_id(), "an exited container is listed without --all"
    out = subprocess.run(gadgetbox_cmd("containers", "-a", "--fields", "runtime.containerId,status"),
                         capture_output=True, text=True, timeout=30).stdout
    assert re.search(rf"^{cid}\s+Exited \(3\) ", out, re.M), out


def test_containers_all_lists_the_earlier_attempt_of_a_restarted_cri_container(containers):
    """A crash-looping pod's container: attempt 0 exited with 7 and the kubelet made attempt 1 (restartCount 1)."""
    name = unique("gbt-ct-crash")
    first = containers.start("cri", name, ["sh", "-c", "echo crashed; exit 7"], namespace="gbt-ct")
    assert containers.wait("cri", first) == 7
    pod_id = cri_pod(first)
    second = cri().create_container(pod_id, None, name, "gadgetbox-test/busybox:1", ["sleep", "600"], attempt=1)
    cri().start(second)
    wait_for(lambda: cri().pid(second), timeout=30, what="attempt 1 running")
    rows = rows_by_id("--all", "--k8s-podname", name)
    assert set(rows) == {first, second}, rows  # its pod's sandbox is never shown
    old, new = rows[first], rows[second]
    assert old["state"] == "exited" and old["exitCode"] == 7 and old["restartCount"] == 0
    assert new["state"] == "running" and new["restartCount"] == 1 and "exitCode" not in new
    for r in (old, new):
        assert r["k8s"]["containerName"] == name and r["k8s"]["namespace"] == "gbt-ct"
        assert r["k8s"]["podName"] == name and r["runtime"]["containerImageName"].endswith(BUSYBOX_FQ)
    assert old["logPath"].endswith(f"/{name}/0.log") and new["logPath"].endswith(f"/{name}/1.log")
    assert os.path.isfile(old["logPath"]) and "crashed" in open(old["logPath"]).read()
    assert old["finishedAt"] <= new["startedAt"] + CLOCK_SLACK_NS
    assert set(rows_by_id("--k8s-podname", name)) == {second}


def test_containers_all_lists_a_ctr_container_without_a_task_as_created(containers):
    cid = containers.start("ctr", unique("gbt-ct-ctr"), ["sh", "-c", "exit 0"])
    assert containers.wait("ctr", cid) == 0  # and its task is deleted: only containerd's record is left
    r = wait_for(lambda: rows_by_id("-a").get(cid), timeout=30, what="the task-less container")
    assert r["state"] == "created" and "pid" not in r
    assert r["runtime"]["containerImageName"] == BUSYBOX_FQ  # from containerd's database
    assert cid not in rows_by_id()

