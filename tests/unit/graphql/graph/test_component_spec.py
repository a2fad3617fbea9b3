"""The domain models, the GraphQL component types and the component input agree field by field.

The expected GraphQL type of a model field is worked out here from the pydantic annotation,
independently of the factory in `graphql/graph/component_spec.py`.
"""

from __future__ import annotations

import datetime as dt
import enum
import types
from typing import Annotated, Any, Union, get_args, get_origin

import graphql
import pytest
import strawberry
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from sfm_graphql.domain.enums import ComponentType, DataQuality, ResourceType
from sfm_graphql.domain.models import (
    FIELDS_BY_TYPE,
    CommonFields,
    PolicyFields,
    PowerResource,
    Unit,
)
from sfm_graphql.graphql.graph.component_spec import (
    build_object,
    input_fields,
    output_fields,
    specific_fields,
    with_fields,
)
from sfm_graphql.graphql.graph.types import (
    COMPONENT_CLASSES,
    Component,
    component_from_props,
)
from sfm_graphql.graphql.schema import export_sdl

SCALARS = {str: "String", int: "Int", float: "Float", bool: "Boolean"}
# Fields of the output types that are not model fields (identity, bookkeeping, connections).
NOT_MODEL_OUTPUT = {
    "id",
    "uuid",
    "type",
    "createdAt",
    "updatedAt",
    "version",
    "outgoing",
    "incoming",
}
COMPONENT_INPUTS = ("CreateComponentInput", "UpdateComponentInput", "BulkComponentInput")
SCHEMA = graphql.build_schema(export_sdl())


def _strip(annotation: Any) -> tuple[Any, bool]:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) in (Union, types.UnionType):
        rest = [a for a in get_args(annotation) if a is not type(None)]
        if len(rest) == 1:
            return _strip(rest[0])[0], True
    return annotation, False


def _render(annotation: Any, *, as_input: bool) -> str:
    annotation = _strip(annotation)[0]
    if get_origin(annotation) is list:
        return f"[{_render(get_args(annotation)[0], as_input=as_input)}!]"
    if get_origin(annotation) is dict:
        return "JSON"
    if issubclass(annotation, BaseModel):
        return annotation.__name__ + ("Input" if as_input else "")
    if issubclass(annotation, enum.Enum):
        return annotation.__name__
    return SCALARS[annotation]


def expected_output(field: FieldInfo) -> str:
    nullable = _strip(field.annotation)[1]
    return _render(field.annotation, as_input=False) + ("" if nullable else "!")


def expected_input(field: FieldInfo) -> str:
    return _render(field.annotation, as_input=True)


def _fields(name: str) -> dict[str, Any]:
    found = SCHEMA.get_type(name)
    assert isinstance(
        found,
        graphql.GraphQLObjectType | graphql.GraphQLInterfaceType | graphql.GraphQLInputObjectType,
    )
    return dict(found.fields)


@pytest.mark.parametrize("component_type", list(ComponentType), ids=lambda t: t.label)
def test_every_model_field_is_an_output_field_of_the_same_type(
    component_type: ComponentType,
) -> None:
    model = FIELDS_BY_TYPE[component_type]
    fields = _fields(component_type.label)
    for name, field in model.model_fields.items():
        assert name in fields, f"{component_type.label}.{name} is missing"
        assert str(fields[name].type) == expected_output(field), f"{component_type.label}.{name}"
    extra = set(fields) - set(model.model_fields) - NOT_MODEL_OUTPUT
    assert not extra, f"{component_type.label} has fields no model declares: {extra}"


def test_the_interface_carries_the_common_fields() -> None:
    fields = _fields("Component")
    for name, field in CommonFields.model_fields.items():
        assert str(fields[name].type) == expected_output(field), name
    assert set(fields) == set(CommonFields.model_fields) | NOT_MODEL_OUTPUT


@pytest.mark.parametrize("input_name", COMPONENT_INPUTS)
def test_every_model_field_is_an_input_field_of_the_same_type(input_name: str) -> None:
    fields = _fields(input_name)
    all_model_fields = {
        name: field
        for model in FIELDS_BY_TYPE.values()
        for name, field in model.model_fields.items()
    }
    for name, field in all_model_fields.items():
        assert name in fields, f"{input_name}.{name} is missing"
        assert str(graphql.get_nullable_type(fields[name].type)) == expected_input(field), name
    assert set(fields) - set(all_model_fields) <= {"type", "id", "version"}


def test_optional_model_fields_are_optional_inputs_and_label_is_required_on_create() -> None:
    create, update = _fields("CreateComponentInput"), _fields("UpdateComponentInput")
    for model in FIELDS_BY_TYPE.values():
        for name, field in model.model_fields.items():
            assert str(update[name].type) == expected_input(field), name
            if not field.is_required():
                assert str(create[name].type) == expected_input(field), name
    assert str(create["label"].type) == "String!"


def test_input_descriptions_name_the_types_a_field_belongs_to() -> None:
    fields = _fields("CreateComponentInput")
    assert fields["unit"].description == "RESOURCE or INDICATOR"
    assert fields["enforcement"].description == "POLICY, 0..1"
    assert fields["maturity"].description == "TECHNOLOGY_SYSTEM, TRL 1..9"
    assert fields["certainty"].description is None


class PolicyWithBudget(PolicyFields):
    budget: Unit | None = None
    sponsors: list[PowerResource] | None = None


def test_a_field_added_to_a_model_appears_in_the_output_and_the_input() -> None:
    derived = {**FIELDS_BY_TYPE, ComponentType.POLICY: PolicyWithBudget}
    policy = build_object("Policy", Component, output_fields(specific_fields(PolicyWithBudget)))
    fields_input = strawberry.input(with_fields(input_fields(derived))(types.new_class("PolicyIn")))

    def component(fields: Any) -> Component | None:
        return None

    # Run-time annotations: the input class exists only in this test.
    component.__annotations__ = {"fields": fields_input, "return": Component | None}
    query = strawberry.type(
        types.new_class(
            "Query", exec_body=lambda ns: ns.update(component=strawberry.field(resolver=component))
        )
    )

    others = [c for t, c in COMPONENT_CLASSES.items() if t is not ComponentType.POLICY]
    built = graphql.build_schema(strawberry.Schema(query=query, types=[policy, *others]).as_str())
    output = built.get_type("Policy")
    given = built.get_type("PolicyIn")
    assert isinstance(output, graphql.GraphQLObjectType)
    assert isinstance(given, graphql.GraphQLInputObjectType)
    assert str(output.fields["budget"].type) == "Float"
    assert str(output.fields["sponsors"].type) == "[PowerResource!]"
    assert str(given.fields["budget"].type) == "Float"
    assert given.fields["budget"].description == "POLICY, 0..1"
    assert str(given.fields["sponsors"].type) == "[PowerResourceInput!]"
    # The other fields keep their place: the new ones follow the type's own fields.
    assert list(output.fields)[-3:] == ["targetSectors", "budget", "sponsors"]


def test_stored_properties_become_typed_output_values() -> None:
    now = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
    props = {
        "__labels": ["Component", "Actor"],
        "id": "7f1c1a55-0000-4000-8000-000000000001",
        "label": "Ministry",
        "certainty": None,
        "metadata": {"note": "x"},
        "powerResources": [{"name": "budget", "value": 0.5}],
        "createdAt": now,
        "updatedAt": now,
        "version": 3,
    }
    actor = component_from_props(props, {})
    assert type(actor).__name__ == "Actor"
    assert actor.label == "Ministry"  # type: ignore[attr-defined] (a generated field)
    assert actor.certainty == 1.0  # type: ignore[attr-defined]
    assert actor.data_quality is DataQuality.UNKNOWN  # type: ignore[attr-defined]
    assert actor.stored_metadata == {"note": "x"}
    (power,) = actor.power_resources  # type: ignore[attr-defined]
    assert (power.name, power.value) == ("budget", 0.5)
    resource = component_from_props(
        {**props, "__labels": ["Resource"], "resourceType": "NATURAL"}, {}
    )
    assert resource.resource_type is ResourceType.NATURAL  # type: ignore[attr-defined]
