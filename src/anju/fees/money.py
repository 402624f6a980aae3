"""Money as integer fen: parse what people type in yuan, print fen as yuan."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from anju.fees.exceptions import BadAmount

MAX_FEN = 10_000_000_00  # ten million yuan: far above any single bill or payment


def parse_yuan(value: object, *, field: str = "amount") -> int:
    """'123.45' -> 12345 fen. Refuses negatives, zero, non-numbers, more than two decimals."""
    text = str(value if value is not None else "").strip().replace("¥", "").replace(",", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise BadAmount(f"{field}: not a number", fields=[{"field": field, "message": "not a number"}]) from None
    if not amount.is_finite():
        raise BadAmount(f"{field}: not a number", fields=[{"field": field, "message": "not a number"}])
    if amount <= 0:
        raise BadAmount(
            f"{field}: must be positive", zh="金额必须大于零", fields=[{"field": field, "message": "must be positive"}]
        )
    if amount != amount.quantize(Decimal("0.01")):
        raise BadAmount(
            f"{field}: at most two decimals (fen)",
            zh="金额最多两位小数",
            fields=[{"field": field, "message": "at most two decimals"}],
        )
    fen = int(amount * 100)
    if fen > MAX_FEN:
        raise BadAmount(f"{field}: too large", zh="金额过大", fields=[{"field": field, "message": "too large"}])
    return fen


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


def fen_of(quantity: Decimal, rate_fen: Decimal) -> int:
    """quantity × rate, rounded half up to whole fen (the one rounding rule for bills)."""
    return int((Decimal(quantity) * Decimal(rate_fen)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def yuan(fen: int | None) -> str:
    """12345 -> '123.45' (negative amounts keep their sign)."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    fen = abs(int(fen))
    return f"{sign}{fen // 100}.{fen % 100:02d}"
