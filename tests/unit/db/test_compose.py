"""The composer places only enum-derived names in Cypher text; every value is a parameter."""

from sfm_graphql.db import compose
from sfm_graphql.db.plan import (
    ComponentFilter,
    ComponentPlan,
    ConnectionPlan,
    Cursor,
    DeliveryFilter,
    DeliveryPlan,
    Page,
)
from sfm_graphql.domain.enums import ComponentType
from sfm_graphql.domain.kinds import DeliveryKind

EVIL = "x') DETACH DELETE n //"


def test_user_strings_never_reach_the_query_text() -> None:
    f = ComponentFilter(text=EVIL, sector=EVIL, deliveries=DeliveryFilter(scenario=EVIL))
    page = Page(size=5, sort="label", cursor=Cursor(value=EVIL, id=EVIL))
    q = compose.components_page(ComponentPlan(), f, page, total=True)
    assert EVIL not in q.text
    assert EVIL in q.params.values()
    assert EVIL.lower() in q.params.values()


def test_type_filters_become_enum_labels() -> None:
    q = compose.components_page(
        ComponentPlan(),
        ComponentFilter(types=(ComponentType.POLICY, ComponentType.VALUE_SYSTEM)),
        Page(size=3),
        total=False,
    )
    assert "n:Policy|ValueSystem" in q.text


def test_total_is_counted_only_when_asked() -> None:
    without = compose.components_page(ComponentPlan(), ComponentFilter(), Page(size=3), total=False)
    with_total = compose.components_page(
        ComponentPlan(), ComponentFilter(), Page(size=3), total=True
    )
    assert "count(" not in without.text
    assert "count(n) AS total" in with_total.text


def test_nested_connections_compose_into_the_same_statement() -> None:
    inner = ComponentPlan()
    plan = ComponentPlan(
        connections={
            "outgoing": ConnectionPlan(
                direction="OUTGOING",
                page=Page(size=2, sort="createdAt"),
                filter=DeliveryFilter(kinds=(DeliveryKind.FUNDS,)),
                total=True,
                delivery=DeliveryPlan(target=inner),
            )
        }
    )
    q = compose.components_page(plan, ComponentFilter(), Page(size=3), total=False)
    assert q.text.count("COLLECT {") == 1
    assert "COUNT {" in q.text
    assert ["FUNDS"] in q.params.values()


def test_descending_backward_pages_read_in_ascending_order() -> None:
    q = compose.components_page(
        ComponentPlan(),
        ComponentFilter(),
        Page(size=3, sort="label", descending=True, backward=True, cursor=Cursor("m", "id")),
        total=False,
    )
    assert "ORDER BY n.label, n.id" in q.text
    assert "n.label > $" in q.text
