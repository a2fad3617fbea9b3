"""The built-in authorization server: `POST /oauth/token` for machine clients, the JWKS and
minimal discovery metadata.

The token endpoint is Authlib's `AuthorizationServer` with the `client_credentials` grant and
`client_secret_basic` / `client_secret_post` client authentication. Authlib has no Starlette
integration and calls its hooks synchronously, so the thin adapter here reads the form, looks
the client up in Neo4j first (async), then runs Authlib in a worker thread (the scrypt check is
CPU work) with a server object made for that one request.

Failed client authentication is 401 `invalid_client` and is reported to `LoginHooks`, where the
failed-login rate limit and the audit log listen.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import defaultdict
from collections.abc import Mapping
from typing import Any, ClassVar, Protocol
from urllib.parse import parse_qsl

from authlib.oauth2.rfc6749 import (  # type: ignore[import-untyped]  # Authlib is untyped
    AuthorizationServer,
    ClientCredentialsGrant,
    OAuth2Payload,
    OAuth2Request,
)
from authlib.oauth2.rfc6749.errors import (  # type: ignore[import-untyped]
    InsecureTransportError,
    InvalidClientError,
)
from authlib.oauth2.rfc6749.util import (  # type: ignore[import-untyped]
    extract_basic_authorization,
)
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sfm_graphql.errors import ServiceUnavailable
from sfm_graphql.security.authenticate import client_ip
from sfm_graphql.security.oauth_clients import (
    AUTH_METHODS,
    GRANT_TYPE,
    OAuthClientRecord,
    get_client,
)
from sfm_graphql.security.principal import Principal, Role
from sfm_graphql.security.secret_checks import RETRY_AFTER_S, SecretChecks, SecretChecksBusy
from sfm_graphql.security.signing import KeyRing

log = logging.getLogger(__name__)

MAX_FORM_BYTES = 8 * 1024
FORM_TYPE = "application/x-www-form-urlencoded"


# -- where logins are reported -----------------------------------------------------------------


class FailedLoginHook(Protocol):
    async def __call__(self, *, client_ip: str, client_id: str | None, reason: str) -> None: ...


class TokenIssuedHook(Protocol):
    async def __call__(self, *, principal: Principal, client_ip: str) -> None: ...


class LoginHooks:
    """The one place logins at the token endpoint are reported: `app.state.login_hooks`.

    Append async callbacks to `failed_login` (rate limits, audit) or `token_issued` (audit);
    none are registered by default. A failing callback is logged and does not change the
    response.
    """

    def __init__(self) -> None:
        self.failed_login: list[FailedLoginHook] = []
        self.token_issued: list[TokenIssuedHook] = []

    async def on_failed_login(self, *, client_ip: str, client_id: str | None, reason: str) -> None:
        for hook in self.failed_login:
            try:
                await hook(client_ip=client_ip, client_id=client_id, reason=reason)
            except Exception:
                log.exception("a failed-login hook raised")

    async def on_token_issued(self, *, principal: Principal, client_ip: str) -> None:
        for hook in self.token_issued:
            try:
                await hook(principal=principal, client_ip=client_ip)
            except Exception:
                log.exception("a token-issued hook raised")


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


class StarletteOAuth2Request(OAuth2Request):  # type: ignore[misc]
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


class _ClientCredentials(ClientCredentialsGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS: ClassVar[list[str]] = list(AUTH_METHODS)


class _TokenServer(AuthorizationServer):  # type: ignore[misc]
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


# -- routes ----------------------------------------------------------------------------------


def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse(
        {"error": error, "error_description": description},
        status_code=status,
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )


async def _read_form(request: Request) -> dict[str, str] | JSONResponse:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != FORM_TYPE:
        return _oauth_error(400, "invalid_request", f"Send the token request as {FORM_TYPE}")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_FORM_BYTES:
            return _oauth_error(400, "invalid_request", "The token request is too large")
    try:
        pairs = parse_qsl(body.decode(), keep_blank_values=True, max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        return _oauth_error(400, "invalid_request", "The token request is not a valid form")
    form = dict(pairs)
    if len(form) != len(pairs):  # RFC 6749 3.2: parameters must not be repeated
        return _oauth_error(400, "invalid_request", "A parameter is repeated")
    return form


def _failure_reason(clients: Mapping[str, OAuthClientRecord | None], found: dict[str, str]) -> str:
    if not clients:
        return "no client credentials"
    reasons = [found.get(cid, "wrong secret") for cid in clients]
    return ", ".join(sorted(set(reasons)))


async def _create_token_response(
    state: Any,
    server: _TokenServer,
    oauth_request: StarletteOAuth2Request,
    clients: Mapping[str, OAuthClientRecord | None],
) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
    """Authlib's answer, run in a worker thread; a known client's secret check takes a slot."""
    checks: SecretChecks | None = getattr(state, "secret_checks", None)
    if checks is None or not any(record is not None for record in clients.values()):
        # No stored hash to check (unknown, revoked or no client): no scrypt runs.
        return await run_in_threadpool(server.create_token_response, oauth_request)
    async with checks.slot():
        return await run_in_threadpool(server.create_token_response, oauth_request)


async def token_endpoint(request: Request) -> Response:
    state = request.app.state
    settings = state.settings
    ip = client_ip(request)
    form = await _read_form(request)
    if isinstance(form, JSONResponse):
        return form
    basic_id, _ = extract_basic_authorization(request.headers)
    wanted = [
        c for c in dict.fromkeys((basic_id, form.get("client_id"))) if isinstance(c, str) and c
    ]
    now = dt.datetime.now(dt.UTC)
    clients: dict[str, OAuthClientRecord | None] = {}
    refused: dict[str, str] = {}
    for cid in wanted:
        try:
            record = await get_client(db=state.db, client_id=cid)
        except ServiceUnavailable as exc:  # Neo4j unreachable: fail fast, the client retries
            response = _oauth_error(503, "temporarily_unavailable", exc.message)
            response.headers["Retry-After"] = str(exc.details.get("retryAfter", RETRY_AFTER_S))
            return response
        if record is None:
            refused[cid] = "unknown client"
        elif record.revoked_at is not None:
            refused[cid] = "revoked client"
        elif not record.is_active(now):
            refused[cid] = "expired client"
        clients[cid] = record if cid not in refused else None
    try:
        oauth_request = StarletteOAuth2Request(request, form)
    except InsecureTransportError:
        return _oauth_error(400, "invalid_request", "The token endpoint is served over HTTPS only")
    server = _TokenServer(
        clients=clients,
        ring=await state.signing_keys.current(),
        audience=settings.auth_audience,
        ttl=dt.timedelta(seconds=settings.oauth_token_ttl_s),
    )
    try:
        status, body, headers = await _create_token_response(state, server, oauth_request, clients)
    except SecretChecksBusy:
        log.warning("token request from %s refused: every client-secret check slot is busy", ip)
        response = _oauth_error(
            503, "temporarily_unavailable", "Too many token requests at once; retry shortly"
        )
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
        return response
    client = server.issued_to
    if status == 200 and client is not None:
        principal = Principal(
            subject=client.client_id,
            roles=Role.parse_many(client.roles),
            kind="client",
            issuer=settings.auth_issuer_url,
        )
        await state.login_hooks.on_token_issued(principal=principal, client_ip=ip)
    elif body.get("error") == "invalid_client":
        reason = _failure_reason(clients, refused)
        shown = ",".join(wanted) or "-"
        log.info("client authentication failed: %s client_id=%s ip=%s", reason, shown, ip)
        client_id = wanted[0] if wanted else None
        await state.login_hooks.on_failed_login(client_ip=ip, client_id=client_id, reason=reason)
    return Response(json.dumps(body), status_code=status, headers=dict(headers))


async def jwks_endpoint(request: Request) -> Response:
    ring: KeyRing = await request.app.state.signing_keys.current()
    return JSONResponse(ring.jwks(), headers={"Cache-Control": "public, max-age=300"})


async def openid_configuration(request: Request) -> Response:
    """Enough metadata for a client or a resource server to find the token endpoint and keys."""
    issuer: str = request.app.state.settings.auth_issuer_url
    base = issuer.rstrip("/")
    return JSONResponse(
        {
            "issuer": issuer,
            "jwks_uri": f"{base}/.well-known/jwks.json",
            "token_endpoint": f"{base}/oauth/token",
            "grant_types_supported": [GRANT_TYPE],
            "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
            "claims_supported": ["iss", "sub", "aud", "exp", "nbf", "iat", "jti", "roles"],
        },
        headers={"Cache-Control": "public, max-age=300"},
    )


def oauth_routes() -> list[Route]:
    """The token endpoint, the JWKS and the discovery document, for the app's route list."""
    # Authlib logs each issued token at DEBUG; tokens are never logged here.
    logging.getLogger("authlib.oauth2.rfc6749.grants.client_credentials").setLevel(logging.INFO)
    return [
        Route("/oauth/token", token_endpoint, methods=["POST"]),
        Route("/.well-known/jwks.json", jwks_endpoint, methods=["GET"]),
        Route("/.well-known/openid-configuration", openid_configuration, methods=["GET"]),
    ]
