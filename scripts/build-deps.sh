#!/usr/bin/env bash
# Build the static dependencies of gadgetbox (libbpf, libelf, zlib, cJSON) with musl-gcc from Debian's
# source packages into $PREFIX; the versions are chosen in scripts/deps.list and fetched by
# scripts/fetch-source.sh. One progress line per dependency; a stamp per library makes a second run a no-op.
# Writes $DEPS/VERSIONS ("name upstream debian-version suite", musl included) and $DEPS/versions.h.
# Also installs the Debian packages the build needs (clang, llvm, bpftool, musl-tools, libbpf-dev).
# TARGET=arm64: cross-builds the same dependencies for arm64 (make arm64): installs the cross compiler and
# qemu-user-static, unpacks Debian's arm64 musl-dev (and the arm64 kernel, for its BTF) with
# scripts/arm64-sysroot.sh and writes $DEPS/cc, a musl-gcc for arm64.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${BUILD:-$(pwd)/build}
export BUILD
DEPS=$BUILD/deps
SRC=$DEPS/src
PREFIX=$DEPS/prefix
JOBS=$(nproc)
export DEBIAN_FRONTEND=noninteractive

log() { printf 'build-deps: %s\n' "$*" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

TARGET=${TARGET:-}
need_pkgs=(clang llvm bpftool musl-tools libbpf-dev make gcc pkg-config dpkg-dev)
case $TARGET in
'') ;;
arm64) need_pkgs+=(gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu linux-libc-dev-arm64-cross qemu-user-static) ;;
*) log "unknown TARGET=$TARGET (arm64 is the one other architecture)"; exit 2 ;;
esac
missing=()
for p in "${need_pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	[ "$(id -u)" = 0 ] || { log "missing packages ${missing[*]}; run as root or install them"; exit 1; }
	t0=$(now)
	printf 'build-deps: installing %s ... ' "${missing[*]}" >&2
	out=$(apt-get -o Acquire::Retries=3 update -qq 2>&1 &&
		apt-get -o Acquire::Retries=3 install -y -qq --no-install-recommends "${missing[@]}" 2>&1) || {
		printf 'failed\n' >&2
		printf '%s\n' "$out" | grep -E '^(E|W):' | tail -n 5 >&2
		exit 1
	}
	printf 'done in %s\n' "$(since "$t0")" >&2
fi

mkdir -p "$SRC" "$PREFIX/lib" "$PREFIX/include"

# musl-gcc does not search /usr/include; give it the kernel UAPI headers only.
KHDR=$DEPS/kernel-headers
if [ ! -e "$KHDR/linux" ]; then
	mkdir -p "$KHDR"
	if [ "$TARGET" = arm64 ]; then # linux-libc-dev-arm64-cross
		for d in linux asm asm-generic; do ln -sfn "/usr/aarch64-linux-gnu/include/$d" "$KHDR/$d"; done
	else
		ln -sfn /usr/include/linux "$KHDR/linux"
		ln -sfn /usr/include/x86_64-linux-gnu/asm "$KHDR/asm"
		ln -sfn /usr/include/asm-generic "$KHDR/asm-generic"
	fi
fi
export CC="musl-gcc -idirafter $KHDR" AR=ar
HOST=()
if [ "$TARGET" = arm64 ]; then
	# Debian's arm64 musl (its libc.a and headers) and kernel (for vmlinux.h), unpacked, not installed
	t0=$(now)
	got=$(bash "$HERE/arm64-sysroot.sh" "$DEPS" musl-dev linux-image-arm64) || exit 1
	log "arm64 packages: $(printf '%s' "$got" | tr '\n' ' ') ($(since "$t0"))"
	ROOT=$DEPS/sysroot
	sed -e "s|/usr/include/aarch64-linux-musl|$ROOT/usr/include/aarch64-linux-musl|g" \
		-e "s|/usr/lib/aarch64-linux-musl|$ROOT/usr/lib/aarch64-linux-musl|g" \
		"$ROOT/usr/lib/aarch64-linux-musl/musl-gcc.specs" >"$DEPS/musl-gcc.specs"
	printf '#!/bin/sh\n# musl-gcc for arm64: the cross gcc with the specs of Debian'"'"'s arm64 musl-dev\n' >"$DEPS/cc"
	printf 'exec aarch64-linux-gnu-gcc "$@" -specs "%s"\n' "$DEPS/musl-gcc.specs" >>"$DEPS/cc"
	chmod +x "$DEPS/cc"
	kpkg=$(awk '$1 ~ /^linux-image-/ { print $1 }' <<<"$got")
	python3 "$HERE/image-btf.py" "$ROOT/boot/vmlinuz-${kpkg#linux-image-}" "$DEPS/vmlinux.btf.new"
	cmp -s "$DEPS/vmlinux.btf.new" "$DEPS/vmlinux.btf" && rm -f "$DEPS/vmlinux.btf.new" || mv "$DEPS/vmlinux.btf.new" "$DEPS/vmlinux.btf"
	export CC="$DEPS/cc -idirafter $KHDR" AR=aarch64-linux-gnu-ar
	HOST=(--host=aarch64-linux-gnu)
fi

build_zlib() {
	./configure --static --prefix="$PREFIX" && make -j"$JOBS" libz.a && make install
}

build_elfutils() { # libelf only
	ac_cv_search_argp_parse="none required" ac_cv_search_fts_close="none required" \
		ac_cv_search__obstack_free="none required" \
		./configure -q --prefix="$PREFIX" --disable-debuginfod --disable-libdebuginfod \
		--without-bzlib --without-lzma --without-zstd --disable-nls --disable-symbol-versioning "${HOST[@]}" \
		CFLAGS="-O2 -I$PREFIX/include -Wno-error" LDFLAGS="-L$PREFIX/lib" &&
		make -j"$JOBS" -C libelf libelf.a &&
		install -m 644 libelf/libelf.a "$PREFIX/lib/" &&
		install -m 644 libelf/libelf.h libelf/gelf.h libelf/nlist.h "$PREFIX/include/"
}

build_libbpf() {
	mkdir -p "$DEPS/libbpf-obj" &&
		make -j"$JOBS" -C src CC="$CC" AR="$AR" BUILD_STATIC_ONLY=y NO_PKG_CONFIG=1 \
			OBJDIR="$DEPS/libbpf-obj" PREFIX="$PREFIX" LIBDIR="$PREFIX/lib" \
			EXTRA_CFLAGS="-I$PREFIX/include" install install_uapi_headers
}

build_cjson() { # one .c file; its CMake build is not needed
	mkdir -p "$DEPS/cjson-obj" "$PREFIX/include/cjson" &&
		$CC -O2 -fno-strict-aliasing -c cJSON.c -o "$DEPS/cjson-obj/cJSON.o" &&
		$AR rcs "$PREFIX/lib/libcjson.a" "$DEPS/cjson-obj/cJSON.o" &&
		install -m 644 cJSON.h "$PREFIX/include/cjson/"
}

build_libmicrohttpd() { # the library only: no TLS, no docs, no examples
	./configure -q --prefix="$PREFIX" --enable-static --disable-shared --disable-https --without-gnutls \
		--disable-curl --disable-doc --disable-examples --disable-tools --disable-nls --disable-dauth \
		--disable-bauth --disable-postprocessor --disable-httpupgrade --disable-cookie "${HOST[@]}" \
		CFLAGS="-O2 -I$PREFIX/include" &&
		make -j"$JOBS" -C src/microhttpd &&
		make -C src/microhttpd install && make -C src/include install
}

# One line per dependency: name, version, suite, and how long fetching and building took.
while read -r pkg name _; do
	spec=$(grep -E "^$pkg[[:space:]]" "$HERE/deps.list")
	stamp=$DEPS/$pkg.stamp
	if [ -f "$stamp" ] && [ "$(sed -n 1p "$stamp")" = "$spec" ]; then
		continue
	fi
	t0=$(now)
	rm -rf "${SRC:?}/$pkg"
	got=$(bash "$HERE/fetch-source.sh" ${APT_DIR:+--apt-dir "$APT_DIR"} "$pkg" "$SRC/$pkg") || exit 1
	read -r ver suite up <<<"$got"
	printf 'build-deps: %-8s %-8s (Debian %s, %s) fetched in %s, ' "$name" "$up" "$ver" "$suite" "$(since "$t0")" >&2
	t1=$(now)
	if ! (cd "$SRC/$pkg" && "build_$pkg") >"$DEPS/$pkg.log" 2>&1; then
		printf 'build FAILED\n' >&2
		tail -n 15 "$DEPS/$pkg.log" >&2
		log "full log: $DEPS/$pkg.log"
		exit 1
	fi
	printf 'built in %s\n' "$(since "$t1")" >&2
	printf '%s\n%s %s %s %s\n' "$spec" "$name" "$up" "$ver" "$suite" >"$stamp"
done < <(grep -Ev '^[[:space:]]*(#|$)' "$HERE/deps.list")

# What went into the binary, for `gadgetbox --version`.
{
	for pkg in libbpf elfutils zlib cjson libmicrohttpd; do sed -n 2p "$DEPS/$pkg.stamp"; done # the order bpftool would name them
	if [ "$TARGET" = arm64 ]; then musl=$(cat "$DEPS/sysroot/.musl-dev"); else musl=$(dpkg-query -W -f='${Version}' musl-dev); fi
	echo "musl ${musl%-*} $musl installed"
} >"$DEPS/VERSIONS.new"
short=$(awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2 }' "$DEPS/VERSIONS.new")
long=$(awk '{ printf "%s%s %s (Debian %s)", (NR > 1 ? ", " : ""), $1, $2, $3 }' "$DEPS/VERSIONS.new")
printf '#define GB_DEPS_VERSIONS "%s"\n#define GB_DEPS_VERSIONS_DEBIAN "%s"\n' "$short" "$long" >"$DEPS/versions.h.new"
for f in VERSIONS versions.h; do
	cmp -s "$DEPS/$f.new" "$DEPS/$f" && rm -f "$DEPS/$f.new" || mv "$DEPS/$f.new" "$DEPS/$f"
done
log "ready: $short"
