"""Every flag in every applet's --help does what it says (issue "Fit and finish"): this walks them all.

1. Each flag is accepted by its applet with a sample argument of the kind its --help names (a flag that
   --help lists but the parser refuses is caught here).
2. Each flag is exercised by a test against the real binary: some integration test function passes it to that
   applet (the applet's own flags), or to any applet (the shared ones). A flag added without a test, or a test
   that no longer passes a flag --help still lists, fails here and names it.
The flags that used to be accepted and do nothing (--ia32 on the snapshots, pssnap -t, containers --host) are
gone from --help; test_fit_and_finish.py checks that they are refused.
"""
import ast
import glob
import os
import re
import subprocess

import pytest

from conftest import BINARY

HERE = os.path.dirname(os.path.abspath(__file__))
OPTION = re.compile(r"^  (?:-(\S), )?\s*--([a-z0-9][a-z0-9-]*)(?:(\[=)?[ =]?(\S+))?\s")

# a sample value per argument name in --help ("--port PORT")
SAMPLES = {"PID": "1", "UID": "0", "SECONDS": "1", "N": "3", "NAMES": "gbt-no-such", "PATH": "/", "LIST": "pid",
           "EXPR": "pid==1", "FIELDS": "pid", "DIR": "/tmp", "FILE": "/dev/null", "STATES": "established",
           "PORT": "53", "PORTS": "53", "TYPES": "A", "RCODES": "NXDOMAIN", "MS": "1", "SUFFIX": "example.com",
           "TEXT": "x", "NAME": "x", "PREFIXES": "/etc", "GADGETS": "exec", "ADDR": "127.0.0.1:0", "SYSCALLS": "read",
           "ACTIONS": "errno", "SIGNALS": "KILL", "EVENTS": "connect", "SIZE": "256K"}
FORMATS = {"seccomp-advise": "oci"}
# options every applet with that group shares: a test of any applet covers them
SHARED = {"output", "fields", "filter", "sort", "max-entries", "containername", "k8s-namespace", "k8s-podname",
          "k8s-containername", "runtimes", "host", "host-root", "timeout", "btf", "verbose", "help", "ia32",
          "buffer-size", "metrics", "metrics-retention"}
# the test files that are about one applet, besides those named after it
APPLET_FILES = {"execsnoop-k8s": ["test_execsnoop.py", "test_startup.py"],
                "opensnoop-k8s": ["test_opensnoop.py", "test_full_path_containers.py"],
                "seccomp-advise": ["test_seccomp.py"]}


def applets():
    out = subprocess.run([BINARY, "--list"], capture_output=True, text=True, check=True).stdout
    return [line.split()[0] for line in out.split("Applets:\n", 1)[1].split("\n") if line.startswith("  ")]


def options(applet):
    """(short letter or None, long name, argument name or None, optional) per line of --help."""
    text = subprocess.run([BINARY, applet, "--help"], capture_output=True, text=True, check=True).stdout
    opts = []
    for line in text.split("\n"):
        m = OPTION.match(line)
        if m:
            arg = m.group(4)
            if arg and not arg.isupper():  # the help text, not an argument name
                arg = None
            opts.append((m.group(1), m.group(2), arg, bool(m.group(3))))
    return opts


ALL = [(a, *o) for a in applets() for o in options(a)]


@pytest.mark.parametrize("applet,short,name,arg,optional", ALL, ids=[f"{a}--{n}" for a, _, n, _, _ in ALL])
def test_every_flag_in_help_is_accepted(applet, short, name, arg, optional):
    if name == "help":
        return
    arg_value = (FORMATS.get(applet, "json") if name == "output" else "docker" if name == "runtimes"
                 else SAMPLES.get((arg or "").strip("[]"), "1"))
    flag = [f"--{name}={arg_value}"] if optional else [f"--{name}"] + ([arg_value] if arg else [])
    r = subprocess.run([BINARY, applet, *flag, "--help"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and r.stdout.startswith(f"Usage: {applet} "), (flag, r.stderr)
    if short:
        r = subprocess.run([BINARY, applet, f"-{short}", *([arg_value] if arg and not optional else []), "--help"],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, (short, r.stderr)


def collect_test_functions():
    """(file name, function name, the string constants it passes, the applets it names) per test function."""
    found = []
    for path in sorted(glob.glob(os.path.join(HERE, "test_*.py"))):
        if os.path.basename(path) == os.path.basename(__file__):
            continue
        tree = ast.parse(open(path).read())
        module_strings = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                strings = {n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
                # flags given through parametrize decorators and module-level helpers count for the file's tests
                found.append((os.path.basename(path), node.name, strings | module_strings))
    return found


FUNCS = collect_test_functions()


def passes(strings, short, name):
    """Whether the strings hold --name (or --name=...), -S, or -S among other letters (-tuna)."""
    for s in strings:
        for word in re.split(r"[\s,]+", s):
            if word.split("=")[0] == f"--{name}":
                return True
            if short and re.fullmatch(r"-[A-Za-z0-9]+", word) and short in word[1:]:
                return True
    return False


def about(applet, file):
    stem = applet.replace("-k8s", "").replace("-", "_")
    return file == f"test_{stem}.py" or file in APPLET_FILES.get(applet, [])


@pytest.mark.parametrize("applet,short,name,arg,optional", ALL, ids=[f"{a}--{n}" for a, _, n, _, _ in ALL])
def test_every_flag_in_help_is_exercised_by_a_test(applet, short, name, arg, optional):
    if name == "help":
        where = [f for f, fn, s in FUNCS if "--help" in s]
    elif name in SHARED:
        where = [f"{f}::{fn}" for f, fn, s in FUNCS if passes(s, short, name)]
    else:
        where = [f"{f}::{fn}" for f, fn, s in FUNCS
                 if passes(s, short, name) and (about(applet, f) or applet in s)]
    assert where, f"{applet} --{name}: no integration test passes it"
