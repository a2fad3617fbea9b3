"""What each setting of `Settings` does, one short line each, for docs/operations/configuration.md.

Kept beside the model rather than in `Field(description=...)` so that settings.py stays readable;
`settings_reference.render_table` refuses a field without an entry here, so a setting cannot be
added undocumented.
"""

from __future__ import annotations

SETTING_DESCRIPTIONS: dict[str, str] = {
    "environment": "`development`, `test` or `production`; production turns on the strict "
    "defaults (no GraphiQL or introspection, MFA for sensitive operations, no generated secrets).",
    "host": "Address `serve` listens on; outside production only loopback unless "
    "`SFM_ALLOW_NON_PRODUCTION_ON_NETWORK` is set.",
    "port": "TCP port `serve` listens on.",
    "log_level": "Level of every logger: `DEBUG`, `INFO`, `WARNING` or `ERROR`.",
    "graphiql": "Serve GraphiQL on `/graphql`; unset: on except in production.",
    "allow_non_production_on_network": "Let `serve` listen on a non-loopback host outside "
    "production (a network that is yours alone).",
    "workers": "Processes `sfm-graphql serve` runs (`--workers` wins); unset: the CPUs the "
    "process may use. The chart passes `--workers` from its CPU limit.",
    "max_concurrent_requests": "Requests in flight per process; more wait in the admission "
    "queue, and beyond it get 503 `OVERLOADED` at once (probes and `/metrics` excepted); unset: "
    "`SFM_NEO4J_POOL_SIZE`.",
    "admission_queue_size": "Requests per process that may wait (oldest first) for a slot "
    "beyond `SFM_MAX_CONCURRENT_REQUESTS`; one more gets 503 `OVERLOADED` at once; 0: none wait; "
    "unset: the in-flight limit.",
    "admission_wait_s": "How long a request waits in the admission queue for a slot before it "
    "gets 503 `OVERLOADED`; 0: none wait.",
    "overload_retry_after_s": "`Retry-After` seconds sent with 503 `OVERLOADED` (admission "
    "control, and a statement that found every Neo4j connection of the process in use).",
    "request_timeout_s": "Time a request may take before 504 `TIMEOUT`; its Cypher transaction "
    "gets the time left as its timeout, so Neo4j ends it too.",
    "bulk_request_timeout_s": "The request timeout of `bulkImport`, `bulkImportFile` and "
    "`exportGraph`, which may take minutes.",
    "shutdown_drain_s": "After SIGTERM, how long `/readyz` fails while requests are still "
    "served, before new connections are refused.",
    "shutdown_grace_s": "After that, how long requests in flight may take to finish before they "
    "are cancelled (uvicorn's graceful-shutdown timeout).",
    "tracing_enabled": "OpenTelemetry tracing; spans are exported only when "
    "`OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_TRACES_EXPORTER=console`) is set too.",
    "trace_sample_ratio": "Share of new traces sampled, 0 to 1; unset: 0.1 in production, else 1.",
    "trace_include_document": "Put the GraphQL document on the operation span.",
    "sentry_dsn": "Sentry DSN for error reports; needs the `sentry` extra.",
    "health_check_timeout_s": "Time each dependency check of `/readyz` may take.",
    "neo4j_uri": "Bolt URI of Neo4j.",
    "neo4j_user": "Neo4j user name.",
    "neo4j_password": "Neo4j password.",
    "neo4j_database": "Neo4j database the service uses.",
    "neo4j_pool_size": "Largest number of Neo4j connections per process.",
    "neo4j_connect_timeout_s": "Time to open a Neo4j connection (capped by "
    "`SFM_NEO4J_UNAVAILABLE_TIMEOUT_S`).",
    "neo4j_query_timeout_s": "Time one Cypher transaction may run.",
    "neo4j_unavailable_timeout_s": "How long a request waits for an unreachable Neo4j before "
    "`SERVICE_UNAVAILABLE` (503); the driver's acquisition, connect and retry times derive from "
    "it, and for this long after such a failure statements fail at once.",
    "neo4j_unavailable_retry_after_s": "`Retry-After` seconds sent with that 503.",
    "redis_url": "Redis URL (rate limits, APQ, shared caches).",
    "migrate_on_start": "Apply pending schema migrations at start-up; the chart turns it off and "
    "runs a migration job instead.",
    "migration_lock_lease_s": "Lease of the migration lock: the holder renews it every third of "
    "this; a crashed holder's lock is taken over once it has run out.",
    "migration_lock_wait_s": "How long `migrate` (and start-up migration) waits for another run's "
    "migration lock before it fails.",
    "cors_origins": "JSON list of allowed CORS origins; empty: same-origin only.",
    "tls_certfile": "PEM certificate for TLS served by `serve` itself.",
    "tls_keyfile": "PEM private key for that certificate.",
    "require_mfa_for_sensitive": "Sensitive operations need a token showing MFA; unset: on in "
    "production, off elsewhere.",
    "admin_allowed_cidrs": "JSON list of CIDR ranges; fields that need `admin` are refused from "
    "other client addresses; empty: any address.",
    "failed_logins_per_ip": "Failed logins (bad tokens, API keys, client secrets) per client "
    "address (IPv6: per /64) per window before 429.",
    "failed_login_window_s": "Window of `SFM_FAILED_LOGINS_PER_IP`.",
    "trusted_proxies": "Proxies whose forwarded headers are believed, addresses or CIDRs "
    "separated by commas; empty believes none; `*` is refused.",
    "forwarded_header": "Header family the trusted proxies write: `x-forwarded-for` "
    "(with `X-Forwarded-Proto`) or `forwarded` (RFC 7239).",
    "max_concurrent_secret_checks": "Client-secret checks (scrypt, 16 MiB each) at once per "
    "process.",
    "secret_check_wait_s": "How long a token request waits for a secret-check slot before 503.",
    "secrets_backend": "Where signing keys, the API-key pepper and the backup key come from: "
    "`env`, `file` or `vault`.",
    "jwt_signing_keys": '`env` backend: JSON `{"kid": "PEM private key"}`.',
    "jwt_active_kid": "`env` backend: the kid that signs; may be left out with one key.",
    "jwt_retired_kids": '`env` backend: JSON `{"kid": "ISO time"}`, when each old key was retired.',
    "api_key_pepper": "`env` backend: the API-key pepper, at least 32 bytes.",
    "backup_encryption_key": "`env` backend: base64 of 32 bytes, the key of encrypted backups.",
    "secrets_dir": "`file` backend: the directory of mounted secret files.",
    "local_secrets_dir": "Where development secrets are generated when nothing is configured "
    "(never in production).",
    "vault_addr": "`vault` backend: Vault (or OpenBao) address.",
    "vault_token": "`vault` backend: the Vault token, unless Kubernetes auth is used.",
    "vault_kubernetes_role": "`vault` backend: role for Kubernetes auth instead of a token.",
    "vault_kubernetes_mount": "`vault` backend: mount of the Kubernetes auth method.",
    "vault_kubernetes_token_path": "`vault` backend: the service-account token Kubernetes auth "
    "sends.",
    "vault_mount": "`vault` backend: mount of the KV version 2 engine.",
    "vault_path": "`vault` backend: path of the secret in that engine.",
    "vault_timeout_s": "`vault` backend: time one Vault request may take.",
    "vault_ca_cert": "`vault` backend: CA bundle that verifies Vault's certificate.",
    "signing_keys_reload_s": "How often each replica re-reads the signing keys.",
    "auth_issuer": "The built-in issuer, the service's public base URL; empty: "
    "`http://{host}:{port}` (production warns).",
    "auth_audience": "Audience of tokens from the built-in issuer.",
    "oauth_token_ttl_s": "Lifetime of access tokens from the built-in token endpoint.",
    "max_token_ttl_s": "Longest token lifetime accepted; also how long retired keys stay in "
    "the JWKS.",
    "oidc_issuers": "JSON list of trusted external issuers: `issuer`, `audience`, optional "
    "`jwks_uri`, `algorithms`, `roles_claim`.",
    "jwt_clock_skew_s": "Clock skew allowed when checking a token's times.",
    "jwt_roles_claim": "Claim holding the roles, a dotted path such as `realm_access.roles`.",
    "jwt_mfa_amr_values": "JSON list of `amr` values that show MFA.",
    "jwt_mfa_acr_values": "JSON list of `acr` values that show MFA.",
    "jwks_cache_ttl_s": "How long a fetched JWKS is kept.",
    "jwks_min_refresh_s": "Least time between two refetches of a JWKS for an unknown kid.",
    "jwks_fetch_timeout_s": "Time a JWKS or discovery fetch may take.",
    "token_cache_entries": (
        "Verified bearer tokens each process remembers until they expire, as long as their "
        "key is still published; 0 verifies every request in full."
    ),
    "api_key_max_ttl_days": "Longest lifetime of an API key.",
    "api_key_cache_ttl_s": "How long replicas share a verified API key.",
    "audit_retention_days": "Audit events older than this are deleted by "
    "`sfm-graphql audit-prune`.",
    "audit_refusal_window_s": "Window for audit events of refused mutations: one per caller and "
    "code, the rest counted into the next.",
    "audit_refusals_per_window": "Most refused-mutation audit events per window in all.",
    "personal_data_role": "Least role that reads an Actor's personal metadata; lower roles read "
    "`[MASKED]`.",
    "personal_fields": "JSON list of keys masked in audit details and logs: `a.b` is key b "
    "under a, `b` is key b anywhere.",
    "max_query_depth": "Deepest selection nesting of an operation.",
    "max_aliases": "Most aliases in an operation.",
    "max_root_fields": "Most root fields in an operation.",
    "max_tokens": "Most lexical tokens in a document.",
    "max_document_bytes": "Largest GraphQL document.",
    "max_cost_by_role": "JSON map role → largest static cost of one operation.",
    "rate_limit_window_s": "Window of the cost-based rate limit.",
    "rate_limit_points_by_role": "JSON map role → cost points per principal (per address when "
    "anonymous) per window.",
    "introspection": "Allow introspection; unset: on except in production.",
    "introspection_for_admin": "Allow introspection for admins even where it is off.",
    "persisted_queries_only": "Run only operations of the persisted-query allow-list.",
    "apq_ttl_s": "How long an automatic persisted query stays stored.",
    "apq_max_bytes": "Largest document APQ stores.",
    "apq_store_cost": "Cost points one APQ store takes from the caller's budget.",
    "apq_stores_per_window": "Most APQ stores per caller per rate-limit window.",
    "default_page_size": "Page size when a connection's `first` is left out.",
    "max_page_size": "Largest `first` of a connection.",
    "max_neighborhood_depth": "Deepest `neighborhood` traversal.",
    "max_neighborhood_nodes": "Most nodes one `neighborhood` returns.",
    "max_nodes_per_request": "Most ids one by-ids lookup or analysis takes.",
    "max_bulk_rows": "Most rows in one `bulkImport` or `bulkImportFile` call (`sfm-graphql "
    "import FILE` streams a file of any length).",
    "analysis_max_nodes": "Most components in one analysis graph held in memory; a larger scope "
    "is refused with `ANALYSIS_TOO_LARGE`.",
    "analysis_max_edges": "Most component pairs (edges) in one analysis graph held in memory.",
    "analysis_cache_ttl_s": "How long an analysis result stays in the Redis cache; a write "
    "makes it unreachable at once (the key holds the graph revision).",
    "analysis_job_timeout_s": "Longest time one analysis job runs before its worker stops it.",
    "analysis_job_heartbeat_s": "How often a worker renews a running job's heartbeat; a job "
    "without one for this long is retried or failed by the next sweep.",
    "analysis_job_retries": "Attempts an analysis job gets when its worker dies (1: no retry).",
    "analysis_job_ttl_s": "How long a finished job and its result stay readable.",
    "analysis_worker_concurrency": "Jobs one `sfm-graphql worker` process runs at once.",
    "analysis_worker_grace_s": "On SIGTERM, how long a worker lets running jobs finish.",
    "analysis_processes": "Processes beside each API process that compute the analyses its "
    "requests miss in the cache, so their CPU never pauses the API's event loop; 0 computes "
    "them in the API process. Jobs always compute in `sfm-graphql worker`.",
    "analysis_graph_ttl_s": "How long the analysis graph read last for a scope stays in Redis "
    "for the other processes and replicas (a newer read replaces it at once).",
    "analysis_nice": "CPU priority (nice, 0 to 19) of those processes: requests go first.",
    "analysis_timeout_s": "Longest time one analysis statement runs in Neo4j before it is "
    "cancelled (`ANALYSIS_TOO_LARGE`); a traversal (paths, reach, loops, removal) stops with "
    "the same error when its loading and computing together take longer.",
    "analysis_max_top": "Largest `top` / `limit` of a global analysis (centrality, "
    "communities, connectedComponents, vulnerability); a larger one is refused.",
    "analysis_max_members": "Most members one community or component group lists; "
    "`membersTruncated` says when a group has more.",
    "analysis_betweenness_exact_max_nodes": "Largest analysis graph whose betweenness is exact; "
    "a larger one is estimated from `analysis_betweenness_pivots` sources.",
    "analysis_betweenness_pivots": "Source nodes (drawn with a fixed seed) that estimate the "
    "betweenness of a graph above `analysis_betweenness_exact_max_nodes`.",
    "analysis_max_path_length": "Largest `maxLength` of `paths`, `feedbackLoops` and "
    "`leveragePoints` (hops; a larger one is refused with `BAD_USER_INPUT`), and the most hops "
    "of a `shortestPath` (a longer one is refused with `ANALYSIS_TOO_LARGE`).",
    "analysis_max_results": "Largest `limit` of `paths`, `feedbackLoops` and `leveragePoints`, "
    "and the most components `reach`, `policyImpact` and `simulateRemoval` list (`truncated` "
    "beyond).",
    "analysis_max_loops_counted": "Most loops `leveragePoints` counts before it stops and says "
    "`truncated`.",
    "bulk_batch_size": "Rows per statement (`UNWIND` batch) of a bulk import, whose batches "
    "all run in one transaction; also the rows `sfm-graphql import` reads and checks at a time.",
    "max_request_bytes": "Largest HTTP request body of any kind.",
    "max_json_body_bytes": "Largest JSON body of an authenticated caller on `/graphql`.",
    "max_anonymous_body_bytes": "Largest body of an anonymous caller on `/graphql`.",
    "max_json_depth": "Deepest JSON nesting of a request body.",
    "max_json_elements": "Most JSON elements in a request body.",
    "max_anonymous_json_elements": "Most JSON elements in an anonymous caller's body.",
    "max_bulk_json_body_bytes": "Largest JSON body of a caller who may `bulkImport`.",
    "max_bulk_json_elements": "Most JSON elements in such a body.",
    "body_timeout_s": "Time a request body may take to arrive.",
    "max_concurrent_uploads": "Multipart requests at once per principal and process.",
    "max_upload_bytes": "Largest file `bulkImportFile` accepts.",
    "max_export_deliveries": "Most deliveries one `exportGraph` returns (`sfm-graphql export` "
    "streams page by page, without this limit).",
    "max_exports_per_request": "Most `exportGraph` fields in one operation.",
    "max_matrix_components": "Most components of one matrix.",
    "max_matrix_deliveries": "Most deliveries one matrix is built from.",
    "max_comparison_rows": "Largest `limit` of a scenario comparison.",
    "metrics_enabled": "Serve Prometheus metrics on `/metrics`.",
    "metrics_token": "Bearer token `/metrics` requires, at least 32 characters.",
    "metrics_token_file": "File holding that token, instead of `SFM_METRICS_TOKEN`.",
    "metrics_refresh_s": "How often graph size, active users and memory are refreshed; 0: never.",
    "metrics_max_operation_names": "Distinct operation names labelled; later names read `other`.",
    "metrics_active_users_window_s": "Window of the active-users gauge.",
    "memory_limit_bytes": "Memory limit the memory gauges compare with; unset: the cgroup "
    "limit, else RAM.",
}
