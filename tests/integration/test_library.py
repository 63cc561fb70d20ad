"""libgadgetbox from the outside: `make install PREFIX=...`, programs built against the installed header and
library with musl-gcc and `pkg-config --static`, driving tracers with callbacks against real containers."""
import os
import re
import shutil
import subprocess
import tempfile
import uuid

import pytest

from conftest import ROOT, wait_for
from runtimes import container_runtimes, containers, cri_pod  # noqa: F401 (fixtures)

EXAMPLES = os.path.join(ROOT, "tests", "library")


@pytest.fixture(scope="module")
def installed():
    """Install into a fresh prefix and build the example programs from there only."""
    prefix = tempfile.mkdtemp(prefix="gb-prefix-")
    bins = tempfile.mkdtemp(prefix="gb-examples-")
    try:
        subprocess.run(["make", "-C", ROOT, "-s", "install", f"PREFIX={prefix}"], check=True, capture_output=True)
        env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(prefix, "lib", "pkgconfig"))
        flags = subprocess.run(["pkg-config", "--static", "--cflags", "--libs", "gadgetbox"], env=env, check=True,
                               capture_output=True, text=True).stdout.split()
        assert f"-I{prefix}/include" in flags and "-lgadgetbox" in flags, flags
        out = {}
        for name in ("exec_example", "own_loop"):
            out[name] = os.path.join(bins, name)
            subprocess.run(["musl-gcc", "-static", "-Wall", "-Wextra", "-Werror", "-o", out[name],
                            os.path.join(EXAMPLES, name + ".c"), *flags], check=True, env=env)
        yield {"prefix": prefix, **out}
    finally:
        shutil.rmtree(prefix)
        shutil.rmtree(bins)


class Program:
    """A program in the background with its stdout in a file."""

    def __init__(self, *cmd):
        self.dir = tempfile.mkdtemp(prefix="gb-lib-")
        self.out = os.path.join(self.dir, "out")
        self.err = os.path.join(self.dir, "err")
        with open(self.out, "wb") as o, open(self.err, "wb") as e:
            self.proc = subprocess.Popen(list(cmd), stdout=o, stderr=e)

    def lines(self):
        with open(self.out, "rb") as f:
            text = f.read().decode(errors="replace")
        return text.split("\n")[:-1]

    def stderr(self):
        with open(self.err, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(2)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir)
        return self.proc.returncode


def test_installed_files_are_the_header_the_library_and_its_pkg_config(installed):
    p = installed["prefix"]
    for f in ("include/gadgetbox.h", "lib/libgadgetbox.a", "lib/pkgconfig/gadgetbox.pc", "bin/gadgetbox"):
        assert os.path.isfile(os.path.join(p, f)), f
    # one archive: libbpf, libelf, zlib and cJSON are inside it
    syms = subprocess.run(["nm", "-g", "--defined-only", os.path.join(p, "lib/libgadgetbox.a")], capture_output=True,
                          text=True).stdout
    for sym in ("gb_ctx__new", "gb_exec__open", "gb_open__open", "bpf_object__open_mem", "elf_begin", "inflate",
                "cJSON_Parse"):
        assert re.search(rf"\bT {sym}$", syms, re.M), sym
    # the DNS decoder's types, standing alone too; the library's string buffer is not part of its API
    assert os.path.isfile(os.path.join(p, "include/gadgetbox/dnsmsg.h"))
    assert not os.path.exists(os.path.join(p, "include/gadgetbox/strbuf.h"))
    with open(os.path.join(p, "include/gadgetbox/dnsmsg.h")) as f:
        assert not re.findall(r'#include "', f.read())
    # the public header stands alone: no libbpf or kernel headers needed
    with open(os.path.join(p, "include/gadgetbox.h")) as f:
        includes = re.findall(r"#include <([^>]+)>", f.read())
    assert set(includes) <= {"stdbool.h", "stddef.h", "stdint.h"}, includes


@pytest.mark.parametrize("runtime", ["docker", "cri"])
def test_example_prints_each_exec_in_a_container_with_its_pod(installed, containers, runtime):
    u = uuid.uuid4().hex[:8]
    kw = {"namespace": f"shop-{u}"} if runtime == "cri" else {}
    prog = Program(installed["exec_example"])
    try:
        # busybox's sh runs its applets through /proc/self/exe ("exe"): a looping container shows the
        # example is attached, then a container whose init is cat itself gives the line of the README
        warm = containers.start(runtime, f"warm-{u}", ["sh", "-c", "trap 'exit 0' TERM; while :; do true; sleep 0.1; done"], **kw)
        wait_for(lambda: [l for l in prog.lines() if f" in container warm-{u}" in l], timeout=20, what="attached")
        name = f"web-{u}"
        cid = containers.start(runtime, name, ["cat", "/etc/hostname"],
                               **({"pod_name": f"web-7d4b9-{u}", **kw} if runtime == "cri" else {}))
        pod = f" (pod shop-{u}/web-7d4b9-{u})" if runtime == "cri" else ""
        pattern = re.compile(rf'^A new "cat" process with pid (\d+) was executed in container {name}{re.escape(pod)}$')
        [m] = wait_for(lambda: [m for m in map(pattern.match, prog.lines()) if m], timeout=20,
                       what=f"the example's line for {name}")
        assert int(m.group(1)) > 1
        # only container processes: the host's own execs (runc, the runtimes' shims, this test) are not printed
        assert all(l.startswith('A new "') and " in container " in l for l in prog.lines())
        containers.remove(runtime, cid)
        containers.remove(runtime, warm)
    finally:
        rc = prog.stop()
    assert rc == 0


def test_own_loop_two_tracers_and_a_subscription(installed, containers):
    u = uuid.uuid4().hex[:8]
    name = f"gbt-lib-{u}"
    prog = Program(installed["own_loop"], "60", name)
    try:
        wait_for(lambda: "ready" in prog.lines(), timeout=20, what="ready")
        cid = containers.start("docker", name, ["sh", "-c", "cat /etc/hostname; /nonexistent; exit 0"])
        assert containers.wait("docker", cid) == 0

        def have_all():
            ls = prog.lines()
            return (any(l.startswith(f"REMOVED docker {name} {cid}") for l in ls)
                    and any(l.startswith(f"open {name} ") and "/etc/hostname ret=" in l for l in ls)
                    and any(re.match(rf"exec {name} \d+ \S+ ret=-2 ", l) for l in ls)) and ls
        lines = wait_for(have_all, timeout=20, what="added, exec, open and removed lines")
        mine = [l for l in lines if f" {name} " in l]
        # identified before its events go out: ADDED comes before any of its events, REMOVED after all
        assert mine[0].startswith(f"ADDED docker {name} {cid}"), mine
        assert mine[-1].startswith(f"REMOVED docker {name} {cid}"), mine
        assert any(re.match(rf"exec {name} \d+ sh ret=0 argc=3$", l) for l in mine), mine  # sh -c '...'
        assert any(re.match(rf"exec {name} \d+ \S+ ret=-2 argc=1$", l) for l in mine), mine  # /nonexistent
        # the filter given to the context applies to both tracers: nothing of other containers or the host
        assert all(f" {name} " in l for l in lines if l.startswith(("exec ", "open "))), lines
        containers.remove("docker", cid)
    finally:
        prog.proc.send_signal(15)
        try:
            prog.proc.wait(15)
        except subprocess.TimeoutExpired:
            prog.proc.kill()
        prog.stop()


DNS_PROGRAM = r"""
#include <stdio.h>
#include <gadgetbox.h>
#include <gadgetbox/dnsmsg.h>

int main(void)
{
	/* a query for www.example.com, type AAAA */
	static const unsigned char q[] = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 3, 'w', 'w', 'w', 7, 'e', 'x',
					  'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 28, 0, 1};
	struct gb_dns_msg m = {0};
	char b[GB_DNS_NAME_BUF];
	int rc = gb_dns_parse(&m, q, sizeof(q));
	printf("%d %u %s %s\n", rc, m.id, m.qd[0].name.dig, gb_dns_type_name(m.qd[0].type, b));
	gb_dns_msg_free(&m);
	return 0;
}
"""


def test_installed_dns_decoder(installed, tmp_path):
    """A program built against the installed headers decodes a DNS message with the library's decoder."""
    p = installed["prefix"]
    src, exe = tmp_path / "dns.c", tmp_path / "dns"
    src.write_text(DNS_PROGRAM)
    env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(p, "lib", "pkgconfig"))
    flags = subprocess.run(["pkg-config", "--static", "--cflags", "--libs", "gadgetbox"], env=env, capture_output=True,
                           text=True, check=True).stdout.split()
    r = subprocess.run(["musl-gcc", "-static", "-o", str(exe), str(src), *flags], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert subprocess.run([str(exe)], capture_output=True, text=True).stdout == "0 4660 www.example.com. AAAA\n"
