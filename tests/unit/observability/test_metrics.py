"""Metrics without a network: bounded labels, reason classes, the middleware's reading of
responses, the windowed hit rate, memory limits and the multiprocess directory."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import parse
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from sfm_graphql.db import transaction
from sfm_graphql.errors import ErrorCode
from sfm_graphql.http import admission
from sfm_graphql.http.admission import AdmissionObserver
from sfm_graphql.http.responses import error_response
from sfm_graphql.observability import multiprocess
from sfm_graphql.observability.active_users import ActiveUsers, principal_digest
from sfm_graphql.observability.metrics import (
    OTHER,
    BoundedLabel,
    Metrics,
    auth_failure_reason,
    error_code_label,
    login_failure_reason,
)
from sfm_graphql.observability.metrics_graphql import operation_labels
from sfm_graphql.observability.metrics_http import MetricsMiddleware
from sfm_graphql.observability.metrics_refresh import memory_limit_bytes, rss_bytes
from sfm_graphql.observability.metrics_scrape import HitRateWindow, exposition
from sfm_graphql.observability.request_context import RequestRecords
from sfm_graphql.security.principal import ANONYMOUS, Principal, Role


def value(metrics: Metrics, name: str, **labels: str) -> float:
    text = exposition(metrics, HitRateWindow()).decode()
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and labels.items() <= sample.labels.items()
    )


# -- labels ---------------------------------------------------------------------------------------


def test_a_bounded_label_admits_the_first_names_and_folds_the_rest_into_other() -> None:
    label = BoundedLabel(3, re.compile(r"^[A-Za-z]+$"))
    assert [label(n) for n in ("A", "B", "A", "C", "D", "B")] == ["A", "B", "A", "C", OTHER, "B"]
    assert label("not-a-name") == OTHER


def test_operation_names_are_capped_and_documents_never_become_labels() -> None:
    metrics = Metrics(max_operation_names=2, pool_size=1)
    for name in ("One", "Two", "Three", "x" * 65):
        metrics.observe_operation(name=name, kind="query", seconds=0.01, cost=1, ok=True)
    assert value(metrics, "sfm_graphql_operations_total", operation="One") == 1
    assert value(metrics, "sfm_graphql_operations_total", operation="other") == 2
    assert value(metrics, "sfm_graphql_operations_total") == 4


@pytest.mark.parametrize(
    ("document", "name", "expected"),
    [
        ("query Named { a }", None, ("Named", "query")),
        ("{ a }", None, ("anonymous", "query")),
        ("mutation M { a } query Q { b }", "M", ("M", "mutation")),
        ("query Q { a }", "Missing", ("invalid", "unknown")),
    ],
)
def test_operation_labels(document: str, name: str | None, expected: tuple[str, str]) -> None:
    assert operation_labels(parse(document), name) == expected


def test_an_unparsed_document_is_labelled_invalid() -> None:
    assert operation_labels(None, "Anything") == ("invalid", "unknown")


def test_unknown_error_codes_are_folded_into_other() -> None:
    assert error_code_label("RATE_LIMITED") == "RATE_LIMITED"
    assert error_code_label("HTTP_5XX") == "HTTP_5XX"
    assert error_code_label("made up by a client") == "OTHER"
    assert error_code_label(None) == "OTHER"


def test_admission_series_exist_from_the_start_and_take_the_middlewares_values() -> None:
    metrics = Metrics(max_operation_names=2, pool_size=1)
    observer: AdmissionObserver = metrics  # what the app factory hands admission control
    rejected, waits = "sfm_requests_rejected_total", "sfm_admission_wait_seconds_count"
    for reason in (admission.QUEUE_FULL, admission.WAITED_TOO_LONG):
        assert value(metrics, rejected, reason=reason) == 0  # rate() sees the first refusal
    for outcome in (admission.ADMITTED, admission.TIMED_OUT, admission.DISCONNECTED):
        assert value(metrics, waits, outcome=outcome) == 0
    observer.admission_refused(admission.QUEUE_FULL)
    observer.admission_refused(admission.WAITED_TOO_LONG)
    observer.admission_refused("made up")
    observer.admission_waiting(3)
    observer.admission_waiting(-1)
    observer.admission_waited(0.3, admission.ADMITTED)
    observer.admission_waited(1.0, admission.TIMED_OUT)
    assert value(metrics, rejected, reason="overload") == 1  # the label value of old, kept
    assert value(metrics, rejected, reason="wait_timeout") == 1
    assert value(metrics, rejected, reason=OTHER) == 1
    assert value(metrics, "sfm_admission_queue_waiting") == 2
    assert value(metrics, waits, outcome="admitted") == 1
    assert value(metrics, "sfm_admission_wait_seconds_sum", outcome="timeout") == 1.0
    assert value(metrics, "sfm_admission_wait_seconds_bucket", outcome="admitted", le="0.5") == 1


def test_write_retry_series_exist_from_the_start_and_count_the_databases_outcomes() -> None:
    metrics = Metrics(max_operation_names=2, pool_size=1)
    for outcome in (transaction.RETRIED, transaction.EXHAUSTED):
        assert value(metrics, "sfm_write_retries_total", outcome=outcome) == 0
    for outcome in (transaction.RETRIED, transaction.RETRIED, transaction.EXHAUSTED, "made up"):
        metrics.write_retried(outcome)
    assert value(metrics, "sfm_write_retries_total", outcome="retried") == 2
    assert value(metrics, "sfm_write_retries_total", outcome="exhausted") == 1
    assert value(metrics, "sfm_write_retries_total", outcome=OTHER) == 1


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ("The bearer token is not a well-formed JWT", "malformed"),
        ("Send credentials as 'Authorization: Bearer <token>' or 'X-API-Key'", "malformed"),
        ("The credential is too long", "malformed"),
        ("The token has expired", "expired"),
        ("This API key has expired", "expired"),
        ("This API key has been revoked", "revoked"),
        ("This API key may not be used from this address", "address_not_allowed"),
        (
            "The token's issuer cannot be reached to check it; try again shortly",
            "issuer_unavailable",
        ),
        ("Invalid API key", "invalid"),
        ("The token's signature is invalid", "invalid"),
        ("The token's issuer is not trusted", "invalid"),
    ],
)
def test_refusals_are_sorted_into_reason_classes(message: str, reason: str) -> None:
    assert auth_failure_reason(message) == reason


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("wrong secret", "invalid"),
        ("unknown client", "invalid"),
        ("revoked client", "revoked"),
        ("expired client", "expired"),
        ("no client credentials", "malformed"),
    ],
)
def test_token_endpoint_failures_are_sorted_into_reason_classes(reason: str, expected: str) -> None:
    assert login_failure_reason(reason) == expected


# -- the middleware -------------------------------------------------------------------------------


def _app(metrics: Metrics) -> Starlette:
    async def refused(request: Any) -> JSONResponse:
        return error_response(413, ErrorCode.PAYLOAD_TOO_LARGE, "no")  # notes its code

    async def huge(request: Any) -> JSONResponse:
        # A JSON error body the service's envelope did not build: its codes are not counted.
        errors = [{"message": "x" * 100, "extensions": {"code": "BAD_REQUEST"}}] * 500
        return JSONResponse({"errors": errors}, status_code=400)

    async def limited(request: Any) -> PlainTextResponse:
        return PlainTextResponse("slow down", status_code=429)

    async def broken(request: Any) -> PlainTextResponse:
        raise RuntimeError("boom")

    async def probe(request: Any) -> PlainTextResponse:
        return PlainTextResponse("not ready", status_code=503)

    routes = [
        Route("/items/{item_id}", refused, methods=["POST"]),
        Route("/huge", huge),
        Route("/limited", limited),
        Route("/broken", broken),
        Route("/readyz", probe),
    ]
    middleware = [Middleware(RequestRecords), Middleware(MetricsMiddleware, metrics=metrics)]
    return Starlette(routes=routes, middleware=middleware)


async def test_the_middleware_reads_codes_from_the_request_record_and_labels_route_templates() -> (
    None
):
    metrics = Metrics(max_operation_names=5, pool_size=1)
    transport = httpx.ASGITransport(app=_app(metrics), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        assert (await client.post("/items/42")).status_code == 413
        assert (await client.get("/huge")).status_code == 400
        assert (await client.get("/limited")).status_code == 429
        assert (await client.get("/broken")).status_code == 500
        assert (await client.get("/items/42")).status_code == 405
        assert (await client.request("BREW", "/nowhere/7")).status_code == 404
        assert (await client.get("/readyz")).status_code == 503
    count = "sfm_requests_total"
    assert value(metrics, count, method="POST", route="/items/{item_id}", status="4xx") == 1
    assert value(metrics, count, method="GET", route="/items/{item_id}", status="4xx") == 1
    assert value(metrics, count, method="other", route="unmatched", status="4xx") == 1
    assert value(metrics, count, route="/broken", status="5xx") == 1
    assert value(metrics, "sfm_errors_total", code="PAYLOAD_TOO_LARGE") == 1
    assert value(metrics, "sfm_errors_total", code="HTTP_4XX") == 4  # no envelope, no code
    assert value(metrics, "sfm_errors_total", code="HTTP_5XX") == 1  # the probe is not counted
    assert value(metrics, "sfm_rate_limited_total", route="/limited") == 1
    assert value(metrics, "sfm_request_duration_seconds_count", route="/readyz") == 1
    text = exposition(metrics, HitRateWindow()).decode()
    assert "/items/42" not in text and "/nowhere" not in text


# -- hit rate, users, memory ----------------------------------------------------------------------


def test_the_hit_rate_covers_the_window_of_scrapes() -> None:
    window = HitRateWindow(window_s=300)

    def rate(totals: dict[str, tuple[float, float]], at: float) -> dict[str, float]:
        family = window.family(totals, at)
        return {s.labels["cache"]: s.value for s in family.samples}

    assert rate({"apq": (3, 1), "api_key": (0, 0)}, 0) == {"apq": 0.75}  # since start
    assert rate({"apq": (5, 1), "api_key": (1, 1)}, 60) == {"apq": 1.0, "api_key": 0.5}
    assert rate({"apq": (5, 9), "api_key": (1, 1)}, 400) == {"apq": 0.0}  # no lookups: no value
    assert rate({"apq": (1, 1), "api_key": (1, 1)}, 460) == {"apq": 0.5}  # counters reset


def test_active_users_skip_anonymous_callers_and_never_hold_subjects() -> None:
    users = ActiveUsers(window_s=900)
    alice = Principal(subject="alice@example.org", roles=frozenset({Role.VIEWER}), kind="user")
    users.seen(ANONYMOUS)
    users.seen(alice)
    users.seen(alice)
    assert users._pending == {principal_digest(alice)}
    assert "alice" not in principal_digest(alice)
    keys = users.keys(now=3600.0)
    assert len(keys) == 15 and keys[-1] == "sfm:active:60"


def test_the_memory_limit_is_configured_or_the_cgroup_one_or_physical_memory(
    tmp_path: Path,
) -> None:
    unlimited, limited = tmp_path / "memory.max", tmp_path / "limit_in_bytes"
    unlimited.write_text("max\n")
    limited.write_text("536870912\n")
    assert memory_limit_bytes(123) == 123
    assert memory_limit_bytes(None, (unlimited, limited)) == 536870912
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert memory_limit_bytes(None, (unlimited,)) == physical
    assert 0 < rss_bytes() < physical


# -- several workers ------------------------------------------------------------------------------


def test_one_worker_needs_no_shared_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(multiprocess.ENV, raising=False)
    with multiprocess.multiprocess_metrics(workers=1) as directory:
        assert directory is None
        assert multiprocess.ENV not in os.environ


def test_several_workers_get_a_fresh_directory_removed_afterwards(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(multiprocess.ENV, raising=False)
    with multiprocess.multiprocess_metrics(workers=3) as directory:
        assert directory is not None and directory.is_dir()
        assert os.environ[multiprocess.ENV] == str(directory)
    assert not directory.exists()
    assert multiprocess.ENV not in os.environ


def test_a_configured_directory_is_emptied_of_old_values_and_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "counter_123.db").write_bytes(b"old")
    (tmp_path / "README").write_text("not ours")
    monkeypatch.setenv(multiprocess.ENV, str(tmp_path))
    with multiprocess.multiprocess_metrics(workers=2) as directory:
        assert directory == tmp_path
        assert not (tmp_path / "counter_123.db").exists()
    assert (tmp_path / "README").exists()
    assert os.environ[multiprocess.ENV] == str(tmp_path)


def test_a_starting_worker_drops_the_live_gauges_of_dead_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead_pid = 2**22 + 12345  # above the kernel's pid_max default, so never alive
    files = [
        tmp_path / f"gauge_livesum_{dead_pid}.db",
        tmp_path / f"gauge_liveall_{os.getpid()}.db",
        tmp_path / f"counter_{dead_pid}.db",  # counts of a dead worker still count
    ]
    for path in files:
        path.write_bytes(b"")
    monkeypatch.setenv(multiprocess.ENV, str(tmp_path))
    multiprocess.worker_started()
    assert [path.exists() for path in files] == [False, True, True]
    multiprocess.worker_stopped()
    assert not files[1].exists()
