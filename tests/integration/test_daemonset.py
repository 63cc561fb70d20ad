"""deploy/daemonset.yaml: its pod template run for real through containerd's CRI, as a kubelet runs it (host pid
and network namespaces, the host's / read-only at /host, NODE_NAME from spec.nodeName, its capabilities and
seccomp profile), with the image `make image` writes: from inside, the agent labels another container's events
exactly as on the host, with k8s.node set, and serves its metrics."""
import json
import os
import re
import subprocess
import urllib.request
import uuid

import yaml

from conftest import wait_for
from runtimes import cri, run, container_runtimes  # noqa: F401 (pytest fixture)
from test_image import build, free_port

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MANIFEST = os.path.join(ROOT, "deploy", "daemonset.yaml")


def daemonset():
    docs = [d for d in yaml.safe_load_all(open(MANIFEST)) if d]
    [ds] = [d for d in docs if d["kind"] == "DaemonSet"]
    return ds


def test_the_manifest_asks_for_what_the_agent_needs_and_no_more():
    spec = daemonset()["spec"]["template"]["spec"]
    assert {"operator": "Exists"} in spec["tolerations"]  # control-plane and tainted nodes too
    assert spec["priorityClassName"] == "system-node-critical"
    assert spec["hostPID"] is True and spec.get("automountServiceAccountToken") is False
    [c] = spec["containers"]
    assert c["args"][0] == "agent"
    env = {e["name"]: e for e in c["env"]}
    assert env["NODE_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "spec.nodeName"
    assert env["HOST_ROOT"]["value"] == "/host"
    sc = c["securityContext"]
    assert not sc.get("privileged") and sc["capabilities"]["drop"] == ["ALL"]
    assert set(sc["capabilities"]["add"]) == {"SYS_ADMIN", "SYS_PTRACE"}
    assert sc["readOnlyRootFilesystem"] is True and sc["seccompProfile"]["type"] == "Unconfined"
    [m] = c["volumeMounts"]
    [v] = spec["volumes"]
    assert m["mountPath"] == "/host" and m["readOnly"] is True and v["hostPath"]["path"] == "/"
    assert c["resources"]["limits"]["memory"]


def test_the_pod_template_runs_the_agent_through_the_cri(container_runtimes, tmp_path):
    tmpl = daemonset()["spec"]["template"]
    spec = tmpl["spec"]
    [c] = spec["containers"]
    # the image, as `make image` writes it, imported where the CRI sees it
    tag = "ds-" + uuid.uuid4().hex[:8]
    ref = f"gbt-image/gadgetbox:{tag}"
    archive = str(tmp_path / "image.tar")
    build(archive, tag, "gbt-image/gadgetbox")
    run("ctr", "-n", "k8s.io", "images", "import", archive)
    node = "gbt-node-" + uuid.uuid4().hex[:6]
    port = free_port()
    # the template's arguments, with a free port for the metrics (the template's 9100 may be taken here)
    args = [re.sub(r"^:9100$", f"127.0.0.1:{port}", a) for a in c["args"]]
    env = {e["name"]: e.get("value", node) for e in c["env"]}  # the kubelet resolves spec.nodeName
    sc = c["securityContext"]
    k = cri()
    pod = k.run_pod("gbt-ds-" + uuid.uuid4().hex[:6], "gadgetbox", host_network=spec["hostNetwork"],
                    host_pid=spec["hostPID"])
    target = "gbt-ds-target-" + uuid.uuid4().hex[:6]
    try:
        mounts = []
        vols = {v["name"]: v for v in spec["volumes"]}
        for m in c["volumeMounts"]:
            mounts.append((vols[m["name"]]["hostPath"]["path"], m["mountPath"], m.get("readOnly", False)))
        cid = k.create_container(pod, None, c["name"], "docker.io/" + ref, [], args, env=env, mounts=mounts,
                                 seccomp="unconfined" if sc["seccompProfile"]["type"] == "Unconfined" else None,
                                 caps_add=sc["capabilities"]["add"], caps_drop=sc["capabilities"]["drop"],
                                 readonly_rootfs=sc["readOnlyRootFilesystem"], run_as_user=sc["runAsUser"])
        k.start(cid)

        def metrics():
            try:
                return urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
            except OSError:
                return ""
        wait_for(lambda: "gadgetbox_build_info" in metrics() or k.container_status(cid).state == 2, timeout=60,
                 what="the agent's metrics")
        assert "gadgetbox_build_info" in metrics(), k.logs(cid)

        def labelled():
            run("docker", "run", "--rm", "--name", target, "--network", "none", "gadgetbox-test/busybox:1",
                "sh", "-c", "true", check=False)
            for line in k.logs(cid, "stdout").splitlines():
                try:
                    ev = json.loads(line)
                except ValueError:
                    continue
                if ev.get("gadget") == "exec" and ev.get("runtime", {}).get("containerName") == target:
                    return ev
            return None
        ev = wait_for(labelled, timeout=90, what="the target's exec in the agent's log")
        assert ev["k8s"]["node"] == node and ev["runtime"]["runtimeName"] == "docker", ev
        # every default gadget opened with these privileges (a gadget that cannot attach says so on stderr)
        err = k.logs(cid, "stderr")
        assert "cannot" not in err and "error" not in err.lower(), err
        assert {"exec", "open", "dns", "tcp", "bind", "exit", "signal"} <= set(
            re.findall(r'gadgetbox_events_lost_total\{gadget="([a-z-]+)"', metrics())), metrics()[:2000]
    finally:
        subprocess.run(["docker", "rm", "-f", target], capture_output=True)
        k.remove_pod(pod)
        run("ctr", "-n", "k8s.io", "images", "rm", "docker.io/" + ref, check=False)


def test_the_pod_template_as_a_pod_under_podman_kube_play(container_runtimes, tmp_path):
    """The same template as a Pod for `podman kube play` (which has no DaemonSet kind). podman 4.3 keeps the pod
    in a pid namespace of its own whatever hostPID says (its PidMode is "private"): the agent still labels other
    containers' events, and says on stderr that the node's processes are not all visible."""
    tmpl = daemonset()["spec"]["template"]
    spec = dict(tmpl["spec"])
    [c] = [dict(x) for x in spec["containers"]]
    tag = "kp-" + uuid.uuid4().hex[:8]
    ref = f"localhost/gbt-image/gadgetbox:{tag}"
    archive = str(tmp_path / "image.tar")
    build(archive, tag, "localhost/gbt-image/gadgetbox")
    run("podman", "load", "-i", archive)
    node = "gbt-node-" + uuid.uuid4().hex[:6]
    port = free_port()
    c["image"] = ref
    c["args"] = [re.sub(r"^:9100$", f"127.0.0.1:{port}", a) for a in c["args"]]
    c["env"] = [{"name": e["name"], "value": e.get("value", node)} for e in c["env"]]  # no downward API here
    c.pop("ports")  # podman refuses port mappings with the host's network; on a node they only document the port
    spec["containers"] = [c]
    pod = "gbt-kp-" + uuid.uuid4().hex[:6]
    manifest = tmp_path / "pod.yaml"
    manifest.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "Pod", "metadata": {
        "name": pod, "labels": tmpl["metadata"]["labels"], "annotations": tmpl["metadata"]["annotations"]},
        "spec": spec}))
    target = "gbt-kp-target-" + uuid.uuid4().hex[:6]
    agent = f"{pod}-{c['name']}"
    try:
        # from a directory without a file named like the image (kube play would try to build one)
        run("podman", "kube", "play", str(manifest), cwd=str(tmp_path))

        def labelled():
            run("docker", "run", "--rm", "--name", target, "--network", "none", "gadgetbox-test/busybox:1", "true",
                check=False)
            for line in run("podman", "logs", agent, check=False).stdout.splitlines():
                if line.startswith('{"gadget":"exec"') and f'"containerName":"{target}"' in line:
                    return json.loads(line)
            return None
        ev = wait_for(labelled, timeout=90, what="the target's exec in the agent's log")
        assert ev["gadget"] == "exec" and ev["k8s"]["node"] == node, ev
        info = run("podman", "inspect", agent, "--format", "{{.HostConfig.PidMode}} {{.HostConfig.ReadonlyRootfs}}")
        pid_mode, ro = info.stdout.split()
        assert ro == "true"
        err = run("podman", "logs", agent, check=False).stderr
        if pid_mode != "host":
            assert "not in the host's pid namespace" in err and "--pid=host" in err, err
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
        assert 'gadgetbox_build_info{' in body and 'applet="agent"' in body
    finally:
        subprocess.run(["docker", "rm", "-f", target], capture_output=True)
        run("podman", "pod", "rm", "-f", pod, check=False)
        run("podman", "rmi", "-f", ref, check=False)
