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


def test_a_link_named_like_a_bcc_tool_without_an_applet_says_so(linkdir):
    r = run(link(linkdir, "bindsnoop"), "--timeout", "1")
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "'bindsnoop' has no applet" in r.stderr, r.stderr
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
