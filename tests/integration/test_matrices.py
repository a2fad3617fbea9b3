"""Matrices through GraphQL: cells, rows, CSV, scenario filters, versions and one round trip."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from sfm_graphql.app import create_app
from sfm_graphql.services import matrices as matrix_service
from sfm_graphql.settings import Settings
from tests.integration.helpers import create_component, create_delivery
from tests.services import GraphQLClient, StatementCounter

pytestmark = pytest.mark.integration

CREATE = """
mutation($input: CreateMatrixInput!) {
  createMatrix(input: $input) { matrix { id name scenario timeSlice version components { label } } }
}"""
UPDATE = """
mutation($input: UpdateMatrixInput!) {
  updateMatrix(input: $input) { matrix { id name version scenario timeSlice components { label } } }
}"""
CELLS = """
query($id: ID!) { matrix(id: $id) {
  cells { row column source { label } target { label } deliveries { kind weight } description }
} }"""


async def create_matrix(
    gql: GraphQLClient, name: str, component_ids: list[str], **fields: Any
) -> dict[str, Any]:
    data = await gql.data(
        CREATE, {"input": {"name": name, "componentIds": component_ids, **fields}}
    )
    matrix: dict[str, Any] = data["createMatrix"]["matrix"]
    return matrix


async def three_components(gql: GraphQLClient) -> tuple[str, str, str]:
    agency = await create_component(gql, "ACTOR", "Agency")
    commission = await create_component(gql, "INSTITUTION", "Commission")
    waste = await create_component(gql, "RESOURCE", "Waste")
    return agency, commission, waste


async def test_cells_hold_the_deliveries_between_rows_and_columns(gql: GraphQLClient) -> None:
    agency, commission, waste = await three_components(gql)
    await create_delivery(
        gql, agency, commission, "FUNDS", deliveryType="MONEY", weight=0.8, description="pays fees"
    )
    await create_delivery(
        gql, agency, commission, "GOVERNS", deliveryType="RULE", description="sets rules"
    )
    await create_delivery(gql, commission, waste, "OWNS", weight=2)
    await create_delivery(gql, agency, agency, "INFORMS", description="self-assessment")
    matrix = await create_matrix(gql, "Core", [agency, commission, waste], description="test")
    assert matrix["scenario"] == "baseline"
    assert matrix["version"] == 1
    assert [c["label"] for c in matrix["components"]] == ["Agency", "Commission", "Waste"]

    cells = (await gql.data(CELLS, {"id": matrix["id"]}))["matrix"]["cells"]
    assert [(c["row"], c["column"]) for c in cells] == [(0, 0), (0, 1), (1, 2)]
    diagonal, funded, owned = cells
    assert diagonal["source"]["label"] == diagonal["target"]["label"] == "Agency"
    assert [d["kind"] for d in funded["deliveries"]] == ["FUNDS", "GOVERNS"]
    assert funded["description"] == "pays fees; sets rules"
    assert (funded["source"]["label"], funded["target"]["label"]) == ("Agency", "Commission")
    assert owned["description"] is None  # Hayden would ask for one: the client can flag it

    everything = await gql.data(
        "query($id: ID!) { matrix(id: $id) { cells(nonEmptyOnly: false) { row }"
        " rows { component { label } cells { column deliveries { kind } } } } }",
        {"id": matrix["id"]},
    )
    assert len(everything["matrix"]["cells"]) == 9
    rows = everything["matrix"]["rows"]
    assert [r["component"]["label"] for r in rows] == ["Agency", "Commission", "Waste"]
    assert [len(c["deliveries"]) for c in rows[0]["cells"]] == [1, 2, 0]
    assert [c["column"] for c in rows[2]["cells"]] == [0, 1, 2]


async def test_csv_is_square_and_neutralises_formulas(gql: GraphQLClient) -> None:
    labels = ["=SUM(A1:A9)", "+cmd", "@import", "-minus", "Plain"]
    ids = [await create_component(gql, "ACTOR", label) for label in labels]
    await create_delivery(gql, ids[0], ids[4], "FUNDS", deliveryType="MONEY", weight=0.8)
    await create_delivery(gql, ids[0], ids[4], "GOVERNS", deliveryType="RULE", weight=1)
    await create_delivery(gql, ids[4], ids[3], "PAYS", deliveryType="MONEY", weight=-2.5)
    matrix = await create_matrix(gql, "Injection", ids)

    text = (await gql.data("query($id: ID!) { matrix(id: $id) { csv } }", {"id": matrix["id"]}))[
        "matrix"
    ]["csv"]
    table = list(csv.reader(io.StringIO(text)))
    safe = ["'=SUM(A1:A9)", "'+cmd", "'@import", "'-minus", "Plain"]
    assert table[0] == ["", *safe]
    assert [row[0] for row in table[1:]] == safe
    assert all(len(row) == 6 for row in table)
    assert table[1][5] == "FUNDS(MONEY,0.8); GOVERNS(RULE,1)"
    assert table[5][4] == "PAYS(MONEY,-2.5)"
    assert table[2][1] == ""


async def test_update_with_a_stale_version_is_a_conflict(gql: GraphQLClient) -> None:
    agency, commission, waste = await three_components(gql)
    matrix = await create_matrix(gql, "Draft", [agency, commission])
    updated = (
        await gql.data(
            UPDATE,
            {
                "input": {
                    "id": matrix["id"],
                    "version": 1,
                    "name": "Final",
                    "componentIds": [waste, agency],
                }
            },
        )
    )["updateMatrix"]["matrix"]
    assert (updated["name"], updated["version"]) == ("Final", 2)
    assert [c["label"] for c in updated["components"]] == ["Waste", "Agency"]

    stale = await gql.execute(UPDATE, {"input": {"id": matrix["id"], "version": 1, "name": "Late"}})
    assert stale["errors"][0]["extensions"]["code"] == "CONFLICT"
    assert stale["errors"][0]["extensions"]["currentVersion"] == 2

    delete = "mutation($id: ID!, $v: Int!) { deleteMatrix(id: $id, version: $v) { deletedId } }"
    assert await gql.error_code(delete, {"id": matrix["id"], "v": 1}) == "CONFLICT"
    assert (await gql.data(delete, {"id": matrix["id"], "v": 2}))["deleteMatrix"][
        "deletedId"
    ] == matrix["id"]
    assert (await gql.data("query($id: ID!) { matrix(id: $id) { id } }", {"id": matrix["id"]}))[
        "matrix"
    ] is None
    assert await gql.error_code(delete, {"id": matrix["id"], "v": 2}) == "NOT_FOUND"
    # The components outlive the matrix.
    node = await gql.data("query($id: ID!) { node(id: $id) { id } }", {"id": agency})
    assert node["node"] == {"id": agency}


async def test_update_clears_optional_fields_and_keeps_omitted_ones(gql: GraphQLClient) -> None:
    agency, commission, _ = await three_components(gql)
    matrix = await create_matrix(
        gql, "Slice", [agency, commission], scenario="carbon-tax", timeSlice="FY2025"
    )
    updated = (
        await gql.data(
            UPDATE,
            {"input": {"id": matrix["id"], "version": 1, "timeSlice": None, "scenario": None}},
        )
    )["updateMatrix"]["matrix"]
    assert (updated["name"], updated["scenario"], updated["timeSlice"]) == (
        "Slice",
        "baseline",
        None,
    )
    assert [c["label"] for c in updated["components"]] == ["Agency", "Commission"]
    body = await gql.execute(
        UPDATE, {"input": {"id": matrix["id"], "version": 2, "componentIds": None}}
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_unknown_component_ids_are_not_found(gql: GraphQLClient) -> None:
    agency, _, _ = await three_components(gql)
    await gql.data("mutation($id: ID!) { deleteComponent(id: $id) { deletedId } }", {"id": agency})
    commission = await create_component(gql, "INSTITUTION", "Other")
    body = await gql.execute(
        CREATE, {"input": {"name": "Gone", "componentIds": [commission, agency]}}
    )
    error = body["errors"][0]
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert "componentIds[1]" in error["message"]
    listed = await gql.data("{ matrices { edges { node { id } } } }")
    assert listed["matrices"]["edges"] == []


async def test_duplicate_empty_and_oversized_component_lists_are_refused(
    gql: GraphQLClient, settings: Settings
) -> None:
    agency, commission, _ = await three_components(gql)
    body = await gql.execute(
        CREATE, {"input": {"name": "Twice", "componentIds": [agency, commission, agency]}}
    )
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "componentIds[2]" in error["message"]
    assert "componentIds[0]" in error["message"]

    assert (
        await gql.error_code(CREATE, {"input": {"name": "Empty", "componentIds": []}})
        == "BAD_USER_INPUT"
    )
    too_many = [agency] * (settings.max_matrix_components + 1)
    assert (
        await gql.error_code(CREATE, {"input": {"name": "Big", "componentIds": too_many}})
        == "BAD_USER_INPUT"
    )
    # A delivery id is not a component id.
    delivery = await create_delivery(gql, agency, commission, "FUNDS")
    assert (
        await gql.error_code(CREATE, {"input": {"name": "Odd", "componentIds": [delivery]}})
        == "BAD_USER_INPUT"
    )
    assert (
        await gql.error_code(CREATE, {"input": {"name": " ", "componentIds": [agency]}})
        == "BAD_USER_INPUT"
    )


async def test_cells_show_only_the_matrix_scenario_and_time_slice(gql: GraphQLClient) -> None:
    agency, commission, _ = await three_components(gql)
    await create_delivery(gql, agency, commission, "FUNDS", timeSlice="FY1")
    await create_delivery(gql, agency, commission, "GOVERNS", timeSlice="FY2")
    await create_delivery(
        gql, agency, commission, "SUBSIDIZES", scenario="carbon-tax", timeSlice="FY1"
    )

    async def kinds(**fields: Any) -> list[str]:
        matrix = await create_matrix(gql, "Filtered", [agency, commission], **fields)
        cells = (await gql.data(CELLS, {"id": matrix["id"]}))["matrix"]["cells"]
        return [d["kind"] for c in cells for d in c["deliveries"]]

    assert await kinds() == ["FUNDS", "GOVERNS"]
    assert await kinds(timeSlice="FY1") == ["FUNDS"]
    assert await kinds(scenario="carbon-tax") == ["SUBSIDIZES"]
    assert await kinds(scenario="carbon-tax", timeSlice="FY2") == []


@asynccontextmanager
async def small_matrices_app(settings: Settings, token: str) -> AsyncIterator[Any]:
    """An app whose matrices hold at most 10 components, so the cost model's worst case of a
    deeply nested matrix selection fits the admin's limit per operation."""
    application = create_app(settings.model_copy(update={"max_matrix_components": 10}))
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://testserver",
            headers={"Authorization": f"Bearer {token}"},
        ) as http:
            yield application, GraphQLClient(http)


async def test_nested_selection_under_a_matrix_is_one_statement(
    settings: Settings, clean_graph: None, issue_token: Any
) -> None:
    async with small_matrices_app(settings, issue_token("admin", mfa=True)) as (application, gql):
        statements = StatementCounter()
        application.state.db.add_listener(statements)
        await _nested_selection_is_one_statement(gql, statements)


async def _nested_selection_is_one_statement(
    gql: GraphQLClient, statements: StatementCounter
) -> None:
    agency, commission, waste = await three_components(gql)
    await create_delivery(gql, agency, commission, "FUNDS", description="fees")
    await create_delivery(gql, commission, waste, "OWNS")
    other = await create_component(gql, "ACTOR", "Outsider")
    await create_delivery(gql, agency, other, "PAYS")  # outside the matrix, but in `outgoing`
    matrix = await create_matrix(gql, "Nested", [agency, commission, waste])
    query = """
    query($id: ID!) { matrix(id: $id) {
      name csv
      components { label outgoing(first: 5, orderBy: {field: KIND}) { totalCount edges { node { kind target { label } } } } }
      cells { description source { incoming { totalCount } } deliveries { source { label } target { label } } }
      rows { component { label } cells { target { label outgoing(first: 1) { edges { node { kind } } } } } }
    } }"""
    statements.names.clear()
    data = (await gql.data(query, {"id": matrix["id"]}))["matrix"]
    assert statements.names == ["compose/matrices_by_ids"]
    first = data["components"][0]
    assert first["outgoing"]["totalCount"] == 2
    assert [
        (e["node"]["kind"], e["node"]["target"]["label"]) for e in first["outgoing"]["edges"]
    ] == [
        ("FUNDS", "Commission"),
        ("PAYS", "Outsider"),
    ]
    assert [c["source"]["incoming"]["totalCount"] for c in data["cells"]] == [0, 1]
    assert data["cells"][0]["deliveries"][0]["target"]["label"] == "Commission"
    waste_column = data["rows"][0]["cells"][2]["target"]
    assert waste_column == {"label": "Waste", "outgoing": {"edges": []}}


async def test_matrices_are_listed_by_name_in_pages(
    gql: GraphQLClient, statements: StatementCounter
) -> None:
    agency, commission, _ = await three_components(gql)
    for name in ("Beta", "Alpha", "Gamma"):
        await create_matrix(gql, name, [agency, commission])
    page = "query($after: String) { matrices(first: 2, after: $after) { totalCount"
    page += " pageInfo { hasNextPage endCursor } edges { node { name components { label } } } } }"
    statements.names.clear()
    first = (await gql.data(page))["matrices"]
    assert statements.names == ["compose/matrices_page"]
    assert [e["node"]["name"] for e in first["edges"]] == ["Alpha", "Beta"]
    assert first["totalCount"] == 3
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["edges"][0]["node"]["components"] == [{"label": "Agency"}, {"label": "Commission"}]
    second = (await gql.data(page, {"after": first["pageInfo"]["endCursor"]}))["matrices"]
    assert [e["node"]["name"] for e in second["edges"]] == ["Gamma"]
    assert second["pageInfo"]["hasNextPage"] is False


async def test_node_resolves_a_matrix_under_its_own_type_only(gql: GraphQLClient) -> None:
    agency, commission, _ = await three_components(gql)
    matrix = await create_matrix(gql, "By node", [agency, commission])
    query = "query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Matrix { name components { label } } } }"
    found = (await gql.data(query, {"ids": [matrix["id"], agency]}))["nodes"]
    assert found[0] == {
        "id": matrix["id"],
        "name": "By node",
        "components": [{"label": "Agency"}, {"label": "Commission"}],
    }
    assert found[1] == {"id": agency}
    assert (
        await gql.error_code("query($id: ID!) { matrix(id: $id) { id } }", {"id": agency})
        == "BAD_USER_INPUT"
    )


async def test_a_deleted_component_leaves_the_matrix(gql: GraphQLClient) -> None:
    agency, commission, waste = await three_components(gql)
    matrix = await create_matrix(gql, "Shrinks", [agency, commission, waste])
    await gql.data(
        "mutation($id: ID!) { deleteComponent(id: $id) { deletedId } }", {"id": commission}
    )
    data = await gql.data(
        "query($id: ID!) { matrix(id: $id) { components { label } csv } }", {"id": matrix["id"]}
    )
    assert data["matrix"]["components"] == [{"label": "Agency"}, {"label": "Waste"}]
    assert data["matrix"]["csv"].splitlines()[0] == ",Agency,Waste"


async def test_model_matrices_are_created_once_by_external_key(
    gql: GraphQLClient, app: Any
) -> None:
    agency = await create_component(gql, "ACTOR", "Agency", externalKey="k-agency")
    await create_component(gql, "ACTOR", "Waste", externalKey="k-waste")
    entries = [
        {
            "externalKey": "m-one",
            "name": "One",
            "description": "d",
            "components": ["k-waste", "k-agency"],
        }
    ]
    db, limit = app.state.db, app.state.settings.max_matrix_components
    assert await matrix_service.ensure_matrices(db=db, matrices=entries, max_components=limit) == (
        "1 matrices (1 created, 0 already present)"
    )
    assert await matrix_service.ensure_matrices(db=db, matrices=entries, max_components=limit) == (
        "1 matrices (0 created, 1 already present)"
    )
    listed = (await gql.data("{ matrices { edges { node { name components { label } } } } }"))[
        "matrices"
    ]
    assert listed["edges"] == [
        {"node": {"name": "One", "components": [{"label": "Waste"}, {"label": "Agency"}]}}
    ]
    duplicate = {"name": "Again", "componentIds": [agency], "externalKey": "m-one"}
    assert await gql.error_code(CREATE, {"input": duplicate}) == "CONFLICT"
