"""Tracer filters against the real kernel and runtimes: --ppid and --tree (execsnoop-k8s, opensnoop-k8s), shell
patterns in the container filters, and the hint for a container filter that matches no container."""
import json
import os
import subprocess

import pytest

from conftest import Tracer, gadgetbox_cmd, unique, wait_for
from runtimes import containers  # noqa: F401 (fixture)

LOOP = 'while read -r line; do eval "$line"; done'


class ControlShell:
    """A shell that runs each line written to it; PREFIX runs it elsewhere (["docker", "exec", "-i", NAME])."""

    def __init__(self, prefix=()):
        self.marker = unique("gbt-tr-shell")
        self.proc = subprocess.Popen(list(prefix) + ["sh", "-c", LOOP, self.marker], stdin=subprocess.PIPE,
                                     text=True)
        self.pid = self.proc.pid if not prefix else wait_for(self._find, what="the shell's host pid")

    def _find(self):
        """The host pid of the shell (in a container: not the client that started it)."""
        for d in os.listdir("/proc"):
            try:
                with open(f"/proc/{d}/cmdline", "rb") as f:
                    args = f.read().split(b"\0")
            except (OSError, ValueError):
                continue
            if d.isdigit() and args[0] == b"sh" and self.marker.encode() in args:
                return int(d)
        return None

    def run(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def close(self):
        try:
            self.proc.stdin.close()
            self.proc.wait(20)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def execs_of(t, arg):
    return [e for e in t.events() if arg in e.get("args", [])]


def opens_of(t, path):
    return [e for e in t.events() if e.get("path") == path]


def test_exec_tree_reports_a_grandchilds_exec_and_not_an_unrelated_one(workdir):
    mine, other = os.path.join(workdir, unique()), os.path.join(workdir, unique())
    with ControlShell() as sh:
        with Tracer("execsnoop-k8s", "--tree", str(sh.pid), probe=lambda m: sh.run(f"/bin/true {m}")) as t:
            subprocess.run(["cat", other], capture_output=True)
            # the trailing ':' keeps each shell from exec'ing its last command in place: a real grandchild
            sh.run(f"sh -c 'sh -c \"cat {mine}; :\"; :' 2>/dev/null")
            wait_for(lambda: execs_of(t, mine), timeout=20, what="the grandchild's exec")
            t.stop()
    [cat] = execs_of(t, mine)
    assert cat["args"] == ["cat", mine]
    assert cat["ppid"] != sh.pid, "not a grandchild"
    middle = [e for e in t.events() if e["pid"] == cat["ppid"]]
    assert middle and middle[0]["ppid"] != sh.pid and middle[0]["comm"] == "sh"
    assert not execs_of(t, other), "an exec outside the tree was reported"


def test_exec_ppid_reports_the_child_and_not_the_grandchild(workdir):
    mine = os.path.join(workdir, unique())
    with ControlShell() as sh:
        with Tracer("execsnoop-k8s", "--ppid", str(sh.pid), probe=lambda m: sh.run(f"/bin/true {m}")) as t:
            sh.run(f"sh -c 'cat {mine}; :' 2>/dev/null")
            wait_for(lambda: [e for e in t.events() if f"cat {mine}; :" in e["args"]], timeout=20,
                     what="the child's exec")
            sh.run(f"/bin/true {mine}-after")  # in order after the grandchild, from the same shell
            wait_for(lambda: execs_of(t, f"{mine}-after"), timeout=20, what="a later child's exec")
            t.stop()
    [child] = [e for e in t.events() if f"cat {mine}; :" in e["args"]]
    assert child["ppid"] == sh.pid
    assert not execs_of(t, mine), "the grandchild's exec was reported"
    assert all(e["ppid"] == sh.pid for e in t.events())


def new_files(workdir, n):
    paths = [os.path.join(workdir, unique()) for _ in range(n)]
    for p in paths:
        open(p, "w").close()
    return paths


def open_tracer(sh, workdir, *args):
    """opensnoop-k8s with ARGS, ready once an open made by the shell's child shows."""
    return Tracer("opensnoop-k8s", *args, probe=lambda m: sh.run(f"cat {workdir}/{m} 2>/dev/null"))


def test_open_tree_reports_a_grandchilds_open_and_not_an_unrelated_one(workdir):
    mine, other = new_files(workdir, 2)
    with ControlShell() as sh:
        with open_tracer(sh, workdir, "--tree", str(sh.pid)) as t:
            subprocess.run(["cat", other])
            sh.run(f"sh -c 'sh -c \"cat {mine}; :\"; :'")
            wait_for(lambda: opens_of(t, mine), timeout=20, what="the grandchild's open")
            t.stop()
    [o] = opens_of(t, mine)
    assert o["comm"] == "cat" and o["ppid"] != sh.pid and o["fd"] >= 0
    assert not opens_of(t, other), "an open outside the tree was reported"


def test_open_ppid_reports_the_childs_open_and_not_the_grandchilds(workdir):
    first, second = new_files(workdir, 2)
    with ControlShell() as sh:
        with open_tracer(sh, workdir, "--ppid", str(sh.pid)) as t:
            # the child shell opens FIRST itself (a redirection), its child cat opens SECOND
            sh.run(f"sh -c 'read x < {first}; cat {second}; :'")
            wait_for(lambda: opens_of(t, first), timeout=20, what="the child's open")
            sh.run(f"cat {second}-after 2>/dev/null")
            wait_for(lambda: opens_of(t, f"{second}-after"), timeout=20, what="a later child's open")
            t.stop()
    assert opens_of(t, first)[0]["ppid"] == sh.pid
    assert not opens_of(t, second), "the grandchild's open was reported"


def test_exec_tree_of_a_docker_exec_shell_follows_it_inside_the_container(containers):
    name = unique("gbt-tr-tree")
    containers.start("docker", name, ["sleep", "1000"])
    with ControlShell(["docker", "exec", "-i", name]) as sh:
        with Tracer("execsnoop-k8s", "--tree", str(sh.pid), "-c", name, host=False,
                    probe=lambda m: sh.run(f"/bin/true {m}")) as t:
            subprocess.run(["docker", "exec", name, "cat", "/etc/passwd"], capture_output=True)
            sh.run("sh -c 'sh -c \"cat /etc/hostname; :\"; :' >/dev/null")
            wait_for(lambda: execs_of(t, "/etc/hostname"), timeout=20, what="the grandchild's exec")
            t.stop()
    [cat] = execs_of(t, "/etc/hostname")
    assert cat["runtime"]["containerName"] == name
    assert cat["ppid"] != sh.pid
    assert not execs_of(t, "/etc/passwd"), "a docker exec outside the tree was reported"


def test_tree_of_a_missing_process_is_an_error():
    r = subprocess.run(gadgetbox_cmd("execsnoop-k8s", "--tree", "4000000", "--timeout", "5"), capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 1
    assert "no process 4000000 to follow (--tree)" in r.stderr


def test_container_name_patterns_select_in_the_kernel_and_in_snapshots(containers):
    prefix = unique("gbt-tr-glob")
    web, db = prefix + "-web", prefix + "-db"
    for n in (web, db):
        containers.start("docker", n, ["sleep", "1000"])
    with Tracer("execsnoop-k8s", "-c", prefix + "-w*", host=False,
                probe=lambda m: subprocess.run(["docker", "exec", web, "/bin/true", m])) as t:
        subprocess.run(["docker", "exec", db, "cat", "/etc/passwd"], capture_output=True)
        subprocess.run(["docker", "exec", web, "cat", "/etc/hostname"], capture_output=True)
        wait_for(lambda: execs_of(t, "/etc/hostname"), timeout=20, what="web's exec")
        t.stop()
    assert {e["runtime"]["containerName"] for e in t.events()} == {web}
    assert not execs_of(t, "/etc/passwd"), "db's exec passed a pattern that names web only"

    def names(*filters):
        r = subprocess.run(gadgetbox_cmd("containers", *filters, "-o", "json"), capture_output=True, text=True,
                           timeout=60)
        assert r.returncode == 0, r.stderr
        return {json.loads(l)["runtime"]["containerName"] for l in r.stdout.splitlines()}

    # --filter's == and != stay exact: a value with a pattern character is not pushed into the kernel's filter
    with Tracer("execsnoop-k8s", "--filter", f"runtime.containerName!={prefix}-*", host=False,
                probe=lambda m: subprocess.run(["docker", "exec", web, "/bin/true", m])) as t:
        t.stop()
    assert any(e["runtime"]["containerName"] == web for e in t.events())

    assert names("-c", prefix + "-*") == {web, db}
    assert names("-c", prefix + "-*,!*-db") == {web}
    assert names("-c", prefix + "-[d]?") == {db}


@pytest.fixture
def gbt_tr_web(containers):
    subprocess.run(["docker", "rm", "-f", "gbt-tr-web"], capture_output=True)
    containers.start("docker", "gbt-tr-web", ["sleep", "1000"])
    return "gbt-tr-web"


def hint_lines(stderr):
    return [l for l in stderr.splitlines() if "no container named" in l]


def test_a_mistyped_container_name_is_named_once_with_the_closest_one(gbt_tr_web):
    r = subprocess.run(gadgetbox_cmd("execsnoop-k8s", "-c", "gbt-tr-wbe", "--timeout", "3"), capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    [line] = hint_lines(r.stderr)
    assert line.startswith("execsnoop-k8s: no container named 'gbt-tr-wbe' yet; waiting for one; did you mean ")
    assert "'gbt-tr-web'" in line

    r = subprocess.run(gadgetbox_cmd("execsnoop-k8s", "-c", "gbt-tr-web", "--timeout", "3"), capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0 and not hint_lines(r.stderr), r.stderr


def test_a_snapshot_with_a_mistyped_name_says_so_and_prints_nothing(gbt_tr_web):
    r = subprocess.run(gadgetbox_cmd("pssnap", "-c", "gbt-tr-wbe", "-o", "json"), capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0 and r.stdout == ""
    [line] = hint_lines(r.stderr)
    assert line.startswith("pssnap: no container named 'gbt-tr-wbe'; did you mean ") and "'gbt-tr-web'" in line
    assert "waiting" not in line

    r = subprocess.run(gadgetbox_cmd("pssnap", "-c", "gbt-tr-web", "-o", "json"), capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0 and r.stdout and not hint_lines(r.stderr), r.stderr
