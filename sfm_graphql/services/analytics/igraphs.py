"""The analysis graph as an igraph graph: directed as it is, or with its directions dropped.

igraph takes the flat edge arrays of `AnalysisGraph` as they are, and numbers vertices as the
analysis graph numbers nodes (in component-id order), so a result indexed by vertex is indexed by
node number.
"""

from __future__ import annotations

import igraph as ig

from sfm_graphql.services.analytics.graph import AnalysisGraph


def directed(graph: AnalysisGraph) -> ig.Graph:
    """The directed simple analysis graph; edge k carries the weight of edge k."""
    g = ig.Graph(n=graph.node_count, edges=graph.edges(), directed=True)
    g.es["weight"] = list(graph.weights)
    return g


def undirected(graph: AnalysisGraph) -> ig.Graph:
    """The analysis graph with directions dropped: one unweighted edge per linked pair.

    s -> t and t -> s become one edge, as in NetworkX's `DiGraph.to_undirected()`.
    """
    g = ig.Graph(n=graph.node_count, edges=graph.edges(), directed=False)
    g.simplify(multiple=True, loops=True)
    return g
