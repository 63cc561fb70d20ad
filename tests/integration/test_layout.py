"""The structure the README's Layout describes is checked by the project's own means (make check runs
scripts/check-layout): a command-line file that includes a library-internal header, a library file that includes
the command line, and an include cycle between modules each fail it, naming the files; the command line's
include path cannot even find a library-internal header."""
import os
import shutil
import subprocess
import tempfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def tree():
    d = tempfile.mkdtemp(prefix="gb-layout-")
    for sub in ("common", "applets", "scripts"):
        shutil.copytree(os.path.join(ROOT, sub), os.path.join(d, sub))
    shutil.copy(os.path.join(ROOT, "Makefile"), d)
    yield d
    shutil.rmtree(d)


def check(tree):
    return subprocess.run(["python3", os.path.join(tree, "scripts", "check-layout")], capture_output=True, text=True)


def prepend(path, text):
    with open(path) as f:
        body = f.read()
    with open(path, "w") as f:
        f.write(text + body)


def test_the_tree_as_it_is_passes(tree):
    r = check(tree)
    assert r.returncode == 0, r.stderr


def test_a_command_line_file_including_a_library_header_fails(tree):
    prepend(os.path.join(tree, "applets", "execsnoop.c"), '#include "tracer.h"\n')
    r = check(tree)
    assert r.returncode == 1
    assert "applets/execsnoop.c: includes the library-internal common/core/tracer.h" in r.stderr


def test_the_library_including_the_command_line_fails(tree):
    prepend(os.path.join(tree, "common", "core", "tracer.c"), '#include "cli/output.h"\n')
    r = check(tree)
    assert r.returncode == 1
    assert "common/core/tracer.c: the library includes the command line's common/cli/output.h" in r.stderr


def test_an_include_cycle_fails_naming_its_modules(tree):
    # runtimes.h below containers.h, as it is; a header of the lower one including the upper one closes a cycle
    prepend(os.path.join(tree, "common", "containers", "runtimes.h"), '#include "containers.h"\n')
    r = check(tree)
    assert r.returncode == 1
    assert "include cycle between common/containers/containers, common/containers/runtimes" in r.stderr


def test_the_command_lines_include_path_cannot_find_library_headers(tree):
    inc = subprocess.run(["make", "-s", "-C", tree, "print-CLI_INC"], capture_output=True, text=True,
                         check=True).stdout.split()
    assert "-Icommon/cli" in inc and "-Icommon/util" in inc
    src = os.path.join(tree, "probe.c")
    for header, compiles in (("gadgetbox.h", True), ("output.h", True), ("strbuf.h", True), ("tracer.h", False),
                             ("containers.h", False), ("loop.h", False)):
        with open(src, "w") as f:
            f.write(f'#include "{header}"\nint probe;\n')
        r = subprocess.run(["cc", "-fsyntax-only", *inc, src], cwd=tree, capture_output=True, text=True)
        assert (r.returncode == 0) == compiles, (header, r.stderr)
