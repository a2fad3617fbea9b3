"""`bulkImportFile`: the export's JSON and CSV uploaded through the GraphQL multipart request
spec, checked for size, declared type and shape, then imported by the bulk import service."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from sfm_graphql.app import create_app
from sfm_graphql.settings import Settings
from tests.services import StatementCounter, wipe_graph

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("clean_graph")]

UPLOAD = """
mutation($file: Upload!, $format: BulkFileFormat!, $dryRun: Boolean!) {
  bulkImportFile(file: $file, format: $format, dryRun: $dryRun) {
    dryRun committed
    componentsCreated componentsUpdated componentsUnchanged
    deliveriesCreated deliveriesUpdated deliveriesUnchanged
    errorCount errors { section row externalKey field code message }
  }
}"""
EXPORT = "query($format: ExportFormat!) { exportGraph(format: $format) { content } }"
SYSTEM_FIELDS = {"id", "createdAt", "updatedAt", "version"}

# What exportGraph(format: JSON) writes, system fields included (the import drops them).
GRAPH: dict[str, Any] = {
    "components": [
        {
            "externalKey": "ne-state",
            "type": "ACTOR",
            "label": "State of Nebraska",
            "sector": "government",
            "certainty": 0.95,
            "metadata": {"role": "host state", "seats": 3, "agreement": True},
            "powerResources": [{"name": "legal", "value": 0.85}],
            "id": "f4b4fd43-0a43-4b5e-9d4c-0c4d2d0f3a11",
            "version": 4,
            "createdAt": "2020-01-01T00:00:00+00:00",
            "updatedAt": "2020-01-02T00:00:00+00:00",
        },
        {
            "externalKey": "compact",
            "type": "POLICY",
            "label": "Central Interstate Compact",
            "targetSectors": ["waste", "energy"],
            "enforcement": 0.4,
        },
        {
            "externalKey": "cost",
            "type": "INDICATOR",
            "label": "Disposal cost",
            "unit": "USD/ft3",
            "currentValue": -12.5,
            "thresholds": [{"label": "alarm", "value": 1000.0}],
        },
        {"externalKey": "tech", "type": "TECHNOLOGY_SYSTEM", "label": "Burial", "maturity": 7},
    ],
    "deliveries": [
        {
            "externalKey": "d1",
            "sourceKey": "compact",
            "targetKey": "ne-state",
            "kind": "MANDATES",
            "weight": -0.5,
            "validFrom": "1990-01-01",
            "validTo": "1999-12-31",
            "description": 'line one\nline two, with "quotes"',
            "id": "5f7d1a52-48a4-4f40-8d8b-2f7a9a2a6c10",
        },
        {"externalKey": "d2", "sourceKey": "cost", "targetKey": "compact", "kind": "INFORMS"},
    ],
}


@pytest.fixture
async def http(app: Starlette, issue_token: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app, issue_token("data_manager")) as client:
        yield client


def client_for(app: Starlette, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )


async def post_file(
    http: httpx.AsyncClient,
    content: bytes,
    *,
    file_format: str = "JSON",
    content_type: str = "application/json",
    dry_run: bool = False,
) -> httpx.Response:
    operations = {
        "query": UPLOAD,
        "variables": {"file": None, "format": file_format, "dryRun": dry_run},
    }
    return await http.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": (f"graph.{file_format.lower()}", content, content_type)},
        headers={"Apollo-Require-Preflight": "true"},
    )


async def imported(http: httpx.AsyncClient, content: bytes, **options: Any) -> dict[str, Any]:
    response = await post_file(http, content, **options)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    result: dict[str, Any] = body["data"]["bulkImportFile"]
    return result


def counts(result: dict[str, Any]) -> tuple[int, ...]:
    return tuple(
        result[f"{section}{outcome}"]
        for section in ("components", "deliveries")
        for outcome in ("Created", "Updated", "Unchanged")
    )


async def export(http: httpx.AsyncClient, file_format: str) -> str:
    response = await http.post(
        "/graphql", json={"query": EXPORT, "variables": {"format": file_format}}
    )
    body = response.json()
    assert "errors" not in body, body
    content: str = body["data"]["exportGraph"]["content"]
    return content


def user_fields(document: str) -> dict[str, list[dict[str, Any]]]:
    """An export without its system fields, rows in key order."""
    parsed = json.loads(document)
    return {
        section: sorted(
            ({k: v for k, v in row.items() if k not in SYSTEM_FIELDS} for row in parsed[section]),
            key=lambda row: row["externalKey"],
        )
        for section in ("components", "deliveries")
    }


def ran_besides_audit(statements: StatementCounter) -> list[str]:
    """The statements an operation ran, apart from the audit event every mutation leaves."""
    return [name for name in statements.names if not name.startswith("audit/")]


def refusal(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["data"] is None, body
    extensions: dict[str, Any] = body["errors"][0]["extensions"]
    return extensions


# -- accepted files --------------------------------------------------------------------------------


async def test_a_json_file_in_the_export_shape_imports_and_its_export_reimports_unchanged(
    http: httpx.AsyncClient,
) -> None:
    result = await imported(http, json.dumps(GRAPH).encode())

    assert result["committed"] and not result["dryRun"]
    assert counts(result) == (4, 0, 0, 2, 0, 0)
    exported = await export(http, "JSON")
    again = await imported(http, exported.encode(), dry_run=True)
    assert counts(again) == (0, 0, 4, 0, 0, 2)
    assert not again["committed"]


async def test_a_csv_export_reimports_into_an_empty_graph_with_the_same_values(
    http: httpx.AsyncClient, neo4j_driver: Any
) -> None:
    await imported(http, json.dumps(GRAPH).encode())
    before = user_fields(await export(http, "JSON"))
    table = await export(http, "CSV")
    wipe_graph(neo4j_driver)

    result = await imported(http, table.encode(), file_format="CSV", content_type="text/csv")

    assert counts(result) == (4, 0, 0, 2, 0, 0)
    assert user_fields(await export(http, "JSON")) == before
    by_key = {row["externalKey"]: row for row in before["components"]}
    assert by_key["ne-state"]["metadata"] == {
        "agreement": True,
        "role": "host state",
        "seats": 3,
    }


async def test_formula_looking_cells_are_stored_verbatim_and_neutralised_again_on_export(
    http: httpx.AsyncClient, neo4j_driver: Any
) -> None:
    formulas = {
        "evil": ('=HYPERLINK("http://evil.example","click")', "@SUM(A1:A9)"),
        "minus": ("-5 degrees", "+cmd|' /C calc'!A0"),
    }
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [
            "record",
            "externalKey",
            "type",
            "label",
            "sector",
            "sourceKey",
            "targetKey",
            "kind",
            "weight",
        ]
    )
    for key, (label, sector) in formulas.items():
        writer.writerow(["component", key, "ACTOR", label, sector, "", "", "", ""])
    writer.writerow(["delivery", "d1", "", "", "", "evil", "minus", "FUNDS", "-0.25"])

    result = await imported(
        http, out.getvalue().encode(), file_format="CSV", content_type="text/csv; charset=utf-8"
    )

    assert counts(result) == (2, 0, 0, 1, 0, 0), result["errors"]
    records, _, _ = neo4j_driver.execute_query(
        "MATCH (c:Component) RETURN c.externalKey AS key, c.label AS label, c.sector AS sector"
    )
    assert {r["key"]: (r["label"], r["sector"]) for r in records} == formulas
    weights, _, _ = neo4j_driver.execute_query("MATCH ()-[d:DELIVERS]->() RETURN d.weight AS w")
    assert [w["w"] for w in weights] == [-0.25]  # a number, not neutralised text

    rows = {r["externalKey"]: r for r in csv.DictReader(io.StringIO(await export(http, "CSV")))}
    for key, (label, sector) in formulas.items():
        assert rows[key]["label"] == "'" + label
        assert rows[key]["sector"] == "'" + sector
    assert rows["d1"]["weight"] == "-0.25"


async def test_rows_with_bad_values_are_reported_per_row_as_bulk_import_does(
    http: httpx.AsyncClient, neo4j_driver: Any
) -> None:
    table = (
        "record,externalKey,type,label,certainty\r\n"
        "component,a,ACTOR,Fine,0.5\r\n"
        "component,b,ACTOR,Too certain,2\r\n"
        "component,c,NOT_A_TYPE,Unknown type,\r\n"
    )
    result = await imported(http, table.encode(), file_format="CSV", content_type="text/csv")
    assert not result["committed"]
    assert [(e["row"], e["field"], e["code"]) for e in result["errors"]] == [
        (1, "certainty", "INVALID_VALUE"),
        (2, "type", "INVALID_VALUE"),
    ]
    records, _, _ = neo4j_driver.execute_query("MATCH (c:Component) RETURN count(c) AS n")
    assert records[0]["n"] == 0


# -- refused files ---------------------------------------------------------------------------------


async def test_an_oversized_file_is_refused_and_nothing_is_written(
    settings: Settings, issue_token: Any, neo4j_driver: Any
) -> None:
    small = create_app(
        settings.model_copy(update={"max_upload_bytes": 1024, "max_request_bytes": 8192})
    )
    big_graph = {
        "components": [
            {"externalKey": f"k{i}", "type": "ACTOR", "label": "x" * 20} for i in range(40)
        ]
    }
    content = json.dumps(big_graph).encode()
    assert 1024 < len(content) < 4096
    async with (
        small.router.lifespan_context(small),
        client_for(small, issue_token("data_manager")) as http,
    ):
        over_upload_limit = await post_file(http, content)
        over_body_limit = await post_file(http, content * 4)
        fits = await post_file(http, json.dumps({"components": GRAPH["components"][3:]}).encode())

    details = refusal(over_upload_limit)
    assert (details["code"], details["limit"], details["field"]) == ("LIMIT_EXCEEDED", 1024, "file")
    assert over_body_limit.status_code == 413
    assert over_body_limit.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert fits.json()["data"]["bulkImportFile"]["componentsCreated"] == 1
    records, _, _ = neo4j_driver.execute_query("MATCH (c:Component) RETURN count(c) AS n")
    assert records[0]["n"] == 1


@pytest.mark.parametrize(
    ("file_format", "content_type"),
    [
        ("JSON", "text/csv"),
        ("JSON", "image/png"),
        ("JSON", "application/octet-stream"),
        ("JSON", "application/json; charset=latin-1"),
        ("CSV", "application/json"),
        ("CSV", "text/html"),
    ],
)
async def test_a_declared_type_that_does_not_fit_the_format_is_refused(
    http: httpx.AsyncClient, statements: StatementCounter, file_format: str, content_type: str
) -> None:
    content = json.dumps(GRAPH).encode() if file_format == "JSON" else b"record,externalKey\r\n"
    response = await post_file(http, content, file_format=file_format, content_type=content_type)
    details = refusal(response)
    assert (details["code"], details["field"]) == ("BAD_USER_INPUT", "file")
    assert ran_besides_audit(statements) == []


@pytest.mark.parametrize(
    ("file_format", "content"),
    [
        ("JSON", b'{"components": ['),
        ("JSON", b"[]"),
        ("JSON", b'{"components": [], "nodes": []}'),
        ("JSON", b'{"components": {"a": 1}}'),
        ("JSON", b'{"components": ["ACTOR"]}'),
        ("JSON", b'{"components": [{"currentValue": NaN}]}'),
        ("JSON", b"[" * 100_000),
        ("JSON", '{"components": [{"label": "caf\u00e9"}]}'.encode("latin-1")),
        ("CSV", b"externalKey,type,label\r\na,ACTOR,x\r\n"),
        ("CSV", b"record,externalKey,externalKey\r\n"),
        ("CSV", b"record,externalKey,type,label\r\nnode,a,ACTOR,x\r\n"),
        ("CSV", b"record,externalKey,type,label\r\ncomponent,a,ACTOR\r\n"),
        ("CSV", b'record,externalKey,type,label,metadata\r\ncomponent,a,ACTOR,x,{"a": \r\n'),
        ("CSV", b'record,externalKey,type,label\r\ncomponent,a,ACTOR,"unterminated\r\n'),
        ("CSV", b""),
    ],
)
async def test_malformed_files_are_refused_before_any_cypher_runs(
    http: httpx.AsyncClient, statements: StatementCounter, file_format: str, content: bytes
) -> None:
    content_type = "application/json" if file_format == "JSON" else "text/csv"
    response = await post_file(http, content, file_format=file_format, content_type=content_type)
    details = refusal(response)
    assert (details["code"], details["field"]) == ("BAD_USER_INPUT", "file"), response.text
    assert ran_besides_audit(statements) == []


async def test_a_file_variable_that_is_no_file_part_is_refused(
    http: httpx.AsyncClient, statements: StatementCounter
) -> None:
    variables = {"file": json.dumps(GRAPH), "format": "JSON", "dryRun": False}
    response = await http.post("/graphql", json={"query": UPLOAD, "variables": variables})
    details = refusal(response)
    assert (details["code"], details["field"]) == ("BAD_USER_INPUT", "file")
    assert ran_besides_audit(statements) == []


async def test_only_data_managers_may_upload(app: Starlette, issue_token: Any) -> None:
    async with client_for(app, issue_token("editor")) as editor:
        response = await post_file(editor, json.dumps(GRAPH).encode())
    assert refusal(response)["code"] == "FORBIDDEN"


async def test_an_upload_without_a_preflight_header_is_refused(
    http: httpx.AsyncClient, statements: StatementCounter
) -> None:
    operations = {"query": UPLOAD, "variables": {"file": None, "format": "JSON", "dryRun": False}}
    response = await http.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": ("graph.json", json.dumps(GRAPH).encode(), "application/json")},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert ran_besides_audit(statements) == []
