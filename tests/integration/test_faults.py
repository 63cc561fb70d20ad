"""Faults: what goes wrong on a real node while gadgetbox runs, each made on purpose against the real binary, the
real runtimes and the real kernel.

- a runtime's state file truncated, or its state directory removed, while a container starts;
- a container killed in the middle of a snapshot (pssnap, socksnap);
- dockerd and containerd killed with SIGKILL while tracing, then restarted as they were;
- gadgetbox stopped with SIGSTOP for 5 s under load: no container start waits, and the loss is counted exactly;
- /sys/fs/bpf not mounted (a private mount namespace);
- a full disk under seccomp-advise --output-dir (a small tmpfs);
- a full in-kernel map: the tracer's mount-namespace filter filled on purpose, so its updates fail.
"""
import ctypes
import errno
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid

import pytest

from conftest import BINARY, Tracer, bpf_map_ids, gadgetbox_cmd, unique, wait_for
from runtimes import STATE_DIR, containers, run  # noqa: F401 (fixture)
from test_nohold import _thread_states as _states


def stop_all_threads(proc):
    """SIGSTOP proc and wait until every thread of it is stopped."""
    proc.send_signal(signal.SIGSTOP)
    wait_for(lambda: all(s in "Tt" for s in _states(proc.pid)), timeout=10,
             what="every thread of the tracer to be stopped")


def with_marker(t, marker):
    """The containers' `/bin/echo MARKER` execs (not the host's runtime command that carries it too)."""
    return [e for e in t.events() if e.get("args") == ["/bin/echo", marker]]


def exec_tracer(*args):
    """execsnoop-k8s, containers and host (the probe is a host exec)."""
    return Tracer("execsnoop-k8s", *args)


# ---- the runtime's state truncated or removed while a container starts ---------------------------------------

def _docker_state_files(cid):
    return (f"/var/lib/docker/containers/{cid}/config.v2.json",
            f"/run/docker/runtime-runc/moby/{cid}/state.json",
            f"/run/containerd/io.containerd.runtime.v2.task/moby/{cid}/config.json")


@pytest.mark.parametrize("fault", ["truncated", "removed"])
def test_state_broken_while_a_container_starts(containers, fault):
    """The tracer is stopped while a docker container starts; meanwhile its runtime state is broken: every state
    file gadgetbox reads for it (Docker's config.v2.json, runc's state.json, the bundle's config.json) truncated
    to half, or runc's state directory and the bundle removed. Once the tracer runs again, the container's
    first exec still comes out, attributed to the container (its id, from the cgroup path), with a warning if a
    file was corrupt; the tracer goes on, and the next container is labelled in full. The files are put back
    before the container is removed."""
    u = uuid.uuid4().hex[:8]
    name, name2 = f"gbt-flt-st{u}", f"gbt-flt-st{u}-2"
    m1, m2 = f"first-{u}", f"second-{u}"
    saved = {}
    moved = []
    hidden = f"/run/gbt-flt-hidden-{u}"
    with exec_tracer() as t:
        stop_all_threads(t.proc)
        try:
            cid = containers.start("docker", name, ["sh", "-c", 'sleep 2; /bin/echo "$0"; sleep 30', m1])
            for path in _docker_state_files(cid):
                if not os.path.exists(path):
                    continue
                with open(path, "rb") as f:
                    saved[path] = f.read()
                if fault == "truncated":
                    with open(path, "r+b") as f:
                        f.truncate(len(saved[path]) // 2)
            if fault == "removed":  # moved out of the runtimes' directories (same file system), put back after
                os.makedirs(hidden)
                for i, d in enumerate(os.path.dirname(p) for p in _docker_state_files(cid)[1:]):
                    if os.path.isdir(d):
                        os.rename(d, os.path.join(hidden, str(i)))
                        moved.append((d, os.path.join(hidden, str(i))))
            assert saved, "none of docker's state files found"
        finally:
            t.proc.send_signal(signal.SIGCONT)
        try:
            first = wait_for(lambda: with_marker(t, m1), timeout=30, what="the exec of the broken container")
            assert t.proc.poll() is None, t.stderr()
            assert first[0]["runtime"]["containerId"] == cid, first[0]
        finally:
            for d, h in moved:
                os.rename(h, d)
            shutil.rmtree(hidden, ignore_errors=True)
            for path, data in saved.items():
                with open(path, "wb") as f:
                    f.write(data)
        cid2 = containers.start("docker", name2, ["sh", "-c", 'sleep 0.5; /bin/echo "$0"; sleep 1', m2])
        second = wait_for(lambda: with_marker(t, m2), timeout=30, what="the exec of the next container")
        assert second[0]["runtime"]["containerId"] == cid2
        assert second[0]["runtime"]["containerName"] == name2
        assert t.proc.poll() is None
    assert "Traceback" not in t.stderr() and "Assertion" not in t.stderr()


# ---- a container killed in the middle of a snapshot ----------------------------------------------------------

SNAP_FAMILY = ["sh", "-c", "for p in 7001 7002 7003; do nc -l -p $p & done; sleep 1001 & sleep 1002 & "
               "while :; do sleep 1; done"]


@pytest.mark.parametrize("applet", [("pssnap", "-T"), ("socksnap", "-a")])
def test_containers_killed_while_snapshots_run(containers, applet):
    """Eight containers, each with a few processes and listening sockets, killed one by one (SIGKILL, every
    0.2 s) while snapshots of all containers run back to back: every snapshot exits 0 with valid JSON, and
    whatever a dying container still shows is whole (a row never lacks its container)."""
    u = uuid.uuid4().hex[:8]
    ids = [containers.start("docker", f"gbt-flt-sn{u}-{i}", SNAP_FAMILY) for i in range(8)]
    wait_for(lambda: all(run("docker", "inspect", "-f", "{{.State.Running}}", c).stdout.strip() == "true"
                         for c in ids), timeout=60, what="the containers to run")
    done = threading.Event()

    def killer():
        for c in ids:
            run("docker", "kill", c, check=False)
            time.sleep(0.2)
        done.set()

    th = threading.Thread(target=killer, daemon=True)
    th.start()
    runs = 0
    try:
        while not done.is_set() or runs < 5:
            r = subprocess.run(gadgetbox_cmd(applet[0], applet[1], "-o", "json", "-c", f"gbt-flt-sn{u}-*"),
                               capture_output=True, timeout=60)
            runs += 1
            assert r.returncode == 0, r.stderr.decode(errors="replace")
            for line in r.stdout.decode().splitlines():
                rec = json.loads(line)
                if rec.get("type") == "warning":
                    continue
                assert rec["runtime"]["containerId"] in ids, rec
    finally:
        th.join(60)
    assert runs >= 5


# ---- dockerd and containerd killed with SIGKILL, then restarted -------------------------------------------

def _daemon(name):
    """(pid, argv) of our daemon NAME (scripts/runtimes.sh wrote its pid file)."""
    with open(os.path.join(STATE_DIR, f"{name}.pid")) as f:
        pid = int(f.read())
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        argv = [a.decode() for a in f.read().split(b"\0") if a]
    assert os.path.basename(argv[0]) == name, argv
    return pid, argv


def _restart(name, argv):
    """Start the daemon again exactly as scripts/runtimes.sh does: same argv, its own session, same log. A
    SIGKILLed dockerd leaves its pid file, and refuses to start while that pid exists (the killed one can stay a
    zombie where nobody reaps it): the file goes first, as an operator would remove it."""
    if name == "dockerd":
        pidfile = next((a.split("=", 1)[1] for a in argv if a.startswith("--pidfile=")), "/var/run/docker.pid")
        if "-p" in argv[:-1]:
            pidfile = argv[argv.index("-p") + 1]
        if os.path.exists(pidfile):
            os.unlink(pidfile)
    with open(os.path.join(STATE_DIR, f"{name}.log"), "ab") as log:
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
    with open(os.path.join(STATE_DIR, f"{name}.pid"), "w") as f:
        f.write(f"{p.pid}\n")
    return p


def _others_running():
    """Docker containers not of this test: dockerd restarted without live-restore stops them."""
    r = run("docker", "ps", "--format", "{{.Names}}", check=False)
    return [n for n in r.stdout.split() if not n.startswith("gbt-flt-dk")]


def test_dockerd_and_containerd_sigkilled_while_tracing(containers):
    """execsnoop-k8s runs while dockerd and containerd are SIGKILLed: it goes on (a podman container started
    meanwhile is labelled), and once both are started again with their own command lines, new docker and ctr
    containers' first execs are labelled. gadgetbox never asks a runtime API, so it must not notice at all."""
    others = _others_running()
    if others:
        pytest.skip(f"other docker containers run ({len(others)}): restarting dockerd would stop them")
    u = uuid.uuid4().hex[:8]
    dpid, dargv = _daemon("dockerd")
    cpid, cargv = _daemon("containerd")
    with exec_tracer() as t:
        restarted = []
        try:
            os.kill(dpid, signal.SIGKILL)
            os.kill(cpid, signal.SIGKILL)
            wait_for(lambda: not os.path.exists(f"/proc/{dpid}") and not os.path.exists(f"/proc/{cpid}")
                     or all(_zombie(p) for p in (dpid, cpid)), timeout=30, what="the daemons to die")
            m0 = f"podman-{u}"
            pc = containers.start("podman", f"gbt-flt-dk{u}-p", ["sh", "-c", '/bin/echo "$0"; sleep 1', m0])
            ev = wait_for(lambda: with_marker(t, m0), timeout=30, what="the podman container's exec")
            assert ev[0]["runtime"]["containerId"] == pc and ev[0]["runtime"]["containerName"] == f"gbt-flt-dk{u}-p"
        finally:
            restarted.append(_restart("containerd", cargv))
            wait_for(lambda: subprocess.run(["ctr", "--connect-timeout", "2s", "version"],
                                            capture_output=True).returncode == 0, timeout=60,
                     what="containerd to answer again")
            restarted.append(_restart("dockerd", dargv))
            wait_for(lambda: subprocess.run(["docker", "version"], capture_output=True).returncode == 0,
                     timeout=60, what="dockerd to answer again")
        assert t.proc.poll() is None, t.stderr()
        for runtime in ("docker", "ctr"):
            m = f"{runtime}-{u}"
            n = f"gbt-flt-dk{u}-{runtime}"
            c = containers.start(runtime, n, ["sh", "-c", '/bin/echo "$0"; sleep 1', m])
            ev = wait_for(lambda: with_marker(t, m), timeout=30, what=f"the {runtime} container's exec")
            assert ev[0]["runtime"]["containerId"] == c, ev[0]
            assert ev[0]["runtime"]["containerName"] == n, ev[0]
        assert t.proc.poll() is None


def _zombie(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


# ---- SIGSTOP for 5 s under load ---------------------------------------------------------------------------

def test_sigstop_for_5s_under_load_delays_no_start_and_counts_loss_exactly(containers):
    """A container runs N execs as fast as it can while execsnoop-k8s (only that container, filtered in the
    kernel) is SIGSTOPped for 5 s (at least until a second container, started meanwhile, is up): the second
    container's start completes while the tracer is still stopped, and once it runs again every exec is either
    delivered or counted as lost: delivered + lost == N (beyond N only by other namespaces' events, below).
    Each exec carries 3 KB of arguments, so the ring buffer overflows while the tracer is stopped: some are
    lost."""
    u = uuid.uuid4().hex[:8]
    n = 10000
    name = f"gbt-flt-ss{u}"
    go = f"/tmp/gbt-flt-ss{u}"
    os.makedirs(go)
    os.chmod(go, 0o777)
    try:
        # the loop waits for a file, so that the tracer is ready (its probe is the container's own exec) first
        fifo = os.path.join(go, "fifo")
        os.mkfifo(fifo)
        # no exec after the loop (a redirection, then a read from a FIFO nobody writes): every exec of the
        # container after the start signal is the loop's
        loop = (f'while [ ! -e /go/go ]; do /bin/true probe; sleep 0.05; done; i=0; '
                f'p=$(printf "%0200d" 0); while [ $i -lt {n} ]; do /bin/true {" ".join(["$p"] * 15)} "$0"; i=$((i+1)); done; : >/go/done; read x </go/fifo')
        containers.start("docker", name, ["sh", "-c", loop, f"load-{u}"], extra_args=["-v", f"{go}:/go"])
        t = Tracer("execsnoop-k8s", "-c", name, host=False, probe=lambda m: None)
        t.marker = "probe"
        with t:
            stop_all_threads(t.proc)
            stopped_at = time.monotonic()
            # a container start while the tracer is stopped completes without it (before the load begins: its
            # exec goes into the ring buffer, not into the count of lost events)
            other = containers.start("docker", f"gbt-flt-ss{u}-2", ["sleep", "30"])
            start_s = time.monotonic() - stopped_at
            assert all(s in "Tt" for s in _states(t.proc.pid)), "the tracer ran during the start"
            open(os.path.join(go, "go"), "w").close()
            time.sleep(max(0.0, 5.0 - (time.monotonic() - stopped_at)))
            t.proc.send_signal(signal.SIGCONT)
            assert other
            wait_for(lambda: os.path.exists(os.path.join(go, "done")), timeout=600, what="the exec loop to end")

            def total():
                recs = t.records()
                return (len([e for e in recs if "type" not in e and e.get("args", [])[-1:] == [f"load-{u}"]]),
                        sum(r["lost"] for r in recs if r.get("type") == "lost"))
            # every exec delivered or counted lost: wait until the sum is reached (it may never be: then it fails)
            deadline = time.time() + 60
            while sum(total()) < n and time.time() < deadline:
                time.sleep(0.5)
            time.sleep(1)
            t.stop()
            delivered, lost = total()
            pids = [e["pid"] for e in t.events() if e.get("args", [])[-1:] == [f"load-{u}"]]
            assert len(set(pids)) == len(pids), "an exec delivered twice"
        # the loop's execs (the shell's own came before the tracer started): none lost uncounted. The count may
        # exceed them by events of mount namespaces the kernel's filter did not know yet (containers starting
        # elsewhere on the node meanwhile: they pass it, and count when the buffer is full); with the node to
        # itself (make test) the sum is exactly n
        assert lost > 0 and n <= delivered + lost <= n + max(50, lost // 20), (delivered, lost, t.stderr())
        print(f"start while stopped: {start_s:.2f}s; delivered {delivered}, lost {lost}")
    finally:
        shutil.rmtree(go, ignore_errors=True)


# ---- /sys/fs/bpf not mounted ----------------------------------------------------------------------------

def test_works_without_bpffs_in_a_private_mount_namespace():
    """In a private mount namespace where /sys/fs/bpf is not mounted (unmounted there if it is), every kind of
    applet works: a tracer sees an exec, a snapshot lists processes."""
    marker = unique("gbt-flt-nobpffs")
    script = (
        "umount -l /sys/fs/bpf 2>/dev/null; "
        "if grep -q ' /sys/fs/bpf ' /proc/self/mounts; then echo still-mounted; exit 3; fi; "
        f"({BINARY} execsnoop-k8s --host -o json --timeout 8 & "
        f"for i in $(seq 60); do sleep 0.1; /bin/true {marker}; done; wait) && "
        f"{BINARY} pssnap --host -o json >/dev/null && echo pssnap-ok")
    r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "still-mounted" not in r.stdout
    assert marker in r.stdout and "pssnap-ok" in r.stdout, (r.stdout[-2000:], r.stderr)


# ---- a full disk under seccomp-advise --output-dir ----------------------------------------------------------

def test_full_disk_for_seccomp_advise_output_dir(containers):
    """--output-dir on a 64 KiB tmpfs that is already full: the profile cannot be written. seccomp-advise says
    so in one line naming the file and ENOSPC's text, leaves no partial file (nor its .tmp) behind, goes on
    recording, and exits 1; with room again, the next container's profile is written whole."""
    mnt = tempfile.mkdtemp(prefix="gb-flt-full-")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mnt], check=True)
    try:
        filler = os.path.join(mnt, "filler")
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            while os.write(fd, b"x" * 4096):
                pass
        except OSError as e:
            assert e.errno == errno.ENOSPC
        finally:
            os.close(fd)
        u = uuid.uuid4().hex[:8]
        names = [f"gbt-flt-sc{u}-1", f"gbt-flt-sc{u}-2"]
        err = tempfile.TemporaryFile()
        p = subprocess.Popen(gadgetbox_cmd("seccomp-advise", "--output-dir", mnt, "-c", ",".join(names)),
                             stdout=subprocess.DEVNULL, stderr=err)

        def stderr():
            err.seek(0)
            return err.read().decode(errors="replace")
        try:
            wait_for(lambda: "recording" in stderr() or p.poll() is not None, timeout=20, what="seccomp-advise")
            assert p.poll() is None, stderr()
            c1 = containers.start("docker", names[0], ["sh", "-c", "echo hi; ls /"])
            containers.wait("docker", c1)
            wait_for(lambda: "cannot write" in stderr(), timeout=30, what="the write error")
            line = [x for x in stderr().splitlines() if "cannot write" in x][0]
            assert names[0] + ".json" in line and "No space left on device" in line, line
            assert sorted(os.listdir(mnt)) == ["filler"], os.listdir(mnt)
            assert p.poll() is None
            os.unlink(filler)
            c2 = containers.start("docker", names[1], ["sh", "-c", "echo hi; ls /"])
            containers.wait("docker", c2)
            path = os.path.join(mnt, names[1] + ".json")
            wait_for(lambda: os.path.exists(path), timeout=30, what="the second profile")
            with open(path) as f:
                assert json.load(f)["syscalls"]
            p.send_signal(signal.SIGINT)
            p.wait(30)
            assert p.returncode == 1, stderr()
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
    finally:
        subprocess.run(["umount", "-l", mnt])
        os.rmdir(mnt)


# ---- a full in-kernel map -------------------------------------------------------------------------------

_libc = ctypes.CDLL(None, use_errno=True)
_SYS_BPF = 321  # x86-64
BPF_MAP_UPDATE_ELEM, BPF_MAP_GET_FD_BY_ID = 2, 14


def _bpf(cmd, attr):
    buf = ctypes.create_string_buffer(bytes(attr), 128)
    r = _libc.syscall(_SYS_BPF, cmd, buf, 128)
    return r, ctypes.get_errno()


def _fill(map_id, max_entries):
    """Fill a u64 → struct gb_ns_entry hash with entries for namespaces that do not exist (verdict drop) until
    an update fails; returns (entries added, errno of the failure)."""
    r, e = _bpf(BPF_MAP_GET_FD_BY_ID, map_id.to_bytes(4, "little"))
    assert r >= 0, os.strerror(e)
    fd = r
    key = ctypes.c_uint64()
    val = (ctypes.c_uint8 * 16)(*(0).to_bytes(8, "little"), *(2).to_bytes(4, "little"), *(0).to_bytes(4, "little"))
    added = 0
    try:
        for i in range(max_entries + 1):
            key.value = 0xFFFF_0000_0000 + i
            attr = (fd.to_bytes(4, "little") + bytes(4) + ctypes.addressof(key).to_bytes(8, "little")
                    + ctypes.addressof(val).to_bytes(8, "little") + (1).to_bytes(8, "little"))  # BPF_NOEXIST
            r, e = _bpf(BPF_MAP_UPDATE_ELEM, attr)
            if r:
                return added, e
            added += 1
    finally:
        os.close(fd)
    return added, 0


def test_full_mntns_map_the_new_container_is_still_labelled(containers):
    """The tracer's in-kernel mount-namespace map (gb_mntns) filled on purpose, so that the update for a new
    container fails (E2BIG/ENOMEM from the kernel): the tracer says once that its in-kernel filter is full, and
    the new container's events still come out, labelled, filtered in user space; the tracer goes on."""
    u = uuid.uuid4().hex[:8]
    name = f"gbt-flt-mf{u}"
    with exec_tracer() as t:
        maps = bpf_map_ids(t.proc.pid).get("gb_mntns", [])
        assert maps, "the tracer holds no gb_mntns map"
        for mid, max_entries in maps:
            added, e = _fill(mid, max_entries)
            assert e in (errno.E2BIG, errno.ENOMEM), (added, os.strerror(e))
        m = f"full-{u}"
        cid = containers.start("docker", name, ["sh", "-c", '/bin/echo "$0"; sleep 1', m])
        ev = wait_for(lambda: with_marker(t, m), timeout=30, what="the new container's exec")
        assert ev[0]["runtime"]["containerId"] == cid and ev[0]["runtime"]["containerName"] == name, ev[0]
        wait_for(lambda: any("filter is full" in w for w in t.warnings()), timeout=10, what="the warning")
        assert t.proc.poll() is None
