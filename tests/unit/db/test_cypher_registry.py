import pytest

from sfm_graphql.db.cypher_registry import CypherParameterError, CypherRegistry, parse_query
from tests.paths import ROOT


def test_parameters_are_read_from_code_not_comments_or_strings() -> None:
    query = parse_query(
        "x",
        "// mentions $ghost\n// access: read\nMATCH (n {id: $id}) WHERE n.note = '$notParam' RETURN n",
    )
    assert query.params == frozenset({"id"})
    assert query.access == "read"


def test_a_call_with_missing_or_extra_parameters_is_refused() -> None:
    query = parse_query("x", "// access: read\nMATCH (n {id: $id}) RETURN n")
    with pytest.raises(CypherParameterError, match="missing parameters \\['id'\\]"):
        query.check({})
    with pytest.raises(CypherParameterError, match="unexpected \\['other'\\]"):
        query.check({"id": 1, "other": 2})
    query.check({"id": 1})


def test_a_query_without_an_access_header_is_refused() -> None:
    with pytest.raises(ValueError, match="access"):
        parse_query("x", "MATCH (n) RETURN n")


def test_every_project_query_loads_with_a_header() -> None:
    registry = CypherRegistry.load()
    assert "components/create" in registry.names()
    root = ROOT / "cypher"
    for name in registry.names():
        text = (root / f"{name}.cypher").read_text()
        assert text.startswith("//"), f"{name} lacks a header comment"


def test_unknown_query_names_fail_loudly() -> None:
    with pytest.raises(KeyError, match="no Cypher query named"):
        CypherRegistry.load().get("nope/never")
