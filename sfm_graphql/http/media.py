"""Content negotiation for `/graphql` (GraphQL over HTTP, docs/api.md "HTTP").

A client that accepts `application/graphql-response+json` gets it, with that media type's status
codes; any other client gets `application/json` with the legacy ones. A request that accepts
neither is refused with 406. Only a browser asking for `text/html` gets GraphiQL.
"""

from __future__ import annotations

from dataclasses import dataclass

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
HTML = "text/html"


@dataclass(frozen=True, slots=True)
class _Range:
    type: str
    subtype: str
    q: float


def _ranges(accept: str) -> list[_Range]:
    found = []
    for item in accept.split(","):
        kind, *params = (part.strip() for part in item.split(";"))
        main, _, sub = kind.lower().partition("/")
        if not main or not sub:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    q = 0.0  # a malformed weight accepts nothing rather than everything
        found.append(_Range(main, sub, q))
    return found


def _quality(ranges: list[_Range], media_type: str) -> tuple[float, int]:
    """(q, specificity) of the most specific range matching `media_type`: 2 exact, 1 `type/*`."""
    main, _, sub = media_type.partition("/")
    best: tuple[float, int] = (0.0, -1)
    for r in ranges:
        if r.type == main and r.subtype == sub:
            specificity = 2
        elif r.type == main and r.subtype == "*":
            specificity = 1
        elif r.type == "*" and r.subtype == "*":
            specificity = 0
        else:
            continue
        if specificity > best[1]:
            best = (r.q, specificity)
    return best


def negotiate(accept: str | None) -> str | None:
    """The media type to answer with, or None when the client accepts neither JSON type.

    No `Accept` header means `application/json` (the spec's legacy rule). The GraphQL response
    type is chosen only when named and weighted at least as high as `application/json`: so
    Apollo Client's default (`application/graphql-response+json,application/json;q=0.9`) and
    urql's get it, while `*/*` (curl, fetch) gets `application/json`.
    """
    if accept is None or not accept.strip():
        return JSON
    ranges = _ranges(accept)
    new_q, new_exact = _quality(ranges, GRAPHQL_RESPONSE)
    old_q, _ = _quality(ranges, JSON)
    if new_q > 0 and new_exact == 2 and new_q >= old_q:
        return GRAPHQL_RESPONSE
    if old_q > 0:
        return JSON
    return GRAPHQL_RESPONSE if new_q > 0 else None


def wants_html(accept: str | None) -> bool:
    """Whether the client names `text/html` itself (a browser), not just through `*/*`."""
    q, specificity = _quality(_ranges(accept or ""), HTML)
    return specificity == 2 and q > 0
