"""The chart's backup CronJob, step by step, against the test instance: the commands rendered by
`helm template` (backup, then backup-prune) run in a directory that already holds old backups.
The new backup verifies, the retention leaves the `count` newest, other files stay."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import os
from pathlib import Path

import pytest

from sfm_graphql.demo.loader import load_demo
from sfm_graphql.operations.backup.names import default_name
from sfm_graphql.operations.backup.reader import verify
from sfm_graphql.settings import Settings
from tests.paths import ROOT
from tests.unit.deploy.helm_chart import find, pod_spec, render

pytestmark = pytest.mark.integration

KEY = bytes(range(32))


async def _run(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int | None, str]:
    proc = await asyncio.create_subprocess_exec(
        str(ROOT / ".venv/bin/sfm-graphql"),
        *args,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(300):
        _, err = await proc.communicate()
    return proc.returncode, err.decode()


async def test_the_cronjob_steps_back_up_then_keep_the_newest(
    settings: Settings, clean_graph: None, tmp_path: Path
) -> None:
    await load_demo(settings)
    directory = tmp_path / "backups"
    directory.mkdir()
    docs = render(
        "backup.enabled=true",
        f"backup.mountPath={directory}",
        "backup.retention.count=3",
        "backup.retention.maxAgeDays=30",
    )
    spec = pod_spec(find(docs, "CronJob", "backup")[0])
    assert spec is not None
    [backup], [prune] = spec["initContainers"], spec["containers"]
    now = dt.datetime.now(dt.UTC)
    old = [directory / default_name(now - dt.timedelta(days=d)) for d in (1, 2, 3, 40)]
    for path in old:
        path.write_bytes(b"an older backup")
    (directory / "keep-me.txt").write_text("not a backup")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SFM_")}
    env.update(
        SFM_NEO4J_URI=settings.neo4j_uri,
        SFM_NEO4J_USER=settings.neo4j_user,
        SFM_NEO4J_PASSWORD=settings.neo4j_password.get_secret_value(),
        SFM_REDIS_URL=settings.redis_url,
        SFM_BACKUP_ENCRYPTION_KEY=base64.b64encode(KEY).decode(),
    )
    code, err = await _run(backup["args"], env, Path(backup["workingDir"]))
    assert code == 0, err
    new = sorted(set(directory.glob("*.sfmbak")) - set(old))
    assert len(new) == 1
    assert verify(new[0], KEY)["sections"]
    code, err = await _run(prune["args"], env, tmp_path)
    assert code == 0, err
    assert {p.name for p in directory.iterdir()} == {
        new[0].name,
        old[0].name,
        old[1].name,
        "keep-me.txt",
    }
