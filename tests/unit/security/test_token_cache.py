"""The per-token cache of verified bearer tokens: it saves the work, never a refusal.

Each test tries to get a token accepted from the cache that the full check would refuse: after
its expiry, after its key left the key ring, with a changed signature or payload, or with the
key ring reloaded with other keys.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest

from sfm_graphql.security.signing import KeyRingStore
from sfm_graphql.security.token_cache import CachedToken, TokenCache
from sfm_graphql.security.tokens import JwtVerifier
from tests.unit.security.test_tokens import (
    AUDIENCE,
    FakeClock,
    MemorySecrets,
    ec_keys,
    material,
    refused,
    store_of,
    verifier_for,
)

__all__ = ["ec_keys"]  # the key fixture of test_tokens.py, used here too


class CountingStore:
    """A KeySource that counts how often the verifier asks for the keys."""

    def __init__(self, store: KeyRingStore) -> None:
        self.store = store
        self.calls = 0

    async def key_set(self, kid: str | None) -> Any:
        self.calls += 1
        return await self.store.key_set(kid)


@pytest.fixture
async def parts(ec_keys: dict[str, str]) -> tuple[MemorySecrets, KeyRingStore, FakeClock]:
    provider = MemorySecrets(material({"k1": ec_keys["k1"]}, "k1"))
    return provider, await store_of(provider), FakeClock()


def cached_verifier(store: Any, clock: FakeClock, entries: int = 100) -> JwtVerifier:
    clock.now = time.time()
    return verifier_for(store, clock=clock, cache_entries=entries)


def token_of(store: KeyRingStore, minutes: int = 5, subject: str = "svc") -> str:
    return store.ring.issue_token(
        subject, ["editor"], ttl=dt.timedelta(minutes=minutes), audience=AUDIENCE
    )


async def test_a_second_request_with_the_same_token_skips_the_signature_check(
    parts: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, store, clock = parts
    verifier = cached_verifier(store, clock)
    token = token_of(store)
    first = await verifier.verify(token, client_ip="x")
    from sfm_graphql.security import tokens

    def no_decode(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the signature was checked again")

    monkeypatch.setattr(tokens.jwt, "decode", no_decode)
    assert await verifier.verify(token, client_ip="x") is first


async def test_an_expired_token_is_refused_although_it_was_cached(parts: Any) -> None:
    _, store, clock = parts
    verifier = cached_verifier(store, clock)
    token = token_of(store, minutes=1)
    await verifier.verify(token, client_ip="x")
    clock.advance(60 + 31)  # past exp and the clock-skew leeway
    assert await refused(verifier, token) == "The token has expired"


async def test_past_exp_the_full_check_decides_with_its_leeway(parts: Any) -> None:
    _, store, clock = parts
    verifier = cached_verifier(store, clock)
    token = token_of(store, minutes=1)
    await verifier.verify(token, client_ip="x")
    clock.advance(60 + 5)  # past exp, within the leeway: the full check still accepts
    assert (await verifier.verify(token, client_ip="x")).subject == "svc"


async def test_a_token_whose_key_left_the_ring_is_refused_although_it_was_cached(
    parts: Any, ec_keys: dict[str, str]
) -> None:
    provider, store, clock = parts
    verifier = cached_verifier(store, clock)
    token = token_of(store)
    await verifier.verify(token, client_ip="x")
    provider.material = material({"k2": ec_keys["k2"]}, "k2")  # k1 removed: compromised
    await store.load()
    assert await refused(verifier, token) == "The token was signed with an unknown key"


async def test_a_reloaded_ring_sends_cached_tokens_through_the_full_check_again(
    parts: Any, ec_keys: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    provider, store, clock = parts
    verifier = cached_verifier(store, clock)
    token = token_of(store)
    await verifier.verify(token, client_ip="x")
    # The same kid now names another key: the cached verification no longer counts.
    provider.material = material({"k1": ec_keys["k2"]}, "k1")
    await store.load()
    assert await refused(verifier, token) == "The token's signature is invalid"


async def test_a_changed_signature_or_payload_is_never_served_from_the_cache(parts: Any) -> None:
    _, store, clock = parts
    verifier = cached_verifier(store, clock)
    token = token_of(store)
    await verifier.verify(token, client_ip="x")
    header, payload, signature = token.split(".")
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    assert await refused(verifier, f"{header}.{payload}.{flipped}") in {
        "The token's signature is invalid",
        "The bearer token is not a well-formed JWT",
    }
    other = token_of(store, subject="intruder")
    forged = f"{header}.{other.split('.')[1]}.{signature}"
    assert await refused(verifier, forged) == "The token's signature is invalid"


async def test_every_cached_request_still_asks_the_issuer_for_its_keys(parts: Any) -> None:
    _, store, clock = parts
    counting = CountingStore(store)
    verifier = cached_verifier(counting, clock)
    token = token_of(store)
    for _ in range(3):
        await verifier.verify(token, client_ip="x")
    assert counting.calls == 3


async def test_zero_entries_verifies_every_request_in_full(
    parts: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, store, clock = parts
    verifier = cached_verifier(store, clock, entries=0)
    token = token_of(store)
    await verifier.verify(token, client_ip="x")
    from sfm_graphql.security import tokens

    calls = []
    original = tokens.jwt.decode
    monkeypatch.setattr(tokens.jwt, "decode", lambda *a, **k: calls.append(1) or original(*a, **k))
    await verifier.verify(token, client_ip="x")
    assert calls == [1]


def test_the_cache_is_bounded_and_evicts_the_least_recently_used() -> None:
    cache = TokenCache(2)
    entry = lambda n: CachedToken(None, "i", None, None, 10.0 + n)  # type: ignore[arg-type]  # noqa: E731
    a, b, c = (TokenCache.digest(t) for t in ("a", "b", "c"))
    cache.put(a, entry(1))
    cache.put(b, entry(2))
    assert cache.get(a, 0.0) is not None  # a is now the most recent
    cache.put(c, entry(3))
    assert len(cache) == 2
    assert cache.get(b, 0.0) is None
    assert cache.get(a, 0.0) is not None
    assert cache.get(c, 13.0) is None, "an entry is dropped at its expiry"


def test_the_cache_holds_digests_not_tokens() -> None:
    cache = TokenCache(4)
    cache.put(TokenCache.digest("secret.token.value"), CachedToken(None, "i", None, None, 1.0))  # type: ignore[arg-type]
    assert all(len(k) == 32 for k in cache._entries)
