"""Turn a request's credentials into a `Principal`.

`Authorization: Bearer <jwt>` goes to the token verifier; an API key (`X-API-Key: <key>`, or a
bearer value with the API-key prefix) goes to the key verifier. No credentials means anonymous,
which every field refuses; credentials that do not verify are refused here, as UNAUTHENTICATED.
"""

from __future__ import annotations

from typing import Protocol

from starlette.requests import HTTPConnection

from sfm_graphql.errors import Unauthenticated
from sfm_graphql.security.addresses import UNKNOWN_CLIENT, canonical
from sfm_graphql.security.principal import ANONYMOUS, Principal

API_KEY_PREFIX = "sfmk_"
MAX_CREDENTIAL_LENGTH = 8192


class CredentialVerifier(Protocol):
    async def verify(self, credential: str, *, client_ip: str) -> Principal:
        """The principal behind `credential`; raises `Unauthenticated` when it does not verify."""
        ...


def client_ip(connection: HTTPConnection) -> str:
    """The client's address: the one every limit, allow-list and log line uses.

    `http.proxy.ProxyHeaders` has already put the address a trusted proxy reports in the scope
    (`trusted_proxies`); from any other peer it is the connection's own address.
    """
    return canonical(connection.client.host) if connection.client else UNKNOWN_CLIENT


async def authenticate(
    request: HTTPConnection,
    *,
    tokens: CredentialVerifier | None,
    api_keys: CredentialVerifier | None,
) -> Principal:
    return await authenticate_credentials(
        request.headers.get("authorization"),
        request.headers.get("x-api-key"),
        client_ip(request),
        tokens=tokens,
        api_keys=api_keys,
    )


async def authenticate_credentials(
    header: str | None,
    api_key: str | None,
    ip: str,
    *,
    tokens: CredentialVerifier | None,
    api_keys: CredentialVerifier | None,
) -> Principal:
    """The principal of an `Authorization` value and/or an API key (HTTP headers, or the
    `connection_init` payload of a WebSocket)."""
    if header is None and api_key is None:
        return ANONYMOUS
    if api_key is not None:
        return await _verify(api_keys, api_key, ip, "API keys")
    assert header is not None
    scheme, _, credential = header.strip().partition(" ")
    credential = credential.strip()
    if scheme.lower() != "bearer" or not credential:
        raise Unauthenticated("Send credentials as 'Authorization: Bearer <token>' or 'X-API-Key'")
    if credential.startswith(API_KEY_PREFIX):
        return await _verify(api_keys, credential, ip, "API keys")
    return await _verify(tokens, credential, ip, "tokens")


def presented_jwt(header: str | None, api_key: str | None) -> str | None:
    """The bearer JWT `authenticate_credentials` would verify for these values, else None (an
    API key, another scheme, nothing, a credential too long)."""
    if api_key is not None or header is None:
        return None
    scheme, _, credential = header.strip().partition(" ")
    credential = credential.strip()
    if scheme.lower() != "bearer" or not credential or credential.startswith(API_KEY_PREFIX):
        return None
    return credential if len(credential) <= MAX_CREDENTIAL_LENGTH else None


async def _verify(
    verifier: CredentialVerifier | None, credential: str, ip: str, what: str
) -> Principal:
    if len(credential) > MAX_CREDENTIAL_LENGTH:
        raise Unauthenticated("The credential is too long")
    if verifier is None:
        raise Unauthenticated(f"This service does not accept {what}")
    return await verifier.verify(credential, client_ip=ip)
