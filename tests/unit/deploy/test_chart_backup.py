"""The chart's scheduled backup: off by default; when on, a CronJob whose backup step writes into
the volume and whose retention step prunes it (docs/operations/backup-restore.md)."""

from __future__ import annotations

from typing import Any

import pytest

from sfm_graphql.cli import build_parser
from tests.unit.deploy.helm_chart import RenderError, find, pod_spec, render


def backup_pod(*sets: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    docs = render("backup.enabled=true", *sets)
    spec = pod_spec(find(docs, "CronJob", "backup")[0])
    assert spec is not None
    return docs, spec


def test_no_backup_cronjob_nor_claim_by_default() -> None:
    docs = render()
    assert find(docs, "CronJob", "backup") == []
    assert find(docs, "PersistentVolumeClaim") == []


def test_the_backup_runs_first_then_the_retention_with_the_values() -> None:
    docs, spec = backup_pod(
        "backup.schedule=5 1 * * *",
        "backup.retention.count=14",
        "backup.retention.maxAgeDays=60",
        "backup.mountPath=/data/backups",
    )
    cron = find(docs, "CronJob", "backup")[0]
    assert cron["spec"]["schedule"] == "5 1 * * *"
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    [backup] = spec["initContainers"]  # an init container: the prune runs only if it succeeded
    [prune] = spec["containers"]
    parser = build_parser()
    parsed_backup = parser.parse_args(backup["args"])
    assert parsed_backup.command == "backup"
    assert parsed_backup.encrypt is True
    assert parsed_backup.output is None  # the default name, which backup-prune recognises
    assert backup["workingDir"] == "/data/backups"
    parsed_prune = parser.parse_args(prune["args"])
    assert parsed_prune.command == "backup-prune"
    assert (str(parsed_prune.dir), parsed_prune.keep, parsed_prune.max_age_days) == (
        "/data/backups",
        14,
        60,
    )
    for container in (backup, prune):
        mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
        assert mounts["backups"] == "/data/backups"
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
    [claim] = find(docs, "PersistentVolumeClaim", "backup")
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert volumes["backups"]["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
    assert claim["spec"]["resources"]["requests"]["storage"] == "10Gi"
    assert claim["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"


def test_an_existing_claim_is_used_and_none_created() -> None:
    docs, spec = backup_pod("backup.persistence.existingClaim=s3-backups")
    assert find(docs, "PersistentVolumeClaim") == []
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert volumes["backups"]["persistentVolumeClaim"]["claimName"] == "s3-backups"


def test_a_created_claim_takes_size_and_storage_class() -> None:
    docs, _ = backup_pod("backup.persistence.size=50Gi", "backup.persistence.storageClass=fast")
    [claim] = find(docs, "PersistentVolumeClaim", "backup")
    assert claim["spec"]["storageClassName"] == "fast"
    assert claim["spec"]["resources"]["requests"]["storage"] == "50Gi"


def test_encryption_mounts_only_the_backup_key_of_the_secret() -> None:
    _, spec = backup_pod()
    assert spec["automountServiceAccountToken"] is False
    key = next(v for v in spec["volumes"] if v["name"] == "backup-key")["secret"]
    assert key["items"] == [{"key": "backup_encryption_key", "path": "backup_encryption_key"}]
    env = {e["name"]: e.get("value") for e in spec["initContainers"][0]["env"]}
    assert env["SFM_SECRETS_BACKEND"] == "file"
    assert env["SFM_SECRETS_DIR"] == "/var/run/secrets/sfm-graphql"
    assert "env" not in spec["containers"][0]  # the prune step needs no credentials


def test_with_vault_the_backup_logs_in_with_its_token() -> None:
    _, spec = backup_pod("secrets.backend=vault")
    assert spec["automountServiceAccountToken"] is True
    assert "backup-key" not in {v["name"] for v in spec["volumes"]}
    env = {e["name"] for e in spec["initContainers"][0]["env"]}
    assert {"SFM_SECRETS_BACKEND", "SFM_VAULT_ADDR", "SFM_VAULT_PATH"} <= env


def test_unencrypted_backups_read_no_secret_but_the_neo4j_password() -> None:
    _, spec = backup_pod("backup.encrypt=false")
    backup = spec["initContainers"][0]
    assert "--encrypt" not in backup["args"]
    assert [e["name"] for e in backup["env"]] == ["SFM_NEO4J_PASSWORD"]
    assert "backup-key" not in {v["name"] for v in spec["volumes"]}


@pytest.mark.parametrize(
    ("value", "refusal"),
    [
        ("backup.retention.count=0", "count"),
        ("backup.retention.maxAgeDays=-1", "maxAgeDays"),
        ("backup.retention.keep=3", "keep"),
        ("backup.mountPath=relative", "mountPath"),
        ("backup.persistence.size=lots", "size"),
        ("backup.bucket=s3://x", "bucket"),
    ],
)
def test_bad_backup_values_are_refused_with_their_name(value: str, refusal: str) -> None:
    with pytest.raises(RenderError, match=refusal):
        render("backup.enabled=true", value)
