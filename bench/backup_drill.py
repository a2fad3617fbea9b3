"""Disaster-recovery drill: lose a generated graph and get it back from a backup, measured.

Generate a synthetic SFM graph (default 100k components, 500k deliveries), load it, record the
answers of sample GraphQL queries, then run the operator's commands as an operator would:
`sfm-graphql backup --encrypt`, `verify`, lose the database (every node and the schema),
`restore`, and a second `backup` to compare. The drill passes when the two backups' section
checksums and counts are identical and the sample queries answer the same. It prints each
step's wall time and each command's peak RSS (figures in docs/benchmarks.md and
docs/operations/disaster-recovery.md).

Usage (the bench instance, or any instance named by SFM_NEO4J_URI / SFM_REDIS_URL):
    eval "$(tools/env.sh bench)" && .venv/bin/python bench/backup_drill.py [--components N]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import loading
from graphgen import generate
from neo4j import AsyncDriver, AsyncGraphDatabase

from sfm_graphql.app import create_app
from sfm_graphql.graphql.core.ids import to_global_id
from sfm_graphql.security.signing import cli_token
from sfm_graphql.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
CLI = str(ROOT / ".venv" / "bin" / "sfm-graphql")
SAMPLE_TOTALS = "{ components { totalCount } deliveries { totalCount } matrices { totalCount } }"
SAMPLE_PAGES = """{
  components(first: 50) { edges { node { id label type version } } }
  deliveries(first: 50) { edges { node { id kind weight version } } }
}"""
SAMPLE_NEIGHBORHOOD = """query($id: ID!) {
  neighborhood(id: $id, depth: 1) { components { id label } deliveries { id kind } }
}"""


def _step(report: dict[str, Any], name: str, started: float, **extra: Any) -> None:
    seconds = round(time.perf_counter() - started, 1)
    report["steps"].append({"step": name, "seconds": seconds, **extra})
    shown = ", ".join(f"{k} {v}" for k, v in extra.items())
    print(f"{name:<28} {seconds:>8.1f} s  {shown}", flush=True)


def _high_water_kib(pid: int) -> int:
    # VmHWM belongs to the program after exec; ru_maxrss would count the forked copy of this
    # process (and its generated graph) from before the exec.
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _run_cli(args: list[str], env: dict[str, str]) -> tuple[str, int]:
    """Runs one sfm-graphql command; returns its stdout and its peak RSS in MiB."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen([CLI, *args], env=env, stdout=out, stderr=err)
        peak = 0
        while proc.poll() is None:
            peak = max(peak, _high_water_kib(proc.pid))
            time.sleep(0.1)
        if proc.returncode != 0:
            err.seek(0)
            raise SystemExit(f"sfm-graphql {args[0]} failed ({proc.returncode}):\n{err.read()}")
        out.seek(0)
        return out.read(), peak // 1024


async def _lose_database(driver: AsyncDriver, database: str) -> None:
    """Every node and every index and constraint gone, as after losing the volume."""
    async with driver.session(database=database) as session:
        # Relationships first: a hub's DETACH DELETE would hold all its deliveries at once.
        for text in (
            "MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 10000 ROWS",
            "MATCH (n) CALL (n) { DELETE n } IN TRANSACTIONS OF 10000 ROWS",
        ):
            result = await session.run(text)
            await result.consume()
    for kind, drop in (("CONSTRAINTS", "CONSTRAINT"), ("INDEXES", "INDEX")):
        records, _, _ = await driver.execute_query(
            f"SHOW {kind} YIELD name, type WHERE type <> 'LOOKUP' RETURN name", database_=database
        )
        for record in records:
            name = str(record["name"]).replace("`", "``")  # names from SHOW, not from users
            await driver.execute_query(f"DROP {drop} `{name}` IF EXISTS", database_=database)


async def _answers(settings: Settings, ids: list[str]) -> list[Any]:
    """The sample queries' answers through the GraphQL API (in process, real Neo4j and Redis)."""
    app = create_app(settings)
    token = await cli_token(settings, roles=["admin"], ttl=dt.timedelta(hours=1), mfa=True)
    answers: list[Any] = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://drill", headers=headers, timeout=300
        ) as http:
            queries: list[tuple[str, dict[str, Any]]] = [(SAMPLE_TOTALS, {}), (SAMPLE_PAGES, {})]
            queries += [(SAMPLE_NEIGHBORHOOD, {"id": node_id}) for node_id in ids]
            for query, variables in queries:
                response = await http.post(
                    "/graphql", json={"query": query, "variables": variables}
                )
                body = response.json()
                # extensions.cost.remaining counts down the drill's own budget: not an answer.
                answers.append({k: body.get(k) for k in ("data", "errors")})
    return answers


async def _sample_ids(driver: AsyncDriver, database: str, count: int) -> list[str]:
    """Global ids of `count` components picked at random (seeded), found through the API."""
    records, _, _ = await driver.execute_query(
        "MATCH (n:Component) RETURN n.id AS id, "
        "[label IN labels(n) WHERE label <> 'Component'][0] AS type ORDER BY n.id",
        database_=database,
    )
    rows = [(r["type"], r["id"]) for r in records]
    picked = random.Random(7).sample(rows, min(count, len(rows)))
    return [to_global_id(type_label, uuid) for type_label, uuid in picked]


async def drill(args: argparse.Namespace) -> dict[str, Any]:
    settings = Settings()
    loading.check_target(settings.neo4j_uri, allow_shared=args.allow_shared_instance)
    report: dict[str, Any] = {
        "components": args.components,
        "deliveries": args.deliveries,
        "steps": [],
    }
    driver = AsyncGraphDatabase.driver(
        settings.neo4j_uri,
        auth=(settings.neo4j_user, settings.neo4j_password.get_secret_value()),
        notifications_min_severity="OFF",
    )
    env = {**os.environ, "SFM_BACKUP_ENCRYPTION_KEY": base64.b64encode(os.urandom(32)).decode()}
    work = Path(args.workdir or tempfile.mkdtemp(prefix="sfm-drill-"))
    first, second = work / "drill-1.sfmbak", work / "drill-2.sfmbak"
    db = settings.neo4j_database
    try:
        started = time.perf_counter()
        await loading.reset_database(driver, db)
        graph = generate(args.components, args.deliveries, seed=args.seed)
        await loading.load_through_driver(driver, db, graph)
        del graph
        await driver.execute_query("MATCH (m:BenchMarker) DELETE m", database_=db)
        _step(report, "generate and load", started)

        started = time.perf_counter()
        ids = await _sample_ids(driver, db, args.samples)
        before = await _answers(settings, ids)
        _step(report, "sample queries (before)", started, queries=len(before))

        started = time.perf_counter()
        _, rss = _run_cli(["backup", "--encrypt", "-o", str(first)], env)
        _step(report, "backup", started, peak_rss_mib=rss, mib=first.stat().st_size >> 20)

        started = time.perf_counter()
        manifest_1, rss = _run_cli(["verify", str(first)], env)
        _step(report, "verify", started, peak_rss_mib=rss)

        started = time.perf_counter()
        await _lose_database(driver, db)
        _step(report, "lose the database", started)

        started = time.perf_counter()
        _, rss = _run_cli(["restore", str(first), "--batch-size", str(args.batch_size)], env)
        _step(report, "restore", started, peak_rss_mib=rss)

        started = time.perf_counter()
        _run_cli(["backup", "-o", str(second)], env)
        manifest_2, _ = _run_cli(["verify", str(second)], env)
        after = await _answers(settings, ids)
        one, two = json.loads(manifest_1), json.loads(manifest_2)
        same = {
            "sections": one["sections"] == two["sections"],
            "labels": one["labels"] == two["labels"],
            "relationshipTypes": one["relationshipTypes"] == two["relationshipTypes"],
            "answers": before == after,
        }
        _step(report, "compare", started, **same)
        for one_answer, other in zip(before, after, strict=True):
            if one_answer != other:
                print("differs:", json.dumps(one_answer)[:300], json.dumps(other)[:300])
        report["identical"] = all(same.values())
        report["sections"] = {s["name"]: s["count"] for s in one["sections"]}
    finally:
        # Leave the bench instance as bench/run.py expects it: marked as a benchmark's.
        await driver.execute_query("MERGE (:BenchMarker {by: 'bench/backup_drill.py'})")
        await driver.close()
        if not args.workdir:
            for path in (first, second):
                path.unlink(missing_ok=True)
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--components", type=int, default=100_000)
    parser.add_argument("--deliveries", type=int, default=500_000)
    parser.add_argument("--samples", type=int, default=20, help="neighborhood queries")
    parser.add_argument("--batch-size", type=int, default=2000, help="restore batch size")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", help="keep the backup files here")
    parser.add_argument("--json", help="also write the report to this file")
    parser.add_argument("--allow-shared-instance", action="store_true")
    args = parser.parse_args()
    report = asyncio.run(drill(args))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2), encoding="utf-8")
    print("identical" if report["identical"] else "NOT identical", json.dumps(report["sections"]))
    return 0 if report["identical"] else 1


if __name__ == "__main__":
    sys.exit(main())
