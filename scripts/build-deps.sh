#!/usr/bin/env bash
# Build the static dependencies of gadgetbox (zlib, libelf, libbpf) with musl-gcc from Debian's source
# packages into $PREFIX. Idempotent: a stamp file per library makes a second run a no-op.
# Also installs the Debian packages the build needs (clang, llvm, bpftool, musl-tools, libbpf-dev).
set -euo pipefail

BUILD=${BUILD:-$(pwd)/build}
DEPS=$BUILD/deps
SRC=$DEPS/src
PREFIX=$DEPS/prefix
JOBS=$(nproc)
export DEBIAN_FRONTEND=noninteractive

log() { printf 'build-deps: %s\n' "$*" >&2; }

need_pkgs=(clang llvm bpftool musl-tools libbpf-dev make gcc pkg-config dpkg-dev)
missing=()
for p in "${need_pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
apt_updated=
apt_update() { [ -n "$apt_updated" ] || { apt-get update -qq; apt_updated=1; }; }
if [ ${#missing[@]} -gt 0 ]; then
	[ "$(id -u)" = 0 ] || { log "missing packages ${missing[*]}; run as root or install them"; exit 1; }
	log "installing ${missing[*]}"
	apt_update
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

mkdir -p "$SRC" "$PREFIX/lib" "$PREFIX/include"

# musl-gcc does not search /usr/include; give it the kernel UAPI headers only.
KHDR=$DEPS/kernel-headers
if [ ! -e "$KHDR/linux" ]; then
	mkdir -p "$KHDR"
	ln -sfn /usr/include/linux "$KHDR/linux"
	ln -sfn /usr/include/x86_64-linux-gnu/asm "$KHDR/asm"
	ln -sfn /usr/include/asm-generic "$KHDR/asm-generic"
fi
export CC="musl-gcc -idirafter $KHDR"

fetch_source() { # $1 = Debian source package; leaves the unpacked tree at $SRC/$1
	local pkg=$1
	[ -d "$SRC/$pkg" ] && return 0
	if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src' /etc/apt/sources.list; then
		[ -f /etc/apt/sources.list.d/debian.sources ] || { log "no deb-src entry and no debian.sources to copy"; exit 1; }
		log "adding deb-src entries"
		sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources >/etc/apt/sources.list.d/gadgetbox-src.sources
		apt_updated=
	fi
	apt_update
	local tmp
	tmp=$(mktemp -d "$SRC/.fetch.XXXXXX")
	(cd "$tmp" && apt-get source -qq "$pkg" >/dev/null 2>&1) || { log "apt-get source $pkg failed"; exit 1; }
	local dir
	dir=$(find "$tmp" -mindepth 1 -maxdepth 1 -type d | head -n1)
	mv "$dir" "$SRC/$pkg"
	rm -rf "$tmp"
}

if [ ! -f "$DEPS/zlib.stamp" ]; then
	fetch_source zlib
	log "building zlib"
	(cd "$SRC/zlib" && ./configure --static --prefix="$PREFIX" >/dev/null && make -s -j"$JOBS" libz.a >/dev/null && make -s install >/dev/null)
	touch "$DEPS/zlib.stamp"
fi

if [ ! -f "$DEPS/libelf.stamp" ]; then
	fetch_source elfutils
	log "building libelf"
	(cd "$SRC/elfutils" &&
		ac_cv_search_argp_parse="none required" ac_cv_search_fts_close="none required" \
			ac_cv_search__obstack_free="none required" \
			./configure -q --prefix="$PREFIX" --disable-debuginfod --disable-libdebuginfod \
			--without-bzlib --without-lzma --without-zstd --disable-nls --disable-symbol-versioning \
			CFLAGS="-O2 -I$PREFIX/include -Wno-error" LDFLAGS="-L$PREFIX/lib" >/dev/null &&
		make -s -j"$JOBS" -C libelf libelf.a >/dev/null)
	install -m 644 "$SRC/elfutils/libelf/libelf.a" "$PREFIX/lib/"
	install -m 644 "$SRC/elfutils/libelf/libelf.h" "$SRC/elfutils/libelf/gelf.h" "$SRC/elfutils/libelf/nlist.h" "$PREFIX/include/"
	touch "$DEPS/libelf.stamp"
fi

if [ ! -f "$DEPS/libbpf.stamp" ]; then
	fetch_source libbpf
	log "building libbpf"
	mkdir -p "$DEPS/libbpf-obj"
	make -s -j"$JOBS" -C "$SRC/libbpf/src" CC="$CC" BUILD_STATIC_ONLY=y NO_PKG_CONFIG=1 \
		OBJDIR="$DEPS/libbpf-obj" PREFIX="$PREFIX" LIBDIR="$PREFIX/lib" \
		EXTRA_CFLAGS="-I$PREFIX/include" install install_uapi_headers >/dev/null
	touch "$DEPS/libbpf.stamp"
fi
# cJSON: the JSON parser for runtime state and engine files (one .c file; its CMake build is not needed)
if [ ! -f "$DEPS/cjson.stamp" ]; then
	fetch_source cjson
	log "building cJSON"
	mkdir -p "$DEPS/cjson-obj" "$PREFIX/include/cjson"
	$CC -O2 -fno-strict-aliasing -c "$SRC/cjson/cJSON.c" -o "$DEPS/cjson-obj/cJSON.o"
	ar rcs "$PREFIX/lib/libcjson.a" "$DEPS/cjson-obj/cJSON.o"
	install -m 644 "$SRC/cjson/cJSON.h" "$PREFIX/include/cjson/"
	touch "$DEPS/cjson.stamp"
fi
log "dependencies ready in $PREFIX"
