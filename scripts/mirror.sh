# Sourced by scripts/fetch-source.sh and scripts/arm64-sysroot.sh: their private apt configurations.
# The URIs this machine's apt already uses for Debian (deb822 .sources or one-line sources.list).
mirror_uris() { # $1 = suite pattern (grep -E) naming the archive: "bookworm" or "bookworm-security"
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk -v pat="$1" '
			/^[[:space:]]*$/ { if (types ~ /deb/ && suites ~ pat) print uris; types = uris = suites = ""; next }
			/^Types:/ { types = $0 } /^URIs:/ { sub(/^URIs:[[:space:]]*/, ""); uris = $0 } /^Suites:/ { suites = $0 }
			END { if (types ~ /deb/ && suites ~ pat) print uris }' "$f"
	done
	{ cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true; } |
		awk -v pat="$1" '$1 == "deb" && $3 ~ pat { print $2 }'
}

# A freshly written sources file $1 replaces $2 if it differs; then apt's lists for it ($3, a stamp) are stale.
sources_update() {
	if cmp -s "$1" "$2"; then
		rm -f "$1"
	else
		mv "$1" "$2"
		rm -f "$3"
	fi
}
