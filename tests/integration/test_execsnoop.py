"""execsnoop-k8s against the real kernel: argv fidelity, failures, filters, volume, and clean exits."""
import json
import os
import re
import shutil
import signal
import subprocess
import time

import pytest

from conftest import BINARY, Tracer, bpf_program_names, gadgetbox_cmd, unique, wait_for

OUR_PROGS = {"tp_enter_exec", "tp_process_exec", "tp_exit_exec"}


def make_script(workdir, name=None, body="exit 0\n", mode=0o755):
    name = name or unique()
    path = os.path.join(workdir, name)
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + body)
    os.chmod(path, mode)
    return path


def ours(events, path):
    return [e for e in events if e.get("filename") == path]


HOSTILE = ["two words", 'say "hi"', "line1\nline2", "\x1b[31mred\x1b[0m", "héllo wörld ✓", "back\\slash", "tab\there"]


def test_exec_json_reports_exact_argv_and_fields(workdir):
    path = make_script(workdir)
    argv = [path] + HOSTILE + ["A" * 4096]
    with Tracer("execsnoop-k8s") as t:
        p = subprocess.run(argv)
        assert p.returncode == 0
        wait_for(lambda: ours(t.events(), path), what="the exec event")
        t.stop()
    [e] = ours(t.events(), path)
    assert e["args"] == argv
    assert e["ret"] == 0 and "error" not in e
    assert e["argsTruncated"] is False
    assert e["comm"] == os.path.basename(path)[:15]
    assert e["ppid"] == os.getpid()
    assert e["uid"] == 0 and e["gid"] == 0
    assert e["pid"] == e["tid"] and e["pid"] > 0
    assert e["mountnsid"] == os.stat("/proc/self/ns/mnt").st_ino
    assert abs(e["timestamp"] / 1e9 - time.time()) < 60
    assert set(e["runtime"]) == {"runtimeName", "containerId", "containerName", "containerImageName"}
    assert set(e["k8s"]) == {"node", "namespace", "podName", "containerName"}


def test_exec_non_utf8_argument_round_trips_through_json(workdir):
    path = make_script(workdir)
    arg = b"\xff\xfe-not-utf8-\xc3"
    with Tracer("execsnoop-k8s") as t:
        subprocess.run([path.encode(), arg])
        wait_for(lambda: ours(t.events(), path), what="the exec event")
        t.stop()
    [e] = ours(t.events(), path)
    assert e["args"][1].encode("utf-8", "surrogateescape") == arg


def test_exec_with_hostile_args_is_escaped_in_columns(workdir):
    path = make_script(workdir)
    with Tracer("execsnoop-k8s", json_mode=False) as t:
        subprocess.run([path] + HOSTILE)
        wait_for(lambda: path.encode() in t.raw(), what="the exec line")
        t.stop()
    raw = t.raw()
    assert b"\x1b" not in raw, "a raw ESC reached the terminal output"
    [line] = [l for l in t.lines() if path in l]
    assert "line1\\nline2" in line
    assert "\\x1b[31mred\\x1b[0m" in line
    assert "héllo wörld ✓" in line
    assert "back\\\\slash" in line and "tab\\there" in line
    assert line.split()[1] == os.path.basename(path)[:15]  # PCOMM after CONTAINER
    assert t.lines()[0].split() == ["CONTAINER", "PCOMM", "PID", "PPID", "RET", "ARGS"]


def test_exec_quote_flag_wraps_and_escapes_quotes(workdir):
    path = make_script(workdir)
    with Tracer("execsnoop-k8s", "-q", json_mode=False) as t:
        subprocess.run([path, "two words", 'say "hi"'])
        wait_for(lambda: path.encode() in t.raw(), what="the exec line")
        t.stop()
    [line] = [l for l in t.lines() if path in l]
    assert line.endswith(f'"{path}" "two words" "say \\"hi\\""')


def test_exec_with_30_args_is_truncated_at_max_args_and_marked(workdir):
    path = make_script(workdir)
    argv = [path] + [f"arg{i}" for i in range(1, 30)]
    with Tracer("execsnoop-k8s") as t:
        subprocess.run(argv)
        wait_for(lambda: ours(t.events(), path), what="the exec event")
        t.stop()
    [e] = ours(t.events(), path)
    assert e["args"] == argv[:20]
    assert e["argsTruncated"] is True


def test_exec_with_30_args_complete_with_larger_max_args(workdir):
    path = make_script(workdir)
    argv = [path] + [f"arg{i}" for i in range(1, 30)]
    with Tracer("execsnoop-k8s", "--max-args", "40") as t:
        subprocess.run(argv)
        wait_for(lambda: ours(t.events(), path), what="the exec event")
        t.stop()
    [e] = ours(t.events(), path)
    assert e["args"] == argv and e["argsTruncated"] is False


def test_exec_long_argument_is_cut_and_marked(workdir):
    path = make_script(workdir)
    with Tracer("execsnoop-k8s") as t:
        subprocess.run([path, "B" * 20000, "after"])
        wait_for(lambda: ours(t.events(), path), what="the exec event")
        t.stop()
    [e] = ours(t.events(), path)
    # one string is cut at 8191 bytes; with the 8 KiB argv budget spent, "after" does not fit
    assert e["args"] == [path, "B" * 8191]
    assert e["argsTruncated"] is True


def test_exec_argv_larger_than_the_buffer_is_truncated_and_marked(workdir):
    path = make_script(workdir)
    argv = [path] + [f"{i}" * 3000 for i in range(1, 6)]
    with Tracer("execsnoop-k8s") as t:
        subprocess.run(argv)
        wait_for(lambda: ours(t.events(), path), what="the exec event")
        t.stop()
    [e] = ours(t.events(), path)
    assert 2 <= len(e["args"]) < len(argv) and e["args"] == argv[:len(e["args"])]
    assert e["argsTruncated"] is True


def test_exec_long_arg_cut_shows_ellipsis_in_columns(workdir):
    path = make_script(workdir)
    with Tracer("execsnoop-k8s", json_mode=False) as t:
        subprocess.run([path, "C" * 9000] + ["x"] * 25)
        wait_for(lambda: path.encode() in t.raw(), what="the exec line")
        t.stop()
    [line] = [l for l in t.lines() if path in l]
    assert ("C" * 8191 + "...") in line and "C" * 8192 not in line
    assert line.endswith(" ...")


def test_failed_execs_shown_with_errno_names_only_with_fails_flag(workdir):
    missing = os.path.join(workdir, unique("missing"))
    noexec = make_script(workdir, mode=0o644)
    ok = make_script(workdir)

    def workload():
        with pytest.raises(FileNotFoundError):
            subprocess.run([missing, "x"])
        with pytest.raises(PermissionError):
            subprocess.run([noexec, "y"])
        subprocess.run([ok])

    with Tracer("execsnoop-k8s", "-x") as t:
        workload()
        wait_for(lambda: ours(t.events(), ok), what="the successful exec")
        t.stop()
    evs = t.events()
    [enoent] = ours(evs, missing)
    [eacces] = ours(evs, noexec)
    assert (enoent["ret"], enoent["error"], enoent["args"]) == (-2, "ENOENT", [missing, "x"])
    assert (eacces["ret"], eacces["error"], eacces["args"]) == (-13, "EACCES", [noexec, "y"])

    with Tracer("execsnoop-k8s") as t:
        workload()
        wait_for(lambda: ours(t.events(), ok), what="the successful exec")
        t.stop()
    evs = t.events()
    assert not ours(evs, missing) and not ours(evs, noexec) and len(ours(evs, ok)) == 1


def test_failed_exec_shows_errno_name_in_columns(workdir):
    missing = os.path.join(workdir, unique("missing"))
    with Tracer("execsnoop-k8s", "-x", json_mode=False) as t:
        with pytest.raises(FileNotFoundError):
            subprocess.run([missing])
        wait_for(lambda: missing.encode() in t.raw(), what="the failed exec")
        t.stop()
    [line] = [l for l in t.lines() if missing in l]
    assert line.split()[4] == "ENOENT"


def rapid_execs(workdir, n):
    prog = os.path.join(workdir, unique("rapid"))
    shutil.copy("/bin/true", prog)
    os.chmod(prog, 0o755)
    loop = subprocess.Popen(["bash", "-c", f'for i in $(seq {n}); do "{prog}" "$i"; done'])
    return prog, loop


def each_once_or_counted_lost(numbers, n, t):
    """Every one of 1..N reported once, or (the tracer watches the whole host, whose other execs share its buffer)
    the ones missing within what the tracer counted lost. Says which way it failed."""
    assert len(numbers) == len(set(numbers)), "an exec reported twice"
    missing, lost = n - len(numbers), t.lost()
    assert set(numbers) <= set(range(1, n + 1))
    assert missing <= lost, f"uncounted: {missing} of {n} execs missing, {lost} counted lost; {t.stderr()[-300:]!r}"


def test_2000_rapid_execs_each_reported_once_in_json(workdir):
    with Tracer("execsnoop-k8s") as t:
        prog, loop = rapid_execs(workdir, 2000)
        assert loop.wait(120) == 0
        wait_for(lambda: len(ours(t.events(), prog)) + t.lost() >= 2000, timeout=60, what="2000 events")
        t.stop()
    evs = ours(t.events(), prog)
    each_once_or_counted_lost([int(e["args"][1]) for e in evs], 2000, t)
    assert all(e["ppid"] == loop.pid and e["comm"] == os.path.basename(prog)[:15] for e in evs)
    assert len({e["pid"] for e in evs}) == len(evs)


def test_2000_rapid_execs_each_reported_once_in_columns(workdir):
    with Tracer("execsnoop-k8s", json_mode=False) as t:
        prog, loop = rapid_execs(workdir, 2000)
        assert loop.wait(120) == 0
        wait_for(lambda: t.raw().count(prog.encode()) + t.lost() >= 2000, timeout=60, what="2000 lines")
        t.stop()
    lines = [l.split() for l in t.lines() if prog in l and l.split()[1] == os.path.basename(prog)[:15]]
    each_once_or_counted_lost([int(f[-1]) for f in lines], 2000, t)
    assert all(f[3] == str(loop.pid) and f[4] == "0" for f in lines)


def as_nobody(*argv):
    return subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *argv])


def test_uid_filter_shows_only_that_uid(workdir):
    path = make_script(workdir)
    with Tracer("execsnoop-k8s", "-u", "65534", probe=lambda m: as_nobody(path, m)) as t:
        subprocess.run([path, "as-root"])
        as_nobody(path, "as-nobody")
        wait_for(lambda: [e for e in t.events() if e["args"][-1] == "as-nobody"], what="nobody's exec")
        t.stop()
    evs = ours(t.events(), path)
    assert evs and all(e["uid"] == 65534 and e["gid"] == 65534 for e in evs)
    assert [e for e in evs if e["args"] == [path, "as-nobody"]]
    assert not [e for e in evs if e["args"] == [path, "as-root"]]


CHILD = """
import os, sys, time
marker, flag, path = sys.argv[1:4]
while not os.path.exists(flag):
    try:
        os.execv(marker, [marker])  # fails with ENOENT: an event of this very process
    except OSError:
        pass
    time.sleep(0.05)
os.execv(path, [path, "from-child"])
"""


def test_pid_filter_shows_only_that_process(workdir):
    path = make_script(workdir)
    flag = os.path.join(workdir, "go")
    marker = os.path.join(workdir, unique("marker"))
    child = subprocess.Popen(["/usr/bin/python3", "-c", CHILD, marker, flag, path])
    try:
        # the child's own failed execs of the marker path prove the tracer is attached
        t = Tracer("execsnoop-k8s", "-x", "-p", str(child.pid), probe=lambda m: time.sleep(0.05))
        t.marker = marker
        with t:
            subprocess.run([path, "not-the-child"])
            open(flag, "w").close()
            assert child.wait(20) == 0
            wait_for(lambda: ours(t.events(), path), what="the child's exec")
            t.stop()
        evs = ours(t.events(), path)
        assert [e["args"] for e in evs] == [[path, "from-child"]] and evs[0]["pid"] == child.pid
        assert all(e["pid"] == child.pid for e in t.events())
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_name_filter_matches_comm_substring(workdir):
    a = make_script(workdir, unique("alpha"))
    b = make_script(workdir, unique("beta"))
    with Tracer("execsnoop-k8s", "-n", "alpha", probe=lambda m: subprocess.run([a, m])) as t:
        subprocess.run([b, "b-run"])
        subprocess.run([a, "a-run"])
        wait_for(lambda: [e for e in t.events() if e["args"] == [a, "a-run"]], what="alpha's exec")
        t.stop()
    assert all(e["comm"].startswith("alpha") for e in t.events())
    assert not ours(t.events(), b)


def test_line_filter_matches_any_argument(workdir):
    path = make_script(workdir)
    with Tracer("execsnoop-k8s", "-l", "needle", probe=lambda m: subprocess.run([path, "needle", m])) as t:
        subprocess.run([path, "hay", "stack"])
        subprocess.run([path, "hay", "a-needle-here"])
        wait_for(lambda: [e for e in t.events() if e["args"][-1] == "a-needle-here"], what="the match")
        t.stop()
    evs = ours(t.events(), path)
    assert all(any("needle" in a for a in e["args"]) for e in evs)
    assert not [e for e in evs if e["args"] == [path, "hay", "stack"]]


def test_fields_selects_json_keys_and_columns(workdir):
    path = make_script(workdir)
    with Tracer("execsnoop-k8s", "--fields", "comm,pid,args,runtime.containerId") as t:
        subprocess.run([path, "f"])
        wait_for(lambda: [e for e in t.events() if e.get("args") == [path, "f"]], what="the exec event")
        t.stop()
    [e] = [e for e in t.events() if e.get("args") == [path, "f"]]
    assert set(e) == {"comm", "pid", "args", "runtime"} and set(e["runtime"]) == {"containerId"}

    with Tracer("execsnoop-k8s", "--fields", "pid,comm,args", json_mode=False) as t:
        subprocess.run([path, "f"])
        wait_for(lambda: path.encode() in t.raw(), what="the exec line")
        t.stop()
    assert t.lines()[0].split() == ["PID", "PCOMM", "ARGS"]
    [line] = [l for l in t.lines() if path in l]
    assert line.split()[1:] == [os.path.basename(path)[:15], path, "f"]


def test_time_timestamp_and_uid_columns(workdir):
    path = make_script(workdir)
    with Tracer("execsnoop-k8s", "-T", "-t", "-U", json_mode=False) as t:
        subprocess.run([path])
        wait_for(lambda: path.encode() in t.raw(), what="the exec line")
        t.stop()
    assert t.lines()[0].split() == ["CONTAINER", "TIME", "TIME(s)", "UID", "PCOMM", "PID", "PPID", "RET", "ARGS"]
    [line] = [l.split() for l in t.lines() if path in l]
    assert re.fullmatch(r"\d\d:\d\d:\d\d", line[1])
    assert re.fullmatch(r"\d+\.\d{3}", line[2]) and line[3] == "0"


# --- lifecycle: every way of stopping exits 0 and leaves nothing attached ---

def prog_ids_of(pid):
    """The ids of the BPF programs process @pid holds (its fds' fdinfo): this tracer's own, whatever else runs
    on the node (another gadgetbox's programs have the same names)."""
    ids = set()
    d = f"/proc/{pid}/fdinfo"
    for fd in os.listdir(d) if os.path.isdir(d) else ():
        try:
            with open(os.path.join(d, fd)) as f:
                ids |= {int(line.split()[1]) for line in f if line.startswith("prog_id:")}
        except OSError:
            pass
    return ids


def held_progs(proc):
    """Wait until @proc (a Popen) holds its programs; their ids."""
    return wait_for(lambda: prog_ids_of(proc.pid) or proc.poll() is not None and {-1}, timeout=30,
                    what="the tracer's BPF programs")


def loaded_prog_ids():
    out = subprocess.run(["bpftool", "-j", "prog", "list"], check=True, capture_output=True, text=True).stdout
    return {p["id"] for p in json.loads(out or "[]")}


def assert_nothing_left(ids):
    """None of the tracer's programs (@ids) is still loaded: nothing stays attached once it is gone."""
    assert ids and -1 not in ids, "the tracer held no BPF program"
    wait_for(lambda: not (ids & loaded_prog_ids()), timeout=10, what="BPF programs to be unloaded")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_exits_0_and_detaches(sig):
    with Tracer("execsnoop-k8s") as t:
        assert OUR_PROGS & bpf_program_names()
        ids = held_progs(t.proc)
        assert t.stop(sig) == 0
    assert_nothing_left(ids)


def test_timeout_exits_0_and_detaches():
    start = time.time()
    p = subprocess.Popen(gadgetbox_cmd("execsnoop-k8s", "--timeout", "1"), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    ids = held_progs(p)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 0, err
    assert time.time() - start >= 1.0
    assert out.startswith(b"CONTAINER")
    assert_nothing_left(ids)


def test_closed_pipe_exits_0_and_detaches(workdir):
    tracer = subprocess.Popen(gadgetbox_cmd("execsnoop-k8s", "--host"), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    head = subprocess.Popen(["head", "-1"], stdin=tracer.stdout, stdout=subprocess.PIPE)
    tracer.stdout.close()
    ids = held_progs(tracer)
    first = head.communicate(timeout=20)[0]
    assert first.startswith(b"CONTAINER")
    deadline = time.time() + 20
    while tracer.poll() is None and time.time() < deadline:
        subprocess.run(["/bin/true"])  # something to write into the closed pipe
        time.sleep(0.05)
    assert tracer.wait(5) == 0, tracer.stderr.read()
    assert tracer.stderr.read() == b""
    assert_nothing_left(ids)


def test_sigkill_leaves_nothing_attached():
    with Tracer("execsnoop-k8s") as t:
        ids = held_progs(t.proc)
        t.proc.kill()
        t.proc.wait()
    assert_nothing_left(ids)


# --- environment errors ---

def test_btf_file_option_works_with_a_copy_of_the_kernel_btf(workdir):
    btf = os.path.join(workdir, "vmlinux.btf")
    shutil.copy("/sys/kernel/btf/vmlinux", btf)
    with Tracer("execsnoop-k8s", "--btf", btf) as t:
        assert t.stop() == 0


def test_missing_btf_file_is_one_line_error_exit_1(workdir):
    r = subprocess.run(gadgetbox_cmd("execsnoop-k8s", "--btf", os.path.join(workdir, "nope")),
                       capture_output=True, text=True)
    assert r.returncode == 1
    assert r.stderr.count("\n") == 1 and "BTF" in r.stderr and "nope" in r.stderr


def test_unprivileged_user_gets_one_line_error_exit_1():
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
                        BINARY, "execsnoop-k8s"], capture_output=True, text=True)
    assert r.returncode == 1
    assert r.stderr.count("\n") == 1 and "needs root" in r.stderr


FORK_EXEC_C = r"""
#include <sys/wait.h>
#include <unistd.h>
int main(void)
{
	/* literals in .rodata: in a fresh child these pages are usually not mapped yet when execve starts */
	char *const argv[] = {"first-literal", "second literal", "third\nliteral", 0};
	for (int i = 0; i < 20; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			execv(TARGET, argv);
			_exit(127);
		}
		waitpid(pid, 0, 0);
	}
	return 0;
}
"""


def test_argv_in_pages_not_yet_mapped_after_fork_is_complete(workdir):
    target = make_script(workdir)
    src = os.path.join(workdir, "forkexec.c")
    prog = os.path.join(workdir, unique("forkexec"))
    with open(src, "w") as f:
        f.write(FORK_EXEC_C)
    subprocess.run(["gcc", "-O2", f'-DTARGET="{target}"', "-o", prog, src], check=True)
    with Tracer("execsnoop-k8s") as t:
        subprocess.run([prog], check=True)
        wait_for(lambda: len(ours(t.events(), target)) >= 20, what="20 execs")
        t.stop()
    evs = ours(t.events(), target)
    assert len(evs) == 20
    for e in evs:
        assert e["args"] == ["first-literal", "second literal", "third\nliteral"], e
        assert e["argsTruncated"] is False and e["filename"] == target


EXEC32_C = r"""
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
/* execve through the i386 syscall ABI (int $0x80, syscall 11) from a 64-bit process: pointers below 4 GiB */
static long exec32(char *low, const char *path, char *const *argv)
{
	unsigned *av = (unsigned *)low;
	char *strings = low + 256;
	int n = 0;
	strcpy(strings, path);
	char *p32 = strings;
	strings += strlen(path) + 1;
	for (; argv[n]; n++) {
		strcpy(strings, argv[n]);
		av[n] = (unsigned)(unsigned long)strings;
		strings += strlen(argv[n]) + 1;
	}
	av[n] = 0;
	long ret;
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(11L), "b"(p32), "c"(av), "d"(0L) : "memory");
	return ret;
}
int main(int argc, char **argv)
{
	char *low = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (low == MAP_FAILED)
		return 3;
	printf("%ld\n", exec32(low, argv[1], argv + 2)); /* a failure returns */
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		exec32(low, argv[2], argv + 2);
		_exit(127);
	}
	int status;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 4;
}
"""


def test_exec_through_the_i386_syscall_abi_is_traced(workdir):
    target = make_script(workdir)
    missing = os.path.join(workdir, unique("missing32"))
    src = os.path.join(workdir, "exec32.c")
    prog = os.path.join(workdir, unique("exec32"))
    with open(src, "w") as f:
        f.write(EXEC32_C)
    subprocess.run(["gcc", "-O2", "-o", prog, src], check=True)
    with Tracer("execsnoop-k8s", "-x", "--ia32") as t:
        r = subprocess.run([prog, missing, target, "thirty-two", "bit args"], capture_output=True, text=True)
        if r.returncode == 3 or r.stdout.strip() == "-38":
            pytest.skip("no i386 syscall ABI here")
        assert r.returncode == 0 and r.stdout.strip() == "-2", r
        wait_for(lambda: ours(t.events(), target), what="the 32-bit exec")
        t.stop()
    [failed] = ours(t.events(), missing)
    assert (failed["error"], failed["args"]) == ("ENOENT", [target, "thirty-two", "bit args"])
    [ok] = ours(t.events(), target)
    assert ok["ret"] == 0 and ok["args"] == [target, "thirty-two", "bit args"]
