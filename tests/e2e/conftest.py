"""End-to-end tests run against the real Neo4j and Redis: the service fixtures of tests/services.py."""

from tests.services import (  # noqa: F401  (pytest finds fixtures by their name in a conftest)
    anonymous_client,
    app,
    clean_graph,
    client,
    fresh_redis,
    gql,
    issue_api_key,
    issue_token,
    key_ring,
    keyed_gql,
    live_server_url,
    neo4j_driver,
    settings,
    start_worker,
    statements,
    token_gql,
)
