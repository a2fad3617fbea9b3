"""Result types shared by several analytics fields."""

from __future__ import annotations

import strawberry

from sfm_graphql.graphql.core.enums import ComponentType


@strawberry.type(description="How many components of one type a result holds.")
class TypeCount:
    type: ComponentType
    count: int
