"""The arm64 build (README "Building for arm64"): `make arm64` cross-builds gadgetbox-arm64 from this checkout,
then the binary runs under qemu-user-static and on Debian's arm64 kernels under qemu-system-aarch64 (TCG).
The first run builds the cross toolchain's dependencies (about 2 minutes); the emulated boots take about 1.5."""
import os
import re
import struct
import subprocess

import pytest

from conftest import ROOT

BUILD = os.path.join(ROOT, "build", "cross-arm64")
BIN = os.path.join(ROOT, "gadgetbox-arm64")
SCRIPT = os.path.join(ROOT, "scripts", "test-arm64.sh")


@pytest.fixture(scope="module")
def arm64():
    r = subprocess.run(["make", "-C", ROOT, "-s", "ARCH=arm64", "all", "unit-cross"], capture_output=True,
                       text=True, timeout=1800)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return BIN


def checks(out):
    """{check: True if ok, False if failed} from test-arm64.sh's lines"""
    return {m.group(2): m.group(1) == "ok" for m in re.finditer(r"^  (ok|FAIL)  +(.*)$", out, re.M)}


def test_the_arm64_binary_is_static_and_names_its_platform(arm64):
    with open(arm64, "rb") as f:
        elf = f.read()
    assert elf[:4] == b"\x7fELF" and elf[4] == 2 and struct.unpack_from("<H", elf, 18)[0] == 183  # EM_AARCH64
    phoff, = struct.unpack_from("<Q", elf, 32)
    phentsize, phnum = struct.unpack_from("<HH", elf, 54)
    types = [struct.unpack_from("<I", elf, phoff + i * phentsize)[0] for i in range(phnum)]
    assert 3 not in types  # no PT_INTERP: static
    with open(os.path.join(BUILD, "syscalls.h")) as f:
        table = f.read()
    # asm-generic numbering, not x86-64's (where 221 is fadvise64 and execve is 59)
    assert '"SCMP_ARCH_AARCH64"' in table and '[221] = "execve"' in table and '[56] = "openat"' in table


def test_under_qemu_user_every_applet_answers_and_the_unit_tests_pass(arm64):
    r = subprocess.run(["bash", SCRIPT, "user", arm64, BUILD], capture_output=True, text=True, timeout=1200)
    assert r.returncode == 0, r.stdout + r.stderr
    got = checks(r.stdout)
    assert got.pop("--version names linux/arm64 and the dependencies")
    for applet in ("execsnoop-k8s", "opensnoop-k8s", "pssnap", "dnssnoop", "seccomp-advise", "containers"):
        assert got.pop(f"{applet} --help"), applet
    units = [k for k in got if k.startswith("unit tests built for arm64")]
    assert units and all(got[k] for k in units)
    assert r.stdout.rstrip().endswith(" 0 failed")


def test_on_debians_arm64_kernels_the_tracers_report_what_happened(arm64):
    r = subprocess.run(["bash", SCRIPT, "system", arm64, BUILD], capture_output=True, text=True, timeout=3600)
    assert r.returncode == 0, r.stdout + r.stderr
    got = checks(r.stdout)
    kernels = sorted({k.split(":")[0] for k in got})
    assert len(kernels) == 2, kernels  # Debian 12's 6.1 and Debian 13's 6.12
    for kver in kernels:
        for check in ("execsnoop", "opensnoop", "pssnap", "seccomp-advise", "unit tests"):
            assert any(k.startswith(f"{kver}: {check}") and ok for k, ok in got.items()), (kver, check, r.stdout)
    # dnssnoop needs Linux 6.2: it must work on the newer kernel
    newest = max(kernels, key=lambda k: [int(x) for x in re.findall(r"\d+", k)[:2]])
    assert any(k.startswith(f"{newest}: dnssnoop") and ok for k, ok in got.items()), r.stdout
    # the exec's argv came through whole, one argument with a space in it
    assert '"args":["/bin/busybox","true","gbt-arm64-exec","two words","third"]' in r.stdout
    assert re.search(r'"error":"ENOENT".*"/gbt-arm64/no/such/file"|"/gbt-arm64/no/such/file".*"error":"ENOENT"',
                     r.stdout)
