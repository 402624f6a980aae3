"""Field-level encryption and blind indexes for personal data (PIPL, R-P1).

Ciphertext is AES-256-GCM with a random nonce, stored as text "v1:<base64>".
A blind index (HMAC-SHA256 under a separate derived key) lets us look up and
de-duplicate phone and ID numbers without storing them in plaintext.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from anju.core.config import get_settings

_PREFIX = "v1:"


def _derive(material: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"anju-pii", info=info).derive(material)


@lru_cache
def _keys() -> tuple[bytes, bytes]:
    s = get_settings()
    root = (s.data_key or s.secret_key).get_secret_value().encode()
    return _derive(root, b"enc"), _derive(root, b"bidx")


def reset_keys() -> None:
    _keys.cache_clear()


def encrypt(plaintext: str | None, *, context: str = "") -> str | None:
    """Encrypt a personal-data value; the context (e.g. "person.phone") is bound as AAD."""
    if plaintext is None or plaintext == "":
        return None
    nonce = os.urandom(12)
    ct = AESGCM(_keys()[0]).encrypt(nonce, plaintext.encode(), context.encode())
    return _PREFIX + base64.b64encode(nonce + ct).decode()


def decrypt(token: str | None, *, context: str = "") -> str | None:
    if token is None:
        return None
    if not token.startswith(_PREFIX):
        raise ValueError("unknown ciphertext version")
    raw = base64.b64decode(token[len(_PREFIX) :])
    return AESGCM(_keys()[0]).decrypt(raw[:12], raw[12:], context.encode()).decode()


def blind_index(value: str | None, *, context: str) -> str | None:
    """Deterministic keyed digest for equality search; not reversible without the key."""
    if value is None or value == "":
        return None
    normalised = value.strip().upper()
    return hmac.new(_keys()[1], f"{context}|{normalised}".encode(), hashlib.sha256).hexdigest()[:32]


def mask_phone(phone: str | None) -> str | None:
    """138****1234."""
    if not phone:
        return None
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_id_number(id_number: str | None) -> str | None:
    """110***********1234."""
    if not id_number:
        return None
    if len(id_number) < 8:
        return "*" * len(id_number)
    return id_number[:3] + "*" * (len(id_number) - 7) + id_number[-4:]


def mask_plate(plate: str | None) -> str | None:
    """京A***45: region and issuing office, the last two characters; what change records keep of a plate."""
    if not plate:
        return None
    if len(plate) <= 4:
        return "*" * len(plate)
    return plate[:2] + "*" * (len(plate) - 4) + plate[-2:]


def mask_name(name: str | None) -> str | None:
    """张*明 — for dashboards and public notices (R-P6)."""
    if not name:
        return None
    if len(name) == 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
