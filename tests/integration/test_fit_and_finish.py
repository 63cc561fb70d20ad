"""Rough edges a new user hit in the first hour (issue "Fit and finish"), each against the real binary:
a closed pipe ends an applet that has nothing to print, links named like BCC's tools, usage errors that exit 2
with one line, and flags that used to be accepted and do nothing."""
import os
import subprocess
import tempfile
import time

import pytest

from conftest import BINARY


def run(*args, **kw):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=60, **kw)


@pytest.mark.parametrize("cmd", [["dnssnoop"], ["containers", "--watch"],
                                 ["execsnoop-k8s", "-c", "gbt-no-such-container"]])
def test_a_closed_pipe_ends_an_applet_that_prints_nothing_more(cmd):
    """`APPLET | head -1`: head exits after the header; the applet must notice its reader left even though no
    event comes to be written (it used to stay attached until the next event, for minutes)."""
    start = time.monotonic()
    p = subprocess.Popen([BINARY, *cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        header = p.stdout.readline()
        assert header.split(), header
        p.stdout.close()  # the reader goes away, as head does
        rc = p.wait(timeout=20)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert rc == 0, p.stderr.read()
    assert time.monotonic() - start < 20


@pytest.fixture
def linkdir():
    d = tempfile.mkdtemp(prefix="gb-links-")
    yield d
    subprocess.run(["rm", "-rf", d])


def link(d, name):
    path = os.path.join(d, name)
    os.symlink(BINARY, path)
    return path


def test_a_link_named_like_bccs_tool_runs_the_matching_applet(linkdir):
    r = run(link(linkdir, "execsnoop"), "--help")
    assert r.returncode == 0 and r.stdout.startswith("Usage: execsnoop-k8s "), r.stdout[:100]
    r = run(link(linkdir, "opensnoop"), "--bogus")
    assert r.returncode == 2 and r.stderr.startswith("opensnoop-k8s: ")
    for bcc in ("bindsnoop", "tcptracer", "exitsnoop", "sigsnoop"):
        r = run(link(linkdir, bcc), "--help")
        assert r.returncode == 0 and r.stdout.startswith(f"Usage: {bcc}-k8s "), r.stdout[:100]


def test_a_link_named_like_a_bcc_tool_without_an_applet_says_which_to_use(linkdir):
    r = run(link(linkdir, "tcpconnect"), "--timeout", "1")
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1, r.stderr
    assert "'tcpconnect' has no applet of that name: use tcptracer-k8s --type connect" in r.stderr, r.stderr
    assert "unknown applet '--timeout'" not in r.stderr


def test_a_link_with_an_unknown_name_prints_the_usage_and_exits_2(linkdir):
    r = run(link(linkdir, "foo"))
    assert r.returncode == 2 and r.stdout == ""
    assert "'foo' is not an applet's name" in r.stderr and "execsnoop-k8s" in r.stderr


def test_install_into_a_missing_directory_says_so_once():
    r = run(BINARY, "--install", "-s", "/gbt-missing/dir")
    assert r.returncode == 1
    assert r.stderr == "gadgetbox: --install: /gbt-missing/dir: No such file or directory\n"


def test_an_unknown_runtime_name_is_a_usage_error():
    for applet in ("containers", "execsnoop-k8s", "pssnap"):
        r = run(BINARY, applet, "-r", "docker,nosuchruntime")
        assert r.returncode == 2 and r.stdout == ""
        assert r.stderr.count("\n") == 1 and "unknown runtime 'nosuchruntime' (known: docker, containerd, cri-o, " \
            "podman, runc, crun)" in r.stderr, r.stderr
    assert run(BINARY, "containers", "-r", "!docker,podman").returncode == 0


@pytest.mark.parametrize("applet,args,field", [
    ("execsnoop-k8s", ["-o", "json", "--fields", "container,args"], "'container' is a column only"),
    ("dnssnoop", ["--fields", "pktType,name"], "'pktType' is in JSON only"),
    ("socksnap", ["--fields", "src.port"], "'src.port' is in JSON only"),
])
def test_a_field_the_format_does_not_have_is_a_usage_error(applet, args, field):
    r = run(BINARY, applet, *args)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and field in r.stderr and "its fields: " in r.stderr, r.stderr


def test_usage_errors_found_when_running_exit_2_not_255():
    r = run(BINARY, "socksnap", "--diff", "--count", "2")
    assert r.returncode == 2 and "--diff and --count need --interval" in r.stderr
    r = run(BINARY, "seccomp-advise", "--output-dir", "/proc/gbt-no/such-dir", "--timeout", "1")
    assert r.returncode == 2 and "--output-dir: cannot create" in r.stderr, (r.returncode, r.stderr)


def test_seccomp_advise_output_does_not_start_with_an_empty_line():
    for fmt in ("columns", "oci", "crd"):
        r = run(BINARY, "seccomp-advise", "-o", fmt, "--timeout", "1", "-c", "gbt-no-such-container")
        assert r.returncode == 0, r.stderr
        assert not r.stdout.startswith("\n"), (fmt, r.stdout[:40])


@pytest.mark.parametrize("applet,flag", [
    ("pssnap", ["--ia32"]), ("socksnap", ["--ia32"]), ("dnssnoop", ["--ia32"]), ("containers", ["--ia32"]),
    ("seccomp-advise", ["--ia32"]),  # it records 32-bit syscalls always
    ("containers", ["--host"]), ("seccomp-advise", ["--host"]),  # they know containers only
])
def test_flags_that_did_nothing_are_gone(applet, flag):
    """Accepted and ignored used to be the answer; now the option is unknown there, and --help does not list it."""
    r = run(BINARY, applet, *flag)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and "unknown option " + flag[0] in r.stderr, r.stderr
    long_name = {"-t": "--timeout"}.get(flag[0], flag[0])
    assert f" {long_name} " not in run(BINARY, applet, "--help").stdout.replace("\n", " \n")


def test_pssnap_timeout_only_ends_a_watch():
    """`pssnap -t 5` was accepted and did nothing: a single snapshot does not wait. It ends a --watch."""
    r = run(BINARY, "pssnap", "-t", "5")
    assert r.returncode == 2 and "--timeout needs --watch" in r.stderr, r.stderr
    r = run(BINARY, "pssnap", "--watch", "0.2", "-t", "1", "--host", "-o", "json")
    assert r.returncode == 0 and r.stdout, r.stderr


@pytest.mark.parametrize("applet", ["execsnoop-k8s", "opensnoop-k8s"])
def test_ia32_stays_where_it_works(applet):
    r = run(BINARY, applet, "--ia32", "--timeout", "1", "-c", "gbt-no-such-container")
    assert r.returncode == 0, r.stderr


def test_a_long_option_is_never_abbreviated():
    """getopt_long would take `containers --host` for --host-root and ask for its argument, and `--tim 1` for
    --timeout: an option is its whole name or an error naming what was typed."""
    r = run(BINARY, "containers", "--host")
    assert r.returncode == 2 and r.stderr.startswith("containers: unknown option --host "), r.stderr
    r = run(BINARY, "dnssnoop", "--time", "1")
    assert r.returncode == 2 and "unknown option --time " in r.stderr, r.stderr
    assert run(BINARY, "dnssnoop", "--timeout=1", "-c", "gbt-no-such-container").returncode == 0
