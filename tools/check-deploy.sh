#!/usr/bin/env bash
# Static checks of the deployment artifacts: hadolint on the Dockerfile, helm lint on the
# chart, and the rendered manifests of several value sets validated offline: built-in kinds
# against the Kubernetes schemas, the Prometheus Operator's kinds against tools/k8s-schemas/ (and
# the PrometheusRule's rules with promtool); a kind with no schema fails (tools/validate_manifests.py).
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
"$helm" lint --strict "$CHART" --set metrics.prometheusRule.enabled=true \
    --set metrics.grafanaDashboard.enabled=true --set metrics.serviceMonitor.enabled=true

rendered=$(mktemp -d)
trap 'rm -rf "$rendered"' EXIT
for variant in default vault everything minimal; do
    args=()
    case $variant in
    vault)
        args=(--set secrets.backend=vault --set metrics.serviceMonitor.enabled=false --set ingress.enabled=true
            --set backup.enabled=true --set backup.persistence.existingClaim=sfm-backups)
        ;;
    everything)  # every optional object, and the values operators commonly set
        args=(--set metrics.serviceMonitor.enabled=true --set metrics.prometheusRule.enabled=true
            --set metrics.grafanaDashboard.enabled=true --set metrics.podAnnotations=true
            --set ingress.enabled=true --set 'imagePullSecrets[0].name=registry'
            --set 'trustedProxies={10.0.0.0/8,fd00::/8}'
            --set config.extraEnv.OTEL_EXPORTER_OTLP_ENDPOINT=http://otel-collector:4318
            --set fullnameOverride=sfm --set auditPrune.timeZone=Europe/Berlin
            --set backup.enabled=true --set backup.persistence.storageClass=standard)
        ;;
    minimal)  # every optional object off, an existing ServiceAccount
        args=(--set migrations.enabled=false --set auditPrune.enabled=false
            --set autoscaling.enabled=false --set podDisruptionBudget.enabled=false
            --set networkPolicy.enabled=false --set serviceAccount.create=false
            --set serviceAccount.name=sfm-runner)
        ;;
    esac
    "$helm" template sfm "$CHART" --kube-version "$K8S_VERSION" "${args[@]}" --output-dir "$rendered/$variant" >/dev/null
done
echo "== validate rendered manifests (Kubernetes $K8S_VERSION)"
"$BIN/python" tools/validate_manifests.py --kube-version "$K8S_VERSION" "$rendered"
