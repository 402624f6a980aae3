"""Exact fractions for areas and shares: Decimal in, Fraction out, never through float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction


def frac(value: Decimal | int | str | Fraction) -> Fraction:
    """An exact fraction from a Decimal area (never through float)."""
    return value if isinstance(value, Fraction) else Fraction(value)


def to_decimal(value: Fraction, places: int = 2) -> Decimal:
    """A fraction rounded half-up for display only; decisions never use it."""
    q = Decimal(1).scaleb(-places)
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(q, rounding=ROUND_HALF_UP)


def percent(part: Decimal | int | str | Fraction, whole: Decimal | int | str | Fraction, places: int = 1) -> str:
    """part/whole as a percentage for display ('66.7%'); '0%' when the whole is zero."""
    w = frac(whole)
    if w == 0:
        return "0%"
    return f"{to_decimal(frac(part) / w * 100, places)}%"
