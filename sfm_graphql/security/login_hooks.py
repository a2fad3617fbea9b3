"""Where logins at the token endpoint are reported (http/oauth.py): the failed-login rate limit,
the metrics and the audit log listen."""

from __future__ import annotations

import logging
from typing import Protocol

from sfm_graphql.security.principal import Principal

log = logging.getLogger(__name__)


class FailedLoginHook(Protocol):
    async def __call__(self, *, client_ip: str, client_id: str | None, reason: str) -> None: ...


class TokenIssuedHook(Protocol):
    async def __call__(self, *, principal: Principal, client_ip: str) -> None: ...


class LoginHooks:
    """The one place logins at the token endpoint are reported: `AppServices.login_hooks`.

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
