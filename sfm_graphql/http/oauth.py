"""The built-in authorization server's routes: `POST /oauth/token` for machine clients, the JWKS
and minimal discovery metadata (the Authlib adapter is security/oauth_server.py).

Failed client authentication is 401 `invalid_client` and is reported to `LoginHooks`, where the
failed-login rate limit and the audit log listen.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from authlib.oauth2.rfc6749.errors import (  # type: ignore[import-untyped]  # Authlib is untyped
    InsecureTransportError,
)
from authlib.oauth2.rfc6749.util import (  # type: ignore[import-untyped]  # Authlib is untyped
    extract_basic_authorization,
)
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sfm_graphql.errors import ServiceUnavailable
from sfm_graphql.http.app_services import AppServices, require_services
from sfm_graphql.security.authenticate import client_ip
from sfm_graphql.security.oauth_server import StarletteOAuth2Request, TokenServer
from sfm_graphql.security.principal import Principal, Role
from sfm_graphql.security.secret_checks import RETRY_AFTER_S, SecretChecksBusy
from sfm_graphql.services.access.oauth_clients import (
    AUTH_METHODS,
    GRANT_TYPE,
    OAuthClientRecord,
    get_client,
)

log = logging.getLogger(__name__)

MAX_FORM_BYTES = 8 * 1024
FORM_TYPE = "application/x-www-form-urlencoded"


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
    services: AppServices,
    server: TokenServer,
    oauth_request: StarletteOAuth2Request,
    clients: Mapping[str, OAuthClientRecord | None],
) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
    """Authlib's answer, run in a worker thread; a known client's secret check takes a slot."""
    checks = services.secret_checks
    if not any(record is not None for record in clients.values()):
        # No stored hash to check (unknown, revoked or no client): no scrypt runs.
        return await run_in_threadpool(server.create_token_response, oauth_request)
    async with checks.slot():
        return await run_in_threadpool(server.create_token_response, oauth_request)


async def token_endpoint(request: Request) -> Response:
    state = require_services(request.app)
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
    server = TokenServer(
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
    ring = await require_services(request.app).signing_keys.current()
    return JSONResponse(ring.jwks(), headers={"Cache-Control": "public, max-age=300"})


async def openid_configuration(request: Request) -> Response:
    """Enough metadata for a client or a resource server to find the token endpoint and keys."""
    issuer = require_services(request.app).settings.auth_issuer_url
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
