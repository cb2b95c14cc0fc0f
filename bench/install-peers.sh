#!/usr/bin/env bash
# install-peers.sh - installs the Debian packages of the agents bench/peers.sh
# compares nexusmon with, when one is missing. Needs root (or sudo) and apt.
# Note: on a host with systemd the packages enable their own services
# (prometheus-node-exporter on :9100, netdata on :19999); peers.sh starts its
# own instances on other ports, so stop those services for a quiet machine.
set -euo pipefail
have() { command -v "$1" >/dev/null 2>&1 || [[ -x "/usr/sbin/$1" ]]; }
if have prometheus-node-exporter && have collectd && have netdata; then
    exit 0
fi
pkgs=(prometheus-node-exporter collectd-core netdata-core)
if ! command -v apt-get >/dev/null; then
    echo "install-peers: no apt-get; install ${pkgs[*]} by hand (missing peers are skipped)" >&2
    exit 0
fi
sudo=()
if [[ $(id -u) != 0 ]]; then
    command -v sudo >/dev/null || { echo "install-peers: not root and no sudo; missing peers are skipped" >&2; exit 0; }
    sudo=(sudo)
fi
"${sudo[@]}" apt-get install -y --no-install-recommends "${pkgs[@]}" >&2 ||
    { "${sudo[@]}" apt-get update >&2 && "${sudo[@]}" apt-get install -y --no-install-recommends "${pkgs[@]}" >&2; }
