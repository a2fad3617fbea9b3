"""The role x operation matrix, read back from the schema's `allow(...)` rules.

`rules(schema)` lists every root Query and Mutation field with its rule (None when a field has
none, which the authorization test refuses); `markdown(schema)` renders the table that
`docs/security.md` holds under "Authorization" (a unit test fails when the two differ).
Print it with `python -m sfm_graphql.graphql.role_matrix`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import strawberry

from sfm_graphql.security.permissions import RequireRole, required_role
from sfm_graphql.security.principal import Role

OperationKind = Literal["query", "mutation"]
ALLOWED = "✓"
REFUSED = "—"


@dataclass(frozen=True, slots=True)
class Rule:
    kind: OperationKind
    field: str  # the GraphQL name of the root field
    rule: RequireRole | None

    def allows(self, role: Role) -> bool:
        return self.rule is not None and role.rank >= self.rule.role.rank


def rules(schema: strawberry.Schema) -> list[Rule]:
    """Every root Query and Mutation field in schema order, with its role rule (or None)."""
    graphql_schema = schema._schema
    out: list[Rule] = []
    roots: list[tuple[OperationKind, object]] = [
        ("query", graphql_schema.query_type),
        ("mutation", graphql_schema.mutation_type),
    ]
    for kind, root in roots:
        for name, field in getattr(root, "fields", {}).items():
            definition = field.extensions.get("strawberry-definition")
            out.append(Rule(kind, name, required_role(definition)))
    return out


def markdown(schema: strawberry.Schema) -> str:
    """The role x operation table as Markdown (anonymous callers are refused everywhere)."""
    roles = list(Role)
    header = ["operation", "kind", *(f"`{r.value}`" for r in roles), "sensitive"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for rule in rules(schema):
        cells = [ALLOWED if rule.allows(r) else REFUSED for r in roles]
        sensitive = "yes" if rule.rule is not None and rule.rule.sensitive else ""
        if rule.rule is None:
            sensitive = "**no rule**"
        lines.append("| " + " | ".join([f"`{rule.field}`", rule.kind, *cells, sensitive]) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    from sfm_graphql.graphql.schema import build_schema

    print(markdown(build_schema()), end="")
