"""The table of the peer benchmark: per read and concurrency, each side's figures and its
throughput as a multiple of the peer's (x peer)."""

from __future__ import annotations

import math
from typing import Any

from peer_reads import TITLES

SIDE_TITLES = {
    "peer": "peer (Neo4j GraphQL Library, 1 Node process)",
    "sfm-1w": "sfm-graphql, 1 uvicorn worker",
    "sfm-prod": "sfm-graphql, production worker count",
    "driver": "raw Python driver, the service's Cypher",
}


def _fmt(value: float | None, digits: int = 1) -> str:
    if value is None or math.isnan(value):
        return "-"
    return f"{value:,.{digits}f}"


def rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per cell, with the ratio of its throughput to the peer's in the same cell."""
    out = []
    for cell in report["cells"]:
        peer = next(
            (
                c
                for c in report["cells"]
                if c["read"] == cell["read"] and c["c"] == cell["c"] and c["side"] == "peer"
            ),
            None,
        )
        ratio = cell["rps"] / peer["rps"] if cell["rps"] and peer and peer["rps"] else None
        out.append({**cell, "x_peer": round(ratio, 2) if ratio is not None else None})
    return out


def print_table(report: dict[str, Any]) -> None:
    m = report["machine"]
    print()
    print(
        f"peer benchmark {report['date']}  cores={m['cores']}  neo4j={m.get('neo4j')}  "
        f"graph={report['graph']['components']} components / "
        f"{report['graph']['deliveries']} deliveries  {report['seconds_per_cell']} s per cell"
    )
    for side, title in SIDE_TITLES.items():
        workers = report["workers"].get(side)
        print(f"  {side:<9} {title}" + (f" ({workers})" if workers else ""))
    header = (
        f"{'read':<34} {'c':>4} {'side':<9} {'req/s':>8} {'x peer':>6} {'p50 ms':>8} "
        f"{'p95 ms':>8} {'cpu ms/req':>10} {'neo4j ms/req':>12} {'errors':>6}"
    )
    print()
    print(header)
    print("-" * len(header))
    last: tuple[str, int] | None = None
    for row in rows(report):
        key = (row["read"], row["c"])
        title = TITLES[row["read"]] if last is None or row["read"] != last[0] else ""
        conc = str(row["c"]) if key != last else ""
        last = key
        print(
            f"{title:<34} {conc:>4} {row['side']:<9} {_fmt(row['rps']):>8} "
            f"{_fmt(row['x_peer'], 2):>6} {_fmt(row['p50_ms']):>8} {_fmt(row['p95_ms']):>8} "
            f"{_fmt(row['cpu_ms_per_req'], 2):>10} {_fmt(row['neo4j_cpu_ms_per_req'], 2):>12} "
            f"{row['errors']:>6}"
        )
    print()
    print(
        "cpu ms/req: utime+stime of the side's processes (all workers) from /proc over the "
        "cell; for the driver, the benchmark process itself (decoding and the driver)."
    )


def markdown(before: dict[str, Any], after: dict[str, Any]) -> str:
    """The docs/benchmarks.md table: each figure of each cell as "before -> after"."""

    def cells(report: dict[str, Any]) -> dict[tuple[str, int, str], dict[str, Any]]:
        return {(r["read"], r["c"], r["side"]): r for r in rows(report)}

    b, a = cells(before), cells(after)

    def pair(key: tuple[str, int, str], field: str, digits: int = 1) -> str:
        old, new = b.get(key, {}).get(field), a.get(key, {}).get(field)
        return f"{_fmt(old, digits)} -> {_fmt(new, digits)}"

    out = [
        "| read | c | side | req/s | x peer | p50 ms | p95 ms | CPU ms/req | Neo4j CPU ms/req "
        "| errors |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for key in sorted(a, key=lambda k: (READ_ORDER.index(k[0]), k[1], SIDE_ORDER.index(k[2]))):
        read, level, side = key
        errors = f"{b.get(key, {}).get('errors', '-')} -> {a[key]['errors']}"
        out.append(
            f"| {TITLES[read]} | {level} | {side} | {pair(key, 'rps')} | {pair(key, 'x_peer', 2)} "
            f"| {pair(key, 'p50_ms')} | {pair(key, 'p95_ms')} | {pair(key, 'cpu_ms_per_req', 2)} "
            f"| {pair(key, 'neo4j_cpu_ms_per_req', 2)} | {errors} |"
        )
    return "\n".join(out)


READ_ORDER = ["node", "page", "largest"]
SIDE_ORDER = list(SIDE_TITLES)

if __name__ == "__main__":
    import json
    import sys
    from pathlib import Path

    if len(sys.argv) != 3:
        sys.exit("usage: peer_report.py BEFORE.json AFTER.json  (prints the markdown table)")
    first, second = (json.loads(Path(p).read_text(encoding="utf-8")) for p in sys.argv[1:])
    print(markdown(first, second))
