"""Verified bearer tokens, remembered per token until the token expires (a bounded LRU).

A bearer JWT is verified in full once (signature, algorithm, issuer, audience, times). Later
requests with the very same token string take the principal from here, while:

- the token has not expired (`exp`, without the clock-skew leeway: past it, the full check
  decides and refuses),
- and the issuer still publishes the very key object that verified it: a key retired past its
  grace period, removed from the key ring or from the issuer's JWKS, or any reload of the keys,
  sends the token through the full check again.

Tokens are keyed by their SHA-256, so the cache holds no bearer credential. API keys never come
here: they are revocable at any moment and have their own shared cache (api_key_cache.py).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass

from joserfc.jwk import Key

from sfm_graphql.security.principal import Principal


@dataclass(frozen=True, slots=True)
class CachedToken:
    principal: Principal
    issuer: str
    kid: str | None
    key: Key  # the key object that verified the signature
    expires_at: float  # the token's `exp`


class TokenCache:
    def __init__(self, max_entries: int) -> None:
        self._max = max_entries
        self._entries: OrderedDict[bytes, CachedToken] = OrderedDict()

    @staticmethod
    def digest(credential: str) -> bytes:
        return hashlib.sha256(credential.encode()).digest()

    def get(self, digest: bytes, now: float) -> CachedToken | None:
        entry = self._entries.get(digest)
        if entry is None:
            return None
        if now >= entry.expires_at:
            del self._entries[digest]
            return None
        self._entries.move_to_end(digest)
        return entry

    def holds(self, digest: bytes, now: float) -> bool:
        """Whether an unexpired entry is there (read only: no LRU move, no eviction)."""
        entry = self._entries.get(digest)
        return entry is not None and now < entry.expires_at

    def put(self, digest: bytes, entry: CachedToken) -> None:
        if self._max <= 0:
            return
        self._entries[digest] = entry
        self._entries.move_to_end(digest)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def discard(self, digest: bytes) -> None:
        self._entries.pop(digest, None)

    def __len__(self) -> int:
        return len(self._entries)
