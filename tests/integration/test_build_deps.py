"""The build's dependencies: fetched with the real apt client from Debian's mirror, falling back to the next
version when one cannot be downloaded, named by `gadgetbox --version`, and a fresh clone builds."""
import os
import re
import shutil
import subprocess
import tempfile

import pytest

from conftest import BINARY, ROOT

FETCH = os.path.join(ROOT, "scripts", "fetch-source.sh")
APT_DIR = os.path.join(ROOT, "build", "deps", "apt")  # the build's private apt state, already updated


def fetch(*args, dest):
    return subprocess.run(["bash", FETCH, "--apt-dir", APT_DIR, *args, "zlib", dest],
                          capture_output=True, text=True, timeout=300)


def listed_versions(pkg):
    """Versions apt lists for a source package, asked of apt itself with the build's configuration."""
    opts = ["-o", f"Dir::Etc::SourceList={APT_DIR}/gadgetbox.sources", "-o", f"Dir::Etc::SourceParts={APT_DIR}/parts",
            "-o", f"Dir::State::Lists={APT_DIR}/lists", "-o", "Dir::Cache::pkgcache=", "-o", "Dir::Cache::srcpkgcache="]
    out = subprocess.run(["apt-cache", *opts, "madison", pkg], capture_output=True, text=True, check=True).stdout
    return {line.split("|")[1].strip() for line in out.splitlines() if line.rstrip().endswith("Sources")}


@pytest.fixture
def dest():
    d = tempfile.mkdtemp(prefix="gb-fetch-")
    yield os.path.join(d, "zlib")
    shutil.rmtree(d)


def test_a_version_listed_nowhere_falls_back_to_the_next_and_names_it(dest):
    r = fetch("--try", "0.0.1-nowhere", dest=dest)
    assert r.returncode == 0, r.stderr
    used, suite, upstream = r.stdout.split()
    assert "zlib 0.0.1-nowhere (not listed by apt) could not be fetched" in r.stderr
    assert "trying the next version" in r.stderr
    assert used in listed_versions("zlib"), used
    assert upstream == "1.2.13"  # scripts/deps.list prefers bookworm's zlib
    assert os.path.isfile(os.path.join(dest, "zlib.h")) and os.path.isfile(os.path.join(dest, "configure"))
    # every version that failed before the one used is named with apt's reason
    for failed in re.findall(r"zlib (\S+) \(.*?\) could not be fetched: (.*); trying", r.stderr):
        assert failed[1].startswith("E: "), failed


def test_a_listed_version_whose_files_are_gone_falls_back(dest):
    """bookworm-security lists zlib 1:1.2.13.dfsg-1+deb12u1 but its files answer 404 (seen 2026-12-01)."""
    missing = "1:1.2.13.dfsg-1+deb12u1"
    if missing not in listed_versions("zlib"):
        pytest.skip(f"the mirror no longer lists {missing}")
    r = fetch("--try", missing, "--try", "1:1.2.13.dfsg-1", "--no-fallback", dest=dest)
    assert r.returncode == 0, r.stderr
    if f"zlib {missing} (" in r.stderr:  # still 404: the next one was used
        assert "404" in r.stderr and r.stdout.split()[0] == "1:1.2.13.dfsg-1"
    else:  # the mirror serves it again
        assert r.stdout.split()[0] == missing


def test_when_every_version_fails_apt_errors_and_advice_are_printed(dest):
    r = fetch("--try", "0.0.1-nowhere", "--try", "0.0.2-nowhere", "--no-fallback", dest=dest)
    assert r.returncode == 1
    assert "no version of zlib could be fetched (tried: 0.0.1-nowhere 0.0.2-nowhere)" in r.stderr
    assert "E: Can not find version '0.0.2-nowhere'" in r.stderr  # apt's own words
    assert "try again later" in r.stderr
    assert not os.path.exists(dest)


def test_version_names_every_dependency_the_build_used():
    r = subprocess.run([BINARY, "--version"], capture_output=True, text=True, check=True)
    lines = r.stdout.splitlines()
    with open(os.path.join(ROOT, "build", "deps", "VERSIONS")) as f:
        used = [line.split() for line in f if line.strip()]
    assert [u[0] for u in used] == ["libbpf", "libelf", "zlib", "cJSON", "libmicrohttpd", "musl"]
    assert lines[1] == ", ".join(f"{u[0]} {u[1]}" for u in used)
    for name, upstream, debian, _suite in used:
        assert f"{name} {upstream} (Debian {debian})" in lines[2]


def test_second_make_is_a_no_op():
    r = subprocess.run(["make", "-C", ROOT, "-q"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_fresh_clone_builds_from_nothing():
    """rm -rf build && make in a clone of this checkout: dependencies fetched from the mirror and built."""
    d = tempfile.mkdtemp(prefix="gb-clone-")
    try:
        subprocess.run(["git", "clone", "-q", ROOT, d], check=True)
        r = subprocess.run(["make", "-C", d], capture_output=True, text=True, timeout=900)
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
        for name in ("libbpf", "libelf", "zlib", "cJSON", "libmicrohttpd"):
            assert re.search(rf"build-deps: {name} +\S+ +\(Debian \S+, \S+\) fetched in [\d.]+ s, built in", r.stderr), name
        v = subprocess.run([os.path.join(d, "gadgetbox"), "--version"], capture_output=True, text=True, check=True)
        with open(os.path.join(d, "build", "deps", "VERSIONS")) as f:
            named = ", ".join(" ".join(line.split()[:2]) for line in f if line.strip())
        assert v.stdout.splitlines()[1] == named
        assert subprocess.run(["make", "-C", d, "-q"]).returncode == 0
    finally:
        shutil.rmtree(d)
