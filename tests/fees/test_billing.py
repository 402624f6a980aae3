"""Monthly billing: by exclusive area and its source (R-M2), developer pays for unsold units (R-M4),
only filed items (R-M5), idempotent re-runs, also when two runs race."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from anju.core.db import transaction
from anju.fees.enums import FeeBasis, FeeKind
from anju.fees.models import Bill, FeeItem
from anju.fees.schemas import FeeItemCreate
from anju.fees.service import fee_service
from anju.registry.enums import HouseStatus
from anju.registry.models import House
from tests.core.databases import dedicated_database
from tests.core.job_race import race
from tests.fees.helpers import li_open_bill

NEXT = "2031-01"


def _count(session, compound_id: int, period: str) -> int:
    return session.execute(
        select(func.count()).select_from(Bill).where(Bill.compound_id == compound_id, Bill.period == period)
    ).scalar_one()


class TestIdempotentBilling:
    def test_running_a_month_twice_creates_no_duplicates(self, client, login, session, ids):
        body = {"compound_id": ids["A"], "period": NEXT}
        first = client.post("/api/v1/fees/billing-runs", json=body, headers=login("manager_wang"))
        assert first.status_code == 200, first.text
        assert first.json()["created"] > 0
        n = _count(session, ids["A"], NEXT)
        assert n == first.json()["created"]
        second = client.post("/api/v1/fees/billing-runs", json=body, headers=login("manager_wang"))
        assert second.json()["created"] == 0 and second.json()["existing"] == n
        assert _count(session, ids["A"], NEXT) == n

    def test_bad_month_is_refused(self, client, login, ids):
        for period in ("2031-13", "2031-1", "abc", ""):
            r = client.post(
                "/api/v1/fees/billing-runs",
                json={"compound_id": ids["A"], "period": period},
                headers=login("manager_wang"),
            )
            assert r.status_code == 422, period

    def test_staff_without_fees_manage_cannot_run_billing(self, client, login, ids):
        r = client.post(
            "/api/v1/fees/billing-runs", json={"compound_id": ids["A"], "period": NEXT}, headers=login("staff_liu")
        )
        assert r.status_code == 403

    def test_outsider_cannot_bill_another_compound(self, client, login, ids):
        r = client.post(
            "/api/v1/fees/billing-runs", json={"compound_id": ids["A"], "period": NEXT}, headers=login("outsider_zhao")
        )
        assert r.status_code == 404


class TestRM2ExclusiveArea:
    def test_r_m2_property_fee_is_rate_times_exclusive_area_by_source(self, session, ids):
        bill = li_open_bill(session, ids)
        house = session.get(House, ids["li_house"])
        area, source = house.exclusive_area
        item = session.get(FeeItem, bill.item_id)
        assert bill.basis["area_source"] == source.value and Decimal(bill.basis["area"]) == area
        expected = (area * item.rate_fen).quantize(Decimal(1), rounding="ROUND_HALF_UP")
        assert bill.amount_fen == int(expected)

    def test_r_m2_registered_area_wins_over_surveyed_and_contract(self, session, ids):
        house = session.get(House, ids["li_house"])
        house.registered_area, house.surveyed_area, house.contract_area = (
            Decimal("90.00"),
            Decimal("95.00"),
            Decimal("99.00"),
        )
        session.flush()
        fee_service.run_billing(session, by=None, compound_id=ids["A"], period=NEXT)
        prop = session.execute(
            select(Bill)
            .join(FeeItem, FeeItem.id == Bill.item_id)
            .where(Bill.house_id == house.id, Bill.period == NEXT, FeeItem.code == "PROP")
        ).scalar_one()
        assert prop.basis["area_source"] == "registered" and prop.amount_fen == 90 * 235
        house.registered_area = None
        session.flush()
        fee_service.run_billing(session, by=None, compound_id=ids["A"], period="2031-02")
        prop2 = session.execute(
            select(Bill)
            .join(FeeItem, FeeItem.id == Bill.item_id)
            .where(Bill.house_id == house.id, Bill.period == "2031-02", FeeItem.code == "PROP")
        ).scalar_one()
        assert prop2.basis["area_source"] == "surveyed" and prop2.amount_fen == 95 * 235

    def test_r_m2_agreed_formula_needs_the_owners_agreement(self, client, login, ids):
        body = {
            "compound_id": ids["A"],
            "code": "PROP-FIX",
            "name": "物业费（按户定额）",
            "kind": "property",
            "basis": "per_house",
            "rate": "200",
            "filing_ref": "合同第五条",
        }
        r = client.post("/api/v1/fees/items", json=body, headers=login("manager_wang"))
        assert r.status_code == 422 and r.json()["error"]["code"] == "fees_agreement_required"
        ok = client.post(
            "/api/v1/fees/items",
            json={**body, "agreement_ref": "2026 年第一次业主大会决议第 3 项"},
            headers=login("manager_wang"),
        )
        assert ok.status_code == 201, ok.text

    def test_r_m2_agreed_per_house_formula_bills_the_same_to_every_house(self, session, ids):
        fee_service.create_item(
            session,
            by=None,
            data=FeeItemCreate(
                compound_id=ids["A"],
                code="FIX",
                name="定额",
                kind=FeeKind.property,
                basis=FeeBasis.per_house,
                rate="199.99",
                filing_ref="合同",
                agreement_ref="业主大会决议",
            ),
        )
        fee_service.run_billing(session, by=None, compound_id=ids["A"], period=NEXT)
        amounts = set(
            session.execute(
                select(Bill.amount_fen)
                .join(FeeItem, FeeItem.id == Bill.item_id)
                .where(FeeItem.code == "FIX", Bill.period == NEXT)
            ).scalars()
        )
        assert amounts == {19999}


class TestRM4Developer:
    def test_r_m4_unsold_units_are_billed_to_the_developer(self, session, ids):
        unsold = set(
            session.execute(
                select(House.id).where(House.compound_id == ids["A"], House.status == HouseStatus.developer_unsold)
            ).scalars()
        )
        assert unsold
        payers = dict(
            session.execute(
                select(Bill.house_id, Bill.payer_kind).where(Bill.compound_id == ids["A"], Bill.house_id.in_(unsold))
            ).all()
        )
        assert set(payers) == unsold and set(payers.values()) == {"developer"}
        owners = set(
            session.execute(
                select(Bill.payer_kind).where(Bill.compound_id == ids["A"], Bill.house_id.not_in(unsold))
            ).scalars()
        )
        assert owners == {"owner"}

    def test_r_m4_residents_never_see_developer_bills(self, client, login, session, ids):
        r = client.get("/api/v1/fees/bills", headers=login("resident_li"))
        assert r.status_code == 200
        assert r.json()["items"] and {b["house_id"] for b in r.json()["items"]} == {ids["li_house"]}

    def test_staff_without_fee_rights_are_refused_not_shown_an_empty_list(self, client, login):
        for username in ("guard_chen", "tech_ma"):
            r = client.get("/api/v1/fees/bills", headers=login(username))
            assert r.status_code == 403, username
        assert client.get("/api/v1/fees/bills", headers=login("staff_liu")).status_code == 200


class TestRM5Filed:
    def test_r_m5_an_item_without_contract_or_filing_cannot_be_created(self, client, login, ids):
        body = {
            "compound_id": ids["A"],
            "code": "EXTRA",
            "name": "电梯加价费",
            "kind": "other",
            "basis": "per_house",
            "rate": "20",
        }
        r = client.post("/api/v1/fees/items", json=body, headers=login("manager_wang"))
        assert r.status_code == 422 and r.json()["error"]["code"] == "fees_not_filed"
        assert "合同" in r.json()["error"]["message"]["zh"]

    def test_r_m5_an_inactive_item_is_not_billed(self, session, ids):
        item = session.execute(
            select(FeeItem).where(FeeItem.compound_id == ids["A"], FeeItem.code == "WASTE")
        ).scalar_one()
        item.active = False
        session.flush()
        fee_service.run_billing(session, by=None, compound_id=ids["A"], period=NEXT)
        n = session.execute(
            select(func.count()).select_from(Bill).where(Bill.item_id == item.id, Bill.period == NEXT)
        ).scalar_one()
        assert n == 0

    @pytest.mark.parametrize("rate", ["-2", "0", "abc", "1.23456", "NaN"])
    def test_bad_rates_are_refused(self, client, login, ids, rate):
        body = {
            "compound_id": ids["A"],
            "code": "R1",
            "name": "x",
            "kind": "other",
            "basis": "per_house",
            "rate": rate,
            "filing_ref": "合同",
        }
        assert client.post("/api/v1/fees/items", json=body, headers=login("manager_wang")).status_code == 422


def _run(compound_id: int, period: str, out: list[object]) -> None:
    try:
        with transaction() as s:
            out.append(fee_service.run_billing(s, by=None, compound_id=compound_id, period=period).created)
    except Exception as exc:  # noqa: BLE001 - the test asserts on what happened
        out.append(exc)


def test_two_concurrent_billing_runs_create_each_bill_once(tmp_path):
    with dedicated_database(tmp_path, "fees_billing_race", seed=True):
        with transaction() as s:
            from anju.registry.models import Compound

            a = s.execute(select(Compound.id).where(Compound.code == "SFXQ")).scalar_one()
        out: list[object] = []
        race(2, lambda _: _run(a, NEXT, out))
        with transaction() as s:
            total = _count(s, a, NEXT)
            dupes = s.execute(
                select(Bill.house_id, Bill.item_id)
                .where(Bill.period == NEXT)
                .group_by(Bill.house_id, Bill.item_id)
                .having(func.count() > 1)
            ).all()
        assert dupes == []
        created = [n for n in out if isinstance(n, int)]
        # Both runs finish (the loser inserts nothing) or one is refused by the unique key; never both insert.
        assert sum(created) == total and total > 0


def test_the_monthly_job_bills_the_current_month_once(session, ids):
    from datetime import date

    import anju.handlers  # noqa: F401
    from anju.core.jobs import registered_jobs
    from anju.fees.tasks import bill_current_month

    assert "fees.monthly_billing" in registered_jobs()
    first = bill_current_month(date(2032, 3, 5))
    assert first.get(ids["A"], 0) > 0
    assert bill_current_month(date(2032, 3, 20)) == dict.fromkeys(first, 0)
    assert _count(session, ids["A"], "2032-03") == first[ids["A"]]
