"""One settings object for everything configurable: environment variables prefixed `SFM_`.

Secrets are `SecretStr`, so they never print. A plain `NEO4J_URI` (and `NEO4J_USER`,
`NEO4J_PASSWORD`) in the environment wins over the prefixed name, so the test suite and the
service run against any Neo4j an operator points them at.
"""

from __future__ import annotations

from functools import cached_property
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SFM_", extra="ignore", frozen=True)

    environment: Literal["development", "test", "production"] = "development"
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    log_level: str = "INFO"
    graphiql: bool = True

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
    neo4j_connect_timeout_s: float = Field(5.0, gt=0)
    neo4j_query_timeout_s: float = Field(30.0, gt=0)

    redis_url: str = "redis://127.0.0.1:6379/0"
    migrate_on_start: bool = True

    # API keys and the audit log (docs/security.md, "API keys" and "Audit log").
    api_key_max_ttl_days: int = Field(90, ge=1, le=3650)
    api_key_cache_ttl_s: int = Field(30, ge=1, le=300)  # how long replicas share a verified key
    audit_retention_days: int = Field(365, ge=1)  # `sfm-graphql audit-prune` deletes older events
    # Masked in every audit detail and log line: `a.b` is key b under a, `b` is key b anywhere.
    personal_fields: tuple[str, ...] = (
        "email", "phone", "metadata.name", "metadata.address", "metadata.birthDate",
    )

    # Limits on what one request may ask for.
    default_page_size: int = Field(20, ge=1)
    max_page_size: int = Field(100, ge=1)
    max_neighborhood_depth: int = Field(4, ge=1, le=10)
    max_neighborhood_nodes: int = Field(2000, ge=1)
    max_nodes_per_request: int = Field(500, ge=1)
    max_bulk_rows: int = Field(50_000, ge=1)
    bulk_batch_size: int = Field(2_000, ge=1)
    max_request_bytes: int = Field(20 * 1024 * 1024, ge=1024)
    max_export_deliveries: int = Field(200_000, ge=1)
    max_matrix_components: int = Field(200, ge=1, le=2000)
    max_matrix_deliveries: int = Field(20_000, ge=1)
    max_comparison_rows: int = Field(1000, ge=1)

    @cached_property
    def is_production(self) -> bool:
        return self.environment == "production"


def load_settings() -> Settings:
    """Read the settings from the environment (once, at start-up)."""
    return Settings()
