"""The table of bench/analytics.py: one column per tier, as Markdown (printed and put in the docs).

A cell of an operation reads `cold / cached` in seconds. `job` marks figures of a
`startAnalysis` job (submit to the poll that sees it succeed); when the synchronous query was
tried first and refused, the cell says so and after how long. `(not cached)` marks an operation
whose first answer left no result in the cache, so its second request computed again.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

TIER_ORDER = ["1k", "10k", "100k"]


def merge(path: Path, reports: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The tiers of an earlier run at `path`, with those of this run in their place."""
    earlier: list[dict[str, Any]] = []
    if path.exists():
        earlier = json.loads(path.read_text())
        if isinstance(earlier, dict):
            earlier = earlier.get("tiers", [])
    by_tier = {r["tier"]: r for r in earlier if "operations" in r and "generate_s" in r}
    by_tier.update({r["tier"]: r for r in reports})
    return [by_tier[t] for t in TIER_ORDER if t in by_tier]


def _s(seconds: float) -> str:
    return f"{seconds:.2f}" if seconds < 10 else f"{seconds:.1f}"


def _outcome(o: dict[str, Any]) -> str:
    if "error" in o:
        return f"{o['error']['code']} after {_s(o['seconds'])}"
    return _s(o["seconds"])


def operation_cell(entry: dict[str, Any] | None) -> str:
    if entry is None:
        return "—"
    if "skipped" in entry:
        return f"not run ({entry['skipped']})"
    cold, cached = entry["cold"], entry.get("cached")
    text = _outcome(cold) + (f" / {_outcome(cached)}" if cached else "")
    if cold["path"] == "job":
        text += " job"
    refused = entry.get("refused_sync")
    if refused:
        text += f" (sync: {refused['error']['code']} after {_s(refused['seconds'])})"
    if cached and not entry.get("cache_stored"):
        text += " (not cached)"
    return text


def _load(load: dict[str, Any]) -> str:
    text = f"{_s(load['seconds'])} s, {load['path']}"
    if load.get("rows_per_s"):
        text += f", {load['rows_per_s']:,.0f} rows/s"
    if load.get("kept_from"):
        text += f" (in the run of {load['kept_from'][:10]})"
    return text


def _mb(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f} MB"


def rows(reports: list[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    out: list[tuple[str, list[str]]] = []

    def row(label: str, fn: Any) -> None:
        out.append((label, [fn(r) for r in reports]))

    row("components / deliveries", lambda r: f"{r['components']:,} / {r['deliveries']:,}")
    row(
        "analysis graph nodes / edges",
        lambda r: (
            f"{r['analysis_graph']['nodes']:,} / {r['analysis_graph']['edges']:,}"
            if r.get("analysis_graph")
            else "—"
        ),
    )
    row("generate (graphgen.py)", lambda r: f"{_s(r['generate_s'])} s")
    row("load", lambda r: _load(r["load"]))
    names: list[str] = []
    for r in reports:
        names.extend(n for n in r["operations"] if n not in names)
    for name in names:
        row(f"{name}: cold / cached s", lambda r, n=name: operation_cell(r["operations"].get(n)))
    row(
        "betweenness sampling",
        lambda r: (
            f"{r['betweenness_pivots']} pivots above {r['betweenness_exact_max_nodes']:,} nodes"
        ),
    )
    row("peak RSS: API (`serve`, 1 worker)", lambda r: _mb(r["peak_rss_mb"]["api"]))
    row("peak RSS: `sfm-graphql worker`", lambda r: _mb(r["peak_rss_mb"]["worker"]))
    row("peak RSS: Neo4j (JVM)", lambda r: _mb(r["peak_rss_mb"]["neo4j"]))
    row(
        "Neo4j heap initial / max, page cache",
        lambda r: (
            " / ".join(r["neo4j_memory"].get(k, "?") for k in NEO4J_MEMORY[:2])
            + f", {r['neo4j_memory'].get(NEO4J_MEMORY[2], '?')}"
        ),
    )
    row("load average (1 min) before / after", lambda r: "{:.1f} / {:.1f}".format(*r["loadavg"]))
    return out


NEO4J_MEMORY = [
    "server.memory.heap.initial_size",
    "server.memory.heap.max_size",
    "server.memory.pagecache.size",
]


def markdown(reports: list[dict[str, Any]]) -> str:
    header = "| | " + " | ".join(f"{r['tier']}" for r in reports) + " |"
    lines = [header, "|---" * (len(reports) + 1) + "|"]
    for label, cells in rows(reports):
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def sampling_lines(reports: list[dict[str, Any]]) -> list[str]:
    lines = []
    for r in reports:
        s = r.get("betweenness_sampling_error")
        if s:
            lines.append(
                f"Betweenness at {r['tier']} ({s['nodes']:,} nodes): exact {s['exact_s']} s, "
                f"{s['pivots']} pivots {s['sampled_s']} s; relative L1 error "
                f"{s['relative_l1_error']}, top-20 overlap {s['top20_overlap']:.0%}."
            )
    return lines
