"""The WebSocket side of the GraphQL view: every message leaves as a text frame.

The graphql-transport-ws protocol carries JSON text; browsers hand a binary frame to a client as
a `Blob`, which graphql-ws (GraphiQL's subscription client) cannot read and answers by closing
the socket. Strawberry sends a binary frame whenever the view's `encode_json` gives bytes, which
ours does (orjson, for HTTP bodies), so this adapter sends the same bytes as text.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import WebSocketDisconnected

__all__ = ["TextFrameWebSocketAdapter"]


class TextFrameWebSocketAdapter(ASGIWebSocketAdapter):
    async def send_json(self, message: Mapping[str, object]) -> None:
        encoded = self.view.encode_json(message)
        text = encoded.decode() if isinstance(encoded, bytes) else encoded
        try:
            await self.ws.send_text(text)
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc
