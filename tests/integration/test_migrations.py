"""`migrate up | down | status` and the lease lock, on the real Neo4j (issue 11, "Migrations").

The test database is shared by the suite, so every test here leaves it fully migrated again
(the `restored` fixture), with no test migration's objects or records left behind.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from neo4j import AsyncDriver

from sfm_graphql.db.cypher_registry import CypherRegistry
from sfm_graphql.db.database import Database, create_driver
from sfm_graphql.db.migration_files import MigrationError, default_migrations_dir, load_migrations
from sfm_graphql.db.migration_lock import LockTiming, migration_lock
from sfm_graphql.db.migrations import migrate, migrate_down, read_status
from sfm_graphql.settings import Settings
from tests.paths import ROOT

pytestmark = pytest.mark.integration

FAST = LockTiming(lease_s=5.0, wait_s=30.0, poll_s=0.1)
_CREATED = re.compile(r"^CREATE (?:CONSTRAINT|(?:FULLTEXT )?INDEX) (\w+)", re.MULTILINE)
TEST_INDEX = "migration_test_irreversible"


def schema_names_of_migrations() -> set[str]:
    """The constraint and index names the shipped up files create."""
    return {name for m in load_migrations() for s in m.up for name in _CREATED.findall(s)}


async def rows(driver: AsyncDriver, settings: Settings, cypher: str, **params: Any) -> list[Any]:
    records, _, _ = await driver.execute_query(cypher, params, database_=settings.neo4j_database)
    return [r.data() for r in records]


async def schema_objects(driver: AsyncDriver, settings: Settings) -> set[str]:
    constraints = await rows(driver, settings, "SHOW CONSTRAINTS YIELD name RETURN name")
    indexes = await rows(driver, settings, "SHOW INDEXES YIELD name RETURN name")
    return {r["name"] for r in constraints + indexes}


async def recorded(driver: AsyncDriver, settings: Settings) -> list[int]:
    found = await rows(
        driver, settings, "MATCH (m:SchemaMigration) RETURN m.version AS v ORDER BY v"
    )
    return [r["v"] for r in found]


@pytest.fixture
async def driver(settings: Settings) -> AsyncIterator[AsyncDriver]:
    driver = create_driver(settings)
    try:
        yield driver
    finally:
        await driver.close()


@pytest.fixture
async def restored(driver: AsyncDriver, settings: Settings) -> AsyncIterator[None]:
    """Fully migrated before and after the test; test objects, records and locks removed."""
    await migrate(driver, settings.neo4j_database, timing=FAST)
    yield
    shipped = [m.version for m in load_migrations()]
    await rows(driver, settings, "MATCH (l:MigrationLock) DELETE l")
    await rows(
        driver, settings, "MATCH (m:SchemaMigration) WHERE NOT m.version IN $v DELETE m", v=shipped
    )
    await rows(driver, settings, f"DROP INDEX {TEST_INDEX} IF EXISTS")
    await migrate(driver, settings.neo4j_database, timing=FAST)
    assert await recorded(driver, settings) == shipped


def drifted_copy(root: Path) -> None:
    """The shipped migrations with 0003's up file edited and 0006's files gone."""
    shutil.copytree(default_migrations_dir(), root, dirs_exist_ok=True)
    edited = root / "0003_matrices.cypher"
    edited.write_text(edited.read_text() + "// edited after release\n")
    for path in root.glob("0006_*"):
        path.unlink()


def copy_with_irreversible(root: Path) -> None:
    """The shipped migrations and a 0099 that creates an index and cannot be undone."""
    shutil.copytree(default_migrations_dir(), root, dirs_exist_ok=True)
    (root / "0099_test_irreversible.cypher").write_text(
        f"CREATE INDEX {TEST_INDEX} IF NOT EXISTS FOR (n:MigrationTest) ON (n.p);\n"
    )
    (root / "0099_test_irreversible.down.cypher").write_text("// irreversible: the test says so\n")


def cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """`sfm-graphql migrate ...` as an operator runs it, against the test instance."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SFM_")}
    env.update(
        SFM_NEO4J_URI=settings.neo4j_uri,
        SFM_NEO4J_USER=settings.neo4j_user,
        SFM_NEO4J_PASSWORD=settings.neo4j_password.get_secret_value(),
        SFM_MIGRATION_LOCK_WAIT_S="60",
    )
    return subprocess.run(
        [str(ROOT / ".venv/bin/sfm-graphql"), "migrate", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


async def test_down_drops_the_schema_objects_and_up_creates_them_again(
    driver: AsyncDriver, settings: Settings, restored: None
) -> None:
    db = settings.neo4j_database
    created = schema_names_of_migrations()
    latest = max(m.version for m in load_migrations())
    assert len(created) >= 30 and created <= await schema_objects(driver, settings)

    undone = await migrate_down(driver, db, timing=FAST)  # no --to: the last one only
    assert [m.version for m in undone] == [latest]
    assert await recorded(driver, settings) == list(range(1, latest))

    undone = await migrate_down(driver, db, to=0, timing=FAST)
    assert [m.version for m in undone] == list(range(latest - 1, 0, -1))
    assert await recorded(driver, settings) == []
    assert not created & await schema_objects(driver, settings), "down left schema objects"
    status = await read_status(driver, db)
    assert status.applied == [] and len(status.pending) == latest and status.drift == []

    applied = await migrate(driver, db, timing=FAST)
    assert [m.version for m in applied] == list(range(1, latest + 1))
    assert created <= await schema_objects(driver, settings)
    status = await read_status(driver, db)
    assert [a.version for a in status.applied] == list(range(1, latest + 1))
    assert status.pending == [] and all(a.applied_at for a in status.applied)


async def test_status_up_to_and_down_to_through_the_command_line(
    driver: AsyncDriver, settings: Settings, restored: None
) -> None:
    latest = max(m.version for m in load_migrations())
    done = cli(settings, "down", "--to", "2")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"undid {latest - 2} migration(s): ")
    status = cli(settings, "status")
    assert status.returncode == 0, status.stderr
    lines = status.stdout.splitlines()
    assert lines[0].startswith("applied  0001_constraints  20")  # with the time it was applied
    assert lines[2] == "pending  0003_matrices"
    assert lines[-1] == f"2 applied, {latest - 2} pending, 0 drifted"

    up = cli(settings, "up", "--to", "4")
    assert up.returncode == 0, up.stderr
    assert up.stdout == "applied 2 migration(s): 0003_matrices, 0004_oauth_clients\n"
    assert await recorded(driver, settings) == [1, 2, 3, 4]
    plain = cli(settings)  # `migrate` alone is `migrate up`, as the Helm hook calls it
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout.startswith(f"applied {latest - 4} migration(s)")
    assert (
        cli(settings, "status").stdout.splitlines()[-1] == f"{latest} applied, 0 pending, 0 drifted"
    )


async def test_dry_run_prints_the_cypher_and_changes_nothing(
    driver: AsyncDriver, settings: Settings, restored: None
) -> None:
    before = (await schema_objects(driver, settings), await recorded(driver, settings))
    down = cli(settings, "down", "--to", "0", "--dry-run")
    assert down.returncode == 0, down.stderr
    assert "DROP CONSTRAINT component_id IF EXISTS;" in down.stdout
    assert "DROP INDEX component_text IF EXISTS;" in down.stdout
    assert (await schema_objects(driver, settings), await recorded(driver, settings)) == before

    await migrate_down(driver, settings.neo4j_database, to=4, timing=FAST)
    after_down = (await schema_objects(driver, settings), await recorded(driver, settings))
    for args in (("status", "--dry-run"), ("up", "--dry-run")):
        shown = cli(settings, *args)
        assert shown.returncode == 0, shown.stderr
        assert "// up 0005_api_keys_audit" in shown.stdout
        assert "CREATE CONSTRAINT api_key_id IF NOT EXISTS" in shown.stdout
        assert "0001_constraints" not in shown.stdout  # applied: not shown again
    assert (await schema_objects(driver, settings), await recorded(driver, settings)) == after_down


async def test_drift_is_reported_and_refused(
    driver: AsyncDriver, settings: Settings, restored: None, tmp_path: Path
) -> None:
    db = settings.neo4j_database
    drifted_copy(tmp_path)
    status = await read_status(driver, db, tmp_path)
    assert status.drift == [
        "0003_matrices changed after it was applied (checksum differs)",
        "0006_persisted_operations is applied but its file is missing",
    ]
    before = await recorded(driver, settings)
    with pytest.raises(MigrationError, match="migration drift, nothing was run"):
        await migrate(driver, db, timing=FAST, directory=tmp_path)
    with pytest.raises(MigrationError, match="migration drift, nothing was run"):
        await migrate_down(driver, db, to=0, timing=FAST, directory=tmp_path)
    assert await recorded(driver, settings) == before

    # The command line, against a record whose checksum is not the file's.
    await rows(driver, settings, "MATCH (m:SchemaMigration {version: 2}) SET m.checksum = 'x'")
    try:
        shown = cli(settings, "status")
        assert shown.returncode == 1
        assert "drift    0002_indexes changed after it was applied" in shown.stdout
        assert (
            shown.stderr.strip()
            .splitlines()[-1]
            .startswith("sfm-graphql migrate status: migration drift: 0002_indexes changed")
        )
        refused = cli(settings, "up")
        assert refused.returncode == 1
        assert "migrate up: migration drift, nothing was run" in refused.stderr
    finally:
        checksum = next(m.checksum for m in load_migrations() if m.version == 2)
        await rows(
            driver,
            settings,
            "MATCH (m:SchemaMigration {version: 2}) SET m.checksum = $c",
            c=checksum,
        )


async def test_an_irreversible_migration_is_refused_by_down_changing_nothing(
    driver: AsyncDriver, settings: Settings, restored: None, tmp_path: Path
) -> None:
    db = settings.neo4j_database
    copy_with_irreversible(tmp_path)
    applied = await migrate(driver, db, timing=FAST, directory=tmp_path)
    assert [m.version for m in applied] == [99]
    before = (await schema_objects(driver, settings), await recorded(driver, settings))
    assert TEST_INDEX in before[0] and before[1][-1] == 99
    for to in (None, 0, 98):
        with pytest.raises(MigrationError) as refused:
            await migrate_down(driver, db, to=to, timing=FAST, directory=tmp_path)
        assert str(refused.value) == (
            "migration 0099_test_irreversible cannot be undone: the test says so; "
            "nothing was changed"
        )
    assert (await schema_objects(driver, settings), await recorded(driver, settings)) == before
    lock = await rows(driver, settings, "MATCH (l:MigrationLock) RETURN l.owner AS owner")
    assert lock == [{"owner": None}]  # the refusal freed the lock


async def test_two_concurrent_up_runs_apply_each_migration_once(
    driver: AsyncDriver, settings: Settings, restored: None
) -> None:
    db = settings.neo4j_database
    versions = [m.version for m in load_migrations()]
    await migrate_down(driver, db, to=0, timing=FAST)
    drivers = [create_driver(settings), create_driver(settings)]
    try:
        results = await asyncio.gather(*(migrate(d, db, timing=FAST) for d in drivers))
    finally:
        for d in drivers:
            await d.close()
    applied = sorted([[m.version for m in result] for result in results], key=len)
    assert applied == [[], versions]  # one run applied them all, the other found them done
    assert await recorded(driver, settings) == versions  # one record per version


async def test_two_concurrent_migrate_processes_apply_each_migration_once(
    driver: AsyncDriver, settings: Settings, restored: None
) -> None:
    versions = [m.version for m in load_migrations()]
    await migrate_down(driver, settings.neo4j_database, to=0, timing=FAST)
    outcomes = await asyncio.gather(
        asyncio.to_thread(cli, settings, "up"), asyncio.to_thread(cli, settings)
    )
    assert [o.returncode for o in outcomes] == [0, 0], [o.stderr for o in outcomes]
    counts = sorted(int(o.stdout.split()[1]) for o in outcomes)
    assert counts == [0, len(versions)]
    assert await recorded(driver, settings) == versions


async def test_an_expired_lease_of_a_crashed_run_is_taken_over(
    driver: AsyncDriver, settings: Settings, restored: None
) -> None:
    db = settings.neo4j_database
    await migrate_down(driver, db, timing=FAST)
    await rows(
        driver,
        settings,
        "MERGE (l:MigrationLock {id: 'migrations'}) "
        "SET l.owner = 'crashed-run', l.expiresAt = datetime() - duration('PT1S')",
    )
    impatient = LockTiming(lease_s=5.0, wait_s=0.0)
    applied = await migrate(driver, db, timing=impatient)
    assert len(applied) == 1
    lock = await rows(driver, settings, "MATCH (l:MigrationLock) RETURN l.owner AS owner")
    assert lock == [{"owner": None}]


async def test_a_waiter_gives_up_on_a_live_lease_naming_its_holder(
    driver: AsyncDriver, settings: Settings, restored: None
) -> None:
    db = settings.neo4j_database
    await migrate_down(driver, db, timing=FAST)
    before = await recorded(driver, settings)
    await rows(
        driver,
        settings,
        "MERGE (l:MigrationLock {id: 'migrations'}) "
        "SET l.owner = 'other-replica', l.expiresAt = datetime() + duration('PT60S')",
    )
    started = asyncio.get_running_loop().time()
    with pytest.raises(MigrationError, match=r"held by other-replica .*gave up after waiting 1 s"):
        await migrate(driver, db, timing=LockTiming(lease_s=5.0, wait_s=1.0, poll_s=0.2))
    assert 0.9 <= asyncio.get_running_loop().time() - started < 10
    assert await recorded(driver, settings) == before  # nothing applied


async def test_the_holder_renews_its_lease_and_notices_a_takeover(
    driver: AsyncDriver, settings: Settings, restored: None
) -> None:
    db = settings.neo4j_database
    short = LockTiming(lease_s=1.0, wait_s=0.0)
    async with migration_lock(driver, db, short, owner="holder") as lock:
        await asyncio.sleep(2.5)  # more than twice the lease: only renewals keep it
        await lock.ensure_held()
        with pytest.raises(MigrationError, match="held by holder"):
            async with migration_lock(driver, db, short, owner="second"):
                pass
        await rows(driver, settings, "MATCH (l:MigrationLock) SET l.owner = 'thief'")
        assert await lock.renew() is False  # what the background renewal finds next
        with pytest.raises(MigrationError, match="holder lost the migration lock"):
            await lock.ensure_held()
    # The holder's release left the thief's lock alone.
    found = await rows(driver, settings, "MATCH (l:MigrationLock) RETURN l.owner AS owner")
    assert found == [{"owner": "thief"}]


async def test_the_lock_node_does_not_make_an_empty_database_look_full_to_restore(
    driver: AsyncDriver, settings: Settings, restored: None, clean_graph: None
) -> None:
    await migrate(driver, settings.neo4j_database, timing=FAST)  # leaves the :MigrationLock node
    assert await rows(driver, settings, "MATCH (l:MigrationLock) RETURN count(l) AS n") == [
        {"n": 1}
    ]
    db = Database(driver, CypherRegistry.load(), settings)
    state = (await db.read("restore/target_state"))[0]
    assert state == {"nodes": 0, "markers": []}
