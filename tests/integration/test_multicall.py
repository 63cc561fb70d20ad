"""The multicall binary: dispatch, listing, --install, usage errors, and what the build produced."""
import os
import struct
import subprocess

from conftest import BINARY


def run(*args, **kw):
    return subprocess.run(list(args), capture_output=True, text=True, **kw)


def test_no_arguments_lists_applets_with_summaries():
    r = run(BINARY)
    assert r.returncode == 0
    assert "execsnoop-k8s" in r.stdout and "Trace every exec()" in r.stdout


def test_list_and_version():
    assert "execsnoop-k8s" in run(BINARY, "--list").stdout
    r = run(BINARY, "--version")
    assert r.returncode == 0 and r.stdout.startswith("gadgetbox ")


def test_version_names_the_platform_it_was_built_for():
    first = run(BINARY, "--version").stdout.splitlines()[0].split()
    machine = {"x86_64": "linux/amd64", "aarch64": "linux/arm64"}[os.uname().machine]
    assert first[0] == "gadgetbox" and first[2] == machine


def test_unknown_applet_is_one_line_and_exit_2():
    r = run(BINARY, "nosuch-applet")
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "nosuch-applet" in r.stderr


def test_unknown_flag_is_one_line_and_exit_2():
    for args in (["--bogus"], ["-Z"], ["-o", "xml"], ["--fields", "pid,nosuchfield"], ["--max-args", "0"],
                 ["-u", "abc"], ["--timeout", "-1"], ["extra-argument"], ["-u"]):
        r = run(BINARY, "execsnoop-k8s", *args)
        assert r.returncode == 2, args
        assert r.stderr.count("\n") == 1, (args, r.stderr)
        assert r.stderr.startswith("execsnoop-k8s: "), r.stderr
    assert "nosuchfield" in run(BINARY, "execsnoop-k8s", "--fields", "nosuchfield").stderr


def test_applet_help_has_examples():
    r = run(BINARY, "execsnoop-k8s", "--help")
    assert r.returncode == 0
    assert "Usage: execsnoop-k8s" in r.stdout and "EXAMPLES:" in r.stdout
    for flag in ("--fails", "--max-args", "--print-uid", "--quote", "--timeout", "--output", "--fields", "--btf"):
        assert flag in r.stdout


def test_install_symlinks_then_applet_runs_by_its_name(workdir):
    r = run(BINARY, "--install", "-s", workdir)
    assert r.returncode == 0, r.stderr
    link = os.path.join(workdir, "execsnoop-k8s")
    assert os.path.islink(link) and os.path.realpath(link) == os.path.realpath(BINARY)
    r = run(link, "--help")
    assert r.returncode == 0 and "Usage: execsnoop-k8s" in r.stdout
    # installing again replaces the links instead of failing
    assert run(BINARY, "--install", "-s", workdir).returncode == 0


def test_install_hard_links(workdir):
    r = run(BINARY, "--install", workdir)
    assert r.returncode == 0, r.stderr
    link = os.path.join(workdir, "execsnoop-k8s")
    assert not os.path.islink(link) and os.stat(link).st_ino == os.stat(BINARY).st_ino
    assert "Usage: execsnoop-k8s" in run(link, "--help").stdout


def test_install_leaves_foreign_files_alone(workdir):
    path = os.path.join(workdir, "execsnoop-k8s")
    with open(path, "w") as f:
        f.write("mine")
    r = run(BINARY, "--install", "-s", workdir)
    assert r.returncode == 1 and "left alone" in r.stderr
    assert open(path).read() == "mine"


def elf_facts(path):
    """(has PT_INTERP, has PT_DYNAMIC, has .symtab) of a 64-bit little-endian ELF file."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1
    e_phoff, e_shoff = struct.unpack_from("<QQ", data, 0x20)
    e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx = struct.unpack_from("<HHHHH", data, 0x36)
    ptypes = {struct.unpack_from("<I", data, e_phoff + i * e_phentsize)[0] for i in range(e_phnum)}
    stypes = {struct.unpack_from("<I", data, e_shoff + i * e_shentsize + 4)[0] for i in range(e_shnum)}
    return 3 in ptypes, 2 in ptypes, 2 in stypes  # PT_INTERP, PT_DYNAMIC, SHT_SYMTAB


def test_binary_is_static_stripped_and_small():
    interp, dynamic, symtab = elf_facts(BINARY)
    assert not interp and not dynamic, "gadgetbox must be statically linked"
    assert not symtab, "gadgetbox must be stripped"
    # seven applets, their eBPF objects (BTF included, for CO-RE) and the DNS decoder: about 1.4 MB
    assert os.path.getsize(BINARY) < 2 * 1024 * 1024
