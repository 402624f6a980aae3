"""Payment providers behind one interface. The simulated online provider signs its
notifications like a real one (HMAC-SHA256 over the exact body), so the callback code
path is the one a real provider would use; the staffed counter needs no provider.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any, Protocol

from anju.core.config import get_settings
from anju.fees.exceptions import BadSignature

SIGNATURE_HEADER = "X-Anju-Pay-Signature"


@dataclass(frozen=True)
class Notification:
    """What a provider tells us about an order: paid (or failed), its own transaction id."""

    order_no: str
    txn_id: str
    amount_fen: int
    success: bool


class PaymentProvider(Protocol):
    name: str

    def checkout_url(self, order_no: str) -> str:
        """Where the payer goes to pay this order."""
        ...

    def verify(self, body: bytes, signature: str) -> Notification:
        """Parse a callback body after checking its signature (BadSignature otherwise)."""
        ...


class SimulatedProvider:
    """A provider that lives in this process: its checkout page is /h5/bills/pay/<order>."""

    name = "sim"

    def _key(self) -> bytes:
        secret = get_settings().secret_key.get_secret_value().encode()
        return hmac.new(secret, b"anju.fees.sim-provider", hashlib.sha256).digest()

    def checkout_url(self, order_no: str) -> str:
        return f"/h5/bills/pay/{order_no}"

    def sign(self, body: bytes) -> str:
        return hmac.new(self._key(), body, hashlib.sha256).hexdigest()

    def notification(
        self, *, order_no: str, amount_fen: int, success: bool = True, txn_id: str | None = None
    ) -> tuple[bytes, str]:
        """The signed body the provider POSTs to our callback once the payer confirmed."""
        payload: dict[str, Any] = {
            "order_no": order_no,
            "txn_id": txn_id or "SIM" + secrets.token_hex(10),
            "amount_fen": amount_fen,
            "status": "SUCCESS" if success else "FAILED",
        }
        body = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
        return body, self.sign(body)

    def verify(self, body: bytes, signature: str) -> Notification:
        if not signature or not hmac.compare_digest(self.sign(body), signature.strip().lower()):
            raise BadSignature()
        try:
            data = json.loads(body)
            return Notification(
                order_no=str(data["order_no"]),
                txn_id=str(data["txn_id"])[:64],
                amount_fen=int(data["amount_fen"]),
                success=data["status"] == "SUCCESS",
            )
        except (ValueError, KeyError, TypeError):
            raise BadSignature("malformed notification body", zh="支付通知格式错误") from None


simulated_provider = SimulatedProvider()
PROVIDERS: dict[str, PaymentProvider] = {simulated_provider.name: simulated_provider}
