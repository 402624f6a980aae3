"""Channel adapters: SMS/voice behind a provider interface (logging by default), signed webhooks."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import uuid
from collections import deque
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from anju.core.crypto import mask_phone

log = logging.getLogger("anju.notify")


class SendFailed(Exception):
    """The channel refused or could not be reached; the delivery is retried with backoff."""


class ChannelOff(SendFailed):
    """No provider is configured for this channel: retrying cannot help, the delivery fails at once."""


class PhoneProvider(Protocol):
    def send_sms(self, phone: str, text: str) -> str: ...
    def call(self, phone: str, text: str) -> str: ...


@dataclass
class Sent:
    channel: str
    phone_masked: str | None
    text: str
    ref: str


class LoggingProvider:
    """Default provider: logs a masked number and the text; keeps the last sends for tests and the demo."""

    def __init__(self) -> None:
        self.sent: deque[Sent] = deque(maxlen=1000)

    def _send(self, channel: str, phone: str, text: str) -> str:
        ref = f"log-{uuid.uuid4().hex[:12]}"
        self.sent.append(Sent(channel, mask_phone(phone), text, ref))
        log.info("%s to %s: %s (%s)", channel, mask_phone(phone), text, ref)
        return ref

    def send_sms(self, phone: str, text: str) -> str:
        return self._send("sms", phone, text)

    def call(self, phone: str, text: str) -> str:
        return self._send("voice", phone, text)


_providers: dict[str, PhoneProvider] = {"logging": LoggingProvider()}


def register_provider(name: str, provider: PhoneProvider) -> None:
    _providers[name] = provider


def phone_provider(name: str | None) -> PhoneProvider:
    """The provider by name; ChannelOff when none is configured or the name is not installed."""
    if name is None:
        raise ChannelOff("no SMS/voice provider is configured (the logging provider is for development only)")
    try:
        return _providers[name]
    except KeyError:
        raise ChannelOff(f"SMS/voice provider {name!r} is not installed") from None


def sign_webhook(secret: str, timestamp: str, body: bytes) -> str:
    """X-Anju-Signature: hex HMAC-SHA256 over "<timestamp>.<body>" (the timestamp stops replays)."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def post_webhook(url: str, secret: str, payload: dict[str, Any], *, delivery_id: int, timeout: float) -> str:
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
    ts = str(int(time.time()))
    headers = {
        "content-type": "application/json",
        "x-anju-timestamp": ts,
        "x-anju-signature": "sha256=" + sign_webhook(secret, ts, body),
        "x-anju-delivery": str(delivery_id),
    }
    try:
        r = httpx.post(url, content=body, headers=headers, timeout=timeout)
    except httpx.HTTPError as e:
        raise SendFailed(f"{type(e).__name__}: {e}") from e
    if r.status_code >= 300:
        raise SendFailed(f"HTTP {r.status_code}")
    return f"http-{r.status_code}"
