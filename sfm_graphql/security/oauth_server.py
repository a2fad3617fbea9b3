"""The built-in authorization server's mechanics: Authlib's `AuthorizationServer` with the
`client_credentials` grant and `client_secret_basic` / `client_secret_post` client
authentication, adapted to Starlette requests (the routes are http/oauth.py).

Authlib has no Starlette integration and calls its hooks synchronously, so the route reads the
form, looks the client up in Neo4j first (async), then runs Authlib in a worker thread (the
scrypt check is CPU work) with a `TokenServer` made for that one request.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Mapping
from typing import Any, ClassVar

from authlib.oauth2.rfc6749 import (  # type: ignore[import-untyped]  # Authlib is untyped
    AuthorizationServer,
    ClientCredentialsGrant,
    OAuth2Payload,
    OAuth2Request,
)
from authlib.oauth2.rfc6749.errors import (  # type: ignore[import-untyped]  # Authlib is untyped
    InvalidClientError,
)
from starlette.requests import Request

from sfm_graphql.security.signing import KeyRing
from sfm_graphql.services.access.oauth_clients import (
    AUTH_METHODS,
    GRANT_TYPE,
    OAuthClientRecord,
)

log = logging.getLogger(__name__)

MAX_FORM_BYTES = 8 * 1024
FORM_TYPE = "application/x-www-form-urlencoded"


# -- Authlib adapter -----------------------------------------------------------------------------


class _FormPayload(OAuth2Payload):  # type: ignore[misc]  # Authlib's classes are untyped
    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = dict(values)

    @property
    def data(self) -> dict[str, str]:
        return self._values

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return defaultdict(list, {k: [v] for k, v in self._values.items()})


class StarletteOAuth2Request(OAuth2Request):  # type: ignore[misc]  # subclassing Authlib's untyped class
    """A Starlette request as Authlib sees it. Authlib refuses plain HTTP except to loopback
    (`InsecureTransportError`); behind a trusted TLS proxy `http.proxy.ProxyHeaders` has set the
    scheme it reports (`SFM_TRUSTED_PROXIES`)."""

    def __init__(self, request: Request, form: Mapping[str, str]) -> None:
        super().__init__(request.method, str(request.url), headers=request.headers)
        self.payload = _FormPayload(form)
        self._form = dict(form)
        self._query = dict(request.query_params)

    @property
    def form(self) -> dict[str, str]:
        return self._form

    @property
    def args(self) -> dict[str, str]:
        return self._query


class _ClientCredentials(ClientCredentialsGrant):  # type: ignore[misc]  # subclassing Authlib's untyped class
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = list(AUTH_METHODS)


class TokenServer(AuthorizationServer):  # type: ignore[misc]  # subclassing Authlib's untyped class
    """Authlib's server for one token request: it knows the clients looked up beforehand."""

    def __init__(
        self,
        *,
        clients: Mapping[str, OAuthClientRecord | None],
        ring: KeyRing,
        audience: str,
        ttl: dt.timedelta,
    ) -> None:
        super().__init__()
        self._clients = clients
        self._ring = ring
        self._audience = audience
        self._ttl = ttl
        self.issued_to: OAuthClientRecord | None = None
        self.issued_jti = ""
        self.register_grant(_ClientCredentials)
        self.register_token_generator(GRANT_TYPE, self._generate)

    def query_client(self, client_id: str) -> OAuthClientRecord | None:
        return self._clients.get(client_id)

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        return None  # self-contained JWTs: nothing to store

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None

    def create_oauth2_request(self, request: StarletteOAuth2Request) -> StarletteOAuth2Request:
        return request

    def handle_response(
        self, status: int, body: dict[str, Any], headers: list[tuple[str, str]]
    ) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        return status, body, headers

    def handle_error_response(self, request: Any, error: Any) -> Any:
        if isinstance(error, InvalidClientError):
            # RFC 6749 5.2 allows 401 always; one message for every cause, so the answer does
            # not tell an unknown client from a wrong secret.
            error.status_code = 401
            error.description = "Client authentication failed"
        return super().handle_error_response(request, error)

    def _generate(self, *, client: OAuthClientRecord, **_: Any) -> dict[str, Any]:
        token = self._ring.issue_token(
            client.client_id,
            client.roles,
            ttl=self._ttl,
            audience=self._audience,
            client_id=client.client_id,
        )
        self.issued_to = client
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": int(self._ttl.total_seconds()),
        }
