"""Security reports: each KPI formula on a small hand-computed month, the year-boundary comparison, no-data periods,
one report per compound and period under two workers, rectification plans and the Excel export."""

from __future__ import annotations

import io
import uuid
from datetime import date, datetime, timedelta

import openpyxl
import pytest
from sqlalchemy import func, select

from anju.access.enums import Decision, Method
from anju.access.models import AccessLog
from anju.alarms.enums import AlarmSeverity, AlarmStatus
from anju.alarms.models import Alarm
from anju.analytics.models import SecurityReport
from anju.analytics.reports import compute, last_closed_period, period_of, report_service
from anju.core import db as core_db
from anju.core.kit.china_time import CHINA_TZ
from anju.devices.models import Device, DeviceState

JAN = date(2025, 1, 15)  # a month of the test data: January 2025; the previous period is December 2024


def cst(y: int, m: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=CHINA_TZ)


def alarm(session, compound_id, kind, at, status, *, ack_min=None, close_min=None, building_id=None) -> Alarm:
    key = f"test:{uuid.uuid4().hex}"
    open_ = status in ("new", "acknowledged", "dispatched")
    row = Alarm(
        compound_id=compound_id,
        kind=kind,
        severity=AlarmSeverity.major,
        source="test:report",
        dedupe_key=key,
        dedupe_slot=key if open_ else None,
        title="t",
        status=AlarmStatus(status),
        building_id=building_id,
        occurred_at=at,
        created_at=at,
        last_seen_at=at,
        acknowledged_at=at + timedelta(minutes=ack_min) if ack_min is not None else None,
        closed_at=at + timedelta(minutes=close_min) if close_min is not None else None,
    )
    session.add(row)
    session.flush()
    return row


def passage(session, compound_id, at, decision, method=Method.card, direction="in") -> None:
    session.add(
        AccessLog(
            compound_id=compound_id,
            method=method,
            decision=Decision(decision),
            reason="test",
            direction=direction,
            server_at=at,
        )
    )
    session.flush()


@pytest.fixture
def january(session, ids):
    """Three alarms in January 2025 (one resolved, one false, one open), one on each side of it, four passages."""
    a = ids["A"]
    alarm(session, a, "smoke", cst(2025, 1, 6, 10), "resolved", ack_min=5, close_min=20)  # Monday 10:00
    alarm(session, a, "smoke", cst(2025, 1, 7, 22, 30), "false_alarm", ack_min=15, close_min=40)  # Tuesday 22:30
    alarm(session, a, "water_leak", cst(2025, 1, 31, 23, 59), "new")  # Friday 23:59, still open
    alarm(session, a, "smoke", cst(2025, 2, 1, 0, 0), "resolved", ack_min=1, close_min=2)  # the next month
    alarm(session, a, "smoke", cst(2024, 12, 31, 23, 59), "false_alarm", ack_min=2, close_min=4)  # the month before
    passage(session, a, cst(2025, 1, 10, 8), "allow")
    passage(session, a, cst(2025, 1, 10, 9), "allow", Method.qr)
    passage(session, a, cst(2025, 1, 10, 9, 30), "deny")
    passage(session, a, cst(2025, 1, 11, 12), "allow", Method.remote)
    return a


class TestFormulas:
    def test_alarm_count_is_by_occurrence_inside_the_half_open_period(self, session, january):
        d = compute(session, compound_id=january, kind="month", start=date(2025, 1, 1), end=date(2025, 2, 1))
        assert d["kpis"]["alarms"] == 3  # 2025-02-01 00:00 and 2024-12-31 23:59 China time are outside
        assert d["events"]["by_kind"] == {"smoke": 2, "water_leak": 1}

    def test_false_alarm_rate_is_false_over_closed(self, session, january):
        d = compute(session, compound_id=january, kind="month", start=date(2025, 1, 1), end=date(2025, 2, 1))
        assert d["technical"]["closed_alarms"] == 2 and d["technical"]["false_alarms"] == 1
        assert d["kpis"]["false_alarm_rate"] == 50.0  # 1 ÷ 2; the open alarm is not in the denominator

    def test_mtta_and_mttr_are_means_over_acknowledged_and_closed(self, session, january):
        d = compute(session, compound_id=january, kind="month", start=date(2025, 1, 1), end=date(2025, 2, 1))
        assert d["kpis"]["mtta_minutes"] == 10.0  # (5 + 15) ÷ 2
        assert d["kpis"]["mttr_minutes"] == 30.0  # (20 + 40) ÷ 2

    def test_events_by_hour_weekday_and_outcome_use_china_time(self, session, january):
        ev = compute(session, compound_id=january, kind="month", start=date(2025, 1, 1), end=date(2025, 2, 1))["events"]
        assert [h for h, n in enumerate(ev["by_hour"]) if n] == [10, 22, 23]
        assert ev["by_weekday"] == [1, 1, 0, 0, 1, 0, 0]  # Monday, Tuesday, Friday
        assert ev["by_outcome"] == {"resolved": 1, "false_alarm": 1, "open": 1}

    def test_access_denied_remote_and_method_counts(self, session, january):
        acc = compute(session, compound_id=january, kind="month", start=date(2025, 1, 1), end=date(2025, 2, 1))[
            "access"
        ]
        assert acc["denied"] == 1 and acc["remote_opens"] == 1 and acc["entries"] == 3
        assert acc["by_method"] == {"card": 1, "qr": 1, "remote": 1}

    def test_device_good_rate_is_online_without_open_fault_over_devices(self, session, ids):
        b = ids["B"]
        devices = session.execute(select(Device.id).where(Device.compound_id == b, Device.active.is_(True))).scalars()
        ids_b = list(devices)
        online = session.execute(
            select(func.count())
            .select_from(DeviceState)
            .where(DeviceState.device_id.in_(ids_b or [-1]), DeviceState.status == "online")
        ).scalar_one()
        d = compute(session, compound_id=b, kind="month", start=date(2025, 1, 1), end=date(2025, 2, 1))
        expected = round(100.0 * online / len(ids_b), 1) if ids_b else None
        assert d["technical"]["devices"] == len(ids_b)
        assert d["kpis"]["device_good_rate"] == expected

    def test_staff_kpis_without_records_are_no_data_not_zero(self, session, january):
        d = compute(session, compound_id=january, kind="month", start=date(2025, 1, 1), end=date(2025, 2, 1))
        k = d["kpis"]
        assert k["training_coverage"] is None and k["exam_pass_rate"] is None and k["shift_attendance"] is None
        assert k["turnover_rate"] is None  # the demo staff were created after January 2025: nobody on roll then
        assert d["staff"]["total"] >= 1  # the demo compound has a manager and guards now


class TestServiceAndUpkeepFormulas:
    def test_satisfaction_is_rated_four_or_five_over_rated(self, session, ids):
        from anju.workorders.enums import OrderKind, OrderSource
        from anju.workorders.schemas import OrderCreate
        from anju.workorders.service import work_order_service

        for day, rating in [(5, 5), (6, 4), (7, 2), (8, None), (40, 1)]:  # the last one is filed in February
            o = work_order_service.open(
                session,
                by=None,
                data=OrderCreate(
                    compound_id=ids["A"], kind=OrderKind.common_repair, category="plumbing", title="漏水维修"
                ),
                source=OrderSource.staff,
                now=cst(2025, 1, 1, 9) + timedelta(days=day - 1),
            )
            o.rating = rating
        session.flush()
        d = compute(session, compound_id=ids["A"], kind="month", start=date(2025, 1, 1), end=date(2025, 2, 1))
        assert (d["orders"]["rated"], d["orders"]["satisfied"]) == (3, 2)
        assert d["kpis"]["satisfaction"] == 66.7  # 2 ÷ 3; the unrated order is not in the denominator

    def test_maintenance_completion_is_done_over_done_and_missed(self, session, ids):
        from anju.accounts.models import User
        from anju.facilities.models import Inspection, MaintenancePlan

        guard = session.execute(select(User.id).where(User.username == "guard_chen")).scalar_one()
        due_missed = MaintenancePlan(
            compound_id=ids["A"], kind="fire_check", interval_days=30, due_on=date(2025, 1, 10)
        )
        due_later = MaintenancePlan(compound_id=ids["A"], kind="fire_check", interval_days=30, due_on=date(2025, 2, 10))
        session.add_all([due_missed, due_later])
        session.flush()
        for day in (12, 20, 31):
            session.add(
                Inspection(
                    compound_id=ids["A"],
                    plan_id=due_later.id,
                    inspector_user_id=guard,
                    items=[{"item": "灭火器", "ok": True}],
                    at=cst(2025, 1, day, 23 if day == 31 else 10),
                )
            )
        session.flush()
        d = compute(session, compound_id=ids["A"], kind="month", start=date(2025, 1, 1), end=date(2025, 2, 1))
        assert (d["technical"]["maintenance_done"], d["technical"]["maintenance_missed"]) == (3, 1)
        assert d["kpis"]["maintenance_completion"] == 75.0  # 3 ÷ (3 + 1)


class TestPeriods:
    def test_periods_are_half_open_china_dates(self):
        assert period_of("week", date(2025, 1, 1)) == (date(2024, 12, 30), date(2025, 1, 6))
        assert period_of("month", date(2024, 12, 31)) == (date(2024, 12, 1), date(2025, 1, 1))
        assert period_of("quarter", date(2024, 11, 5)) == (date(2024, 10, 1), date(2025, 1, 1))
        assert last_closed_period("quarter", date(2025, 1, 1)) == (date(2024, 10, 1), date(2025, 1, 1))

    def test_comparison_with_the_previous_period_across_the_year_boundary(self, session, january):
        row, new = report_service.generate(session, compound_id=january, kind="month", day=JAN, today=date(2025, 3, 1))
        assert new
        prev = row.data["previous"]
        assert (prev["start"], prev["end"]) == ("2024-12-01", "2025-01-01")
        assert prev["kpis"]["alarms"] == 1 and prev["kpis"]["false_alarm_rate"] == 100.0
        assert row.data["kpis"]["false_alarm_rate"] == 50.0

    def test_an_empty_period_is_no_data_not_zeros(self, session, ids):
        d = compute(session, compound_id=ids["A"], kind="week", start=date(2019, 3, 4), end=date(2019, 3, 11))
        assert d["empty"] is True
        for k in ("false_alarm_rate", "mtta_minutes", "mttr_minutes", "checkpoint_rate", "complaint_closure"):
            assert d["kpis"][k] is None, k

    def test_a_period_not_over_yet_is_refused_with_409(self, client, login, ids):
        r = client.post(
            "/api/v1/analytics/reports",
            headers=login("manager_wang"),
            json={"compound_id": ids["A"], "kind": "month", "day": date.today().isoformat()},
        )
        assert r.status_code == 409
        assert r.json()["error"]["message"]["zh"]

    def test_an_unknown_period_kind_is_422(self, client, login, ids):
        r = client.post(
            "/api/v1/analytics/reports",
            headers=login("manager_wang"),
            json={"compound_id": ids["A"], "kind": "decade", "day": "2025-01-01"},
        )
        assert r.status_code == 422


class TestOnce:
    def test_asking_twice_returns_the_same_stored_report(self, client, login, ids, january):
        body = {"compound_id": january, "kind": "month", "day": "2025-01-20"}
        first = client.post("/api/v1/analytics/reports", headers=login("manager_wang"), json=body)
        again = client.post("/api/v1/analytics/reports", headers=login("manager_wang"), json=body)
        assert first.status_code == again.status_code == 201
        assert first.json()["id"] == again.json()["id"]
        assert first.json()["data"]["kpis"]["alarms"] == 3

    def test_two_workers_make_one_report_per_compound_and_period(self, tmp_path):
        from tests.core.databases import dedicated_database
        from tests.core.job_race import race

        with dedicated_database(tmp_path, "report_race", seed=True):
            today = date(2025, 2, 3)

            def work(_: int) -> list[int]:
                with core_db.transaction() as s:
                    return report_service.generate_due(s, today=today)

            made = race(2, work, timeout=120)
            with core_db.new_session() as s:
                rows = s.execute(
                    select(SecurityReport.compound_id, SecurityReport.period_kind, SecurityReport.period_start)
                ).all()
                compounds = s.execute(select(func.count()).select_from(SecurityReport)).scalar_one()
            assert len(rows) == len(set(rows)) == compounds
            assert len(rows) == 2 * 4  # two demo compounds × week, month, quarter, year
            assert sorted(made[0] + made[1]) == sorted(set(made[0] + made[1]))  # nobody made one twice
            from anju.workorders.models import WorkOrder

            with core_db.new_session() as s:
                asked = sum(len(r.data["rectification_orders"]) for r in s.execute(select(SecurityReport)).scalars())
                opened = s.execute(
                    select(func.count()).select_from(WorkOrder).where(WorkOrder.category == "security")
                ).scalar_one()
            assert opened == asked  # one order per missed KPI per report, whichever worker made it
            # Running the job again changes nothing.
            with core_db.transaction() as s:
                assert report_service.generate_due(s, today=today) == []


class TestRectification:
    def test_staff_write_the_plan_and_the_figures_stay(self, client, login, session, january):
        h = login("manager_wang")
        rep = client.post(
            "/api/v1/analytics/reports", headers=h, json={"compound_id": january, "kind": "month", "day": "2025-01-02"}
        ).json()
        r = client.put(
            f"/api/v1/analytics/reports/{rep['id']}/rectification",
            headers=h,
            json={"text": "南门加装补光灯，月底前完成"},
        )
        assert r.status_code == 200
        assert r.json()["rectification"] == "南门加装补光灯，月底前完成"
        assert r.json()["data"] == rep["data"]

    def test_an_empty_plan_is_422(self, client, login, january):
        h = login("manager_wang")
        rep = client.post(
            "/api/v1/analytics/reports", headers=h, json={"compound_id": january, "kind": "month", "day": "2025-01-02"}
        ).json()
        r = client.put(f"/api/v1/analytics/reports/{rep['id']}/rectification", headers=h, json={"text": ""})
        assert r.status_code == 422


class TestExport:
    def test_xlsx_export_holds_the_kpis_of_the_database(self, client, persona, session, january):
        row, _ = report_service.generate(session, compound_id=january, kind="month", day=JAN, today=date(2025, 3, 1))
        session.flush()
        persona("manager_wang").web(client)
        r = client.get(f"/screen/reports/{row.id}.xlsx")
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
        ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
        values = {str(c[0].value): c[1].value for c in ws.iter_rows() if c and c[0].value}
        assert values["告警事件数"] == 3
        assert values["误报率 (%)"] == 50.0
        assert values["平均响应时长 (min)"] == 10.0

    def test_pdf_export_is_a_real_pdf_with_the_chinese_text_and_kpis(self, client, persona, session, january):
        import pypdf

        row, _ = report_service.generate(session, compound_id=january, kind="month", day=JAN, today=date(2025, 3, 1))
        session.flush()
        persona("manager_wang").web(client)
        r = client.get(f"/screen/reports/{row.id}.pdf")
        assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
        assert r.content.startswith(b"%PDF-")
        pdf = pypdf.PdfReader(io.BytesIO(r.content))
        assert len(pdf.pages) >= 2
        text = "".join(page.extract_text() for page in pdf.pages)
        assert "安全管理工作总结" in text and "2025-01-01 至 2025-01-31" in text
        assert "误报率 (%)" in text and "误报关闭数 ÷ 已关闭告警数" in text  # the KPI and its written formula
        assert "暂无数据" in text  # staff KPIs without records say so instead of 0

    def test_an_unknown_export_format_is_404(self, client, persona, session, january):
        row, _ = report_service.generate(session, compound_id=january, kind="month", day=JAN, today=date(2025, 3, 1))
        session.flush()
        persona("manager_wang").web(client)
        assert client.get(f"/screen/reports/{row.id}.docx").status_code == 404

    def test_printable_page_and_console_page_render(self, client, persona, session, january):
        row, _ = report_service.generate(session, compound_id=january, kind="month", day=JAN, today=date(2025, 3, 1))
        session.flush()
        persona("manager_wang").web(client)
        page = client.get(f"/console/reports/{row.id}")
        assert page.status_code == 200 and 'data-kpi="false_alarm_rate"' in page.text
        assert "误报关闭数 ÷ 已关闭告警数" in page.text  # the formula is printed
        printable = client.get(f"/screen/reports/{row.id}/print")
        assert printable.status_code == 200 and "安全管理工作总结" in printable.text
        assert client.get("/console/reports").status_code == 200


class TestRectificationOrders:
    def test_a_kpi_on_the_wrong_side_of_its_target_opens_one_order_per_period(self, session, january):
        from anju.workorders.models import WorkOrder

        row, _ = report_service.generate(session, compound_id=january, kind="month", day=JAN, today=date(2025, 3, 1))
        asked = {o["kpi"]: o for o in row.data["rectification_orders"]}
        assert "false_alarm_rate" in asked  # 50 % false against a ceiling of 30 %
        assert "mttr_minutes" not in asked  # 30 minutes against a ceiling of 60
        assert "checkpoint_rate" not in asked  # no rounds: no data is not a failure
        order = session.get(WorkOrder, asked["false_alarm_rate"]["order_id"])
        assert order.compound_id == january and order.category == "security" and "误报率" in order.title
        again, new = report_service.generate(
            session, compound_id=january, kind="month", day=JAN, today=date(2025, 3, 1)
        )
        assert not new and again.id == row.id
        same = session.execute(
            select(func.count()).select_from(WorkOrder).where(WorkOrder.title == order.title)
        ).scalar_one()
        assert same == 1

    def test_the_next_report_lists_last_periods_orders_as_closed_or_open(self, session, january):
        from sqlalchemy import update

        from anju.workorders.models import WorkOrder

        jan, _ = report_service.generate(session, compound_id=january, kind="month", day=JAN, today=date(2025, 3, 1))
        orders = jan.data["rectification_orders"]
        closed_id = orders[0]["order_id"]
        session.execute(update(WorkOrder).where(WorkOrder.id == closed_id).values(status="closed"))
        feb, _ = report_service.generate(
            session, compound_id=january, kind="month", day=date(2025, 2, 10), today=date(2025, 3, 1)
        )
        listed = {o["order_id"]: o["closed"] for o in feb.data["previous_rectifications"]}
        assert listed[closed_id] is True
        assert all(listed[o["order_id"]] is False for o in orders[1:])

    def test_a_target_that_is_not_a_number_is_refused(self):
        from pydantic import ValidationError

        from anju.analytics.config import ReportSettings

        with pytest.raises(ValidationError):
            ReportSettings(max_mttr_minutes="soon")
        with pytest.raises(ValidationError):
            ReportSettings(min_checkpoint_rate=120)
