"""Demo data for the workorders domain, built after the registry, accounts, devices and access demo."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.core.kit.china_time import china_date


def _principal(session: Session, username: str):
    from anju.accounts.models import User
    from anju.accounts.service import account_service

    user = session.execute(select(User).where(User.username == username)).scalar_one()
    return account_service.principal(session, user)


def build_workorders_demo(session: Session, *, compound_id: int, li_person_id: int, committee_person_id: int) -> None:
    """Seed this domain's demo rows for compound `compound_id`. Caller commits."""
    from anju.core.db import utcnow
    from anju.facilities.service import register
    from anju.patrol.models import (
        PatrolCheckin,
        PatrolCheckpoint,
        PatrolRoute,
        PatrolSchedule,
        ShiftHandover,
    )
    from anju.registry.models import Building, Grid, House
    from anju.workorders.enums import OrderAction, OrderKind, Priority
    from anju.workorders.models import GridWorker, SlaPolicy, WorkTeam, WorkTeamMember
    from anju.workorders.schemas import OrderActionBody, OrderCreate
    from anju.workorders.service import work_order_service as svc

    li, liu, zhou, wang, chen = (
        _principal(session, u) for u in ("resident_li", "staff_liu", "grid_zhou", "manager_wang", "guard_chen")
    )
    # Complaints answered within 10 days (R-W3), set explicitly so the settings page shows it.
    session.add(
        SlaPolicy(
            compound_id=compound_id,
            category="complaint",
            priority="*",
            response_minutes=None,
            resolution_minutes=10 * 1440,
            calendar="24x7",
        )
    )
    team = WorkTeam(
        compound_id=compound_id,
        name="工程部",
        categories=["electrical", "lift", "fire_safety"],
        strategy="least_loaded",
        rr_cursor=0,
    )
    session.add(team)
    session.flush()
    session.add(WorkTeamMember(team_id=team.id, user_id=liu.user_id))
    for grid_id in session.execute(select(Grid.id).where(Grid.compound_id == compound_id)).scalars():
        session.add(GridWorker(compound_id=compound_id, grid_id=grid_id, user_id=zhou.user_id))
    session.flush()

    now = utcnow()
    li_house = session.execute(
        select(House.id).where(House.compound_id == compound_id, House.label == "3-1-0802")
    ).scalar_one()
    buildings = list(
        session.execute(select(Building.id).where(Building.compound_id == compound_id).order_by(Building.id)).scalars()
    )

    def act(who, order, action, at, **kw):
        svc.act(session, by=who, order_id=order.id, body=OrderActionBody(action=action, **kw), now=at)

    # 1. Done and rated: the whole life of an order.
    t0 = now - timedelta(days=3)
    done = svc.open(
        session,
        by=li,
        now=t0,
        data=OrderCreate(
            kind=OrderKind.household_repair,
            category="electrical",
            title="卫生间灯不亮",
            house_id=li_house,
            description="开关正常，灯管不亮",
        ),
    )
    act(liu, done, OrderAction.accepted, t0 + timedelta(minutes=5))
    act(liu, done, OrderAction.arrived, t0 + timedelta(minutes=40))
    act(liu, done, OrderAction.completed, t0 + timedelta(minutes=70), note="更换灯管")
    act(wang, done, OrderAction.followed_up, t0 + timedelta(hours=3), note="电话回访：业主满意")
    act(wang, done, OrderAction.closed, t0 + timedelta(hours=3, minutes=1))
    act(li, done, OrderAction.rated, t0 + timedelta(hours=4), rating=5, note="师傅很专业")
    # 2. The seed: low water pressure, a technician on site.
    t1 = now - timedelta(minutes=50)
    pressure = svc.open(
        session,
        by=wang,
        now=t1,
        data=OrderCreate(
            compound_id=compound_id,
            kind=OrderKind.common_repair,
            category="plumbing",
            priority=Priority.urgent,
            title="5单元23楼水压低",
            description="住户来电反映，已有人去处理",
            building_id=buildings[0] if buildings else None,
        ),
    )
    act(wang, pressure, OrderAction.dispatched, t1 + timedelta(minutes=2), assignee_user_id=liu.user_id)
    act(liu, pressure, OrderAction.accepted, t1 + timedelta(minutes=4))
    act(liu, pressure, OrderAction.arrived, t1 + timedelta(minutes=18))
    # 3. 随手拍 by the grid worker: clutter in a stairwell, dispatched to the grid and cleared.
    t2 = now - timedelta(hours=5)
    clutter = svc.open(
        session,
        by=zhou,
        now=t2,
        data=OrderCreate(
            compound_id=compound_id,
            kind=OrderKind.hazard,
            category="fire_safety",
            priority=Priority.urgent,
            title="楼道堆放杂物",
            description="2层楼梯间纸箱堵塞疏散通道",
            building_id=buildings[-1] if buildings else None,
        ),
    )
    if clutter.assignee_user_id is not None:
        assignee = zhou if clutter.assignee_user_id == zhou.user_id else liu
        act(assignee, clutter, OrderAction.accepted, t2 + timedelta(minutes=10))
        act(assignee, clutter, OrderAction.arrived, t2 + timedelta(minutes=30))
        act(assignee, clutter, OrderAction.completed, t2 + timedelta(hours=2), note="已清理")
    # 4. A complaint waiting to be dispatched; 5. an unassigned repair for the grab pool.
    svc.open(
        session,
        by=li,
        now=now - timedelta(days=1),
        data=OrderCreate(
            kind=OrderKind.complaint, category="general", title="夜间施工噪音", description="22点后仍在施工"
        ),
    )
    svc.open(
        session,
        by=wang,
        now=now - timedelta(minutes=20),
        data=OrderCreate(
            compound_id=compound_id,
            kind=OrderKind.common_repair,
            category="plumbing",
            priority=Priority.normal,
            title="地下车库排水沟堵塞",
            location="B1 车库东侧",
        ),
    )

    # Patrol: a night route with a key point checked at most every 2 h (R-W5).
    route = PatrolRoute(compound_id=compound_id, name="夜间巡更路线", active=True)
    session.add(route)
    session.flush()
    points = [
        PatrolCheckpoint(
            compound_id=compound_id,
            route_id=route.id,
            name=name,
            seq=i,
            code=f"SFXQ-PT-{i + 1:02d}",
            nfc_tag=f"04:A2:{i + 1:02d}:7F",
            key_point=key,
            max_interval_minutes=120 if key else None,
            building_id=buildings[0] if buildings else None,
            created_at=now - timedelta(days=2),
        )
        for i, (name, key) in enumerate((("东门岗", False), ("配电房", True), ("地下车库入口", False)))
    ]
    session.add_all(points)
    session.add(
        PatrolSchedule(compound_id=compound_id, route_id=route.id, start_minute=22 * 60, window_minutes=60, active=True)
    )
    session.flush()
    for p in points:
        session.add(
            PatrolCheckin(
                compound_id=compound_id,
                checkpoint_id=p.id,
                route_id=route.id,
                user_id=chen.user_id,
                method="qr",
                at=now - timedelta(minutes=40),
            )
        )
    session.add(
        ShiftHandover(
            compound_id=compound_id,
            from_user_id=chen.user_id,
            to_user_id=None,
            note="夜班正常，3号楼车库门禁需报修",
            at=now - timedelta(hours=8),
        )
    )

    # Facilities: a lift, an extinguisher and a fire panel with their statutory plans (R-W2, R-S4–R-S6).
    today = china_date()
    b0 = buildings[0] if buildings else None
    register(
        session,
        by=None,
        compound_id=compound_id,
        kind="lift",
        name="1号楼1单元客梯",
        building_id=b0,
        location="1号楼1单元",
        certificate_expires_on=today + timedelta(days=40),
        today=today - timedelta(days=16),
    )
    register(
        session,
        by=None,
        compound_id=compound_id,
        kind="extinguisher",
        name="MFZ/ABC4 #A-12",
        building_id=b0,
        location="1号楼地下室",
        extinguisher_type="powder",
        manufactured_on=date(today.year - 5, 1, 10),
        crowded=True,
        today=today,
    )
    register(
        session,
        by=None,
        compound_id=compound_id,
        kind="fire_panel",
        name="火灾报警控制器",
        building_id=b0,
        location="消防控制室",
        today=today - timedelta(days=20),
    )
    session.flush()
    _fire_duty_demo(session, compound_id=compound_id, today=today)


def _fire_duty_demo(session: Session, *, compound_id: int, today: date) -> None:
    """The fire control room roster (R-S7): three 8-hour shifts a day, two operators each, for 9 days — except
    one night two days ahead with a single operator, which the watch job flags."""
    from datetime import datetime, time

    from anju.facilities.models import FireDutyShift
    from anju.workorders.sla import CST

    teams = (["周建国", "吴丽"], ["郑海", "冯敏"], ["陈刚", "褚静"])
    first = datetime.combine(today - timedelta(days=1), time(0), tzinfo=CST)
    for k in range(9 * 3):
        starts = first + timedelta(hours=8 * k)
        staff = list(teams[k % 3])
        if k == 3 * 3 + 2:  # the 00:00 shift two days from now: one operator on sick leave
            staff = staff[:1]
        session.add(
            FireDutyShift(compound_id=compound_id, starts_at=starts, ends_at=starts + timedelta(hours=8), staff=staff)
        )
    session.flush()
