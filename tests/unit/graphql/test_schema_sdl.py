from sfm_graphql.graphql.schema import export_sdl
from tests.paths import ROOT

SDL = ROOT / "schema" / "schema.graphql"


def test_committed_sdl_matches_the_code() -> None:
    assert SDL.read_text(encoding="utf-8") == export_sdl(), (
        "run `make schema` and commit the result"
    )


def test_contract_names_are_in_the_schema() -> None:
    sdl = export_sdl()
    for name in (
        "interface Component",
        "interface Node",
        "type Delivery",
        "enum ComponentType",
        "enum DeliveryKind",
        "node(id: ID!)",
        "nodes(ids: [ID!]!)",
        "components(",
        "deliveries(",
        "search(",
        "neighborhood(",
        "createComponent(",
        "updateComponent(",
        "deleteComponent(",
        "createDelivery(",
        "updateDelivery(",
        "deleteDelivery(",
    ):
        assert name in sdl, name
