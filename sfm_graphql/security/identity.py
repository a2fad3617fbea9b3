"""Opening and closing the identity pieces in the app's lifespan.

Sets on `app.state`: `secrets` (the `SecretsProvider`; `await app.state.secrets.api_key_pepper()`
gives the API-key pepper), `signing_keys` (the `KeyRingStore` of the built-in authorization
server) and `token_verifier` (the `JwtVerifier` the GraphQL view authenticates bearer tokens
with). `login_hooks` is set by the app factory, before the lifespan, so callbacks can be added
at any time.
"""

from __future__ import annotations

import logging

from starlette.applications import Starlette

from sfm_graphql.security.secrets import create_secrets_provider
from sfm_graphql.security.signing import KeyRingStore
from sfm_graphql.security.tokens import JwtVerifier
from sfm_graphql.settings import Settings

log = logging.getLogger(__name__)


async def start_identity(app: Starlette, settings: Settings) -> None:
    """Read the signing keys (failing the start-up when there are none) and build the verifier."""
    if settings.is_production and not settings.auth_issuer:
        log.warning(
            "SFM_AUTH_ISSUER is not set: tokens name %s as their issuer; set it to the "
            "service's public URL",
            settings.auth_issuer_url,
        )
    provider = create_secrets_provider(settings)
    app.state.secrets = provider
    try:
        app.state.signing_keys = await KeyRingStore.open(provider, settings)
        app.state.token_verifier = JwtVerifier.from_settings(
            settings, builtin_keys=app.state.signing_keys
        )
    except BaseException:
        await provider.aclose()
        raise


async def stop_identity(app: Starlette) -> None:
    verifier: JwtVerifier | None = getattr(app.state, "token_verifier", None)
    if verifier is not None:
        await verifier.aclose()
    provider = getattr(app.state, "secrets", None)
    if provider is not None:
        await provider.aclose()
