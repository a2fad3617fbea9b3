"""Export the whole graph (or one scenario's deliveries) as JSON, CSV or GraphML.

The records use the field names of the bulk import input, so a JSON export can be imported
again: a component carries its externalKey (its id when it has none) and a delivery carries the
keys of its endpoints the same way. System fields (`id`, `createdAt`, `updatedAt`, `version`)
come last; an importer drops them.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import networkx as nx
from pydantic import TypeAdapter, ValidationError

from sfm_graphql.db.database import Database
from sfm_graphql.domain.enums import ComponentType, ExportFormat
from sfm_graphql.domain.models import FIELDS_BY_TYPE, DeliveryFields, Dimension, from_properties
from sfm_graphql.errors import BadUserInput, LimitExceeded
from sfm_graphql.security.personal_data import mask_personal
from sfm_graphql.services.export_writers import (
    SYSTEM_FIELDS,
    CsvWriter,
    ExportWriter,
    JsonWriter,
    Record,
    json_default,
)
from sfm_graphql.settings import Settings

MEDIA_TYPES = {
    ExportFormat.JSON: "application/json",
    ExportFormat.CSV: "text/csv",
    ExportFormat.GRAPHML: "application/graphml+xml",
}
EXTENSIONS = {ExportFormat.JSON: "json", ExportFormat.CSV: "csv", ExportFormat.GRAPHML: "graphml"}
_DELIVERY_FIELDS = tuple(f for f in DeliveryFields.model_fields if f not in {"kind", "externalKey"})
_SCENARIO = TypeAdapter(Dimension)
_FILENAME_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
# Characters XML 1.0 cannot carry at all; GraphML readers reject a document holding one.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True, slots=True)
class ExportDocument:
    format: ExportFormat
    media_type: str
    filename: str
    content: str
    component_count: int
    delivery_count: int


# -- records ---------------------------------------------------------------------------------------


def _system(values: dict[str, Any]) -> Record:
    return {name: values.get(name) for name in SYSTEM_FIELDS}


def component_record(labels: list[str], props: dict[str, Any]) -> Record:
    """A stored component as a bulk-import row plus its system fields."""
    component_type = ComponentType.from_labels(labels)
    values = from_properties(props)
    record: Record = {
        "externalKey": values.get("externalKey") or values["id"],
        "type": component_type.value,
    }
    for name in FIELDS_BY_TYPE[component_type].model_fields:
        if name != "externalKey" and values.get(name) is not None:
            record[name] = values[name]
    return record | _system(values)


def delivery_record(props: dict[str, Any], source_key: str, target_key: str) -> Record:
    """A stored delivery as a bulk-import row plus its system fields."""
    values = from_properties(props)
    record: Record = {
        "externalKey": values.get("externalKey") or values["id"],
        "sourceKey": source_key,
        "targetKey": target_key,
        "kind": values["kind"],
    }
    for name in _DELIVERY_FIELDS:
        if values.get(name) is not None:
            record[name] = values[name]
    return record | _system(values)


# -- formats -----------------------------------------------------------------------------------


def _render(
    writer: type[JsonWriter | CsvWriter], components: list[Record], deliveries: list[Record]
) -> str:
    out = io.StringIO()
    rendering: ExportWriter = writer(out)
    rendering.components(components)
    rendering.deliveries(deliveries)
    rendering.close()
    return out.getvalue()


def render_json(components: list[Record], deliveries: list[Record]) -> str:
    return _render(JsonWriter, components, deliveries)


def render_csv(components: list[Record], deliveries: list[Record]) -> str:
    """One table: a `record` column, then every field a record can have (export_writers.py)."""
    return _render(CsvWriter, components, deliveries)


def graphml_value(value: Any) -> str | int | float | bool | None:
    """A value GraphML can type: scalars as they are, nested values as JSON text."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, list | tuple | dict):
        value = json.dumps(value, ensure_ascii=False, default=json_default)
    return _XML_INVALID.sub("\ufffd", str(value))


def _attributes(record: Record, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    converted = {k: graphml_value(v) for k, v in record.items() if k not in skip}
    return {k: v for k, v in converted.items() if v is not None}


def to_graph(
    components: list[Record], deliveries: list[Record], source_ids: list[str], target_ids: list[str]
) -> nx.MultiDiGraph[str]:
    """The export as a NetworkX multigraph: nodes and edge keys are the stored ids."""
    graph: nx.MultiDiGraph[str] = nx.MultiDiGraph()
    for record in components:
        graph.add_node(record["id"], **_attributes(record))
    for record, source, target in zip(deliveries, source_ids, target_ids, strict=True):
        graph.add_edge(source, target, key=record["id"], **_attributes(record))
    return graph


def render_graphml(graph: nx.MultiDiGraph[str]) -> str:
    buffer = io.BytesIO()
    # Numeric inference gives one GraphML key per attribute even where ints and floats mix.
    nx.write_graphml(graph, buffer, encoding="utf-8", infer_numeric_types=True)
    return buffer.getvalue().decode("utf-8")


# -- service -----------------------------------------------------------------------------------


def check_scenario(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return _SCENARIO.validate_python(value)
    except ValidationError:
        raise BadUserInput(
            "scenario must be 1 to 64 letters, digits, spaces or _ . : - /", field="scenario"
        ) from None


def filename(export_format: ExportFormat, scenario: str | None) -> str:
    stem = "sfm-graph" if scenario is None else f"sfm-graph-{_FILENAME_UNSAFE.sub('_', scenario)}"
    return f"{stem}.{EXTENSIONS[export_format]}"


def _too_many(count: int, limit: int) -> LimitExceeded:
    return LimitExceeded(
        f"The export would hold {count} deliveries; at most {limit} are exported at once. "
        "Export one scenario at a time.",
        limit=limit,
    )


async def export_graph(
    *,
    db: Database,
    settings: Settings,
    export_format: ExportFormat,
    scenario: str | None,
    mask_personal_data: bool = False,
) -> ExportDocument:
    """All components and the deliveries (of `scenario`, when given) in `export_format`; with
    `mask_personal_data`, actors' personal fields read as the placeholder (personal_data.py)."""
    scenario = check_scenario(scenario)
    limit = settings.max_export_deliveries
    count = (await db.read("export/count_deliveries", scenario=scenario))[0]["count"]
    if count > limit:
        raise _too_many(count, limit)
    row = (await db.read("export/graph", scenario=scenario, limit=limit + 1))[0]
    if len(row["deliveries"]) > limit:  # grew since the count
        raise _too_many(len(row["deliveries"]), limit)
    components = [component_record(c["labels"], c["props"]) for c in row["components"]]
    if mask_personal_data:
        for record in components:
            if record["type"] == ComponentType.ACTOR.value and record.get("metadata"):
                record["metadata"] = mask_personal(record["metadata"], settings.personal_fields)
    deliveries = [
        delivery_record(d["props"], d["sourceKey"], d["targetKey"]) for d in row["deliveries"]
    ]
    renderers: dict[ExportFormat, Callable[[], str]] = {
        ExportFormat.JSON: lambda: render_json(components, deliveries),
        ExportFormat.CSV: lambda: render_csv(components, deliveries),
        ExportFormat.GRAPHML: lambda: render_graphml(
            to_graph(
                components,
                deliveries,
                [d["sourceId"] for d in row["deliveries"]],
                [d["targetId"] for d in row["deliveries"]],
            )
        ),
    }
    return ExportDocument(
        format=export_format,
        media_type=MEDIA_TYPES[export_format],
        filename=filename(export_format, scenario),
        content=renderers[export_format](),
        component_count=len(components),
        delivery_count=len(deliveries),
    )
