"""The device side of the contract (docs/mqtt.md): topics and signed payloads. Used by the simulator and tests."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any


def topic_for(compound_code: str, device_key: str, kind: str, root: str = "anju") -> str:
    return f"{root}/{compound_code}/devices/{device_key}/{kind}"


def sign_mqtt(secret: str, topic: str, message: dict[str, Any]) -> bytes:
    """Serialise `message`, then append `,"sig":"<hex HMAC-SHA256(secret, topic + "\\n" + body)>"}`."""
    body = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()
    sig = hmac.new(secret.encode(), topic.encode() + b"\n" + body, hashlib.sha256).hexdigest()
    return body[:-1] + b',"sig":"' + sig.encode() + b'"}'


def sign_http(secret: str, body: bytes) -> str:
    """The X-Device-Signature header value for an HTTP push."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
