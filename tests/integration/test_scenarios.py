"""Scenarios through GraphQL: declaring, listing with undeclared names, and comparing two."""

from __future__ import annotations

import pytest

from sfm_graphql.settings import Settings
from tests.integration.helpers import create_component, create_delivery
from tests.services import GraphQLClient, StatementCounter

pytestmark = pytest.mark.integration

CREATE = """
mutation($input: CreateScenarioInput!) {
  createScenario(input: $input) { scenario { id name description declared createdAt deliveryCount } }
}"""
LIST = "{ scenarios { id name description declared createdAt deliveryCount } }"
COMPARE = """
query($base: String!, $other: String!, $limit: Int) {
  compareScenarios(base: $base, other: $other, limit: $limit) {
    base other onlyInBaseCount onlyInOtherCount changedCount unchangedCount truncated
    onlyInBase { source { label } target { label } kind baseWeight otherWeight weightChange
      baseDeliveries { kind scenario source { label } } otherDeliveries { kind } }
    onlyInOther { source { label } target { label } kind baseWeight otherWeight }
    changed { source { label } target { label } kind baseWeight otherWeight weightChange
      baseDeliveries { weight } otherDeliveries { weight target { label } } }
  }
}"""


async def test_declaring_a_scenario_twice_is_a_conflict(gql: GraphQLClient) -> None:
    created = await gql.data(
        CREATE, {"input": {"name": "carbon-tax", "description": "A $40/t tax"}}
    )
    scenario = created["createScenario"]["scenario"]
    assert scenario["name"] == "carbon-tax"
    assert scenario["declared"] is True
    assert scenario["createdAt"] is not None
    assert scenario["deliveryCount"] == 0
    body = await gql.execute(CREATE, {"input": {"name": "carbon-tax"}})
    error = body["errors"][0]
    assert error["extensions"]["code"] == "CONFLICT"
    assert "carbon-tax" in error["message"]


async def test_scenario_names_are_checked(gql: GraphQLClient) -> None:
    for bad in ("", "-leading", "x" * 65, "semi;colon"):
        assert await gql.error_code(CREATE, {"input": {"name": bad}}) == "BAD_USER_INPUT"


async def test_scenarios_list_declared_and_used_names_with_stable_ids(gql: GraphQLClient) -> None:
    agency = await create_component(gql, "ACTOR", "Agency")
    commission = await create_component(gql, "INSTITUTION", "Commission")
    await create_delivery(gql, agency, commission, "FUNDS")
    await create_delivery(gql, agency, commission, "GOVERNS")
    await create_delivery(gql, agency, commission, "FUNDS", scenario="site-abandoned")
    await gql.data(CREATE, {"input": {"name": "carbon-tax", "description": "declared, unused"}})

    listed = (await gql.data(LIST))["scenarios"]
    assert [(s["name"], s["declared"], s["deliveryCount"]) for s in listed] == [
        ("baseline", False, 2),
        ("carbon-tax", True, 0),
        ("site-abandoned", False, 1),
    ]
    undeclared = listed[2]
    assert undeclared["createdAt"] is None
    assert undeclared["description"] is None

    # Declaring a scenario in use keeps its id, so a client's references stay valid.
    declared = (await gql.data(CREATE, {"input": {"name": "site-abandoned"}}))["createScenario"][
        "scenario"
    ]
    assert declared["id"] == undeclared["id"]
    assert declared["deliveryCount"] == 1
    node = await gql.data(
        "query($id: ID!) { node(id: $id) { id ... on Scenario { name declared deliveryCount } } }",
        {"id": declared["id"]},
    )
    assert node["node"] == {
        "id": declared["id"],
        "name": "site-abandoned",
        "declared": True,
        "deliveryCount": 1,
    }
    baseline = await gql.data(
        "query($id: ID!) { node(id: $id) { ... on Scenario { name } } }", {"id": listed[0]["id"]}
    )
    assert baseline["node"] == {"name": "baseline"}


async def _two_scenarios(gql: GraphQLClient) -> None:
    agency = await create_component(gql, "ACTOR", "Agency")
    commission = await create_component(gql, "INSTITUTION", "Commission")
    waste = await create_component(gql, "RESOURCE", "Waste")
    # Same in both: unchanged.
    await create_delivery(gql, agency, commission, "GOVERNS", weight=1)
    await create_delivery(gql, agency, commission, "GOVERNS", weight=1, scenario="alt")
    # Weight changes: parallel deliveries compare by their total.
    await create_delivery(gql, agency, commission, "FUNDS", weight=0.5)
    await create_delivery(gql, agency, commission, "FUNDS", weight=0.3)
    await create_delivery(gql, agency, commission, "FUNDS", weight=0.2, scenario="alt")
    # Only in one of them.
    await create_delivery(gql, commission, waste, "OWNS", weight=2)
    await create_delivery(gql, agency, waste, "CONSUMES", weight=1)
    await create_delivery(gql, waste, agency, "SUPPLIES", weight=3, scenario="alt")


async def test_compare_scenarios_matches_by_source_target_and_kind(
    gql: GraphQLClient, statements: StatementCounter
) -> None:
    await _two_scenarios(gql)
    statements.names.clear()
    result = (await gql.data(COMPARE, {"base": "baseline", "other": "alt"}))["compareScenarios"]
    assert statements.names == ["compose/compare_scenarios"]
    counts = [
        result[k] for k in ("onlyInBaseCount", "onlyInOtherCount", "changedCount", "unchangedCount")
    ]
    assert counts == [2, 1, 1, 1]
    assert result["truncated"] is False

    only_base = result["onlyInBase"]
    assert [(d["source"]["label"], d["target"]["label"], d["kind"]) for d in only_base] == [
        ("Agency", "Waste", "CONSUMES"),
        ("Commission", "Waste", "OWNS"),
    ]
    assert only_base[1]["baseWeight"] == 2
    assert only_base[1]["otherWeight"] is None
    assert only_base[1]["weightChange"] is None
    assert only_base[0]["baseDeliveries"] == [
        {"kind": "CONSUMES", "scenario": "baseline", "source": {"label": "Agency"}}
    ]
    assert only_base[0]["otherDeliveries"] == []
    assert result["onlyInOther"] == [
        {
            "source": {"label": "Waste"},
            "target": {"label": "Agency"},
            "kind": "SUPPLIES",
            "baseWeight": None,
            "otherWeight": 3,
        }
    ]
    (changed,) = result["changed"]
    assert (changed["kind"], changed["baseWeight"], changed["otherWeight"]) == ("FUNDS", 0.8, 0.2)
    assert changed["weightChange"] == pytest.approx(-0.6)
    assert sorted(d["weight"] for d in changed["baseDeliveries"]) == [0.3, 0.5]
    assert changed["otherDeliveries"] == [{"weight": 0.2, "target": {"label": "Commission"}}]


async def test_compare_scenarios_says_when_a_list_was_cut(gql: GraphQLClient) -> None:
    await _two_scenarios(gql)
    result = (await gql.data(COMPARE, {"base": "baseline", "other": "alt", "limit": 1}))[
        "compareScenarios"
    ]
    assert result["onlyInBaseCount"] == 2
    assert len(result["onlyInBase"]) == 1
    assert result["truncated"] is True


async def test_compare_scenarios_refuses_unknown_equal_and_malformed_names(
    gql: GraphQLClient, settings: Settings
) -> None:
    await _two_scenarios(gql)
    body = await gql.execute(COMPARE, {"base": "baseline", "other": "typo"})
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert "typo" in body["errors"][0]["message"]
    await gql.data(CREATE, {"input": {"name": "declared-only"}})
    empty = (await gql.data(COMPARE, {"base": "declared-only", "other": "alt"}))["compareScenarios"]
    assert empty["onlyInOtherCount"] == 3
    assert empty["onlyInBaseCount"] == 0
    assert await gql.error_code(COMPARE, {"base": "alt", "other": "alt"}) == "BAD_USER_INPUT"
    assert await gql.error_code(COMPARE, {"base": "alt", "other": "bad;name"}) == "BAD_USER_INPUT"
    too_many = settings.max_comparison_rows + 1
    assert (
        await gql.error_code(COMPARE, {"base": "baseline", "other": "alt", "limit": too_many})
        == "BAD_USER_INPUT"
    )
