"""Export records and formats from stored properties, without a database."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import networkx as nx

from sfm_graphql.domain.enums import ExportFormat
from sfm_graphql.services.export import (
    component_record,
    delivery_record,
    filename,
    graphml_value,
    render_csv,
    render_graphml,
    render_json,
    to_graph,
)

CREATED = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
SYSTEM = {"createdAt": CREATED, "updatedAt": CREATED, "version": 2}


def actor() -> dict[str, object]:
    return component_record(
        ["Component", "Actor"],
        {
            "id": "id-a",
            "label": "Nebraska",
            "certainty": 0.9,
            "dataQuality": "HIGH",
            "metadataJson": '{"role": "host"}',
            "powerResourcesJson": '[{"name": "legal", "value": 0.8}]',
            "sector": "government",
            "stray": "not a field of the model",
            **SYSTEM,
        },
    )


def delivery() -> dict[str, object]:
    return delivery_record(
        {
            "id": "id-d",
            "externalKey": "d-1",
            "kind": "FUNDS",
            "deliveryType": "MONEY",
            "weight": -0.5,
            "scenario": "baseline",
            "validFrom": dt.date(1987, 12, 1),
            **SYSTEM,
        },
        "id-a",
        "compact",
    )


def test_component_records_use_the_import_field_names_and_fall_back_to_the_id() -> None:
    record = actor()

    assert list(record)[:3] == ["externalKey", "type", "label"]
    assert record["externalKey"] == "id-a"
    assert record["type"] == "ACTOR"
    assert record["metadata"] == {"role": "host"}
    assert record["powerResources"] == [{"name": "legal", "value": 0.8}]
    assert "stray" not in record and "description" not in record
    assert list(record)[-4:] == ["id", "createdAt", "updatedAt", "version"]


def test_delivery_records_carry_endpoint_keys_and_kind() -> None:
    record = delivery()

    assert [record[k] for k in ("externalKey", "sourceKey", "targetKey", "kind")] == [
        "d-1",
        "id-a",
        "compact",
        "FUNDS",
    ]
    assert record["validFrom"] == dt.date(1987, 12, 1)


def test_json_writes_dates_as_iso_text() -> None:
    document = json.loads(render_json([actor()], [delivery()]))

    assert document["deliveries"][0]["validFrom"] == "1987-12-01"
    assert document["components"][0]["createdAt"] == "2026-01-02T03:04:05+00:00"


def test_csv_has_a_record_column_and_a_column_per_field() -> None:
    rows = list(csv.DictReader(io.StringIO(render_csv([actor()], [delivery()]))))

    assert [r["record"] for r in rows] == ["component", "delivery"]
    assert rows[0]["sector"] == "government" and rows[0]["kind"] == ""
    assert rows[1]["weight"] == "-0.5" and rows[1]["sector"] == ""
    assert json.loads(rows[0]["metadata"]) == {"role": "host"}


def test_graphml_values_are_scalars_and_xml_safe() -> None:
    assert graphml_value({"a": [1]}) == '{"a": [1]}'
    assert graphml_value(dt.date(2020, 1, 1)) == "2020-01-01"
    assert graphml_value("bell\x07") == "bell\ufffd"
    assert graphml_value(3) == 3 and graphml_value(None) is None


def test_graphml_round_trips_through_networkx_with_parallel_edges() -> None:
    other = component_record(
        ["Component", "Institution"],
        {"id": "id-c", "externalKey": "compact", "label": "C", **SYSTEM},
    )
    second = {**delivery(), "id": "id-e", "externalKey": "d-2", "kind": "GOVERNS"}

    content = render_graphml(
        to_graph([actor(), other], [delivery(), second], ["id-a", "id-a"], ["id-c", "id-c"])
    )

    graph = nx.parse_graphml(content)
    assert graph.number_of_nodes() == 2 and graph.number_of_edges("id-a", "id-c") == 2
    assert graph.nodes["id-a"]["certainty"] == 0.9
    assert json.loads(graph.nodes["id-a"]["metadata"]) == {"role": "host"}


def test_filenames_never_carry_unsafe_characters() -> None:
    assert filename(ExportFormat.GRAPHML, None) == "sfm-graph.graphml"
    assert filename(ExportFormat.CSV, "carbon tax/2030") == "sfm-graph-carbon_tax_2030.csv"
