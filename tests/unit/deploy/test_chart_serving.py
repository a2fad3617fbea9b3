"""The chart's serving pods: workers from the CPU limit, shutdown times in step (issue 12)."""

from __future__ import annotations

from typing import Any

import pytest

from sfm_graphql.cli import build_parser
from tests.unit.deploy.helm_chart import find, render


def _server(*sets: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    docs = render(*sets)
    pod = find(docs, "Deployment")[0]["spec"]["template"]["spec"]
    config: dict[str, str] = find(docs, "ConfigMap")[0]["data"]
    return pod, pod["containers"][0], config


@pytest.mark.parametrize(
    ("cpu", "workers"), [("500m", 1), ("1", 1), ("1500m", 2), ("2", 2), ("2.5", 3), ("4", 4)]
)
def test_workers_follow_the_cpu_limit_rounded_up(cpu: str, workers: int) -> None:
    _, container, _ = _server(f"resources.limits.cpu={cpu}")
    assert build_parser().parse_args(container["args"]).workers == workers


def test_workers_set_in_the_values_win_over_the_cpu_limit() -> None:
    _, container, _ = _server("workers=3", "resources.limits.cpu=1")
    assert build_parser().parse_args(container["args"]).workers == 3


def test_the_pod_may_take_the_drain_and_the_grace_period_before_it_is_killed() -> None:
    pod, _, config = _server("shutdown.drainSeconds=7", "shutdown.graceSeconds=40")
    assert config["SFM_SHUTDOWN_DRAIN_S"] == "7"
    assert config["SFM_SHUTDOWN_GRACE_S"] == "40"
    assert pod["terminationGracePeriodSeconds"] == 7 + 40 + 5


def test_the_default_grace_period_covers_the_default_request_timeout() -> None:
    from sfm_graphql.settings import Settings

    pod, _, config = _server()
    request_timeout_s = Settings.model_fields["request_timeout_s"].default
    assert int(config["SFM_SHUTDOWN_GRACE_S"]) >= request_timeout_s
    drain, grace = int(config["SFM_SHUTDOWN_DRAIN_S"]), int(config["SFM_SHUTDOWN_GRACE_S"])
    assert pod["terminationGracePeriodSeconds"] > drain + grace
