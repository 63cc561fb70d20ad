"""The output options every applet shares, on real containers and real processes: --filter (container terms also
narrow the in-kernel filter, the rest applies in user space), --sort and --max-entries for snapshots, and the
-o jsonpretty and -o yaml formats (parsed back and compared with -o json)."""
import json
import os
import re
import subprocess
import uuid

import pytest
import yaml

from conftest import Tracer, gadgetbox_cmd, unique, wait_for
from runtimes import container_runtimes, containers  # noqa: F401 (fixtures)


# ---- helpers -------------------------------------------------------------------------------------------------

def loop_cmd(marker, period="0.1"):
    """A container command that execs `/bin/true MARKER` again and again until killed."""
    return ["sh", "-c", f"while :; do /bin/true {marker}; sleep {period}; done"]


def ns_exec(pid, *argv):
    """Run argv in the mount namespace of process pid: gadgetbox attributes the exec to the container owning it.
    (nsenter itself is a host exec.)"""
    subprocess.run(["nsenter", "-t", str(pid), "-m", "--", *argv], check=True, timeout=20,
                   stdout=subprocess.DEVNULL)


def events(t):
    """Parsed JSON events of a Tracer, without {"type": ...} records (lost, warning)."""
    return [e for e in t.records() if "type" not in e]


def with_arg(evs, marker):
    """Exec events that have marker as an argument, made inside a container (not the host's nsenter)."""
    return [e for e in evs if marker in e.get("args", []) and e.get("comm") != "nsenter"]


def run_applet(applet, *args, timeout=60):
    return subprocess.run(gadgetbox_cmd(applet, *args), capture_output=True, timeout=timeout)


def json_rows(applet, *args):
    r = run_applet(applet, "-o", "json", *args)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    rows = [json.loads(line) for line in r.stdout.decode().splitlines() if line]
    return [row for row in rows if "type" not in row]


def pretty_objects(text):
    """Every top-level JSON value of text (indented objects one after another)."""
    dec, objs, i = json.JSONDecoder(), [], 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i == len(text):
            return objs
        obj, i = dec.raw_decode(text, i)
        objs.append(obj)


def without(d, *keys):
    return {k: v for k, v in d.items() if k not in keys}


def make_script(workdir, name):
    path = os.path.join(workdir, name)
    with open(path, "w") as f:
        f.write("#!/bin/sh\nexit 0\n")
    os.chmod(path, 0o755)
    return path


def try_open(path):
    try:
        os.close(os.open(path, os.O_RDONLY))
    except OSError:
        pass


def started(*tracers):
    """Start every Tracer (each waits until it sees its own probe); on failure, clean up those started."""
    done = []
    try:
        for t in tracers:
            t.start(ready_timeout=30)
            done.append(t)
    except BaseException:
        for t in done:
            t.__exit__(None, None, None)
        for t in tracers[len(done):]:
            subprocess.run(["rm", "-rf", t.dir])
        raise
    return tracers


def finish(*tracers):
    """Stop every tracer (exit 0 expected), keep its output, and remove its files."""
    rcs = []
    for t in tracers:
        try:
            rcs.append(t.stop())
        finally:
            t.__exit__(None, None, None)
    for t, rc in zip(tracers, rcs):
        assert rc == 0, (t.args, rc, t.stderr())


# ---- 1. --filter on a container field (pushed down into the kernel's filter too) -------------------------------

@pytest.fixture
def two_boxes(containers):
    """Two docker containers looping `/bin/true <their marker>`: {"a": (name, id, pid, marker), "b": ...}."""
    u = uuid.uuid4().hex[:10]
    boxes = {}
    for k in ("a", "b"):
        name, marker = f"gb-filt-{k}-{u}", f"loop-{k}-{u}"
        cid = containers.start("docker", name, loop_cmd(marker))
        boxes[k] = (name, cid, containers.pid("docker", cid), marker)
    return boxes


def run_container_filter(expr, host, shown, hidden):
    """execsnoop-k8s --filter EXPR while both boxes exec; the shown box's execs must come through. A synchronous
    exec in the hidden box happens before two synchronous rounds in the shown box, each waited for."""
    s_name, s_cid, s_pid, s_marker = shown
    h_name, h_cid, h_pid, h_marker = hidden
    t = Tracer("execsnoop-k8s", "--filter", expr, host=host, probe=lambda m: ns_exec(s_pid, "/bin/true", m))
    with t:
        wait_for(lambda: len(with_arg(events(t), s_marker)) >= 3, timeout=20, what="the shown box's loop")
        hidden_sync, shown_sync = unique("hidden-sync"), unique("shown-sync")
        ns_exec(h_pid, "/bin/true", hidden_sync)
        for i in range(2):
            ns_exec(s_pid, "/bin/true", f"{shown_sync}-{i}")
            wait_for(lambda: with_arg(events(t), f"{shown_sync}-{i}"), timeout=20, what="the shown box's exec")
        assert t.stop() == 0, t.stderr()
    evs = events(t)
    assert with_arg(evs, s_marker) and with_arg(evs, f"{shown_sync}-0")
    assert not with_arg(evs, h_marker) and not with_arg(evs, hidden_sync)
    assert not [e for e in evs if e["runtime"]["containerName"] == h_name
                or e["runtime"]["containerId"] == h_cid]
    assert {e["runtime"]["containerId"] for e in with_arg(evs, s_marker)} == {s_cid}
    return evs


@pytest.mark.parametrize("host", [False, True], ids=["containers", "with-host"])
def test_filter_container_name_equal_shows_only_that_container(two_boxes, host):
    a, b = two_boxes["a"], two_boxes["b"]
    evs = run_container_filter(f"runtime.containerName=={a[0]}", host, shown=a, hidden=b)
    # only a: not even the host's nsenter execs with --host (they have containerName "")
    assert {e["runtime"]["containerName"] for e in evs} == {a[0]}


@pytest.mark.parametrize("host", [False, True], ids=["containers", "with-host"])
def test_filter_container_name_not_equal_hides_that_container(two_boxes, host):
    a, b = two_boxes["a"], two_boxes["b"]
    evs = run_container_filter(f"runtime.containerName!={a[0]}", host, shown=b, hidden=a)
    host_evs = [e for e in evs if e["runtime"]["containerId"] == ""]
    if host:  # "" != a: the host's own execs (the nsenter that made the probes) pass
        assert [e for e in host_evs if e["comm"] == "nsenter"]
    else:
        assert not host_evs


# ---- 2. a regular expression on a CRI pod's name ------------------------------------------------------------

def test_filter_pod_name_regex_on_cri_pods(containers):
    u = uuid.uuid4().hex[:10]
    ns = f"gbt-fns-{u}"
    pod_a, pod_b = f"gbt-rx-{u}", f"zz-gbt-rx-{u}"  # b contains a's name, but not at the start
    ma, mb = f"loop-pa-{u}", f"loop-pb-{u}"
    cid_a = containers.start("cri", "ca", loop_cmd(ma), pod_name=pod_a, namespace=ns)
    cid_b = containers.start("cri", "cb", loop_cmd(mb), pod_name=pod_b, namespace=ns)
    pid_a, pid_b = containers.pid("cri", cid_a), containers.pid("cri", cid_b)
    regex = f"k8s.podName~^gbt-rx-{u}"
    t_re = Tracer("execsnoop-k8s", "--filter", regex, host=False, probe=lambda m: ns_exec(pid_a, "/bin/true", m))
    # the same with a term the kernel's filter also applies, and the negated regex
    t_ns = Tracer("execsnoop-k8s", "--filter", f"k8s.namespace=={ns},{regex}", host=False,
                  probe=lambda m: ns_exec(pid_a, "/bin/true", m))
    t_not = Tracer("execsnoop-k8s", "--filter", f"k8s.namespace=={ns},k8s.podName!~^gbt-rx-{u}", host=False,
                   probe=lambda m: ns_exec(pid_b, "/bin/true", m))
    started(t_re, t_ns, t_not)
    try:
        for t, m in ((t_re, ma), (t_ns, ma), (t_not, mb)):
            wait_for(lambda: len(with_arg(events(t), m)) >= 3, timeout=20, what="the pod's loop")
        sync = unique("sync")
        ns_exec(pid_b, "/bin/true", sync + "-b")
        ns_exec(pid_a, "/bin/true", sync + "-a")
        for t, m in ((t_re, sync + "-a"), (t_ns, sync + "-a"), (t_not, sync + "-b")):
            wait_for(lambda: with_arg(events(t), m), timeout=20, what="the synchronous exec")
    finally:
        finish(t_re, t_ns, t_not)
    for t, (pod, cid, marker), (other_pod, other_marker) in (
            (t_re, (pod_a, cid_a, ma), (pod_b, mb)), (t_ns, (pod_a, cid_a, ma), (pod_b, mb)),
            (t_not, (pod_b, cid_b, mb), (pod_a, ma))):
        evs = events(t)
        assert with_arg(evs, marker), t.args
        assert not with_arg(evs, other_marker) and not [e for e in evs if e["k8s"]["podName"] == other_pod], t.args
        ours = with_arg(evs, marker)
        assert {(e["k8s"]["podName"], e["k8s"]["namespace"], e["runtime"]["containerId"]) for e in ours} == \
            {(pod, ns, cid)}
    assert {e["k8s"]["podName"] for e in events(t_re)} == {pod_a}
    assert {e["k8s"]["podName"] for e in events(t_ns)} == {pod_a}
    assert {e["k8s"]["podName"] for e in events(t_not)} == {pod_b}


# ---- 3. --filter on event fields ------------------------------------------------------------------------------

def test_filter_comm_and_args_regex_on_host_execs(workdir):
    u = uuid.uuid4().hex[:10]
    c1, c2 = f"gbc{u}", f"gbd{u}"  # 13 characters: the whole name is the comm
    p1, p2 = make_script(workdir, c1), make_script(workdir, c2)
    token = f"tok{u}"
    def probe(m):  # matches both filters
        subprocess.run([p1, token, f"m0-{u}", m])
    t = Tracer("execsnoop-k8s", "--filter", f"comm=={c1},args~{token}", probe=probe)
    # args is matched as its elements joined by spaces: an anchored regex over the whole argv
    t_anch = Tracer("execsnoop-k8s", "--filter", f"args~^{p1} {token} m[0-9]+-{u}( |$)", probe=probe)
    started(t, t_anch)
    try:
        subprocess.run([p1, token, f"m1-{u}"], check=True)   # both match
        subprocess.run([p1, "nope", f"m2-{u}"], check=True)  # comm only
        subprocess.run([p2, token, f"m3-{u}"], check=True)   # args only
        subprocess.run([p1, "x", token, f"m5-{u}"], check=True)  # both, but not at the anchored place
        subprocess.run([p1, token, f"m4-{u}"], check=True)   # both match: the last one
        wait_for(lambda: with_arg(events(t), f"m4-{u}"), timeout=20, what="the last exec")
        wait_for(lambda: with_arg(events(t_anch), f"m4-{u}"), timeout=20, what="the last exec")
    finally:
        finish(t, t_anch)
    evs = events(t)
    assert evs and all(e["comm"] == c1 and token in e["args"] for e in evs), evs
    got = {a for e in evs for a in e["args"] if a.endswith(u) and a.startswith("m")}
    assert got == {f"m0-{u}", f"m1-{u}", f"m4-{u}", f"m5-{u}"}
    anch = events(t_anch)
    assert all(e["args"][:2] == [p1, token] for e in anch), anch
    assert {e["args"][2] for e in anch} == {f"m0-{u}", f"m1-{u}", f"m4-{u}"}


def test_filter_numeric_comparison_on_open_results(workdir):
    d = os.path.join(workdir, unique("opens"))
    os.mkdir(d)
    f = os.path.join(d, "file")
    open(f, "w").close()
    where = f"path~^{d}/"

    def ok_open(m):
        open(os.path.join(d, m), "w").close()

    # ret<0: every failure; ret<-5 as numbers: ENOTDIR (-20) but not ENOENT (-2) ("-2" < "-5" as bytes);
    # ret>=0: only successes
    t_fail = Tracer("opensnoop-k8s", "--filter", f"ret<0,{where}", probe=lambda m: try_open(os.path.join(d, m)))
    t_lt5 = Tracer("opensnoop-k8s", "--filter", f"ret<-5,{where}", probe=lambda m: try_open(f"{f}/{m}"))
    t_ok = Tracer("opensnoop-k8s", "--filter", f"ret>=0,{where}", probe=ok_open)
    started(t_fail, t_lt5, t_ok)
    u = uuid.uuid4().hex[:8]
    missing, notdir = os.path.join(d, f"missing-{u}"), f"{f}/sub-{u}"
    try:
        try_open(f)          # fd >= 3
        try_open(missing)    # -ENOENT
        try_open(notdir)     # -ENOTDIR
        try_open("/nonexistent-gb-elsewhere/" + u)  # fails, outside d
        last = unique("last")
        try_open(os.path.join(d, last))
        try_open(f"{f}/{last}")
        ok_open(last + "-ok")
        for t, p in ((t_fail, os.path.join(d, last)), (t_lt5, f"{f}/{last}"), (t_ok, os.path.join(d, last + "-ok"))):
            wait_for(lambda: [e for e in events(t) if e["path"] == p], timeout=20, what="the last open")
    finally:
        finish(t_fail, t_lt5, t_ok)
    for t in (t_fail, t_lt5, t_ok):
        assert all(e["path"].startswith(d + "/") for e in events(t)), t.args
    fail = events(t_fail)
    assert all(e["ret"] < 0 for e in fail)
    assert {(e["path"], e["error"]) for e in fail if u in e["path"]} == {(missing, "ENOENT"), (notdir, "ENOTDIR")}
    lt5 = events(t_lt5)
    assert all(e["ret"] < -5 for e in lt5)
    assert {(e["path"], e["ret"]) for e in lt5 if u in e["path"]} == {(notdir, -20)}
    ok = events(t_ok)
    assert all(e["ret"] >= 0 and "error" not in e for e in ok)
    assert f in {e["path"] for e in ok}
    assert not [e for e in ok if u in e["path"]]


# ---- 4. bad expressions -----------------------------------------------------------------------------------------

APPLETS = ["execsnoop-k8s", "opensnoop-k8s", "pssnap", "socksnap", "containers", "dnssnoop"]


def usage_error(applet, *args):
    r = run_applet(applet, *args, timeout=30)
    err = r.stderr.decode(errors="replace")
    assert r.returncode == 2, (r.returncode, err)
    assert r.stdout == b""
    assert err.endswith("\n") and err.count("\n") == 1, err  # one line
    assert err.startswith(applet + ": "), err
    return err


@pytest.mark.parametrize("applet", APPLETS)
def test_filter_single_equals_is_a_usage_error_naming_the_position(applet):
    err = usage_error(applet, "--filter", "pid=5")
    assert "position 4" in err and "'=='" in err, err


@pytest.mark.parametrize("applet", APPLETS)
def test_filter_unknown_field_is_a_usage_error_listing_known_fields(applet):
    err = usage_error(applet, "--filter", "nosuch==1")
    assert "unknown field 'nosuch'" in err, err
    m = re.search(r"known fields: ([\w.,]+)", err)
    assert m, err
    known = m.group(1).split(",")
    assert "runtime.containerName" in known and "k8s.podName" in known and "nosuch" not in known


@pytest.mark.parametrize("args,what", [
    (["--filter", "comm~("], "position 6"),       # a regex that does not compile
    (["--filter", "comm==x,"], "empty term"),
    (["--sort", "nosuch"], "unknown field 'nosuch'"),
    (["--max-entries", "0"], "--max-entries"),
    (["--max-entries", "abc"], "--max-entries"),
])
def test_other_bad_output_options_are_usage_errors(args, what):
    err = usage_error("pssnap", *args)
    assert what in err, err


# ---- 5. pssnap --sort and --max-entries -------------------------------------------------------------------------

def test_pssnap_sort_and_max_entries(containers):
    u = uuid.uuid4().hex[:10]
    names = [f"gb-sort-{k}-{u}" for k in "abc"]
    cmds = [["sleep", "100001"],                                             # 1 process: sleep
            ["sh", "-c", "sleep 100002 & sleep 100003 & wait"],               # sh + 2 sleeps
            ["sh", "-c", "sleep 100004 & sleep 100005 & sleep 100006 & wait"]]  # sh + 3 sleeps
    for n, c in zip(names, cmds):
        containers.start("docker", n, c)
    sel = ["-c", ",".join(names)]

    def counts():
        rows = json_rows("pssnap", *sel)
        return [len([r for r in rows if r["runtime"]["containerName"] == n]) for n in names]
    wait_for(lambda: counts() == [1, 3, 4], timeout=20, what="the containers' processes")

    rows = json_rows("pssnap", *sel, "--sort", "comm,-pid")
    got = [(r["comm"], r["pid"]) for r in rows]
    assert len(got) == 8
    assert got == sorted(got, key=lambda x: (x[0], -x[1]))
    assert [c for c, _ in got] == ["sh"] * 2 + ["sleep"] * 6
    assert got != sorted(got, key=lambda x: x[1])  # not just pid order

    rows = json_rows("pssnap", *sel, "--sort", "-threads,comm,-pid")  # all threads == 1: ties keep comm,-pid
    assert [(r["comm"], r["pid"]) for r in rows] == got

    top2 = json_rows("pssnap", *sel, "--sort", "comm,-pid", "--max-entries", "2")
    assert [(r["comm"], r["pid"]) for r in top2] == got[:2]

    top3 = json_rows("pssnap", *sel, "--sort", "runtime.containerName,pid", "--max-entries", "3")
    assert [r["runtime"]["containerName"] for r in top3] == [names[0], names[1], names[1]]

    r = run_applet("pssnap", *sel, "--sort", "-pid", "--max-entries", "1")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.decode().splitlines()
    assert len(lines) == 2, lines
    assert lines[0].split()[:2] == ["CONTAINER", "PID"]
    newest = max(got, key=lambda x: x[1])
    assert int(lines[1].split()[1]) == newest[1] and f" {newest[0]} " in lines[1]  # in ARGS (last column)


# ---- 6. socksnap --sort on a number ---------------------------------------------------------------------------

def test_socksnap_sort_by_port_is_numeric(containers):
    name = unique("gb-ssort")
    ports = [9001, 800, 65001, 10002]  # as bytes "10002" < "65001" < "800" < "9001"
    listeners = " ".join(f"nc -l -p {p} &" for p in ports)
    containers.start("docker", name, ["sh", "-c", f"{listeners} exec sleep 100000"])
    sel = ["-tl", "-c", name]
    wait_for(lambda: len(json_rows("socksnap", *sel)) == 4, timeout=20, what="the listening sockets")

    def port_list(*args):
        return [r["src"]["port"] for r in json_rows("socksnap", *sel, *args)]
    assert port_list("--sort", "src.port") == sorted(ports)
    assert port_list("--sort", "-src.port") == sorted(ports, reverse=True)
    assert port_list("--filter", "src.port>=1000", "--sort", "src.port") == [9001, 10002, 65001]
    assert port_list("--filter", "src.port>=1000,src.port<=10002", "--sort", "-src.port") == [10002, 9001]
    assert port_list("--sort", "-src.port", "--max-entries", "3") == [65001, 10002, 9001]

    r = run_applet("socksnap", *sel, "--sort", "-src.port", "--max-entries", "2")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.decode().splitlines()
    assert len(lines) == 3 and lines[0].split()[0] == "CONTAINER", lines
    col = lines[0].split().index("LOCAL")
    assert [line.split()[col].rsplit(":", 1)[1] for line in lines[1:]] == ["65001", "10002"]


# ---- 7. containers -o yaml / -o jsonpretty ---------------------------------------------------------------------

def test_containers_yaml_and_jsonpretty_equal_json(containers):
    u = uuid.uuid4().hex[:10]
    a, b = f"gb-pretty-a-{u}", f"gb-pretty-b-{u}"
    cid_a = containers.start("docker", a, ["sleep", "100000"])
    cid_b = containers.start("docker", b, ["sleep", "100000"])
    both = f"runtime.containerName~^gb-pretty-[ab]-{u}$"
    wait_for(lambda: len(json_rows("containers", "--filter", both)) == 2, timeout=20, what="both containers")

    r = run_applet("containers", "-o", "yaml", "--filter", f"runtime.containerName=={a}")
    assert r.returncode == 0, r.stderr
    docs = [d for d in yaml.safe_load_all(r.stdout.decode()) if d is not None]
    assert len(docs) == 1, r.stdout
    [doc] = docs
    assert doc["runtime"]["containerName"] == a and doc["runtime"]["containerId"] == cid_a
    [j] = json_rows("containers", "--filter", f"runtime.containerName=={a}")
    assert without(doc, "timestamp") == without(j, "timestamp")
    assert isinstance(doc["timestamp"], int) and isinstance(doc["pid"], int)

    r = run_applet("containers", "-o", "jsonpretty", "--filter", both, "--sort", "runtime.containerName")
    assert r.returncode == 0, r.stderr
    text = r.stdout.decode()
    pretty = pretty_objects(text)
    plain = json_rows("containers", "--filter", both, "--sort", "runtime.containerName")
    assert [without(o, "timestamp") for o in pretty] == [without(o, "timestamp") for o in plain]
    assert [(o["runtime"]["containerName"], o["runtime"]["containerId"]) for o in pretty] == [(a, cid_a), (b, cid_b)]
    lines = text.splitlines()
    assert lines[0] == "{" and re.match(r'^  "\w+": ', lines[1]) and "}" in lines
    assert len(lines) > 2 * len(pretty[0])  # indented: one member per line


# ---- 8. execsnoop-k8s -o yaml: the exact argv ---------------------------------------------------------------

def test_execsnoop_yaml_args_round_trip(workdir):
    name = unique("gby")
    path = make_script(workdir, name)
    u = uuid.uuid4().hex[:10]
    argv = [path, 'say "hi"', "back\\slash", "h\u00e9llo w\u00f6rld \u2713", "ctl\x01byte", "line1\nline2",
            "tab\there", "- dash", "key: value", "yes", "null", "123", "", "#hash", "'single'", "{[flow]}",
            "trailing ", "\x7fdel\x1b[0m", f"end-{u}"]
    t_yaml = Tracer("execsnoop-k8s", "-n", name, "-o", "yaml", probe=lambda m: subprocess.run([path, m]))
    t_json = Tracer("execsnoop-k8s", "-n", name, probe=lambda m: subprocess.run([path, m]))
    started(t_yaml, t_json)
    try:
        subprocess.run(argv, check=True)
        wait_for(lambda: f"end-{u}".encode() in t_yaml.raw(), timeout=20, what="the exec in YAML")
        wait_for(lambda: [e for e in events(t_json) if e["args"] == argv], timeout=20, what="the exec in JSON")
    finally:
        finish(t_yaml, t_json)
    text = t_yaml.raw().decode()
    assert text.startswith("---\n")
    docs = [d for d in yaml.safe_load_all(text) if d is not None]
    assert docs and all(isinstance(d, dict) for d in docs)
    ours = [d for d in docs if d.get("args", [None])[-1] == f"end-{u}"]
    assert len(ours) == 1, ours
    [y] = ours
    assert y["args"] == argv
    [j] = [e for e in events(t_json) if e["args"] == argv]
    # the same event: every field the same value and type (each tracer converts its own clock to the epoch)
    assert without(y, "timestamp") == without(j, "timestamp")
    assert isinstance(y["timestamp"], int) and abs(y["timestamp"] - j["timestamp"]) < 10**9
