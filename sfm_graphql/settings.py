"""One settings object for everything configurable: environment variables prefixed `SFM_`.

Secrets are `SecretStr`, so they never print. A plain `NEO4J_URI` (and `NEO4J_USER`,
`NEO4J_PASSWORD`) in the environment wins over the prefixed name, so the test suite and the
service run against any Neo4j an operator points them at.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from sfm_graphql.security.addresses import parse_networks


class OidcIssuer(BaseModel):
    """A trusted token issuer; `SFM_OIDC_ISSUERS` holds a JSON list of these."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    issuer: str = Field(min_length=1)
    audience: tuple[str, ...] = Field(min_length=1)
    # Without jwks_uri, OIDC discovery: {issuer}/.well-known/openid-configuration names it.
    jwks_uri: str | None = None
    algorithms: tuple[Literal["RS256", "ES256", "EdDSA"], ...] = Field(("RS256",), min_length=1)
    roles_claim: str | None = None  # default: jwt_roles_claim

    @field_validator("audience", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return (value,) if isinstance(value, str) else value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SFM_", extra="ignore", frozen=True)

    environment: Literal["development", "test", "production"] = "development"
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    log_level: str = "INFO"
    graphiql: bool | None = None  # default: on except in production
    # `serve` refuses a non-loopback host outside production unless this is set (docs/security.md)
    allow_non_production_on_network: bool = False
    # Processes `serve` runs; default: the CPUs this process may use (docs/deployment.md).
    workers: int | None = Field(None, ge=1, le=64)

    # Overload and shutdown (docs/operations/troubleshooting.md, "Overload, timeouts and
    # shutdown"). Requests in flight per process beyond which a request gets 503 OVERLOADED at
    # once; default: neo4j_pool_size, so no admitted request waits for a pooled connection.
    max_concurrent_requests: int | None = Field(None, ge=1, le=10_000)
    # Beyond the limit up to admission_queue_size more requests wait (oldest first) up to
    # admission_wait_s for a slot before they get the same 503; beyond in flight + queue the
    # 503 comes at once. Default queue: the in-flight limit. Either at 0: no waiting at all.
    admission_queue_size: int | None = Field(None, ge=0, le=10_000)
    admission_wait_s: float = Field(1.0, ge=0, le=60)
    overload_retry_after_s: int = Field(1, ge=1, le=300)
    # Time a request may take before it is answered 504 TIMEOUT; its Cypher transaction gets
    # what is left of it as its timeout, so Neo4j ends the transaction with the request.
    request_timeout_s: float = Field(60.0, gt=0, le=3600)
    # The same for bulkImport, bulkImportFile and exportGraph, which may take minutes.
    bulk_request_timeout_s: float = Field(300.0, gt=0, le=3600)
    # SIGTERM: /readyz fails at once and requests are still served for shutdown_drain_s (the
    # load balancer stops sending), then new connections are refused and requests in flight
    # get up to shutdown_grace_s to finish before they are cancelled.
    shutdown_drain_s: float = Field(0.0, ge=0, le=300)
    shutdown_grace_s: int = Field(60, ge=0, le=3600)

    # Observability (docs/observability.md). Traces are exported only when OTEL_EXPORTER_OTLP_
    # ENDPOINT (or OTEL_TRACES_EXPORTER=console) is set as well; otherwise tracing costs nothing.
    tracing_enabled: bool = True
    trace_sample_ratio: float | None = Field(None, ge=0, le=1)  # default: 0.1 in production, else 1
    trace_include_document: bool = False  # the GraphQL document on the operation span
    sentry_dsn: SecretStr | None = None  # needs the `sentry` extra (sentry-sdk)
    health_check_timeout_s: float = Field(2.0, gt=0, le=30)  # per dependency, in /readyz

    neo4j_uri: str = Field(
        "bolt://127.0.0.1:7687", validation_alias=AliasChoices("NEO4J_URI", "SFM_NEO4J_URI")
    )
    neo4j_user: str = Field(
        "neo4j", validation_alias=AliasChoices("NEO4J_USER", "NEO4J_USERNAME", "SFM_NEO4J_USER")
    )
    neo4j_password: SecretStr = Field(
        SecretStr(""), validation_alias=AliasChoices("NEO4J_PASSWORD", "SFM_NEO4J_PASSWORD")
    )
    neo4j_database: str = "neo4j"
    neo4j_pool_size: int = Field(50, ge=1, le=1000)
    neo4j_connect_timeout_s: float = Field(5.0, gt=0)  # capped by neo4j_unavailable_timeout_s
    neo4j_query_timeout_s: float = Field(30.0, gt=0)
    # Fail fast when Neo4j is gone (docs/observability.md, "When Neo4j is unreachable"): a
    # request waits at most about this long for an unreachable Neo4j before it is answered
    # SERVICE_UNAVAILABLE (HTTP 503); the driver's acquisition, connect and retry times derive
    # from it. For this long after such a failure, statements fail at once (`Retry-After`).
    neo4j_unavailable_timeout_s: float = Field(5.0, gt=0, le=120)
    neo4j_unavailable_retry_after_s: int = Field(2, ge=1, le=300)

    redis_url: str = "redis://127.0.0.1:6379/0"
    migrate_on_start: bool = True
    # The lease lock that makes concurrent `migrate` runs take turns (docs/operations/upgrade.md):
    # a holder that stops renewing (crashed) keeps it this long; a run waits this long for it.
    migration_lock_lease_s: float = Field(60.0, ge=1, le=3600)
    migration_lock_wait_s: float = Field(300.0, ge=0, le=86400)

    # Security: see docs/security.md.
    cors_origins: tuple[str, ...] = ()
    tls_certfile: str | None = None
    tls_keyfile: str | None = None
    # Sensitive operations (schema fields marked sensitive) need a token showing MFA; default:
    # on in production, off elsewhere (docs/security.md, Authorization).
    require_mfa_for_sensitive: bool | None = None
    admin_allowed_cidrs: tuple[str, ...] = ()
    # Failed logins (bad tokens, API keys, client secrets) per client address (IPv6: per /64)
    # per window; then the address gets 429 until points free up (docs/security.md).
    failed_logins_per_ip: int = Field(100, ge=1)
    failed_login_window_s: int = Field(3600, ge=1)
    # Behind a proxy (docs/deployment.md): the peers whose forwarded headers are believed, as
    # addresses or CIDRs (SFM_TRUSTED_PROXIES=10.0.0.0/8,fd00::/8); empty believes none. Which
    # header family they write: X-Forwarded-For/-Proto, or RFC 7239 Forwarded; never both.
    trusted_proxies: Annotated[tuple[str, ...], NoDecode] = ()
    forwarded_header: Literal["x-forwarded-for", "forwarded"] = "x-forwarded-for"
    # Client-secret checks (scrypt, 16 MiB each) running at once per process; a token request
    # that waits longer than secret_check_wait_s for a slot gets 503 (docs/security.md).
    max_concurrent_secret_checks: int = Field(4, ge=1, le=64)
    secret_check_wait_s: float = Field(1.0, ge=0, le=30)

    # Identity: secrets, signing keys and trusted token issuers (docs/security.md, Identity).
    secrets_backend: Literal["env", "file", "vault"] = "env"
    jwt_signing_keys: SecretStr | None = None  # env backend: JSON {"kid": "PEM private key"}
    jwt_active_kid: str | None = None
    jwt_retired_kids: dict[str, dt.datetime] = Field(default_factory=dict)  # kid: retired at
    api_key_pepper: SecretStr | None = None
    backup_encryption_key: SecretStr | None = None  # base64 of 32 bytes (docs/operations/)
    secrets_dir: Path = Path("/var/run/secrets/sfm-graphql")  # file backend
    local_secrets_dir: Path = Path(".local/secrets")  # generated when nothing is configured
    vault_addr: str = "http://127.0.0.1:8200"
    vault_token: SecretStr | None = None
    vault_kubernetes_role: str | None = None  # Kubernetes auth instead of a token
    vault_kubernetes_mount: str = "kubernetes"
    vault_kubernetes_token_path: Path = Path("/var/run/secrets/kubernetes.io/serviceaccount/token")
    vault_mount: str = "secret"  # a KV version 2 engine
    vault_path: str = "sfm-graphql"
    vault_timeout_s: float = Field(5.0, gt=0)
    vault_ca_cert: Path | None = None
    signing_keys_reload_s: float = Field(300.0, ge=1)
    auth_issuer: str = ""  # the built-in issuer; default http://{host}:{port}
    auth_audience: str = "sfm-graphql"
    oauth_token_ttl_s: int = Field(900, ge=60)
    max_token_ttl_s: int = Field(12 * 3600, ge=60)  # also how long retired keys stay published
    oidc_issuers: tuple[OidcIssuer, ...] = ()
    jwt_clock_skew_s: int = Field(30, ge=0, le=300)
    jwt_roles_claim: str = "roles"  # a dotted path, e.g. realm_access.roles
    jwt_mfa_amr_values: tuple[str, ...] = ("mfa",)
    jwt_mfa_acr_values: tuple[str, ...] = ()
    jwks_cache_ttl_s: int = Field(600, ge=10)
    jwks_min_refresh_s: float = Field(30.0, ge=0)
    jwks_fetch_timeout_s: float = Field(5.0, gt=0)
    # Verified bearer tokens kept per process until they expire (security/token_cache.py).
    token_cache_entries: int = Field(10_000, ge=0, le=1_000_000)

    # API keys and the audit log (docs/security.md, "API keys" and "Audit log").
    api_key_max_ttl_days: int = Field(90, ge=1, le=3650)
    api_key_cache_ttl_s: int = Field(30, ge=1, le=300)  # how long replicas share a verified key
    audit_retention_days: int = Field(365, ge=1)  # `sfm-graphql audit-prune` deletes older events
    # Mutations refused before execution: one event per caller and code per window, the rest
    # counted into the next one; at most audit_refusals_per_window such events in all.
    audit_refusal_window_s: int = Field(60, ge=1)
    audit_refusals_per_window: int = Field(1000, ge=1)
    # Reads an Actor's personal metadata fields; lower roles read "[MASKED]" (personal_data.py).
    personal_data_role: Literal["viewer", "analyst", "editor", "data_manager", "admin"] = (
        "data_manager"
    )
    # Masked in every audit detail and log line: `a.b` is key b under a, `b` is key b anywhere.
    personal_fields: tuple[str, ...] = (
        "email",
        "phone",
        "metadata.name",
        "metadata.address",
        "metadata.birthDate",
    )

    # Operation limits, checked before execution (see docs/security.md).
    max_query_depth: int = Field(15, ge=1)
    max_aliases: int = Field(30, ge=0)
    max_root_fields: int = Field(10, ge=1)
    max_tokens: int = Field(5000, ge=10)
    max_document_bytes: int = Field(50_000, ge=100)
    max_cost_by_role: dict[str, int] = Field(
        default_factory=lambda: {
            "anonymous": 100,
            "viewer": 50_000,
            "analyst": 100_000,
            "editor": 100_000,
            "data_manager": 250_000,
            "admin": 250_000,
        }
    )
    # Cost points per principal (per client address when anonymous) per window.
    rate_limit_window_s: int = Field(3600, ge=1)
    rate_limit_points_by_role: dict[str, int] = Field(
        default_factory=lambda: {
            "anonymous": 2_000,
            "viewer": 2_000_000,
            "analyst": 2_000_000,
            "editor": 2_000_000,
            "data_manager": 5_000_000,
            "admin": 5_000_000,
        }
    )
    introspection: bool | None = None  # default: on except in production
    introspection_for_admin: bool = True
    persisted_queries_only: bool = False
    apq_ttl_s: int = Field(7 * 24 * 3600, ge=60)
    # APQ stores: only accepted operations of authenticated callers, each at most this long,
    # costing points of the caller's budget and at most so many per window (docs/security.md).
    apq_max_bytes: int = Field(20_000, ge=100)
    apq_store_cost: int = Field(100, ge=0)
    apq_stores_per_window: int = Field(100, ge=1)

    # Limits on what one request may ask for.
    default_page_size: int = Field(20, ge=1)
    max_page_size: int = Field(100, ge=1)
    max_neighborhood_depth: int = Field(4, ge=1, le=10)
    max_neighborhood_nodes: int = Field(2000, ge=1)
    max_nodes_per_request: int = Field(500, ge=1)
    max_bulk_rows: int = Field(50_000, ge=1)
    bulk_batch_size: int = Field(2_000, ge=1)
    max_request_bytes: int = Field(20 * 1024 * 1024, ge=1024)
    # /graphql bodies (docs/security.md, "Request bodies"): JSON of authenticated callers, any
    # body of anonymous ones, JSON nesting and elements, the time a body may take to arrive.
    max_json_body_bytes: int = Field(1024 * 1024, ge=1024)
    max_anonymous_body_bytes: int = Field(64 * 1024, ge=1024)
    max_json_depth: int = Field(32, ge=2)
    max_json_elements: int = Field(100_000, ge=10)
    max_anonymous_json_elements: int = Field(1_000, ge=10)
    # Callers who may bulkImport (data_manager and above) send up to max_bulk_rows in JSON.
    max_bulk_json_body_bytes: int = Field(20 * 1024 * 1024, ge=1024)
    max_bulk_json_elements: int = Field(2_000_000, ge=10)
    body_timeout_s: float = Field(30.0, gt=0)
    max_concurrent_uploads: int = Field(2, ge=1)  # multipart requests per principal and process
    # bulkImportFile: the largest file accepted (the whole request stays under max_request_bytes).
    max_upload_bytes: int = Field(10 * 1024 * 1024, ge=1024)
    max_export_deliveries: int = Field(200_000, ge=1)
    max_exports_per_request: int = Field(1, ge=0)  # exportGraph fields in one operation
    max_matrix_components: int = Field(200, ge=1, le=2000)
    max_matrix_deliveries: int = Field(20_000, ge=1)
    max_comparison_rows: int = Field(1000, ge=1)

    # Analytics (docs/analytics.md): the largest analysis graph held in memory, and the time
    # one analysis statement may run in Neo4j before it is cancelled (ANALYSIS_TOO_LARGE).
    analysis_max_nodes: int = Field(100_000, ge=10)
    analysis_max_edges: int = Field(2_000_000, ge=10)
    analysis_timeout_s: float = Field(30.0, gt=0)
    # Where a request's analysis computes: processes of each API process, at this CPU priority
    # (services/analytics/processes.py); 0 processes: in the API process's threads.
    analysis_processes: int = Field(1, ge=0, le=16)
    analysis_nice: int = Field(10, ge=0, le=19)
    analysis_graph_ttl_s: float = Field(300.0, ge=1)  # an analysis graph shared in Redis
    # Analysis jobs (startAnalysis; `sfm-graphql worker`): how long one may run, how often its
    # worker proves it is alive, how often a failed one is tried, how long results are kept.
    analysis_cache_ttl_s: float = Field(3600.0, ge=1)  # a cached result's lifetime in Redis
    analysis_job_timeout_s: float = Field(3600.0, ge=1)
    analysis_job_heartbeat_s: float = Field(10.0, ge=1)
    analysis_job_retries: int = Field(1, ge=1, le=10)
    analysis_job_ttl_s: float = Field(24 * 3600.0, ge=60)
    analysis_worker_concurrency: int = Field(2, ge=1, le=64)
    analysis_worker_grace_s: float = Field(30.0, ge=0)
    # The global algorithms (centrality, communities, components, vulnerability): how long a
    # ranked list may be, how many members a group lists, and where betweenness starts sampling.
    analysis_max_top: int = Field(1000, ge=1, le=10_000)
    analysis_max_members: int = Field(100, ge=1, le=10_000)
    analysis_betweenness_exact_max_nodes: int = Field(5_000, ge=3)
    analysis_betweenness_pivots: int = Field(256, ge=1)
    # Traversals (docs/analytics.md): the longest path or loop enumerated (and shortest path
    # returned), the most paths, loops or components one answer lists, and the most loops
    # leveragePoints counts.
    analysis_max_path_length: int = Field(12, ge=1, le=50)
    analysis_max_results: int = Field(1000, ge=1, le=100_000)
    analysis_max_loops_counted: int = Field(100_000, ge=1)

    # Prometheus metrics on /metrics (docs/observability.md, Metrics).
    metrics_enabled: bool = True
    # The scrape credential, sent as `Authorization: Bearer <token>`; or read from a file.
    metrics_token: SecretStr | None = None
    metrics_token_file: Path | None = None
    metrics_refresh_s: float = Field(30.0, ge=0)  # graph size, active users, memory; 0: never
    metrics_max_operation_names: int = Field(100, ge=1, le=10_000)  # later names read `other`
    metrics_active_users_window_s: int = Field(900, ge=60)
    memory_limit_bytes: int | None = Field(None, ge=1)  # default: the cgroup limit, else RAM

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part for part in value.replace(" ", ",").split(",") if part]
        if isinstance(value, list | tuple):
            if "*" in value:
                raise ValueError(
                    "'*' would let every client choose its own address; list the proxies' "
                    "addresses or networks"
                )
            return tuple(str(n) for n in parse_networks(str(v) for v in value))
        return value

    @field_validator("metrics_token")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters")
        return value

    # Plain properties, not cached ones: `model_copy(update=...)` copies a cached value, so a
    # copy made with environment=production would still read as development.
    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def auth_issuer_url(self) -> str:
        return self.auth_issuer or f"http://{self.host}:{self.port}"

    @property
    def graphiql_enabled(self) -> bool:
        return self.graphiql if self.graphiql is not None else not self.is_production

    @property
    def introspection_enabled(self) -> bool:
        return self.introspection if self.introspection is not None else not self.is_production

    @property
    def mfa_required_for_sensitive(self) -> bool:
        if self.require_mfa_for_sensitive is not None:
            return self.require_mfa_for_sensitive
        return self.is_production

    @property
    def concurrency_limit(self) -> int:
        """Requests in flight per process before 503 OVERLOADED."""
        return self.max_concurrent_requests or self.neo4j_pool_size

    @property
    def admission_queue_limit(self) -> int:
        """Requests that may wait for a slot beyond the in-flight limit (0: none wait)."""
        if self.admission_wait_s <= 0:
            return 0
        if self.admission_queue_size is not None:
            return self.admission_queue_size
        return self.concurrency_limit

    @property
    def trace_ratio(self) -> float:
        """The sampling ratio of new traces: `trace_sample_ratio`, else 0.1 in production."""
        if self.trace_sample_ratio is not None:
            return self.trace_sample_ratio
        return 0.1 if self.is_production else 1.0


def load_settings() -> Settings:
    """Read the settings from the environment (once, at start-up)."""
    return Settings()
