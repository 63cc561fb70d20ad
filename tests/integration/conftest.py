"""Shared fixtures: the real gadgetbox binary, run as root against the running kernel."""
import json
import os
import re
import signal
import subprocess
import tempfile
import time
import uuid

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# GADGETBOX_BINARY: another build of the binary to test (default: the one `make` writes at the top)
BINARY = os.environ.get("GADGETBOX_BINARY") or os.path.join(ROOT, "gadgetbox")


def gadgetbox_cmd(applet, *args):
    return [BINARY, applet, *args]


def bpf_program_names():
    """Names of the BPF programs loaded in the kernel right now."""
    out = subprocess.run(["bpftool", "-j", "prog", "list"], check=True, capture_output=True, text=True).stdout
    return {p.get("name", "") for p in json.loads(out or "[]")}


class Tracer:
    """An applet running in the background with its stdout in a file.

    start() returns once the tracer provably sees events: it repeats a uniquely named exec until that exec
    shows up in the output, so no test depends on a sleep.
    """

    def __init__(self, applet, *args, json_mode=True, probe=None, host=True):
        self.applet = applet
        # tests that watch host processes need --host: the default is containers only
        self.args = list(args) + (["--host"] if host else [])
        self.json_mode = json_mode
        self.dir = tempfile.mkdtemp(prefix="gb-test-")
        self.out_path = os.path.join(self.dir, "out")
        self.err_path = os.path.join(self.dir, "err")
        self.proc = None
        self._raw = self._err = None  # kept after cleanup
        self.marker = "gb-ready-" + uuid.uuid4().hex[:12]
        # probe(marker) makes an event that this tracer's filters let through, carrying marker
        self.probe = probe or (lambda marker: subprocess.run(["/bin/true", marker]))

    def start(self, ready_timeout=20.0):
        cmd = gadgetbox_cmd(self.applet, *self.args)
        if self.json_mode and "-o" not in self.args:
            cmd += ["-o", "json"]
        try:
            with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
                self.proc = subprocess.Popen(cmd, stdout=out, stderr=err)
        except BaseException:
            subprocess.run(["rm", "-rf", self.dir])
            raise
        deadline = time.time() + ready_timeout
        while time.time() < deadline:
            self.probe(self.marker)
            time.sleep(0.05)
            if self.marker.encode() in self.raw():
                return self
            if self.proc.poll() is not None:
                break
        self.stop()
        raise AssertionError(f"tracer not ready: rc={self.proc.returncode} stderr={self.stderr()!r}")

    def raw(self):
        if self._raw is not None:
            return self._raw
        with open(self.out_path, "rb") as f:
            return f.read()

    def stderr(self):
        if self._err is not None:
            return self._err
        with open(self.err_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self, sig=signal.SIGINT, timeout=15):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("tracer did not exit after " + sig.name)
        return self.proc.returncode

    def events(self):
        """Parsed JSON lines (every line must be valid JSON), without {"type":"warning"} records."""
        return [e for e in self.records() if e.get("type") != "warning"]

    def records(self):
        """Every parsed JSON line: events, {"type":"lost"} and {"type":"warning"} records."""
        return [json.loads(line) for line in self.lines() if line]

    def lost(self):
        """Events the tracer counted lost so far, from its stderr (small: cheap to read at every poll, unlike the
        output): the last "...; N lost so far" report, or once it has exited "N events lost in total"."""
        err = self.stderr()
        counts = re.findall(r"; (\d+) lost so far", err) + re.findall(r"(\d+) events lost in total", err)
        return max(map(int, counts), default=0)

    def warnings(self):
        return [e["message"] for e in self.records() if e.get("type") == "warning"]

    def lines(self):
        text = self.raw().decode("utf-8", errors="surrogateescape")
        # the tracer writes in large chunks: while it runs, the file may end inside a line; leave that part
        # for the next read
        return text.split("\n")[:-1]

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._raw, self._err = self.raw(), self.stderr()
        subprocess.run(["rm", "-rf", self.dir])


@pytest.fixture
def workdir():
    d = tempfile.mkdtemp(prefix="gb-work-")
    os.chmod(d, 0o755)
    yield d
    subprocess.run(["rm", "-rf", d])


def static_workload(src, name, prefix):
    """A generator for a module fixture: SRC built static into a fresh directory containers can mount (yields
    the directory, which holds NAME), removed afterwards."""
    d = tempfile.mkdtemp(prefix=prefix)
    os.chmod(d, 0o755)
    r = subprocess.run(["gcc", "-static", "-O2", "-Wall", "-o", os.path.join(d, name), src],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    yield d
    subprocess.run(["rm", "-rf", d])


def unique(prefix="gbt"):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def assert_accounted(t, delivered, expected, timeout=60.0, what="events"):
    """What a user relies on at a high rate: every one of the EXPECTED events of ours is delivered, or counted lost
    by the tracer, exactly. Waits (up to TIMEOUT, generous: the machine may be loaded) until delivered() + t.lost()
    reaches EXPECTED, stops the tracer (it delivers what it still holds), and fails saying which way it went:
    "uncounted" (events neither delivered nor counted lost: silent loss, the defect), "over-counted" (more than
    were made), or "late" (all accounted for only when the tracer stopped, not within TIMEOUT). Counted loss passes:
    the tracer said so. Returns (delivered, lost)."""
    deadline = time.time() + timeout
    d = lost = 0
    while time.time() < deadline:
        d, lost = delivered(), t.lost()
        if d + lost >= expected:
            break
        time.sleep(0.1)
    on_time = d + lost >= expected
    t.stop()
    d_end, lost_end = delivered(), t.lost()
    detail = (f"{what}: {expected:,} made, {d_end:,} delivered, {lost_end:,} counted lost by the tracer; "
              f"stderr: {t.stderr()[-300:]!r}")
    assert d_end + lost_end <= expected, f"over-counted: more than were made ({detail})"
    assert d_end + lost_end == expected, (f"uncounted: {expected - d_end - lost_end:,} neither delivered nor "
                                          f"counted lost ({detail})")
    assert on_time, (f"late: {d + lost:,} accounted for within {timeout:g} s, the rest only when the tracer "
                     f"stopped ({detail})")
    return d_end, lost_end


def wait_for(pred, timeout=10.0, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def bpf_map_ids(pid):
    """{name: [(id, max_entries)]} of the BPF maps process pid holds open (read from its /proc fdinfo)."""
    ids = {}
    for fd in os.listdir(f"/proc/{pid}/fdinfo"):
        try:
            with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                mids = [int(line.split()[1]) for line in f if line.startswith("map_id:")]
        except OSError:
            continue
        for mid in mids:
            info = json.loads(subprocess.run(["bpftool", "-j", "map", "show", "id", str(mid)],
                                             capture_output=True, text=True).stdout or "{}")
            if info.get("name"):
                ids.setdefault(info["name"], []).append((mid, info.get("max_entries", 0)))
    return ids
