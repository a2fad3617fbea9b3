"""Statements return the properties the selection reads plus what hydration needs, never `{.*}`
for a planned selection; property names come from the domain models only."""

import pytest

from sfm_graphql.db import compose_graph
from sfm_graphql.db.plan import (
    ComponentFilter,
    ComponentPlan,
    ConnectionPlan,
    DeliveryFilter,
    DeliveryPlan,
    Page,
)


def _plan(*fields: str, **connections: ConnectionPlan) -> ComponentPlan:
    return ComponentPlan(connections=connections, fields=frozenset(fields))


def test_a_component_returns_the_selected_properties_and_what_hydration_needs() -> None:
    q = compose_graph.components_by_ids(_plan("sector", "certainty"), ["a"])
    assert "n {.certainty, .id, .label, .sector, .version, __labels: labels(n)}" in q.text
    assert ".*" not in q.text


def test_json_text_properties_are_read_only_when_their_field_is_selected() -> None:
    without = compose_graph.components_by_ids(_plan("label"), ["a"])
    with_metadata = compose_graph.components_by_ids(_plan("metadata", "thresholds"), ["a"])
    assert "Json" not in without.text
    assert ".metadataJson" in with_metadata.text and ".thresholdsJson" in with_metadata.text


def test_a_page_also_returns_its_sort_key_for_the_cursors() -> None:
    outgoing = ConnectionPlan(
        direction="OUTGOING",
        page=Page(size=2, sort="weight"),
        filter=DeliveryFilter(),
        total=False,
        delivery=DeliveryPlan(target=_plan(), fields=frozenset({"description"})),
    )
    q = compose_graph.components_page(
        _plan(outgoing=outgoing), ComponentFilter(), Page(size=3, sort="createdAt"), total=False
    )
    assert "n {.createdAt, .id, .label, .version, __labels: labels(n)" in q.text
    assert "{.description, .id, .kind, .version, .weight}" in q.text
    assert ".*" not in q.text


def test_a_plan_without_fields_still_returns_every_property() -> None:
    q = compose_graph.deliveries_by_ids(DeliveryPlan(source=ComponentPlan()), ["d"])
    assert "d: d {.*}" in q.text and "s: s {.*, __labels: labels(s)}" in q.text


def test_a_name_that_is_no_property_of_the_domain_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown properties"):
        compose_graph.components_by_ids(_plan("label} RETURN 1 //"), ["a"])
    with pytest.raises(ValueError, match="unknown properties"):
        compose_graph.deliveries_by_ids(DeliveryPlan(fields=frozenset({"outgoing"})), ["d"])


def test_a_nested_page_returns_its_sort_key_only_when_a_cursor_is_selected() -> None:
    def statement(cursors: bool) -> str:
        outgoing = ConnectionPlan(
            direction="OUTGOING",
            page=Page(size=5, sort="createdAt"),
            filter=DeliveryFilter(),
            total=False,
            delivery=DeliveryPlan(target=_plan(), fields=frozenset({"kind"})),
            cursors=cursors,
        )
        return compose_graph.components_page(
            _plan(outgoing=outgoing), ComponentFilter(), Page(size=3, sort="label"), total=False
        ).text

    without, with_cursors = statement(False), statement(True)
    assert "{.id, .kind, .version}" in without
    assert "{.createdAt, .id, .kind, .version}" in with_cursors
    # The page is still ordered by its key either way; only the returned map differs.
    assert "ORDER BY d2.createdAt" in without and "ORDER BY d2.createdAt" in with_cursors
