"""Untrusted text: what can be stored, and a one-line, always-encodable rendering of anything.

A Python `str` can hold what UTF-8 and PostgreSQL cannot: unpaired surrogates (U+D800–U+DFFF,
produced by `json.loads` from `"\\ud800"` or from the bytes ED A0 80) and NUL. Stored, such text
breaks every page and JSON answer that shows it (UnicodeEncodeError at encode time). Intake refuses
it (`storable`); renderings of stored text go through `printable` as a last line of defence.
"""

from __future__ import annotations

import re
from typing import Any

# Unpaired surrogates cannot be encoded as UTF-8; NUL cannot be stored in PostgreSQL text.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# For names and log lines also every control character and the Unicode line/paragraph separators.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def storable(text: str) -> bool:
    """Whether text can be stored and later encoded as UTF-8 (no NUL, no unpaired surrogate)."""
    return _UNSTORABLE.search(text) is None


def plain(text: str) -> bool:
    """Whether text is one printable line: storable, and free of control characters and line separators."""
    return _CONTROL.search(text) is None


def _escape(m: re.Match[str]) -> str:
    return f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}"


def printable(text: str, limit: int | None = None) -> str:
    """One line of encodable text: control characters and surrogates become `\\xNN` / `\\uNNNN` escapes.

    For log lines (no forged lines), error details and pages showing stored text.
    """
    if limit is not None:
        text = text[:limit]
    return _CONTROL.sub(_escape, text)


def encodable(text: str) -> str:
    """Text with NUL and unpaired surrogates escaped, so it encodes as UTF-8 and stores; line breaks are kept."""
    return _UNSTORABLE.sub(_escape, text) if _UNSTORABLE.search(text) else text


def encodable_json(value: Any) -> Any:
    """A JSON value (from a column) with every key and string made `encodable` (API answers, pages)."""
    if isinstance(value, str):
        return encodable(value)
    if isinstance(value, dict):
        return {encodable(k) if isinstance(k, str) else k: encodable_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [encodable_json(v) for v in value]
    return value


MAX_ID = 2**63 - 1  # the largest id a BIGINT holds


def resume_id(header: str | None) -> int | None:
    """A server-sent events `Last-Event-ID` to resume from, or None (start from now).

    Browsers resend whatever id they last saw, so a bad value is ignored rather than refused:
    only 1–19 ASCII digits within BIGINT count ("²".isdigit() is true but int("²") fails; a huge
    number would overflow a query on PostgreSQL; "-1" or " 7" are not ids).
    """
    if header is None or not (0 < len(header) <= 19) or not header.isascii() or not header.isdigit():
        return None
    value = int(header)
    return value if value <= MAX_ID else None
