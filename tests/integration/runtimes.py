"""Real container runtimes for integration tests: start containers under docker (runc or crun), podman,
containerd's `ctr` and the Kubernetes CRI, get their ids, PIDs, output and exit status, and remove them.

The daemons come from scripts/runtimes.sh (`up` once per test session, from runtimes_up(); stop them with
`scripts/runtimes.sh down`). Every container runs the local busybox-static image BUSYBOX, with no network
(docker/podman `--network none`, ctr a fresh netns, CRI host network unless asked otherwise).

In a test module:

    from runtimes import RUNTIMES, container_runtimes, containers  # noqa: F401,F811 (fixtures)

    @pytest.mark.parametrize("runtime", RUNTIMES)
    def test_something(containers, runtime):
        cid = containers.start(runtime, "gbt-x", ["sh", "-c", "echo hi"])
        assert containers.wait(runtime, cid) == 0
        assert containers.logs(runtime, cid) == "hi\\n"
    # everything started through `containers` is removed after the test

Plain functions work too: runtimes_up(); cid = start_container("podman", name, cmd); remove_container(...).
"""
import os
import re
import shlex
import subprocess
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SCRIPT = os.path.join(ROOT, "scripts", "runtimes.sh")
STATE_DIR = os.environ.get("GADGETBOX_TEST_STATE", "/run/gadgetbox-test")
ENV_FILE = os.path.join(STATE_DIR, "env")

BUSYBOX = "gadgetbox-test/busybox:1"      # docker, podman, CRI accept the short name
BUSYBOX_FQ = "docker.io/" + BUSYBOX        # ctr needs the full reference
PAUSE = "gadgetbox-test/pause:1"           # /pause: sleeps until SIGTERM/SIGINT (also in BUSYBOX)
CTR_NAMESPACE = "default"

# docker = docker with runc, docker-crun = docker --runtime crun, podman (crun, its default here),
# ctr = `ctr run` in containerd namespace "default" (runc), cri = CRI pod (host network) + container (runc)
RUNTIMES = ("docker", "docker-crun", "podman", "ctr", "cri")

_env = None


def runtimes_up():
    """Start the runtimes (scripts/runtimes.sh up) once per process; returns the environment for them."""
    global _env
    if _env is None:
        r = subprocess.run(["bash", SCRIPT, "up"], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"scripts/runtimes.sh up failed:\n{r.stdout}{r.stderr}")
        _env = runtime_env()
    return _env


def runtime_env():
    """os.environ plus the `export K=V` lines of /run/gadgetbox-test/env (CONTAINERS_CONF for podman, ...)."""
    env = dict(os.environ)
    with open(ENV_FILE) as f:
        for line in f:
            words = shlex.split(line, comments=True)
            if len(words) == 2 and words[0] == "export" and "=" in words[1]:
                k, v = words[1].split("=", 1)
                env[k] = v
    return env


def run(*cmd, check=True, timeout=120, **kw):
    """Run a runtime CLI with the runtimes' environment; returns CompletedProcess (text)."""
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=runtimes_up(), timeout=timeout,
                       **kw)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))}: exit {r.returncode}: {r.stderr.strip()}")
    return r


def _kv_args(flag, d):
    out = []
    for k, v in (d or {}).items():
        out += [flag, f"{k}={v}"]
    return out


# ---- docker ----------------------------------------------------------------------------------------------

def docker_start(name, command, runtime="runc", labels=None, env=None, image=BUSYBOX, extra_args=(), network="none"):
    """`docker run -d --network none` NAME running COMMAND (a list); runtime "runc" or "crun"; network e.g.
    "container:ID" to share another container's. Returns the id."""
    r = run("docker", "run", "-d", "--name", name, "--network", network, "--runtime", runtime,
            *_kv_args("--label", labels), *_kv_args("--env", env), *extra_args, image, *command)
    return r.stdout.strip()


def docker_remove(cid):
    run("docker", "rm", "-f", cid, check=False)


# ---- podman ----------------------------------------------------------------------------------------------

def podman_start(name, command, runtime=None, labels=None, env=None, image=BUSYBOX, extra_args=(), network="none"):
    """`podman run -d --network none` NAME running COMMAND; runtime None (crun here), "crun" or "runc";
    network as for docker_start."""
    rt = ["--runtime", runtime] if runtime else []
    r = run("podman", *rt, "run", "-d", "--name", name, "--network", network, *_kv_args("--label", labels),
            *_kv_args("--env", env), *extra_args, image, *command)
    return r.stdout.strip().splitlines()[-1]


def podman_remove(cid):
    run("podman", "rm", "-f", "-t", "0", cid, check=False)


# ---- ctr (containerd, namespace "default") --------------------------------------------------------------

_ctr_exit = {}  # id -> exit code, known once its task was deleted


def _ctr_log(cid):
    return os.path.join(STATE_DIR, "ctr-logs", CTR_NAMESPACE, cid + ".log")


def ctr_start(name, command, runtime="runc", labels=None, env=None, image=BUSYBOX_FQ, extra_args=()):
    """`ctr -n default run -d` with id NAME (its own netns with lo only); runtime "runc" or "crun".

    stdout and stderr go (together) to a file that container_logs("ctr", id) reads. Returns the id (= NAME)."""
    os.makedirs(os.path.dirname(_ctr_log(name)), exist_ok=True)
    rt = ["--runc-binary", "/usr/bin/crun"] if runtime == "crun" else []
    run("ctr", "-n", CTR_NAMESPACE, "run", "-d", "--log-uri", "file://" + _ctr_log(name), *rt,
        *_kv_args("--label", labels), *_kv_args("--env", env), *extra_args, image, name, *command)
    return name


def _ctr_task(cid):
    """(pid, status) of the task, or None."""
    for line in run("ctr", "-n", CTR_NAMESPACE, "tasks", "ls").stdout.splitlines()[1:]:
        f = line.split()
        if len(f) >= 3 and f[0] == cid:
            return int(f[1]), f[2]
    return None


def ctr_wait(cid, timeout=30.0):
    """Wait for the task to stop; returns its exit code (the task is deleted, the container stays)."""
    if cid in _ctr_exit:
        return _ctr_exit[cid]
    deadline = time.time() + timeout
    while True:
        t = _ctr_task(cid)
        if t is None:
            raise RuntimeError(f"ctr: no task {cid}")
        if t[1] == "STOPPED":
            break
        if time.time() > deadline:
            raise TimeoutError(f"ctr task {cid} still {t[1]} after {timeout}s")
        time.sleep(0.05)
    # ctr 1.6 has no `task wait`; `task rm` reports a non-zero status as a warning on stderr
    r = run("ctr", "-n", CTR_NAMESPACE, "tasks", "rm", cid)
    m = re.search(r"exit with non-zero exit code (\d+)", r.stderr)
    _ctr_exit[cid] = int(m.group(1)) if m else 0
    return _ctr_exit[cid]


def ctr_remove(cid):
    if _ctr_task(cid) is not None:
        run("ctr", "-n", CTR_NAMESPACE, "tasks", "kill", "-a", "-s", "SIGKILL", cid, check=False)
        deadline = time.time() + 10
        while time.time() < deadline and (_ctr_task(cid) or (0, "STOPPED"))[1] != "STOPPED":
            time.sleep(0.05)
        run("ctr", "-n", CTR_NAMESPACE, "tasks", "rm", "-f", cid, check=False)
    run("ctr", "-n", CTR_NAMESPACE, "containers", "rm", cid, check=False)
    _ctr_exit.pop(cid, None)
    try:
        os.unlink(_ctr_log(cid))
    except FileNotFoundError:
        pass


# ---- CRI ---------------------------------------------------------------------------------------------------

_cri = None
_cri_pod_of = {}  # container id -> pod id (cri_start makes one pod per container unless given one)


def cri():
    """The shared CRI client (cri.CRI) for containerd's CRI plugin."""
    global _cri
    if _cri is None:
        runtimes_up()
        from cri import CRI
        _cri = CRI()
    return _cri


def cri_start(name, command, pod_name=None, namespace="default", host_network=True, pod_id=None, labels=None,
              annotations=None, pod_labels=None, pod_annotations=None, runtime_handler="", env=None, mounts=(),
              image=BUSYBOX, seccomp=None, memory_limit=None):
    """A CRI container NAME running COMMAND (its Kubernetes `command`) in a new pod POD_NAME (default NAME) of
    NAMESPACE, or in pod_id if given. runtime_handler "" (runc) or "crun". Returns the container id;
    cri_pod(id) gives the pod id. The containerd annotations io.kubernetes.cri.* appear in the OCI spec."""
    c = cri()
    if pod_id is None:
        pod_id = c.run_pod(pod_name or name, namespace, host_network=host_network, labels=pod_labels,
                           annotations=pod_annotations, runtime_handler=runtime_handler)
        own_pod = True
    else:
        own_pod = False
    try:
        cid = c.create_container(pod_id, None, name, image, command, labels=labels, annotations=annotations, env=env,
                                 mounts=mounts, seccomp=seccomp, memory_limit=memory_limit)
        c.start(cid)
    except Exception:
        if own_pod:
            c.remove_pod(pod_id)
        raise
    if own_pod:
        _cri_pod_of[cid] = pod_id
    return cid


def cri_pod(cid):
    """The pod id of a CRI container."""
    if cid in _cri_pod_of:
        return _cri_pod_of[cid]
    for k in cri().list_containers():
        if k.id == cid:
            return k.pod_sandbox_id
    return None


def cri_remove(cid):
    """Remove the container, and its pod if cri_start made that pod for it."""
    c = cri()
    # a stop may return before the task is gone ("container is still running, to stop first" on remove,
    # seen under load): stop again and retry for a while
    for attempt in range(50):
        try:
            c.stop(cid, 0)
        except Exception:
            pass
        try:
            c.remove(cid)
            break
        except Exception as e:
            if "still running" not in str(e) or attempt == 49:
                raise
            time.sleep(0.2)
    pod_id = _cri_pod_of.pop(cid, None)
    if pod_id:
        c.remove_pod(pod_id)


# ---- any runtime -------------------------------------------------------------------------------------------

def start_container(runtime, name, command, **kw):
    """Start a detached container NAME running COMMAND (list) under RUNTIME (one of RUNTIMES); returns its id.
    Keyword arguments go to the runtime's own start function (labels=, env=, ...)."""
    runtimes_up()
    if runtime == "docker":
        return docker_start(name, command, runtime="runc", **kw)
    if runtime == "docker-crun":
        return docker_start(name, command, runtime="crun", **kw)
    if runtime == "podman":
        return podman_start(name, command, **kw)
    if runtime == "ctr":
        return ctr_start(name, command, **kw)
    if runtime == "cri":
        return cri_start(name, command, **kw)
    raise ValueError(f"unknown runtime {runtime!r}; one of {RUNTIMES}")


def _engine(runtime):
    return "docker" if runtime.startswith("docker") else runtime


def wait_container(runtime, cid, timeout=30.0):
    """Wait until the container's main process exits; returns its exit code."""
    e = _engine(runtime)
    if e in ("docker", "podman"):
        return int(run(e, "wait", cid, timeout=timeout).stdout.split()[-1])
    if e == "ctr":
        return ctr_wait(cid, timeout)
    return cri().wait(cid, timeout)


def container_logs(runtime, cid):
    """What the container wrote: stdout then stderr for docker/podman/CRI, interleaved for ctr."""
    e = _engine(runtime)
    if e in ("docker", "podman"):
        r = run(e, "logs", cid)
        return r.stdout + r.stderr
    if e == "ctr":
        try:
            with open(_ctr_log(cid), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""
    return cri().logs(cid, "stdout") + cri().logs(cid, "stderr")


def container_pid(runtime, cid):
    """Host PID of the container's first process (0 if it is not running)."""
    e = _engine(runtime)
    if e in ("docker", "podman"):
        return int(run(e, "inspect", "-f", "{{.State.Pid}}", cid).stdout.strip() or 0)
    if e == "ctr":
        t = _ctr_task(cid)
        return t[0] if t and t[1] == "RUNNING" else 0
    return cri().pid(cid)


def remove_container(runtime, cid):
    """Remove the container (killing it first); no error if it is already gone."""
    e = _engine(runtime)
    if e == "docker":
        docker_remove(cid)
    elif e == "podman":
        podman_remove(cid)
    elif e == "ctr":
        ctr_remove(cid)
    else:
        cri_remove(cid)


class Containers:
    """Starts containers and remembers them, so that remove_all() (the fixture's teardown) removes them."""

    def __init__(self):
        self.started = []  # (runtime, id)

    def start(self, runtime, name, command, **kw):
        cid = start_container(runtime, name, command, **kw)
        self.started.append((runtime, cid))
        return cid

    wait = staticmethod(wait_container)
    logs = staticmethod(container_logs)
    pid = staticmethod(container_pid)

    def remove(self, runtime, cid):
        remove_container(runtime, cid)
        if (runtime, cid) in self.started:
            self.started.remove((runtime, cid))

    def run_each(self, runtime, names, command_of, results, failures, lock, on_done=None, **kw):
        """Runs the containers NAMES one after the other, each to its end, and removes it: (runtime, name, id) of
        those that exited 0 go to RESULTS, anything else to FAILURES (under LOCK: for threads running it at once;
        a failure to start or wait ends the loop). ON_DONE(number of results) after each."""
        for name in names:
            try:
                cid = self.start(runtime, name, command_of(name), **kw)
                code = self.wait(runtime, cid, timeout=60)
                self.remove(runtime, cid)
            except Exception as e:  # reported by the caller, once the others are done
                with lock:
                    failures.append(f"{runtime} {name}: {e}")
                return
            with lock:
                (results.append((runtime, name, cid)) if code == 0 else failures.append(f"{name}: exit {code}"))
                if on_done:
                    on_done(len(results))

    def remove_all(self):
        errors = []
        for runtime, cid in reversed(self.started):
            try:
                remove_container(runtime, cid)
            except Exception as e:  # keep removing the others
                errors.append(f"{runtime} {cid}: {e}")
        self.started.clear()
        if errors:
            raise RuntimeError("could not remove: " + "; ".join(errors))


@pytest.fixture(scope="session")
def container_runtimes():
    """Session fixture: the runtimes are up; yields the environment (dict) for the runtime CLIs."""
    return runtimes_up()


@pytest.fixture
def containers():
    """A Containers tracker (runtimes up); whatever it started is removed after the test."""
    runtimes_up()  # not via container_runtimes: a module may import only this fixture
    t = Containers()
    yield t
    t.remove_all()
