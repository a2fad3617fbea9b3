"""Every route the service answers: this folder owns them all (docs/architecture.md)."""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from sfm_graphql.http.graphiql import GRAPHIQL_STATIC_DIR
from sfm_graphql.http.health import healthz, readyz, startupz
from sfm_graphql.http.metrics import metrics_routes
from sfm_graphql.http.oauth import oauth_routes
from sfm_graphql.http.view import GraphQLView
from sfm_graphql.observability.metrics_setup import MetricsSetup


def routes(view: GraphQLView, metrics: MetricsSetup) -> list[BaseRoute]:
    return [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/startupz", startupz),
        Route("/graphql", view),
        WebSocketRoute("/graphql", view),  # subscriptions (graphql-transport-ws)
        *metrics_routes(metrics),  # /metrics, for the scrape credential only
        *oauth_routes(),  # /oauth/token, /.well-known/jwks.json, /.well-known/openid-configuration
        Mount("/static/graphiql", StaticFiles(directory=GRAPHIQL_STATIC_DIR), name="graphiql"),
    ]
