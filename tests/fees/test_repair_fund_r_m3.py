"""R-M3 (Shanghai 上海规定 第51条): where common income mainly funds repairs, more than half of each
quarter's net common income moves to the repair fund, once per quarter, visible to owners."""

from __future__ import annotations

from datetime import date

import pytest

from anju.core.kit.china_time import china_date
from anju.fees.models import CommonIncome
from anju.fees.repair_fund import previous_quarter, quarter_bounds, repair_fund_service, share_of
from anju.fees.tasks import move_last_quarter

TODAY = date(2026, 11, 21)


def _income(session, compound_id: int, day: date, gross: int, cost: int = 0) -> None:
    session.add(
        CommonIncome(
            compound_id=compound_id,
            occurred_on=day,
            kind="ads",
            description="电梯广告",
            gross_fen=gross,
            cost_fen=cost,
            cost_doc="合同" if cost else None,
        )
    )
    session.flush()


def _policy(client, login, ids, permille: int):
    return client.put(
        "/api/v1/fees/income-policy",
        headers=login("manager_wang"),
        json={"compound_id": ids["A"], "share_permille": permille, "rule_ref": "业主大会决议 2026-02"},
    )


def test_r_m3_quarter_arithmetic():
    assert previous_quarter(date(2026, 1, 5)) == "2025Q4" and previous_quarter(TODAY) == "2026Q3"
    assert quarter_bounds("2026Q3") == (date(2026, 7, 1), date(2026, 10, 1))
    assert quarter_bounds("2026Q4") == (date(2026, 10, 1), date(2027, 1, 1))
    assert share_of(100_001, 501) == 50_101  # rounded up to the fen: still more than half
    assert share_of(-500, 600) == 0


def test_r_m3_share_must_be_more_than_half(client, login, ids):
    for bad in (500, 0, 1001):
        r = _policy(client, login, ids, bad)
        assert r.status_code == 422, bad
    assert _policy(client, login, ids, 501).status_code == 200
    assert (
        client.put(
            "/api/v1/fees/income-policy",
            headers=login("resident_li"),
            json={"compound_id": ids["A"], "share_permille": 600, "rule_ref": "x决议"},
        ).status_code
        == 403
    )


def test_r_m3_quarterly_job_moves_the_share_once(client, login, session, ids, persona):
    assert _policy(client, login, ids, 600).status_code == 200
    _income(session, ids["A"], date(2026, 7, 3), 300_000, cost=50_000)  # net 2,500.00
    _income(session, ids["A"], date(2026, 9, 30), 100_000)  # net 1,000.00
    _income(session, ids["A"], date(2026, 10, 1), 999_999)  # next quarter: not counted
    assert move_last_quarter(TODAY) == {ids["A"]: 210_000}  # 60 % of 3,500.00
    assert move_last_quarter(TODAY) == {ids["A"]: 210_000}  # a second run finds the same transfer
    rows = client.get(f"/api/v1/fees/repair-fund-transfers?compound_id={ids['A']}", headers=login("resident_li"))
    assert rows.status_code == 200
    assert [(t["quarter"], t["net_fen"], t["amount_fen"]) for t in rows.json()] == [("2026Q3", 350_000, 210_000)]
    from anju.fees.service import fee_service  # the ledger owners see shows the move and the balance

    ledger = fee_service.ledger(session, by=persona("resident_li").who, compound_id=ids["A"])
    assert ledger["repair_fund_fen"] == 210_000 and ledger["balance_fen"] == ledger["net_fen"] - 210_000


def test_r_m3_bad_requests(client, login, ids):
    h = login("manager_wang")
    assert (
        client.post(
            "/api/v1/fees/repair-fund-transfers", headers=h, json={"compound_id": ids["A"], "quarter": "2026Q3"}
        ).status_code
        == 422
    )  # no policy yet
    _policy(client, login, ids, 700)
    assert (
        client.post(
            "/api/v1/fees/repair-fund-transfers", headers=h, json={"compound_id": ids["A"], "quarter": "2026-Q3"}
        ).status_code
        == 422
    )
    future = f"{china_date().year + 1}Q1"
    r = client.post("/api/v1/fees/repair-fund-transfers", headers=h, json={"compound_id": ids["A"], "quarter": future})
    assert r.status_code == 422 and r.json()["error"]["code"] == "fees_bad_quarter"
    assert (
        client.post(
            "/api/v1/fees/repair-fund-transfers",
            headers=login("outsider_zhao"),
            json={"compound_id": ids["A"], "quarter": "2026Q1"},
        ).status_code
        == 404
    )
    assert (
        client.get(
            f"/api/v1/fees/repair-fund-transfers?compound_id={ids['A']}", headers=login("outsider_zhao")
        ).status_code
        == 404
    )


@pytest.mark.parametrize("quarter", ["2026Q5", "26Q1"])
def test_r_m3_quarter_format_is_checked_by_the_service(session, quarter):
    from anju.fees.exceptions import BadQuarter

    with pytest.raises(BadQuarter):
        quarter_bounds(quarter)
    assert repair_fund_service is not None
