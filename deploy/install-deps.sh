#!/usr/bin/env bash
# Install the Debian 12 packages edgelb needs to build, test and demo.
# Idempotent and quiet: does nothing when everything is already installed.
set -euo pipefail

PKGS=(build-essential meson ninja-build pkg-config
      libdpdk-dev dpdk dpdk-dev libnuma-dev libiniparser-dev libcmocka-dev
      libjansson-dev libsystemd-dev python3-scapy nginx-light iproute2 ethtool
      iputils-ping arping curl wrk tcpdump procps haproxy iptables)
# lib/health: http(s) checks through libcurl's multi interface.
PKGS+=(libcurl4-openssl-dev)
# The benchmark harness and its instruction-count gate.
PKGS+=(valgrind)
# tests/fuzz: libFuzzer targets built with clang (its fuzzer runtime,
# libclang_rt.fuzzer, is in libclang-rt-14-dev on Debian 12).
PKGS+=(clang libclang-rt-14-dev)
# systemd-analyze, for test_service.sh's check of deploy/edgelbd.service.
PKGS+=(systemd)
# lib/metrics: the Prometheus endpoint (libmicrohttpd) and promtool, which
# checks the rules (promtool test rules) and a real scrape (check metrics).
PKGS+=(libmicrohttpd-dev prometheus)
# [bgp]: edgelbd runs BIRD 2 as its routing daemon; the scale-out test also
# runs BIRD 2 as the router.
PKGS+=(bird2)
# The status page's test loads it in headless Chromium (DOM after its
# JavaScript ran, and a screenshot).
PKGS+=(chromium)

missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	     grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

if [ "${#missing[@]}" -eq 0 ]; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages (${missing[*]}); run as root" >&2
	exit 1
fi

echo "install-deps: installing ${missing[*]}"
# Packages such as nginx start their service on install; we only want the
# binaries (the tests run their own nginx in namespaces). Keep services from
# starting for the duration of the install unless the host already decides.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
