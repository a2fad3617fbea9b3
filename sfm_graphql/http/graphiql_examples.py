"""The example operations GraphiQL opens with, one tab each, and the token header template.

They are written the way a frontend writes operations (named, every argument a variable), so a
newcomer's first copy-paste is the right shape. ``tests/unit/http/test_graphiql_examples.py``
validates each against the schema; the browser tests run the first one and the analysis pair.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Final

__all__ = [
    "ANALYSIS_QUERY",
    "EXAMPLES",
    "HEADERS_TEMPLATE",
    "TOKEN_PLACEHOLDER",
    "Example",
    "tabs_json",
]

TOKEN_PLACEHOLDER: Final[str] = "<token>"  # noqa: S105 (a placeholder shown to people, not a secret)
"""init.js never sends a header whose value still holds this (no failed login on page load)."""

HEADERS_TEMPLATE: Final[str] = json.dumps(
    {"Authorization": f"Bearer {TOKEN_PLACEHOLDER}"}, indent=2
)
"""What the Headers tab of every example shows until the user pastes a token."""


@dataclass(frozen=True, slots=True)
class Example:
    """One GraphiQL tab: GraphiQL titles it with the operation's name."""

    name: str
    query: str
    variables: dict[str, object]


_PAGE = """\
# A page of components, each with the deliveries it makes.
# Authenticate first: replace <token> in the Headers tab below
# (`make run` prints a token; `sfm-graphql token --role viewer` makes one).
# Run with the play button or Ctrl-Enter. Next page: copy pageInfo.endCursor
# into "after" in the Variables tab.
query ComponentsWithDeliveries($first: Int!, $after: String, $deliveries: Int!) {
  components(first: $first, after: $after, orderBy: {field: LABEL, direction: ASC}) {
    totalCount
    pageInfo {
      hasNextPage
      endCursor
    }
    edges {
      node {
        id
        type
        label
        outgoing(first: $deliveries) {
          totalCount
          edges {
            node {
              kind
              deliveryType
              weight
              target {
                id
                label
              }
            }
          }
        }
      }
    }
  }
}
"""

_SEARCH = """\
# Full-text search over component labels and descriptions, best match first.
query SearchComponents($text: String!, $types: [ComponentType!], $first: Int!) {
  search(text: $text, types: $types, first: $first) {
    score
    component {
      id
      type
      label
      description
    }
  }
}
"""

_NEIGHBOURHOOD = """\
# Everything within $depth hops of one component, for a graph view.
# Put a component id (from the first tab or a search) into "id" in the Variables tab.
query Neighbourhood($id: ID!, $depth: Int!, $direction: Direction!) {
  neighborhood(id: $id, depth: $depth, direction: $direction) {
    truncated
    center {
      id
      label
    }
    distances {
      componentId
      hops
    }
    components {
      id
      type
      label
    }
    deliveries {
      kind
      weight
      source {
        id
      }
      target {
        id
      }
    }
  }
}
"""

_CREATE = """\
# Create a component (editor role). Changes are versioned: updateComponent takes
# the `version` it is based on and refuses a stale one with CONFLICT.
mutation CreateComponent($input: CreateComponentInput!) {
  createComponent(input: $input) {
    component {
      id
      type
      label
      version
    }
  }
}
"""

_START_ANALYSIS = """\
# Run an analysis as a background job (analyst role); the worker process computes it.
# Copy the returned id into the next tab (AnalysisProgress) to watch it run.
mutation StartAnalysis($input: StartAnalysisInput!) {
  startAnalysis(input: $input) {
    id
    status
    progress
    createdAt
  }
}
"""

_ANALYSIS_PROGRESS = """\
# Watch a job until it ends: a subscription over a WebSocket (graphql-transport-ws)
# that sends the Headers tab's Authorization in its connection_init message.
# Put the id startAnalysis returned into "id" in the Variables tab; the result pane
# shows each update, the last one with the job's result.
subscription AnalysisProgress($id: ID!) {
  analysisProgress(id: $id) {
    id
    status
    progress
    result
    error
    errorCode
    finishedAt
  }
}
"""

ANALYSIS_QUERY: Final[str] = (
    "{ centrality(measure: PAGERANK, top: 5) { rank score component { id label } } }"
)
"""The analytics document of the StartAnalysis example."""

EXAMPLES: Final[tuple[Example, ...]] = (
    Example("ComponentsWithDeliveries", _PAGE, {"first": 5, "after": None, "deliveries": 3}),
    Example("SearchComponents", _SEARCH, {"text": "Nebraska", "types": None, "first": 10}),
    Example(
        "Neighbourhood",
        _NEIGHBOURHOOD,
        {"id": "<a component id>", "depth": 2, "direction": "BOTH"},
    ),
    Example(
        "CreateComponent",
        _CREATE,
        {"input": {"type": "ACTOR", "label": "Kansas", "description": "A compact member state"}},
    ),
    Example("StartAnalysis", _START_ANALYSIS, {"input": {"query": ANALYSIS_QUERY}}),
    Example("AnalysisProgress", _ANALYSIS_PROGRESS, {"id": "<the id startAnalysis returned>"}),
)


def tabs_json() -> str:
    """GraphiQL's ``defaultTabs``: query, variables and the header template of each example."""
    return json.dumps(
        [
            {
                "query": example.query,
                "variables": json.dumps(example.variables, indent=2),
                "headers": HEADERS_TEMPLATE,
            }
            for example in EXAMPLES
        ]
    )
