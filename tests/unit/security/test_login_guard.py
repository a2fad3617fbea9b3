"""Failed-login accounting: which address a failure counts against, what the audit may name."""

from __future__ import annotations

import uuid

from starlette.requests import Request

from sfm_graphql.security.login_guard import address_key, presented_credential


def _request(headers: dict[str, str]) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "method": "POST", "path": "/graphql", "headers": raw})


def test_ipv4_addresses_count_one_by_one() -> None:
    assert address_key("198.51.100.7") != address_key("198.51.100.8")
    assert address_key("198.51.100.7") == "failed-login:198.51.100.7"


def test_ipv6_addresses_count_per_64_and_mapped_ipv4_as_ipv4() -> None:
    a = address_key("2001:db8:1:2:aaaa::1")
    assert a == address_key("2001:db8:1:2:ffff:ffff:ffff:ffff") == "failed-login:2001:db8:1:2::/64"
    assert a != address_key("2001:db8:1:3::1")
    assert address_key("::ffff:198.51.100.7") == address_key("198.51.100.7")


def test_a_non_address_still_gets_a_bounded_key() -> None:
    assert address_key("testclient") == "failed-login:testclient"
    assert len(address_key("x" * 1000)) < 100


def test_the_audit_names_an_api_key_by_its_id_and_never_keeps_the_credential() -> None:
    key_id = str(uuid.uuid4())
    key = f"sfmk_{key_id}_{'s' * 43}"
    assert presented_credential(_request({"X-API-Key": key})) == ("api_key", key_id)
    assert presented_credential(_request({"Authorization": f"Bearer {key}"})) == (
        "api_key",
        key_id,
    )
    assert presented_credential(_request({"X-API-Key": "sfmk_garbage"})) == ("api_key", None)
    assert presented_credential(_request({"Authorization": "Bearer eyJ.x.y"})) == ("bearer", None)
    assert presented_credential(_request({"Authorization": "Basic dTpw"})) == (
        "unsupported",
        None,
    )
