"""Opening and closing the identity pieces in the app's lifespan.

`Identity` holds the `SecretsProvider` (`await identity.secrets.api_key_pepper()` gives the
API-key pepper), the `KeyRingStore` of the built-in authorization server and the `JwtVerifier`
the GraphQL view authenticates bearer tokens with.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sfm_graphql.security.secret_provider import SecretsProvider
from sfm_graphql.security.secrets import create_secrets_provider
from sfm_graphql.security.signing import KeyRingStore
from sfm_graphql.security.tokens import JwtVerifier
from sfm_graphql.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Identity:
    secrets: SecretsProvider
    signing_keys: KeyRingStore
    token_verifier: JwtVerifier


async def start_identity(settings: Settings) -> Identity:
    """Read the signing keys (failing the start-up when there are none) and build the verifier."""
    if settings.is_production and not settings.auth_issuer:
        log.warning(
            "SFM_AUTH_ISSUER is not set: tokens name %s as their issuer; set it to the "
            "service's public URL",
            settings.auth_issuer_url,
        )
    provider = create_secrets_provider(settings)
    try:
        signing_keys = await KeyRingStore.open(provider, settings)
        verifier = JwtVerifier.from_settings(settings, builtin_keys=signing_keys)
    except BaseException:
        await provider.aclose()
        raise
    return Identity(provider, signing_keys, verifier)


async def stop_identity(identity: Identity) -> None:
    await identity.token_verifier.aclose()
    await identity.secrets.aclose()
