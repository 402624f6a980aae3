"""Payment providers behind one interface. The simulated online provider signs its
notifications like a real one (HMAC-SHA256 over the exact body), so the callback code
path is the one a real provider would use; the staffed counter needs no provider.

The simulated provider exists for development and the demo only: in a deployment
(ANJU_ENV other than development) it can neither be configured (settings refuse it),
nor chosen here, nor verify a notification. Without a real provider online payment is
off and bills are paid at the counter (R-M7).

Refunds go back through the provider that took the money (`refund`), keyed by our refund number: real
providers treat it as the idempotency key (WeChat Pay's out_refund_no, Alipay's out_request_no), and
the simulated one does the same, so a call retried after a timeout or a crash refunds once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
from dataclasses import dataclass
from typing import Any, Protocol

from anju.core.config import get_settings
from anju.fees.exceptions import BadSignature, OnlinePaymentOff, RefundRefused

SIGNATURE_HEADER = "X-Anju-Pay-Signature"


@dataclass(frozen=True)
class Notification:
    """What a provider tells us about an order: paid (or failed), its own transaction id."""

    order_no: str
    txn_id: str
    amount_fen: int
    success: bool


@dataclass(frozen=True)
class RefundReceipt:
    """What a provider answers to a refund: our number, its own refund id, the amount sent back."""

    refund_no: str
    refund_id: str
    txn_id: str
    amount_fen: int


class PaymentProvider(Protocol):
    name: str

    def refund(self, *, refund_no: str, txn_id: str, amount_fen: int) -> RefundReceipt:
        """Send `amount_fen` of the payment `txn_id` back to the payer. Asked again with the same `refund_no`, the
        provider answers with the first refund and pays nothing more (RefundRefused for a different amount)."""
        ...

    def checkout_url(self, order_no: str) -> str:
        """Where the payer goes to pay this order."""
        ...

    def verify(self, body: bytes, signature: str) -> Notification:
        """Parse a callback body after checking its signature (BadSignature otherwise)."""
        ...


class SimulatedProvider:
    """A provider that lives in this process: its checkout page is /h5/bills/pay/<order>."""

    name = "sim"

    def __init__(self) -> None:
        self._refunds: dict[str, RefundReceipt] = {}  # the provider's own book, by our refund number
        self._lock = threading.Lock()

    def refund(self, *, refund_no: str, txn_id: str, amount_fen: int) -> RefundReceipt:
        """Settles at once, as the simulated payments do; idempotent by `refund_no`."""
        if get_settings().is_deployment:
            raise RefundRefused(
                "the simulated provider is disabled outside development", zh="模拟支付在正式环境中已停用"
            )
        if amount_fen <= 0:
            raise RefundRefused("a refund must be positive", zh="退款金额必须大于零")
        with self._lock:
            prior = self._refunds.get(refund_no)
            if prior is not None:
                if (prior.txn_id, prior.amount_fen) != (txn_id, amount_fen):
                    raise RefundRefused(
                        f"refund {refund_no} was made for another payment or amount", zh="该退款单号已用于其他退款"
                    )
                return prior
            receipt = RefundReceipt(refund_no, "SIMR" + secrets.token_hex(10), txn_id, amount_fen)
            self._refunds[refund_no] = receipt
            return receipt

    def refunded(self, txn_id: str) -> list[RefundReceipt]:
        """The refunds this provider has paid out for a payment (what its statement would show)."""
        with self._lock:
            return [r for r in self._refunds.values() if r.txn_id == txn_id]

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
        if get_settings().is_deployment:  # defence in depth: settings already refuse "sim" there
            raise BadSignature(
                "the simulated provider is disabled outside development", zh="模拟支付在正式环境中已停用"
            )
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
        except (ValueError, KeyError, TypeError, OverflowError):
            raise BadSignature("malformed notification body", zh="支付通知格式错误") from None


simulated_provider = SimulatedProvider()
PROVIDERS: dict[str, PaymentProvider] = {simulated_provider.name: simulated_provider}


def register_provider(provider: PaymentProvider) -> None:
    """A vendor adapter (WeChat Pay, Alipay, a bank) registers itself under its name."""
    PROVIDERS[provider.name] = provider


def _usable(name: str) -> PaymentProvider | None:
    if name == simulated_provider.name and get_settings().is_deployment:
        return None
    return PROVIDERS.get(name)


def online_provider() -> PaymentProvider | None:
    """The provider payers use now, or None when online payment is off (pages say so)."""
    name = get_settings().online_payment_provider
    return _usable(name) if name else None


def online_payment_off_reason() -> dict[str, str] | None:
    """Why online payment is off ({"zh", "en"}), or None when it is on."""
    name = get_settings().online_payment_provider
    if name is None:
        return {
            "zh": "暂未开通线上缴费，请到物业服务中心柜台缴纳（现金、刷卡或工作人员协助）。",
            "en": "Online payment is not available; please pay at the service counter (cash, card or staff-assisted).",
        }
    if _usable(name) is None:
        return {
            "zh": f"线上缴费渠道（{name}）未安装，请到物业服务中心柜台缴纳。",
            "en": f"The online payment provider ({name}) is not installed; please pay at the service counter.",
        }
    return None


def require_online_provider() -> PaymentProvider:
    provider = online_provider()
    if provider is None:
        reason = online_payment_off_reason() or {"zh": "暂未开通线上缴费", "en": "online payment is off"}
        raise OnlinePaymentOff(reason["en"], zh=reason["zh"])
    return provider


def provider_named(name: str) -> PaymentProvider | None:
    """An installed, usable provider by name (never "sim" in a deployment), e.g. to refund what it took."""
    return _usable(name)


def callback_provider(name: str) -> PaymentProvider:
    """The provider a callback claims to come from: it must be the one in use (never "sim" in a deployment)."""
    provider = _usable(name)
    if provider is None:
        raise BadSignature(f"unknown or disabled provider {name}", zh="未知或已停用的支付机构")
    return provider
