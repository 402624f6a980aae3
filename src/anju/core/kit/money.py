"""Money as integer fen: parse what people type in yuan, print fen as yuan, one rounding rule."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from anju.core.errors import AppError, Invalid

MAX_FEN = 10_000_000_00  # ten million yuan: far above any single bill or payment


def _bad(error: type[AppError], field: str, en: str, zh: str | None = None, detail: str | None = None) -> AppError:
    return error(f"{field}: {detail or en}", zh=zh, fields=[{"field": field, "message": en}])


def parse_yuan(value: object, *, field: str = "amount", error: type[AppError] = Invalid) -> int:
    """'123.45' -> 12345 fen. Refuses negatives, zero, non-numbers, more than two decimals."""
    text = str(value if value is not None else "").strip().replace("¥", "").replace(",", "")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise _bad(error, field, "not a number") from None
    if not amount.is_finite():
        raise _bad(error, field, "not a number")
    if amount <= 0:
        raise _bad(error, field, "must be positive", "金额必须大于零")
    if amount > Decimal(MAX_FEN) / 100:  # before quantize, which cannot represent 1e9999 in fen
        raise _bad(error, field, "too large", "金额过大")
    if amount != amount.quantize(Decimal("0.01")):
        raise _bad(error, field, "at most two decimals", "金额最多两位小数", detail="at most two decimals (fen)")
    fen = int(amount * 100)
    if fen > MAX_FEN:
        raise _bad(error, field, "too large", "金额过大")
    return fen


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
