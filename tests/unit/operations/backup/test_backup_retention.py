"""`sfm-graphql backup-prune` (operations/backup/retention.py): the N newest kept, older than D
days dropped, the newest never, and nothing but backup files ever touched."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sfm_graphql.cli import main
from sfm_graphql.operations.backup.names import default_name
from sfm_graphql.operations.backup.retention import backups_in, prune

NOW = dt.datetime(2026, 6, 30, 12, 0, tzinfo=dt.UTC)


def backup_file(directory: Path, days_ago: float) -> Path:
    """Named as `sfm-graphql backup` without -o names it (the CronJob's case)."""
    path = directory / default_name(NOW - dt.timedelta(days=days_ago))
    path.write_bytes(b"backup")
    return path


def names(paths: list[Path]) -> set[str]:
    return {p.name for p in paths}


def test_only_the_keep_newest_stay(tmp_path: Path) -> None:
    files = [backup_file(tmp_path, d) for d in (0, 1, 2, 3, 4)]
    deleted = prune(tmp_path, keep=3, max_age_days=0, now=NOW)
    assert names(deleted) == names(files[3:])
    assert names(list(tmp_path.iterdir())) == names(files[:3])


def test_backups_older_than_max_age_go_even_within_keep(tmp_path: Path) -> None:
    files = [backup_file(tmp_path, d) for d in (0, 5, 29.9, 30.1, 45)]
    deleted = prune(tmp_path, keep=10, max_age_days=30, now=NOW)
    assert names(deleted) == names(files[3:])


def test_the_newest_is_kept_however_old(tmp_path: Path) -> None:
    files = [backup_file(tmp_path, d) for d in (100, 200)]
    assert names(prune(tmp_path, keep=5, max_age_days=30, now=NOW)) == {files[1].name}
    assert [b.path for b in backups_in(tmp_path)] == [files[0]]


def test_other_files_are_never_deleted(tmp_path: Path) -> None:
    old = [backup_file(tmp_path, d) for d in (0, 50, 60)]
    stamp = (NOW - dt.timedelta(days=90)).strftime("%Y%m%dT%H%M%SZ")
    others = [
        tmp_path / f"sfm-graphql-{stamp}.sfmbak.partial",  # a backup being written
        tmp_path / "sfm-graphql.sfmbak",  # a hand-named backup
        tmp_path / f"other-{stamp}.sfmbak",
        tmp_path / "notes.txt",
    ]
    for path in others:
        path.write_text("x")
    (tmp_path / f"sfm-graphql-{stamp}.sfmbak").mkdir()  # a directory with a backup's name
    (tmp_path / f"sfm-graphql-{stamp[:-1]}1Z.sfmbak").symlink_to(tmp_path / "notes.txt")
    deleted = prune(tmp_path, keep=1, max_age_days=1, now=NOW)
    assert names(deleted) == names(old[1:])
    assert all(p.exists() for p in others)
    assert (tmp_path / f"sfm-graphql-{stamp}.sfmbak").is_dir()


@pytest.mark.parametrize(("keep", "age"), [(0, 0), (1, -1)])
def test_nonsense_limits_are_refused(tmp_path: Path, keep: int, age: int) -> None:
    backup_file(tmp_path, 0)
    with pytest.raises(ValueError):
        prune(tmp_path, keep=keep, max_age_days=age, now=NOW)


def test_the_command_prunes_and_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = [backup_file(tmp_path, d) for d in (0, 1, 2)]
    assert main(["backup-prune", "--dir", str(tmp_path), "--keep", "2"]) == 0
    assert not files[2].exists() and files[1].exists()
    assert "1 backup(s) deleted" in capsys.readouterr().out
    assert main(["backup-prune", "--dir", str(tmp_path / "missing"), "--keep", "2"]) == 1
    assert main(["backup-prune", "--dir", str(tmp_path), "--keep", "0"]) == 1


def test_the_default_backup_name_is_recognised_with_its_time(tmp_path: Path) -> None:
    taken = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    (tmp_path / default_name(taken)).write_bytes(b"backup")
    [found] = backups_in(tmp_path)
    assert found.path.name == "sfm-graphql-20260102T010405Z.sfmbak"
    assert found.taken_at == taken
