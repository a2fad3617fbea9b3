"""`sfm-graphql backup | restore | verify` against the real Neo4j (docs/operations/backup-restore.md).

A graph with every kind of data the service owns is backed up, wiped and restored: the counts,
the section checksums and the answers of the GraphQL API are the same afterwards. Damaged,
cut-off and wrongly keyed files are refused before anything is written; a non-empty target is
refused; a restore killed half-way is completed by running it again.
"""

from __future__ import annotations

import asyncio
import base64
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from sfm_graphql.demo.loader import load_demo
from sfm_graphql.operations.backup.errors import CorruptBackup, TargetNotEmpty, WrongKey
from sfm_graphql.operations.backup.reader import verify
from sfm_graphql.operations.backup.restore import restore_backup
from sfm_graphql.operations.backup.writer import write_backup
from sfm_graphql.security.persisted_queries import register_operations
from sfm_graphql.security.principal import Role
from sfm_graphql.settings import Settings
from tests.paths import ROOT
from tests.services import GraphQLClient, wipe_graph

pytestmark = pytest.mark.integration

KEY = bytes(range(32))
SAMPLE = """{
  components(first: 100) { totalCount edges { node { id label type version } } }
  deliveries(first: 100) { totalCount edges { node { id kind version } } }
  matrices(first: 10) { totalCount edges { node { id name description scenario } } }
  scenarios { name description declared deliveryCount }
  apiKeys(first: 10) { id name roles status expiresAt createdBy }
  oauthClients(first: 10) { clientId name roles active createdBy createdAt }
}"""
CREATE_SCENARIO = (
    "mutation($i: CreateScenarioInput!) { createScenario(input: $i) { scenario { id } } }"
)
REGISTER_CLIENT = (
    "mutation($i: RegisterOAuthClientInput!) { registerOAuthClient(input: $i) { clientId } }"
)


def _quiet(_: str) -> None:
    return None


async def _populate(settings: Settings, gql: GraphQLClient, app: Any, issue_api_key: Any) -> None:
    await load_demo(settings)
    await gql.data(CREATE_SCENARIO, {"i": {"name": "carbon-tax", "description": "a levy"}})
    await gql.data(REGISTER_CLIENT, {"i": {"name": "backup test", "roles": ["VIEWER"]}})
    await issue_api_key(Role.EDITOR)
    await register_operations(app.state.db, {"Count": "{ components { totalCount } }"})


async def _backup(app: Any, settings: Settings, path: Path, key: bytes | None = None) -> Any:
    return await write_backup(
        driver=app.state.db.driver,
        registry=app.state.db.registry,
        database=settings.neo4j_database,
        output=path,
        key=key,
        progress=_quiet,
    )


async def _restore(
    app: Any, settings: Settings, path: Path, key: bytes | None = None, *, force: bool = False
) -> Any:
    return await restore_backup(
        db=app.state.db,
        database=settings.neo4j_database,
        path=path,
        key=key,
        force=force,
        batch_size=40,
        progress=_quiet,
    )


@pytest.fixture
async def populated(
    settings: Settings, gql: GraphQLClient, app: Any, issue_api_key: Any
) -> dict[str, Any]:
    await _populate(settings, gql, app, issue_api_key)
    return await gql.data(SAMPLE)


async def test_a_round_trip_restores_the_same_graph(
    gql: GraphQLClient,
    app: Any,
    populated: dict[str, Any],
    neo4j_driver: Any,
    tmp_path: Path,
) -> None:
    settings = app.state.settings
    first = await _backup(app, settings, tmp_path / "a.sfmbak", KEY)
    counts = {s["name"]: s["count"] for s in first["sections"]}
    assert all(counts[name] > 0 for name in counts), counts  # every kind of data is in it
    assert first["schemaVersion"] >= 6
    assert verify(tmp_path / "a.sfmbak", KEY) == first
    wipe_graph(neo4j_driver)
    restored = await _restore(app, settings, tmp_path / "a.sfmbak", KEY)
    assert restored["backupId"] == first["backupId"]
    second = await _backup(app, settings, tmp_path / "b.sfmbak")
    assert second["sections"] == first["sections"]  # same rows, byte for byte
    assert second["labels"] == first["labels"]
    assert second["relationshipTypes"] == first["relationshipTypes"]
    # The audit log is compared by its section above: reading it through the API records an
    # event, so the API's answer about it changes with every look.
    assert await gql.data(SAMPLE) == populated
    records, _, _ = neo4j_driver.execute_query("MATCH (m:RestoreInProgress) RETURN count(m) AS n")
    assert records[0]["n"] == 0


async def test_a_restored_api_key_still_authenticates(
    settings: Settings, app: Any, issue_api_key: Any, neo4j_driver: Any, tmp_path: Path
) -> None:
    import httpx
    import redis

    key = await issue_api_key(Role.VIEWER)
    await _backup(app, settings, tmp_path / "k.sfmbak")
    wipe_graph(neo4j_driver)
    await _restore(app, settings, tmp_path / "k.sfmbak")
    redis.Redis.from_url(settings.redis_url).flushdb()  # no cached verification helps it
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.post(
            "/graphql",
            json={"query": "{ components { totalCount } }"},
            headers={"X-API-Key": key},
        )
    assert response.status_code == 200
    assert "errors" not in response.json(), response.json()


async def test_a_tampered_file_is_refused_and_nothing_is_written(
    settings: Settings, app: Any, populated: dict[str, Any], neo4j_driver: Any, tmp_path: Path
) -> None:
    path = tmp_path / "t.sfmbak"
    await _backup(app, settings, path, KEY)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    wipe_graph(neo4j_driver)
    with pytest.raises(CorruptBackup, match="fails authentication"):
        await _restore(app, settings, path, KEY)
    records, _, _ = neo4j_driver.execute_query(
        "MATCH (n) WHERE NOT n:SchemaMigration RETURN count(n) AS n"
    )
    assert records[0]["n"] == 0


async def test_a_plain_file_with_an_altered_row_fails_its_checksum(
    settings: Settings, app: Any, populated: dict[str, Any], tmp_path: Path
) -> None:
    import gzip

    path = tmp_path / "p.sfmbak"
    await _backup(app, settings, path)
    raw = path.read_bytes()
    body = gzip.decompress(raw[9:]).replace(b'"Nebraska', b'"Nebraskb', 1)
    path.write_bytes(raw[:9] + gzip.compress(body))
    with pytest.raises(CorruptBackup, match="checksum"):
        verify(path, None)


async def test_a_wrong_key_is_refused(
    settings: Settings, app: Any, populated: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "w.sfmbak"
    await _backup(app, settings, path, KEY)
    with pytest.raises(WrongKey):
        verify(path, bytes(32))


async def test_a_truncated_file_is_refused(
    settings: Settings, app: Any, populated: dict[str, Any], tmp_path: Path
) -> None:
    for key in (KEY, None):
        path = tmp_path / "c.sfmbak"
        await _backup(app, settings, path, key)
        whole = path.read_bytes()
        path.write_bytes(whole[: len(whole) - 20])
        with pytest.raises(CorruptBackup, match="truncated"):
            verify(path, key)


async def test_a_non_empty_target_is_refused_unless_forced(
    settings: Settings, app: Any, populated: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "n.sfmbak"
    first = await _backup(app, settings, path)
    with pytest.raises(TargetNotEmpty, match="--force"):
        await _restore(app, settings, path)
    await _restore(app, settings, path, force=True)
    again = await _backup(app, settings, tmp_path / "n2.sfmbak")
    assert again["sections"] == first["sections"]


def _cli_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SFM_")}
    env.update(
        SFM_NEO4J_URI=settings.neo4j_uri,
        SFM_NEO4J_USER=settings.neo4j_user,
        SFM_NEO4J_PASSWORD=settings.neo4j_password.get_secret_value(),
        SFM_REDIS_URL=settings.redis_url,
        SFM_BACKUP_ENCRYPTION_KEY=base64.b64encode(KEY).decode(),
    )
    return env


async def _run(cli: list[str], env: dict[str, str]) -> tuple[int | None, str]:
    proc = await asyncio.create_subprocess_exec(
        *cli, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    async with asyncio.timeout(300):
        _, err = await proc.communicate()
    return proc.returncode, err.decode()


async def test_an_interrupted_restore_is_completed_by_a_second_run(
    settings: Settings, app: Any, populated: dict[str, Any], neo4j_driver: Any, tmp_path: Path
) -> None:
    path = tmp_path / "i.sfmbak"
    first = await _backup(app, settings, path, KEY)
    wipe_graph(neo4j_driver)
    cli = [str(ROOT / ".venv/bin/sfm-graphql"), "restore", str(path), "--batch-size", "5"]
    env = _cli_env(settings)
    proc = await asyncio.create_subprocess_exec(*cli, env=env, stderr=asyncio.subprocess.PIPE)
    assert proc.stderr is not None
    async with asyncio.timeout(120):
        while line := await proc.stderr.readline():
            if line.startswith(b"deliveries: "):  # components are in, deliveries half-way
                proc.send_signal(signal.SIGKILL)
                break
        await proc.wait()
    assert proc.returncode == -signal.SIGKILL
    records, _, _ = neo4j_driver.execute_query(
        "MATCH (m:RestoreInProgress) RETURN collect(m.backupId) AS ids"
    )
    assert records[0]["ids"] == [first["backupId"]]
    other = tmp_path / "other.sfmbak"
    await _backup(app, settings, other)  # a different backup of the half-restored graph
    with pytest.raises(TargetNotEmpty, match="interrupted restore"):
        await _restore(app, settings, other)
    code, err = await _run(cli, env)
    assert code == 0, err
    assert "completing the interrupted restore" in err
    again = await _backup(app, settings, tmp_path / "j.sfmbak")
    assert again["sections"] == first["sections"]


async def test_the_cli_verifies_and_reports_a_wrong_key_with_status_1(
    settings: Settings, app: Any, populated: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "v.sfmbak"
    await _backup(app, settings, path, bytes(32))
    env = _cli_env(settings)
    cli = [str(ROOT / ".venv/bin/sfm-graphql"), "verify", str(path)]
    code, err = await _run(cli, env)
    assert code == 1
    assert "not the key this file was encrypted with" in err
