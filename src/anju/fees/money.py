"""Fee money: amounts and rates as fen, refusing bad input with BadAmount (the helpers live in core.kit.money)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from anju.core.kit import money
from anju.core.kit.money import MAX_FEN, fen_of, yuan
from anju.fees.exceptions import BadAmount

__all__ = ["MAX_FEN", "fen_of", "parse_rate", "parse_yuan", "yuan"]


def parse_yuan(value: object, *, field: str = "amount") -> int:
    """'123.45' -> 12345 fen. Refuses negatives, zero, non-numbers, more than two decimals, and numbers
    too large to round ("1e9999" made decimal's quantize fail: a 500 before)."""
    try:
        return money.parse_yuan(value, field=field, error=BadAmount)
    except ArithmeticError:  # decimal.InvalidOperation and friends
        raise BadAmount(
            f"{field}: too large", zh="金额过大", fields=[{"field": field, "message": "too large"}]
        ) from None


def parse_rate(value: object) -> Decimal:
    """A monthly rate in yuan ('2.355' per m²) as fen with up to two fractional digits (235.50)."""
    text = str(value if value is not None else "").strip()
    try:
        rate = Decimal(text)
    except InvalidOperation:
        raise BadAmount("rate: not a number", fields=[{"field": "rate", "message": "not a number"}]) from None
    if not rate.is_finite() or rate <= 0 or rate > 100_000:
        raise BadAmount(
            "rate: must be positive", zh="单价必须大于零", fields=[{"field": "rate", "message": "positive"}]
        )
    fen = rate * 100
    if fen != fen.quantize(Decimal("0.01")):
        raise BadAmount(
            "rate: at most four decimals",
            zh="单价最多四位小数",
            fields=[{"field": "rate", "message": "at most four decimals"}],
        )
    return fen.quantize(Decimal("0.01"))
