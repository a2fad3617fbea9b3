"""The GraphiQL examples and the JS client corpus are valid against the committed schema."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from graphql import (
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    build_schema,
    parse,
    validate,
)
from graphql.execution.values import get_variable_values

from sfm_graphql.http.graphiql import graphiql_html
from sfm_graphql.http.graphiql_examples import (
    ANALYSIS_QUERY,
    EXAMPLES,
    HEADERS_TEMPLATE,
    TOKEN_PLACEHOLDER,
    Example,
)
from tests.paths import ROOT

SCHEMA = build_schema((ROOT / "schema" / "schema.graphql").read_text(encoding="utf-8"))
CORPUS = sorted((ROOT / "tests" / "e2e" / "clients" / "operations").glob("*.graphql"))


def _only_operation(text: str, schema: GraphQLSchema) -> OperationDefinitionNode:
    document = parse(text)
    errors = validate(schema, document)
    assert not errors, [e.message for e in errors]
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    assert len(operations) == 1
    return operations[0]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.name)
def test_each_example_is_a_valid_named_operation_with_valid_variables(example: Example) -> None:
    operation = _only_operation(example.query, SCHEMA)
    assert operation.name is not None and operation.name.value == example.name
    coerced = get_variable_values(SCHEMA, operation.variable_definitions, example.variables)
    # A list of errors when the variables do not fit their definitions.
    assert not isinstance(coerced, list), [e.message for e in coerced]
    # Every argument of the example is a variable, as a frontend writes it (except orderBy).
    assert operation.variable_definitions


def test_the_examples_cover_a_page_a_search_a_neighbourhood_a_mutation_and_a_job() -> None:
    roots = {
        _only_operation(e.query, SCHEMA).selection_set.selections[0].name.value  # type: ignore[attr-defined]
        for e in EXAMPLES
    }
    assert roots == {
        "components",
        "search",
        "neighborhood",
        "createComponent",
        "startAnalysis",
        "analysisProgress",
    }
    assert "outgoing(first: $deliveries)" in EXAMPLES[0].query


class _Root(HTMLParser):
    """The data attributes of the #graphiql element."""

    attrs: dict[str, str | None]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if dict(attrs).get("id") == "graphiql":
            self.attrs = dict(attrs)


def test_the_page_carries_the_tabs_and_the_header_template_in_data_attributes() -> None:
    parser = _Root()
    parser.feed(graphiql_html())
    tabs = json.loads(parser.attrs["data-tabs"] or "")
    assert [tab["query"] for tab in tabs] == [e.query for e in EXAMPLES]
    assert [json.loads(tab["variables"]) for tab in tabs] == [e.variables for e in EXAMPLES]
    assert {tab["headers"] for tab in tabs} == {HEADERS_TEMPLATE}
    assert json.loads(HEADERS_TEMPLATE) == {"Authorization": f"Bearer {TOKEN_PLACEHOLDER}"}
    assert parser.attrs["data-token-placeholder"] == TOKEN_PLACEHOLDER


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_each_client_corpus_operation_is_valid_and_named_after_its_file(path: Path) -> None:
    operation = _only_operation(path.read_text(encoding="utf-8"), SCHEMA)
    assert operation.name is not None and operation.name.value == path.stem


def test_the_job_examples_start_an_analytics_query_and_subscribe_to_its_progress() -> None:
    start, progress = (
        next(e for e in EXAMPLES if e.name == name)
        for name in ("StartAnalysis", "AnalysisProgress")
    )
    assert start.variables == {"input": {"query": ANALYSIS_QUERY}}
    analysis = _only_operation(ANALYSIS_QUERY, SCHEMA)
    assert analysis.operation is OperationType.QUERY
    assert analysis.selection_set.selections[0].name.value == "centrality"  # type: ignore[attr-defined]
    assert _only_operation(progress.query, SCHEMA).operation is OperationType.SUBSCRIPTION
    # The progress tab follows the one that starts the job.
    assert EXAMPLES.index(progress) == EXAMPLES.index(start) + 1
