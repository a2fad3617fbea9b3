"""ASGI middleware applying forwarded headers from trusted proxies to the connection.

When the peer that connected is one of `trusted_proxies`, the client address and scheme its
headers report (`http/forwarded.py`) replace the scope's `client` and `scheme`, before any other
middleware runs, so every consumer — `authenticate.client_ip`, the security headers (HSTS), the
token endpoint's HTTPS check, tracing, the access log — sees the real client. From any other peer
the headers are ignored: the connection is the client. With no trusted proxies configured (the
default) this middleware does nothing. It replaces uvicorn's own proxy-header handling, which
`sfm-graphql serve` turns off, so there is one mechanism whatever server runs the app
(docs/decisions.md).
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.types import ASGIApp, Receive, Scope, Send

from sfm_graphql.http.forwarded import (
    Client,
    ForwardedHeader,
    forwarded_hops,
    resolve,
    x_forwarded_hops,
    x_forwarded_proto,
)
from sfm_graphql.security.addresses import IPAddress, in_networks, parse_networks


class ProxyHeaders:
    def __init__(
        self,
        app: ASGIApp,
        *,
        trusted_proxies: Sequence[str],
        forwarded_header: ForwardedHeader = "x-forwarded-for",
    ) -> None:
        self.app = app
        self._networks = parse_networks(trusted_proxies)
        self._header = forwarded_header

    def _trusted(self, address: IPAddress) -> bool:
        return any(address in network for network in self._networks)

    def _client(self, scope: Scope, peer: tuple[str, int]) -> Client:
        wanted: dict[bytes, list[str]] = {
            b"forwarded": [],
            b"x-forwarded-for": [],
            b"x-forwarded-proto": [],
        }
        for name, value in scope.get("headers", ()):
            values = wanted.get(name.lower())
            if values is not None:
                values.append(value.decode("latin-1"))
        if self._header == "forwarded":
            hops, scheme = forwarded_hops(wanted[b"forwarded"]), None
        else:
            hops = x_forwarded_hops(wanted[b"x-forwarded-for"])
            scheme = x_forwarded_proto(wanted[b"x-forwarded-proto"])
        return resolve(hops, trusted=self._trusted, peer=peer, scheme=scheme)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        peer = scope.get("client")
        if (
            self._networks
            and scope["type"] in {"http", "websocket"}
            and peer is not None
            and in_networks(str(peer[0]), self._networks)
        ):
            client = self._client(scope, (str(peer[0]), int(peer[1])))
            scope = dict(scope)
            scope["client"] = (client.host, client.port)
            if client.scheme is not None:
                secure = client.scheme == "https"
                if scope["type"] == "websocket":
                    scope["scheme"] = "wss" if secure else "ws"
                else:
                    scope["scheme"] = client.scheme
        await self.app(scope, receive, send)
