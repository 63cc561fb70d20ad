#!/usr/bin/env bash
# make bench: install what the benchmark compares against and draws with, then run it (as root).
set -euo pipefail
cd "$(dirname "$0")/../.."
export DEBIAN_FRONTEND=noninteractive
missing=()
for p in libbpf-tools gnuplot-nox musl-tools util-linux; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# the idle-containers phase starts the test runtimes; stop them again unless they were already running
if ! bash scripts/runtimes.sh status 2>/dev/null | grep -q "^containerd: [0-9]"; then
	trap 'bash scripts/runtimes.sh down >/dev/null 2>&1 || true' EXIT
fi
/usr/bin/python3 scripts/bench/bench.py docs
