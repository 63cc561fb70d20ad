#!/usr/bin/env python3
"""Reproducible image archives: an OCI layout (oci-layout, index.json, blobs/) that is also a docker-save archive
(manifest.json), so that `docker load`, `podman load` and `ctr images import` all take it. Fixed mtimes and
owners: the same inputs give the same bytes, and so the same image IDs.

  ociarchive.py gadgetbox OUT.tar BINARY VERSION [REPO [OTHER_BINARY...]]
      the gadgetbox image (`make image`): the static binary at /gadgetbox on an empty base, a link per applet in
      /bin, entrypoint /gadgetbox, tagged REPO:VERSION (REPO: gadgetbox), with OCI annotations; with the same
      source built for other architectures, an index of one image per architecture (`make image-multiarch`)
  ociarchive.py test-images OUTDIR BUSYBOX PAUSE BUSYBOX_REF PAUSE_REF
      the test images (scripts/runtimes.sh): busybox-static with its links, /pause, a minimal /etc
"""
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile

MTIME = 1700000000  # fixed: reproducible layers
CREATED = "2023-11-14T22:13:20Z"
ARCHES = {"x86_64": "amd64", "aarch64": "arm64"}


def entry(tf, name, kind, data=b"", mode=0o755, target=""):
    ti = tarfile.TarInfo(name)
    ti.mtime, ti.uid, ti.gid, ti.uname, ti.gname = MTIME, 0, 0, "root", "root"
    ti.mode, ti.type = mode, kind
    if kind == tarfile.SYMTYPE:
        ti.linkname = target
    ti.size = len(data) if kind == tarfile.REGTYPE else 0
    tf.addfile(ti, io.BytesIO(data) if kind == tarfile.REGTYPE else None)


def layer(add):
    """A layer's tar bytes; add(tf) puts the entries in."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tf:
        add(tf)
    return buf.getvalue()


def blob(data):
    return "sha256:" + hashlib.sha256(data).hexdigest(), data


def platform_image(layer_tar, cfg, arch, annotations, created_by, compress):
    """One platform's image: (manifest descriptor, blobs {digest: bytes}, config digest, layer digest)."""
    diff_id = "sha256:" + hashlib.sha256(layer_tar).hexdigest()
    layer_type = "application/vnd.oci.image.layer.v1.tar"
    if compress:  # mtime 0 in the gzip header: reproducible
        layer_tar, layer_type = gzip.compress(layer_tar, 9, mtime=0), layer_type + "+gzip"
    layer_digest = "sha256:" + hashlib.sha256(layer_tar).hexdigest()
    config = {
        "created": CREATED, "architecture": arch, "os": "linux",
        "config": dict({"Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"], "WorkingDir": "/"}, **cfg),
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created": CREATED, "created_by": created_by}],
    }
    if annotations:
        config["config"]["Labels"] = annotations
    cfg_digest, cfg_bytes = blob(json.dumps(config, sort_keys=True).encode())
    manifest = {
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cfg_digest,
                   "size": len(cfg_bytes)},
        "layers": [{"mediaType": layer_type, "digest": layer_digest, "size": len(layer_tar)}],
    }
    if annotations:
        manifest["annotations"] = annotations
    man_digest, man = blob(json.dumps(manifest, sort_keys=True).encode())
    desc = {"mediaType": manifest["mediaType"], "digest": man_digest, "size": len(man),
            "platform": {"architecture": arch, "os": "linux"}}
    return desc, {cfg_digest: cfg_bytes, man_digest: man, layer_digest: layer_tar}, cfg_digest, layer_digest


def write(path, ref, layer_tar, cfg, arch="amd64", annotations=None, created_by="gadgetbox", compress=False,
          more=()):
    """Write the archive of image @ref (REPO:TAG; docker.io/ implied for short names) with one layer (gzipped
    with @compress, as registries keep layers) and config @cfg; returns the image ID (its config's digest).
    @more: other platforms' (layer_tar, arch): the archive then names an image index of every platform (what
    `docker buildx` pushes for a multi-architecture image); docker's manifest.json holds the first only."""
    images = [platform_image(layer_tar, cfg, arch, annotations, created_by, compress)]
    images += [platform_image(lt, cfg, a, annotations, created_by, compress) for lt, a in more]
    blobs = {}
    for _, b, _, _ in images:
        blobs.update(b)
    repo, tag = ref.rsplit(":", 1)
    full = ref if "." in repo.split("/")[0] or repo.startswith("localhost/") else "docker.io/" + (
        ref if "/" in repo else "library/" + ref)
    # containerd and podman name the image after io.containerd.image.name; ref.name is the tag (OCI spec)
    names = {"io.containerd.image.name": full, "org.opencontainers.image.ref.name": tag}
    if more:
        platforms = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                     "manifests": [i[0] for i in images]}
        if annotations:
            platforms["annotations"] = annotations
        idx_digest, idx = blob(json.dumps(platforms, sort_keys=True).encode())
        blobs[idx_digest] = idx
        top = {"mediaType": platforms["mediaType"], "digest": idx_digest, "size": len(idx), "annotations": names}
    else:
        top = dict(images[0][0], annotations=names)
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [top]}
    _, _, cfg_digest, layer_digest = images[0]
    docker = [{"Config": "blobs/sha256/" + cfg_digest[7:], "RepoTags": [ref],
               "Layers": ["blobs/sha256/" + layer_digest[7:]]}]
    files = [("oci-layout", json.dumps({"imageLayoutVersion": "1.0.0"}).encode()),
             ("index.json", json.dumps(index, sort_keys=True).encode()),
             ("manifest.json", json.dumps(docker).encode())]
    files += [("blobs/sha256/" + d[7:], data) for d, data in blobs.items()]
    tmp = path + ".tmp"
    with tarfile.open(tmp, "w", format=tarfile.GNU_FORMAT) as tf:
        for d in ("blobs", "blobs/sha256"):
            entry(tf, d, tarfile.DIRTYPE)
        for name, data in files:
            entry(tf, name, tarfile.REGTYPE, data, 0o644)
    os.rename(tmp, path)
    return cfg_digest


def test_images(out, busybox, pause, busybox_ref, pause_ref):
    applets = subprocess.run([busybox, "--list"], check=True, capture_output=True, text=True).stdout.split()

    def add(tf):
        for d in ("bin", "dev", "etc", "proc", "root", "sys", "tmp", "usr", "usr/bin", "var"):
            entry(tf, d, tarfile.DIRTYPE, mode=0o1777 if d == "tmp" else 0o755)
        entry(tf, "bin/busybox", tarfile.REGTYPE, open(busybox, "rb").read())
        for a in sorted(set(applets) - {"busybox"}):
            entry(tf, "bin/" + a, tarfile.SYMTYPE, target="busybox")
        entry(tf, "etc/passwd", tarfile.REGTYPE,
              b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n", 0o644)
        entry(tf, "etc/group", tarfile.REGTYPE, b"root:x:0:\nnogroup:x:65534:\n", 0o644)
        entry(tf, "pause", tarfile.REGTYPE, open(pause, "rb").read())
    lay = layer(add)
    for ref, cfg in ((busybox_ref, {"Cmd": ["sh"]}), (pause_ref, {"Entrypoint": ["/pause"]})):
        name = ref.split("/")[-1].split(":")[0]
        image_id = write(os.path.join(out, name + ".tar"), ref, lay, cfg, created_by="gadgetbox scripts/runtimes.sh")
        # what `up` compares with the engines' image IDs to decide whether to (re)load
        with open(os.path.join(out, name + ".id"), "w") as f:
            f.write(image_id + "\n")


def gadgetbox_image(out, binary, version, repo="gadgetbox", *others):
    """The image of @binary (this machine's; its --list names the applets), and with @others (the same source
    built for other architectures) one image per architecture under one index."""
    listing = subprocess.run([binary, "--list"], check=True, capture_output=True, text=True).stdout
    # the names under "Applets:" in --list
    applets = sorted(ln.split()[0] for ln in listing.split("Applets:\n", 1)[1].splitlines() if ln.strip())

    def rootfs(path):
        data = open(path, "rb").read()
        machine = {b"\x3e\x00": "amd64", b"\xb7\x00": "arm64"}.get(data[18:20])  # ELF e_machine
        if data[:4] != b"\x7fELF" or not machine:
            sys.exit(f"ociarchive.py: {path} is no x86-64 or arm64 ELF binary")

        def add(tf):
            # the mount points a node's debug pod uses: /host (the node's root), /tmp (seccomp-advise's output)
            for d in ("bin", "dev", "host", "proc", "sys", "tmp"):
                entry(tf, d, tarfile.DIRTYPE, mode=0o1777 if d == "tmp" else 0o755)
            entry(tf, "gadgetbox", tarfile.REGTYPE, data)
            for a in applets:
                entry(tf, "bin/" + a, tarfile.SYMTYPE, target="/gadgetbox")
        return layer(add), machine
    annotations = {
        "org.opencontainers.image.title": "gadgetbox",
        "org.opencontainers.image.description": "container-aware eBPF tracing of a node from one static binary",
        "org.opencontainers.image.version": version,
        "org.opencontainers.image.created": CREATED,
    }
    native, machine = rootfs(binary)
    return write(out, f"{repo}:{version}", native, {"Entrypoint": ["/gadgetbox"], "Env": ["PATH=/bin"]},
                 machine, annotations, "make image", compress=True, more=[rootfs(o) for o in others])


if __name__ == "__main__":
    if len(sys.argv) >= 5 and sys.argv[1] == "gadgetbox":
        print(gadgetbox_image(*sys.argv[2:]))
    elif len(sys.argv) == 7 and sys.argv[1] == "test-images":
        test_images(*sys.argv[2:])
    else:
        sys.exit(__doc__)
