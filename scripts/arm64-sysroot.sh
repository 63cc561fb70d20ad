#!/usr/bin/env bash
# Download Debian's arm64 binary packages that the arm64 cross build (and its emulated tests) need and unpack
# them under DIR/sysroot, without adding arm64 to this machine's dpkg: apt runs on a private configuration
# under DIR/apt (this machine's Debian mirror and release, arm64 only, its own lists and cache).
#
#   arm64-sysroot.sh DIR PACKAGE...
#
# Prints one line per package ("PACKAGE VERSION"). A package already unpacked (DIR/sysroot/.PACKAGE) is skipped.
# linux-image-arm64 (the metapackage) is resolved to the kernel package it depends on.
set -euo pipefail

DIR=$1
shift
APT_DIR=$DIR/apt
ROOT=$DIR/sysroot
log() { printf 'arm64-sysroot: %s\n' "$*" >&2; }

mirror() { # the deb URI this machine uses for $1 (a suite name), as scripts/fetch-source.sh finds it
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk -v pat="(^|[[:space:]])$1([[:space:]]|$)" '
			/^[[:space:]]*$/ { if (types ~ /deb/ && suites ~ pat) print uris; types = uris = suites = ""; next }
			/^Types:/ { types = $0 } /^URIs:/ { sub(/^URIs:[[:space:]]*/, ""); uris = $0 } /^Suites:/ { suites = $0 }
			END { if (types ~ /deb/ && suites ~ pat) print uris }' "$f"
	done
	{ cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true; } |
		awk -v s="$1" '$1 == "deb" && $3 == s { print $2 }'
}

codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
main=$(mirror "$codename" | head -n1)
sec=$(mirror "$codename-security" | head -n1)
main=${main:-http://deb.debian.org/debian}
sec=${sec:-http://deb.debian.org/debian-security}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial" "$APT_DIR/parts" "$APT_DIR/debs" "$ROOT"
touch "$APT_DIR/status"
cat >"$APT_DIR/sources.new" <<EOF
Types: deb
URIs: $main
Suites: $codename $codename-updates
Components: main
Architectures: arm64
Signed-By: $keyring

Types: deb
URIs: $sec
Suites: $codename-security
Components: main
Architectures: arm64
Signed-By: $keyring
EOF
if ! cmp -s "$APT_DIR/sources.new" "$APT_DIR/arm64.sources"; then
	mv "$APT_DIR/sources.new" "$APT_DIR/arm64.sources"
	rm -f "$APT_DIR/updated"
else
	rm -f "$APT_DIR/sources.new"
fi
OPTS=(-o "Dir::Etc::SourceList=$APT_DIR/arm64.sources" -o "Dir::Etc::SourceParts=$APT_DIR/parts"
	-o "Dir::State::Lists=$APT_DIR/lists" -o "Dir::State::status=$APT_DIR/status" -o "Dir::Cache=$APT_DIR/cache"
	-o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= -o APT::Architecture=arm64
	-o APT::Architectures::=arm64 -o Acquire::Retries=3)
[ "$(id -u)" != 0 ] || OPTS+=(-o APT::Sandbox::User=root)

if [ ! -f "$APT_DIR/updated" ] || [ -n "$(find "$APT_DIR/updated" -mmin +1440)" ]; then
	out=$(apt-get "${OPTS[@]}" update 2>&1) || {
		log "apt-get update failed for $APT_DIR/arm64.sources:"
		printf '%s\n' "$out" | grep -E '^(E|W):' | tail -n 5 >&2
		exit 1
	}
	touch "$APT_DIR/updated"
fi

for pkg in "$@"; do
	if [ "$pkg" = linux-image-arm64 ]; then # the metapackage: the versioned kernel package it names
		pkg=$(apt-cache "${OPTS[@]}" depends linux-image-arm64 2>/dev/null |
			awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
		[ -n "$pkg" ] || { log "apt lists no kernel for linux-image-arm64"; exit 1; }
	fi
	if [ -f "$ROOT/.$pkg" ]; then
		printf '%s %s\n' "$pkg" "$(cat "$ROOT/.$pkg")"
		continue
	fi
	out=$(cd "$APT_DIR/debs" && apt-get "${OPTS[@]}" download "$pkg:arm64" 2>&1) || {
		log "cannot download $pkg:arm64:"
		printf '%s\n' "$out" | grep -E '^(E|W):' | tail -n 5 >&2
		exit 1
	}
	deb=$(ls -t "$APT_DIR/debs/${pkg}"_*_arm64.deb | head -n1)
	dpkg-deb -x "$deb" "$ROOT"
	ver=$(dpkg-deb -f "$deb" Version)
	printf '%s\n' "$ver" >"$ROOT/.$pkg"
	printf '%s %s\n' "$pkg" "$ver"
done
