#!/usr/bin/env bash
# Print the path of a helm binary, building it from the Go module proxy into .local/bin the
# first time (there is no other source of helm on these machines). Pinned version.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HELM_VERSION=v3.22.0
BIN=$ROOT/.local/bin/helm
STAMP=$BIN.version  # a helm built with go install does not report its exact version

if [[ ! -x $BIN ]] || [[ "$(cat "$STAMP" 2>/dev/null)" != "$HELM_VERSION" ]]; then
    command -v go >/dev/null 2>&1 || { echo "helm.sh: go is needed to build helm" >&2; exit 1; }
    echo "helm.sh: building helm ${HELM_VERSION} (a few minutes, once)" >&2
    mkdir -p "$ROOT/.local/bin"
    GOBIN=$ROOT/.local/bin go install "helm.sh/helm/v3/cmd/helm@${HELM_VERSION}" >&2
    echo "$HELM_VERSION" >"$STAMP"
fi
echo "$BIN"
