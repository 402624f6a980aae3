"""The permission matrix: every persona against every endpoint family of the spine (R11, R-P6).

Each cell says what a persona gets when it touches compound A (示范小区) or its people:
OK (2xx), 403 (role may not), 404 (out of scope: never a hint that the row exists).
Roster import sends a header-only file as a dry run, so an allowed call writes nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from anju.core.crypto import decrypt
from anju.core.kit.china_time import china_date
from anju.privacy.models import PrivacyRequest
from anju.registry.models import Occupancy, Person

OK = "ok"
ROLES = (
    "admin",
    "manager_wang",
    "staff_liu",
    "guard_chen",
    "grid_zhou",
    "resident_li",
    "committee_sun",
    "gov_street",
    "outsider_zhao",
)

# Columns follow ROLES: admin, manager, staff, guard, grid worker, resident, committee, government, outsider (B).
MATRIX: dict[str, tuple[Any, ...]] = {
    #                         ad   mg   st   gd   gr   re   co   gv   out
    "compounds.list": (OK, OK, OK, OK, OK, OK, OK, 403, OK),
    "compounds.get": (OK, OK, OK, OK, OK, OK, OK, 403, 404),
    "compounds.tree": (OK, OK, OK, OK, OK, 403, OK, 403, 404),
    "buildings.list": (OK, OK, OK, OK, OK, 403, OK, 403, OK),
    "houses.list": (OK, OK, OK, OK, OK, OK, OK, 403, OK),
    "houses.get": (OK, OK, OK, OK, OK, OK, OK, 403, 404),
    "houses.patch": (OK, OK, OK, 403, 403, 403, 403, 403, 404),
    "houses.patch_area": (409, 409, 409, 403, 403, 403, 403, 403, 404),
    # guards keep houses and plates but not the roster (issue 17 item 5; technicians: tests/web/test_field_roles.py)
    "people.list": (OK, OK, OK, 403, OK, OK, OK, 403, OK),
    "people.get": (OK, OK, OK, 403, OK, OK, 404, 403, 404),
    "people.create": (OK, OK, OK, 403, 403, 403, 403, 403, 404),
    "people.patch": (OK, OK, OK, 403, 403, 403, 403, 403, 404),
    "people.reveal": (OK, OK, 403, 403, 403, OK, 404, 403, 404),
    "houses.move_in": (OK, OK, OK, 403, 403, 403, 403, 403, 404),
    "houses.move_out": (OK, OK, OK, 403, 403, 403, 403, 403, 404),
    "vehicles.list": (OK, OK, OK, OK, OK, OK, OK, 403, OK),
    "vehicles.create": (OK, OK, OK, 403, 403, 403, 403, 403, 404),
    "grids.list": (OK, OK, OK, OK, OK, 403, OK, 403, OK),
    "me.household": (403, 403, 403, 403, 403, OK, OK, 403, 403),
    "me.export": (403, 403, 403, 403, 403, OK, OK, 403, 403),
    "me.requests.list": (403, 403, 403, 403, 403, OK, OK, 403, 403),
    "me.requests.create": (403, 403, 403, 403, 403, OK, OK, 403, 403),
    "privacy.requests.list": (OK, OK, 403, 403, 403, 403, 403, 403, OK),
    "privacy.resolve": (OK, OK, 403, 403, 403, 403, 403, 403, 404),
    "privacy.processing": (OK, OK, OK, OK, OK, OK, OK, OK, OK),
    "audit.pii_access": (OK, OK, 403, 403, 403, 403, 403, 403, OK),
    "audit.changes": (OK, OK, 403, 403, 403, 403, 403, 403, OK),
    "analytics.overview": (OK, OK, OK, OK, OK, 403, OK, OK, 404),
    "system.outbox": (OK, 403, 403, 403, 403, 403, 403, 403, 403),
    "system.jobs": (OK, 403, 403, 403, 403, 403, 403, 403, 403),
    "device_credentials": (OK, OK, 403, 403, 403, 403, 403, 403, 404),
    "roster.export": (OK, OK, 403, 403, 403, 403, 403, 403, 404),
    "roster.import": (OK, OK, 403, 403, 403, 403, 403, 403, 404),
    "roster.template": (OK, OK, 403, 403, 403, 403, 403, 403, OK),
    # issue 11 item 3: compound structure (a manager edits their own compounds; only an admin creates one)
    "compounds.create": (OK, 403, 403, 403, 403, 403, 403, 403, 403),
    "compounds.patch": (OK, OK, 403, 403, 403, 403, 403, 403, 404),
    "compounds.buildings.create": (OK, OK, 403, 403, 403, 403, 403, 403, 404),
    "compounds.generate": (OK, OK, 403, 403, 403, 403, 403, 403, 404),
    "houses.export": (OK, OK, OK, OK, OK, 403, OK, 403, 404),
    "houses.template": (OK, OK, OK, OK, OK, 403, OK, 403, 404),
    "houses.import": (OK, OK, OK, 403, 403, 403, 403, 403, 404),
}


@dataclass
class World:
    A: int
    B: int
    li_house: int
    li_person: int
    request_id: int


Req = tuple[str, str, dict[str, Any]]
REQUESTS: dict[str, Callable[[World], Req]] = {
    "compounds.list": lambda w: ("GET", "/api/v1/compounds", {}),
    "compounds.get": lambda w: ("GET", f"/api/v1/compounds/{w.A}", {}),
    "compounds.tree": lambda w: ("GET", f"/api/v1/compounds/{w.A}/tree", {}),
    "buildings.list": lambda w: ("GET", "/api/v1/buildings", {"params": {"compound_id": w.A}}),
    "houses.list": lambda w: ("GET", "/api/v1/houses", {}),
    "houses.get": lambda w: ("GET", f"/api/v1/houses/{w.li_house}", {}),
    # Compound A has an open vote in the demo: its areas are frozen (issue 11), so the permission cell edits the
    # status, and houses.patch_area shows the freeze for those who may write.
    "houses.patch": lambda w: ("PATCH", f"/api/v1/houses/{w.li_house}", {"json": {"status": "rented"}}),
    "houses.patch_area": lambda w: ("PATCH", f"/api/v1/houses/{w.li_house}", {"json": {"registered_area": "99.50"}}),
    "people.list": lambda w: ("GET", "/api/v1/people", {}),
    "people.get": lambda w: ("GET", f"/api/v1/people/{w.li_person}", {}),
    "people.create": lambda w: ("POST", "/api/v1/people", {"json": {"compound_id": w.A, "name": "矩阵甲"}}),
    "people.patch": lambda w: ("PATCH", f"/api/v1/people/{w.li_person}", {"json": {"name": "李明明"}}),
    "people.reveal": lambda w: (
        "POST",
        f"/api/v1/people/{w.li_person}/reveal",
        {"json": {"field": "phone", "reason": "回访核实"}},
    ),
    "houses.move_in": lambda w: (
        "POST",
        f"/api/v1/houses/{w.li_house}/move-in",
        {"json": {"role": "family", "on": "2026-11-20", "person": {"compound_id": w.A, "name": "矩阵乙"}}},
    ),
    "houses.move_out": lambda w: ("POST", f"/api/v1/houses/{w.li_house}/move-out", {"json": {"on": "2026-11-25"}}),
    "vehicles.list": lambda w: ("GET", "/api/v1/vehicles", {}),
    "vehicles.create": lambda w: (
        "POST",
        "/api/v1/vehicles",
        {"json": {"compound_id": w.A, "plate": "京Z9Z9Z9", "house_id": w.li_house}},
    ),
    "grids.list": lambda w: ("GET", "/api/v1/grids", {}),
    "me.household": lambda w: ("GET", "/api/v1/me/household", {}),
    "me.export": lambda w: ("GET", "/api/v1/me/export", {}),
    "me.requests.list": lambda w: ("GET", "/api/v1/me/privacy-requests", {}),
    "me.requests.create": lambda w: (
        "POST",
        "/api/v1/me/privacy-requests",
        {"json": {"kind": "explain", "detail": "为何保存车牌？"}},
    ),
    "privacy.requests.list": lambda w: ("GET", "/api/v1/privacy/requests", {}),
    "privacy.resolve": lambda w: (
        "POST",
        f"/api/v1/privacy/requests/{w.request_id}/resolve",
        {"json": {"status": "done", "resolution": "已提供副本"}},
    ),
    "privacy.processing": lambda w: ("GET", "/api/v1/privacy/processing-records", {}),
    "audit.pii_access": lambda w: ("GET", "/api/v1/audit/pii-access", {}),
    "audit.changes": lambda w: ("GET", "/api/v1/audit/changes", {}),
    "analytics.overview": lambda w: ("GET", "/api/v1/analytics/overview", {"params": {"compound_id": w.A}}),
    "system.outbox": lambda w: ("GET", "/api/v1/system/outbox", {}),
    "system.jobs": lambda w: ("GET", "/api/v1/system/jobs", {}),
    "device_credentials": lambda w: (
        "POST",
        "/api/v1/device-credentials",
        {"json": {"compound_id": w.A, "name": "南门闸机", "device_kind": "gate"}},
    ),
    "roster.export": lambda w: ("GET", "/api/v1/roster/export", {"params": {"compound_id": w.A, "format": "csv"}}),
    "roster.import": lambda w: (
        "POST",
        "/api/v1/roster/import",
        {
            "files": {"file": ("roster.csv", "姓名,手机,房屋\n".encode(), "text/csv")},
            "data": {"compound_id": str(w.A), "dry_run": "true"},
        },
    ),
}

REQUESTS.update(
    {
        "compounds.create": lambda w: (
            "POST",
            "/api/v1/compounds",
            {"json": {"code": "MATRIX1", "name": "矩阵小区", "address": "矩阵路 1 号"}},
        ),
        "roster.template": lambda w: ("GET", "/api/v1/roster/template", {}),
        "houses.export": lambda w: ("GET", f"/api/v1/compounds/{w.A}/houses/export", {}),
        "houses.template": lambda w: ("GET", f"/api/v1/compounds/{w.A}/houses/template", {}),
        "houses.import": lambda w: (
            "POST",
            f"/api/v1/compounds/{w.A}/houses/import",
            {
                "files": {"file": ("houses.csv", "房屋编号,实测面积\n".encode(), "text/csv")},
                "data": {"dry_run": "true"},
            },
        ),
        "compounds.patch": lambda w: ("PATCH", f"/api/v1/compounds/{w.A}", {"json": {"district": "朝阳区"}}),
        "compounds.buildings.create": lambda w: (
            "POST",
            f"/api/v1/compounds/{w.A}/buildings",
            {"json": {"number": "88", "floors": 6}},
        ),
        "compounds.generate": lambda w: (
            "POST",
            f"/api/v1/compounds/{w.A}/generate",
            {
                "params": {"dry_run": "true"},
                "json": {"buildings_from": 90, "buildings_to": 91, "units": 1, "floors_to": 3, "houses_per_floor": 2},
            },
        ),
    }
)

# issue 11 items 2 and 5: organisations, staff accounts (a manager manages staff of their own compounds only,
# only an admin creates managers) and residents' house claims.
_USER_IDS: dict[str, int] = {}


@pytest.fixture(autouse=True)
def _user_ids(session: Any) -> None:
    """Demo users' ids, for the account families' paths."""
    from anju.accounts.models import User

    _USER_IDS.update({str(u): int(i) for u, i in session.execute(select(User.username, User.id)).all()})


def _uid(username: str) -> int:
    return _USER_IDS.get(username, 1)


MATRIX.update(
    {
        #                                  ad   mg   st   gd   gr   re   co   gv   out
        "organisations.list": (OK, OK, 403, 403, 403, 403, 403, 403, OK),
        "organisations.create": (OK, 403, 403, 403, 403, 403, 403, 403, 403),
        "users.list": (OK, OK, 403, 403, 403, 403, 403, 403, OK),
        "users.create_guard_in_a": (OK, OK, 403, 403, 403, 403, 403, 403, 404),
        "users.create_manager": (OK, 403, 403, 403, 403, 403, 403, 403, 403),
        "users.disable_staff": (OK, OK, 403, 403, 403, 403, 403, 403, 404),
        "users.reset_staff": (OK, OK, 403, 403, 403, 403, 403, 403, 404),
        "users.disable_manager": (OK, 403, 403, 403, 403, 403, 403, 403, 404),
        "claims.queue": (OK, OK, OK, 403, 403, 403, 403, 403, 404),
        "me.claims": (403, 403, 403, 403, 403, OK, OK, 403, 403),
        "me.house_claims": (403, 403, 403, 403, 403, OK, OK, 403, 403),
    }
)
REQUESTS.update(
    {
        "organisations.list": lambda w: ("GET", "/api/v1/organisations", {}),
        "organisations.create": lambda w: (
            "POST",
            "/api/v1/organisations",
            {"json": {"name": "矩阵街道", "kind": "street_office"}},
        ),
        "users.list": lambda w: ("GET", "/api/v1/users", {}),
        "users.create_guard_in_a": lambda w: (
            "POST",
            "/api/v1/users",
            {"json": {"username": "matrix_guard", "role": "guard", "compound_ids": [w.A]}},
        ),
        "users.create_manager": lambda w: (
            "POST",
            "/api/v1/users",
            {"json": {"username": "matrix_mgr", "role": "property_manager", "compound_ids": [w.A]}},
        ),
        "users.disable_staff": lambda w: ("POST", f"/api/v1/users/{_uid('staff_liu')}/disable", {}),
        "users.reset_staff": lambda w: ("POST", f"/api/v1/users/{_uid('staff_liu')}/reset-password", {"json": {}}),
        "users.disable_manager": lambda w: ("POST", f"/api/v1/users/{_uid('manager_wang')}/disable", {}),
        "claims.queue": lambda w: ("GET", "/api/v1/claims", {"params": {"compound_id": w.A}}),
        "me.claims": lambda w: ("GET", "/api/v1/me/claims", {}),
        "me.house_claims": lambda w: ("GET", "/api/v1/me/house-claims", {}),
    }
)

# issue 18: visitor passes that reach the visitor (the share link and the SMS of resident_li's pass).
_LI_PASS: dict[str, int] = {}


@pytest.fixture(autouse=True)
def _li_pass(session: Any, ids: dict[str, int]) -> None:
    """An active pass hosted by resident_li with a phone to text (rolled back with the test)."""
    from anju.access.models import VisitorPass
    from anju.core.crypto import encrypt
    from anju.core.db import utcnow

    now = utcnow()
    vp = VisitorPass(
        compound_id=ids["A"],
        host_house_id=ids["li_house"],
        host_person_id=ids["li_person"],
        visitor_name="矩阵访客",
        visitor_phone_enc=encrypt("13900001111", context="visitor.phone"),
        visitor_phone_masked="139****1111",
        valid_from=now,
        valid_until=now + timedelta(hours=2),
        entries_allowed=1,
        nonce="matrixnonce0001",
    )
    session.add(vp)
    session.flush()
    _LI_PASS["id"] = vp.id


MATRIX.update(
    {
        #                                  ad   mg   st   gd   gr   re   co   gv   out
        "visitor_passes.share_link": (OK, OK, 403, OK, 403, OK, 404, 403, 404),
        "visitor_passes.sms": (OK, OK, 403, OK, 403, OK, 404, 403, 404),
        "delivery_rules.get": (OK, OK, OK, OK, 403, OK, OK, 403, 404),
        "delivery_rules.put": (OK, OK, 403, 403, 403, 403, 403, 403, 404),
        "decorations.list": (OK, OK, OK, OK, 403, OK, OK, 403, OK),
        "decorations.create": (404, 404, 404, 404, 403, OK, 404, 403, 404),
        "decorations.approve": (OK, OK, OK, 403, 403, 403, 404, 403, 404),
    }
)


@pytest.fixture(autouse=True)
def _li_decoration(session: Any, ids: dict[str, int]) -> None:
    """A submitted decoration application of resident_li's house (rolled back with the test)."""
    from datetime import time

    from anju.decoration.models import DecorationApplication, DecorationWorker

    today = china_date()
    app = DecorationApplication(
        compound_id=ids["A"],
        house_id=ids["li_house"],
        applicant_person_id=ids["li_person"],
        start_date=today + timedelta(days=60),
        end_date=today + timedelta(days=70),
        scope="矩阵装修",
        contractor="矩阵装饰",
        daily_from=time(8),
        daily_until=time(18),
        conditions=[],
    )
    session.add(app)
    session.flush()
    session.add(DecorationWorker(compound_id=ids["A"], application_id=app.id, name="矩阵工人"))
    session.flush()
    _LI_PASS["decoration"] = app.id


def _decoration_body(w: World) -> dict[str, Any]:
    start = china_date() + timedelta(days=1)
    return {
        "house_id": w.li_house,
        "start_date": start.isoformat(),
        "end_date": (start + timedelta(days=5)).isoformat(),
        "scope": "矩阵刷墙",
        "contractor": "矩阵装饰",
        "workers": [{"name": "矩阵工人"}],
    }


REQUESTS.update(
    {
        "visitor_passes.share_link": lambda w: (
            "GET",
            f"/api/v1/access/visitor-passes/{_LI_PASS.get('id', 1)}/share-link",
            {},
        ),
        "visitor_passes.sms": lambda w: ("POST", f"/api/v1/access/visitor-passes/{_LI_PASS.get('id', 1)}/sms", {}),
        "delivery_rules.get": lambda w: ("GET", f"/api/v1/access/delivery-rules/{w.A}", {}),
        "delivery_rules.put": lambda w: (
            "PUT",
            f"/api/v1/access/delivery-rules/{w.A}",
            {"json": {"rider_reach": "door"}},
        ),
        "decorations.list": lambda w: ("GET", "/api/v1/decorations", {}),
        "decorations.create": lambda w: ("POST", "/api/v1/decorations", {"json": _decoration_body(w)}),
        "decorations.approve": lambda w: (
            "POST",
            f"/api/v1/decorations/{_LI_PASS.get('decoration', 1)}/approve",
            {"json": {}},
        ),
    }
)

# issue 16: care archive and visits (care.read: manager, staff, grid; care.manage: manager, grid) and emergency
# management (read: staff roles; manage: manager; act: manager, staff, guard, grid). Rows made per test below.
_CARE: dict[str, int] = {}


@pytest.fixture(autouse=True)
def _care_rows(session: Any, ids: dict[str, int]) -> None:
    """A care profile with an open visit, a fire plan with an open incident, and a supply item in compound A."""
    from anju.care.schemas import ProfileCreate
    from anju.care.service import care_service
    from anju.emergency.schemas import Activate, PlanCreate, RoleIn, SupplyCreate
    from anju.emergency.service import emergency_service
    from tests.care.helpers import lone_person
    from tests.conftest import principal_of

    mgr = principal_of(session, "manager_wang")
    a = ids["A"]
    prof = care_service.create(
        session, by=mgr, data=ProfileCreate(compound_id=a, person_id=lone_person(session, a), living_alone=True)
    )
    care_service.plan_visits(session)
    from anju.care.models import CareVisit

    v = session.execute(select(CareVisit).where(CareVisit.profile_id == prof.id)).scalars().first()
    plan = emergency_service.create_plan(
        session,
        by=mgr,
        data=PlanCreate(
            compound_id=a, kind="fire", title="矩阵火灾预案", roles=[RoleIn(role="指挥部", tasks=["启动预案"])]
        ),
    )
    inc = emergency_service.activate(session, by=mgr, plan_id=plan.id, data=Activate(exercise=True))
    task = emergency_service.tasks(session, incident=inc)[0]
    sup = emergency_service.add_supply(
        session, by=mgr, data=SupplyCreate(compound_id=a, store="矩阵库", name="矩阵灭火器", quantity=10)
    )
    _CARE.update(
        profile=prof.id,
        visit=v.id,
        other_person=lone_person(session, a),
        plan=plan.id,
        incident=inc.id,
        task=task.id,
        supply=sup.id,
    )


MATRIX.update(
    {
        #                                  ad   mg   st   gd   gr   re   co   gv   out
        "care.profiles.list": (OK, OK, OK, 403, OK, 403, 403, 403, 404),
        "care.profiles.get": (OK, OK, OK, 403, OK, 403, 403, 403, 404),
        "care.profiles.create": (OK, OK, 403, 403, OK, 403, 403, 403, 404),
        "care.profiles.patch": (OK, OK, 403, 403, OK, 403, 403, 403, 404),
        "care.consents.give": (OK, OK, 403, 403, OK, 403, 403, 403, 404),
        "care.consents.withdraw": (OK, OK, 403, 403, OK, 403, 403, 403, 404),
        "care.contacts.record": (OK, OK, OK, 403, OK, 403, 403, 403, 404),
        "care.away": (OK, OK, OK, 403, OK, 403, 403, 403, 404),
        "care.visits.list": (OK, OK, OK, 403, OK, 403, 403, 403, 404),
        "care.visits.overdue": (OK, OK, OK, 403, OK, 403, 403, 403, 404),
        "care.visits.record": (OK, OK, OK, 403, OK, 403, 403, 403, 404),
        "care.missed_months": (OK, OK, OK, 403, OK, 403, 403, 403, 404),
        "emergency.plans.list": (OK, OK, OK, OK, OK, 403, 403, 403, 404),
        "emergency.plans.create": (OK, OK, 403, 403, 403, 403, 403, 403, 404),
        "emergency.drills.create": (OK, OK, OK, OK, OK, 403, 403, 403, 404),
        "emergency.plans.activate": (OK, OK, 403, 403, 403, 403, 403, 403, 404),
        "emergency.incidents.list": (OK, OK, OK, OK, OK, 403, 403, 403, 404),
        "emergency.incidents.get": (OK, OK, OK, OK, OK, 403, 403, 403, 404),
        "emergency.incidents.close": (OK, OK, 403, 403, 403, 403, 403, 403, 404),
        "emergency.tasks.done": (OK, OK, OK, OK, OK, 403, 403, 403, 404),
        "emergency.supplies.create": (OK, OK, 403, 403, 403, 403, 403, 403, 404),
        "emergency.supplies.list": (OK, OK, OK, OK, OK, 403, 403, 403, 404),
        "emergency.supplies.inspect": (OK, OK, OK, OK, OK, 403, 403, 403, 404),
        "emergency.supplies.draw": (OK, OK, OK, OK, OK, 403, 403, 403, 404),
    }
)
REQUESTS.update(
    {
        "care.profiles.list": lambda w: ("GET", "/api/v1/care/profiles", {"params": {"compound_id": w.A}}),
        "care.profiles.get": lambda w: ("GET", f"/api/v1/care/profiles/{_CARE['profile']}", {}),
        "care.profiles.create": lambda w: (
            "POST",
            "/api/v1/care/profiles",
            {"json": {"compound_id": w.A, "person_id": _CARE["other_person"], "special_hardship": True}},
        ),
        "care.profiles.patch": lambda w: (
            "PATCH",
            f"/api/v1/care/profiles/{_CARE['profile']}",
            {"json": {"silence_hours": 12}},
        ),
        "care.consents.give": lambda w: (
            "POST",
            f"/api/v1/care/profiles/{_CARE['profile']}/consents",
            {"json": {"scope": "location", "variant": "assisted"}},
        ),
        "care.consents.withdraw": lambda w: (
            "POST",
            f"/api/v1/care/profiles/{_CARE['profile']}/consents/withdraw",
            {"json": {"scope": "health"}},
        ),
        "care.contacts.record": lambda w: (
            "POST",
            f"/api/v1/care/profiles/{_CARE['profile']}/contacts",
            {"json": {"outcome": "fine", "note": "电话问候"}},
        ),
        "care.away": lambda w: (
            "POST",
            f"/api/v1/care/profiles/{_CARE['profile']}/away",
            {"json": {"starts_at": "2026-12-10T09:00:00+08:00", "ends_at": "2026-12-12T18:00:00+08:00"}},
        ),
        "care.visits.list": lambda w: ("GET", "/api/v1/care/visits", {"params": {"compound_id": w.A}}),
        "care.visits.overdue": lambda w: ("GET", "/api/v1/care/visits/overdue", {"params": {"compound_id": w.A}}),
        "care.visits.record": lambda w: (
            "POST",
            f"/api/v1/care/visits/{_CARE['visit']}/record",
            {"json": {"outcome": "fine"}},
        ),
        "care.missed_months": lambda w: ("GET", "/api/v1/care/missed-months", {"params": {"compound_id": w.A}}),
        "emergency.plans.list": lambda w: ("GET", "/api/v1/emergency/plans", {"params": {"compound_id": w.A}}),
        "emergency.plans.create": lambda w: (
            "POST",
            "/api/v1/emergency/plans",
            {
                "json": {
                    "compound_id": w.A,
                    "kind": "flood",
                    "title": "防汛预案",
                    "roles": [{"role": "抢险组", "tasks": ["关闭地库入口"]}],
                }
            },
        ),
        "emergency.drills.create": lambda w: (
            "POST",
            f"/api/v1/emergency/plans/{_CARE['plan']}/drills",
            {"json": {"held_at": "2026-11-20T10:00:00+08:00", "participants": 30}},
        ),
        "emergency.plans.activate": lambda w: (
            "POST",
            f"/api/v1/emergency/plans/{_CARE['plan']}/activate",
            {"json": {"exercise": True}},
        ),
        "emergency.incidents.list": lambda w: (
            "GET",
            "/api/v1/emergency/incidents",
            {"params": {"compound_id": w.A}},
        ),
        "emergency.incidents.get": lambda w: ("GET", f"/api/v1/emergency/incidents/{_CARE['incident']}", {}),
        "emergency.incidents.close": lambda w: (
            "POST",
            f"/api/v1/emergency/incidents/{_CARE['incident']}/close",
            {"json": {"review": "演练顺利"}},
        ),
        "emergency.tasks.done": lambda w: ("POST", f"/api/v1/emergency/tasks/{_CARE['task']}/done", {}),
        "emergency.supplies.create": lambda w: (
            "POST",
            "/api/v1/emergency/supplies",
            {"json": {"compound_id": w.A, "store": "矩阵库", "name": "应急灯", "quantity": 5}},
        ),
        "emergency.supplies.list": lambda w: ("GET", "/api/v1/emergency/supplies", {"params": {"compound_id": w.A}}),
        "emergency.supplies.inspect": lambda w: (
            "PATCH",
            f"/api/v1/emergency/supplies/{_CARE['supply']}",
            {"json": {"quantity": 9}},
        ),
        "emergency.supplies.draw": lambda w: (
            "POST",
            f"/api/v1/emergency/supplies/{_CARE['supply']}/draw",
            {"json": {"quantity": 1}},
        ),
    }
)

# issue 13: parking (parking.read: manager, staff, guard; parking.manage: manager, staff; parking.lane: manager,
# guard; parking.visitor: residents; platform admins hold every permission). Rows made per test below.
_PARK: dict[str, int] = {}


@pytest.fixture(autouse=True)
def _parking_rows(session: Any, ids: dict[str, int]) -> None:
    """A car park of compound A with a fire-lane zone and its open stop, an entry lane with a held capture, a
    resident's vehicle, and a temporary stay with a fee due."""
    from anju.core.db import utcnow
    from anju.parking.enums import LaneDirection, SessionCategory, SpaceKind
    from anju.parking.lane_service import lane_service
    from anju.parking.models import ParkingSession
    from anju.parking.schemas import CaptureIn, CarParkCreate, FireLaneStopIn, LaneCreate, SpaceCreate
    from anju.parking.service import parking_service
    from anju.registry.enums import VehicleClass
    from anju.registry.models import Vehicle
    from tests.conftest import principal_of

    mgr = principal_of(session, "manager_wang")
    a = ids["A"]
    cp = parking_service.create_car_park(session, by=mgr, data=CarParkCreate(compound_id=a, name="矩阵停车场"))
    fire = parking_service.add_space(
        session, by=mgr, car_park_id=cp.id, data=SpaceCreate(code="XF-1", kind=SpaceKind.fire_lane)
    )
    lane = parking_service.add_lane(
        session, by=mgr, data=LaneCreate(car_park_id=cp.id, name="矩阵入口", direction=LaneDirection.entry)
    )
    held = lane_service.capture(session, by=mgr, lane_id=lane.id, data=CaptureIn(event_id="m-1", plate="皖A0L727"))
    car = Vehicle(compound_id=a, plate="京Q8M8M8", vehicle_class=VehicleClass.car, house_id=ids["li_house"])
    stay = ParkingSession(
        compound_id=a,
        car_park_id=cp.id,
        plate="皖AP6V68",
        category=SessionCategory.temporary,
        entered_at=utcnow() - timedelta(hours=2),
    )
    session.add_all([car, stay])
    session.flush()
    stop = lane_service.report_fire_lane_stop(session, by=mgr, data=FireLaneStopIn(space_id=fire.id))
    import cv2
    import numpy as np

    from anju.parking.models import LanePhoto, ParkingCoupon

    jpeg = cv2.imencode(".jpg", np.full((48, 64, 3), 128, np.uint8))[1].tobytes()
    session.add(
        LanePhoto(
            lane_event_id=held.id,
            compound_id=a,
            content_type="image/jpeg",
            size=len(jpeg),
            width=64,
            height=48,
            sha256="0" * 64,
            data=jpeg,
        )
    )
    session.add(
        ParkingCoupon(
            compound_id=a,
            car_park_id=cp.id,
            merchant="矩阵商户",
            code="MATRIX-1",
            minutes=60,
            valid_until=utcnow() + timedelta(days=1),
        )
    )
    session.flush()
    _PARK.update(car_park=cp.id, fire=fire.id, lane=lane.id, held=held.id, car=car.id, stay=stay.id, stop=stop.id)


def _visitor_window() -> dict[str, str]:
    from anju.core.db import utcnow

    now = utcnow()
    return {"valid_from": (now + timedelta(hours=1)).isoformat(), "valid_until": (now + timedelta(hours=4)).isoformat()}


MATRIX.update(
    {
        #                                  ad   mg   st   gd   gr   re   co   gv   out
        "parking.car_parks.list": (OK, OK, OK, OK, 403, 403, 403, 403, 404),
        "parking.car_parks.create": (OK, OK, OK, 403, 403, 403, 403, 403, 404),
        "parking.spaces.list": (OK, OK, OK, OK, 403, 403, 403, 403, 404),
        "parking.spaces.create": (OK, OK, OK, 403, 403, 403, 403, 403, 404),
        "parking.lanes.list": (OK, OK, OK, OK, 403, 403, 403, 403, 404),
        "parking.lanes.create": (OK, OK, OK, 403, 403, 403, 403, 403, 404),
        "parking.passes.create": (OK, OK, OK, 403, 403, 403, 403, 403, 404),
        "parking.blacklist.create": (OK, OK, OK, 403, 403, 403, 403, 403, 404),
        "parking.captures": (OK, OK, 403, OK, 403, 403, 403, 403, 404),
        "parking.lane_events.list": (OK, OK, 403, OK, 403, 403, 403, 403, OK),
        "parking.lane_events.release": (OK, OK, 403, OK, 403, 403, 403, 403, 404),
        "parking.sessions.list": (OK, OK, OK, OK, 403, 403, 403, 403, OK),
        "parking.sessions.pay": (OK, OK, 403, OK, 403, 403, 403, 403, 404),
        "parking.zombies.list": (OK, OK, OK, OK, 403, 403, 403, 403, OK),
        "parking.lane_events.photo": (OK, OK, 403, OK, 403, 403, 403, 403, 404),
        "parking.coupons.create": (OK, OK, OK, 403, 403, 403, 403, 403, 404),
        "parking.sessions.coupon": (OK, OK, 403, OK, 403, 403, 403, 403, 404),
        "parking.fire_lane_stops.create": (OK, OK, 403, OK, 403, 403, 403, 403, 404),
        "parking.fire_lane_stops.end": (OK, OK, 403, OK, 403, 403, 403, 403, 404),
        "parking.visitor_cars.create": (OK, 403, 403, 403, 403, OK, 403, 403, 403),
        "me.parking": (OK, 403, 403, 403, 403, OK, 403, 403, 403),
    }
)
REQUESTS.update(
    {
        "parking.car_parks.list": lambda w: ("GET", "/api/v1/parking/car-parks", {"params": {"compound_id": w.A}}),
        "parking.car_parks.create": lambda w: (
            "POST",
            "/api/v1/parking/car-parks",
            {"json": {"compound_id": w.A, "name": "矩阵地库", "kind": "underground"}},
        ),
        "parking.spaces.list": lambda w: ("GET", f"/api/v1/parking/car-parks/{_PARK.get('car_park', 1)}/spaces", {}),
        "parking.spaces.create": lambda w: (
            "POST",
            f"/api/v1/parking/car-parks/{_PARK.get('car_park', 1)}/spaces",
            {"json": {"code": "P-001", "kind": "public", "plan_x": 0.5, "plan_y": 0.25}},
        ),
        "parking.lanes.list": lambda w: ("GET", f"/api/v1/parking/car-parks/{_PARK.get('car_park', 1)}/lanes", {}),
        "parking.lanes.create": lambda w: (
            "POST",
            "/api/v1/parking/lanes",
            {"json": {"car_park_id": _PARK.get("car_park", 1), "name": "矩阵出口", "direction": "exit"}},
        ),
        "parking.passes.create": lambda w: (
            "POST",
            "/api/v1/parking/passes",
            {
                "json": {
                    "vehicle_id": _PARK.get("car", 1),
                    "car_park_id": _PARK.get("car_park", 1),
                    "kind": "monthly",
                    "valid_from": "2026-12-01",
                }
            },
        ),
        "parking.blacklist.create": lambda w: (
            "POST",
            "/api/v1/parking/blacklist",
            {"json": {"compound_id": w.A, "plate": "皖A12345", "reason": "多次冲卡"}},
        ),
        "parking.captures": lambda w: (
            "POST",
            f"/api/v1/parking/lanes/{_PARK.get('lane', 1)}/captures",
            {"json": {"event_id": "matrix-1", "plate": "川AF058Y"}},
        ),
        "parking.lane_events.list": lambda w: ("GET", "/api/v1/parking/lane-events", {}),
        "parking.lane_events.release": lambda w: (
            "POST",
            f"/api/v1/parking/lane-events/{_PARK.get('held', 1)}/release",
            {"json": {"reason": "送货车辆"}},
        ),
        "parking.sessions.list": lambda w: ("GET", "/api/v1/parking/sessions", {"params": {"inside": "true"}}),
        "parking.sessions.pay": lambda w: (
            "POST",
            f"/api/v1/parking/sessions/{_PARK.get('stay', 1)}/pay",
            {"json": {"payment_ref": "BOOTH-MATRIX"}},
        ),
        "parking.zombies.list": lambda w: ("GET", "/api/v1/parking/zombies", {}),
        "parking.lane_events.photo": lambda w: ("GET", f"/api/v1/parking/lane-events/{_PARK.get('held', 1)}/photo", {}),
        "parking.coupons.create": lambda w: (
            "POST",
            "/api/v1/parking/coupons",
            {
                "json": {
                    "car_park_id": _PARK.get("car_park", 1),
                    "merchant": "华联超市",
                    "code": "HL-MATRIX",
                    "minutes": 120,
                    "valid_until": "2099-01-01T00:00:00+08:00",
                }
            },
        ),
        "parking.sessions.coupon": lambda w: (
            "POST",
            f"/api/v1/parking/sessions/{_PARK.get('stay', 1)}/coupon",
            {"json": {"code": "MATRIX-1"}},
        ),
        "parking.fire_lane_stops.create": lambda w: (
            "POST",
            "/api/v1/parking/fire-lane-stops",
            {"json": {"space_id": _PARK.get("fire", 1), "source": "patrol"}},
        ),
        "parking.fire_lane_stops.end": lambda w: (
            "POST",
            f"/api/v1/parking/fire-lane-stops/{_PARK.get('stop', 1)}/end",
            {},
        ),
        "parking.visitor_cars.create": lambda w: (
            "POST",
            "/api/v1/parking/visitor-cars",
            {"json": {"house_id": w.li_house, "plate": "苏E9E0A5", **_visitor_window()}},
        ),
        "me.parking": lambda w: ("GET", "/api/v1/me/parking", {}),
    }
)


# issue 14: video (video.read: manager, staff, guard; video.manage: manager; video.review and video.footage:
# manager, guard; video.hold: manager; platform admins hold every permission). A camera of compound A with one
# detected fall and its evidence, made per test below.
_VIDEO: dict[str, int] = {}


@pytest.fixture(autouse=True)
def _video_rows(session: Any, ids: dict[str, int], tmp_path: Any, monkeypatch: Any) -> None:
    import numpy as np

    from anju.core.db import utcnow
    from anju.video.config import video_settings
    from anju.video.detectors.base import Detection
    from anju.video.schemas import CameraCreate
    from anju.video.service import video_service
    from tests.conftest import principal_of

    monkeypatch.setenv("ANJU_VIDEO_EVIDENCE_DIR", str(tmp_path / "video"))
    video_settings.cache_clear()
    mgr = principal_of(session, "manager_wang")
    cam = video_service.register(
        session,
        by=mgr,
        data=CameraCreate(
            compound_id=ids["A"], device_key="CAM-MATRIX-A", name="矩阵摄像机", url="rtsp://u:p@10.0.0.9/1"
        ),
    )
    frame = np.zeros((60, 80, 3), dtype=np.uint8)
    now = utcnow()
    rec = video_service.record_detection(
        session,
        camera=cam,
        detection=Detection("fall", 1.0, 0.5, 0.8, (5, 5, 20, 30), key="m"),
        event_key="fall:matrix",
        started_at=now,
        detected_at=now,
        snapshot=frame,
        clip=[frame, frame],
        clip_fps=5.0,
        clip_start=now,
    )
    _VIDEO.update(camera=cam.id, event=rec.event.id)
    ev = video_service.evidence(session, event_ids=[rec.event.id])[rec.event.id]
    _VIDEO["evidence"] = ev[0].id


MATRIX.update(
    {
        #                                  ad   mg   st   gd   gr   re   co   gv   out
        "video.cameras.list": (OK, OK, OK, OK, 403, 403, 403, 403, OK),
        "video.cameras.create": (OK, OK, 403, 403, 403, 403, 403, 403, 404),
        "video.cameras.get": (OK, OK, OK, OK, 403, 403, 403, 403, 404),
        "video.cameras.patch": (OK, OK, 403, 403, 403, 403, 403, 403, 404),
        "video.events.list": (OK, OK, OK, OK, 403, 403, 403, 403, OK),
        "video.events.get": (OK, OK, OK, OK, 403, 403, 403, 403, 404),
        "video.events.review": (OK, OK, 403, OK, 403, 403, 403, 403, 404),
        "video.events.hold": (OK, OK, 403, 403, 403, 403, 403, 403, 404),
        "video.evidence.get": (OK, OK, 403, OK, 403, 403, 403, 403, 404),
        "video.access_log": (OK, OK, 403, 403, 403, 403, 403, 403, OK),
        "video.review_stats": (OK, OK, OK, OK, 403, 403, 403, 403, OK),
    }
)
REQUESTS.update(
    {
        "video.cameras.list": lambda w: ("GET", "/api/v1/video/cameras", {}),
        "video.cameras.create": lambda w: (
            "POST",
            "/api/v1/video/cameras",
            {"json": {"compound_id": w.A, "device_key": "CAM-MATRIX-NEW", "name": "新摄像机", "url": "rtsp://h/1"}},
        ),
        "video.cameras.get": lambda w: ("GET", f"/api/v1/video/cameras/{_VIDEO.get('camera', 1)}", {}),
        "video.cameras.patch": lambda w: (
            "PATCH",
            f"/api/v1/video/cameras/{_VIDEO.get('camera', 1)}",
            {"json": {"fov_deg": 80}},
        ),
        "video.events.list": lambda w: ("GET", "/api/v1/video/events", {}),
        "video.events.get": lambda w: ("GET", f"/api/v1/video/events/{_VIDEO.get('event', 1)}", {}),
        "video.events.review": lambda w: (
            "POST",
            f"/api/v1/video/events/{_VIDEO.get('event', 1)}/review",
            {"json": {"verdict": "confirmed", "reason": "录像核实"}},
        ),
        "video.events.hold": lambda w: (
            "POST",
            f"/api/v1/video/events/{_VIDEO.get('event', 1)}/hold",
            {"json": {"until": "2030-01-01T00:00:00+08:00", "reason": "公安调取"}},
        ),
        "video.evidence.get": lambda w: (
            "GET",
            f"/api/v1/video/evidence/{_VIDEO.get('evidence', 1)}",
            {"params": {"reason": "核实告警"}},
        ),
        "video.access_log": lambda w: ("GET", "/api/v1/video/access-log", {}),
        "video.review_stats": lambda w: ("GET", "/api/v1/video/review-stats", {}),
    }
)


PUBLIC = {
    ("POST", "/api/v1/auth/token"),
    ("GET", "/api/v1/health"),
    # resident self-registration: the phone code is the credential
    ("GET", "/api/v1/register/compounds"),
    ("POST", "/api/v1/register/code"),
    ("POST", "/api/v1/register/verify"),
}


def _openapi() -> dict[str, Any]:
    from tests.conftest import shared_app

    return shared_app().openapi()  # the fuzz module asks the same app for the same schema


OPENAPI = _openapi()


def _route_exists(method: str, path: str) -> bool:
    template = re.sub(r"/\d+", "/{}", path)
    for p, ops in OPENAPI["paths"].items():
        if re.sub(r"\{[^}]+\}", "{}", p) == template and method.lower() in ops:
            return True
    return False


_PROBE = World(A=1, B=2, li_house=3, li_person=4, request_id=5)


# issue 15: the command picture, hot spots, the district view and security reports (analytics.read: staff roles,
# committee, street office; analytics.report_write: manager, staff). A stored report of compound A per test.
_REPORT: dict[str, int] = {}


@pytest.fixture(autouse=True)
def _security_report(session: Any, ids: dict[str, int]) -> None:
    """A stored monthly security report of compound A (rolled back with the test)."""
    from datetime import date

    from anju.analytics.models import SecurityReport

    row = SecurityReport(
        compound_id=ids["A"],
        period_kind="month",
        period_start=date(2024, 11, 1),
        period_end=date(2024, 12, 1),
        data={"kpis": {}, "empty": True},
    )
    session.add(row)
    session.flush()
    _REPORT["id"] = row.id


MATRIX.update(
    {
        #                                  ad   mg   st   gd   gr   re   co   gv   out
        "analytics.picture": (OK, OK, OK, OK, OK, 403, OK, OK, 404),
        "analytics.district": (OK, OK, OK, OK, OK, 403, OK, OK, OK),
        "analytics.hotspots": (OK, OK, OK, OK, OK, 403, OK, OK, 404),
        "analytics.reports.list": (OK, OK, OK, OK, OK, 403, OK, OK, 404),
        "analytics.reports.create": (OK, OK, OK, 403, 403, 403, 403, 403, 404),
        "analytics.reports.get": (OK, OK, OK, OK, OK, 403, OK, OK, 404),
        "analytics.reports.rectification": (OK, OK, OK, 403, 403, 403, 403, 403, 404),
    }
)
REQUESTS.update(
    {
        "analytics.picture": lambda w: ("GET", "/api/v1/analytics/picture", {"params": {"compound_id": w.A}}),
        "analytics.district": lambda w: ("GET", "/api/v1/analytics/district", {}),
        "analytics.hotspots": lambda w: ("GET", "/api/v1/analytics/hotspots", {"params": {"compound_id": w.A}}),
        "analytics.reports.list": lambda w: ("GET", "/api/v1/analytics/reports", {"params": {"compound_id": w.A}}),
        "analytics.reports.create": lambda w: (
            "POST",
            "/api/v1/analytics/reports",
            {"json": {"compound_id": w.A, "kind": "month", "day": "2024-10-15"}},
        ),
        "analytics.reports.get": lambda w: ("GET", f"/api/v1/analytics/reports/{_REPORT['id']}", {}),
        "analytics.reports.rectification": lambda w: (
            "PUT",
            f"/api/v1/analytics/reports/{_REPORT['id']}/rectification",
            {"json": {"text": "矩阵整改：南门补光"}},
        ),
    }
)


# issue 15: the security staff record (analytics.read lists; analytics.staff_write: the manager). A training
# session and a shift of compound A per test, for guard_chen.
_STAFF: dict[str, int] = {}


@pytest.fixture(autouse=True)
def _staff_record(session: Any, ids: dict[str, int]) -> None:
    from datetime import date, datetime

    from anju.accounts.models import User
    from anju.analytics.models import StaffShift, StaffTraining

    guard = session.execute(select(User.id).where(User.username == "guard_chen")).scalar_one()
    tr = StaffTraining(compound_id=ids["A"], kind="training", title="矩阵培训", held_on=date(2025, 1, 8))
    sh = StaffShift(
        compound_id=ids["A"],
        user_id=guard,
        starts_at=datetime.fromisoformat("2025-01-08T08:00:00+08:00"),
        ends_at=datetime.fromisoformat("2025-01-08T20:00:00+08:00"),
    )
    session.add_all([tr, sh])
    session.flush()
    _STAFF.update(training=tr.id, shift=sh.id, guard=guard)


MATRIX.update(
    {
        #                                  ad   mg   st   gd   gr   re   co   gv   out
        "analytics.staff.trainings.list": (OK, OK, OK, OK, OK, 403, OK, OK, 404),
        "analytics.staff.trainings.create": (OK, OK, 403, 403, 403, 403, 403, 403, 404),
        "analytics.staff.records": (OK, OK, 403, 403, 403, 403, 403, 403, 404),
        "analytics.staff.shifts.create": (OK, OK, 403, 403, 403, 403, 403, 403, 404),
        "analytics.staff.shifts.mark": (OK, OK, 403, 403, 403, 403, 403, 403, 404),
    }
)
REQUESTS.update(
    {
        "analytics.staff.trainings.list": lambda w: (
            "GET",
            "/api/v1/analytics/staff/trainings",
            {"params": {"compound_id": w.A}},
        ),
        "analytics.staff.trainings.create": lambda w: (
            "POST",
            "/api/v1/analytics/staff/trainings",
            {"json": {"compound_id": w.A, "kind": "training", "title": "矩阵", "held_on": "2025-01-09"}},
        ),
        "analytics.staff.records": lambda w: (
            "PUT",
            f"/api/v1/analytics/staff/trainings/{_STAFF['training']}/records",
            {"json": {"records": [{"user_id": _STAFF["guard"], "attended": True}]}},
        ),
        "analytics.staff.shifts.create": lambda w: (
            "POST",
            "/api/v1/analytics/staff/shifts",
            {
                "json": {
                    "compound_id": w.A,
                    "user_id": _STAFF["guard"],
                    "starts_at": "2025-01-09T08:00:00+08:00",
                    "ends_at": "2025-01-09T20:00:00+08:00",
                }
            },
        ),
        "analytics.staff.shifts.mark": lambda w: (
            "PUT",
            f"/api/v1/analytics/staff/shifts/{_STAFF['shift']}",
            {"json": {"status": "attended"}},
        ),
    }
)


def _families() -> list[Any]:
    return [pytest.param(family, id=family) for family in MATRIX]


def _assert_route_exists(family: str) -> None:
    """A renamed or removed route fails its family (it used to be skipped, which hid the change)."""
    method, path, _ = REQUESTS[family](_PROBE)
    if not _route_exists(method, path):
        pytest.fail(
            f"{family}: {method} {path} is not a route of the app; update REQUESTS/MATRIX to the new path",
            pytrace=False,
        )


def _outcome(status: int) -> Any:
    """The cell value a response status stands for."""
    return OK if 200 <= status < 300 else status


@pytest.fixture
def world(session, ids) -> World:
    due = china_date() + timedelta(days=30)
    req = PrivacyRequest(compound_id=ids["A"], person_id=ids["li_person"], kind="access", due_on=due)
    session.add(req)
    session.flush()
    return World(A=ids["A"], B=ids["B"], li_house=ids["li_house"], li_person=ids["li_person"], request_id=req.id)


def _call(client: Any, headers: dict[str, str] | None, req: Req) -> Any:
    method, url, kw = req
    return client.request(method, url, headers=headers or {}, **kw)


def assert_error_shape(r: Any) -> None:
    err = r.json()["error"]
    assert set(err) == {"code", "message", "fields"}
    assert err["message"]["zh"] and err["message"]["en"]


class TestMatrix:
    def test_table_covers_every_family_and_role(self):
        assert set(MATRIX) == set(REQUESTS)
        assert all(len(row) == len(ROLES) for row in MATRIX.values())

    def test_cannot_silently_stop_testing_a_missing_route_fails(self, monkeypatch):
        monkeypatch.setitem(REQUESTS, "renamed", lambda w: ("GET", f"/api/v1/compounds/{w.A}/no-such-page", {}))
        with pytest.raises(pytest.fail.Exception, match="is not a route of the app"):
            _assert_route_exists("renamed")

    @pytest.mark.parametrize("family", _families())
    def test_family(self, client, login, world, session, family):
        """Every persona's outcome for one endpoint family equals its row of MATRIX."""
        _assert_route_exists(family)
        headers = {role: login(role) for role in ROLES}
        got, bodies = [], {}
        for role in ROLES:
            # Each persona starts from the same state: its writes are undone before the next.
            savepoint = session.connection().begin_nested()
            r = _call(client, headers[role], REQUESTS[family](world))
            savepoint.rollback()
            got.append(_outcome(r.status_code))
            bodies[role] = r.text[:200]
            if r.status_code >= 400:
                assert_error_shape(r)
        wrong = {
            role: (want, have, bodies[role])
            for role, want, have in zip(ROLES, MATRIX[family], got, strict=True)
            if want != have
        }
        assert not wrong, f"{family}: role -> (expected, got, body): {wrong}"


def _operations() -> list[tuple[str, str]]:
    ops = []
    for path, methods in OPENAPI["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method in methods:
            if method.upper() in ("GET", "POST", "PUT", "PATCH", "DELETE") and (method.upper(), path) not in PUBLIC:
                ops.append((method.upper(), path))
    return ops


class TestUnauthenticated:
    def test_every_non_public_operation_is_401(self, client):
        ops = _operations()
        assert len(ops) > 30
        wrong = {}
        for method, path in ops:
            url = re.sub(r"\{[^}]+\}", "1", path)
            kw: dict[str, Any] = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
            r = client.request(method, url, **kw)
            if r.status_code != 401 or not r.json()["error"]["code"].endswith("unauthenticated"):
                wrong[f"{method} {path}"] = (r.status_code, r.text[:120])
            else:
                assert_error_shape(r)
        assert not wrong, wrong

    def test_a_garbage_token_is_401_too(self, client):
        h = {"Authorization": "Bearer not-a-token"}
        for method, path in _operations():
            if method == "GET" and "{" not in path and not path.startswith("/api/v1/device/"):
                assert client.get(path, headers=h).status_code == 401, path

    def test_health_and_sign_in_are_public(self, client):
        assert client.get("/api/v1/health").status_code == 200
        r = client.post("/api/v1/auth/token", json={"username": "admin", "password": "anju2026!"})
        assert r.status_code == 200


def _other_household(session: Any, compound_id: int, house_id: int) -> tuple[int, int]:
    """A current resident of compound A who does not live in `house_id`, and their house."""
    row = session.execute(
        select(Occupancy.person_id, Occupancy.house_id)
        .where(Occupancy.compound_id == compound_id, Occupancy.ended_on.is_(None), Occupancy.house_id != house_id)
        .order_by(Occupancy.id)
    ).first()
    assert row is not None
    return int(row[0]), int(row[1])


class TestOutOfScope:
    def test_outsider_gets_404_for_compound_a_rows(self, client, login, world, session):
        h = login("outsider_zhao")
        li = session.get(Person, world.li_person)
        for url in (
            f"/api/v1/compounds/{world.A}",
            f"/api/v1/compounds/{world.A}/tree",
            f"/api/v1/houses/{world.li_house}",
            f"/api/v1/people/{world.li_person}",
        ):
            r = client.get(url, headers=h)
            assert r.status_code == 404, url
            assert_error_shape(r)
            assert li.name not in r.text and "3-1-0802" not in r.text

    def test_outsider_lists_hold_no_compound_a_data(self, client, login, world):
        h = login("outsider_zhao")
        for url in ("/api/v1/houses", "/api/v1/people", "/api/v1/vehicles"):
            r = client.get(url, headers=h, params={"compound_id": world.A})
            assert r.status_code == 200 and r.json()["total"] == 0 and r.json()["items"] == [], url
            everything = client.get(url, headers=h, params={"page_size": 500}).json()
            assert everything["total"] > 0
            assert {row["compound_id"] for row in everything["items"]} == {world.B}, url
        for url in ("/api/v1/buildings", "/api/v1/grids"):
            assert client.get(url, headers=h, params={"compound_id": world.A}).json() == [], url
        assert [c["id"] for c in client.get("/api/v1/compounds", headers=h).json()] == [world.B]

    def test_outsider_cannot_search_compound_a_by_phone(self, client, login, world, session):
        li = session.get(Person, world.li_person)
        phone = decrypt(li.phone_enc, context="person.phone")
        r = client.get("/api/v1/people", headers=login("outsider_zhao"), params={"q": phone})
        assert r.status_code == 200 and r.json()["total"] == 0

    def test_resident_gets_404_for_another_household(self, client, login, world, session):
        other_person, other_house = _other_household(session, world.A, world.li_house)
        h = login("resident_li")
        assert client.get(f"/api/v1/people/{other_person}", headers=h).status_code == 404
        assert client.get(f"/api/v1/houses/{other_house}", headers=h).status_code == 404
        r = client.post(f"/api/v1/people/{other_person}/reveal", headers=h, json={"field": "phone", "reason": "好奇"})
        assert r.status_code == 404

    def test_resident_lists_only_their_household(self, client, login, world, session):
        h = login("resident_li")
        members = set(
            session.execute(
                select(Occupancy.person_id).where(Occupancy.house_id == world.li_house, Occupancy.ended_on.is_(None))
            ).scalars()
        )
        people = client.get("/api/v1/people", headers=h, params={"page_size": 500}).json()
        assert {p["id"] for p in people["items"]} == members
        houses = client.get("/api/v1/houses", headers=h).json()
        assert [x["id"] for x in houses["items"]] == [world.li_house]

    def test_committee_member_sees_houses_but_not_other_people(self, client, login, world):
        h = login("committee_sun")
        assert client.get(f"/api/v1/houses/{world.li_house}", headers=h).status_code == 200
        assert client.get(f"/api/v1/people/{world.li_person}", headers=h).status_code == 404


class TestGovernmentViewer:
    def test_people_are_forbidden(self, client, login):
        h = login("gov_street")
        for url in ("/api/v1/people", "/api/v1/houses", "/api/v1/vehicles"):
            r = client.get(url, headers=h)
            assert r.status_code == 403, url
            assert_error_shape(r)

    def test_r_p6_analytics_are_counts_only(self, client, login, world, session):
        r = client.get("/api/v1/analytics/overview", headers=login("gov_street"))
        assert r.status_code == 200
        body = r.json()
        assert {c["id"] for c in body["compounds"]} == {world.A, world.B}
        assert body["residents"] > 0 and isinstance(body["residents"], int)
        text = json.dumps(body, ensure_ascii=False)
        names = session.execute(select(Person.name).where(Person.compound_id.in_([world.A, world.B]))).scalars()
        assert not [n for n in names if n in text]
        assert not re.search(r"1[3-9]\d{9}", text)  # no phone numbers
        assert not re.search(r"\d{17}[\dX]", text)  # no ID numbers
        assert "****" not in text  # not even masked ones

    def test_r_p6_analytics_cover_only_their_street(self, client, login, world):
        body = client.get(
            "/api/v1/analytics/overview", headers=login("gov_street"), params={"compound_id": world.A}
        ).json()
        assert [c["id"] for c in body["compounds"]] == [world.A]
