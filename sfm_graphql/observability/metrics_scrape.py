"""The Prometheus text exposition `/metrics` serves (sfm_graphql/http/metrics.py), and the
scrape credential it is guarded by, read once at start-up."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

from sfm_graphql.observability.metrics import Metrics
from sfm_graphql.observability.multiprocess import multiprocess_dir
from sfm_graphql.settings import Settings

HIT_RATE_WINDOW_S = 300.0
MAX_SNAPSHOTS = 10_000


def scrape_token(settings: Settings) -> bytes | None:
    if settings.metrics_token is not None:
        return settings.metrics_token.get_secret_value().encode()
    if settings.metrics_token_file is not None:
        token = settings.metrics_token_file.read_text(encoding="utf-8").strip()
        if len(token) < 32:
            raise ValueError("metrics_token_file must hold at least 32 characters")
        return token.encode()
    return None


class HitRateWindow:
    """`sfm_cache_hit_rate`: hits / lookups per cache over the last 5 minutes of scrapes.

    Computed when scraped from the hit and miss counters summed over every worker, so it is
    right under multiprocess mode too; the first scrape after start gives the ratio since start.
    A cache with no lookups in the window has no value.
    """

    def __init__(self, window_s: float = HIT_RATE_WINDOW_S) -> None:
        self._window_s = window_s
        self._snapshots: deque[tuple[float, dict[str, tuple[float, float]]]] = deque(
            maxlen=MAX_SNAPSHOTS
        )

    def family(self, totals: dict[str, tuple[float, float]], now: float) -> GaugeMetricFamily:
        self._snapshots.append((now, totals))
        # The baseline is the latest scrape at least `window_s` old (else the oldest one).
        while len(self._snapshots) > 2 and self._snapshots[1][0] <= now - self._window_s:
            self._snapshots.popleft()
        baseline = self._snapshots[0][1] if len(self._snapshots) > 1 else {}
        family = GaugeMetricFamily(
            "sfm_cache_hit_rate",
            "Share of cache lookups that hit, per cache, over the last 5 minutes of scrapes.",
            labels=["cache"],
        )
        for cache, (hits, misses) in sorted(totals.items()):
            old_hits, old_misses = baseline.get(cache, (0.0, 0.0))
            new_hits, new_misses = hits - old_hits, misses - old_misses
            if new_hits < 0 or new_misses < 0:  # counters were reset
                new_hits, new_misses = hits, misses
            if new_hits + new_misses > 0:
                family.add_metric([cache], new_hits / (new_hits + new_misses))
        return family


def cache_totals(families: Iterable[Metric]) -> dict[str, tuple[float, float]]:
    hits: dict[str, float] = {}
    misses: dict[str, float] = {}
    for family in families:
        for sample in family.samples:
            cache = sample.labels.get("cache", "")
            if sample.name == "sfm_cache_hits_total":
                hits[cache] = hits.get(cache, 0.0) + sample.value
            elif sample.name == "sfm_cache_misses_total":
                misses[cache] = misses.get(cache, 0.0) + sample.value
    return {c: (hits.get(c, 0.0), misses.get(c, 0.0)) for c in hits.keys() | misses.keys()}


class _Collected:
    def __init__(self, families: list[Metric]) -> None:
        self._families = families

    def collect(self) -> list[Metric]:
        return self._families


def exposition(metrics: Metrics, hit_rate: HitRateWindow) -> bytes:
    """Every metric in the text format: this process's, or every worker's in multiprocess mode."""
    directory = multiprocess_dir()
    if directory is not None:
        collector = MultiProcessCollector(None, path=str(directory))  # type: ignore[no-untyped-call]
        families = list(collector.collect())  # type: ignore[no-untyped-call]
    else:
        families = list(metrics.registry.collect())
    families.append(hit_rate.family(cache_totals(families), time.time()))
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Collected(families))
    return generate_latest(registry)
