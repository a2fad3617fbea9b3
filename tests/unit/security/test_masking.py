"""The one masking function: secrets, credentials and personal fields never reach a log or audit."""

from __future__ import annotations

import logging

import pytest

from sfm_graphql.graphql.access.audit_events import summarize
from sfm_graphql.security.masking import (
    DEFAULT_PERSONAL_FIELDS,
    MASK,
    install_log_masking,
    is_sensitive_key,
    mask,
    mask_text,
)
from sfm_graphql.settings import Settings

JWT = (
    "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJhbGljZSIsInJvbGVzIjpbImFkbWluIl19"
    ".c2lnbmF0dXJlLWJ5dGVzLWhlcmU"
)
KEY_ID = "3f1c7e2a-9b4d-4c1e-8a2f-0d6b5e4c3a21"
API_KEY = f"sfmk_{KEY_ID}_Zk3vQ1n8XwA4-yT_0pLmRbC7sDfGhJkL2qWeRtYuIoP"


@pytest.mark.parametrize(
    "key",
    [
        "password",
        "newPassword",
        "secret",
        "clientSecret",
        "client_secret",
        "token",
        "access_token",
        "refreshToken",
        "apiKey",
        "api_key",
        "X-API-Key",
        "Authorization",
        "cookie",
        "privateKey",
        "pepper",
        "credentials",
    ],
)
def test_sensitive_key_names_are_recognised(key: str) -> None:
    assert is_sensitive_key(key)


@pytest.mark.parametrize("key", ["id", "keyId", "name", "label", "version", "externalKey"])
def test_ordinary_key_names_are_not_masked(key: str) -> None:
    assert not is_sensitive_key(key)


def test_values_under_sensitive_keys_are_masked_at_any_depth() -> None:
    value = {
        "input": {"clientSecret": "s3cr3t", "name": "ci"},
        "headers": [{"Authorization": "Bearer abc"}],
        "password": "hunter2",
        "token": None,
    }
    assert mask(value) == {
        "input": {"clientSecret": MASK, "name": "ci"},
        "headers": [{"Authorization": MASK}],
        "password": MASK,
        "token": None,  # nothing to hide; None stays None
    }


def test_mask_leaves_its_argument_unchanged() -> None:
    value = {"password": "hunter2"}
    mask(value)
    assert value == {"password": "hunter2"}


def test_jwts_in_text_are_masked() -> None:
    masked = mask_text(f"verifying {JWT} for alice")
    assert JWT not in masked
    assert "eyJ" not in masked
    assert masked == f"verifying {MASK} for alice"


def test_api_keys_in_text_keep_only_their_key_id() -> None:
    masked = mask_text(f"refused key {API_KEY}!")
    assert masked == f"refused key sfmk_{KEY_ID}_{MASK}!"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Bearer abc.def-ghi", f"Authorization: Bearer {MASK}"),
        ("login password=hunter2 user=bob", f"login password={MASK} user=bob"),
        ('client_secret: "x y z", ok', f"client_secret: {MASK}, ok"),
        ("api_key=abc123&next=1", f"api_key={MASK}&next=1"),
        ("nothing to see", "nothing to see"),
        # Spellings the one-search shortcut must still send to the full patterns.
        ("BEARER abc.def", f"BEARER {MASK}"),
        ("basic dXNlcjpwdw==", f"basic {MASK}"),
        ("PASSWD=hunter2", f"PASSWD={MASK}"),
        ("Api-Key: abc123", f"Api-Key: {MASK}"),
        ("x_token=abc", f"x_token={MASK}"),
        ("pepper: p3pp3r", f"pepper: {MASK}"),
        (f"id {JWT} end", f"id {MASK} end"),
    ],
)
def test_credentials_in_free_text_are_masked(text: str, expected: str) -> None:
    assert mask_text(text) == expected


def test_strings_inside_structures_are_masked_too() -> None:
    assert mask({"note": f"used {API_KEY}", "list": [JWT]}) == {
        "note": f"used sfmk_{KEY_ID}_{MASK}",
        "list": [MASK],
    }


def test_personal_fields_are_masked_by_path() -> None:
    value = {
        "input": {
            "label": "ACME Waste Inc.",
            "metadata": {"name": "Jane Doe", "email": "jane@example.org", "size": 12},
            "name": "kept: not under metadata",
        },
        "contact": {"phone": "+1 555 0100"},
    }
    masked = mask(value, personal_fields=DEFAULT_PERSONAL_FIELDS)
    assert masked == {
        "input": {
            "label": "ACME Waste Inc.",
            "metadata": {"name": MASK, "email": MASK, "size": 12},
            "name": "kept: not under metadata",
        },
        "contact": {"phone": MASK},
    }


def test_personal_field_paths_come_from_settings() -> None:
    masked = mask({"metadata": {"taxId": "123"}}, personal_fields=("metadata.taxId",))
    assert masked == {"metadata": {"taxId": MASK}}
    assert mask({"metadata": {"taxId": "123"}}, personal_fields=()) == {
        "metadata": {"taxId": "123"}
    }


def test_the_default_personal_fields_are_the_settings_default() -> None:
    assert Settings().personal_fields == DEFAULT_PERSONAL_FIELDS


def test_every_log_line_is_masked_once_installed(caplog: pytest.LogCaptureFixture) -> None:
    install_log_masking()
    install_log_masking()  # idempotent
    logger = logging.getLogger("sfm_graphql.tests.masking")
    with caplog.at_level(logging.INFO, logger="sfm_graphql.tests.masking"):
        logger.info("token %s from %s", JWT, "10.0.0.1")
        logger.warning("key %s refused", API_KEY)
    text = caplog.text
    assert JWT not in text
    assert API_KEY not in text
    assert f"sfmk_{KEY_ID}_{MASK}" in text
    assert "10.0.0.1" in text


def test_audit_arguments_keep_ids_versions_and_enums_but_not_free_text() -> None:
    import datetime as dt
    import enum

    class Kind(enum.Enum):
        ACTOR = "ACTOR"

    summary = summarize(
        {
            "input": {
                "id": "Q29tcG9uZW50OjE=",
                "version": 3,
                "type": Kind.ACTOR,
                "label": "Jane Doe",
                "metadata": {"email": "jane@example.org"},
                "expiresAt": dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
                "allowedCidrs": ["10.0.0.0/8"],
                "roles": [Kind.ACTOR],
            },
            "cascade": True,
        }
    )
    assert summary == {
        "input": {
            "id": "Q29tcG9uZW50OjE=",
            "version": 3,
            "type": "ACTOR",
            "label": "[set]",
            "metadata": "[set]",
            "expiresAt": "2030-01-01T00:00:00+00:00",
            "allowedCidrs": ["10.0.0.0/8"],
            "roles": ["ACTOR"],
        },
        "cascade": True,
    }


def test_audit_arguments_keep_nothing_of_what_a_purge_erases() -> None:
    # Metadata keys and numbers and power-resource values are personal data of an actor.
    summary = summarize(
        {
            "input": {
                "metadata": {"birthYear": 1971, "Jane Doe": {"salary": 52000}},
                "powerResources": [{"name": "savings", "value": 12345.0}],
                "legalForm": "sole trader",
                "certainty": 0.5,
            },
            "components": [{"externalKey": "a-1", "metadata": {"ssn": 123456789}}],
        }
    )
    assert summary == {
        "input": {
            "metadata": "[set]",
            "powerResources": "[set]",
            "legalForm": "[set]",
            "certainty": 0.5,
        },
        "components": [{"externalKey": "[set]", "metadata": "[set]"}],
    }


def test_a_long_key_is_judged_like_a_short_one() -> None:
    # Keys past the remembered length are checked each time, with the same answer.
    assert is_sensitive_key("x" * 100 + "Password")
    assert not is_sensitive_key("x" * 100 + "label")


def test_personal_paths_are_masked_the_same_at_every_depth() -> None:
    line = {"metadata": {"name": "Jane"}, "name": "kept"}
    deep = {"a": {"b": {"c": line}}}
    for _ in range(2):  # the second time from remembered verdicts
        assert mask(line) == {"metadata": {"name": MASK}, "name": "kept"}
        assert mask(deep) == {"a": {"b": {"c": {"metadata": {"name": MASK}, "name": "kept"}}}}
        assert mask({"n": 1, "f": 0.5, "ok": True, "email": 3}) == {
            "n": 1,
            "f": 0.5,
            "ok": True,
            "email": MASK,
        }
