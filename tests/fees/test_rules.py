"""R-M1 (no cut-off for arrears; a reminder with a deadline first), R-M3 (the common-income ledger,
net of documented costs, visible to owners), arrears published only as aggregates."""

from __future__ import annotations

import ast
import re
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from anju.core.kit.china_time import china_date
from anju.fees.models import ArrearsReminder, Bill, FeeDisclosure
from anju.fees.service import previous_period
from anju.notices.models import Notice, NoticeDelivery
from anju.registry.models import House, Person
from tests.conftest import run_worker_once
from tests.fees.helpers import this_period

FEES_SRC = Path(__file__).parents[2] / "src" / "anju" / "fees"
CUT_WORDS = re.compile(
    r"cut|disconnect|shut.?off|suspend|restrict|valve|switch.?off|停水|停电|停暖|停气|断水|断电", re.IGNORECASE
)


class TestRM1NoCutOff:
    def test_r_m1_no_route_can_cut_utilities_for_arrears(self):
        """Neither the API (every operation, its path and summary) nor the fees pages offer a cut-off."""
        from anju.fees.endpoints import router as fees_api
        from anju.main import create_app
        from anju.web.fees_pages import router as fees_pages

        spec = create_app().openapi()["paths"]
        fee_ops = [(path, op) for path, ops in spec.items() for op in ops.values() if "/fees" in path]
        assert len(fee_ops) >= 10, "fees routes are mounted"
        assert [p for p, op in fee_ops if CUT_WORDS.search(p + " " + op.get("summary", ""))] == []
        pages = [r.path for r in fees_pages.routes] + [r.path for r in fees_api.routes]
        assert [p for p in pages if CUT_WORDS.search(p)] == []

    def test_r_m1_the_fees_domain_never_commands_devices(self):
        """Fees code imports nothing that can command a device (valves, meters, relays)."""
        for path in FEES_SRC.glob("*.py"):
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                    assert not any(n.startswith(("anju.devices", "anju.access")) for n in names), path.name
            for fn in [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]:
                assert not CUT_WORDS.search(fn.name), f"{path.name}: {fn.name}"

    def test_r_m1_no_cli_command_cuts_utilities(self):
        from typer.main import get_command

        from anju.cli import app

        def names(cmd, prefix=""):
            yield prefix + cmd.name if cmd.name else prefix
            for sub in getattr(cmd, "commands", {}).values():
                yield from names(sub, prefix + (cmd.name or "") + " ")

        assert [n for n in names(get_command(app)) if CUT_WORDS.search(n)] == []

    def test_r_m1_reminder_deadline_must_be_reasonable(self, client, login, ids):
        body = {
            "compound_id": ids["A"],
            "period": previous_period(this_period()),
            "deadline": (china_date() + timedelta(days=3)).isoformat(),
        }
        r = client.post("/api/v1/fees/reminders", json=body, headers=login("manager_wang"))
        assert r.status_code == 422 and r.json()["error"]["code"] == "fees_deadline_too_soon"

    def test_r_m1_reminders_reach_owing_households_once_in_their_inbox(self, client, login, session, ids):
        period = previous_period(this_period())
        owing = set(
            session.execute(
                select(Bill.house_id).where(
                    Bill.compound_id == ids["A"],
                    Bill.period == period,
                    Bill.status == "open",
                    Bill.payer_kind == "owner",
                )
            ).scalars()
        )
        assert owing, "the demo leaves some of last month unpaid"
        body = {"compound_id": ids["A"], "period": period, "deadline": (china_date() + timedelta(days=15)).isoformat()}
        r = client.post("/api/v1/fees/reminders", json=body, headers=login("manager_wang"))
        assert r.status_code == 200 and r.json()["reminded"] == len(owing)
        run_worker_once()  # the notices domain delivers the reminders through the outbox
        again = client.post("/api/v1/fees/reminders", json=body, headers=login("manager_wang")).json()
        assert again == {"reminded": 0, "already": len(owing)}
        reminders = session.execute(select(ArrearsReminder).where(ArrearsReminder.period == period)).scalars().all()
        assert {x.house_id for x in reminders} == owing
        one = reminders[0]
        notice = session.get(Notice, one.notice_id)
        assert notice.kind == "arrears" and notice.target_kind == "house" and notice.target_id == one.house_id
        houses = set(
            session.execute(select(NoticeDelivery.house_id).where(NoticeDelivery.notice_id == notice.id)).scalars()
        )
        assert houses <= {one.house_id}


class TestArrearsAggregatesOnly:
    def test_public_disclosure_names_nobody(self, client, login, session, ids):
        r = client.post(
            "/api/v1/fees/arrears/disclosure", json={"compound_id": ids["A"]}, headers=login("manager_wang")
        )
        assert r.status_code == 201
        run_worker_once()  # the notices domain posts the disclosure through the outbox
        disclosure = session.get(FeeDisclosure, r.json()["disclosure_id"])
        session.refresh(disclosure)
        notice = session.get(Notice, disclosure.notice_id)
        agg = client.get(f"/api/v1/fees/arrears?compound_id={ids['A']}", headers=login("manager_wang")).json()
        assert agg["houses"] > 0 and str(agg["houses"]) in notice.body
        owing = session.execute(
            select(House.label, House.id)
            .join(Bill, Bill.house_id == House.id)
            .where(Bill.compound_id == ids["A"], Bill.status == "open", Bill.due_on < china_date())
        ).all()
        names = session.execute(select(Person.name).where(Person.compound_id == ids["A"])).scalars().all()
        assert not [label for label, _ in owing if label in notice.body]
        assert not [n for n in names if len(n) >= 2 and n in notice.body]

    def test_residents_cannot_read_the_arrears_aggregate_api(self, client, login, ids):
        assert (
            client.get(f"/api/v1/fees/arrears?compound_id={ids['A']}", headers=login("resident_li")).status_code == 403
        )

    def test_committee_sees_the_aggregate_but_only_its_own_bills(self, client, login, session, ids):
        from anju.accounts.models import User
        from anju.registry.models import Occupancy

        agg = client.get(f"/api/v1/fees/arrears?compound_id={ids['A']}", headers=login("committee_sun"))
        assert agg.status_code == 200 and set(agg.json()) == {"houses", "bills", "amount_fen", "by_building"}
        person = session.execute(select(User.person_id).where(User.username == "committee_sun")).scalar_one()
        own = set(
            session.execute(
                select(Occupancy.house_id).where(Occupancy.person_id == person, Occupancy.ended_on.is_(None))
            ).scalars()
        )
        bills = client.get(f"/api/v1/fees/bills?compound_id={ids['A']}", headers=login("committee_sun")).json()
        assert bills["items"] and {b["house_id"] for b in bills["items"]} <= own


class TestRM3CommonIncome:
    def test_r_m3_owners_see_the_ledger_net_of_documented_costs(self, client, login, ids):
        rows = client.get(f"/api/v1/fees/income?compound_id={ids['A']}", headers=login("resident_li"))
        assert rows.status_code == 200 and len(rows.json()) >= 3
        ads = next(r for r in rows.json() if r["kind"] == "ads")
        assert ads["cost_fen"] > 0 and ads["cost_doc"]

    def test_r_m3_a_cost_needs_its_document(self, client, login, ids):
        body = {
            "compound_id": ids["A"],
            "occurred_on": china_date().isoformat(),
            "kind": "ads",
            "description": "道闸广告",
            "gross": "1000",
            "cost": "100",
        }
        r = client.post("/api/v1/fees/income", json=body, headers=login("manager_wang"))
        assert r.status_code == 422 and r.json()["error"]["fields"][0]["field"] == "cost_doc"
        ok = client.post(
            "/api/v1/fees/income", json={**body, "cost_doc": "发票 No.0012"}, headers=login("manager_wang")
        )
        assert ok.status_code == 201 and ok.json()["gross_fen"] == 100000 and ok.json()["cost_fen"] == 10000

    def test_r_m3_outsiders_do_not_see_another_compounds_ledger(self, client, login, ids):
        assert (
            client.get(f"/api/v1/fees/income?compound_id={ids['A']}", headers=login("outsider_zhao")).status_code == 404
        )


class TestRM6Publication:
    def test_r_m6_console_shows_last_publication_and_overdue(self, client, web_login, ids):
        web_login("manager_wang")
        page = client.get("/console/fees").text
        box = page.split('data-testid="disclosure"', 1)[1].split("</p>", 1)[0]
        assert "从未公示" in box and "已逾期" in box
        r = client.post("/console/fees/income-report", headers={"Origin": "http://testserver"}, follow_redirects=False)
        assert r.status_code == 303
        box = client.get("/console/fees").text.split('data-testid="disclosure"', 1)[1].split("</p>", 1)[0]
        from datetime import datetime

        from anju.web.render import CST

        assert datetime.now(CST).date().isoformat() in box and "已逾期" not in box

    def test_r_m6_income_report_reaches_owners_with_the_net_total(self, client, login, session, ids, persona):
        from anju.fees.service import fee_service

        who = persona("manager_wang").who
        disclosure = fee_service.publish_income_report(session, by=who, compound_id=ids["A"], today=china_date())
        run_worker_once()  # the notices domain posts it through the outbox
        session.refresh(disclosure)
        notice = session.get(Notice, disclosure.notice_id)
        assert notice.kind == "disclosure" and "净收益 25020.50 元" in notice.body
        inbox = client.get("/api/v1/me/notices", headers=login("resident_li")).json()
        assert notice.id in [i["notice"]["id"] for i in inbox["items"]]
