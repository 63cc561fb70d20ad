#!/bin/busybox sh
# /init of the initramfs that scripts/test-arm64.sh boots under qemu-system-aarch64 (Debian's arm64 kernel):
# busybox-static for arm64, /bin/gadgetbox (the arm64 build) and /bin/unit-tests. Runs the applets on the
# emulated arm64 kernel and prints one line per check on the console ("GBT ok NAME" or "GBT FAIL NAME", then
# what it saw, as "GBT | ..."), then "GBT done" and powers off. Emulation is slow (TCG): every wait is
# generous, and a check polls for what it expects instead of sleeping a fixed time.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
mount -t tracefs tracefs /sys/kernel/tracing
mount -t bpf bpf /sys/fs/bpf
mount -t cgroup2 cgroup2 /sys/fs/cgroup
ip link set lo up
GB=/bin/gadgetbox
WAIT=${GBT_WAIT:-240} # seconds a check may take (a program's load and verification is slow under TCG)

say() { echo "GBT $*"; }
show() { sed -n '1,15p' "$@" 2>/dev/null | sed 's/^/GBT | /'; }
uptime_s() { cut -d. -f1 /proc/uptime; }
say "kernel $(uname -r) $(uname -m), $(grep -c ^processor /proc/cpuinfo) cpu; btf: $(ls -la /sys/kernel/btf/vmlinux | awk '{ print $5 }') bytes"
$GB --version | head -n1 | sed 's/^/GBT | /'

# traces NAME PATTERN TRIGGER APPLET ARGS...: start the applet (JSON on /tmp/NAME.out), run TRIGGER (a shell
# command) every 2 s until a line of the output matches every |-separated part of PATTERN, or WAIT passes
traces() {
	name=$1 pattern=$2 trigger=$3
	shift 3
	t0=$(uptime_s)
	"$GB" "$@" -o json >/tmp/$name.out 2>/tmp/$name.err &
	pid=$!
	found=
	while [ $(($(uptime_s) - t0)) -lt "$WAIT" ] && kill -0 $pid 2>/dev/null; do
		eval "$trigger" >/dev/null 2>&1
		lines=$(cat /tmp/$name.out)
		oldifs=$IFS
		IFS='|'
		for p in $pattern; do lines=$(printf '%s\n' "$lines" | grep -F -- "$p"); done
		IFS=$oldifs
		if [ -n "$lines" ]; then
			found=$lines
			break
		fi
		sleep 2
	done
	kill -INT $pid 2>/dev/null
	wait $pid
	if [ -n "$found" ]; then
		say "ok $name ($(($(uptime_s) - t0)) s)"
		printf '%s\n' "$found" | head -n 2 | sed 's/^/GBT | /'
	else
		"$GB" "$@" -v --timeout 5 >/tmp/$name.v 2>&1
		if grep -q "'bpf_cast_to_kern_ctx': not found in kernel" /tmp/$name.v; then
			# not arm64's doing: the kfunc came with Linux 6.2
			say "skip $name: this kernel has no bpf_cast_to_kern_ctx (Linux 6.2+): $(head -n1 /tmp/$name.err)"
			return
		fi
		say "FAIL $name"
		show /tmp/$name.err /tmp/$name.out
		grep -v '^$' /tmp/$name.v | tail -n 40 | sed 's/^/GBT | -v: /'
	fi
}

traces execsnoop 'gbt-arm64-exec|two words|third|"ret":0' \
	'/bin/busybox true gbt-arm64-exec "two words" third' execsnoop-k8s --host
traces opensnoop '/gbt-arm64/no/such/file|ENOENT' 'cat /gbt-arm64/no/such/file' opensnoop-k8s --host
# a DNS query to a server on loopback (busybox's nc, listening on UDP port 53)
nc -u -l -p 53 </dev/null >/dev/null 2>&1 &
ncpid=$!
traces dnssnoop 'gbt-arm64.example' 'nslookup gbt-arm64.example 127.0.0.1 & sleep 1; kill $! 2>/dev/null' \
	dnssnoop --host
kill $ncpid 2>/dev/null

# pssnap: a snapshot of the processes, host included; this shell and a sleep of its own must be in it
sleep 1000 &
sleeper=$!
t0=$(uptime_s)
timeout "$WAIT" "$GB" pssnap --host -o json >/tmp/pssnap.out 2>/tmp/pssnap.err
if grep -q "\"pid\": *$sleeper[,}]" /tmp/pssnap.out && grep -q '"comm": *"sleep"' /tmp/pssnap.out &&
	grep -q "\"pid\": *$$[,}]" /tmp/pssnap.out; then
	say "ok pssnap ($(($(uptime_s) - t0)) s, $(wc -l </tmp/pssnap.out) processes)"
	grep "\"pid\": *$sleeper[,}]" /tmp/pssnap.out | head -n1 | sed 's/^/GBT | /'
else
	say "FAIL pssnap"
	show /tmp/pssnap.err /tmp/pssnap.out
fi
kill $sleeper

# seccomp-advise: a "container" as the container table finds one without a runtime's state (README): its own
# mount namespace, in a cgroup named as Docker names them; its profile must name arm64's syscalls
id=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
cg=/sys/fs/cgroup/system.slice/docker-$id.scope
mkdir -p $cg
t0=$(uptime_s)
"$GB" seccomp-advise >/tmp/seccomp.out 2>/tmp/seccomp.err &
rec=$!
while [ $(($(uptime_s) - t0)) -lt "$WAIT" ] && kill -0 $rec 2>/dev/null && ! grep -q recording /tmp/seccomp.err; do
	sleep 2
done
sh -c "echo \$\$ >$cg/cgroup.procs && exec unshare -m sh -c 'for i in 1 2 3 4 5; do cat /proc/version; sleep 1; done'" \
	>/dev/null 2>&1
kill -INT $rec 2>/dev/null
wait $rec
if grep -q SCMP_ARCH_AARCH64 /tmp/seccomp.out && grep -q '"execve"' /tmp/seccomp.out &&
	grep -q '"openat"' /tmp/seccomp.out && grep -q '"clock_nanosleep"\|"nanosleep"' /tmp/seccomp.out; then
	say "ok seccomp-advise ($(($(uptime_s) - t0)) s, $(grep -o '"[a-z0-9_]*"' /tmp/seccomp.out | grep -vc SCMP) names)"
	grep -m1 -A2 '"architectures"' /tmp/seccomp.out | tr -d '\n' | sed 's/^/GBT | /'
	echo
else
	say "FAIL seccomp-advise"
	show /tmp/seccomp.err /tmp/seccomp.out
fi

# the unit tests on the arm64 kernel (openat2 included, which qemu-user lacks)
if [ -x /bin/unit-tests ]; then
	(cd /tmp && /bin/unit-tests) >/tmp/unit.out 2>&1
	rc=$?
	if [ $rc = 0 ]; then say "ok unit tests: $(tail -n1 /tmp/unit.out)"; else
		say "FAIL unit tests: $(tail -n1 /tmp/unit.out)"
		grep '^FAIL' /tmp/unit.out | sed 's/^/GBT | /'
	fi
fi
say done
poweroff -f
