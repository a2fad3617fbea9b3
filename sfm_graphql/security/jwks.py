"""An external issuer's public keys: its JWKS, found directly or by OIDC discovery, cached.

The key set is fetched when first needed, kept for `cache_ttl_s`, and fetched again early when a
token names a `kid` the cache does not hold (a rotation at the identity provider) — at most once
per `min_refresh_s`, so tokens with made-up kids cannot make the service hammer the provider.
When a fetch fails the cached keys stay in use and the failure is logged.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

log = logging.getLogger(__name__)

MAX_DOCUMENT_BYTES = 512 * 1024
_PUBLIC_KEY_TYPES = {"RSA", "EC", "OKP"}
_PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


class KeysUnavailable(Exception):
    """The issuer's keys could not be fetched and none are cached."""


class BadKeysDocument(ValueError):
    """A discovery or JWKS document that cannot be used."""


def require_secure_url(url: str, what: str) -> None:
    """HTTPS, or plain HTTP to a loopback address (local identity providers and tests)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname:
        if parts.hostname == "localhost":
            return
        try:
            if ipaddress.ip_address(parts.hostname).is_loopback:
                return
        except ValueError:
            pass
    raise ValueError(f"{what} must be an https:// URL (http:// only to loopback): {url!r}")


class RemoteJwks:
    def __init__(
        self,
        *,
        issuer: str,
        jwks_uri: str | None,
        http: httpx.AsyncClient,
        cache_ttl_s: float,
        min_refresh_s: float,
        timeout_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if jwks_uri is None:
            require_secure_url(issuer, "an issuer using OIDC discovery")
        else:
            require_secure_url(jwks_uri, "jwks_uri")
        self.issuer = issuer
        self._jwks_uri = jwks_uri
        self._discover = jwks_uri is None
        self._http = http
        self._cache_ttl_s = cache_ttl_s
        self._min_refresh_s = min_refresh_s
        self._timeout = httpx.Timeout(timeout_s)
        self._clock = clock
        self._keys: KeySet | None = None
        self._kids: frozenset[str | None] = frozenset()
        self._fetched_at = 0.0
        self._attempted_at: float | None = None
        self._lock = asyncio.Lock()
        self.fetches = 0  # how many fetches were attempted (for tests and metrics)

    async def key_set(self, kid: str | None) -> KeySet:
        """The cached keys; fetched first when stale, or when `kid` is unknown (rate-limited)."""
        stale = self._keys is None or self._clock() - self._fetched_at > self._cache_ttl_s
        if stale or (kid is not None and kid not in self._kids):
            await self._refresh()
        if self._keys is None:
            raise KeysUnavailable(f"the keys of {self.issuer} cannot be fetched")
        return self._keys

    async def _refresh(self) -> None:
        requested = self._clock()
        async with self._lock:
            last = self._attempted_at
            if last is not None and (last >= requested or requested - last < self._min_refresh_s):
                return  # fetched while this task waited, or too recently to try again
            self._attempted_at = self._clock()
            self.fetches += 1
            try:
                keys = await self._fetch()
            except (httpx.HTTPError, ValueError, JoseError) as exc:
                log.warning("could not fetch the keys of %s: %s", self.issuer, _describe(exc))
                return
            self._keys = keys
            self._kids = frozenset(k.kid for k in keys)
            self._fetched_at = self._clock()

    async def _fetch(self) -> KeySet:
        if self._discover:
            url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
            metadata = await self._get_json(url)
            # OpenID Connect Discovery 1.0, section 4.3: the document must name this issuer.
            if metadata.get("issuer") != self.issuer:
                raise BadKeysDocument(f"the discovery document at {url} names another issuer")
            jwks_uri = metadata.get("jwks_uri")
            if not isinstance(jwks_uri, str):
                raise BadKeysDocument(f"the discovery document at {url} has no jwks_uri")
            require_secure_url(jwks_uri, "the discovered jwks_uri")
            self._jwks_uri = jwks_uri
        assert self._jwks_uri is not None
        return public_key_set(await self._get_json(self._jwks_uri))

    async def _get_json(self, url: str) -> dict[str, Any]:
        body = bytearray()
        async with self._http.stream(
            "GET", url, timeout=self._timeout, headers={"Accept": "application/json"}
        ) as response:
            response.raise_for_status()
            async for chunk in response.aiter_bytes():
                body.extend(chunk)
                if len(body) > MAX_DOCUMENT_BYTES:
                    raise BadKeysDocument(f"{url} returned more than {MAX_DOCUMENT_BYTES} bytes")
        document = json.loads(body)
        if not isinstance(document, dict):
            raise BadKeysDocument(f"{url} did not return a JSON object")
        return document


def public_key_set(document: dict[str, Any]) -> KeySet:
    """The signature-verification keys of a JWKS document: asymmetric, public, `use` sig.

    A symmetric (`oct`) key is dropped, so no token can be verified with an HMAC whose secret
    is a published value; so is any entry carrying private members.
    """
    entries = document.get("keys")
    if not isinstance(entries, list):
        raise BadKeysDocument("a JWKS document needs a 'keys' list")
    usable = [
        e
        for e in entries
        if isinstance(e, dict)
        and e.get("kty") in _PUBLIC_KEY_TYPES
        and e.get("use", "sig") == "sig"
        and not _PRIVATE_MEMBERS & e.keys()
    ]
    return KeySet.import_key_set({"keys": usable})


def _describe(exc: Exception) -> str:
    if isinstance(exc, httpx.HTTPStatusError):
        return f"HTTP {exc.response.status_code} from {exc.request.url}"
    if isinstance(exc, httpx.HTTPError):
        return (
            f"{type(exc).__name__} for {exc.request.url}"
            if _has_request(exc)
            else type(exc).__name__
        )
    return str(exc) or type(exc).__name__


def _has_request(exc: httpx.HTTPError) -> bool:
    try:
        exc.request  # noqa: B018 (the property raises when the error has no request)
    except RuntimeError:
        return False
    return True
