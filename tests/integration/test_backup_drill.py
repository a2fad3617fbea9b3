"""The disaster-recovery drill (bench/backup_drill.py), small: lose the graph, get it back."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import pytest

from sfm_graphql.settings import Settings
from tests.paths import ROOT

pytestmark = pytest.mark.integration


async def test_the_drill_restores_a_generated_graph_identically(
    settings: Settings, clean_graph: None, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "SFM_NEO4J_URI": settings.neo4j_uri,
        "SFM_NEO4J_USER": settings.neo4j_user,
        "SFM_NEO4J_PASSWORD": settings.neo4j_password.get_secret_value(),
        "SFM_REDIS_URL": settings.redis_url,
        # Development secrets of its own, never a folder inside the work tree.
        "SFM_LOCAL_SECRETS_DIR": str(tmp_path / "secrets"),
    }
    report_path = tmp_path / "drill.json"
    proc = await asyncio.create_subprocess_exec(
        str(ROOT / ".venv/bin/python"),
        "backup_drill.py",
        "--components", "400",
        "--deliveries", "2000",
        "--samples", "5",
        "--allow-shared-instance",
        "--json", str(report_path),
        cwd=ROOT / "bench",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    async with asyncio.timeout(600):
        out, _ = await proc.communicate()
    assert proc.returncode == 0, out.decode()[-3000:]
    report: dict[str, Any] = json.loads(report_path.read_text())
    assert report["identical"] is True
    assert report["sections"]["components"] == 400
    assert report["sections"]["deliveries"] == 2000
    steps = {s["step"]: s for s in report["steps"]}
    assert steps["compare"]["answers"] is True
    assert steps["backup"]["peak_rss_mib"] > 0
