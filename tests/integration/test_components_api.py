"""Components through GraphQL: typed fields, validation, optimistic concurrency, deletion."""

from __future__ import annotations

import pytest

from tests.integration.helpers import CREATE_COMPONENT, create_component, create_delivery
from tests.services import GraphQLClient

pytestmark = pytest.mark.integration

TYPE_FIELDS = {
    "ACTOR": {
        "sector": "government",
        "legalForm": "state",
        "powerResources": [{"name": "legal", "value": 0.8}],
    },
    "INSTITUTION": {"layer": "FORMAL_RULE", "legitimacyBasis": "statute", "changeResistance": 0.7},
    "POLICY": {"authority": "Congress", "enforcement": 0.6, "targetSectors": ["energy", "health"]},
    "POLICY_INSTRUMENT": {"instrumentType": "ECONOMIC", "targetBehavior": "reduce waste"},
    "RESOURCE": {"resourceType": "WASTE", "unit": "ft3"},
    "PROCESS": {"technology": "shallow land burial"},
    "VALUE_SYSTEM": {"legitimacySource": "tradition", "priorityWeight": 0.9},
    "BELIEF_SYSTEM": {"domain": "nuclear safety", "strength": 0.4},
    "TECHNOLOGY_SYSTEM": {"maturity": 7},
    "ECOLOGICAL_SYSTEM": {"ecosystemType": "aquifer"},
    "INDICATOR": {
        "valueCategory": "cost",
        "unit": "USD/ft3",
        "currentValue": 800.0,
        "targetValue": 300.0,
        "thresholds": [{"label": "alarm", "value": 1000.0}],
    },
}

READ_ALL = """
query($id: ID!) { node(id: $id) { ... on Component { label type version metadata certainty dataQuality }
  ... on Actor { sector legalForm powerResources { name value } }
  ... on Institution { layer legitimacyBasis changeResistance }
  ... on Policy { authority enforcement targetSectors }
  ... on PolicyInstrument { instrumentType targetBehavior }
  ... on Resource { resourceType unit }
  ... on Process { technology }
  ... on ValueSystem { legitimacySource priorityWeight }
  ... on BeliefSystem { domain strength }
  ... on TechnologySystem { maturity }
  ... on EcologicalSystem { ecosystemType }
  ... on Indicator { valueCategory unit currentValue targetValue thresholds { label value } } } }"""


@pytest.mark.parametrize("type_", sorted(TYPE_FIELDS))
async def test_each_type_stores_and_returns_its_own_fields(gql: GraphQLClient, type_: str) -> None:
    fields = TYPE_FIELDS[type_]
    component_id = await create_component(
        gql,
        type_,
        f"A {type_}",
        metadata={"source": "test", "n": 3},
        certainty=0.5,
        dataQuality="HIGH",
        **fields,
    )
    node = (await gql.data(READ_ALL, {"id": component_id}))["node"]
    assert node["type"] == type_
    assert node["version"] == 1
    assert node["metadata"] == {"source": "test", "n": 3}
    assert node["dataQuality"] == "HIGH"
    for name, value in fields.items():
        assert node[name] == value


async def test_fields_of_another_type_are_refused_and_nothing_is_written(
    gql: GraphQLClient,
) -> None:
    body = await gql.execute(
        CREATE_COMPONENT, {"input": {"type": "ACTOR", "label": "x", "layer": "FORMAL_RULE"}}
    )
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["fieldErrors"][0]["field"] == "layer"
    total = await gql.data("{ components { totalCount } }")
    assert total["components"]["totalCount"] == 0


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"certainty": 1.5}, "certainty"),
        ({"certainty": -0.1}, "certainty"),
        ({"label": ""}, "label"),
        ({"label": "x" * 201}, "label"),
        ({"description": "d" * 4001}, "description"),
        ({"metadata": {"big": "x" * 4000, "big2": "y" * 4000, "big3": "z" * 1000}}, "metadata"),
        ({"metadata": {"nested": {"no": 1}}}, "metadata.nested"),
        ({"externalKey": "has space"}, "externalKey"),
    ],
)
async def test_out_of_range_values_are_bad_user_input(
    gql: GraphQLClient, fields: dict, field: str
) -> None:
    payload = {"type": "ACTOR", "label": "ok", **fields}
    body = await gql.execute(CREATE_COMPONENT, {"input": payload})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert any(e["field"].startswith(field) for e in body["errors"][0]["extensions"]["fieldErrors"])


async def test_maturity_must_be_a_technology_readiness_level(gql: GraphQLClient) -> None:
    code = await gql.error_code(
        CREATE_COMPONENT, {"input": {"type": "TECHNOLOGY_SYSTEM", "label": "t", "maturity": 10}}
    )
    assert code == "BAD_USER_INPUT"


UPDATE = """
mutation($input: UpdateComponentInput!) { updateComponent(input: $input) { component { label version description } } }"""


async def test_update_bumps_the_version_and_a_stale_version_conflicts(gql: GraphQLClient) -> None:
    component_id = await create_component(gql, "POLICY", "Old", description="keep me")
    updated = await gql.data(UPDATE, {"input": {"id": component_id, "version": 1, "label": "New"}})
    assert updated["updateComponent"]["component"] == {
        "label": "New",
        "version": 2,
        "description": "keep me",
    }
    body = await gql.execute(
        UPDATE, {"input": {"id": component_id, "version": 1, "label": "Stale"}}
    )
    assert body["errors"][0]["extensions"]["code"] == "CONFLICT"
    assert body["errors"][0]["extensions"]["currentVersion"] == 2
    node = await gql.data(
        "query($id: ID!) { node(id: $id) { ... on Component { label version } } }",
        {"id": component_id},
    )
    assert node["node"] == {"label": "New", "version": 2}


async def test_update_with_null_clears_an_optional_field(gql: GraphQLClient) -> None:
    component_id = await create_component(gql, "POLICY", "P", description="gone soon")
    updated = await gql.data(
        UPDATE, {"input": {"id": component_id, "version": 1, "description": None}}
    )
    assert updated["updateComponent"]["component"]["description"] is None


async def test_update_of_an_unknown_component_is_not_found(gql: GraphQLClient) -> None:
    component_id = await create_component(gql, "POLICY", "P")
    await gql.data(
        "mutation($id: ID!) { deleteComponent(id: $id) { deletedId } }", {"id": component_id}
    )
    code = await gql.error_code(UPDATE, {"input": {"id": component_id, "version": 1, "label": "x"}})
    assert code == "NOT_FOUND"


DELETE = "mutation($id: ID!, $cascade: Boolean!) { deleteComponent(id: $id, cascade: $cascade) { deletedId deletedDeliveryIds } }"


async def test_delete_with_deliveries_is_refused_unless_cascade(gql: GraphQLClient) -> None:
    policy = await create_component(gql, "POLICY", "P")
    actor = await create_component(gql, "ACTOR", "A")
    delivery = await create_delivery(gql, policy, actor, "REGULATES", deliveryType="RULE")
    body = await gql.execute(DELETE, {"id": policy, "cascade": False})
    assert body["errors"][0]["extensions"]["code"] == "CONFLICT"
    assert "cascade" in body["errors"][0]["message"]
    assert (await gql.data("{ deliveries { totalCount } }"))["deliveries"]["totalCount"] == 1
    deleted = await gql.data(DELETE, {"id": policy, "cascade": True})
    assert deleted["deleteComponent"]["deletedDeliveryIds"] == [delivery]
    assert (await gql.data("{ deliveries { totalCount } }"))["deliveries"]["totalCount"] == 0


async def test_duplicate_external_key_is_a_conflict(gql: GraphQLClient) -> None:
    await create_component(gql, "ACTOR", "A", externalKey="ne-state")
    code = await gql.error_code(
        CREATE_COMPONENT, {"input": {"type": "ACTOR", "label": "B", "externalKey": "ne-state"}}
    )
    assert code == "CONFLICT"


INJECTIONS = [
    "'; MATCH (n) DETACH DELETE n; //",
    '") RETURN 1 //',
    "<script>alert(1)</script>",
    '{"$where": "1"}',
    "`Component`:Actor",
    '=HYPERLINK("http://x")',
]


@pytest.mark.parametrize("text", INJECTIONS)
async def test_injection_strings_are_stored_verbatim(gql: GraphQLClient, text: str) -> None:
    component_id = await create_component(gql, "ACTOR", text, description=text, sector=text)
    node = await gql.data(
        "query($id: ID!) { node(id: $id) { ... on Actor { label description sector } } }",
        {"id": component_id},
    )
    assert node["node"] == {"label": text, "description": text, "sector": text}
    found = await gql.data(
        "query($t: String!) { components(filter: {text: $t}) { totalCount } }", {"t": text}
    )
    assert found["components"]["totalCount"] == 1
