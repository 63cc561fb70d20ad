#!/usr/bin/env bash
# Download Debian's arm64 binary packages that the arm64 cross build (and its emulated tests) need and unpack
# them under DIR/sysroot, without adding arm64 to this machine's dpkg: apt runs on a private configuration
# under DIR/apt (this machine's Debian mirror and release, arm64 only, its own lists and cache).
#
#   arm64-sysroot.sh DIR PACKAGE[/SUITE]...
#
# PACKAGE comes from this machine's release unless SUITE (e.g. trixie) names another on the same mirror.
# Prints one line per package ("PACKAGE VERSION"). A package already unpacked (DIR/sysroot/.PACKAGE) is skipped.
# linux-image-arm64 (the metapackage) is resolved to the kernel package it depends on; kernel modules are not
# unpacked (the emulated tests need none).
set -euo pipefail

DIR=$(realpath -m "$1")
shift
APT_DIR=$DIR/apt
ROOT=$DIR/sysroot
log() { printf 'arm64-sysroot: %s\n' "$*" >&2; }

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/mirror.sh"

codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
main=$(mirror_uris "(^|[[:space:]])$codename([[:space:]]|$)" | head -n1)
sec=$(mirror_uris "$codename-security" | head -n1)
main=${main:-http://deb.debian.org/debian}
sec=${sec:-http://deb.debian.org/debian-security}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
mkdir -p "$ROOT"
OPTS=()
setup() { # apt's options for the arm64 packages of release $1 (its own lists under $APT_DIR-$1 but for ours)
	local d=$APT_DIR
	[ "$1" = "$codename" ] || d=$APT_DIR-$1
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial" "$d/parts" "$APT_DIR/debs"
	touch "$d/status"
	cat >"$d/sources.new" <<-EOF
		Types: deb
		URIs: $main
		Suites: $1 $1-updates
		Components: main
		Architectures: arm64
		Signed-By: $keyring

		Types: deb
		URIs: $sec
		Suites: $1-security
		Components: main
		Architectures: arm64
		Signed-By: $keyring
	EOF
	sources_update "$d/sources.new" "$d/arm64.sources" "$d/updated"
	OPTS=(-o "Dir::Etc::SourceList=$d/arm64.sources" -o "Dir::Etc::SourceParts=$d/parts"
		-o "Dir::State::Lists=$d/lists" -o "Dir::State::status=$d/status" -o "Dir::Cache=$d/cache"
		-o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= -o APT::Architecture=arm64
		-o APT::Architectures::=arm64 -o Acquire::Retries=3)
	[ "$(id -u)" != 0 ] || OPTS+=(-o APT::Sandbox::User=root)
	if [ ! -f "$d/updated" ] || [ -n "$(find "$d/updated" -mmin +1440)" ]; then
		out=$(apt-get "${OPTS[@]}" update 2>&1) || {
			log "apt-get update failed for $d/arm64.sources:"
			printf '%s\n' "$out" | grep -E '^(E|W):' | tail -n 5 >&2
			exit 1
		}
		touch "$d/updated"
	fi
}

for spec in "$@"; do
	pkg=${spec%/*} suite=$codename
	[ "$pkg" = "$spec" ] || suite=${spec#*/}
	setup "$suite"
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
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$ROOT" --exclude='./lib/modules' --exclude='./usr/lib/modules' 
	ver=$(dpkg-deb -f "$deb" Version)
	printf '%s\n' "$ver" >"$ROOT/.$pkg"
	printf '%s %s\n' "$pkg" "$ver"
done
