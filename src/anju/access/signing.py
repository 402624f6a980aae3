"""Per-compound Ed25519 keys and the signed QR tokens of residents and visitors.

Ed25519 rather than HMAC: a terminal verifies offline with the public key only,
so a stolen terminal cannot mint codes. Tokens are short ASCII for QR codes:

    AQ1.<compound>.<credential>.<window>.<nonce>.<sig>          resident, rotates every window
    AV1.<compound>.<pass>.<from>.<until>.<nonce>.<sig>         visitor pass
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import time
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anju.access.models import SigningKey
from anju.core.crypto import decrypt, encrypt

_CTX = "access.signing_key"
_private_cache: dict[str, Ed25519PrivateKey] = {}
_public_cache: dict[str, Ed25519PublicKey] = {}


def _b64(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


_B64URL = re.compile(r"[A-Za-z0-9_-]*")


def _unb64(s: str) -> bytes:
    """Strict unpadded base64url: only the one canonical spelling of some bytes decodes.

    The lenient decoder also takes `+` and `/`, padding, and a last character whose unused low
    bits are set; each would be another spelling of the same signature (issue 20 item 3).
    """
    if not _B64URL.fullmatch(s) or len(s) % 4 == 1:
        raise ValueError("not canonical base64url")
    raw = base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
    if _b64(raw) != s:  # unused trailing bits set
        raise ValueError("not canonical base64url")
    return raw


_KEYS = (
    select(SigningKey)
    .where(SigningKey.compound_id == bindparam("compound"), SigningKey.retired_at.is_(None))
    .order_by(SigningKey.id.desc())
)  # built once: every QR decision runs it


def signing_keys(session: Session, compound_id: int) -> list[SigningKey]:
    return list(session.execute(_KEYS, {"compound": compound_id}).scalars())


# Every QR decision needs the compound's public keys; they change only when a key is added.
# A verification that fails against the cached keys re-reads them before denying, so a new
# key is never missed; a key retired in the database stops verifying within _KEY_TTL.
_KEY_TTL = 5.0
_key_cache: dict[int, tuple[float, tuple[str, ...]]] = {}


def public_keys(session: Session, compound_id: int, *, fresh: bool = False) -> tuple[str, ...]:
    """The compound's active public keys, newest first, cached for a few seconds."""
    now = time.monotonic()
    hit = _key_cache.get(compound_id)
    if hit is not None and not fresh and hit[0] > now:
        return hit[1]
    keys = tuple(k.public_b64 for k in signing_keys(session, compound_id))
    if keys:
        _key_cache[compound_id] = (now + _KEY_TTL, keys)
    return keys


def verify_for(session: Session, compound_id: int, token: str) -> str | None:
    """The signed body if one of the compound's keys verifies the token (cached keys first)."""
    keys = public_keys(session, compound_id)
    body = verify(list(keys), token)
    if body is None:
        fresh = public_keys(session, compound_id, fresh=True)
        if fresh != keys:
            body = verify(list(fresh), token)
    return body


def current_key(session: Session, compound_id: int) -> SigningKey:
    """The compound's active key, created on first use."""
    keys = signing_keys(session, compound_id)
    if keys:
        return keys[0]
    priv = Ed25519PrivateKey.generate()
    raw = priv.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    pub = priv.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    row = SigningKey(
        compound_id=compound_id, kid="k1", private_enc=encrypt(_b64(raw), context=_CTX) or "", public_b64=_b64(pub)
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # a concurrent request created it first
        return signing_keys(session, compound_id)[0]
    return row


def _private(key: SigningKey) -> Ed25519PrivateKey:
    k = _private_cache.get(key.public_b64)
    if k is None:
        k = Ed25519PrivateKey.from_private_bytes(_unb64(decrypt(key.private_enc, context=_CTX) or ""))
        _private_cache[key.public_b64] = k
    return k


def _public(public_b64: str) -> Ed25519PublicKey:
    k = _public_cache.get(public_b64)
    if k is None:
        k = Ed25519PublicKey.from_public_bytes(_unb64(public_b64))
        _public_cache[public_b64] = k
    return k


def sign(session: Session, compound_id: int, body: str) -> str:
    return f"{body}.{_b64(_private(current_key(session, compound_id)).sign(body.encode()))}"


def verify(public_keys: list[str], token: str) -> str | None:
    """The signed body if any of the keys verifies the token, else None."""
    body, _, sig = token.rpartition(".")
    if not body or not sig:
        return None
    try:
        raw = _unb64(sig)
    except (ValueError, TypeError):
        return None
    for pk in public_keys:
        try:
            _public(pk).verify(raw, body.encode())
            return body
        except (InvalidSignature, ValueError):
            continue
    return None


def token_digest(body: str) -> str:
    """Replay key of a token: the digest of its verified body, whatever the spelling of its signature."""
    return hashlib.sha256(body.encode()).hexdigest()[:32]


def new_nonce() -> str:
    return secrets.token_hex(4)


@dataclass(frozen=True)
class ResidentQr:
    compound_id: int
    credential_id: int
    window: int


@dataclass(frozen=True)
class VisitorQr:
    compound_id: int
    pass_id: int
    valid_from: int
    valid_until: int
    nonce: str


def resident_body(compound_id: int, credential_id: int, window: int) -> str:
    return f"AQ1.{compound_id}.{credential_id}.{window}.{new_nonce()}"


def visitor_body(compound_id: int, pass_id: int, valid_from: int, valid_until: int, nonce: str) -> str:
    return f"AV1.{compound_id}.{pass_id}.{valid_from}.{valid_until}.{nonce}"


def parse(token: str) -> ResidentQr | VisitorQr | None:
    """Structure of a token (signature NOT checked); None if malformed."""
    parts = token.strip().split(".")
    try:
        if parts[0] == "AQ1" and len(parts) == 6:
            return ResidentQr(int(parts[1]), int(parts[2]), int(parts[3]))
        if parts[0] == "AV1" and len(parts) == 7:
            return VisitorQr(int(parts[1]), int(parts[2]), int(parts[3]), int(parts[4]), parts[5])
    except ValueError:
        return None
    return None
