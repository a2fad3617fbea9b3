"""The payload of a personal-data purge."""

from __future__ import annotations

import strawberry

from sfm_graphql.graphql.graph.types import Component


@strawberry.type(description="The actor after its personal data was removed.")
class PurgePayload:
    component: Component
    purged_fields: list[str]
    # Read by the audit extension: payloads may name the version they replaced.
    version_before: strawberry.Private[int]
