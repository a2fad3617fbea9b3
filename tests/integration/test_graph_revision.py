"""The graph revision advances once per committed change of the analysed graph, never otherwise
(issue 13, "Cached, never stale"; sfm_graphql/db/revision.py)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from sfm_graphql.db.revision import graph_revision
from sfm_graphql.db.transaction import Transaction
from sfm_graphql.demo.loader import load_demo
from sfm_graphql.operations.backup.restore import restore_backup
from sfm_graphql.operations.backup.writer import write_backup
from sfm_graphql.settings import Settings
from tests.integration.helpers import create_component, create_delivery
from tests.services import GraphQLClient

pytestmark = pytest.mark.integration

Revision = Callable[[], Awaitable[int]]

UPDATE_COMPONENT = """
mutation($input: UpdateComponentInput!) { updateComponent(input: $input) { component { version } } }"""
UPDATE_DELIVERY = """
mutation($input: UpdateDeliveryInput!) { updateDelivery(input: $input) { delivery { version } } }"""
DELETE_DELIVERY = "mutation($id: ID!) { deleteDelivery(id: $id) { deletedId } }"
DELETE_COMPONENT = "mutation($id: ID!) { deleteComponent(id: $id, cascade: true) { deletedId deletedDeliveryIds } }"
CREATE_SCENARIO = (
    "mutation($i: CreateScenarioInput!) { createScenario(input: $i) { scenario { id } } }"
)
CREATE_MATRIX = """
mutation($input: CreateMatrixInput!) { createMatrix(input: $input) { matrix { id version } } }"""
UPDATE_MATRIX = """
mutation($input: UpdateMatrixInput!) { updateMatrix(input: $input) { matrix { version } } }"""
DELETE_MATRIX = "mutation($id: ID!, $v: Int!) { deleteMatrix(id: $id, version: $v) { deletedId } }"
BULK = """
mutation($c: [BulkComponentInput!]!, $d: [BulkDeliveryInput!]!, $dry: Boolean!) {
  bulkImport(components: $c, deliveries: $d, dryRun: $dry) { committed errorCount }
}"""
CREATE_DELIVERY = """
mutation($input: CreateDeliveryInput!) { createDelivery(input: $input) { delivery { id } } }"""
PURGE = "mutation($id: ID!) { purgePersonalData(componentId: $id) { purgedFields } }"


@pytest.fixture
async def revision(app: Any, gql: GraphQLClient, neo4j_driver: Any) -> Revision:
    """Reads the revision; the counter exists first (the suite's wipe deletes it)."""
    neo4j_driver.execute_query(
        "MERGE (r:GraphRevision {id: 'graph'}) ON CREATE SET r.value = timestamp()"
    )

    async def read() -> int:
        return await graph_revision(app.state.services.db)

    return read


async def advanced_by(revision: Revision, write: Callable[[], Awaitable[Any]]) -> int:
    before = await revision()
    await write()
    return await revision() - before


async def test_each_kind_of_write_advances_the_revision_exactly_once(
    gql: GraphQLClient, revision: Revision
) -> None:
    ids: dict[str, str] = {}

    async def component(key: str, type_: str) -> None:
        ids[key] = await create_component(gql, type_, key)

    assert await advanced_by(revision, lambda: component("agency", "ACTOR")) == 1
    assert await advanced_by(revision, lambda: component("rule", "INSTITUTION")) == 1
    update = {"input": {"id": ids["agency"], "version": 1, "label": "Agency"}}
    assert await advanced_by(revision, lambda: gql.data(UPDATE_COMPONENT, update)) == 1

    async def delivery() -> None:
        ids["delivery"] = await create_delivery(gql, ids["agency"], ids["rule"], "GOVERNS")

    assert await advanced_by(revision, delivery) == 1
    change = {"input": {"id": ids["delivery"], "version": 1, "weight": 0.5}}
    assert await advanced_by(revision, lambda: gql.data(UPDATE_DELIVERY, change)) == 1
    scenario = {"i": {"name": f"s-{uuid.uuid4().hex[:8]}"}}
    assert await advanced_by(revision, lambda: gql.data(CREATE_SCENARIO, scenario)) == 1

    async def matrix() -> None:
        made = await gql.data(
            CREATE_MATRIX, {"input": {"name": "M", "componentIds": [ids["agency"], ids["rule"]]}}
        )
        ids["matrix"] = made["createMatrix"]["matrix"]["id"]

    assert await advanced_by(revision, matrix) == 1
    rename = {"input": {"id": ids["matrix"], "version": 1, "name": "M2"}}
    assert await advanced_by(revision, lambda: gql.data(UPDATE_MATRIX, rename)) == 1
    drop = {"id": ids["matrix"], "v": 2}
    assert await advanced_by(revision, lambda: gql.data(DELETE_MATRIX, drop)) == 1

    rows = {
        "c": [
            {"externalKey": "bulk-a", "type": "ACTOR", "label": "A"},
            {"externalKey": "bulk-b", "type": "INSTITUTION", "label": "B"},
        ],
        "d": [
            {
                "externalKey": "bulk-d",
                "sourceKey": "bulk-a",
                "targetKey": "bulk-b",
                "kind": "GOVERNS",
            }
        ],
        "dry": False,
    }
    # Several statements (components, then deliveries), one transaction: one step.
    assert await advanced_by(revision, lambda: gql.data(BULK, rows)) == 1
    purge = {"id": ids["agency"]}
    assert await advanced_by(revision, lambda: gql.data(PURGE, purge)) == 1
    gone = {"id": ids["delivery"]}
    assert await advanced_by(revision, lambda: gql.data(DELETE_DELIVERY, gone)) == 1
    cascade = {"id": ids["rule"]}
    assert await advanced_by(revision, lambda: gql.data(DELETE_COMPONENT, cascade)) == 1


async def test_refused_rolled_back_and_read_only_operations_leave_it_alone(
    gql: GraphQLClient, revision: Revision
) -> None:
    agency = await create_component(gql, "ACTOR", "Agency")
    stale = {"input": {"id": agency, "version": 7, "label": "x"}}
    unknown_target = {
        "input": {"source": agency, "target": "Q29tcG9uZW50Om5vcGU=", "kind": "GOVERNS"}
    }
    bad_rows = {
        "c": [{"externalKey": "ok", "type": "ACTOR", "label": "Fine"}],
        "d": [{"externalKey": "d", "sourceKey": "ok", "targetKey": "missing", "kind": "GOVERNS"}],
        "dry": False,
    }
    dry_rows = {**bad_rows, "d": [], "dry": True}
    refused = [
        ("a stale update", lambda: gql.error_code(UPDATE_COMPONENT, stale)),
        ("a delivery to nothing", lambda: gql.execute(CREATE_DELIVERY, unknown_target)),
        ("an import with errors", lambda: gql.data(BULK, bad_rows)),
        ("a dry run", lambda: gql.data(BULK, dry_rows)),
        ("a read", lambda: gql.data("{ components(first: 5) { totalCount } }")),
        ("a delete of nothing", lambda: gql.execute(DELETE_DELIVERY, {"id": agency})),
    ]
    for what, operation in refused:
        assert await advanced_by(revision, operation) == 0, what


async def test_a_transaction_that_fails_after_its_write_rolls_the_step_back(
    app: Any, revision: Revision, gql: GraphQLClient
) -> None:
    db = app.state.services.db
    component_id = str(uuid.uuid4())

    async def write_then_fail(tx: Transaction) -> None:
        await tx.run(
            "components/create",
            id=component_id,
            typeLabel="Actor",
            props={"label": "Gone", "type": "ACTOR"},
        )
        raise RuntimeError("after the write")

    async def failing() -> None:
        with pytest.raises(RuntimeError, match="after the write"):
            await db.write_transaction(write_then_fail)

    assert await advanced_by(revision, failing) == 0
    assert await db.read("components/types_by_ids", ids=[component_id]) == []

    async def create_two(tx: Transaction) -> None:
        for label in ("One", "Two"):
            await tx.run(
                "components/create",
                id=str(uuid.uuid4()),
                typeLabel="Actor",
                props={"label": label, "type": "ACTOR"},
            )

    async def two_statements() -> None:
        await db.write_transaction(create_two)

    assert await advanced_by(revision, two_statements) == 1


async def test_writes_outside_the_analysed_graph_do_not_advance_it(
    app: Any, revision: Revision
) -> None:
    digest = uuid.uuid4().hex * 2
    row = {"hash": digest, "name": "Probe", "document": "{ __typename }"}
    register = app.state.services.db.write("persisted/register", rows=[row])
    assert await advanced_by(revision, lambda: register) == 0


async def test_the_demo_loader_advances_it(
    settings: Settings, revision: Revision, gql: GraphQLClient
) -> None:
    before = await revision()
    await load_demo(settings)
    assert await revision() > before


async def test_restore_advances_it_and_keeps_the_counter_through_its_wipe(
    app: Any, settings: Settings, revision: Revision, gql: GraphQLClient, tmp_path: Path
) -> None:
    await create_component(gql, "ACTOR", "Kept")
    path = tmp_path / "r.sfmbak"
    await write_backup(
        driver=app.state.services.db.driver,
        registry=app.state.services.db.registry,
        database=settings.neo4j_database,
        output=path,
        key=None,
        progress=lambda _: None,
    )
    before = await revision()
    await restore_backup(
        db=app.state.services.db,
        database=settings.neo4j_database,
        path=path,
        key=None,
        force=True,  # the wipe keeps :GraphRevision, so the counter goes on from `before`
        batch_size=100,
        progress=lambda _: None,
    )
    after = await revision()
    # One step per batch that changed something: the wipe's one batch of nodes (there is no
    # relationship to delete) and the one batch of components; the audit section and the
    # restore markers are not the analysed graph, and empty batches change nothing.
    assert after == before + 2
