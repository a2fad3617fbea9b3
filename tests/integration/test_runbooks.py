"""The commands of the backup/restore runbook run, as written, against the test instance.

Every fenced block whose info string is `bash test` in docs/operations/backup-restore.md is run
in order in one bash (`set -euo pipefail`), in an empty directory, with the test instance's
settings in the environment and the project's `sfm-graphql` on PATH.
"""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

import pytest

from sfm_graphql.demo.loader import load_demo
from sfm_graphql.settings import Settings
from tests.paths import ROOT

pytestmark = pytest.mark.integration

RUNBOOK = ROOT / "docs/operations/backup-restore.md"
_BLOCK = re.compile(r"^```bash test\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def runbook_blocks(path: Path) -> list[str]:
    return _BLOCK.findall(path.read_text(encoding="utf-8"))


async def test_the_backup_runbook_commands_run_as_written(
    settings: Settings, clean_graph: None, tmp_path: Path
) -> None:
    blocks = runbook_blocks(RUNBOOK)
    assert len(blocks) >= 5
    await load_demo(settings)  # something to back up, and a non-empty target to refuse
    env = {k: v for k, v in os.environ.items() if not k.startswith("SFM_")}
    env.update(
        PATH=f"{ROOT / '.venv/bin'}:{os.environ['PATH']}",
        SFM_NEO4J_URI=settings.neo4j_uri,
        SFM_NEO4J_USER=settings.neo4j_user,
        SFM_NEO4J_PASSWORD=settings.neo4j_password.get_secret_value(),
        SFM_REDIS_URL=settings.redis_url,
    )
    script = "set -euo pipefail\n" + "\n".join(blocks)
    proc = await asyncio.create_subprocess_exec(
        "bash",
        "-c",
        script,
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    async with asyncio.timeout(600):
        out, _ = await proc.communicate()
    text = out.decode()
    assert proc.returncode == 0, text[-3000:]
    assert "refused: the database is not empty" in text
    assert "restored backup" in text
    assert (tmp_path / "sfm-graphql.sfmbak").stat().st_size > 0
