"""The pure parts of bench/analytics.py: the table, the merge by tier, the answers' summaries,
the sampling comparison and what /proc says about a process."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.paths import ROOT

sys.path.insert(0, str(ROOT / "bench"))

import analytics_ops
import analytics_processes
import analytics_report
import analytics_sampling


def _tier(name: str, *, cold_path: str = "sync", stored: bool = True) -> dict[str, Any]:
    return {
        "tier": name,
        "date": "2026-12-03T10:00:00+00:00",
        "components": 1000,
        "deliveries": 5000,
        "generate_s": 0.2,
        "analysis_graph": {"nodes": 984, "edges": 4739},
        "load": {"path": "raw driver (set-up)", "seconds": 1.5, "rows": 6000},
        "operations": {
            "centrality PAGERANK": {
                "cold": {"seconds": 0.5, "path": cold_path},
                "cached": {"seconds": 0.05, "path": cold_path},
                "cache_stored": stored,
                "summary": "top 0.01",
            }
        },
        "betweenness_pivots": 256,
        "betweenness_exact_max_nodes": 5000,
        "peak_rss_mb": {"api": 160.0, "worker": 150.0, "neo4j": 800.0},
        "neo4j_memory": {
            "server.memory.heap.initial_size": "512m",
            "server.memory.heap.max_size": "1g",
            "server.memory.pagecache.size": "512m",
        },
        "loadavg": [1.0, 2.0],
    }


def test_a_cell_reads_cold_then_cached_and_names_jobs_refusals_and_misses() -> None:
    entry = {
        "cold": {"seconds": 31.2, "path": "job"},
        "cached": {"seconds": 0.4, "path": "job"},
        "refused_sync": {"seconds": 30.1, "path": "sync", "error": {"code": "TIMEOUT"}},
        "cache_stored": False,
    }
    cell = analytics_report.operation_cell(entry)
    assert cell == "31.2 / 0.40 job (sync: TIMEOUT after 30.1) (not cached)"
    assert analytics_report.operation_cell(None) == "—"
    assert analytics_report.operation_cell({"skipped": "run time bound reached"}) == (
        "not run (run time bound reached)"
    )


def test_the_table_has_a_column_per_tier_in_tier_order(tmp_path: Path) -> None:
    out = tmp_path / "analytics.json"
    out.write_text(json.dumps({"tiers": [_tier("10k"), {"tier": "old format"}]}))
    merged = analytics_report.merge(out, [_tier("1k", cold_path="job", stored=False)])
    assert [r["tier"] for r in merged] == ["1k", "10k"]
    table = analytics_report.markdown(merged).splitlines()
    assert table[0] == "| | 1k | 10k |"
    pagerank = next(line for line in table if line.startswith("| centrality PAGERANK"))
    assert pagerank == (
        "| centrality PAGERANK: cold / cached s | 0.50 / 0.05 job (not cached) | 0.50 / 0.05 |"
    )
    assert "| peak RSS: Neo4j (JVM) | 800 MB | 800 MB |" in table


def test_summaries_say_what_an_answer_held() -> None:
    reach = {"reach": {"truncated": True, "components": [{"component": {"id": "a"}}] * 3}}
    assert analytics_ops.summary("reach", reach) == "3 reached, truncated"
    impact = {
        "policyImpact": {
            "truncated": False,
            "components": [],
            "byType": [{"type": "ACTOR", "count": 4}, {"type": "POLICY", "count": 1}],
        }
    }
    assert analytics_ops.summary("policyImpact", impact) == "5 reached"
    found = {"communities": {"count": 3, "modularity": 0.41234}}
    assert analytics_ops.summary("communities LOUVAIN", found) == "3 communities, Q=0.412"
    assert analytics_ops.summary("shortestPath", {"shortestPath": None}) == "no path"
    assert analytics_ops.summary("centrality DEGREE", None) == ""


def test_the_farthest_reached_component_is_the_last_listed() -> None:
    listed = [{"component": {"id": "near"}}, {"component": {"id": "far"}}]
    assert analytics_ops.farthest({"reach": {"components": listed}}) == "far"
    assert analytics_ops.farthest({"reach": {"components": []}}) is None
    assert analytics_ops.farthest(None) is None


def test_sampling_error_is_relative_l1_and_top_overlap() -> None:
    exact = [float(i) for i in range(40)]
    sampled = [*exact[:20], *(v + 2.0 for v in exact[20:])]
    found = analytics_sampling.compare(exact, sampled)
    assert found["relative_l1_error"] == pytest.approx(40.0 / sum(exact), abs=1e-4)
    assert found["top20_overlap"] == 1.0
    swapped = list(reversed(exact))
    assert analytics_sampling.compare(exact, swapped)["top20_overlap"] == 0.0


def test_proc_reads_peak_memory_cpu_and_the_process_tree() -> None:
    me = os.getpid()
    peak = analytics_processes.peak_rss_mb(me)
    assert peak is not None and peak > 1.0
    assert analytics_processes.process_tree(me)[0] == me
    assert analytics_processes.cpu_seconds([me]) > 0.0
    assert analytics_processes.peak_rss_mb(2**22 + 1) is None  # above Linux's pid_max
