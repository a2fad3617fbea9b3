#!/usr/bin/env bash
# Install Debian packages non-interactively: apt-get update once, then install.
# Used by tools/redis/redis.sh (redis-server), the Makefile (chromium) and
# tests/integration/test_behind_proxy.py (nginx).
#
#   apt-install.sh PACKAGE...
set -euo pipefail

[[ $# -gt 0 ]] || { echo "usage: $0 PACKAGE..." >&2; exit 2; }

die() { echo "apt-install.sh: $*" >&2; exit 1; }

command -v apt-get >/dev/null 2>&1 ||
    die "apt-get not found; install these packages by hand: $*"

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || die "need root (or sudo) to install: $*"
    SUDO=(sudo)
fi

export DEBIAN_FRONTEND=noninteractive

# A package such as redis-server starts its system-wide service on install,
# which would take the port our own instance wants. policy-rc.d answering 101
# tells Debian's maintainer scripts not to start services; only add one (and
# remove it afterwards) when the machine has none of its own.
POLICY=/usr/sbin/policy-rc.d
if [[ ! -e $POLICY ]]; then
    printf '#!/bin/sh\n# temporary, from tools/apt-install.sh\nexit 101\n' | "${SUDO[@]}" tee "$POLICY" >/dev/null
    "${SUDO[@]}" chmod 755 "$POLICY"
    trap '"${SUDO[@]}" rm -f "$POLICY"' EXIT
fi

echo "apt-install.sh: installing $* from Debian" >&2
"${SUDO[@]}" apt-get update -q >&2 || die "apt-get update failed"
"${SUDO[@]}" apt-get install -y -q "$@" >&2 ||
    die "apt-get install $* failed"
