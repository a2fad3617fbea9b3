"""The example operations GraphiQL opens with, one tab each, and the token header template.

They are written the way a frontend writes operations (named, every argument a variable), so a
newcomer's first copy-paste is the right shape. ``tests/unit/http/test_graphiql_examples.py``
validates each against the schema; the browser test runs the first one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Final

__all__ = ["EXAMPLES", "HEADERS_TEMPLATE", "TOKEN_PLACEHOLDER", "Example", "tabs_json"]

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
