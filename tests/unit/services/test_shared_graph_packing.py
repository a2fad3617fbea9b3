"""The analysis graph as it is shared in Redis (services/analytics/shared_graphs.py): packed and
unpacked to the same graph, and anything that is not a packed graph refused."""

from __future__ import annotations

import struct
from array import array

import pytest

from sfm_graphql.services.analytics.graph import AnalysisGraph
from sfm_graphql.services.analytics.scope import Scope
from sfm_graphql.services.analytics.shared_graphs import (
    HEADER,
    graph_key,
    pack,
    recent_enough,
    unpack,
)

GRAPH = AnalysisGraph(
    ids=("a", "b", "c"),
    sources=array("q", [0, 1, 2]),
    targets=array("q", [1, 2, 0]),
    weights=array("d", [1.5, -0.5, float("inf")]),
    deliveries=array("q", [1, 2, 3]),
)


def test_a_packed_graph_unpacks_to_the_same_graph_and_revision() -> None:
    revision, graph = unpack(pack(1796315569643, GRAPH))
    assert revision == 1796315569643
    assert graph == GRAPH
    assert graph.index_of("c") == 2  # the index is built again on use


def test_an_empty_graph_survives_too() -> None:
    empty = AnalysisGraph((), array("q"), array("q"), array("d"), array("q"))
    assert unpack(pack(7, empty)) == (7, empty)


def _bad_ends() -> bytes:
    wrong = AnalysisGraph(
        GRAPH.ids, array("q", [0, 1, 3]), GRAPH.targets, GRAPH.weights, GRAPH.deliveries
    )
    return pack(1, wrong)


@pytest.mark.parametrize(
    "value",
    [
        b"",
        b"not a graph at all",
        pack(1, GRAPH)[:-1],  # truncated
        pack(1, GRAPH) + b"\0",  # too long
        b"SFMG0x" + pack(1, GRAPH)[6:],  # another format
        HEADER.pack(pack(1, GRAPH)[:6], 1, 3, -1, 5) + b"a\nb\nc",  # negative counts
        _bad_ends(),  # an edge to node 3 of a 3-node graph
        HEADER.pack(pack(1, GRAPH)[:6], 1, 4, 0, 5) + b"a\nb\nc",  # 4 nodes, 3 ids
    ],
    ids=["empty", "text", "truncated", "too-long", "magic", "negative", "ends", "ids"],
)
def test_what_is_not_a_packed_graph_is_refused(value: bytes) -> None:
    with pytest.raises(ValueError, match="not a packed analysis graph"):
        unpack(value)


def test_each_scope_has_its_own_key() -> None:
    assert graph_key(Scope()) != graph_key(Scope(scenario="baseline"))
    assert graph_key(Scope()) == graph_key(Scope())
    assert struct.calcsize("<6sqqqq") == HEADER.size


def test_the_header_alone_tells_whether_an_entry_is_recent_enough() -> None:
    """Only an entry read at the wanted revision or later is fetched whole."""
    header = pack(7, GRAPH)[: HEADER.size]
    assert recent_enough(header, 7)
    assert recent_enough(header, 6)
    assert not recent_enough(header, 8)
    assert not recent_enough(b"", 1)  # no entry: GETRANGE of a missing key
    assert not recent_enough(header[:-1], 1)
    assert not recent_enough(b"x" * HEADER.size, 1)  # not a packed graph's header
    assert not recent_enough(None, 1)
