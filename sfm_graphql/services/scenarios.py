"""Scenarios: declared ones, names deliveries use, and the comparison of two scenarios.

A delivery names its scenario by a string. Declaring a scenario gives it a description and a
creation time; it is never declared implicitly. Its id is derived from its name (UUIDv5), so a
scenario has the same id before and after it is declared (see docs/decisions.md, "Scenarios").
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from sfm_graphql.db import compose_matrix
from sfm_graphql.db.database import Database
from sfm_graphql.db.plan import ComponentPlan
from sfm_graphql.db.shape import ComparisonShape
from sfm_graphql.domain.models import Dimension, Strict, Text, validation_error_to_input
from sfm_graphql.errors import BadUserInput, Conflict, NotFound
from sfm_graphql.services import reads

# Fixed forever: changing it would change every scenario id.
SCENARIO_NAMESPACE = uuid.UUID("5f0c7c2e-3b9a-5d7e-9a51-6c2f8e4b1d03")
OUTCOMES = ("onlyInBase", "onlyInOther", "changed", "unchanged")


class ScenarioFields(Strict):
    name: Dimension
    description: Text | None = None


@dataclass(frozen=True, slots=True)
class ScenarioRecord:
    id: str
    name: str
    description: str | None
    declared: bool
    created_at: dt.datetime | None
    delivery_count: int


@dataclass(frozen=True, slots=True)
class Comparison:
    """Per outcome, the number of matches and the first rows (as the composed query returns),
    and the shape of the rows' source and target components."""

    totals: dict[str, int]
    rows: dict[str, list[dict[str, Any]]]
    limit: int
    shape: ComparisonShape

    @property
    def truncated(self) -> bool:
        return any(self.totals[o] > len(self.rows[o]) for o in OUTCOMES if o != "unchanged")


def scenario_id(name: str) -> str:
    return str(uuid.uuid5(SCENARIO_NAMESPACE, name))


def validate_name(name: str, field: str) -> str:
    try:
        return ScenarioFields(name=name).name
    except ValidationError:
        raise BadUserInput(
            f"{field}: a scenario name is 1 to 64 letters, digits, spaces or _.:-/ "
            "and starts with a letter or digit",
            field=field,
        ) from None


async def create_scenario(*, db: Database, name: str, description: str | None) -> ScenarioRecord:
    try:
        model = ScenarioFields(name=name, description=description)
    except ValidationError as exc:
        raise validation_error_to_input(exc) from None
    try:
        await db.write(
            "scenarios/create",
            id=scenario_id(model.name),
            scenarioName=model.name,
            description=model.description,
        )
    except Conflict:
        raise Conflict(
            f"A scenario named {model.name!r} is already declared", field="name"
        ) from None
    found = await scenarios_by_ids(db=db, ids=[scenario_id(model.name)])
    return found[scenario_id(model.name)]


async def list_scenarios(*, db: Database) -> list[ScenarioRecord]:
    """Declared scenarios and undeclared names in use, by name."""
    row = (await db.read("scenarios/list"))[0]
    counts: dict[str, int] = {u["name"]: u["deliveryCount"] for u in row["used"]}
    records = {
        s["name"]: ScenarioRecord(
            id=s["id"],
            name=s["name"],
            description=s.get("description"),
            declared=True,
            created_at=s.get("createdAt"),
            delivery_count=counts.get(s["name"], 0),
        )
        for s in row["declared"]
    }
    for name, count in counts.items():
        if name not in records:
            records[name] = ScenarioRecord(
                id=scenario_id(name),
                name=name,
                description=None,
                declared=False,
                created_at=None,
                delivery_count=count,
            )
    return [records[name] for name in sorted(records)]


async def scenarios_by_ids(*, db: Database, ids: list[str]) -> dict[str, ScenarioRecord]:
    wanted = set(ids)
    return {s.id: s for s in await list_scenarios(db=db) if s.id in wanted}


async def compare_scenarios(
    *,
    db: Database,
    base: str,
    other: str,
    limit: int,
    max_rows: int,
    source_plan: ComponentPlan,
    target_plan: ComponentPlan,
) -> Comparison:
    """Deliveries matched by (source, target, kind): only in base, only in other, or with a
    different total weight. Each list holds at most `limit` matches."""
    base = validate_name(base, "base")
    other = validate_name(other, "other")
    if base == other:
        raise BadUserInput("base and other must be different scenarios", field="other")
    if not 1 <= limit <= max_rows:
        raise BadUserInput(f"limit must be between 1 and {max_rows}", field="limit")
    q = compose_matrix.compare_scenarios(
        source_plan=source_plan, target_plan=target_plan, base=base, other=other, limit=limit
    )
    result = await reads.run(db, q)
    row = result.rows[0]
    for known, name, field in (
        (row["baseKnown"], base, "base"),
        (row["otherKnown"], other, "other"),
    ):
        if not known:
            raise NotFound(
                f"No scenario named {name!r} is declared or used by a delivery", field=field
            )
    groups = {g["outcome"]: g for g in row["groups"]}
    return Comparison(
        totals={o: groups[o]["total"] if o in groups else 0 for o in OUTCOMES},
        rows={o: groups[o]["rows"] if o in groups else [] for o in OUTCOMES},
        limit=limit,
        shape=result.shape,
    )
