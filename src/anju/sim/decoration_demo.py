"""Demo data for decoration applications (issue 18): one approved renovation with its workers' passes and a
passed site inspection, and one application waiting for the property company; never at resident_li's house."""

from __future__ import annotations

from datetime import time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.core.auth import Principal


def _principal(session: Session, username: str) -> Principal:
    from anju.accounts.models import User
    from anju.accounts.service import account_service

    user = session.execute(select(User).where(User.username == username)).scalar_one()
    return account_service.principal(session, user)


def build_decoration_demo(session: Session, *, compound_id: int, li_person_id: int, committee_person_id: int) -> None:
    """Seed two decoration applications of compound `compound_id`. Caller commits."""
    from anju.core.crypto import encrypt, mask_phone
    from anju.core.db import utcnow
    from anju.core.kit.china_time import china_date
    from anju.decoration.enums import InspectionKind
    from anju.decoration.models import DecorationApplication, DecorationWorker
    from anju.decoration.schemas import DecorationApprove, InspectionCreate
    from anju.decoration.service import decoration_service
    from anju.registry.enums import OccupancyRole
    from anju.registry.models import Occupancy
    from anju.registry.occupancy import current_occupancy_clause

    li_houses = select(Occupancy.house_id).where(Occupancy.person_id == li_person_id)
    owners = session.execute(
        select(Occupancy.house_id, Occupancy.person_id)
        .where(
            Occupancy.compound_id == compound_id,
            Occupancy.role == OccupancyRole.owner,
            current_occupancy_clause(),
            Occupancy.house_id.not_in(li_houses),
        )
        .order_by(Occupancy.house_id)
        .limit(2)
    ).all()
    if len(owners) < 2:
        return
    now, today = utcnow(), china_date()
    specs = [
        (
            owners[0],
            today - timedelta(days=5),
            today + timedelta(days=40),
            "全屋翻新：水电改造、厨卫防水、墙地面",
            True,
        ),
        (owners[1], today + timedelta(days=7), today + timedelta(days=20), "阳台封窗、卧室刷墙", False),
    ]
    workers = [("张建国", "13522220001"), ("刘德胜", "13522220002"), ("王小军", None)]
    manager = _principal(session, "manager_wang")
    for (house_id, person_id), start, end, scope, approve in specs:
        app = DecorationApplication(
            compound_id=compound_id,
            house_id=house_id,
            applicant_person_id=person_id,
            start_date=start,
            end_date=end,
            scope=scope,
            contractor="安居装饰工程有限公司",
            contractor_phone_enc=encrypt("13611110000", context="decoration.contractor_phone"),
            contractor_phone_masked=mask_phone("13611110000"),
            daily_from=time(8),
            daily_until=time(18),
            deposit_fen=200000,
            conditions=[],
        )
        session.add(app)
        session.flush()
        for name, phone in workers[: 3 if approve else 2]:
            session.add(
                DecorationWorker(
                    compound_id=compound_id,
                    application_id=app.id,
                    name=name,
                    phone_enc=encrypt(phone, context="decoration.worker_phone"),
                    phone_masked=mask_phone(phone),
                )
            )
        session.flush()
        if approve:
            data = DecorationApprove(conditions=["每日 12:00–14:00 不得进行噪声作业", "装修垃圾袋装后运至指定堆放点"])
            decoration_service.approve(session, who=manager, application_id=app.id, data=data, now=now)
            decoration_service.inspect(
                session,
                who=manager,
                application_id=app.id,
                data=InspectionCreate(kind=InspectionKind.during, passed=True, note="水电隐蔽工程检查合格"),
                now=now,
            )
