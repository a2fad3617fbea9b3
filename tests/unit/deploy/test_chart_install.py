"""The chart installs: Helm's install order replayed on `helm template` output, the selectors of
the Service, PDB and NetworkPolicy, and the commands the pods run (docs/deployment.md)."""

from __future__ import annotations

import pytest

from sfm_graphql.cli import build_parser
from tests.unit.deploy.helm_chart import (
    POD_KINDS,
    find,
    hook_of,
    install_problems,
    pod_labels,
    pod_spec,
    references,
    render,
    selects,
)

SECRET = ("Secret", "sfm-graphql-secrets")  # secrets.existingSecret: created before the install
VARIANTS = {
    "default": [],
    "vault": ["secrets.backend=vault"],
    "everything": [
        "metrics.serviceMonitor.enabled=true",
        "metrics.prometheusRule.enabled=true",
        "metrics.grafanaDashboard.enabled=true",
        "ingress.enabled=true",
        "imagePullSecrets[0].name=registry",
        "backup.enabled=true",
    ],
    "existing service account": ["serviceAccount.create=false", "serviceAccount.name=sfm-runner"],
    "no migrations": ["migrations.enabled=false"],
}
EXTERNAL = {SECRET, ("Secret", "registry"), ("ServiceAccount", "sfm-runner")}


@pytest.mark.parametrize("variant", VARIANTS)
def test_a_first_install_has_everything_each_hook_needs(variant: str) -> None:
    assert install_problems(render(*VARIANTS[variant]), EXTERNAL) == []


def test_the_replay_finds_a_hook_that_uses_the_release_s_own_objects() -> None:
    """What the chart did before: the migration Job ran as the release's ServiceAccount."""
    docs = render()
    job = find(docs, "Job", "migrate")[0]
    deployment = find(docs, "Deployment")[0]
    pod_spec(job)["serviceAccountName"] = pod_spec(deployment)["serviceAccountName"]
    problems = install_problems(docs, EXTERNAL)
    assert len(problems) == 1
    assert "needs ('ServiceAccount', 'sfm-sfm-graphql')" in problems[0]


def test_migration_hooks_run_in_order_on_install_and_upgrade_and_clean_up() -> None:
    hooks = [h for d in render() if (h := hook_of(d)) is not None and "test" not in h.events]
    job = next(h for h in hooks if h.doc["kind"] == "Job")
    needs = references(pod_spec(job.doc))
    for hook in hooks:
        assert hook.events == {"pre-install", "pre-upgrade"}
        # Recreated on every upgrade, removed once the migration has run.
        assert hook.delete_policies == {"before-hook-creation", "hook-succeeded"}
        if hook is not job:
            assert hook.weight < job.weight
            assert hook.key in needs


def test_the_release_s_objects_never_reference_a_hook() -> None:
    """Hooks with hook-succeeded are gone after the install: nothing lasting may use them."""
    docs = render(*VARIANTS["everything"])
    hook_keys = {h.key for d in docs if (h := hook_of(d)) is not None}
    for doc in docs:
        spec = pod_spec(doc) if doc["kind"] in POD_KINDS and hook_of(doc) is None else None
        if spec:
            assert not references(spec) & hook_keys, doc["metadata"]["name"]


def test_only_the_serving_pods_are_selected() -> None:
    docs = render(*VARIANTS["everything"])
    serving = pod_labels(find(docs, "Deployment")[0])
    others = {
        labels["app.kubernetes.io/component"]: labels
        for labels in (pod_labels(d) for d in docs if d["kind"] in {"Job", "CronJob", "Pod"})
    }
    assert set(others) == {"migrate", "audit-prune", "backup", "test"}
    selectors = {
        "Service": find(docs, "Service")[0]["spec"]["selector"],
        "PodDisruptionBudget": find(docs, "PodDisruptionBudget")[0]["spec"]["selector"][
            "matchLabels"
        ],
        "NetworkPolicy": find(docs, "NetworkPolicy")[0]["spec"]["podSelector"]["matchLabels"],
    }
    for kind, selector in selectors.items():
        assert selects(selector, serving), kind
        for component, labels in others.items():
            assert not selects(selector, labels), f"{kind} selects the {component} pods"
    # The Deployment's own selector is immutable: it keeps the labels of earlier releases.
    deployment = find(docs, "Deployment")[0]
    assert deployment["spec"]["selector"]["matchLabels"] == {
        "app.kubernetes.io/name": "sfm-graphql",
        "app.kubernetes.io/instance": "sfm",
    }


@pytest.mark.parametrize(
    ("kind", "component", "command"),
    [
        ("Deployment", None, "serve"),
        ("Job", "migrate", "migrate"),
        ("CronJob", "audit-prune", "audit-prune"),
        ("CronJob", "backup", "backup-prune"),
    ],
)
def test_every_pod_runs_a_command_the_cli_accepts(
    kind: str, component: str | None, command: str
) -> None:
    doc = find(render("backup.enabled=true"), kind, component)[0]
    spec = pod_spec(doc)
    assert spec is not None
    for container in spec.get("initContainers", []):  # the backup CronJob's backup step
        assert build_parser().parse_args(container["args"]).command == "backup"
    args = spec["containers"][0]["args"]
    parsed = build_parser().parse_args(args)
    assert parsed.command == command


def test_jobs_get_the_neo4j_settings_and_no_credentials_they_do_not_need() -> None:
    docs = render("secrets.backend=vault", "config.extraEnv.SFM_NEO4J_MAX_POOL=20")
    for doc in (find(docs, "Job", "migrate")[0], find(docs, "CronJob", "audit-prune")[0]):
        spec = pod_spec(doc)
        assert spec["automountServiceAccountToken"] is False
        container = spec["containers"][0]
        config_name = container["envFrom"][0]["configMapRef"]["name"]
        config = next(d for d in find(docs, "ConfigMap") if d["metadata"]["name"] == config_name)
        assert config["data"]["SFM_NEO4J_URI"].startswith("neo4j://")
        assert config["data"]["SFM_NEO4J_MAX_POOL"] == "20"
        assert [e["name"] for e in container["env"]] == ["SFM_NEO4J_PASSWORD"]


def test_the_audit_prune_cronjob_runs_alone_with_the_retention_setting() -> None:
    docs = render("config.auditRetentionDays=90", "auditPrune.schedule=0 4 * * 0")
    cron = find(docs, "CronJob", "audit-prune")[0]
    assert cron["spec"]["schedule"] == "0 4 * * 0"
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    assert find(docs, "ConfigMap")[0]["data"]["SFM_AUDIT_RETENTION_DAYS"] == "90"
    assert find(render("auditPrune.enabled=false"), "CronJob") == []
