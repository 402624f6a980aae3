"""The security staff record and the report's staff KPIs on a small hand-computed January 2025:

four guards on roll on 1 January, one joins on the 10th, one leaves (account disabled) on the 20th; one training
session, one exam, five shifts. Each KPI is checked against its written formula."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from anju.accounts.models import User
from anju.accounts.service import account_service
from anju.accounts.user_admin_service import user_admin_service
from anju.analytics.models import StaffShift
from anju.analytics.reports import compute
from anju.analytics.staff import RecordIn, staff_figures, staff_service
from anju.core import audit
from anju.core.errors import Invalid, NotFound
from anju.core.kit.china_time import CHINA_TZ
from anju.core.rbac import Role
from tests.conftest import principal_of

JAN = (date(2025, 1, 1), date(2025, 2, 1))


def cst(y: int, m: int, d: int, h: int = 0) -> datetime:
    return datetime(y, m, d, h, tzinfo=CHINA_TZ)


@pytest.fixture
def guards(session, ids, monkeypatch) -> dict[str, int]:
    """g1-g4 on roll since June 2024, g5 joins on 10 January, g4 is disabled on 20 January 2025."""
    out = {}
    for name, created in [
        ("g1", cst(2024, 6, 1)),
        ("g2", cst(2024, 6, 1)),
        ("g3", cst(2024, 6, 1)),
        ("g4", cst(2024, 6, 1)),
        ("g5", cst(2025, 1, 10, 9)),
    ]:
        u = account_service.create_user(
            session,
            username=f"staffrec_{name}",
            password="x" * 12,
            role=Role.guard,
            display_name=name,
            compound_ids=[ids["A"]],
        )
        u.created_at = created.astimezone(UTC)
        out[name] = u.id
    session.flush()
    monkeypatch.setattr(audit, "utcnow", lambda: cst(2025, 1, 20, 18).astimezone(UTC))
    user_admin_service.set_active(session, who=None, user_id=out["g4"], active=False)
    monkeypatch.undo()
    return out


@pytest.fixture
def manager(session):
    return principal_of(session, "manager_wang")


@pytest.fixture
def january_staff(session, ids, guards, manager) -> dict[str, int]:
    today = date(2025, 3, 1)
    tr = staff_service.add_training(
        session,
        who=manager,
        compound_id=ids["A"],
        kind="training",
        title="消防器材使用",
        held_on=date(2025, 1, 8),
        today=today,
    )
    staff_service.set_records(
        session,
        who=manager,
        training_id=tr.id,
        records=[
            RecordIn(guards["g1"], True),
            RecordIn(guards["g2"], True),
            RecordIn(guards["g3"], False),
            RecordIn(guards["g4"], True),  # trained, but left before the end: not in the coverage
        ],
    )
    ex = staff_service.add_training(
        session,
        who=manager,
        compound_id=ids["A"],
        kind="exam",
        title="安保技能考核",
        held_on=date(2025, 1, 25),
        today=today,
        pass_score=60,
    )
    staff_service.set_records(
        session,
        who=manager,
        training_id=ex.id,
        records=[
            RecordIn(guards["g1"], True, 80),
            RecordIn(guards["g2"], True, 59),
            RecordIn(guards["g3"], True, 60),  # exactly the pass mark passes
            RecordIn(guards["g5"], False),
        ],
    )
    for day, status in [(3, "attended"), (4, "attended"), (5, "attended"), (6, "absent"), (7, "planned")]:
        session.add(
            StaffShift(
                compound_id=ids["A"],
                user_id=guards["g1"],
                starts_at=cst(2025, 1, day, 8),
                ends_at=cst(2025, 1, day, 20),
                status=status,
            )
        )
    # outside January: not counted
    session.add(
        StaffShift(
            compound_id=ids["A"],
            user_id=guards["g1"],
            starts_at=cst(2025, 2, 1, 0),
            ends_at=cst(2025, 2, 1, 8),
            status="absent",
        )
    )
    session.flush()
    return guards


class TestStaffFormulas:
    def test_turnover_rate_is_left_over_mean_roll(self, session, ids, january_staff):
        f = staff_figures(session, compound_id=ids["A"], start=JAN[0], end=JAN[1])
        assert (f["on_roll_start"], f["on_roll_end"], f["joined"], f["left"]) == (4, 4, 1, 1)
        assert f["turnover_rate"] == 25.0  # 1 ÷ ((4 + 4) ÷ 2) × 100%

    def test_training_coverage_is_trained_on_roll_at_end_over_on_roll_at_end(self, session, ids, january_staff):
        f = staff_figures(session, compound_id=ids["A"], start=JAN[0], end=JAN[1])
        assert f["trained"] == 2 and f["training_coverage"] == 50.0  # g1, g2 of g1, g2, g3, g5

    def test_exam_pass_rate_is_passed_over_scored_sittings(self, session, ids, january_staff):
        f = staff_figures(session, compound_id=ids["A"], start=JAN[0], end=JAN[1])
        assert (f["exam_sittings"], f["exam_passed"]) == (3, 2)
        assert f["exam_pass_rate"] == 66.7  # 2 ÷ 3 × 100%

    def test_shift_attendance_is_worked_over_marked(self, session, ids, january_staff):
        f = staff_figures(session, compound_id=ids["A"], start=JAN[0], end=JAN[1])
        assert (f["shifts"], f["shifts_marked"], f["shifts_attended"]) == (5, 4, 3)
        assert f["shift_attendance"] == 75.0  # 3 ÷ 4; the planned shift and February's are out

    def test_report_kpis_carry_the_staff_figures(self, session, ids, january_staff):
        d = compute(session, compound_id=ids["A"], kind="month", start=JAN[0], end=JAN[1])
        k = d["kpis"]
        assert (k["training_coverage"], k["exam_pass_rate"], k["turnover_rate"], k["shift_attendance"]) == (
            50.0,
            66.7,
            25.0,
            75.0,
        )

    def test_a_month_without_training_or_exam_is_no_data_not_zero(self, session, ids, guards):
        f = staff_figures(session, compound_id=ids["A"], start=date(2025, 1, 1), end=date(2025, 2, 1))
        assert f["training_coverage"] is None and f["exam_pass_rate"] is None and f["shift_attendance"] is None
        assert f["turnover_rate"] == 25.0  # turnover has data: the roll and the leaving

    def test_the_month_before_anyone_joined_has_no_turnover(self, session, ids, guards):
        f = staff_figures(session, compound_id=ids["A"], start=date(2024, 1, 1), end=date(2024, 2, 1))
        assert f["on_roll_start"] == 0 and f["turnover_rate"] is None


class TestStaffRecordRules:
    def test_saving_attendance_twice_replaces_the_line(self, session, ids, guards, manager):
        tr = staff_service.add_training(
            session,
            who=manager,
            compound_id=ids["A"],
            kind="training",
            title="t",
            held_on=date(2025, 1, 8),
            today=date(2025, 3, 1),
        )
        staff_service.set_records(session, who=manager, training_id=tr.id, records=[RecordIn(guards["g1"], True)])
        rows = staff_service.set_records(
            session, who=manager, training_id=tr.id, records=[RecordIn(guards["g1"], False)]
        )
        assert len(rows) == 1 and rows[0].attended is False

    def test_a_person_who_is_not_staff_of_the_compound_is_404(self, session, ids, manager):
        li = session.query(User).filter(User.username == "resident_li").one()
        tr = staff_service.add_training(
            session,
            who=manager,
            compound_id=ids["A"],
            kind="training",
            title="t",
            held_on=date(2025, 1, 8),
            today=date(2025, 3, 1),
        )
        with pytest.raises(NotFound):
            staff_service.set_records(session, who=manager, training_id=tr.id, records=[RecordIn(li.id, True)])

    def test_a_training_has_no_scores_and_an_exam_needs_a_pass_mark(self, session, ids, guards, manager):
        tr = staff_service.add_training(
            session,
            who=manager,
            compound_id=ids["A"],
            kind="training",
            title="t",
            held_on=date(2025, 1, 8),
            today=date(2025, 3, 1),
        )
        with pytest.raises(Invalid):
            staff_service.set_records(
                session, who=manager, training_id=tr.id, records=[RecordIn(guards["g1"], True, 90)]
            )
        with pytest.raises(Invalid):
            staff_service.add_training(
                session,
                who=manager,
                compound_id=ids["A"],
                kind="exam",
                title="e",
                held_on=date(2025, 1, 8),
                today=date(2025, 3, 1),
            )

    def test_api_records_a_session_and_refuses_bad_input(self, client, login, ids):
        h = login("manager_wang")
        r = client.post(
            "/api/v1/analytics/staff/trainings",
            json={"compound_id": ids["A"], "kind": "exam", "title": "考核", "held_on": "2025-01-08"},
            headers=h,
        )
        assert r.status_code == 422  # no pass mark
        r = client.post(
            "/api/v1/analytics/staff/trainings",
            json={"compound_id": ids["A"], "kind": "training", "title": "培训", "held_on": "2099-01-08"},
            headers=h,
        )
        assert r.status_code == 422  # in the future
        r = client.post(
            "/api/v1/analytics/staff/trainings",
            json={"compound_id": ids["B"], "kind": "training", "title": "培训", "held_on": "2025-01-08"},
            headers=h,
        )
        assert r.status_code == 404  # another compound
        r = client.post(
            "/api/v1/analytics/staff/trainings",
            json={"compound_id": ids["A"], "kind": "training", "title": "培训", "held_on": "2025-01-08"},
            headers=h,
        )
        assert r.status_code == 201
        listed = client.get("/api/v1/analytics/staff/trainings", params={"compound_id": ids["A"]}, headers=h).json()
        assert r.json()["id"] in [x["id"] for x in listed]

    def test_a_guard_cannot_record_trainings(self, client, login, ids):
        r = client.post(
            "/api/v1/analytics/staff/trainings",
            json={"compound_id": ids["A"], "kind": "training", "title": "培训", "held_on": "2025-01-08"},
            headers=login("guard_chen"),
        )
        assert r.status_code == 403


ORIGIN = {"Origin": "http://testserver"}


class TestStaffPages:
    def test_the_manager_records_a_session_and_ticks_attendance_on_the_page(
        self, client, persona, session, ids, guards
    ):
        persona("manager_wang").web(client)
        r = client.post(
            f"/console/staff-training?compound_id={ids['A']}",
            data={"kind": "exam", "title": "安保技能考核", "held_on": "2025-01-25", "pass_score": "60"},
            headers=ORIGIN,
            follow_redirects=False,
        )
        assert r.status_code == 303 and "/console/staff-training/" in r.headers["location"]
        page = client.get(r.headers["location"])
        assert page.status_code == 200 and f'data-person="{guards["g1"]}"' in page.text
        tid = int(r.headers["location"].rsplit("/", 1)[1])
        saved = client.post(
            f"/console/staff-training/{tid}",
            data={
                "person": [str(guards["g1"]), str(guards["g2"])],
                f"attended_{guards['g1']}": "1",
                f"score_{guards['g1']}": "75",
            },
            headers=ORIGIN,
            follow_redirects=False,
        )
        assert saved.status_code == 303 and "err=" not in saved.headers["location"]
        recs = staff_service.records(session, tid)
        assert recs[guards["g1"]].attended and recs[guards["g1"]].score == 75
        assert not recs[guards["g2"]].attended and recs[guards["g2"]].score is None

    def test_a_score_that_is_not_a_number_is_refused_with_a_reason(
        self, client, persona, session, ids, guards, manager
    ):
        tr = staff_service.add_training(
            session,
            who=manager,
            compound_id=ids["A"],
            kind="exam",
            title="e",
            held_on=date(2025, 1, 8),
            today=date(2025, 3, 1),
            pass_score=60,
        )
        persona("manager_wang").web(client)
        r = client.post(
            f"/console/staff-training/{tr.id}",
            data={"person": [str(guards["g1"])], f"attended_{guards['g1']}": "1", f"score_{guards['g1']}": "abc"},
            headers=ORIGIN,
            follow_redirects=False,
        )
        assert r.status_code == 303 and "err=" in r.headers["location"]
        assert staff_service.records(session, tr.id) == {}

    def test_r_p6_the_street_office_cannot_open_the_staff_names(self, client, persona):
        persona("gov_street").web(client)
        assert client.get("/console/staff-training").status_code == 403


class TestDemoSeed:
    def test_the_full_demo_fills_the_hot_spot_layer_and_the_staff_section(self, client, persona, session, ids):
        from anju.analytics.reports import period_of
        from anju.core.kit.china_time import china_date
        from anju.sim.analytics_demo import build_analytics_demo

        build_analytics_demo(session, compound_id=ids["A"], li_person_id=ids["li_person"], committee_person_id=0)
        r = client.get(f"/api/v1/analytics/hotspots?compound_id={ids['A']}", headers=persona("manager_wang").headers)
        assert r.status_code == 200 and r.json()["incidents"] >= 50 and r.json()["cells"]
        start, end = period_of("quarter", china_date() - timedelta(days=100))
        last_quarter = staff_figures(session, compound_id=ids["A"], start=start, end=end)
        this_and_last = staff_figures(
            session, compound_id=ids["A"], start=china_date() - timedelta(days=70), end=china_date()
        )
        assert last_quarter["shifts"] == 0 or last_quarter["shift_attendance"] is not None
        assert this_and_last["trainings"] >= 1 and this_and_last["exam_pass_rate"] is not None
        assert this_and_last["shift_attendance"] is not None and this_and_last["shift_attendance"] < 100
