"""Demo data for care and emergency (issue 16): the demo's elderly living alone in the care archive, with
their registry contacts in order, recent activity, this week's visits, past contacts; a fire, flood and
lift plan with a drill each, two supply stores (one item expiring, one short) and a closed exercise."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.core.auth import Principal


def _principal(session: Session, username: str) -> Principal:
    from anju.accounts.models import User
    from anju.accounts.service import account_service

    user = session.execute(select(User).where(User.username == username)).scalar_one()
    return account_service.principal(session, user)


def build_care_demo(session: Session, *, compound_id: int, li_person_id: int, committee_person_id: int) -> None:
    """Seed the care archive and the emergency plans of compound `compound_id`. Caller commits."""
    from anju.care.models import CareContact, CareProfile, CareVisit
    from anju.care.service import care_service
    from anju.core.db import utcnow
    from anju.core.kit.china_time import china_date
    from anju.registry.enums import PersonTagKind
    from anju.registry.models import EmergencyContact, Occupancy, PersonTag
    from anju.registry.occupancy import current_occupancy_clause

    r = random.Random(16)
    now = utcnow()
    zhou = _principal(session, "grid_zhou")
    lone = list(
        session.execute(
            select(PersonTag.person_id, Occupancy.house_id)
            .join(Occupancy, Occupancy.person_id == PersonTag.person_id)
            .where(
                PersonTag.compound_id == compound_id,
                PersonTag.tag == PersonTagKind.elderly_alone,
                current_occupancy_clause(),
            )
            .order_by(PersonTag.person_id)
        ).tuples()
    )
    contacts: dict[int, list[int]] = {}
    for cid, pid in session.execute(
        select(EmergencyContact.id, EmergencyContact.person_id)
        .where(EmergencyContact.person_id.in_([p for p, _ in lone] or [-1]))
        .order_by(EmergencyContact.id)
    ).tuples():
        contacts.setdefault(pid, []).append(cid)
    profiles: list[CareProfile] = []
    for k, (pid, house_id) in enumerate(lone):
        if k % 10 == 9:
            continue  # not yet in the archive: a grid worker still has to register them
        disability = "visual" if k % 50 == 7 else "hearing" if k % 50 == 19 else "mobility" if k % 50 == 31 else "none"
        p = CareProfile(
            compound_id=compound_id,
            person_id=pid,
            house_id=house_id,
            living_alone=True,
            special_hardship=k % 12 == 0,
            disability=disability,
            channel={"visual": "voice", "hearing": "vibration"}.get(disability, "sms"),
            silence_hours=12 if k % 25 == 3 else 24,
            visitor_user_id=zhou.user_id,
            created_at=now - timedelta(days=120),
            # Two people have been silent for more than a day: the silence check raises their alarms.
            last_activity_at=now - timedelta(hours=30 + k)
            if k in (5, 11)
            else now - timedelta(hours=r.uniform(0.5, 14)),
            last_activity_source="access:face:0",
        )
        profiles.append(p)
    session.add_all(profiles)
    session.flush()
    for p in profiles:
        for i, cid in enumerate(contacts.get(p.person_id, [])[:3], start=1):
            session.add(
                CareContact(compound_id=compound_id, profile_id=p.id, contact_id=cid, position=i, guardian=i == 1)
            )
    # Past months: a visit or call for most people in special hardship (a few months are missed, R-E1).
    for p in profiles:
        if not p.special_hardship:
            continue
        for back in (1, 2, 3):
            if r.random() < 0.25:
                continue
            at = now - timedelta(days=30 * back + r.randint(0, 20))
            session.add(
                CareVisit(
                    compound_id=compound_id,
                    profile_id=p.id,
                    kind="monthly",
                    plan_key=f"demo:{p.id}:{back}",
                    due_on=china_date(at),
                    assigned_user_id=zhou.user_id,
                    status="done",
                    outcome="fine",
                    note="电话问候，身体状况良好",
                    visited_at=at,
                    visited_by=zhou.user_id,
                )
            )
    session.flush()
    care_service.plan_visits(session, now=now)
    # The two silent people are raised by the worker's first `care.check_silence` run (outside the night
    # window), as in production: the demo leaves no alarm half-made.
    _emergency(session, compound_id=compound_id, now=now)


def _emergency(session: Session, *, compound_id: int, now: datetime) -> None:
    from anju.core.kit.china_time import china_date
    from anju.emergency.models import EmergencyDrill
    from anju.emergency.schemas import PlanCreate, SupplyCreate
    from anju.emergency.service import emergency_service

    wang = _principal(session, "manager_wang")
    call_sheet = [
        {"name": "火警", "phone": "119"},
        {"name": "急救", "phone": "120"},
        {"name": "报警", "phone": "110"},
        {"name": "街道办值班室", "phone": "010-6512 3456"},
        {"name": "居委会", "phone": "010-6512 7788"},
    ]
    plans = [
        {
            "kind": "fire",
            "title": "火灾事故应急预案",
            "level": 2,
            "roles": [
                {
                    "role": "应急指挥部",
                    "tier": "community",
                    "tasks": ["确认火情并启动预案", "报告街道办"],
                    "due_minutes": 5,
                },
                {
                    "role": "灭火行动组",
                    "tier": "property",
                    "tasks": ["携带灭火器到场", "切断着火楼栋电源"],
                    "due_minutes": 5,
                },
                {
                    "role": "疏散引导组",
                    "tier": "property",
                    "tasks": ["打开疏散通道", "引导居民到集合点", "清点人数"],
                    "due_minutes": 10,
                },
                {
                    "role": "楼长志愿者",
                    "tier": "resident",
                    "tasks": ["敲门提醒独居老人", "协助行动不便者撤离"],
                    "due_minutes": 10,
                },
            ],
            "resources": ["灭火器", "应急照明灯", "防烟面罩"],
        },
        {
            "kind": "flood",
            "title": "防汛及内涝应急预案",
            "level": 3,
            "roles": [
                {
                    "role": "应急指挥部",
                    "tier": "community",
                    "tasks": ["发布预警", "协调街道抢险力量"],
                    "due_minutes": 15,
                },
                {"role": "抢险组", "tier": "property", "tasks": ["封堵地库入口", "启动排水泵"], "due_minutes": 20},
            ],
            "resources": ["沙袋", "抽水泵"],
        },
        {
            "kind": "lift_entrapment",
            "title": "电梯困人应急预案",
            "level": 4,
            "roles": [
                {"role": "值班室", "tier": "property", "tasks": ["安抚被困人员", "通知维保单位"], "due_minutes": 5},
            ],
            "resources": [],
        },
    ]
    made = []
    for body in plans:
        p = emergency_service.create_plan(
            session, by=wang, data=PlanCreate(compound_id=compound_id, call_sheet=call_sheet, **body)
        )
        made.append(p)
    from anju.emergency.evacuation_service import evacuation_service
    from anju.registry.service import house_service

    # the fire drill evacuated 3号楼; its simulation (JuPedSim, about a second) is what the drill is compared with
    drilled = next((b for b in house_service.buildings(session, compound_id=compound_id) if b.number == "3"), None)
    if drilled is not None:
        try:
            with session.begin_nested():
                evacuation_service.simulate(session, by=wang, building_id=drilled.id)
        except ImportError:  # jupedsim not installed: the demo goes on without the estimate
            pass
    session.add(
        EmergencyDrill(
            compound_id=compound_id,
            plan_id=made[0].id,
            held_at=now - timedelta(days=40),
            participants=186,
            evacuation_seconds=412,
            building_id=drilled.id if drilled is not None else None,
            findings="3号楼2单元疏散通道堆放杂物，已整改",
            recorded_by=wang.user_id,
        )
    )
    session.add(
        EmergencyDrill(
            compound_id=compound_id,
            plan_id=made[1].id,
            held_at=now - timedelta(days=150),
            participants=40,
            findings="排水泵启动时间偏长",
            recorded_by=wang.user_id,
        )
    )
    for store, name, unit, qty, minimum, days in (
        ("1号楼地下应急物资库", "灭火器", "具", 48, 40, 400),
        ("1号楼地下应急物资库", "应急照明灯", "盏", 20, 20, None),
        ("1号楼地下应急物资库", "防烟面罩", "个", 60, 50, 20),
        ("物业中心仓库", "沙袋", "袋", 120, 200, None),
        ("物业中心仓库", "抽水泵", "台", 2, 2, None),
        ("物业中心仓库", "应急饮用水", "箱", 30, 20, 75),
    ):
        emergency_service.add_supply(
            session,
            by=wang,
            data=SupplyCreate(
                compound_id=compound_id,
                store=store,
                name=name,
                unit_label=unit,
                quantity=qty,
                min_quantity=minimum,
                expires_on=china_date(now) + timedelta(days=days) if days else None,
            ),
        )
    from anju.emergency.schemas import Activate, CloseIncident

    inc = emergency_service.activate(session, by=wang, plan_id=made[0].id, data=Activate(exercise=True), now=now)
    emergency_service.close(session, by=wang, incident_id=inc.id, data=CloseIncident(review="演练：8 分钟完成疏散"))
