"""`sfm-graphql import FILE` and `export FILE` at the bench tiers: time and peak memory.

For each tier COMPONENTS/DELIVERIES, a synthetic graph (bench/graphgen.py) is written as the
JSON export, the database is reset (bench/loading.py: only an empty or bench-marked one), and
the CLI runs as an operator runs it, as a subprocess: the import of that file, then an export
to JSON and to CSV. Per command: wall time, rows per second, and the peak resident memory of the
CLI process (getrusage of that child), which shows whether memory grows with the file. The
export is checked to hold what was imported.

Usage: .venv/bin/python bench/cli_data.py [--tiers 1000/5000,10000/50000] [--json PATH]
       (env from tools/env.sh of the instance; the dev and test ones need --allow-shared-instance)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from graphgen import Graph, generate
from loading import check_target, reset_database
from neo4j import AsyncGraphDatabase

from sfm_graphql.services.export_writers import JsonWriter
from sfm_graphql.settings import load_settings

CLI = Path(__file__).resolve().parent.parent / ".venv/bin/sfm-graphql"


@dataclass(frozen=True, slots=True)
class Run:
    tier: str
    command: str
    rows: int
    seconds: float
    rows_per_s: float
    peak_rss_mb: float
    file_mb: float


def write_file(graph: Graph, path: Path) -> None:
    keys = {c.id: c.fields["externalKey"] for c in graph.components}
    with path.open("w", encoding="utf-8") as out:
        writer = JsonWriter(out)
        writer.components({"type": c.type.value, **c.fields} for c in graph.components)
        writer.deliveries(
            {"sourceKey": keys[d.source], "targetKey": keys[d.target], **d.fields}
            for d in graph.deliveries
        )
        writer.close()


def run_cli(*args: str) -> tuple[float, float]:
    """Seconds and peak RSS (MiB) of one CLI run; fails on a non-zero exit."""
    started = time.perf_counter()
    proc = os.posix_spawn(str(CLI), [str(CLI), *args], os.environ)
    _, status, usage = os.wait4(proc, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"sfm-graphql {' '.join(args)} failed")
    return seconds, usage.ru_maxrss / 1024  # Linux reports KiB


async def reset() -> None:
    settings = load_settings()
    driver = AsyncGraphDatabase.driver(
        settings.neo4j_uri, auth=(settings.neo4j_user, settings.neo4j_password.get_secret_value())
    )
    try:
        await reset_database(driver, settings.neo4j_database)
    finally:
        await driver.close()


def bench_tier(components: int, deliveries: int, workdir: Path) -> list[Run]:
    tier = f"{components}/{deliveries}"
    graph = generate(components, deliveries)
    source = workdir / f"graph-{components}.json"
    write_file(graph, source)
    rows = components + deliveries
    asyncio.run(reset())
    runs = []

    def record(command: str, path: Path, seconds: float, rss: float) -> None:
        size = path.stat().st_size / 2**20
        runs.append(Run(tier, command, rows, round(seconds, 1), round(rows / seconds), rss, size))
        print(f"{tier:>14} {command:<12} {seconds:8.1f} s {rows / seconds:9.0f} rows/s "
              f"{rss:7.0f} MiB peak RSS  file {size:6.1f} MiB", flush=True)  # fmt: skip

    record("import JSON", source, *run_cli("import", str(source), "--quiet"))
    for fmt in ("json", "csv"):
        target = workdir / f"export-{components}.{fmt}"
        record(f"export {fmt.upper()}", target, *run_cli("export", str(target), "--quiet"))
    exported = json.loads((workdir / f"export-{components}.json").read_text(encoding="utf-8"))
    assert (len(exported["components"]), len(exported["deliveries"])) == (components, deliveries)
    return runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiers", default="1000/5000,10000/50000")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--allow-shared-instance", action="store_true")
    args = parser.parse_args()
    check_target(load_settings().neo4j_uri, allow_shared=args.allow_shared_instance)
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="sfm-cli-bench-") as workdir:
        for tier in args.tiers.split(","):
            components, deliveries = (int(n) for n in tier.split("/"))
            runs += bench_tier(components, deliveries, Path(workdir))
    if args.json:
        figures: list[dict[str, Any]] = [asdict(r) for r in runs]
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
