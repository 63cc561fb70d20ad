#!/usr/bin/env bash
# The arm64 binary under emulation (make test-arm64-user, make test-arm64):
#
#   test-arm64.sh user BINARY BUILD     qemu-user-static: --version, --list, every applet's --help (called by
#                                       its link name, as on a node), and the unit tests built for arm64
#   test-arm64.sh system BINARY BUILD   qemu-system-aarch64 (TCG) booting Debian's arm64 kernel with an
#                                       initramfs of busybox-static:arm64 and BINARY: the applets on a real
#                                       arm64 kernel (scripts/arm64-guest.sh is its /init)
#
# BUILD is the cross build's directory (build/cross-arm64). One line per check; the last line counts them
# ("N passed, N failed"); the exit status is 1 if any failed.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
mode=${1:?usage: test-arm64.sh user|system BINARY BUILD}
BIN=$(realpath "${2:?binary}")
BUILD=$(realpath "${3:?build directory}")
pass=0 fail=0
ok() { printf '  ok    %s\n' "$1"; pass=$((pass + 1)); }
bad() { printf '  FAIL  %s\n' "$1"; [ -z "${2:-}" ] || printf '%s\n' "$2" | tail -n 20 | sed 's/^/        /'; fail=$((fail + 1)); }
finish() {
	printf '%d passed, %d failed\n' "$pass" "$fail"
	[ "$fail" = 0 ]
	exit
}

if [ "$mode" = user ]; then
	QEMU=$(command -v qemu-aarch64-static || command -v qemu-aarch64) || { echo "test-arm64: no qemu-aarch64-static" >&2; exit 1; }
	# the ELF header: 64-bit (class 2), machine 183 (EM_AARCH64), and no program interpreter
	hdr=$(od -An -tu1 -j4 -N1 "$BIN" | tr -d ' ')/$(od -An -tu2 -j18 -N2 "$BIN" | tr -d ' ')
	if [ "$hdr" = 2/183 ] && ! LC_ALL=C grep -q 'ld-musl\|ld-linux' "$BIN"; then
		ok "$(basename "$BIN") is a static arm64 executable"
	else
		bad "$(basename "$BIN") is a static arm64 executable" "ELF class/machine $hdr"
	fi
	out=$("$QEMU" "$BIN" --version 2>&1)
	if [ "$(printf '%s\n' "$out" | head -n1 | awk '{ print $1, $3 }')" = "gadgetbox linux/arm64" ] &&
		printf '%s\n' "$out" | sed -n 2p | grep -q '^libbpf .*, musl '; then
		ok "--version names linux/arm64 and the dependencies"
	else
		bad "--version names linux/arm64 and the dependencies" "$out"
	fi
	list=$("$QEMU" "$BIN" --list 2>&1)
	applets=$(printf '%s\n' "$list" | awk '/^Applets:/ { on = 1; next } on && NF { print $1 }')
	n=$(printf '%s\n' "$applets" | grep -c .)
	[ "$n" -ge 10 ] && ok "--list names $n applets" || bad "--list names the applets" "$list"
	links=$(mktemp -d)
	trap 'rm -rf "$links"' EXIT
	for a in $applets; do
		ln -s "$BIN" "$links/$a"
		out=$("$QEMU" "$links/$a" --help 2>&1)
		rc=$?
		if [ "$rc" = 0 ] && printf '%s\n' "$out" | head -n1 | grep -q "^Usage: $a "; then
			ok "$a --help"
		else
			bad "$a --help (exit $rc)" "$out"
		fi
	done
	out=$("$QEMU" "$BIN" nosuch-applet 2>&1)
	[ $? = 2 ] && ok "an unknown applet is a usage error (exit 2)" || bad "an unknown applet is a usage error" "$out"
	units=$BUILD/unit-tests-arm64
	if [ -x "$units" ]; then
		out=$(cd "$HERE/.." && "$QEMU" "$units" 2>&1)
		rc=$?
		summary=$(printf '%s\n' "$out" | tail -n1)
		if [ "$rc" = 0 ]; then
			ok "unit tests built for arm64: $summary"
		else
			# qemu-user before 9.1 has no openat2 (ENOSYS), which the container table's reads of the host root
			# need when it is not "/" (common/containers/hostroot.c): a test that fails only there is the
			# emulator's gap, run on the emulated kernel instead (make test-arm64); any other failure fails
			gap=0 real=()
			for t in $(printf '%s\n' "$out" | awk '$1 == "FAIL" { print $2 }'); do
				trace=$(cd "$HERE/.." && "$QEMU" -strace "$units" "$t" 2>&1)
				if grep -q 'Unknown syscall 437$' <<<"$trace"; then
					gap=$((gap + 1))
				else
					real+=("$t")
				fi
			done
			if [ ${#real[@]} = 0 ]; then
				ok "unit tests built for arm64: $summary (the $gap failed need openat2, which this qemu-user lacks)"
			else
				bad "unit tests built for arm64: $summary; not for want of openat2: ${real[*]}" "$out"
			fi
		fi
	else
		bad "unit tests built for arm64: $units missing (make ARCH=arm64 unit-cross)"
	fi
	finish
fi

[ "$mode" = system ] || { echo "test-arm64: unknown mode $mode (user or system)" >&2; exit 2; }
# qemu-system-aarch64 (TCG, no KVM: this machine is x86-64) booting Debian's arm64 kernel package
missing=()
for p in qemu-system-arm cpio; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	[ "$(id -u)" = 0 ] || { echo "test-arm64: install ${missing[*]} (as root)" >&2; exit 1; }
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
		{ echo "test-arm64: cannot install ${missing[*]}" >&2; exit 1; }
fi
# the kernels to boot: Debian 12's (6.1) and Debian 13's (6.12) arm64 kernel packages
kernels=${GBT_KERNELS:-linux-image-arm64 linux-image-arm64/trixie}
got=$(bash "$HERE/arm64-sysroot.sh" "$BUILD/deps" busybox-static $kernels) || exit 1
ROOT=$BUILD/deps/sysroot
fs=$BUILD/initramfs
rm -rf "$fs" && mkdir -p "$fs"/{bin,dev,proc,sys,tmp}
cp "$ROOT/bin/busybox" "$fs/bin/busybox"
cp "$BIN" "$fs/bin/gadgetbox"
[ ! -x "$BUILD/unit-tests-arm64" ] || cp "$BUILD/unit-tests-arm64" "$fs/bin/unit-tests"
install -m 755 "$HERE/arm64-guest.sh" "$fs/init"
mknod "$fs/dev/console" c 5 1
(cd "$fs" && find . | cpio -o -H newc --quiet | gzip -1) >"$BUILD/initramfs.cpio.gz"
for kpkg in $(awk '$1 ~ /^linux-image-/ { print $1 }' <<<"$got"); do
	kver=${kpkg#linux-image-}
	kernel=$ROOT/boot/vmlinuz-$kver
	log=$BUILD/test-arm64-console-$kver.log
	printf 'test-arm64: booting %s under qemu-system-aarch64 (TCG); the console goes to %s\n' "$kpkg" "$log"
	t0=$(date +%s)
	timeout "${GBT_QEMU_TIMEOUT:-2400}" qemu-system-aarch64 -M virt -cpu cortex-a72 -smp 2 -m 1024 -nographic \
		-nic none -no-reboot -kernel "$kernel" -initrd "$BUILD/initramfs.cpio.gz" \
		-append "console=ttyAMA0 panic=-1 quiet rdinit=/init" </dev/null >"$log" 2>&1
	rc=$?
	took=$(($(date +%s) - t0))
	console=$(tr -d '\r' <"$log")
	while IFS= read -r line; do
		case $line in
		ok\ *) ok "$kver: ${line#ok }" ;;
		FAIL\ *) bad "$kver: ${line#FAIL }" ;;
		*) printf '        %s\n' "$line" ;;
		esac
	done < <(grep '^GBT ' <<<"$console" | sed 's/^GBT //' | grep -v '^done$')
	if ! grep -q '^GBT done' <<<"$console"; then
		bad "$kver: the guest finished (qemu exit $rc after $took s)" "$(tail -n 20 <<<"$console")"
	fi
	printf 'test-arm64: %s: the emulated run took %d s\n' "$kver" "$took"
done
finish
