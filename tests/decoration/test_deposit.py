"""The decoration deposit through the fees ledger (issue 18): charged on approval, settled after the final
inspection (110号令 第17条 inspection; the deposit itself is the property company's 装修管理服务协议 under
第16条), each deduction recorded with its reason, the rest refunded; outbox events both ways, idempotent."""

from __future__ import annotations

from sqlalchemy import func, select

from anju.core.events import OutboxEvent
from anju.decoration.models import DecorationApplication
from anju.fees.accounts import Deduction, deposit_service
from anju.fees.models import Deposit, DepositEntry
from anju.notify.models import Notification
from tests.conftest import run_worker_once
from tests.decoration.test_decoration import _apply, _approve


def _inspect(client, login, app_id, **body):
    return client.post(f"/api/v1/decorations/{app_id}/inspections", headers=login("manager_wang"), json=body)


def _entries(session, dep):
    return [(e.kind, e.amount_fen, e.reason) for e in deposit_service.entries(session, deposit_id=dep.id)]


class TestDeposit:
    def test_ling110_art16_deposit_is_charged_to_the_fees_ledger_on_approval(self, client, login, ids, session):
        app = _apply(client, login, ids, deposit_fen=200000)
        assert session.execute(select(Deposit).where(Deposit.source == f"decoration:{app['id']}")).first() is None
        approved = _approve(client, login, app["id"])
        assert approved["deposit_status"] == "due"  # asked through the outbox, not yet charged
        run_worker_once()
        dep = deposit_service.by_source(session, f"decoration:{app['id']}")
        assert dep is not None and dep.amount_fen == 200000 and dep.status == "held" and dep.house_id == ids["li_house"]
        assert _entries(session, dep) == [("charge", 200000, "装修押金")]
        got = client.get(f"/api/v1/decorations/{app['id']}", headers=login("resident_li")).json()
        assert got["deposit_status"] == "held"

    def test_ling110_art17_final_inspection_settles_deductions_with_reasons_and_refunds_the_rest(
        self, client, login, ids, session
    ):
        app = _approve(client, login, _apply(client, login, ids, deposit_fen=200000)["id"])
        run_worker_once()
        r = _inspect(
            client,
            login,
            app["id"],
            kind="final",
            passed=True,
            deductions=[
                {"amount_fen": 30000, "reason": "电梯轿厢壁板划伤修复"},
                {"amount_fen": 5050, "reason": "楼道建筑垃圾清运"},
            ],
        )
        assert r.status_code == 201, r.text
        assert client.get(f"/api/v1/decorations/{app['id']}", headers=login("resident_li")).json()[
            "deposit_status"
        ] == ("refund_due")
        run_worker_once()
        dep = deposit_service.by_source(session, f"decoration:{app['id']}")
        assert dep.status == "settled" and (dep.deducted_fen, dep.refunded_fen) == (35050, 164950)
        assert _entries(session, dep) == [
            ("charge", 200000, "装修押金"),
            ("deduction", 30000, "电梯轿厢壁板划伤修复"),
            ("deduction", 5050, "楼道建筑垃圾清运"),
            ("refund", 164950, "押金退还"),
        ]
        got = client.get(f"/api/v1/decorations/{app['id']}", headers=login("resident_li")).json()
        assert got["deposit_status"] == "refunded"
        assert (got["deposit_deducted_fen"], got["deposit_refunded_fen"]) == (35050, 164950)
        msg = (
            session.execute(
                select(Notification).where(Notification.title == "装修押金已结算").order_by(Notification.id.desc())
            )
            .scalars()
            .first()
        )
        assert msg is not None and "1649.50" in msg.body and "电梯轿厢壁板划伤修复" in msg.body

    def test_deductions_beyond_the_deposit_or_before_the_final_inspection_are_refused(
        self, client, login, ids, session
    ):
        app = _approve(client, login, _apply(client, login, ids, deposit_fen=10000)["id"])
        too_much = _inspect(
            client, login, app["id"], kind="final", passed=True, deductions=[{"amount_fen": 10001, "reason": "损坏"}]
        )
        assert too_much.status_code == 422
        during = _inspect(
            client, login, app["id"], kind="during", passed=True, deductions=[{"amount_fen": 100, "reason": "损坏"}]
        )
        assert during.status_code == 422
        no_reason = _inspect(
            client, login, app["id"], kind="final", passed=True, deductions=[{"amount_fen": 100, "reason": ""}]
        )
        assert no_reason.status_code == 422
        assert session.get(DecorationApplication, app["id"]).status == "approved"  # nothing happened

    def test_withdrawal_after_approval_refunds_the_whole_deposit(self, client, login, ids, session):
        app = _approve(client, login, _apply(client, login, ids, deposit_fen=50000)["id"])
        run_worker_once()
        r = client.post(f"/api/v1/decorations/{app['id']}/cancel", headers=login("resident_li"))
        assert r.status_code == 200
        run_worker_once()
        dep = deposit_service.by_source(session, f"decoration:{app['id']}")
        assert (dep.status, dep.deducted_fen, dep.refunded_fen) == ("settled", 0, 50000)

    def test_no_deposit_no_ledger_rows(self, client, login, ids, session):
        app = _approve(client, login, _apply(client, login, ids, deposit_fen=0)["id"])
        assert app["deposit_status"] == "none"
        _inspect(client, login, app["id"], kind="final", passed=True)
        run_worker_once()
        assert deposit_service.by_source(session, f"decoration:{app['id']}") is None

    def test_replayed_events_never_charge_or_refund_twice(self, client, login, ids, session):
        app = _approve(client, login, _apply(client, login, ids, deposit_fen=80000)["id"])
        run_worker_once()
        src = f"decoration:{app['id']}"
        # A second delivery of the same request (a crashed worker's retry) returns the first deposit.
        again = deposit_service.charge(
            session, compound_id=ids["A"], house_id=ids["li_house"], source=src, purpose="装修押金", amount_fen=80000
        )
        assert again.id == deposit_service.by_source(session, src).id
        first = deposit_service.settle(session, source=src, deductions=[Deduction(1000, "墙面修补")], user_id=None)
        second = deposit_service.settle(session, source=src, deductions=[Deduction(9000, "重复")], user_id=None)
        assert first.id == second.id and second.deducted_fen == 1000 and second.refunded_fen == 79000
        n = session.execute(select(func.count()).select_from(DepositEntry).where(DepositEntry.deposit_id == first.id))
        assert n.scalar_one() == 3  # charge, one deduction, one refund
        settled = session.execute(
            select(func.count()).select_from(OutboxEvent).where(OutboxEvent.topic == "fees.DepositSettled")
        ).scalar_one()
        assert settled >= 1
        rows = session.execute(select(func.count()).select_from(Deposit).where(Deposit.source == src)).scalar_one()
        assert rows == 1
