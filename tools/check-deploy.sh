#!/usr/bin/env bash
# Static checks of the deployment artifacts: hadolint on the Dockerfile, helm lint on the
# chart, and the rendered manifests validated offline against the Kubernetes schemas.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BIN=.venv/bin
CHART=helm/sfm-graphql
K8S_VERSION=1.30.0

echo "== hadolint Dockerfile"
"$BIN/hadolint" Dockerfile

helm=$(tools/helm.sh)
echo "== helm lint"
"$helm" lint --strict "$CHART"

rendered=$(mktemp -d)
trap 'rm -rf "$rendered"' EXIT
for variant in default vault; do
    args=()
    if [[ $variant == vault ]]; then
        args=(--set secrets.backend=vault --set metrics.serviceMonitor.enabled=false --set ingress.enabled=true)
    fi
    "$helm" template sfm "$CHART" --kube-version "$K8S_VERSION" "${args[@]}" --output-dir "$rendered/$variant" >/dev/null
done
echo "== kubernetes-validate (Kubernetes $K8S_VERSION)"
find "$rendered" -name '*.yaml' -print0 | xargs -0 "$BIN/kubernetes-validate" --quiet --strict -k "$K8S_VERSION"
