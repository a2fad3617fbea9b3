"""The migration file layout, the status comparison and the up/down plans (no database)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sfm_graphql.cli import build_parser
from sfm_graphql.db.migration_files import Migration, MigrationError, load_migrations, parse_down
from sfm_graphql.db.migrations import Applied, compute_status, plan_down, plan_up

# The checksums databases in the field have recorded: the up files must keep hashing the same.
RELEASED = {
    1: "6d8bc0b3911ec3e2c065d8598b5a8d1fe59f9c993a11994d4ecc9e2d6d041dd3",
    2: "e73bfa14469822fbeecc8e16368e2669dbfd9e6e706be8ea1bec2f591e12bb27",
    3: "60a22a747d1ba49c982497b8dc44b659fb319b70a132ba74ec6c49d9c392bda0",
    4: "e8e7ecd74f3167f9f597c7fc1ecb366c6f4ae15e37a6c8a6b28e9450c3c52e78",
    5: "57b6179a1e283d4f6edc40f7dec3eb126e322d365e249e4fc605bbf02da85506",
    6: "a2310940f38d936db08d318ec68449526253315593500e44fa97ac435af8b465",
}


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


def test_released_up_files_keep_the_checksums_recorded_in_the_field() -> None:
    migrations = {m.version: m for m in load_migrations()}
    assert {v: migrations[v].checksum for v in RELEASED} == RELEASED


def test_every_shipped_migration_has_a_down_step_that_drops_what_up_creates() -> None:
    for migration in load_migrations():
        assert migration.up, migration.label
        if migration.irreversible is None:
            assert migration.down, migration.label
            assert all("IF EXISTS" in s for s in migration.down if s.startswith("DROP"))


def test_up_and_down_statements_are_split_on_semicolons_without_comments(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "0001_a.cypher": "// header\nCREATE INDEX x IF NOT EXISTS\nFOR (n:A) ON (n.p);\n"
            "CREATE INDEX y IF NOT EXISTS FOR (n:A) ON (n.q);\n",
            "0001_a.down.cypher": "// undo\nDROP INDEX x IF EXISTS;\nDROP INDEX y IF EXISTS\n",
        },
    )
    [migration] = load_migrations(tmp_path)
    assert migration.label == "0001_a"
    assert migration.up == (
        "CREATE INDEX x IF NOT EXISTS\nFOR (n:A) ON (n.p)",
        "CREATE INDEX y IF NOT EXISTS FOR (n:A) ON (n.q)",
    )
    assert migration.down == ("DROP INDEX x IF EXISTS", "DROP INDEX y IF EXISTS")
    assert migration.irreversible is None


def test_an_irreversible_down_file_gives_its_reason() -> None:
    steps, reason = parse_down("0009_x", "// Undo?\n// irreversible: the old ids are gone\n")
    assert steps == () and reason == "the old ids are gone"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("// nothing here\n", "no statement and no '// irreversible"),
        ("// irreversible:\n", "needs a reason"),
        ("// irreversible: because\nDROP INDEX x IF EXISTS;\n", "marked irreversible but has"),
    ],
)
def test_a_down_file_must_undo_or_say_why_not(text: str, message: str) -> None:
    with pytest.raises(MigrationError, match=message):
        parse_down("0009_x", text)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"0001_a.cypher": "RETURN 1;"}, "has no 0001_a.down.cypher"),
        ({"0001_a.cypher": "RETURN 1;", "0001_b.down.cypher": "RETURN 1;"}, "has no 0001_a.down"),
        ({"0002_b.down.cypher": "RETURN 1;"}, "down files without an up file: 0002_b.down"),
        ({"1_a.cypher": "RETURN 1;"}, "is not NNNN_name.cypher"),
        ({"0001_a.cypher": "RETURN 1;", "0001_b.cypher": "RETURN 1;"}, "share version 0001"),
    ],
)
def test_malformed_sets_of_files_are_refused(
    tmp_path: Path, files: dict[str, str], message: str
) -> None:
    _write(tmp_path, files)
    with pytest.raises(MigrationError, match=message):
        load_migrations(tmp_path)


def _migration(version: int, *, irreversible: str | None = None) -> Migration:
    return Migration(
        version=version,
        name=f"m{version}",
        up=(f"CREATE INDEX i{version} IF NOT EXISTS FOR (n:X) ON (n.p{version})",),
        down=() if irreversible else (f"DROP INDEX i{version} IF EXISTS",),
        irreversible=irreversible,
        checksum=f"sum{version}",
    )


def _applied(version: int, checksum: str | None = None) -> Applied:
    at = dt.datetime(2026, 1, version, tzinfo=dt.UTC)
    return Applied(version, f"m{version}", checksum or f"sum{version}", at)


def test_status_lists_pending_and_both_kinds_of_drift() -> None:
    files = [_migration(1), _migration(2), _migration(3)]
    status = compute_status(files, [_applied(1), _applied(2, "edited"), _applied(7)])
    assert [m.version for m in status.pending] == [3]
    assert status.drift == [
        "0002_m2 changed after it was applied (checksum differs)",
        "0007_m7 is applied but its file is missing",
    ]
    with pytest.raises(MigrationError, match="migration drift, nothing was run: 0002_m2"):
        plan_up(status)
    with pytest.raises(MigrationError, match="migration drift"):
        plan_down(status)


def test_up_applies_pending_in_order_up_to_the_target() -> None:
    files = [_migration(1), _migration(2), _migration(3), _migration(4)]
    status = compute_status(files, [_applied(1)])
    assert [m.version for m in plan_up(status)] == [2, 3, 4]
    assert [m.version for m in plan_up(status, 3)] == [2, 3]
    assert plan_up(compute_status(files, [_applied(v) for v in (1, 2, 3, 4)])) == []


def test_down_undoes_the_last_one_or_everything_above_the_target_newest_first() -> None:
    files = [_migration(1), _migration(2), _migration(3)]
    status = compute_status(files, [_applied(1), _applied(2), _applied(3)])
    assert [m.version for m in plan_down(status)] == [3]
    assert [m.version for m in plan_down(status, 1)] == [3, 2]
    assert [m.version for m in plan_down(status, 0)] == [3, 2, 1]
    assert plan_down(status, 3) == []
    assert plan_down(compute_status(files, [])) == []
    with pytest.raises(MigrationError, match="--to must be 0 or a version"):
        plan_down(status, -1)


def test_down_refuses_the_whole_plan_when_one_step_is_irreversible() -> None:
    files = [_migration(1), _migration(2, irreversible="ids were rewritten"), _migration(3)]
    status = compute_status(files, [_applied(1), _applied(2), _applied(3)])
    assert [m.version for m in plan_down(status)] == [3]  # 3 alone can be undone
    with pytest.raises(MigrationError, match="0002_m2 cannot be undone: ids were rewritten"):
        plan_down(status, 0)


@pytest.mark.parametrize(
    ("argv", "action", "to", "dry_run"),
    [
        (["migrate"], "up", None, False),
        (["migrate", "up", "--to", "3"], "up", 3, False),
        (["migrate", "up", "--dry-run"], "up", None, True),
        (["migrate", "down"], "down", None, False),
        (["migrate", "down", "--to", "0", "--dry-run"], "down", 0, True),
        (["migrate", "status"], "status", None, False),
        (["migrate", "status", "--dry-run"], "status", None, True),
    ],
)
def test_the_migrate_command_line(argv: list[str], action: str, to: int, dry_run: bool) -> None:
    args = build_parser().parse_args(argv)
    assert (args.action, args.to, args.dry_run) == (action, to, dry_run)


def test_status_takes_no_target() -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["migrate", "status", "--to", "1"])
