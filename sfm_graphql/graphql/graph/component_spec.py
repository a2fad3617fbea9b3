"""Strawberry fields generated from the domain models, the one source of component fields.

`domain/models.py` declares each component type's fields once (`FIELDS_BY_TYPE`); the output
types (`types/graph.py`) and the flat input (`types/mutations.py`) are built from those
declarations here, so a field added to a model appears in both without another edit.

How a model field becomes a GraphQL field:
- the name is the model's (camelCase), the Python attribute its snake_case;
- the type follows the annotation: `str`/`int`/`float`/enums as themselves, `dict` as `JSON`,
  `list[X]` as `[X!]`, a nested model as a generated object (output) or `...Input` (input);
- output: nullable when the annotation admits None; the description is the field's
  `description`;
- input: always nullable and unset by default (only the fields given are applied); a field of
  one or a few types is described by those types' names, then its `title` and its numeric range
  (`ge`/`le`), e.g. "POLICY, 0..1" or "TECHNOLOGY_SYSTEM, TRL 1..9". Required fields (`label`)
  are declared by each input, since create needs them and update does not.
"""

from __future__ import annotations

import enum
import inspect
import types
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from typing import Annotated, Any, NamedTuple, TypeVar, Union, get_args, get_origin

import strawberry
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from strawberry.scalars import JSON

from sfm_graphql.domain.enums import ComponentType
from sfm_graphql.domain.models import CommonFields
from sfm_graphql.graphql.core import enums  # noqa: F401 (registers the domain enums)

T = TypeVar("T")
UNSET: Any = strawberry.UNSET
_SCALARS = (str, int, float, bool)


class GeneratedField(NamedTuple):
    """One dataclass field to add to a Strawberry class: attribute name, annotation, default."""

    attribute: str
    annotation: Any
    default: Any


def python_name(name: str) -> str:
    """The snake_case attribute whose GraphQL name (Strawberry's camelCase) is `name`."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def _unwrap(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _without_none(annotation: Any) -> tuple[Any, bool]:
    """The annotation without `| None`, and whether None was admitted."""
    annotation = _unwrap(annotation)
    if get_origin(annotation) in (Union, types.UnionType):
        args = get_args(annotation)
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1 and len(rest) < len(args):
            return rest[0], True
    return annotation, False


@cache
def nested_type(model: type[BaseModel], *, as_input: bool) -> type:
    """The Strawberry object (or input) of a nested model, built once per model."""
    name = model.__name__ + ("Input" if as_input else "")
    cls = types.new_class(name)
    cls.__module__ = __name__
    fields = [_field(n, f, as_input=as_input) for n, f in model.model_fields.items()]
    with_fields(fields)(cls)
    return strawberry.input(cls) if as_input else strawberry.type(cls)


def graphql_base(annotation: Any, *, as_input: bool) -> Any:
    """The Python type Strawberry maps to the GraphQL type of `annotation` (None excluded)."""
    annotation = _unwrap(annotation)
    origin = get_origin(annotation)
    if origin is list:
        (item,) = get_args(annotation)
        return types.GenericAlias(list, (graphql_base(item, as_input=as_input),))
    if origin is dict:
        return JSON
    if _is_model(annotation):
        return nested_type(annotation, as_input=as_input)
    if isinstance(annotation, type) and issubclass(annotation, (enum.Enum, *_SCALARS)):
        return annotation
    raise TypeError(f"no GraphQL type for the model annotation {annotation!r}")


def _field(name: str, field: FieldInfo, *, as_input: bool = False) -> GeneratedField:
    base, nullable = _without_none(field.annotation)
    annotation = graphql_base(base, as_input=as_input)
    if nullable:
        default = strawberry.field(default=None, description=field.description)
        return GeneratedField(python_name(name), annotation | None, default)
    return GeneratedField(
        python_name(name), annotation, strawberry.field(description=field.description)
    )


def output_fields(model_fields: Iterable[tuple[str, FieldInfo]]) -> list[GeneratedField]:
    """The output fields of model fields, in their order."""
    return [_field(name, field) for name, field in model_fields]


def _range(field: FieldInfo) -> str | None:
    """`low..high` from the field's `ge`/`le` constraints, on the field or its annotation."""
    base = _without_none(field.annotation)[0] if field.annotation is not None else None
    constraints: list[Any] = list(field.metadata)
    while get_origin(base) is Annotated:
        for item in get_args(base)[1:]:
            constraints.extend(item.metadata if isinstance(item, FieldInfo) else [item])
        base = get_args(base)[0]
    # pydantic keeps `ge`/`le` as annotated-types' Ge and Le, each with the one attribute.
    low = next((c.ge for c in constraints if getattr(c, "ge", None) is not None), None)
    high = next((c.le for c in constraints if getattr(c, "le", None) is not None), None)
    if low is None or high is None:
        return None
    return f"{low:g}..{high:g}"


def _input_description(owners: list[ComponentType], field: FieldInfo) -> str:
    hint = " ".join(part for part in (field.title, _range(field)) if part)
    names = " or ".join(t.value for t in owners)
    return f"{names}, {hint}" if hint else names


def input_fields(
    fields_by_type: Mapping[ComponentType, type[CommonFields]],
) -> list[GeneratedField]:
    """The optional fields of every component type as one flat input, common fields first."""
    owners: dict[str, list[ComponentType]] = {}
    found: dict[str, FieldInfo] = dict(CommonFields.model_fields)
    for component_type, model in fields_by_type.items():
        for name, field in model.model_fields.items():
            if name not in CommonFields.model_fields:
                owners.setdefault(name, []).append(component_type)
                found.setdefault(name, field)
    out = []
    for name, field in found.items():
        if field.is_required():
            continue
        base = graphql_base(_without_none(field.annotation)[0], as_input=True)
        description = _input_description(owners[name], field) if name in owners else None
        default = strawberry.field(default=UNSET, description=description)
        out.append(GeneratedField(python_name(name), base | None, default))
    return out


def with_fields(
    fields: Iterable[GeneratedField], *, after: str | None = None
) -> Callable[[type[T]], type[T]]:
    """A class decorator (under Strawberry's) adding `fields` after the attribute `after`.

    A field the class declares itself (a resolver, say) keeps its declaration and takes the
    generated field's place in the order.
    """

    def apply(cls: type[T]) -> type[T]:
        own: dict[str, Any] = inspect.get_annotations(cls)
        generated: dict[str, Any] = {}
        for item in fields:
            if item.attribute in own:
                generated[item.attribute] = own.pop(item.attribute)
            else:
                generated[item.attribute] = item.annotation
                setattr(cls, item.attribute, item.default)
        names = list(own)
        at = names.index(after) + 1 if after is not None else 0
        ordered = {n: own[n] for n in names[:at]} | generated | {n: own[n] for n in names[at:]}
        cls.__annotations__ = ordered
        return cls

    return apply


def build_object(name: str, base: type, fields: Iterable[GeneratedField]) -> type:
    """A Strawberry object type `name` implementing `base` with the given fields."""
    cls = types.new_class(name, (base,))
    cls.__module__ = base.__module__
    return strawberry.type(with_fields(fields)(cls))


def value_reader(field: FieldInfo) -> Callable[[Any], Any]:
    """Turns a stored (decoded) value of `field` into the output value; None is the default."""
    base = _unwrap(_without_none(field.annotation)[0])
    default = None if field.is_required() else field.default
    if get_origin(base) is list and _is_model(item := _unwrap(get_args(base)[0])):
        cls = nested_type(item, as_input=False)
        return lambda v: default if v is None else [cls(**_attributes(i)) for i in v]
    if isinstance(base, type) and issubclass(base, enum.Enum):
        return lambda v: default if v is None else base(v)
    return lambda v: default if v is None else v


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _attributes(values: dict[str, Any]) -> dict[str, Any]:
    return {python_name(k): v for k, v in values.items()}


def specific_fields(model: type[CommonFields]) -> list[tuple[str, FieldInfo]]:
    """A component model's own fields, those beyond the common ones."""
    return [(n, f) for n, f in model.model_fields.items() if n not in CommonFields.model_fields]
