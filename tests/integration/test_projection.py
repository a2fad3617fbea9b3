"""The statement of a planned root field returns only what the selection reads (issue 12)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.helpers import create_component, create_delivery
from tests.services import GraphQLClient

pytestmark = pytest.mark.integration

PAGE = """
{ components(first: 5, orderBy: {field: CREATED_AT}) { edges { cursor node {
    label
    ... on Actor { sector }
    outgoing(first: 3, orderBy: {field: WEIGHT}) { edges { cursor node {
      weight kindInfo { ceremonialTendency } target { label } } } }
} } } }"""


@pytest.fixture
def texts(app: Any, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The text of every composed statement the app runs while the test does."""
    seen: list[str] = []
    original = app.state.services.db.run_composed

    async def recording(name: str, text: str, params: dict[str, Any], *args: Any, **kw: Any) -> Any:
        seen.append(text)
        return await original(name, text, params, *args, **kw)

    monkeypatch.setattr(app.state.services.db, "run_composed", recording)
    return seen


async def test_a_page_statement_reads_only_the_selected_properties(
    gql: GraphQLClient, texts: list[str]
) -> None:
    actor = await create_component(
        gql, "ACTOR", "Utility", sector="energy", description="long text", metadata={"a": 1}
    )
    policy = await create_component(gql, "POLICY", "Levy", authority="state")
    await create_delivery(gql, actor, policy, "FUNDS", weight=0.5, description="cell")
    texts.clear()

    data = await gql.data(PAGE)

    [text] = texts
    assert ".*" not in text
    assert ".sector" in text and ".weight" in text and ".createdAt" in text
    for unselected in (".description", ".metadataJson", ".authority", ".certainty"):
        assert unselected not in text
    nodes = [e["node"] for e in data["components"]["edges"]]
    assert [n["label"] for n in nodes] == ["Utility", "Levy"]
    assert nodes[0]["sector"] == "energy"
    [edge] = nodes[0]["outgoing"]["edges"]
    assert edge["cursor"]
    assert edge["node"]["weight"] == 0.5
    assert edge["node"]["target"] == {"label": "Levy"}
    assert edge["node"]["kindInfo"]["ceremonialTendency"] >= 0


async def test_defaults_of_properties_a_node_lacks_still_apply(
    gql: GraphQLClient, neo4j_driver: Any
) -> None:
    component = await create_component(gql, "POLICY", "Levy")
    # A node written by an older release may lack a property the model defaults.
    with neo4j_driver.session() as session:
        session.run("MATCH (n:Component {label: 'Levy'}) REMOVE n.certainty").consume()
    data = await gql.data(
        "query($id: ID!) { node(id: $id) { ... on Component { certainty label } } }",
        {"id": component},
    )
    assert data["node"] == {"certainty": 1.0, "label": "Levy"}
