"""Self-hosted GraphiQL page: no CDN, no inline script, works without internet.

The browser builds (React, GraphiQL, the explorer plugin, ...) are vendored into
``static/graphiql/`` by ``tools/graphiql/vendor.sh`` and committed. The app mounts
that folder (e.g. ``StaticFiles(directory=GRAPHIQL_STATIC_DIR)`` at
``/static/graphiql``) and serves :func:`graphiql_html` at ``GET /graphql``.
The page is booted by ``init.js``, which reads its settings from data attributes,
so a Content-Security-Policy of ``script-src 'self'`` is enough. Subscriptions run over
a graphql-ws client on the same origin (``http/headers.py`` lets the page connect to it).
It opens with the example operations of :mod:`graphiql_examples`, one tab each, and a
token header template.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Final

from sfm_graphql.http.graphiql_examples import HEADERS_TEMPLATE, TOKEN_PLACEHOLDER, tabs_json

__all__ = ["DEFAULT_QUERY", "GRAPHIQL_STATIC_DIR", "graphiql_html"]

GRAPHIQL_STATIC_DIR: Final[Path] = Path(__file__).resolve().parent / "static" / "graphiql"
"""Folder with the vendored GraphiQL assets and ``init.js`` / ``init.css``."""

DEFAULT_QUERY: Final[str] = """\
# SFM GraphQL API. To authenticate, put
# JSON in the Headers tab below, e.g.
#   {"Authorization": "Bearer <token>"}
{
  components(first: 5) {
    edges {
      node {
        id
        label
        type
      }
    }
  }
}
"""
"""Query of a tab the user opens with "+" (the examples fill the first tabs)."""

# Stylesheets, then scripts in dependency order (React before GraphiQL before the
# plugin; graphql-ws, the subscription client, needs nothing; init.js last). File names
# as written by tools/graphiql/vendor.sh.
_STYLESHEETS: Final[tuple[str, ...]] = ("graphiql.min.css", "plugin-explorer.css", "init.css")
_SCRIPTS: Final[tuple[str, ...]] = (
    "react.production.min.js",
    "react-dom.production.min.js",
    "js.cookie.min.js",
    "graphiql.min.js",
    "plugin-explorer.umd.js",
    "graphql-ws.min.js",
    "init.js",
)


def _same_origin_path(value: str, what: str) -> str:
    """Return ``value`` if it is an absolute path on this origin, else raise ValueError."""
    if not value.startswith("/") or value.startswith("//") or "\\" in value:
        raise ValueError(f"{what} must be a path on this origin starting with '/': {value!r}")
    return value


def graphiql_html(*, endpoint: str = "/graphql", static_prefix: str = "/static/graphiql") -> str:
    """Return the GraphiQL page that loads its assets from ``static_prefix``.

    ``endpoint`` is where the page POSTs GraphQL queries and mutations as JSON and opens
    the graphql-transport-ws WebSocket for subscriptions (ws: or wss:); both arguments
    must be same-origin paths (``/...``), so the page never contacts another host.
    """
    endpoint = _same_origin_path(endpoint, "endpoint")
    prefix = _same_origin_path(static_prefix, "static_prefix").rstrip("/")

    def asset(name: str) -> str:
        return escape(f"{prefix}/{name}", quote=True)

    styles = "\n".join(
        f'    <link rel="stylesheet" href="{asset(name)}" />' for name in _STYLESHEETS
    )
    scripts = "\n".join(f'    <script src="{asset(name)}" defer></script>' for name in _SCRIPTS)
    return f"""<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="robots" content="noindex" />
    <title>SFM GraphQL - GraphiQL</title>
    <link rel="icon" href="data:," />
{styles}
{scripts}
  </head>
  <body>
    <div id="graphiql"
         data-endpoint="{escape(endpoint, quote=True)}"
         data-default-query="{escape(DEFAULT_QUERY, quote=True)}"
         data-default-headers="{escape(HEADERS_TEMPLATE, quote=True)}"
         data-token-placeholder="{escape(TOKEN_PLACEHOLDER, quote=True)}"
         data-tabs="{escape(tabs_json(), quote=True)}">
      <div class="graphiql-loading">Loading GraphiQL&hellip;</div>
    </div>
    <noscript>GraphiQL needs JavaScript.</noscript>
  </body>
</html>
"""
