#!/usr/bin/env bash
# Install hey, the HTTP load generator of bench/peer_bench.py, into .local/bin with
# `go install` from the Go module proxy: a pinned version, built once.
#
#   tools/install-hey.sh     prints the path of the binary
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=$ROOT/.local/bin
# v0.1.5 is the latest tag of github.com/rakyll/hey; pinned so every run builds the same tool.
VERSION=${HEY_VERSION:-v0.1.5}
MARKER=$BIN/.hey-version

if [[ -x $BIN/hey && -f $MARKER && $(cat "$MARKER") == "$VERSION" ]]; then
    echo "$BIN/hey"
    exit 0
fi
command -v go >/dev/null 2>&1 || { echo "install-hey.sh: go not found (Debian: apt-get install -y golang)" >&2; exit 1; }
mkdir -p "$BIN"
echo "install-hey.sh: go install github.com/rakyll/hey@$VERSION" >&2
GOBIN=$BIN GOFLAGS=-modcacherw go install "github.com/rakyll/hey@$VERSION"
echo "$VERSION" >"$MARKER"
echo "$BIN/hey"
