"""Facilities: statutory plans (R-W2, R-S4, R-S5, R-S6), due orders raised once, inspections, the due list."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from anju.facilities import rules
from anju.facilities.models import MaintenancePlan
from anju.facilities.service import due_list, inspect, raise_due_orders, register
from anju.workorders.models import WorkOrder

D = date(2026, 11, 2)
API = "/api/v1/facilities"


def _plans(session, equipment_id):
    return {
        p.kind: p
        for p in session.execute(select(MaintenancePlan).where(MaintenancePlan.equipment_id == equipment_id)).scalars()
    }


class TestRules:
    def test_r_s6_extinguisher_service_and_scrap_dates(self):
        made = date(2020, 1, 10)
        water = rules.extinguisher_dates("water", made, crowded=False, today=date(2023, 1, 1))
        assert (water.next_service_on, water.scrap_on, water.check_every_days) == (
            date(2023, 1, 10),
            date(2026, 1, 10),
            30,
        )
        assert rules.extinguisher_dates("water", made, crowded=False, today=date(2023, 2, 1)).next_service_on == date(
            2024, 1, 10
        )  # then yearly
        powder = rules.extinguisher_dates("powder", made, crowded=True, today=date(2025, 3, 1))
        assert (powder.next_service_on, powder.scrap_on, powder.check_every_days) == (
            date(2027, 1, 10),
            date(2030, 1, 10),
            15,
        )
        assert rules.extinguisher_dates("clean_agent", made, crowded=False, today=made).scrap_on == date(2030, 1, 10)
        assert rules.extinguisher_dates("co2", made, crowded=False, today=made).scrap_on == date(2032, 1, 10)
        assert rules.extinguisher_dates("co2", made, crowded=False, today=made).next_service_on == date(2025, 1, 10)

    def test_r_w2_certificate_inspection_is_requested_a_month_ahead(self):
        assert rules.lift_certificate_request_on(date(2027, 3, 31)) <= date(2027, 2, 28)


class TestPlans:
    def test_r_w2_each_lift_gets_a_maintenance_order_every_15_days(self, session, ids):
        lift = register(session, by=None, compound_id=ids["A"], kind="lift", name="测试电梯", today=D)
        plan = _plans(session, lift.id)["lift_maintenance"]
        assert plan.due_on == D + timedelta(days=15) and plan.interval_days == 15
        assert plan.id not in _raised(session, D + timedelta(days=14))
        opened = raise_due_orders(session, today=D + timedelta(days=15))
        session.refresh(plan)
        assert plan.open_order_id in opened
        order = session.get(WorkOrder, plan.open_order_id)
        assert (order.kind, order.category, order.source) == ("inspection", "lift", "inspection")
        again = raise_due_orders(session, today=D + timedelta(days=16))
        assert plan.open_order_id not in again  # once per due date
        session.refresh(plan)
        assert plan.open_order_id == order.id

    def test_r_w2_overdue_lift_maintenance_is_flagged(self, session, ids):
        lift = register(session, by=None, compound_id=ids["A"], kind="lift", name="逾期电梯", today=D)
        plan = _plans(session, lift.id)["lift_maintenance"]
        rows = {r["plan"].id: r for r in due_list(session, compound_id=ids["A"], today=D + timedelta(days=16))}
        assert rows[plan.id]["overdue"] is True
        rows = {r["plan"].id: r for r in due_list(session, compound_id=ids["A"], today=D + timedelta(days=10))}
        assert rows[plan.id]["overdue"] is False

    def test_r_s4_fire_panels_are_checked_monthly(self, session, ids):
        panel = register(session, by=None, compound_id=ids["A"], kind="fire_panel", name="控制器", today=D)
        plan = _plans(session, panel.id)["fire_check"]
        assert plan.interval_days <= 31 and plan.due_on <= D + timedelta(days=31)

    def test_r_s5_each_building_gets_one_yearly_full_inspection(self, session, ids):
        from anju.registry.models import Building

        building = session.execute(
            select(Building.id).where(Building.compound_id == ids["A"]).order_by(Building.id.desc()).limit(1)
        ).scalar_one()
        session.execute(
            MaintenancePlan.__table__.delete().where(
                MaintenancePlan.building_id == building, MaintenancePlan.kind == "fire_full_inspection"
            )
        )
        for k in range(2):
            register(
                session, by=None, compound_id=ids["A"], kind="hydrant", name=f"消火栓{k}", building_id=building, today=D
            )
        yearly = (
            session.execute(
                select(MaintenancePlan).where(
                    MaintenancePlan.building_id == building, MaintenancePlan.kind == "fire_full_inspection"
                )
            )
            .scalars()
            .all()
        )
        assert len(yearly) == 1 and yearly[0].due_on == D + timedelta(days=365)

    def test_r_s6_extinguisher_plans(self, session, ids):
        ext = register(
            session,
            by=None,
            compound_id=ids["A"],
            kind="extinguisher",
            name="MF/ABC4",
            extinguisher_type="powder",
            manufactured_on=date(2020, 1, 10),
            crowded=True,
            today=D,
        )
        plans = _plans(session, ext.id)
        assert plans["extinguisher_check"].interval_days == 15
        assert plans["extinguisher_service"].due_on == date(2027, 1, 10)
        assert plans["extinguisher_scrap"].due_on == date(2030, 1, 10)


def _raised(session, today):
    opened = raise_due_orders(session, today=today)
    return set(
        session.execute(select(MaintenancePlan.id).where(MaintenancePlan.open_order_id.in_(opened or [-1]))).scalars()
    )


class TestInspections:
    def test_a_failed_item_opens_a_work_order_and_the_plan_moves_on(self, session, ids, who):
        ext = register(
            session,
            by=None,
            compound_id=ids["A"],
            kind="extinguisher",
            name="MF/ABC4 #9",
            extinguisher_type="powder",
            manufactured_on=date(2022, 5, 1),
            today=D,
        )
        plan = _plans(session, ext.id)["extinguisher_check"]
        row = inspect(
            session,
            by=who("staff_liu"),
            plan_id=plan.id,
            supervisor_name="王经理",
            today=D,
            items=[{"item": "压力表指针在绿区", "ok": False, "note": "压力不足"}, {"item": "铅封完好", "ok": True}],
        )
        assert row.failed == 1 and len(row.order_ids) == 1 and row.supervisor_name == "王经理"
        order = session.get(WorkOrder, row.order_ids[0])
        assert (order.kind, order.category) == ("inspection", "fire_safety") and "压力表" in order.title
        session.refresh(plan)
        assert plan.last_done_on == D and plan.due_on == D + timedelta(days=30)

    def test_api_bad_input_and_scope(self, client, login, ids):
        h = login("staff_liu")
        r = client.post(
            f"{API}/equipment", json={"compound_id": ids["A"], "kind": "extinguisher", "name": "无日期"}, headers=h
        )
        assert r.status_code == 422
        r = client.post(f"{API}/equipment", json={"compound_id": ids["A"], "kind": "rocket", "name": "x"}, headers=h)
        assert r.status_code == 422
        r = client.post(f"{API}/equipment", json={"compound_id": ids["B"], "kind": "lift", "name": "越权"}, headers=h)
        assert r.status_code == 404
        r = client.post(f"{API}/equipment", json={"compound_id": ids["A"], "kind": "lift", "name": "新电梯"}, headers=h)
        assert r.status_code == 201
        due = client.get(f"{API}/due", params={"compound_id": ids["A"], "within_days": 30}, headers=h)
        assert due.status_code == 200 and any(d["equipment"] == "新电梯" for d in due.json())
        assert client.get(f"{API}/due", params={"compound_id": ids["A"]}, headers=login("grid_zhou")).status_code == 403

    def test_due_page_lists_plans(self, client, web_login):
        web_login("staff_liu")
        r = client.get("/console/facilities")
        assert r.status_code == 200 and "电梯维保" in r.text
