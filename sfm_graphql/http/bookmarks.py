"""ASGI middleware: the X-Neo4j-Bookmark contract of /graphql (docs/api.md, Read your writes).

The request's bookmarks come from the header the client sent back (checked by the codec: a
malformed header is a 400 BAD_REQUEST before anything runs); every Neo4j transaction of the
request shares them (sfm_graphql/db/bookmarks.py), and the response carries the bookmarks the
request ended with.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sfm_graphql.db.bookmarks import HEADER, BookmarkCodec, InvalidBookmark, request_bookmarks
from sfm_graphql.http.responses import error_response

PATHS = frozenset({"/graphql"})


class Bookmarks:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        codec: BookmarkCodec | None = getattr(scope["app"].state, "bookmark_codec", None)
        if scope["type"] != "http" or scope["path"] not in PATHS or codec is None:
            await self.app(scope, receive, send)
            return
        sent = Headers(scope=scope).get(HEADER)
        try:
            initial = codec.decode(sent) if sent else frozenset()
        except InvalidBookmark as exc:
            response = error_response(400, exc.code, exc.message)
            await response(scope, receive, send)
            return
        with request_bookmarks(initial) as manager:

            async def send_with_bookmark(message: Message) -> None:
                if message["type"] == "http.response.start":
                    token = codec.encode(await manager.get_bookmarks())
                    if token is not None:
                        MutableHeaders(scope=message)[HEADER] = token
                await send(message)

            await self.app(scope, receive, send_with_bookmark)
