"""The kit: one home for China time, money in fen and exact fractions (issue 10, item 1)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction

import pytest

from anju.core.errors import Invalid
from anju.core.kit import china_time, fractions, money

pytestmark = pytest.mark.db_agnostic  # pure functions: run in the SQLite pass only (scripts/test.sh)


class TestChinaTime:
    def test_china_date_changes_at_16_utc(self):
        assert china_time.china_date(datetime(2026, 12, 6, 15, 59, tzinfo=UTC)) == date(2026, 12, 6)
        assert china_time.china_date(datetime(2026, 12, 6, 16, 0, tzinfo=UTC)) == date(2026, 12, 7)

    def test_text_is_wall_clock_without_offset(self):
        assert china_time.china_text(datetime(2026, 12, 6, 1, 30, tzinfo=UTC)) == "2026-12-06 09:30"
        assert china_time.china_text(None) == ""

    def test_china_datetime_is_aware(self):
        at = china_time.china_datetime(date(2026, 12, 6))
        assert at.astimezone(UTC) == datetime(2026, 12, 5, 16, 0, tzinfo=UTC)


class TestMoney:
    def test_parse_and_print_round_trip(self):
        assert money.parse_yuan("¥1,234.50") == 123450
        assert money.yuan(123450) == "1234.50"
        assert money.yuan(-5) == "-0.05"

    @pytest.mark.parametrize(
        "bad", ["", "abc", "0", "-1", "1.234", "NaN", "100000001", "1e9999", "9" * 500, "Infinity"]
    )
    def test_parse_refuses_bad_amounts(self, bad):
        with pytest.raises(Invalid):
            money.parse_yuan(bad)

    def test_one_rounding_rule(self):
        assert money.fen_of(Decimal("89.50"), Decimal("235.5")) == 21077  # 21077.25 -> 21077
        assert money.fen_of(Decimal("1"), Decimal("0.5")) == 1  # half up


class TestFractions:
    def test_area_is_exact(self):
        assert fractions.frac(Decimal("0.1")) + fractions.frac(Decimal("0.2")) == Fraction(3, 10)

    def test_display_rounds_half_up(self):
        assert fractions.to_decimal(Fraction(1, 8)) == Decimal("0.13")
        assert fractions.percent(2, 3) == "66.7%"
        assert fractions.percent(1, 0) == "0%"
