"""`/metrics`: the Prometheus text exposition, for the holder of the scrape credential only.

Prometheus sends `Authorization: Bearer <token>` (`authorization.credentials_file` in its scrape
config); the token is `SFM_METRICS_TOKEN`, or read from `SFM_METRICS_TOKEN_FILE` at start-up.
No other credential is accepted, not even an admin's: the scraper needs no role in the API, and
an API credential is never needed in the scraper's configuration. With no token configured
every scrape is refused. Metrics name operations, queries and failure counts, nothing personal,
but they describe the service to whoever reads them; hence the credential.
"""

from __future__ import annotations

import hmac

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sfm_graphql.errors import ErrorCode
from sfm_graphql.http.responses import error_response
from sfm_graphql.observability.metrics_refresh import rss_bytes
from sfm_graphql.observability.metrics_scrape import HitRateWindow, exposition
from sfm_graphql.observability.metrics_setup import MetricsSetup


def metrics_routes(setup: MetricsSetup) -> list[Route]:
    """`/metrics`, when metrics are on."""
    if not setup.enabled:
        return []
    return [Route("/metrics", ScrapeEndpoint(setup).handle, methods=["GET"])]


class ScrapeEndpoint:
    def __init__(self, setup: MetricsSetup) -> None:
        self._setup = setup
        self._metrics = setup.metrics
        self._hit_rate = HitRateWindow()

    async def handle(self, request: Request) -> Response:
        token = self._setup.scrape_token  # read in the lifespan (MetricsSetup.start)
        scheme, _, credential = request.headers.get("authorization", "").strip().partition(" ")
        credential = credential.strip()
        if token is None or scheme.lower() != "bearer" or not credential:
            return _refused(
                "Send the scrape credential as 'Authorization: Bearer <token>'"
                if token is not None
                else "Metrics need a scrape credential: set SFM_METRICS_TOKEN"
            )
        if not hmac.compare_digest(credential.encode(), token):
            self._metrics.auth_failed(credential="metrics_token", reason="invalid")
            return _refused("The scrape credential is not valid")
        self._metrics.memory_usage.set(rss_bytes())  # this worker's, fresh; others' are timed
        return Response(
            exposition(self._metrics, self._hit_rate),
            media_type=CONTENT_TYPE_LATEST,
            headers={"Cache-Control": "no-store"},
        )


def _refused(message: str) -> Response:
    return error_response(
        401, ErrorCode.UNAUTHENTICATED, message, {"WWW-Authenticate": 'Bearer realm="metrics"'}
    )
