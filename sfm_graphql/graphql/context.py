"""The typed per-request context every resolver reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import strawberry
from starlette.requests import Request
from starlette.responses import Response

from sfm_graphql.db.database import Database
from sfm_graphql.settings import Settings


@dataclass
class Context:
    request: Request | None
    response: Response | None
    settings: Settings
    db: Database
    extensions: dict[str, Any] = field(default_factory=dict)


Info = strawberry.Info[Context, None]
