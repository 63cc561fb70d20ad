"""Start-up and stop of the tracing applets: what -v says they did, and no false loss at the end."""
import os
import re
import subprocess
import tempfile

import pytest

from conftest import BINARY, ROOT

TRACERS = ["execsnoop-k8s", "opensnoop-k8s", "dnssnoop"]


def steps(applet):
    r = subprocess.run([BINARY, applet, "-v", "--timeout", "0.3"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return [m.group(2) for m in re.finditer(r"start-up: ([\d.]+) ms: (.*)", r.stderr)]


@pytest.mark.parametrize("applet", TRACERS)
def test_programs_are_attached_before_the_container_scan_is_awaited(applet):
    """The steps -v prints: libbpf matches CO-RE against the object's BTF subset (btfsub.c), and the programs
    are attached before the tracer waits for the first container scan."""
    s = steps(applet)
    assert "BTF for CO-RE: the object's subset" in s, s
    assert s.index("programs attached") < s.index("containers scanned"), s


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="the workload and the tracer each need a CPU")
def test_no_loss_is_reported_for_events_after_the_end():
    """A tracer stopped (--timeout) while the node opens files as fast as it can: its programs write nothing
    once it stops, so detaching them does not fill the ring buffer (which read as ~17,000 lost events)."""
    d = tempfile.mkdtemp(prefix="gb-startup-")
    loop, target = os.path.join(d, "openloop"), os.path.join(d, "target")
    subprocess.run(["gcc", "-O2", "-o", loop, os.path.join(ROOT, "scripts", "bench", "openloop.c")], check=True)
    open(target, "w").close()
    work = subprocess.Popen([loop, "0", "4", target], stdout=subprocess.DEVNULL)
    try:
        r = subprocess.run(["taskset", "-c", "1", BINARY, "opensnoop-k8s", "--host", "--timeout", "1.5"],
                           capture_output=True, text=True, timeout=60)
    finally:
        work.wait(30)
        subprocess.run(["rm", "-rf", d])
    assert r.returncode == 0, r.stderr
    assert r.stdout.count(target) > 10000
    assert "lost" not in r.stderr, r.stderr
