"""Failed logins: counted per client address, audited, and refused once too many.

Every refused credential — a bearer token or API key the view could not verify, a client that
failed authentication at `/oauth/token` — spends one point of its address's failed-login budget
(`failed_logins_per_ip` per `failed_login_window_s`, in the shared `RateLimiter`) and is recorded
with `record_failed_login`. Once the budget is spent, `http.login_gate` answers further attempts
from that address with 429 before any credential is looked at, valid or not, until the window
frees points again. A token issued at `/oauth/token` is recorded with `record_login`.

The count is taken before the credential is verified, atomically (`reserve`): every attempt
spends a point up front (the limiter's hit refuses once the budget is spent, in one Redis script),
so a burst of concurrent guesses cannot all pass a check made before any of them is counted. An
attempt that turns out not to be a failure gets its point back: with the request's cost spend,
in the same Redis round trip, once its credential has verified (`gate_hit`, called by
`graphql.limits`), else when the request ends (`release`); a failure keeps it. At most
`failed_logins_per_ip` attempts of one address are therefore being verified or counted as failed
at any moment.

A bearer token this process verified before (`JwtVerifier.remembers`) is no guess: its attempt
is *deferred* (`defer`) rather than reserved. Nothing is counted; the address's budget is only
checked — with the cost spend, in the same round trip, the spend not applied when the check
refuses (`gate_hit`, `gate_refused`), or, for a request that never spends, when its response
starts (`check`). A spent budget refuses it as it refuses every other attempt, with the same
429. Should the token fail after all (its key left the ring meanwhile), the failure spends a
point of its own.

A success does not reset the count: otherwise an attacker holding any valid credential could
interleave it with guesses. IPv6 addresses are counted per /64, which one subscriber usually holds
whole.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from starlette.requests import Request

from sfm_graphql.db.database import Database
from sfm_graphql.errors import Unauthenticated
from sfm_graphql.security.addresses import subscriber_bucket
from sfm_graphql.security.authenticate import API_KEY_PREFIX, client_ip
from sfm_graphql.security.principal import Principal
from sfm_graphql.security.rate_limit import Budget, Hit, RateLimiter
from sfm_graphql.services.access import audit
from sfm_graphql.services.access.api_keys import parse_key

log = logging.getLogger(__name__)

CLIENT_CREDENTIALS = "client_credentials"


@dataclass(slots=True)
class Attempt:
    """One login attempt: a reserved failed-login point, kept when the attempt fails and
    refunded otherwise; or, deferred, a check of the address's budget that counts nothing."""

    key: str
    budget: Budget | None  # the reservation's; None while a deferred attempt is unchecked
    settle: Hit  # a reservation's refund, or a deferred attempt's check
    deferred: bool = False
    failed: bool = False
    settled: bool = False  # refunded, or checked

    @property
    def allowed(self) -> bool:
        return self.budget is None or self.budget.allowed

    @property
    def open(self) -> bool:
        """Not refused, not counted as failed, and neither refunded nor checked yet."""
        return self.allowed and not self.failed and not self.settled


# The attempt of the request being served: the gate sets it, `LoginGuard.failed` consumes it, so
# a failure reported by the view or the token endpoint is not counted twice.
_current_attempt: contextvars.ContextVar[Attempt | None] = contextvars.ContextVar(
    "sfm_login_attempt", default=None
)


def gate_hit() -> Hit | None:
    """What the request's attempt sends with its cost spend (first, in the same round trip).

    Called where the cost is spent, which is after the credential verified (a request whose
    credential fails never gets there): a reserved attempt is no failure, so its refund goes
    with the spend and not again when the request ends; a deferred attempt's check goes with
    it, and when it refuses, the spend is not applied (`gate_refused`). None without either.
    """
    attempt = _current_attempt.get()
    if attempt is None or not attempt.open:
        return None
    attempt.settled = True
    return attempt.settle


def gate_refused(budget: Budget) -> bool:
    """Note what the check `gate_hit` sent found: whether the gate refuses the request."""
    attempt = _current_attempt.get()
    if attempt is None or not attempt.deferred:
        return False
    attempt.budget = budget
    return not budget.allowed


def refused_by_gate() -> bool:
    """Whether the gate refuses the request being served (a deferred check found the budget
    spent): the gate answers it, so it is neither an operation refusal nor audited as one."""
    attempt = _current_attempt.get()
    return attempt is not None and not attempt.allowed


def address_key(ip: str) -> str:
    """The rate-limit key of a client address (IPv6 per /64)."""
    return f"failed-login:{subscriber_bucket(ip)}"


def presented_credential(request: Request) -> tuple[str, str | None]:
    """(method, claimed subject) of the credential a request carries, for the audit log.

    The subject is an API key's id when the key is well-formed; never the credential itself.
    """
    credential = request.headers.get("x-api-key")
    if credential is None:
        scheme, _, credential = (request.headers.get("authorization") or "").strip().partition(" ")
        credential = credential.strip()
        if scheme.lower() != "bearer":
            return "unsupported", None
    if not credential.startswith(API_KEY_PREFIX):
        return "bearer", None
    try:
        key_id, _ = parse_key(credential)
    except Unauthenticated:
        return "api_key", None
    return "api_key", key_id


class LoginGuard:
    """Failed-login budgets per client address and the login audit: `AppServices.login_guard`."""

    def __init__(
        self,
        *,
        limiter: RateLimiter,
        db: Database,
        limit: int,
        personal_fields: Sequence[str],
    ) -> None:
        self._limiter = limiter
        self._db = db
        self._limit = limit
        self._personal_fields = tuple(personal_fields)

    async def reserve(self, ip: str) -> Attempt:
        """Count one attempt of `ip` before verifying it; `allowed` is False once over the limit."""
        key = address_key(ip)
        budget = await self._limiter.spend(key, points=self._limit, cost=1)
        return Attempt(key, budget, self._limiter.hit(key, points=self._limit, cost=-1))

    def defer(self, ip: str) -> Attempt:
        """An attempt with a credential known to verify: checked later, never counted."""
        key = address_key(ip)
        check = self._limiter.hit(key, points=self._limit, cost=1, check=True)
        return Attempt(key, None, check, deferred=True)

    async def check(self, attempt: Attempt) -> None:
        """Check a deferred attempt that no cost spend checked: `allowed` says the outcome."""
        if attempt.deferred and attempt.open:
            attempt.settled = True
            [attempt.budget] = await self._limiter.apply([attempt.settle])

    async def release(self, attempt: Attempt) -> None:
        """The request of `attempt` ended: refund its point unless it failed, was refused or was
        refunded already (with the cost spend); a deferred attempt holds no point."""
        if attempt.open and not attempt.deferred:
            await self._limiter.refund(attempt.key, points=self._limit, cost=1)

    @staticmethod
    def current(attempt: Attempt | None) -> contextvars.Token[Attempt | None]:
        """Make `attempt` the one a failure of the request being served consumes."""
        return _current_attempt.set(attempt)

    @staticmethod
    def forget(token: contextvars.Token[Attempt | None]) -> None:
        _current_attempt.reset(token)

    async def _count_failure(self, client_ip: str) -> Budget:
        key = address_key(client_ip)
        attempt = _current_attempt.get()
        if attempt is not None and attempt.key == key and attempt.open:
            attempt.failed = True
            if attempt.budget is not None:  # its point, spent before verification, stays spent
                return attempt.budget
        return await self._limiter.spend(key, points=self._limit, cost=1)

    async def failed(
        self,
        *,
        client_ip: str,
        method: str,
        reason: str,
        subject: str | None = None,
        request_id: str | None = None,
    ) -> None:
        """Count one failed attempt from `client_ip` and audit it."""
        budget = await self._count_failure(client_ip)
        if budget.remaining <= 0:
            log.warning(
                "client %s reached the failed-login limit (%d); further attempts are refused "
                "until the window frees points",
                client_ip,
                self._limit,
            )
        await audit.record_failed_login(
            db=self._db,
            client_ip=client_ip,
            method=method,
            reason=reason,
            subject=subject,
            request_id=request_id,
            personal_fields=self._personal_fields,
        )

    async def refused_request(
        self, request: Request, exc: Unauthenticated, *, request_id: str | None
    ) -> None:
        """A credential presented to the GraphQL view did not verify."""
        method, subject = presented_credential(request)
        await self.failed(
            client_ip=client_ip(request),
            method=method,
            reason=exc.message,
            subject=subject,
            request_id=request_id,
        )

    # -- LoginHooks callbacks of the token endpoint (http/oauth.py) -------------------

    async def on_failed_login(self, *, client_ip: str, client_id: str | None, reason: str) -> None:
        await self.failed(
            client_ip=client_ip, method=CLIENT_CREDENTIALS, reason=reason, subject=client_id
        )

    async def on_token_issued(self, *, principal: Principal, client_ip: str) -> None:
        await audit.record_login(
            db=self._db,
            principal=principal,
            client_ip=client_ip,
            method=CLIENT_CREDENTIALS,
            personal_fields=self._personal_fields,
        )
