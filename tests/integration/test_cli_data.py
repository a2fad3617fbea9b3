"""`sfm-graphql seed-demo | import FILE | export FILE` as an operator runs them: the CLI as a
subprocess (stderr a pipe, so the plain progress lines) against the real Neo4j.

Progress lines count up to a last 100% and `--quiet` prints none; `export -` writes nothing but
the export on stdout; an export re-imports to the same graph (JSON and CSV), and the CLI's JSON
is `exportGraph`'s byte for byte; a bad row, or one refused against the graph in the last batch,
leaves the graph as it was.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from sfm_graphql.demo.loader import load_demo
from sfm_graphql.domain.enums import ExportFormat
from sfm_graphql.errors import Conflict
from sfm_graphql.services.export_stream import export_to
from sfm_graphql.settings import Settings
from tests.paths import ROOT
from tests.services import GraphQLClient, wipe_graph

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("clean_graph")]

BATCH = 25  # SFM_BULK_BATCH_SIZE of the subprocesses: the demo's 196 rows in 8 batches
PROGRESS = re.compile(r"^sfm-graphql (\S+): ([a-z ]+): (\d+)/(\d+) (\w+) \((\d+)%\)")
SYSTEM_FIELDS = {"id", "createdAt", "updatedAt", "version"}
EXPORT = "query { exportGraph(format: JSON) { content } }"
COUNTS = (
    "CALL () { MATCH (n:Component) RETURN count(n) AS c } "
    "CALL () { MATCH ()-[d:DELIVERS]->() RETURN count(d) AS d } RETURN c, d"
)


def cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SFM_")}
    env.update(
        SFM_NEO4J_URI=settings.neo4j_uri,
        SFM_NEO4J_USER=settings.neo4j_user,
        SFM_NEO4J_PASSWORD=settings.neo4j_password.get_secret_value(),
        SFM_REDIS_URL=settings.redis_url,
        SFM_BULK_BATCH_SIZE=str(BATCH),
        SFM_MIGRATION_LOCK_WAIT_S="60",
    )
    return subprocess.run(
        [str(ROOT / ".venv/bin/sfm-graphql"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def progress(stderr: str, label: str) -> list[tuple[int, int, int]]:
    """(done, total, percent) of each progress line of the step `label`."""
    found = []
    for line in stderr.splitlines():
        match = PROGRESS.match(line)
        if match and match.group(2) == label:
            found.append((int(match.group(3)), int(match.group(4)), int(match.group(6))))
    return found


def assert_counts_up_to_100(lines: list[tuple[int, int, int]], total: int) -> None:
    assert len(lines) >= 3, lines
    done = [d for d, _, _ in lines]
    assert done == sorted(done) and len(set(done)) == len(done), lines
    assert {t for _, t, _ in lines} == {total}
    assert lines[0][0] == 0 and lines[-1] == (total, total, 100)


def user_fields(document: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The export without what the graph assigns, in externalKey order (ids are new)."""
    return {
        section: sorted(
            ({k: v for k, v in r.items() if k not in SYSTEM_FIELDS} for r in document[section]),
            key=lambda r: r["externalKey"],
        )
        for section in ("components", "deliveries")
    }


def counts(neo4j_driver: Any) -> tuple[int, int]:
    record = neo4j_driver.execute_query(COUNTS).records[0]
    return record["c"], record["d"]


async def test_seed_demo_shows_progress_on_stderr_up_to_100_percent(
    settings: Settings, neo4j_driver: Any
) -> None:
    result = cli(settings, "seed-demo")

    assert result.returncode == 0, result.stderr
    assert_counts_up_to_100(progress(result.stderr, "importing the demo model"), 196)
    assert result.stdout.startswith("demo 'Central Interstate LLRW Compact")
    assert counts(neo4j_driver) == (60, 136)


async def test_quiet_prints_no_progress(settings: Settings) -> None:
    result = cli(settings, "seed-demo", "--quiet")

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "136 deliveries" in result.stdout


async def test_export_to_stdout_is_the_export_alone_and_exportgraphs_json(
    settings: Settings, gql: GraphQLClient
) -> None:
    await load_demo(settings)

    result = cli(settings, "export", "-", "--page-size", "20")

    assert result.returncode == 0, result.stderr
    assert result.stdout == (await gql.data(EXPORT))["exportGraph"]["content"]
    assert_counts_up_to_100(progress(result.stderr, "exporting"), 196)
    assert result.stderr.splitlines()[-1] == (
        "sfm-graphql export: exported 60 components and 136 deliveries"
    )
    quiet = cli(settings, "export", "-", "--quiet")
    assert quiet.returncode == 0 and quiet.stderr == ""
    assert json.loads(quiet.stdout) == json.loads(result.stdout)


@pytest.mark.parametrize("suffix", ["json", "csv"])
async def test_an_export_imports_into_an_empty_graph_and_exports_the_same(
    settings: Settings, neo4j_driver: Any, tmp_path: Path, suffix: str
) -> None:
    await load_demo(settings)
    before, exported = tmp_path / "before.json", tmp_path / f"exported.{suffix}"
    assert cli(settings, "export", str(before), "--quiet").returncode == 0
    assert cli(settings, "export", str(exported), "--quiet").returncode == 0
    wipe_graph(neo4j_driver)

    imported = cli(settings, "import", str(exported))

    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.strip() == (
        "imported: 60 created, 0 updated, 0 unchanged components; "
        "136 created, 0 updated, 0 unchanged deliveries"
    )
    assert_counts_up_to_100(progress(imported.stderr, "importing"), 196)
    size = exported.stat().st_size
    assert progress(imported.stderr, "checking")[-1] == (size, size, 100)
    after = tmp_path / "after.json"
    assert cli(settings, "export", str(after), "-q").returncode == 0
    assert user_fields(json.loads(after.read_text(encoding="utf-8"))) == user_fields(
        json.loads(before.read_text(encoding="utf-8"))
    )
    rerun = cli(settings, "import", str(exported), "-q")  # idempotent: nothing changes
    assert rerun.returncode == 0 and "60 unchanged components" in rerun.stdout


async def test_a_bad_row_anywhere_refuses_the_file_before_anything_is_written(
    settings: Settings, neo4j_driver: Any, tmp_path: Path
) -> None:
    rows = [{"externalKey": f"c{i}", "type": "ACTOR", "label": f"c{i}"} for i in range(100)]
    rows[90] = {"externalKey": "c90", "type": "ACTOR"}  # no label, in the fourth batch
    rows.append({"externalKey": "c5", "type": "ACTOR", "label": "again"})
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"components": rows}), encoding="utf-8")

    result = cli(settings, "import", str(path))

    assert result.returncode == 1
    assert "components[90] (key c90) label: INVALID_VALUE:" in result.stderr
    assert "components[100] (key c5) externalKey: DUPLICATE_KEY:" in result.stderr
    assert result.stderr.splitlines()[-1] == (
        "sfm-graphql import: 2 row(s) refused; nothing was written"
    )
    assert progress(result.stderr, "importing") == []  # the database was never asked
    assert counts(neo4j_driver) == (0, 0)


async def test_a_row_refused_by_the_graph_in_the_last_batch_rolls_every_batch_back(
    settings: Settings, neo4j_driver: Any, tmp_path: Path
) -> None:
    neo4j_driver.execute_query(
        "CREATE (:Component:Policy {id: 'p', externalKey: 'taken', label: 'p', version: 1})"
    )
    rows = [{"externalKey": f"c{i}", "type": "ACTOR", "label": f"c{i}"} for i in range(99)]
    rows.append({"externalKey": "taken", "type": "ACTOR", "label": "a type change"})
    path = tmp_path / "late.csv"
    lines = ["record,externalKey,type,label"]
    lines += [f"component,{r['externalKey']},{r['type']},{r['label']}" for r in rows]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")

    result = cli(settings, "import", str(path))

    assert result.returncode == 1, result.stdout
    assert "components[99] (key taken) type: TYPE_CHANGED:" in result.stderr
    assert progress(result.stderr, "importing")[-1] == (100, 100, 100)  # every batch ran
    assert counts(neo4j_driver) == (1, 0)  # and none of them stayed


async def test_a_file_not_in_the_exports_shape_is_refused_with_its_code(
    settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "cut.json"
    path.write_text('{"components": [{"externalKey": "a", ', encoding="utf-8")

    result = cli(settings, "import", str(path), "--quiet")

    assert result.returncode == 1
    assert result.stderr.startswith(
        "sfm-graphql import: BAD_USER_INPUT (file): The file is not valid JSON: "
    )
    assert result.stderr.rstrip().endswith("nothing was written")


async def test_a_dry_run_checks_against_the_graph_and_writes_nothing(
    settings: Settings, neo4j_driver: Any, tmp_path: Path
) -> None:
    path = tmp_path / "a.json"
    rows = [{"externalKey": "a", "type": "ACTOR", "label": "a"}]
    path.write_text(json.dumps({"components": rows, "deliveries": []}), encoding="utf-8")

    result = cli(settings, "import", str(path), "--dry-run", "-q")

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("checked (dry run, nothing written): 1 created")
    assert counts(neo4j_driver) == (0, 0)


async def test_an_export_during_which_the_graph_changes_is_refused(
    settings: Settings, app: Any, neo4j_driver: Any, tmp_path: Path
) -> None:
    await load_demo(settings)
    bump = (ROOT / "cypher/revision/bump.cypher").read_text(encoding="utf-8")

    def write_between_pages(_: int) -> None:  # as another client's committed write does
        neo4j_driver.execute_query("CREATE (:Component:Actor {id: randomUUID(), label: 'late'})")
        neo4j_driver.execute_query(bump)

    with (
        (tmp_path / "x.json").open("w", encoding="utf-8") as out,
        pytest.raises(Conflict, match="changed while it was exported"),
    ):
        await export_to(
            db=app.state.services.db,
            out=out,
            export_format=ExportFormat.JSON,
            scenario=None,
            page_size=100,
            page_done=write_between_pages,
        )


async def test_an_import_past_its_timeout_is_rolled_back_with_timeout(
    settings: Settings, neo4j_driver: Any, tmp_path: Path
) -> None:
    await load_demo(settings)
    path = tmp_path / "demo.json"
    assert cli(settings, "export", str(path), "-q").returncode == 0
    wipe_graph(neo4j_driver)
    # Another writer holds the graph revision, which every import bumps in its own transaction:
    # the import waits for that lock past its 0.1 s however fast the machine, and Neo4j ends it.
    neo4j_driver.execute_query("MERGE (r:GraphRevision {id: 'graph'}) ON CREATE SET r.value = 1")
    with neo4j_driver.session() as session:
        holder = session.begin_transaction()
        try:
            holder.run("MATCH (r:GraphRevision {id: 'graph'}) SET r.heldByTest = true").consume()
            result = cli(settings, "import", str(path), "--timeout", "0.1", "-q")
        finally:
            holder.rollback()

    assert result.returncode == 1
    assert result.stderr.strip() == (
        "sfm-graphql import: TIMEOUT: Neo4j ended the transaction after 0.1 s; nothing was "
        "written. Pass a longer --timeout"
    )
    assert counts(neo4j_driver) == (0, 0)
