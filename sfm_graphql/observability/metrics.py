"""The Prometheus metrics the service exports on `/metrics` (docs/observability.md, Metrics).

One `Metrics` per app holds every metric in its own registry. Label values are bounded: HTTP
routes are route templates, operation names are the first `max_operation_names` distinct names
(later ones are `other`), Cypher query names are file names, error codes come from `ErrorCode`,
and authentication failures are sorted into a few reason classes. No id, path or document ever
becomes a label. Under several worker processes prometheus-client's multiprocess mode writes
every value to `PROMETHEUS_MULTIPROC_DIR`; each gauge names how the workers' values combine.
"""

from __future__ import annotations

import re

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from sfm_graphql.errors import ErrorCode
from sfm_graphql.observability.active_users import ActiveUsers

OTHER = "other"
ANONYMOUS_OPERATION = "anonymous"  # an operation without a name
INVALID_OPERATION = "invalid"  # the document did not parse, or names no such operation
HTTP_4XX = "HTTP_4XX"  # an HTTP refusal whose body carries no error code
HTTP_5XX = "HTTP_5XX"
ERROR_CODES = frozenset({c.value for c in ErrorCode} | {HTTP_4XX, HTTP_5XX})
# Codes that are the service's fault, not the client's: the error-rate alert counts these.
SERVER_ERROR_CODES = ("INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE", HTTP_5XX)
CACHES = ("api_key", "apq", "allow_list")
# A failing probe is the orchestrator's signal, not a client's error: not in sfm_errors_total.
PROBE_ROUTES = frozenset({"/healthz", "/readyz", "/startupz"})
METHODS = frozenset({"GET", "POST", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})
MAX_QUERY_NAMES = 500  # well above the number of Cypher files and composed statements

# Seconds; 5 s is the latency alert's threshold, so it is a bucket boundary.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
CYPHER_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 30.0)
# Admission waits are bounded by admission_wait_s (at most 60 s, default 1 s).
WAIT_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0, 60.0)
# Label values of the admission metrics (http/admission.py names them).
REJECT_REASONS = ("overload", "wait_timeout")
WAIT_OUTCOMES = ("admitted", "timeout", "disconnected")
# Label values of sfm_write_retries_total (db/transaction.py names them).
RETRY_OUTCOMES = ("retried", "exhausted")
# Label values of sfm_analysis_graph_reads_total (services/analytics/graph.py names them).
GRAPH_SOURCES = ("neo4j", "redis", "local")
# An analysis graph's read streams up to analysis_max_edges deliveries: tens of ms to a minute.
GRAPH_READ_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
# Static cost points (graphql/core/limits.py); the per-role ceilings run up to 250,000.
COST_BUCKETS = (1, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 50_000, 250_000)

_GRAPHQL_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]{0,63}$")
_QUERY_NAME = re.compile(r"^[a-z0-9_]+(/[a-z0-9_]+)*$")


class BoundedLabel:
    """Admits the first `limit` distinct well-formed values; every later one reads `other`.

    Per process: with N workers a label has at most N x `limit` values, still a fixed bound.
    """

    def __init__(self, limit: int, pattern: re.Pattern[str]) -> None:
        self._limit = limit
        self._pattern = pattern
        self._admitted: set[str] = set()

    def __call__(self, value: str) -> str:
        if value in self._admitted:
            return value
        if len(self._admitted) >= self._limit or not self._pattern.match(value):
            return OTHER
        self._admitted.add(value)
        return value


def error_code_label(code: object) -> str:
    """An `extensions.code` as a label: a known code, else `OTHER`."""
    return code if isinstance(code, str) and code in ERROR_CODES else "OTHER"


def status_class(status: int) -> str:
    return f"{status // 100}xx"


class Metrics:
    """Every metric of one app, and the calls that record them."""

    def __init__(
        self,
        *,
        max_operation_names: int,
        pool_size: int,
        active_users: ActiveUsers | None = None,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self.registry = registry or CollectorRegistry()
        self.active_users = active_users or ActiveUsers(window_s=900)
        self.operation_names = BoundedLabel(max_operation_names, _GRAPHQL_NAME)
        self.query_names = BoundedLabel(MAX_QUERY_NAMES, _QUERY_NAME)
        r = self.registry
        http = ("method", "route", "status")
        self.request_duration = Histogram(
            "sfm_request_duration_seconds",
            "HTTP request duration by method, route template and status class.",
            http,
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.requests = Counter(
            "sfm_requests_total",
            "HTTP requests by method, route template and status class.",
            http,
            registry=r,
        )
        self.errors = Counter(
            "sfm_errors_total",
            "Responses carrying an error, once per code: GraphQL extensions.code, the code of an "
            "HTTP refusal, or HTTP_4XX/HTTP_5XX when the body has none. Probes are not counted.",
            ("code",),
            registry=r,
        )
        self.rate_limited = Counter(
            "sfm_rate_limited_total",
            "Requests refused by a rate limit (HTTP 429 or RATE_LIMITED), by route template.",
            ("route",),
            registry=r,
        )
        self.rejected = Counter(
            "sfm_requests_rejected_total",
            "Requests refused before any work (503 OVERLOADED) by the reason class: overload "
            "(max_concurrent_requests in flight and the admission queue full, refused at once), "
            "wait_timeout (waited admission_wait_s in the queue without a slot).",
            ("reason",),
            registry=r,
        )
        for reason in REJECT_REASONS:  # exist from the start, so rate() sees the first
            self.rejected.labels(reason=reason)
        self.admission_queue = Gauge(
            "sfm_admission_queue_waiting",
            "Requests waiting in the admission queue for a slot, summed over the workers.",
            registry=r,
            multiprocess_mode="livesum",
        )
        self.admission_wait = Histogram(
            "sfm_admission_wait_seconds",
            "Time requests that found every slot taken waited in the admission queue, by outcome: "
            "admitted, timeout (then refused), disconnected (the client went away).",
            ("outcome",),
            buckets=WAIT_BUCKETS,
            registry=r,
        )
        for outcome in WAIT_OUTCOMES:
            self.admission_wait.labels(outcome=outcome)
        self.auth_failures = Counter(
            "sfm_auth_failures_total",
            "Credentials refused, by credential kind and reason class.",
            ("credential", "reason"),
            registry=r,
        )
        self.operations = Counter(
            "sfm_graphql_operations_total",
            "GraphQL operations by name (capped), type and outcome (success, error).",
            ("operation", "type", "outcome"),
            registry=r,
        )
        self.operation_duration = Histogram(
            "sfm_graphql_operation_duration_seconds",
            "GraphQL operation duration (parse, validate, execute) by name (capped) and type.",
            ("operation", "type"),
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.query_complexity = Histogram(
            "sfm_query_complexity",
            "Static cost of GraphQL operations, the points spent from the rate-limit budget.",
            ("type",),
            buckets=COST_BUCKETS,
            registry=r,
        )
        self.cypher_queries = Counter(
            "sfm_cypher_queries_total",
            "Cypher statements run, by query file.",
            ("query",),
            registry=r,
        )
        self.cypher_duration = Histogram(
            "sfm_cypher_query_duration_seconds",
            "Cypher statement duration (including retries), by query file.",
            ("query",),
            buckets=CYPHER_BUCKETS,
            registry=r,
        )
        self.write_retries = Counter(
            "sfm_write_retries_total",
            "Write transactions run again after a transient Neo4j error (a deadlock, a leader "
            "switch), by outcome: retried (once per rerun), exhausted (no retry left; the "
            "client got SERVICE_UNAVAILABLE).",
            ("outcome",),
            registry=r,
        )
        for outcome in RETRY_OUTCOMES:
            self.write_retries.labels(outcome=outcome)
        self.graph_reads = Counter(
            "sfm_analysis_graph_reads_total",
            "Analysis graphs the analyses of this API process used, by where each came from: "
            "neo4j (read for it), redis (another process's read), local (the recent graphs of "
            "the process that computed it).",
            ("source",),
            registry=r,
        )
        for source in GRAPH_SOURCES:
            self.graph_reads.labels(source=source)
        self.graph_read_duration = Histogram(
            "sfm_analysis_graph_read_seconds",
            "Time to read an analysis graph from Neo4j (completed reads of source neo4j).",
            buckets=GRAPH_READ_BUCKETS,
            registry=r,
        )
        self.cache_hits = Counter(
            "sfm_cache_hits_total", "Cache lookups that found the entry.", ("cache",), registry=r
        )
        self.cache_misses = Counter(
            "sfm_cache_misses_total", "Cache lookups that did not.", ("cache",), registry=r
        )
        self.graph_nodes = Gauge(
            "sfm_graph_nodes_total",
            "Components in the graph, counted every metrics_refresh_s.",
            registry=r,
            multiprocess_mode="livemostrecent",
        )
        self.graph_deliveries = Gauge(
            "sfm_graph_deliveries_total",
            "Deliveries in the graph, counted every metrics_refresh_s.",
            registry=r,
            multiprocess_mode="livemostrecent",
        )
        self.active_users_gauge = Gauge(
            "sfm_active_users",
            "Distinct authenticated principals seen by the whole service (every worker and "
            "replica, through Redis) in the last metrics_active_users_window_s.",
            registry=r,
            multiprocess_mode="livemostrecent",
        )
        self.memory_usage = Gauge(
            "sfm_memory_usage_bytes",
            "Resident memory (RSS) of the service's worker processes, summed.",
            registry=r,
            multiprocess_mode="livesum",
        )
        self.memory_limit = Gauge(
            "sfm_memory_limit_bytes",
            "The memory the service may use: memory_limit_bytes, else the cgroup limit, else "
            "physical memory.",
            registry=r,
            multiprocess_mode="livemax",
        )
        self.db_connections = Gauge(
            "sfm_db_connections",
            "Neo4j connections of one worker's pool: in_use (statements and transactions "
            "holding or waiting for one) and size (the pool's maximum).",
            ("state",),
            registry=r,
            multiprocess_mode="liveall",
        )
        self.db_connections.labels(state="size").set(pool_size)
        self.db_connections.labels(state="in_use").set(0)
        for cache in CACHES:  # series exist from the start, so rate() sees the first lookup
            self.cache_hits.labels(cache=cache)
            self.cache_misses.labels(cache=cache)

    # -- recording -------------------------------------------------------------------------------

    def observe_request(
        self, *, method: str, route: str, status: int, seconds: float, codes: set[str]
    ) -> None:
        labels = (method if method in METHODS else OTHER, route, status_class(status))
        self.requests.labels(*labels).inc()
        self.request_duration.labels(*labels).observe(seconds)
        if route in PROBE_ROUTES:
            return
        if not codes and status >= 400:
            codes = {HTTP_5XX if status >= 500 else HTTP_4XX}
        for code in {error_code_label(c) for c in codes}:
            self.errors.labels(code=code).inc()
        if status == 429 or ErrorCode.RATE_LIMITED.value in codes:
            self.rate_limited.labels(route=route).inc()

    # `AdmissionObserver` (http/admission.py): refusals, the queue, and the time waited in it.
    def admission_refused(self, reason: str) -> None:
        self.rejected.labels(reason=reason if reason in REJECT_REASONS else OTHER).inc()

    def admission_waiting(self, delta: int) -> None:
        self.admission_queue.inc(delta)

    def admission_waited(self, seconds: float, outcome: str) -> None:
        outcome = outcome if outcome in WAIT_OUTCOMES else OTHER
        self.admission_wait.labels(outcome=outcome).observe(seconds)

    def observe_operation(
        self, *, name: str, kind: str, seconds: float, cost: int, ok: bool
    ) -> None:
        if name not in (ANONYMOUS_OPERATION, INVALID_OPERATION):
            name = self.operation_names(name)
        self.operations.labels(name, kind, "success" if ok else "error").inc()
        self.operation_duration.labels(name, kind).observe(seconds)
        if cost > 0:
            self.query_complexity.labels(type=kind).observe(cost)

    def observe_statement(self, name: str, seconds: float) -> None:
        """`Database` listener: one Cypher statement finished."""
        query = self.query_names(name)
        self.cypher_queries.labels(query=query).inc()
        self.cypher_duration.labels(query=query).observe(seconds)

    def write_retried(self, outcome: str) -> None:
        """`Database` retry listener: a write transaction ran again, or gave up."""
        outcome = outcome if outcome in RETRY_OUTCOMES else OTHER
        self.write_retries.labels(outcome=outcome).inc()

    # `GraphLoadObserver` (services/analytics/graph.py): where an analysis's graph came from.
    def graph_loaded(self, source: str, read_s: float | None) -> None:
        self.graph_reads.labels(source=source if source in GRAPH_SOURCES else OTHER).inc()
        if read_s is not None:
            self.graph_read_duration.observe(read_s)

    def connections_changed(self, delta: int) -> None:
        """`Database` connection listener: a statement or transaction took (+1) or gave back."""
        self.db_connections.labels(state="in_use").inc(delta)

    def observe_cache(self, cache: str, hit: bool) -> None:
        (self.cache_hits if hit else self.cache_misses).labels(cache=cache).inc()

    def auth_failed(self, *, credential: str, reason: str) -> None:
        self.auth_failures.labels(credential=credential, reason=reason).inc()

    async def on_failed_login(self, *, client_ip: str, client_id: str | None, reason: str) -> None:
        """`LoginHooks.failed_login` callback: a client failed at the token endpoint."""
        self.auth_failed(credential="client_secret", reason=login_failure_reason(reason))


# -- reason classes of failed authentications ----------------------------------------------------

AUTH_REASONS = (
    "malformed",
    "invalid",
    "expired",
    "revoked",
    "address_not_allowed",
    "issuer_unavailable",
)


def auth_failure_reason(message: str) -> str:
    """The reason class of an `Unauthenticated` refusal, from its (stable, user-facing) message."""
    text = message.lower()
    if "expired" in text:
        return "expired"
    if "revoked" in text:
        return "revoked"
    if "address" in text:
        return "address_not_allowed"
    if "cannot be reached" in text:
        return "issuer_unavailable"
    if "well-formed" in text or "send credentials" in text or "too long" in text:
        return "malformed"
    return "invalid"


def login_failure_reason(reason: str) -> str:
    """The class of a token-endpoint failure (`unknown client`, `wrong secret`, ...)."""
    if "revoked" in reason:
        return "revoked"
    if "expired" in reason:
        return "expired"
    if "no client credentials" in reason:
        return "malformed"
    return "invalid"
