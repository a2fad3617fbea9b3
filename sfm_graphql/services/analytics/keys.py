"""The arguments an analysis is cached under: every one that can change its answer, canonical.

A key names the scope (its canonical form, `Scope.params`), the operation's arguments as the
resolver holds them after validation (local ids, enums by value, defaults filled in), and the
settings that shape an answer (list caps, sampling). Nothing about the caller is in it: cached
results are computed before anything is loaded for a caller (docs/analytics.md, "Cache").
"""

from __future__ import annotations

import enum
from typing import Any

from sfm_graphql.services.analytics.scope import Scope
from sfm_graphql.settings import Settings

# The settings an answer depends on (the others only bound it: beyond them it is an error).
ANSWER_SETTINGS = (
    "analysis_max_members",
    "analysis_max_results",
    "analysis_max_path_length",
    "analysis_max_loops_counted",
    "analysis_betweenness_exact_max_nodes",
    "analysis_betweenness_pivots",
)


def plain(value: Any) -> Any:
    """`value` as JSON data with one spelling per meaning; TypeError for anything else."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum):
        return plain(value.value)
    if isinstance(value, Scope):
        return value.params()
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((plain(v) for v in value), key=repr)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    raise TypeError(f"{type(value).__name__} is not part of a cache key")


def analysis_arguments(settings: Settings, **arguments: Any) -> dict[str, Any]:
    """The cache arguments of one analysis call."""
    return {
        "arguments": plain(arguments),
        "settings": {name: getattr(settings, name) for name in ANSWER_SETTINGS},
    }
