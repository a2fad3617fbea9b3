"""The key a resolver looks up is built from its validated arguments: how a document spells a
question (aliases, variables, argument order, which type a global id names) does not change it.

The schema runs in process with a cache that already holds the answer under the key of one
spelling, and no database: every spelling must be a hit (a miss would need Neo4j and fail).
"""

from __future__ import annotations

from typing import Any

import pytest

from sfm_graphql.domain.enums import Direction
from sfm_graphql.domain.kinds import DeliveryKind
from sfm_graphql.graphql.context import Context
from sfm_graphql.graphql.ids import to_global_id
from sfm_graphql.graphql.schema import build_schema
from sfm_graphql.security.principal import Principal, Role
from sfm_graphql.services.analytics.cache import AnalysisCache, cache_key, encode
from sfm_graphql.services.analytics.keys import analysis_arguments
from sfm_graphql.services.analytics.results import ReachedResult, ReachResult
from sfm_graphql.services.analytics.scope import Scope
from sfm_graphql.settings import Settings

SETTINGS = Settings()
REVISION = 42
SOURCE = "0b6c2f0e-5a4f-4f7e-9d3a-2f1e8c7b6a50"
ANSWER = ReachResult(
    components=[ReachedResult("c1", 1, 2.0), ReachedResult("c2", 2, -1.0)], truncated=False
)
ANALYST = Principal(subject="ann", roles=frozenset({Role.ANALYST}), kind="user", issuer="tests")

POLICY_ID, ACTOR_ID = to_global_id("Policy", SOURCE), to_global_id("Actor", SOURCE)
SPELLINGS = {
    "literal": (
        '{ reach(from: "POLICY_ID", kinds: [GOVERNS, INFORMS]) { components { distance } } }',
        {},
    ),
    "aliased, reordered": (
        '{ spread: reach(kinds: [INFORMS, GOVERNS, INFORMS], direction: OUTGOING, from: "POLICY_ID")'
        " { found: components { distance } } }",
        {},
    ),
    "variables": (
        "query Q($f: ID!, $k: [DeliveryKind!]) { reach(from: $f, kinds: $k) "
        "{ components { distance } } }",
        {"f": POLICY_ID, "k": ["INFORMS", "GOVERNS"]},
    ),
    "another type's global id": (
        'query { reach(from: "ACTOR_ID", kinds: [GOVERNS, INFORMS]) { components { distance } } }',
        {},
    ),
}


async def _revision() -> int:
    return REVISION


def _cache_holding_the_answer() -> AnalysisCache:
    cache = AnalysisCache(None, revision=_revision, ttl_s=60)
    scope = Scope.of(kinds=[DeliveryKind.GOVERNS, DeliveryKind.INFORMS])
    arguments = analysis_arguments(
        SETTINGS, scope=scope, source=SOURCE, direction=Direction.OUTGOING, max_depth=None
    )
    cache._local.put(cache_key("reach", arguments, REVISION), encode(ReachResult, ANSWER))
    return cache


@pytest.mark.parametrize("spelling", sorted(SPELLINGS))
async def test_every_spelling_of_one_question_is_one_key(spelling: str) -> None:
    template, variables = SPELLINGS[spelling]
    document = template.replace("POLICY_ID", POLICY_ID).replace("ACTOR_ID", ACTOR_ID)
    cache = _cache_holding_the_answer()
    context = Context(settings=SETTINGS, db=None, principal=ANALYST, analysis_cache=cache)  # type: ignore[arg-type]
    result = await build_schema(SETTINGS).execute(
        document, variable_values=variables, context_value=context
    )
    assert result.errors is None, result.errors
    data: dict[str, Any] = result.data or {}
    (field,) = data.values()
    (listed,) = (v for v in field.values())
    assert [c["distance"] for c in listed] == [1, 2]
    assert (cache.stats.hits, cache.stats.misses) == (1, 0)


@pytest.mark.parametrize(
    "document",
    [
        '{ reach(from: "POLICY_ID", kinds: [GOVERNS]) { components { distance } } }',
        '{ reach(from: "POLICY_ID", kinds: [GOVERNS, INFORMS], maxDepth: 1) '
        "{ components { distance } } }",
        '{ reach(from: "POLICY_ID", kinds: [GOVERNS, INFORMS], direction: BOTH) '
        "{ components { distance } } }",
    ],
)
async def test_another_question_is_another_key(document: str) -> None:
    cache = _cache_holding_the_answer()
    context = Context(settings=SETTINGS, db=None, principal=ANALYST, analysis_cache=cache)  # type: ignore[arg-type]
    result = await build_schema(SETTINGS).execute(
        document.replace("POLICY_ID", POLICY_ID), context_value=context
    )
    assert (cache.stats.hits, cache.stats.misses) == (0, 1)
    assert result.errors  # a miss computes, and this test has no database to compute with
