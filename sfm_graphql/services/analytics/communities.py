"""Communities of the undirected, unweighted analysis graph (igraph), and their modularity.

Louvain is igraph's multilevel algorithm, label propagation igraph's; both draw random numbers,
so each run uses its own generator seeded with `SEED` and the answer is the same every time.
The reported modularity is that of the reported partition (NetworkX's `community.modularity`).
"""

from __future__ import annotations

import enum
import random
import threading
from dataclasses import dataclass

import igraph as ig

from sfm_graphql.services.analytics import igraphs
from sfm_graphql.services.analytics.graph import AnalysisGraph
from sfm_graphql.services.analytics.groups import Group, groups_of

SEED = 13
# igraph draws from one process-wide generator: a lock keeps a seeded run's draws its own.
_RNG_LOCK = threading.Lock()


class CommunityAlgorithm(enum.Enum):
    LOUVAIN = "LOUVAIN"
    LABEL_PROPAGATION = "LABEL_PROPAGATION"


@dataclass(frozen=True, slots=True)
class Partition:
    modularity: float
    communities: list[Group]  # largest first, ties by smallest member


def communities(graph: AnalysisGraph, algorithm: CommunityAlgorithm) -> Partition:
    if graph.node_count == 0:
        return Partition(modularity=0.0, communities=[])
    g = igraphs.undirected(graph)
    with _RNG_LOCK:
        ig.set_random_number_generator(random.Random(SEED))  # noqa: S311 (reproducible, no secret)
        try:
            if algorithm is CommunityAlgorithm.LOUVAIN:
                clustering = g.community_multilevel()
            else:
                clustering = g.community_label_propagation()
        finally:
            ig.set_random_number_generator(random)
    membership: list[int] = list(clustering.membership)
    return Partition(modularity=float(g.modularity(membership)), communities=groups_of(membership))
