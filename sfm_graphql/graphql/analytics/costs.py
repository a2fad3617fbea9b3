"""What the analytics fields cost in the static cost model (graphql/analysis.py).

An analysis reads much more than it returns, so each root field has a weight of its own; its
lists are as long as their `top`/`limit` argument, or the maximum the service returns.
"""

from __future__ import annotations

from typing import Any

# Root fields whose work is not captured by the size of what they return, by `Type.field`.
ANALYTICS_FIELD_WEIGHTS: dict[str, int] = {}


def analytics_list_size(key: str, args: dict[str, Any] | None) -> int | None:
    """The assumed length of an analytics list `Type.field`, or None when it is not one."""
    del key, args
    return None
