#!/usr/bin/env bash
# The whole test suite (make test): C unit tests under ASan+UBSan, then integration tests that run the real
# binary as root against the real kernel. Installs what the tests need from Debian.
set -euo pipefail
cd "$(dirname "$0")/.."

[ "$(id -u)" = 0 ] || { echo "test.sh: the integration tests load eBPF programs: run as root" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
# dnssnoop: dig, dnsmasq, tshark to compare with, ip netns; seccomp-advise: YAML for its CRD output; the
# image: a registry to push it to and pull it from; --metrics: Debian's prometheus server, which
# test_metrics.py starts itself on 127.0.0.1 to scrape the agent
need=(python3-pytest bpftool strace gcc libc6-dev util-linux clang-format pkg-config binutils libclang-rt-dev
	bind9-dnsutils dnsmasq-base tshark iproute2 python3-yaml docker-registry prometheus)
missing=()
for p in "${need[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# warnings as errors, unit tests and fuzzers under sanitizers, clang-format drift
make --no-print-directory check

# real container runtimes (containerd with CRI, dockerd, podman, runc, crun), stopped again however we exit
bash scripts/runtimes.sh up
trap 'bash scripts/runtimes.sh down || true' EXIT

# Debian's interpreter, where python3-pytest is installed (a pyenv python3 may come first on PATH)
/usr/bin/python3 -m pytest -v -p no:cacheprovider tests/integration "$@"
