"""The one masking function for audit details and log lines.

What is masked (see docs/security.md, "Audit log"):
- the value of any key whose name, lowercased without `_`/`-`, contains a sensitive word
  (`password`, `secret`, `token`, `apikey`, `authorization`, `cookie`, `privatekey`, `pepper`,
  `credential`), so `clientSecret`, `access_token` and `X-API-Key` are all caught;
- inside any string: JSON Web Tokens, API keys (`sfmk_<keyId>_<secret>` keeps only its key id),
  `Bearer <credential>` and `password=...`-style pairs;
- personal fields: a configured path such as `metadata.name` masks that key under `metadata`;
  a one-part path such as `email` masks a key of that name at any depth.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

MASK = "[MASKED]"
SENSITIVE_KEY_WORDS = (
    "password",
    "passwd",
    "secret",
    "token",
    "apikey",
    "authorization",
    "cookie",
    "privatekey",
    "pepper",
    "credential",
)
DEFAULT_PERSONAL_FIELDS = (
    "email",
    "phone",
    "metadata.name",
    "metadata.address",
    "metadata.birthDate",
)

_NOT_ALNUM = re.compile(r"[^a-z0-9]")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
_API_KEY = re.compile(r"\b(sfmk_[A-Za-z0-9-]+_)[A-Za-z0-9_-]+")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
_PAIR = re.compile(
    r"(?i)\b([a-z_-]*(?:password|passwd|secret|token|api[_-]?key|pepper)[a-z_-]*)"
    r"(\s*[=:]\s*)(\"[^\"]*\"|'[^']*'|[^\s,;&]+)"
)


# Every pattern above needs one of these words (or the JWT and API-key prefixes) in the text, so
# a text without any needs no substitution: one search instead of four on most log fields.
_ANY_CREDENTIAL = re.compile(r"(?i)eyJ|sfmk_|bearer|basic|passw|secret|token|api[_-]?key|pepper")


MAX_CACHED_KEY = 64  # keys longer than this (rare, and maybe a client's) are not remembered


def is_sensitive_key(key: str) -> bool:
    return _sensitive_short_key(key) if len(key) <= MAX_CACHED_KEY else _sensitive(key)


@functools.lru_cache(maxsize=4096)  # log lines and audit details repeat the same few keys
def _sensitive_short_key(key: str) -> bool:
    return _sensitive(key)


def _sensitive(key: str) -> bool:
    normalized = _NOT_ALNUM.sub("", key.lower())
    return any(word in normalized for word in SENSITIVE_KEY_WORDS)


def mask_text(text: str) -> str:
    """`text` with credentials replaced; everything else unchanged."""
    if not _ANY_CREDENTIAL.search(text):
        return text
    text = _JWT.sub(MASK, text)
    text = _API_KEY.sub(lambda m: m.group(1) + MASK, text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", text)
    return _PAIR.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)


def _personal_paths(fields: Iterable[str]) -> tuple[tuple[str, ...], ...]:
    return _parsed_paths(tuple(fields))


@functools.lru_cache(maxsize=16)  # one or two configured lists per process
def _parsed_paths(fields: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(part.lower() for part in f.split(".") if part) for f in fields)


def _is_personal(path: tuple[str, ...], personal: tuple[tuple[str, ...], ...]) -> bool:
    return any(len(p) <= len(path) and path[-len(p) :] == p for p in personal if p)


# A log line's fields are the same few keys at the top level, line after line: their verdicts
# are remembered (keys and paths are short; personal paths are one or two configured lists).
MAX_CACHED_DEPTH = 2
_PLAIN_SCALARS = frozenset({int, float, bool})


def _key_verdict(
    path: tuple[str, ...], name: str, personal: tuple[tuple[str, ...], ...]
) -> tuple[bool, tuple[str, ...]]:
    """Whether the value under `name` at `path` is masked whole, and the path below it."""
    child = (*path, name.lower())
    return is_sensitive_key(name) or _is_personal(child, personal), child


_short_key_verdict = functools.lru_cache(maxsize=4096)(_key_verdict)


def mask(value: Any, *, personal_fields: Iterable[str] = DEFAULT_PERSONAL_FIELDS) -> Any:
    """A copy of `value` (maps, lists, strings, scalars) with secrets and personal fields masked."""
    return _mask(value, (), _personal_paths(personal_fields))


def _mask(value: Any, path: tuple[str, ...], personal: tuple[tuple[str, ...], ...]) -> Any:
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            name = str(key)
            if len(name) <= MAX_CACHED_KEY and len(path) <= MAX_CACHED_DEPTH:
                masked, child = _short_key_verdict(path, name, personal)
            else:
                masked, child = _key_verdict(path, name, personal)
            if item is not None and masked:
                out[name] = MASK
            elif type(item) in _PLAIN_SCALARS:
                out[name] = item
            else:
                out[name] = _mask(item, child, personal)
        return out
    if isinstance(value, list | tuple | set | frozenset):
        return [_mask(item, path, personal) for item in value]
    if isinstance(value, str):
        return mask_text(value)
    return value


class _MaskingRecordFactory:
    """Wraps the log-record factory so every record's message is masked once it is formatted."""

    def __init__(self, previous: Any) -> None:
        self.previous = previous

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record: logging.LogRecord = self.previous(*args, **kwargs)
        if isinstance(record.msg, dict):
            # A structlog event bound for the JSON formatter, which masks every field with
            # `mask` (observability/logging.py); turning it into text here would break the line.
            return record
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 (a broken format string is logging's to report)
            return record
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        return record


def install_log_masking() -> None:
    """Mask credentials in every log line of the process (idempotent)."""
    current = logging.getLogRecordFactory()
    if not isinstance(current, _MaskingRecordFactory):
        logging.setLogRecordFactory(_MaskingRecordFactory(current))
