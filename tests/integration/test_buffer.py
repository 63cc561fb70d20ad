"""--buffer-size: every streaming tracer's event ring buffer, its size as asked, what it buys (a reader kept from the
CPU loses nothing while the buffer holds its backlog; what does not fit is counted, never silently dropped) and
what it costs (the default keeps each tracer within 6 MB of RSS)."""
import os
import signal
import socket
import struct
import subprocess
import time

import pytest

from conftest import Tracer, assert_accounted, gadgetbox_cmd, unique, wait_for

STREAMING = ["execsnoop-k8s", "opensnoop-k8s", "dnssnoop", "exitsnoop-k8s", "sigsnoop-k8s", "bindsnoop-k8s",
             "tcptracer-k8s", "seccomp-audit"]
BPF_MAP_TYPE_RINGBUF = 27
DNS_PORT = 15398  # not a default port, not test_dnssnoop's


def ringbuf_sizes(pid):
    """max_entries of every BPF ring buffer the process holds (its tracer's and the container watcher's)."""
    sizes = []
    fd_dir = f"/proc/{pid}/fdinfo"
    for fd in os.listdir(fd_dir):
        try:
            with open(os.path.join(fd_dir, fd)) as f:
                info = dict(line.split(":", 1) for line in f.read().splitlines() if ":" in line)
        except OSError:
            continue
        if info.get("map_type", "").strip() == str(BPF_MAP_TYPE_RINGBUF):
            sizes.append(int(info["max_entries"]))
    return sorted(sizes)


def sizes_once_loaded(applet, *args, want):
    p = subprocess.Popen(gadgetbox_cmd(applet, "--host", *args), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        return wait_for(lambda: want in ringbuf_sizes(p.pid) and ringbuf_sizes(p.pid), timeout=30,
                        what=f"{applet}'s ring buffer of {want} bytes (has {ringbuf_sizes(p.pid)})")
    finally:
        p.kill()
        p.wait()


@pytest.mark.parametrize("applet", STREAMING)
def test_buffer_size_sets_the_tracers_ring_buffer(applet):
    sizes = sizes_once_loaded(applet, "--buffer-size", "4M", want=4 << 20)
    assert sizes.count(4 << 20) == 1, sizes


@pytest.mark.parametrize("applet", ["execsnoop-k8s", "opensnoop-k8s", "dnssnoop"])
def test_default_ring_buffer_is_1m_and_256k_is_taken(applet):
    assert (1 << 20) in sizes_once_loaded(applet, want=1 << 20)
    assert (1 << 20) not in sizes_once_loaded(applet, "--buffer-size", "256K", want=256 << 10)


@pytest.mark.parametrize("size", ["3M", "1K", "64", "2G", "0", "x", "1MB", "-1M", "4M4"])
def test_a_bad_buffer_size_is_a_usage_error(size):
    r = subprocess.run(gadgetbox_cmd("opensnoop-k8s", "--buffer-size", size), capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 2, r.stderr
    assert r.stderr.splitlines() == [f"opensnoop-k8s: invalid --buffer-size '{size}' (a power of two from 64K to "
                                     "1G, e.g. 256K or 4M) (see 'opensnoop-k8s --help')"]


def opens_while_stopped(workdir, size, n):
    """opensnoop-k8s with SIZE, its reader stopped (SIGSTOP) while N opens happen: (delivered, lost), accounted
    exactly once it goes on."""
    prefix = os.path.join(workdir, unique("stopped")) + "/"
    needle = prefix.encode() + b"missing-"
    probe = lambda m: subprocess.run(["cat", prefix + "probe-" + m], stderr=subprocess.DEVNULL)  # noqa: E731
    with Tracer("opensnoop-k8s", "--prefix", prefix, "--buffer-size", size, probe=probe) as t:
        t.proc.send_signal(signal.SIGSTOP)
        try:
            for i in range(n):
                try:
                    os.close(os.open(f"{prefix}missing-{i}", os.O_RDONLY))
                except FileNotFoundError:
                    pass
        finally:
            t.proc.send_signal(signal.SIGCONT)
        return assert_accounted(t, lambda: t.raw().count(needle), n, timeout=120, what=f"opens ({size} buffer)")


def test_a_bigger_buffer_holds_what_a_stopped_reader_could_not_take(workdir):
    """The trade-off --buffer-size is for: 5,000 opens while the reader is stopped overflow 64 KiB (the loss is
    counted exactly) and fit 16 MiB (nothing lost)."""
    n = 5000
    delivered, lost = opens_while_stopped(workdir, "64K", n)
    assert lost > 0 and delivered < n, (delivered, lost)
    delivered, lost = opens_while_stopped(workdir, "16M", n)
    assert (delivered, lost) == (n, 0)


def dns_query(name):
    q = struct.pack(">HHHHHH", 1, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack(">HH", 1, 1)


def send_dns(name):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(dns_query(name), ("127.0.0.1", DNS_PORT))


def peak_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(next(line for line in f if line.startswith("VmHWM:")).split()[1])


@pytest.mark.parametrize("applet", ["execsnoop-k8s", "opensnoop-k8s", "dnssnoop"])
def test_default_peak_rss_is_at_most_6_mb_after_a_burst(applet, workdir):
    """The default buffer's cost: the tracer's peak RSS after 20,000 events of its kind stays within 6 MB."""
    n = 20000
    tag = unique("rss")
    if applet == "dnssnoop":
        t = Tracer(applet, "--ports", str(DNS_PORT), probe=lambda m: send_dns(f"{m}.probe.test"))
        # n / 4 queries, each answered: four messages (sent and received, each way)
        burst = ["python3", "-c", "import socket,sys\nq=bytes.fromhex(sys.argv[1])\n"
                 "srv=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); srv.bind(('127.0.0.1', %d))\n"
                 "cli=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
                 "for i in range(%d):\n cli.sendto(q, srv.getsockname()); m, a = srv.recvfrom(512)\n"
                 " srv.sendto(m[:2] + bytes([m[2] | 0x80, 3]) + m[4:], a); cli.recv(512)" % (DNS_PORT, n // 4),
                 dns_query(f"{tag}.test").hex()]
    elif applet == "opensnoop-k8s":
        t = Tracer(applet, "--prefix", "/nonexistent-gb-rss/",
                   probe=lambda m: subprocess.run(["cat", f"/nonexistent-gb-rss/{m}"], stderr=subprocess.DEVNULL))
        burst = ["python3", "-c", f"import os\nfor i in range({n}):\n try: os.open('/nonexistent-gb-rss/{tag}', 0)\n"
                 " except OSError: pass"]
    else:
        t = Tracer(applet, "-x", probe=lambda m: subprocess.run(["/bin/true", m]))
        burst = ["python3", "-c", f"import os\nfor i in range({n}):\n try: os.execv('/nonexistent-gb-rss/{tag}', "
                 "['x'])\n except OSError: pass"]
    with t:
        subprocess.run(burst, check=True, timeout=300)
        wait_for(lambda: sum(1 for line in t.raw().split(b"\n") if tag.encode() in line) + t.lost() >= n,
                 timeout=120, what="the burst's events")
        time.sleep(0.5)
        rss = peak_rss_kib(t.proc.pid)
    assert rss <= 6 * 1024, f"{applet}: peak RSS {rss} KiB with the default buffer"
