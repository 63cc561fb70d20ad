#!/usr/bin/env bash
# Fetch and unpack one Debian source package, surviving a mirror that lists a version it cannot serve.
#
#   fetch-source.sh [--apt-dir DIR] [--try VERSION]... [--no-fallback] PACKAGE DEST
#
# Tries each --try VERSION first, then the versions scripts/deps.list accepts for PACKAGE, in its order,
# until one downloads and unpacks; leaves the tree at DEST and prints "VERSION SUITE UPSTREAM-VERSION" on stdout.
# If every version fails it prints apt's last errors and what to try, and exits 1.
#
# apt runs on a private configuration under --apt-dir (default $BUILD/deps/apt): deb-src entries for this
# machine's Debian mirror (its release, trixie and sid), their own package lists and cache. Nothing in
# /etc/apt is read or changed but the mirror addresses and the archive keyring, so a build never depends on
# deb-src entries a developer added by hand.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${BUILD:-$(pwd)/build}
APT_DIR=$BUILD/deps/apt
tries=()
fallback=1
while [ $# -gt 0 ]; do
	case $1 in
	--apt-dir) APT_DIR=$2; shift 2 ;;
	--try) tries+=("$2"); shift 2 ;;
	--no-fallback) fallback=; shift ;;
	-*) echo "fetch-source: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
[ $# -eq 2 ] || { echo "usage: fetch-source.sh [--apt-dir DIR] [--try VERSION]... [--no-fallback] PACKAGE DEST" >&2; exit 2; }
PKG=$1
DEST=$2

log() { printf 'fetch-source: %s\n' "$*" >&2; }

. "$HERE/mirror.sh"

setup_apt() {
	local codename keyring main sec
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
	keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	main=$(mirror_uris "(^|[[:space:]])$codename([[:space:]]|$)" | head -n1)
	sec=$(mirror_uris "$codename-security" | head -n1)
	main=${main:-http://deb.debian.org/debian}
	sec=${sec:-http://deb.debian.org/debian-security}
	mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial" "$APT_DIR/parts"
	local suites="$codename $codename-updates" s
	for s in trixie sid; do [[ " $suites " == *" $s "* ]] || suites+=" $s"; done
	cat >"$APT_DIR/sources.new" <<-EOF
		Types: deb-src
		URIs: $main
		Suites: $suites
		Components: main
		Signed-By: $keyring

		Types: deb-src
		URIs: $sec
		Suites: $codename-security
		Components: main
		Signed-By: $keyring
	EOF
	# a changed mirror or release invalidates the lists
	sources_update "$APT_DIR/sources.new" "$APT_DIR/gadgetbox.sources" "$APT_DIR/updated"
}

APT_OPTS=()
apt_opts() {
	APT_OPTS=(-o "Dir::Etc::SourceList=$APT_DIR/gadgetbox.sources" -o "Dir::Etc::SourceParts=$APT_DIR/parts"
		-o "Dir::State::Lists=$APT_DIR/lists" -o "Dir::Cache=$APT_DIR/cache" -o Dir::Cache::pkgcache=
		-o Dir::Cache::srcpkgcache= -o Acquire::Retries=3 -o APT::Get::Only-Source=true)
	# the _apt sandbox user may not be able to enter a build directory under /root
	[ "$(id -u)" != 0 ] || APT_OPTS+=(-o APT::Sandbox::User=root)
}

apt_update() {
	[ -f "$APT_DIR/updated" ] && [ -z "$(find "$APT_DIR/updated" -mmin +1440)" ] && return 0
	local out
	if ! out=$(apt-get "${APT_OPTS[@]}" update 2>&1); then
		log "apt-get update failed for the deb-src entries in $APT_DIR/gadgetbox.sources:"
		printf '%s\n' "$out" | grep -E '^(E|W):' | tail -n 5 >&2
		exit 1
	fi
	printf '%s\n' "$out" | grep -E '^(E|W):' | tail -n 3 | sed 's/^/fetch-source: apt: /' >&2 || true
	touch "$APT_DIR/updated"
}

upstream_of() { # Debian version → upstream version: 1:1.3.dfsg+really1.3.1-1 → 1.3.1
	local v=${1#*:}
	[[ $v == *-* ]] && v=${v%-*}
	[[ $v == *+really* ]] && v=${v##*+really}
	v=${v%%[.+~]dfsg*}
	v=${v%%[+~]ds*}
	printf '%s\n' "$v"
}

vsort_desc() { # sort Debian versions on stdin, newest first (dpkg's ordering)
	local -a vs=() out=()
	local v i
	mapfile -t vs
	for v in "${vs[@]}"; do
		for ((i = 0; i < ${#out[@]}; i++)); do
			dpkg --compare-versions "$v" gt "${out[i]}" && break
		done
		out=("${out[@]:0:i}" "$v" "${out[@]:i}")
	done
	[ ${#out[@]} -eq 0 ] || printf '%s\n' "${out[@]}"
}

# "VERSION SUITE[,SUITE]" for every version apt lists for $PKG
declare -A SUITE=()
list_versions() {
	local line ver suite
	while IFS= read -r line; do
		ver=$(awk -F' *[|] *' '{ print $2 }' <<<"$line")
		suite=$(awk -F' *[|] *' '{ n = split($3, w, " "); sub(/\/.*/, "", w[n - 1]); print w[n - 1] }' <<<"$line")
		[ -n "$ver" ] || continue
		if [ -n "${SUITE[$ver]:-}" ]; then
			[[ ,${SUITE[$ver]}, == *,$suite,* ]] || SUITE[$ver]+=",$suite"
		else
			SUITE[$ver]=$suite
		fi
	done < <(apt-cache "${APT_OPTS[@]}" madison "$PKG" 2>/dev/null | grep ' Sources$' || true)
}

# The order to try: preferred upstream release first, then the rest of the accepted range; newest first.
candidates() {
	local spec pref lo hi v up
	spec=$(awk -v p="$PKG" '$1 == p { print $3, $4, $5 }' "$HERE/deps.list")
	if [ -z "$spec" ]; then # not one of ours: whatever apt lists, newest first
		printf '%s\n' "${!SUITE[@]}" | vsort_desc
		return
	fi
	read -r pref lo hi <<<"$spec"
	local -a first=() rest=()
	while IFS= read -r v; do
		[ -n "$v" ] || continue
		up=$(upstream_of "$v")
		if [ "$up" = "$pref" ]; then
			first+=("$v")
		elif dpkg --compare-versions "$up" ge "$lo" && dpkg --compare-versions "$up" le "$hi"; then
			rest+=("$v")
		fi
	done < <(printf '%s\n' "${!SUITE[@]}" | vsort_desc)
	printf '%s\n' "${first[@]}" "${rest[@]}" | sed '/^$/d'
}

setup_apt
apt_opts
apt_update
list_versions
order=("${tries[@]}")
if [ -n "$fallback" ]; then
	while IFS= read -r v; do order+=("$v"); done < <(candidates)
fi
[ ${#order[@]} -gt 0 ] || { log "apt lists no source package $PKG in $APT_DIR/gadgetbox.sources"; exit 1; }

mkdir -p "$(dirname "$DEST")"
last_err=
for v in "${order[@]}"; do
	tmp=$(mktemp -d "$(dirname "$DEST")/.fetch-$PKG.XXXXXX")
	if out=$(cd "$tmp" && apt-get "${APT_OPTS[@]}" source -q "$PKG=$v" 2>&1) &&
		dir=$(find "$tmp" -mindepth 1 -maxdepth 1 -type d | head -n1) && [ -n "$dir" ]; then
		rm -rf "$DEST"
		mv "$dir" "$DEST"
		rm -rf "$tmp"
		printf '%s %s %s\n' "$v" "${SUITE[$v]:-unlisted}" "$(upstream_of "$v")"
		exit 0
	fi
	rm -rf "$tmp"
	last_err=$(printf '%s\n' "$out" | grep -E '^(E|W):|error' | tail -n 4)
	log "$PKG $v (${SUITE[$v]:-not listed by apt}) could not be fetched: $(printf '%s\n' "$last_err" | head -n 1 | cut -c1-160); trying the next version"
done
log "no version of $PKG could be fetched (tried: ${order[*]}); apt's last errors:"
printf '%s\n' "$last_err" | sed 's/^/  /' >&2
log "try again later (a mirror may be syncing), 'rm -rf $APT_DIR' to refresh apt's lists, or widen $PKG's accepted versions in scripts/deps.list"
exit 1
