"""gadgetbox in a debug container: without --pid=host it sees only that container's processes, and says so
(pssnap fails, the others warn), naming --pid=host; with --pid=host it says nothing of the kind."""
import subprocess
import uuid

import pytest

from conftest import BINARY
from runtimes import BUSYBOX
from test_containers import debug_container_args


def debug_args(host_root):
    """test_containers' privileged debug container, without --pid=host (and without the host's / if not
    host_root: the kernel's initial pid namespace is then the hint)."""
    args, out = [a for a in debug_container_args("docker") if a != "--pid=host"], []
    drop = set() if host_root else {"/:/host:ro", "HOST_ROOT=/host"}
    i = 0
    while i < len(args):
        if args[i] in ("-v", "-e") and i + 1 < len(args) and args[i + 1] in drop:
            i += 2
            continue
        out.append(args[i])
        i += 1
    assert f"{BINARY}:/gadgetbox:ro" in out and ("HOST_ROOT=/host" in out) == host_root
    return out


def run_debug(pid_host, host_root, *cmd):
    """(exit code, stdout, stderr) of /gadgetbox CMD in a privileged docker container, removed after."""
    name = f"gbt-dbgpid-{uuid.uuid4().hex[:8]}"
    full = ["docker", "run", "--rm", "--name", name, "--network", "none", *(["--pid=host"] if pid_host else []),
            *debug_args(host_root), BUSYBOX, "/gadgetbox", *cmd]
    try:
        r = subprocess.run(full, capture_output=True, text=True, timeout=120)
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)
    return r.returncode, r.stdout, r.stderr


@pytest.mark.parametrize("host_root", [True, False], ids=["host-root", "no-host-root"])
def test_without_pid_host_pssnap_fails_and_socksnap_warns_naming_pid_host(host_root):
    rc, out, err = run_debug(False, host_root, "pssnap")
    assert rc == 1 and out == "", (rc, out, err)
    [line] = err.splitlines()
    assert line.startswith("pssnap: ") and "--pid=host" in line and "pid namespace" in line
    rc, out, err = run_debug(False, host_root, "socksnap", "-a")
    assert rc == 0, err
    [warning] = [l for l in err.splitlines() if "--pid=host" in l]
    assert warning.startswith("socksnap: warning: ")
    # a streaming tracer (through the shared context) warns the same way, and still runs
    rc, out, err = run_debug(False, host_root, "execsnoop-k8s", "--timeout", "1")
    assert rc == 0, err
    assert [l for l in err.splitlines() if l.startswith("execsnoop-k8s: warning: ") and "--pid=host" in l], err


def test_with_pid_host_nothing_is_said_and_pssnap_sees_the_host():
    rc, out, err = run_debug(True, True, "pssnap", "--host", "-o", "json")
    assert rc == 0 and "--pid=host" not in err, err
    assert '"pid":2,' in out  # kthreadd: a host task, seen only from the host's pid namespace
    for cmd in (["socksnap", "-a"], ["execsnoop-k8s", "--timeout", "1"]):
        rc, out, err = run_debug(True, True, *cmd)
        assert rc == 0 and "--pid=host" not in err and "pid namespace" not in err, (cmd, err)
