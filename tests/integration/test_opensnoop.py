"""opensnoop-k8s against the real kernel: fidelity against strace, decoding, --full-path, filters, volume, output
and clean exits.

The C workload (workloads/opens.c) is compiled into a temporary directory when the module starts.
"""
import collections
import errno
import json
import os
import re
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time

import pytest

from conftest import Tracer, assert_accounted, gadgetbox_cmd, unique, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
WORKLOAD_SRC = os.path.join(HERE, "workloads", "opens.c")
OUR_PROGS = {"tp_enter_at", "tp_enter_open", "tp_enter_creat", "tp_exit"}


# --- helpers -----------------------------------------------------------------------------------------------

def try_open(path, flags=os.O_RDONLY):
    """Open and close @path from this process; a failure is fine (a failed open is traced too)."""
    try:
        os.close(os.open(path, flags))
    except OSError:
        pass


def probe_open(marker):
    """A readiness probe for opensnoop: a (failing) open of a path that carries the marker."""
    try_open(f"/nonexistent-gb-probe/{marker}")


def as_nobody(*argv, **kw):
    return subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *argv],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)


def pbytes(e, key="path"):
    """The exact bytes of a path in a JSON event."""
    return e[key].encode("utf-8", "surrogateescape")


def with_path(events, path):
    path = path.encode() if isinstance(path, str) else path
    return [e for e in events if "path" in e and pbytes(e) == path]


def need(tool):
    if not shutil.which(tool):
        pytest.fail(f"{tool} is not installed (apt-get install {tool})")


def fresh_dir(parent, name=None):
    d = os.path.join(parent, name or unique("d"))
    os.mkdir(d)
    os.chmod(d, 0o755)
    return d


def unmount_all(paths):
    """Unmount in reverse order; lazily if busy. Fails the test if anything stays mounted."""
    left = []
    for m in reversed(paths):
        if subprocess.run(["umount", m]).returncode and subprocess.run(["umount", "-l", m]).returncode:
            left.append(m)
    assert not left, f"could not unmount {left}"


def split_flags(s):
    return set(s.split("|")) if s else set()


@pytest.fixture(scope="module")
def opens_bin():
    need("gcc")
    d = tempfile.mkdtemp(prefix="gb-opens-bin-")
    os.chmod(d, 0o755)
    exe = os.path.join(d, "opens")
    try:
        r = subprocess.run(["gcc", "-O2", "-Wall", "-Wextra", "-o", exe, WORKLOAD_SRC], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        yield exe
    finally:
        shutil.rmtree(d, ignore_errors=True)


# --- strace output (-f -xx -s 8192) --------------------------------------------------------------------------

STRACE_CALL = re.compile(r"^(\d+) +(open|openat|openat2|creat)\((.*)\) += (-?\d+)(?: (E[A-Z0-9]+) \(.*\))?$")
STRACE_UNFINISHED = re.compile(r"^(\d+) +(.*) <unfinished \.\.\.>$")
STRACE_RESUMED = re.compile(r"^(\d+) +<\.\.\. (\w+) resumed>(.*)$")
STRACE_STR = r'"((?:\\x[0-9a-f]{2})*)"'
AT_FDCWD = -100


def unhex(s):
    return bytes(int(h, 16) for h in re.findall(r"\\x([0-9a-f]{2})", s))


def parse_strace(path):
    """Every open/openat/openat2/creat strace saw, in order: dicts with tid, syscall, path (bytes), ret,
    flags (set of names), mode (int or None), dirfd (int or None), resolve (set of names or None)."""
    with open(path, encoding="ascii") as f:
        lines = f.read().splitlines()
    pending, calls = {}, []
    for line in lines:
        m = STRACE_UNFINISHED.match(line)
        if m:
            pending[m.group(1)] = f"{m.group(1)} {m.group(2)}"
            continue
        m = STRACE_RESUMED.match(line)
        if m:
            line = pending.pop(m.group(1)) + m.group(3)
        m = STRACE_CALL.match(line)
        if not m:
            assert not re.match(r"^\d+ +(open|openat|openat2|creat)\(", line), f"unparsed strace line: {line}"
            continue
        tid, sysc, args, ret, err = m.groups()
        rec = {"tid": int(tid), "syscall": sysc, "mode": None, "dirfd": None, "resolve": None}
        if err:
            assert ret == "-1", line
            rec["ret"] = -getattr(errno, err)
        else:
            rec["ret"] = int(ret)
        if sysc in ("openat", "openat2"):
            dm = re.match(r"(AT_FDCWD|-?\d+), (.*)$", args)
            rec["dirfd"] = AT_FDCWD if dm.group(1) == "AT_FDCWD" else int(dm.group(1))
            args = dm.group(2)
        pm = re.match(STRACE_STR + r", (.*)$", args)
        assert pm, f"no complete path in: {line}"
        rec["path"] = unhex(pm.group(1))
        rest = pm.group(2)
        if sysc == "creat":
            rec["flags"] = {"O_WRONLY", "O_CREAT", "O_TRUNC"}
            rec["mode"] = int(rest, 8)
        elif sysc == "openat2":
            hm = re.match(r"\{flags=([^,}]+)(?:, mode=([0-7]+))?(?:, resolve=([^,}]+))?\}, \d+$", rest)
            assert hm, line
            rec["flags"] = split_flags(hm.group(1))
            rec["mode"] = int(hm.group(2), 8) if hm.group(2) else None
            rec["resolve"] = split_flags(hm.group(3)) if hm.group(3) else set()
        else:
            fm = re.match(r"([^,]+)(?:, ([0-7]+))?$", rest)
            assert fm, line
            rec["flags"] = split_flags(fm.group(1))
            rec["mode"] = int(fm.group(2), 8) if fm.group(2) else None
        calls.append(rec)
    assert not pending, f"unfinished calls never resumed: {pending}"
    return calls


# --- 1 + 2: fidelity against strace, and decoding ------------------------------------------------------------

class FidelityRun:
    pass


@pytest.fixture(scope="module")
def fidelity(opens_bin):
    """One run of `opens fidelity DIR` under strace while opensnoop-k8s watches the whole host."""
    need("strace")
    work = tempfile.mkdtemp(prefix="gb-fidelity-")
    os.chmod(work, 0o755)
    try:
        target = fresh_dir(work, "w")
        trace_file = os.path.join(work, "strace.txt")
        r = FidelityRun()
        r.dir = target
        with Tracer("opensnoop-k8s", probe=probe_open) as t:
            st = subprocess.Popen(["strace", "-f", "-qq", "-xx", "-s", "8192", "-e", "trace=open,openat,openat2,creat",
                                   "-o", trace_file, opens_bin, "fidelity", target],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            out, err = st.communicate(timeout=120)
            assert st.returncode == 0, err
            r.strace_pid = st.pid
            r.calls = parse_strace(trace_file)
            r.tids = {c["tid"] for c in r.calls}
            want = collections.Counter(c["tid"] for c in r.calls)

            def complete():
                have = collections.Counter(e["tid"] for e in t.events() if e.get("tid") in r.tids)
                return all(have[tid] >= n for tid, n in want.items())

            wait_for(complete, timeout=20, what="every open strace saw")
            t.stop()
        r.events = [e for e in t.events() if e.get("tid") in r.tids]
        r.stderr = t.stderr()
        # the tracer watched the whole host: if its buffer overflowed, the comparison below would mean nothing
        assert "lost" not in r.stderr, r.stderr
        r.info = {k: int(v) for k, v in (line.split() for line in out.decode().splitlines())}
        r.pid = r.calls[0]["tid"]
        yield r
    finally:
        shutil.rmtree(work, ignore_errors=True)


def by_tid(items):
    out = collections.defaultdict(list)
    for x in items:
        out[x["tid"]].append(x)
    return out


def test_every_open_matches_strace_pid_path_and_result(fidelity):
    r = fidelity
    # the workload and its EACCES child, each with its own opens
    assert r.tids == {r.pid, r.info["CHILD"]}
    st = {tid: [(c["syscall"], c["path"], c["ret"]) for c in calls] for tid, calls in by_tid(r.calls).items()}
    ev = {tid: [(e["syscall"], pbytes(e), e["ret"]) for e in evs] for tid, evs in by_tid(r.events).items()}
    assert ev == st  # the same opens, in the same order, each exactly once
    assert len(r.calls) >= 20  # the workload makes 20 opens itself, ld.so some more
    # the triples the brief names, as sets too (nothing extra, nothing missing)
    assert {(e["pid"], pbytes(e), e["ret"]) for e in r.events} == {(c["tid"], c["path"], c["ret"]) for c in r.calls}


def test_flags_mode_dirfd_and_resolve_match_strace(fidelity):
    r = fidelity
    for tid, calls in by_tid(r.calls).items():
        evs = [e for e in r.events if e["tid"] == tid]
        assert len(evs) == len(calls)
        for c, e in zip(calls, evs):
            what = f"{c['syscall']}({c['path'][:60]!r}) = {c['ret']}"
            assert split_flags(e["flags"]) == c["flags"], what
            if c["mode"] is not None:
                assert e["modeRaw"] == c["mode"] and e["mode"] == "%04o" % c["mode"], what
            else:
                assert "mode" not in e and "modeRaw" not in e, what
            if c["dirfd"] is not None:
                assert e["dirfd"] == c["dirfd"], what
            else:
                assert "dirfd" not in e, what
            if c["resolve"] is not None:
                assert split_flags(e["resolve"]) == (c["resolve"] or {"0"}), what
            else:
                assert "resolve" not in e, what
            if c["ret"] >= 0:
                assert e["fd"] == c["ret"] and "error" not in e, what
            else:
                assert "fd" not in e and e["error"] == errno.errorcode[-c["ret"]], what
            assert e["pathTruncated"] is False, what


def the(events, **kw):
    """The one event whose keys have these values (path as bytes or str)."""
    def ok(e):
        for k, v in kw.items():
            if k == "path":
                if pbytes(e) != (v.encode() if isinstance(v, str) else v):
                    return False
            elif e.get(k) != v:
                return False
        return True
    found = [e for e in events if ok(e)]
    assert len(found) == 1, f"{len(found)} events match {kw}"
    return found[0]


def test_decoded_flags_mode_syscall_dirfd_of_specific_opens(fidelity):
    r, evs = fidelity, fidelity.events
    main = [e for e in evs if e["pid"] == r.pid]
    for e in main:
        assert e["comm"] == "opens" and e["tid"] == e["pid"] and e["ppid"] == r.strace_pid
        assert e["uid"] == 0 and e["gid"] == 0
        assert e["mountnsid"] == os.stat("/proc/self/ns/mnt").st_ino
        assert e["runtime"]["containerId"] == "" and e["k8s"]["podName"] == ""
        assert abs(e["timestamp"] / 1e9 - time.time()) < 120

    e = the(main, path="created.txt", flagsRaw=os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC)
    assert e["flags"] == "O_WRONLY|O_CREAT|O_EXCL|O_CLOEXEC"
    assert e["flagsRaw"] == os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    assert (e["mode"], e["modeRaw"]) == ("0640", 0o640)
    assert e["dirfd"] == AT_FDCWD and e["fd"] == r.info["CREAT_FD"]

    e = the(main, path="in-sub.txt")
    assert e["dirfd"] == r.info["DIRFD"] and e["syscall"] == "openat"
    assert e["flags"] == "O_RDWR|O_CREAT|O_APPEND" and e["mode"] == "0600"
    e = the(main, path="missing-in-sub")
    assert e["dirfd"] == r.info["DIRFD"] and (e["ret"], e["error"]) == (-errno.ENOENT, "ENOENT")

    e = the(main, path=".", flagsRaw=os.O_TMPFILE | os.O_RDWR)
    assert e["flags"] == "O_RDWR|O_TMPFILE" and (e["mode"], e["modeRaw"]) == ("0600", 0o600)
    assert e["fd"] == r.info["TMPFILE_FD"]

    e = the(main, path="created.txt", syscall="openat2")
    assert e["resolve"] == "RESOLVE_BENEATH" and e["dirfd"] == r.info["TOPFD"] and e["fd"] == r.info["OPENAT2_FD"]
    assert e["flags"] == "O_RDONLY" and "mode" not in e
    e = the(main, path="../escape")
    assert (e["syscall"], e["ret"], e["error"], e["resolve"]) == ("openat2", -errno.EXDEV, "EXDEV", "RESOLVE_BENEATH")
    e = the(main, path="link", syscall="openat2")
    assert (e["ret"], e["error"]) == (-errno.ELOOP, "ELOOP")
    assert e["resolve"] == "RESOLVE_NO_SYMLINKS|RESOLVE_BENEATH"
    e = the(main, path="openat2-created")
    assert (e["syscall"], e["dirfd"], e["flags"]) == ("openat2", AT_FDCWD, "O_WRONLY|O_CREAT|O_EXCL")
    assert (e["mode"], e["modeRaw"], e["resolve"]) == ("0640", 0o640, "RESOLVE_NO_SYMLINKS")

    e = the(main, path="creat.txt")
    assert (e["syscall"], e["flags"], e["mode"]) == ("creat", "O_WRONLY|O_CREAT|O_TRUNC", "0644")
    assert e["flagsRaw"] == os.O_WRONLY | os.O_CREAT | os.O_TRUNC and e["fd"] == r.info["CREAT_SYSCALL_FD"]
    assert "dirfd" not in e and "resolve" not in e

    e = the(main, path="created.txt", syscall="open")
    assert e["fd"] == r.info["LEGACY_OPEN_FD"] and e["flags"] == "O_RDONLY" and "dirfd" not in e
    e = the(main, path="legacy-missing")
    assert (e["syscall"], e["ret"], e["error"]) == ("open", -errno.ENOENT, "ENOENT")

    e = the(main, path="link", syscall="openat")
    assert (e["flags"], e["ret"], e["error"]) == ("O_RDONLY|O_NOFOLLOW", -errno.ELOOP, "ELOOP")
    e = the(main, path="no-such-dir/no-such-file")
    assert (e["ret"], e["error"]) == (-errno.ENOENT, "ENOENT")
    e = the(main, path="secret", syscall="openat", flags="O_WRONLY|O_CREAT")
    assert (e["mode"], e["modeRaw"]) == ("0000", 0)

    [child] = [e for e in evs if e["pid"] == r.info["CHILD"]]
    assert pbytes(child) == b"secret" and (child["ret"], child["error"]) == (-errno.EACCES, "EACCES")
    assert (child["uid"], child["gid"], child["ppid"]) == (65534, 65534, r.pid)

    odd = b"nl\nname-\xc3\xa9-\xe2\x9c\x93-\xff-end"
    e = the(main, path=odd)
    assert e["path"] == "nl\nname-é-✓-\udcff-end" and e["ret"] >= 0
    [longp] = [e for e in main if len(pbytes(e)) == 4000]
    assert longp["pathTruncated"] is False and pbytes(longp).endswith(b"/" + b"z" * 200) and longp["ret"] >= 0
    assert os.path.isfile(os.path.join(r.dir, pbytes(longp).decode()))


def test_openat2_how_in_a_page_not_yet_present_is_decoded(opens_bin, workdir):
    """The path and struct open_how of an openat2 sit in pages of a file mapping the process never touched: the
    kernel faults them in when it copies them. The tracer must still report the flags and resolve flags passed
    (strace does), not zeros."""
    d = fresh_dir(workdir, unique("cold"))
    with Tracer("opensnoop-k8s", "-n", "opens", probe=lambda m: subprocess.run([opens_bin, "burst", m, "1"],
                                                                               stderr=subprocess.DEVNULL)) as t:
        p = subprocess.run([opens_bin, "openat2-cold", d], capture_output=True, text=True, timeout=30)
        assert p.returncode == 0, p.stderr
        fd = int(p.stdout)

        def workload_openat2():
            pids = {e["pid"] for e in t.events() if e.get("path") == "how.bin"}  # this run's own open
            return [e for e in t.events() if e.get("syscall") == "openat2" and e["pid"] in pids]
        wait_for(workload_openat2, what="the openat2")
        t.stop()
    [e] = workload_openat2()
    assert (e["path"], e["fd"], e["dirfd"]) == ("target", fd, AT_FDCWD)
    assert (e["flags"], e["resolve"]) == ("O_RDONLY|O_NOFOLLOW", "RESOLVE_NO_SYMLINKS|RESOLVE_BENEATH")


def test_path_longer_than_path_max_is_cut_and_marked():
    # 4095 bytes is the longest path the kernel accepts; the tracer keeps all of it
    fits = ("a/" * 2047 + "b")
    longer = "/" + "x" * 5000
    with Tracer("opensnoop-k8s", "-p", str(os.getpid()), probe=probe_open) as t:
        try_open(fits)
        try_open(longer)
        wait_for(lambda: [e for e in t.events() if e["path"].startswith("/xxx")], what="the long open")
        t.stop()
    [e] = with_path(t.events(), fits)
    assert len(fits) == 4095 and e["pathTruncated"] is False and e["error"] == "ENOENT"
    [e] = [e for e in t.events() if e["path"].startswith("/xxx")]
    assert e["path"] == longer[:4095] and e["pathTruncated"] is True
    assert (e["ret"], e["error"]) == (-errno.ENAMETOOLONG, "ENAMETOOLONG")


# --- 3: --full-path against /proc/PID/fd -----------------------------------------------------------------------

def read_records(stream, end=b"DONE\0", timeout=30):
    buf = b""
    deadline = time.time() + timeout
    while end not in buf:
        ready, _, _ = select.select([stream], [], [], max(0.0, deadline - time.time()))
        assert ready, f"workload printed only {buf!r}"
        chunk = os.read(stream.fileno(), 65536)
        assert chunk, f"workload ended after {buf!r}"
        buf += chunk
    return [r for r in buf.split(b"\0") if r and r != b"DONE"]


def test_full_path_equals_proc_fd_readlink(opens_bin, workdir):
    d = fresh_dir(os.path.realpath(workdir), "fp")
    sub = fresh_dir(d, "sub")
    with open(os.path.join(sub, "f2"), "w") as f:
        f.write("x")
    bind = fresh_dir(d, "bind")
    stack = fresh_dir(d, "stack")
    mounts = []
    try:
        for argv in (["--bind", sub, bind], ["-t", "tmpfs", "lower", stack], ["-t", "tmpfs", "upper", stack]):
            subprocess.run(["mount", *argv], check=True)
            mounts.append(argv[-1])
        open(os.path.join(stack, "f3"), "w").close()
        with Tracer("opensnoop-k8s", "--full-path", probe=probe_open) as t:
            p = subprocess.Popen([opens_bin, "fullpath", d], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            try:
                records = [r.split(b" ", 1) for r in read_records(p.stdout)]
                wait_for(lambda: with_path([e for e in t.events() if e["pid"] == p.pid], b"nope-in-sub"),
                         what="the workload's last open")
                t.stop()
            finally:
                p.stdin.close()
                p.wait(10)
    finally:
        unmount_all(mounts)
    evs = [e for e in t.events() if e["pid"] == p.pid]
    opened = [rest.split(b" ", 1) for kind, rest in records if kind == b"PATH-FD"]
    fds = [int(fd) for fd, _ in opened]
    targets = [target for _, target in opened]
    assert [kind for kind, _ in records].count(b"FAIL") == 2
    # what the workload opened, in its order, as /proc/PID/fd shows it
    db = d.encode()
    tmpfile = targets[9]
    assert re.fullmatch(re.escape(db) + rb"/#\d+ \(deleted\)", tmpfile), tmpfile
    longp = db + b"/" + b"/".join(bytes([ord("a") + i]) * 199 for i in range(19)) + b"/" + b"z" * 200
    assert targets == [db + b"/f1", db + b"/sub", db + b"/sub/f2", db + b"/sub/f2", db + b"/bind/f2",
                       db + b"/stack/f3", db + b"/f1", db + b"/f1", b"/", tmpfile, db + b"/nl\nname-\xc3\xa9-\xff",
                       longp, db + b"/gone (deleted)"]
    mismatches = []
    for fd, target in zip(fds, targets):
        # fds stay open, so the last open that returned fd is this one (ld.so's opens used 3 before)
        e = [e for e in evs if e["ret"] == fd][-1]
        if pbytes(e, "fullPath") != target or e["fullPathTruncated"]:
            mismatches.append((pbytes(e), target, pbytes(e, "fullPath"), e["fullPathTruncated"]))
    assert not mismatches, "path as passed, readlink /proc/PID/fd/N, fullPath, fullPathTruncated:\n" + "\n".join(
        map(repr, mismatches))
    [e] = with_path(evs, b"nope/x")
    assert pbytes(e, "fullPath") == db + b"/nope/x" and e["error"] == "ENOENT"
    [e] = with_path(evs, b"nope-in-sub")
    assert pbytes(e, "fullPath") == db + b"/sub/nope-in-sub" and e["error"] == "ENOENT"


CHROOT = r"""
import os, sys
d = sys.argv[1]
outfd = os.open(d, os.O_RDONLY)
os.chroot(d + "/root")
os.chdir("/inside")
fds = [os.open("/inside/f", os.O_RDONLY), os.open("f", os.O_RDONLY), os.open("outside", os.O_RDONLY, dir_fd=outfd)]
for path, dfd in (("nope", None), ("nope2", outfd)):
    try:
        os.open(path, os.O_RDONLY, dir_fd=dfd)
    except OSError:
        pass
for fd in fds:  # /proc is bind-mounted inside: readlink as this process sees it
    sys.stdout.buffer.write(b"%d %s\0" % (fd, os.fsencode(os.readlink("/proc/self/fd/%d" % fd))))
"""


def test_full_path_inside_a_chroot_is_relative_to_the_process_root(workdir):
    d = os.path.realpath(workdir)
    root = fresh_dir(d, "root")
    fresh_dir(root, "inside")
    procdir = fresh_dir(root, "proc")
    open(os.path.join(root, "inside", "f"), "w").close()
    open(os.path.join(d, "outside"), "w").close()
    subprocess.run(["mount", "--bind", "/proc", procdir], check=True)
    try:
        with Tracer("opensnoop-k8s", "--full-path", probe=probe_open) as t:
            p = subprocess.run(["/usr/bin/python3", "-c", CHROOT, d], capture_output=True, timeout=30)
            assert p.returncode == 0, p.stderr
            wait_for(lambda: with_path(t.events(), "nope2"), what="the last open")
            t.stop()
    finally:
        unmount_all([procdir])
    child = max(e["pid"] for e in with_path(t.events(), "nope2"))
    evs = [e for e in t.events() if e["pid"] == child]
    links = dict(r.split(b" ", 1) for r in p.stdout.split(b"\0") if r)
    assert list(links.values()) == [b"/inside/f", b"/inside/f", (d + "/outside").encode()]
    got = {fd: pbytes([e for e in evs if e["ret"] == int(fd)][-1], "fullPath") for fd in links}
    assert got == links
    assert with_path(evs, "nope")[0]["fullPath"] == "/inside/nope"
    assert with_path(evs, "nope2")[0]["fullPath"] == d + "/nope2"


DEEP = r"""
import os, sys
base, marker = sys.argv[1], sys.argv[2]
for n in map(int, sys.argv[3:]):
    os.chdir(base)
    cur = os.path.join(base, str(n))
    os.mkdir(cur)
    os.chdir(cur)
    i = 0
    while n - len(cur) > 250:  # components of 199 bytes, then the file name takes the rest
        name = chr(ord("a") + i % 26) * 199
        os.mkdir(name)
        os.chdir(name)
        cur += "/" + name
        i += 1
    fname = marker + "f" * (n - len(cur) - 1 - len(marker))
    os.open(fname, os.O_WRONLY | os.O_CREAT, 0o644)
    assert len(cur + "/" + fname) == n
    sys.stdout.write(cur + "/" + fname + "\0")
"""


def test_full_path_longer_than_path_max_is_whole_or_marked(workdir):
    """/proc/PID/fd/N cannot show paths of PATH_MAX bytes or more (ENAMETOOLONG); --full-path builds them in an
    8 KiB buffer: a path that fits must come out whole, one that does not must be marked fullPathTruncated."""
    marker = unique("gbdeep") + "-"
    lengths = [4096, 8191, 8192, 9000]
    with Tracer("opensnoop-k8s", "--full-path", "--prefix", marker, probe=lambda m: try_open(marker + m)) as t:
        p = subprocess.run(["/usr/bin/python3", "-c", DEEP, os.path.realpath(workdir), marker] + list(map(str, lengths)),
                           capture_output=True, timeout=60)
        assert p.returncode == 0, p.stderr
        fulls = p.stdout.decode().split("\0")[:-1]
        wait_for(lambda: len([e for e in t.events() if e.get("ret", -1) >= 0]) == len(lengths), what="the opens")
        t.stop()
    evs = [e for e in t.events() if e.get("ret", -1) >= 0]
    results = []
    for full, e in zip(fulls, evs):
        assert os.path.basename(full) == e["path"]
        assert e["pathTruncated"] is False  # the path as passed is short; only the full path can be cut
        results.append((len(full), len(e["fullPath"]), e["fullPathTruncated"], full.endswith(e["fullPath"])))
    # (length, length of fullPath, fullPathTruncated, fullPath is a tail of the real path)
    assert results[:2] == [(4096, 4096, False, True), (8191, 8191, False, True)]
    n, got, truncated, tail = results[3]
    assert truncated is True and tail and 0 < got < n
    n, got, truncated, tail = results[2]
    assert (got == n and not truncated) or (truncated and tail and 0 < got < n), \
        f"an {n}-byte full path came out as {got} bytes, pathTruncated {truncated}"


def test_full_path_of_failed_absolute_open_and_of_failed_open_relative_to_root(workdir):
    missing = os.path.join(workdir, "no", "such")
    relative = unique("gb-missing-in-root")
    with Tracer("opensnoop-k8s", "--full-path", "-x", probe=probe_open) as t:
        try_open(missing)
        subprocess.run(["cat", relative], cwd="/", stderr=subprocess.DEVNULL)
        wait_for(lambda: with_path(t.events(), relative), what="the open")
        t.stop()
    [e] = with_path(t.events(), missing)
    assert e["fullPath"] == missing
    [e] = with_path(t.events(), relative)
    assert e["fullPath"] == "/" + relative and e["comm"] == "cat"


def test_without_full_path_option_there_is_no_full_path_key(workdir):
    with Tracer("opensnoop-k8s", "-p", str(os.getpid()), probe=probe_open) as t:
        try_open(workdir)
        wait_for(lambda: with_path(t.events(), workdir), what="the open")
        t.stop()
    [e] = with_path(t.events(), workdir)
    assert "fullPath" not in e and e["fd"] >= 0


def test_full_path_of_reopened_pipe_and_memfd_equals_proc_fd_readlink():
    """/proc/self/fd/N of a pipe or a memfd opens the pipe or the memfd itself: readlink shows pipe:[INO] and
    /memfd:NAME (deleted); --full-path promises the same as /proc/PID/fd/N."""
    r, w = os.pipe()
    mfd = os.memfd_create("gb-memfd-test")
    opened = []
    try:
        with Tracer("opensnoop-k8s", "--full-path", "-p", str(os.getpid()), probe=probe_open) as t:
            for src, flags in ((r, os.O_RDONLY | os.O_NONBLOCK), (mfd, os.O_RDONLY)):
                path = f"/proc/self/fd/{src}"
                fd = os.open(path, flags)
                opened.append((path, fd, os.readlink(f"/proc/self/fd/{fd}")))
            wait_for(lambda: all(with_path(t.events(), p) for p, _, _ in opened), what="the reopens")
            t.stop()
    finally:
        for fd in [r, w, mfd] + [fd for _, fd, _ in opened]:
            os.close(fd)
    assert opened[0][2].startswith("pipe:[") and opened[1][2] == "/memfd:gb-memfd-test (deleted)"
    got = {p: [e for e in with_path(t.events(), p) if e["ret"] == fd][0]["fullPath"] for p, fd, _ in opened}
    assert got == {p: target for p, _, target in opened}


def test_open_through_the_i386_syscall_abi_is_traced(opens_bin, workdir):
    """A 64-bit process can call the i386 open (int $0x80, syscall 5): strace shows it; so must the tracer with
    --ia32, or any process can open files unseen."""
    d = fresh_dir(workdir, unique("compat"))
    exists = os.path.join(d, "exists")
    open(exists, "w").close()
    missing = os.path.join(d, "missing")
    with Tracer("opensnoop-k8s", "--ia32", "--prefix", d + "/", probe=lambda m: try_open(os.path.join(d, m))) as t:
        p = subprocess.run([opens_bin, "compat", missing, exists], capture_output=True, text=True, timeout=30)
        if p.returncode == 3 or f"{missing} -{errno.ENOSYS}" in p.stdout:
            pytest.skip("no i386 syscall ABI here")
        assert p.returncode == 0 and p.stdout.splitlines() == [f"{missing} -2", f"{exists} 3"], p
        wait_for(lambda: with_path(t.events(), missing + ".native"), what="the workload's native open")
        t.stop()
    evs = t.events()
    assert [(e["syscall"], e["ret"]) for e in with_path(evs, missing + ".native")] == [("openat", -errno.ENOENT)]
    assert [(e["syscall"], e["ret"]) for e in with_path(evs, missing)] == [("open", -errno.ENOENT)]
    assert [(e["syscall"], e["ret"]) for e in with_path(evs, exists)] == [("open", 3)]


FIFO_READER = r"""
import os, signal, sys
signal.signal(signal.SIGUSR1, lambda *a: None)
signal.siginterrupt(signal.SIGUSR1, False)  # SA_RESTART: the kernel restarts the interrupted open
fd = os.open(sys.argv[1], os.O_RDONLY)  # blocks until a writer opens the FIFO
print(fd, flush=True)
"""


def test_open_restarted_after_a_signal_reports_no_bogus_errno(workdir):
    """A blocking open interrupted by a signal whose handler has SA_RESTART leaves the syscall with the
    kernel-internal ERESTARTSYS (512) and runs again; the process only ever sees the second result. strace shows
    the first as "= ? ERESTARTSYS"; the tracer must not invent an errno "E512" for it."""
    fifo = os.path.join(workdir, "fifo")
    os.mkfifo(fifo)
    child = writer = None
    try:
        with Tracer("opensnoop-k8s", "--prefix", fifo, probe=lambda m: try_open(fifo + m)) as t:
            # started after the tracer, so that it sees the open's entry
            child = subprocess.Popen(["/usr/bin/python3", "-c", FIFO_READER, fifo], stdout=subprocess.PIPE, text=True)

            def blocked_in_fifo_open():
                with open(f"/proc/{child.pid}/wchan") as f:
                    return f.read() == "wait_for_partner"
            wait_for(blocked_in_fifo_open, what="the reader to block opening the FIFO")
            child.send_signal(signal.SIGUSR1)

            def handled():
                with open(f"/proc/{child.pid}/status") as f:
                    pending = {k: int(v, 16) for k, v in re.findall(r"^(SigPnd|ShdPnd):\s*(\w+)$", f.read(), re.M)}
                return not any(v & (1 << (signal.SIGUSR1 - 1)) for v in pending.values())
            wait_for(handled, what="the signal to be delivered")
            writer = threading.Thread(target=lambda: os.close(os.open(fifo, os.O_WRONLY)), daemon=True)
            writer.start()
            fd = int(child.stdout.readline())
            assert child.wait(10) == 0
            wait_for(lambda: [e for e in with_path(t.events(), fifo) if e["pid"] == child.pid and e["ret"] >= 0],
                     what="the open's result")
            t.stop()
    finally:
        if child and child.poll() is None:
            child.kill()
            child.wait()
        if writer:
            writer.join(10)
            if writer.is_alive():  # no reader came: be one, so the writer's open returns
                os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
                writer.join(10)
    evs = [e for e in with_path(t.events(), fifo) if e["pid"] == child.pid]
    assert evs[-1]["ret"] == fd and evs[-1]["fd"] == fd
    interrupted = [(e["ret"], e.get("error")) for e in evs[:-1]]
    assert all(err == "ERESTARTSYS" for _, err in interrupted), f"interrupted open reported as {interrupted}"


# --- 4: filters ----------------------------------------------------------------------------------------------

def test_prefix_filter_json_shows_only_paths_under_the_prefixes(workdir):
    one, two, three = (fresh_dir(workdir, n) for n in ("one", "two", "three"))
    p1, p2 = one + "/", two + "/"
    with Tracer("opensnoop-k8s", "--prefix", f"{p1},{p2}", probe=lambda m: try_open(p1 + m)) as t:
        try_open(p1 + "in-one")
        try_open(p2 + "in-two")
        try_open(os.path.join(three, "in-three"))
        subprocess.run(["cat", "one/relative"], cwd=workdir, stderr=subprocess.DEVNULL)  # "as passed": relative
        subprocess.run(["cat", p2 + "from-cat"], stderr=subprocess.DEVNULL)
        wait_for(lambda: with_path(t.events(), p2 + "from-cat"), what="cat's open")
        t.stop()
    evs = t.events()
    assert evs and all(e["path"].startswith((p1, p2)) for e in evs)
    assert with_path(evs, p1 + "in-one") and with_path(evs, p2 + "in-two")
    assert with_path(evs, p2 + "from-cat")[0]["comm"] == "cat"
    assert not with_path(evs, "one/relative")


def test_prefix_filter_columns_shows_only_paths_under_the_prefixes(workdir):
    one, two, three = (fresh_dir(workdir, n) for n in ("one", "two", "three"))
    p1, p2 = one + "/", two + "/"
    with Tracer("opensnoop-k8s", "--prefix", f"{p1},{p2}", json_mode=False, probe=lambda m: try_open(p1 + m)) as t:
        try_open(os.path.join(three, "in-three"))
        try_open(p1 + "in-one")
        try_open(p2 + "in-two")
        wait_for(lambda: (p2 + "in-two").encode() in t.raw(), what="the open under two")
        t.stop()
    lines = t.lines()
    assert lines[0].split() == ["CONTAINER", "PID", "PCOMM", "ERR", "PATH"]
    paths = [line.split()[-1] for line in lines[1:]]
    assert paths and all(p.startswith((p1, p2)) for p in paths)
    assert p1 + "in-one" in paths and p2 + "in-two" in paths
    assert not [l for l in lines if "three" in l]


def test_prefix_of_the_longest_allowed_length_matches_in_the_kernel(workdir):
    base = os.path.realpath(workdir) + "/"
    prefix = base + "p" * (255 - len(base))  # 255 bytes: the longest prefix --prefix takes
    os.mkdir(prefix)
    near = prefix[:-1] + "q"  # differs only in the last byte
    os.mkdir(near)
    with Tracer("opensnoop-k8s", "--prefix", prefix, probe=lambda m: try_open(prefix + "/" + m)) as t:
        try_open(near + "/not-this")
        try_open(prefix + "/this")
        wait_for(lambda: with_path(t.events(), prefix + "/this"), what="the open under the prefix")
        t.stop()
    assert len(prefix) == 255
    assert not with_path(t.events(), near + "/not-this")
    assert all(e["path"].startswith(prefix) for e in t.events())
    r = subprocess.run(gadgetbox_cmd("opensnoop-k8s", "--prefix", prefix + "x"), capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "--prefix" in r.stderr


def test_failed_only_shows_only_failed_opens(workdir):
    exists = os.path.join(workdir, "exists")
    open(exists, "w").close()
    missing = os.path.join(workdir, "missing")
    with Tracer("opensnoop-k8s", "-x", probe=probe_open) as t:
        try_open(exists)
        try_open(missing)
        wait_for(lambda: with_path(t.events(), missing), what="the failed open")
        t.stop()
    evs = [e for e in t.events() if e.get("type") != "lost"]  # it watched the whole host
    assert evs and all(e["ret"] < 0 and "error" in e and "fd" not in e for e in evs)
    assert with_path(evs, missing)[0]["error"] == "ENOENT"
    assert not with_path(evs, exists)


THREADS = r"""
import os, sys, threading, time
flag, main_path, thread_path = sys.argv[1:4]

def attempt(p):
    try:
        os.close(os.open(p, os.O_RDONLY))
    except OSError:
        pass

def worker():
    print(threading.get_native_id(), flush=True)
    while not os.path.exists(flag):  # a stat: not traced
        attempt(thread_path)
        time.sleep(0.02)
    attempt(thread_path + "-last")

t = threading.Thread(target=worker)
t.start()
while not os.path.exists(flag):
    attempt(main_path)
    time.sleep(0.02)
attempt(main_path + "-last")
t.join()
"""


def start_threads(workdir):
    flag = os.path.join(workdir, "go")
    main_path = os.path.join(workdir, unique("main"))
    thread_path = os.path.join(workdir, unique("thread"))
    child = subprocess.Popen(["/usr/bin/python3", "-c", THREADS, flag, main_path, thread_path],
                             stdout=subprocess.PIPE, text=True)
    tid = int(child.stdout.readline())
    return child, tid, flag, main_path, thread_path


def run_thread_filter(workdir, option):
    child, tid, flag, main_path, thread_path = start_threads(workdir)
    try:
        t = Tracer("opensnoop-k8s", option, str(tid if option == "-t" else child.pid), probe=lambda m: time.sleep(0.05))
        t.marker = thread_path  # the thread's own opens prove the tracer is attached
        with t:
            try_open(main_path)  # the same path from another process
            open(flag, "w").close()
            assert child.wait(20) == 0
            # stopping drains the ring buffer: what is not in the output by then was filtered out
            wait_for(lambda: with_path(t.events(), thread_path + "-last"), what="the thread's last open")
            t.stop()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    return t.events(), child.pid, tid, main_path, thread_path


def test_tid_filter_shows_only_that_thread(workdir):
    evs, pid, tid, main_path, thread_path = run_thread_filter(workdir, "-t")
    assert tid != pid
    assert evs and all(e["tid"] == tid and e["pid"] == pid for e in evs)
    assert with_path(evs, thread_path) and with_path(evs, thread_path + "-last")
    assert not with_path(evs, main_path) and not with_path(evs, main_path + "-last")


def test_pid_filter_shows_every_thread_of_that_process_only(workdir):
    evs, pid, tid, main_path, thread_path = run_thread_filter(workdir, "-p")
    assert evs and all(e["pid"] == pid for e in evs)
    assert {e["tid"] for e in with_path(evs, main_path)} == {pid}  # not this test's own open of it
    assert {e["tid"] for e in with_path(evs, thread_path)} == {tid}
    assert with_path(evs, main_path + "-last") and with_path(evs, thread_path + "-last")


def test_uid_filter_shows_only_that_uid(workdir):
    root_path = os.path.join(workdir, unique("as-root"))
    nobody_path = os.path.join(workdir, unique("as-nobody"))
    with Tracer("opensnoop-k8s", "-u", "65534", probe=lambda m: as_nobody("cat", f"/nonexistent-gb-probe/{m}")) as t:
        subprocess.run(["cat", root_path], stderr=subprocess.DEVNULL)
        as_nobody("cat", nobody_path)
        wait_for(lambda: with_path(t.events(), nobody_path), what="nobody's open")
        t.stop()
    evs = t.events()
    assert evs and all(e["uid"] == 65534 and e["gid"] == 65534 for e in evs)
    [e] = with_path(evs, nobody_path)
    assert e["comm"] == "cat" and e["error"] == "ENOENT"
    assert not with_path(evs, root_path)


def test_name_filter_matches_comm_substring(workdir):
    alpha = os.path.join(workdir, unique("alpha"))
    beta = os.path.join(workdir, unique("beta"))
    for p in (alpha, beta):
        shutil.copy("/bin/cat", p)
    needle = os.path.basename(alpha)[2:12]  # a substring from the middle of the comm
    with Tracer("opensnoop-k8s", "-n", needle, probe=lambda m: subprocess.run([alpha, f"/nonexistent-gb/{m}"],
                                                                              stderr=subprocess.DEVNULL)) as t:
        subprocess.run([beta, os.path.join(workdir, "by-beta")], stderr=subprocess.DEVNULL)
        subprocess.run([alpha, os.path.join(workdir, "by-alpha")], stderr=subprocess.DEVNULL)
        wait_for(lambda: with_path(t.events(), os.path.join(workdir, "by-alpha")), what="alpha's open")
        t.stop()
    evs = t.events()
    assert evs and all(needle in e["comm"] and e["comm"] == os.path.basename(alpha)[:15] for e in evs)
    assert not with_path(evs, os.path.join(workdir, "by-beta"))


# --- 5: volume -----------------------------------------------------------------------------------------------

LOST_SO_FAR = re.compile(r"lost (\d+) events \(ring buffer full or no memory\); (\d+) lost so far")


def test_100000_opens_in_a_burst_are_each_reported_once_or_counted_as_lost(opens_bin, workdir):
    n = 100_000
    d = fresh_dir(workdir, unique("burst"))
    prefix = d + "/"
    needle = json.dumps(prefix + "missing-")[:-1].encode()
    with Tracer("opensnoop-k8s", "--prefix", prefix, probe=lambda m: try_open(prefix + "probe-" + m)) as t:
        p = subprocess.Popen([opens_bin, "burst", d, str(n)])
        assert p.wait(300) == 0
        assert_accounted(t, lambda: t.raw().count(needle), n, timeout=120, what="opens")
    evs = [e for e in t.events() if e.get("path", "").startswith(prefix + "missing-")]
    lost_records = [e for e in t.events() if e.get("type") == "lost"]
    counts = collections.Counter(int(e["path"][len(prefix + "missing-"):]) for e in evs)
    dups = [i for i, c in counts.items() if c > 1]
    assert not dups, f"{len(dups)} opens reported more than once, e.g. {dups[:5]}"
    assert set(counts) <= set(range(n))
    assert all(e["pid"] == p.pid and e["ret"] == -errno.ENOENT and e["error"] == "ENOENT" for e in evs)
    err = t.stderr()
    total = re.findall(r"(\d+) events lost in total", err)
    lost = int(total[-1]) if total else 0
    assert len(evs) + lost == n, f"{len(evs)} reported + {lost} lost != {n}; stderr: {err!r}"
    assert sum(e["lost"] for e in lost_records) == lost
    assert max([int(m.group(2)) for m in LOST_SO_FAR.finditer(err)], default=0) == lost
    if not lost:
        assert "lost" not in err and not lost_records


def test_burst_while_the_reader_is_stopped_counts_every_lost_event(opens_bin, workdir):
    """The reader is stopped (SIGSTOP) while 100,000 events go into the ring buffer (a few MiB): most are lost,
    and every one of them must be counted, on stderr and in {"type":"lost"} records."""
    n = 100_000
    d = fresh_dir(workdir, unique("stalled"))
    prefix = d + "/"
    needle = json.dumps(prefix + "missing-")[:-1].encode()
    with Tracer("opensnoop-k8s", "--prefix", prefix, probe=lambda m: try_open(prefix + "probe-" + m)) as t:
        t.proc.send_signal(signal.SIGSTOP)
        try:
            p = subprocess.Popen([opens_bin, "burst", d, str(n)])
            assert p.wait(300) == 0
        finally:
            t.proc.send_signal(signal.SIGCONT)
        assert_accounted(t, lambda: t.raw().count(needle), n, timeout=120, what="opens")
    evs = [e for e in t.events() if e.get("path", "").startswith(prefix + "missing-")]
    counts = collections.Counter(int(e["path"][len(prefix + "missing-"):]) for e in evs)
    assert max(counts.values()) == 1 and set(counts) <= set(range(n))
    err = t.stderr()
    [total] = re.findall(r"(\d+) events lost in total", err)
    lost = int(total)
    assert lost > 0 and len(evs) + lost == n, f"{len(evs)} reported + {lost} lost != {n}; stderr: {err!r}"
    assert sum(e["lost"] for e in t.events() if e.get("type") == "lost") == lost
    assert sum(int(m.group(1)) for m in LOST_SO_FAR.finditer(err)) == lost


# --- 6: columns ----------------------------------------------------------------------------------------------

def test_columns_header_and_hostile_path_is_escaped(workdir):
    hostile = os.path.join(workdir, "esc\x1b[31mred\nline\ttab-é-") .encode() + b"\xff\x9b-end"
    with Tracer("opensnoop-k8s", "-p", str(os.getpid()), json_mode=False, probe=probe_open) as t:
        try_open(hostile)
        try_open(workdir)
        wait_for(lambda: b"-end" in t.raw() and workdir.encode() + b"\n" in t.raw(), what="the lines")
        t.stop()
    raw = t.raw()
    assert b"\x1b" not in raw and b"\x9b" not in raw, "a raw ESC or CSI reached the terminal output"
    lines = t.lines()
    assert lines[0].split() == ["CONTAINER", "PID", "PCOMM", "ERR", "PATH"]
    [line] = [l for l in lines if l.endswith("-end")]
    f = line.split()
    assert f[:4] == ["-", str(os.getpid()), open("/proc/self/comm").read().strip(), "ENOENT"]
    assert f[4] == workdir + "/esc\\x1b[31mred\\nline\\ttab-é-\\xff\\x9b-end"
    [ok] = [l for l in lines if l.endswith(" " + workdir)]
    assert ok.split()[3] == "0"


def test_columns_with_extended_timestamp_uid_and_full_path(workdir):
    target = os.path.join(os.path.realpath(workdir), "target")
    open(target, "w").close()
    dfd = os.open(workdir, os.O_RDONLY)
    try:
        with Tracer("opensnoop-k8s", "-e", "-T", "-U", "--full-path", "-p", str(os.getpid()), json_mode=False,
                    probe=probe_open) as t:
            fd = os.open("target", os.O_RDONLY | os.O_CLOEXEC, dir_fd=dfd)
            os.close(fd)
            wait_for(lambda: (target + "\n").encode() in t.raw(), what="the line")
            t.stop()
    finally:
        os.close(dfd)
    lines = t.lines()
    assert lines[0].split() == ["CONTAINER", "TIME(s)", "UID", "PID", "PCOMM", "ERR", "FLAGS", "FULLPATH"]
    [line] = [l.split() for l in lines if l.endswith(" " + target)]
    assert re.fullmatch(r"\d+\.\d{3}", line[1]) and line[2] == "0" and line[5] == "0"
    assert line[6] == "O_RDONLY|O_CLOEXEC"


def test_fields_selects_json_keys_and_columns(workdir):
    with Tracer("opensnoop-k8s", "-p", str(os.getpid()), "--fields", "pid,syscall,flags,path,error",
                probe=probe_open) as t:
        try_open(os.path.join(workdir, "nope"))
        wait_for(lambda: with_path(t.events(), os.path.join(workdir, "nope")), what="the open")
        t.stop()
    [e] = with_path(t.events(), os.path.join(workdir, "nope"))
    # Python's os.open adds O_CLOEXEC (PEP 446)
    assert e == {"pid": os.getpid(), "syscall": "openat", "flags": "O_RDONLY|O_CLOEXEC",
                 "path": os.path.join(workdir, "nope"), "error": "ENOENT"}

    with Tracer("opensnoop-k8s", "-p", str(os.getpid()), "--fields", "syscall,flags,error,path", json_mode=False,
                probe=probe_open) as t:
        try_open(os.path.join(workdir, "nope"))
        wait_for(lambda: os.path.join(workdir, "nope").encode() in t.raw(), what="the line")
        t.stop()
    assert t.lines()[0].split() == ["SYSCALL", "FLAGS", "ERROR", "PATH"]
    [line] = [l.split() for l in t.lines() if l.endswith(os.path.join(workdir, "nope"))]
    assert line == ["openat", "O_RDONLY|O_CLOEXEC", "ENOENT", os.path.join(workdir, "nope")]


def test_flag_bits_without_a_name_are_shown_in_hex(workdir):
    path = os.path.join(workdir, "unknown-bits")
    open(path, "w").close()
    with Tracer("opensnoop-k8s", "-p", str(os.getpid()), probe=probe_open) as t:
        os.close(os.open(path, os.O_RDONLY | os.O_NOATIME | 0x40000000))  # openat ignores unknown bits
        wait_for(lambda: with_path(t.events(), path), what="the open")
        t.stop()
    [e] = with_path(t.events(), path)
    assert e["flagsRaw"] == os.O_NOATIME | os.O_CLOEXEC | 0x40000000
    assert e["flags"] == "O_RDONLY|O_NOATIME|O_CLOEXEC|0x40000000" and e["fd"] >= 0


# --- 7: clean exits ------------------------------------------------------------------------------------------

def prog_ids_of(pid):
    """The BPF programs a process holds (prog and link fds), from /proc/PID/fdinfo."""
    ids = set()
    d = f"/proc/{pid}/fdinfo"
    try:
        fds = os.listdir(d)
    except OSError:
        return ids
    for fd in fds:
        try:
            with open(os.path.join(d, fd)) as f:
                ids |= {int(m) for m in re.findall(r"^prog_id:\s*(\d+)$", f.read(), re.M)}
        except OSError:
            pass
    return ids


def loaded_progs():
    out = subprocess.run(["bpftool", "-j", "prog", "list"], check=True, capture_output=True, text=True).stdout
    return {p["id"]: p.get("name", "") for p in json.loads(out or "[]")}


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_exits_0_and_unloads_its_programs(sig):
    with Tracer("opensnoop-k8s", "-p", str(os.getpid()), probe=probe_open) as t:
        ids = prog_ids_of(t.proc.pid)
        names = {loaded_progs().get(i, "")[:15] for i in ids}
        assert {n[:15] for n in OUR_PROGS} <= names
        assert t.stop(sig) == 0
    assert t.stderr() == ""
    wait_for(lambda: not (ids & set(loaded_progs())), timeout=10, what="its BPF programs to be unloaded")


def test_sigkill_leaves_nothing_attached():
    with Tracer("opensnoop-k8s", "-p", str(os.getpid()), probe=probe_open) as t:
        ids = prog_ids_of(t.proc.pid)
        assert len(ids) >= len(OUR_PROGS)
        t.proc.kill()
        t.proc.wait()
    wait_for(lambda: not (ids & set(loaded_progs())), timeout=10, what="its BPF programs to be unloaded")


def test_closed_pipe_exits_0_and_unloads_its_programs(workdir):
    tracer = subprocess.Popen(gadgetbox_cmd("opensnoop-k8s", "--host"), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        head = subprocess.Popen(["head", "-1"], stdin=tracer.stdout, stdout=subprocess.PIPE)
        tracer.stdout.close()
        assert head.communicate(timeout=20)[0].split() == [b"CONTAINER", b"PID", b"PCOMM", b"ERR", b"PATH"]
        ids = prog_ids_of(tracer.pid)
        deadline = time.time() + 20
        while tracer.poll() is None and time.time() < deadline:
            try_open(workdir)  # something to write into the closed pipe
            time.sleep(0.05)
        assert tracer.wait(5) == 0
        assert tracer.stderr.read() == b""
    finally:
        if tracer.poll() is None:
            tracer.kill()
            tracer.wait()
    wait_for(lambda: not (ids & set(loaded_progs())), timeout=10, what="its BPF programs to be unloaded")


def test_duration_exits_0_and_unloads_its_programs():
    start = time.time()
    p = subprocess.Popen(gadgetbox_cmd("opensnoop-k8s", "-d", "1"), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        ids = wait_for(lambda: prog_ids_of(p.pid), what="the programs to load")
        out, err = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, err
    assert time.time() - start >= 1.0
    assert out.startswith(b"CONTAINER")
    wait_for(lambda: not (ids & set(loaded_progs())), timeout=10, what="its BPF programs to be unloaded")


@pytest.mark.parametrize("args", [["-p", "0"], ["-p", "x"], ["-t", "0"], ["-u", "4294967295"], ["-d", "0"],
                                  ["--prefix", ",".join(f"/p{i}" for i in range(9))], ["--fields", "nosuch"]])
def test_usage_errors_are_one_line_and_exit_2(args):
    r = subprocess.run(gadgetbox_cmd("opensnoop-k8s", *args), capture_output=True, text=True, timeout=30)
    assert r.returncode == 2, (args, r.stderr)
    assert r.stderr.count("\n") == 1 and r.stdout == ""
