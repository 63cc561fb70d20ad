"""Columns that fit the content and the terminal (issue "Fit and finish"): the streaming applets size the
CONTAINER column from the containers known at start, widen a column when a longer value comes, keep ctr's
user-chosen names whole, and on a terminal cut the last free-text column at its edge (never on a pipe)."""
import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import termios
import time

import pytest

from conftest import BINARY, unique
from runtimes import containers  # noqa: F401  (fixture)

LOOP = ["sh", "-c", "while :; do /bin/true gbt-columns-tick; sleep 0.2; done"]


def read_lines(proc, want, timeout=40):
    """Lines from a running applet's stdout until want(lines) holds."""
    lines, buf = [], b""
    deadline = time.time() + timeout
    while time.time() < deadline and not want(lines):
        r, _, _ = select.select([proc.stdout], [], [], 0.5)
        if r:
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            buf += chunk
            *done, buf = buf.split(b"\n")
            lines += [line.decode() for line in done]
    assert want(lines), lines
    return lines


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("runtime", ["docker", "ctr", "cri"])
def test_the_container_column_fits_the_names_known_at_start(containers, runtime):  # noqa: F811
    """A pod's namespace/pod/container label and a ctr container's 30-character name used to overflow the
    14-character CONTAINER column (ctr's was cut to 12): now the header is as wide as the longest name
    known at start, and every row lines up under it."""
    name = unique("gbt-columns-a-long-name")  # 34 characters
    kw = {"pod_name": name} if runtime == "cri" else {}
    containers.start(runtime, "c" if runtime == "cri" else name, LOOP, **kw)
    label = f"default/{name}/c" if runtime == "cri" else name
    flt = ["--k8s-podname", name] if runtime == "cri" else ["-c", name]
    proc = subprocess.Popen([BINARY, "execsnoop-k8s", *flt], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        lines = read_lines(proc, lambda ls: sum("gbt-columns-tick" in line for line in ls) >= 2)
    finally:
        stop(proc)
    header, rows = lines[0], [line for line in lines[1:] if "gbt-columns-tick" in line]
    assert header.startswith("CONTAINER" + " " * (len(label) - len("CONTAINER") + 1) + "PCOMM"), header
    for row in rows:
        assert row.startswith(label + " "), (label, row)  # whole, never cut
        assert row.index("true", len(label)) == header.index("PCOMM"), (header, row)


def winsize(fd, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))


def test_on_a_terminal_the_last_column_is_cut_at_its_edge_and_not_on_a_pipe(containers):  # noqa: F811
    """On a 100-column terminal every row fits it (ARGS cut, as ps does); through a pipe ARGS is whole."""
    name = unique("gbt-columns-tty")
    long_arg = "x" * 150
    containers.start("docker", name, ["sh", "-c", f"while :; do /bin/true {long_arg} gbt-tty-end; sleep 0.2; done"])
    master, slave = pty.openpty()
    winsize(slave, 100)
    env = dict(os.environ)
    env.pop("COLUMNS", None)
    proc = subprocess.Popen([BINARY, "execsnoop-k8s", "-c", name], stdin=subprocess.DEVNULL, stdout=slave,
                            stderr=subprocess.PIPE, env=env)
    os.close(slave)
    text = b""
    try:
        deadline = time.time() + 40
        while time.time() < deadline and text.count(b"/bin/true") < 2:
            r, _, _ = select.select([master], [], [], 0.5)
            if r:
                try:
                    text += os.read(master, 65536)
                except OSError:
                    break
    finally:
        stop(proc)
        os.close(master)
    rows = [line for line in text.decode().replace("\r", "").split("\n") if "/bin/true" in line]
    assert rows, text
    for row in rows:
        assert len(row) == 100 and "gbt-tty-end" not in row, row

    piped = subprocess.Popen([BINARY, "execsnoop-k8s", "-c", name], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=dict(env, COLUMNS="100"))
    try:
        lines = read_lines(piped, lambda ls: any("gbt-tty-end" in line for line in ls))
    finally:
        stop(piped)
    assert any(line.endswith(f"/bin/true {long_arg} gbt-tty-end") for line in lines), lines


def test_containers_watch_rows_line_up_with_the_list(containers):  # noqa: F811
    """`containers --watch`: the list is sized to its content, and the ADDED rows that follow use its widths
    (they used to fall back to the fields' fixed widths and break the alignment)."""
    first, second = unique("gbt-columns-watch-with-a-long-name"), unique("gbt-columns-w2")
    containers.start("docker", first, ["sleep", "300"])
    proc = subprocess.Popen([BINARY, "containers", "--watch", "-c", f"{first},{second}"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        lines = read_lines(proc, lambda ls: any(first in line for line in ls))
        containers.start("docker", second, ["sleep", "300"])
        lines += read_lines(proc, lambda ls: any(second in line for line in ls))
    finally:
        stop(proc)
    header = lines[0]
    added = next(line for line in lines if second in line)
    listed = next(line for line in lines if first in line)
    col = header.index("IMAGE")
    assert listed[col - 1] == " " and listed[col] != " ", (header, listed)
    assert added[col - 1] == " " and added[col] != " ", (header, added)
