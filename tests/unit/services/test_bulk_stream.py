"""The pure half of the streaming import (services/bulk_stream.py): batches and the first pass."""

from __future__ import annotations

from sfm_graphql.services.bulk_import import batches
from sfm_graphql.services.bulk_stream import check_rows, in_batches
from sfm_graphql.services.bulk_types import ImportErrorCode, ImportSection
from sfm_graphql.services.file_rows import SectionRow

C, D = ImportSection.COMPONENTS, ImportSection.DELIVERIES


def _component(key: str) -> SectionRow:
    return C, {"externalKey": key, "type": "ACTOR", "label": key}


def _delivery(key: str, source: str, target: str) -> SectionRow:
    return D, {"externalKey": key, "sourceKey": source, "targetKey": target, "kind": "FUNDS"}


def test_batches_hold_size_rows_split_by_section_in_order() -> None:
    rows = [_component("a"), _delivery("d", "a", "b"), _component("b"), _component("c")]

    batches = list(in_batches(rows, 3))

    assert [len(b) for b in batches] == [3, 1]
    assert [r["externalKey"] for r in batches[0].components] == ["a", "b"]
    assert [r["externalKey"] for r in batches[0].deliveries] == ["d"]
    assert [r["externalKey"] for r in batches[1].components] == ["c"]


def test_the_first_pass_counts_rows_and_reports_each_batch() -> None:
    done: list[int] = []
    rows = [_component(f"c{i}") for i in range(5)] + [_delivery("d", "c0", "c1")]

    check = check_rows(rows, batch_size=2, batch_done=done.append)

    assert (check.components, check.deliveries, check.rows) == (5, 1, 6)
    assert check.error_count == 0 and check.errors == []
    assert done == [2, 2, 2]


def test_row_numbers_and_duplicate_keys_span_batches() -> None:
    rows = [_component("a"), _component("b"), (C, {"externalKey": "c", "type": "ACTOR"})]
    rows += [_component("a"), _delivery("d", "a", "b"), _delivery("d", "b", "a")]

    check = check_rows(rows, batch_size=2)

    found = [(e.section, e.row, e.external_key, e.code) for e in check.errors]
    assert found == [
        (C, 2, "c", ImportErrorCode.INVALID_VALUE),
        (C, 3, "a", ImportErrorCode.DUPLICATE_KEY),
        (D, 1, "d", ImportErrorCode.DUPLICATE_KEY),
    ]
    assert check.error_count == 3
    assert "row 0 already uses" in check.errors[1].message


def test_errors_are_counted_past_those_kept() -> None:
    rows = [(C, {"externalKey": f"k{i}", "type": "NOPE"}) for i in range(1500)]

    check = check_rows(rows, batch_size=500)

    assert check.error_count == 1500 and len(check.errors) == 1000


def test_a_sent_batch_is_emptied_when_the_next_is_asked_for() -> None:
    # The driver keeps each statement's parameters until the transaction ends (bulk_import.py).
    rows = list(range(5))
    seen = []
    for batch in batches(rows, 2):
        seen.append(batch)
        assert batch  # whole while it is being sent
    assert seen == [[], [], []]
    assert rows == [0, 1, 2, 3, 4]
