"""Files of operations for the allow-list: `.graphql` documents and Apollo manifests."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from sfm_graphql.security.persisted_queries import OperationFileError, read_operation_files


def _manifest(path: Path, operations: list[dict[str, str]]) -> Path:
    path.write_text(
        json.dumps(
            {"format": "apollo-persisted-query-manifest", "version": 1, "operations": operations}
        ),
        encoding="utf-8",
    )
    return path


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_graphql_files_keep_their_exact_text_and_manifests_give_named_bodies(
    tmp_path: Path,
) -> None:
    document = tmp_path / "counts.graphql"
    document.write_text("query A { __typename }\n\nquery B { __typename }\n", encoding="utf-8")
    body = "query C { __typename }"
    manifest = _manifest(
        tmp_path / "manifest.json", [{"id": _sha(body), "name": "C", "type": "query", "body": body}]
    )

    operations = read_operation_files([document, manifest])

    assert operations == {"counts": document.read_text("utf-8"), "C": body}


def test_one_name_for_two_documents_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = tmp_path / "a" / "op.graphql"
    second = tmp_path / "b" / "op.graphql"
    first.write_text("{ __typename }", encoding="utf-8")
    second.write_text("{ x: __typename }", encoding="utf-8")
    with pytest.raises(OperationFileError, match="already named 'op'"):
        read_operation_files([first, second])


@pytest.mark.parametrize(
    "operations",
    [
        [{"id": "0" * 64, "name": "X", "body": "{ __typename }"}],
        [{"id": _sha("{ __typename }"), "name": "", "body": "{ __typename }"}],
        ["not an object"],
    ],
)
def test_bad_manifest_entries_are_refused(tmp_path: Path, operations: list[object]) -> None:
    path = tmp_path / "manifest.json"
    path.write_text(
        json.dumps(
            {"format": "apollo-persisted-query-manifest", "version": 1, "operations": operations}
        ),
        encoding="utf-8",
    )
    with pytest.raises(OperationFileError):
        read_operation_files([path])


def test_a_json_file_that_is_no_manifest_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text('{"format": "something-else", "version": 1, "operations": []}', "utf-8")
    with pytest.raises(OperationFileError, match="manifest"):
        read_operation_files([path])
