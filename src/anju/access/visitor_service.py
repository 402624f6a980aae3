"""Visitor and courier passes: created by the host or the guard desk, signed QR, counted entries."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from anju.access.config import access_settings
from anju.access.delivery_service import delivery_rule_service
from anju.access.enums import PassKind, PassStatus
from anju.access.exceptions import PassNotUsable
from anju.access.models import AccessLog, VisitorPass
from anju.access.permissions import AccessPerm
from anju.access.repository import HolderQuery, VisitorQuery, readable_passes
from anju.access.schemas import VisitorPassCreate, WalkInCreate
from anju.access.signing import new_nonce, sign, visitor_body
from anju.access.sync_service import terminal_sync_service
from anju.core.auth import Principal
from anju.core.crypto import encrypt, mask_name, mask_phone
from anju.core.db import utcnow
from anju.core.errors import Forbidden, Invalid, NotFound
from anju.registry.models import House
from anju.registry.occupancy import current_occupancy_clause

MAX_PASS_DAYS = 7


def visitor_name_shown(who: Principal | None, name: str | None, *, host_house_id: int | None) -> str | None:
    """The one policy for a visitor's name, in the API and on every page (R-P6).

    The host household sees the name it gave; everyone else (the guard desk, managers, live
    feeds, anonymous pages) sees it masked, 张*明.
    """
    if not name:
        return None
    if who is not None and not who.is_staff and host_house_id is not None and host_house_id in who.house_ids:
        return name
    return mask_name(name)


class VisitorPassService:
    def get(self, session: Session, *, who: Principal, pass_id: int) -> VisitorPass:
        vp = session.execute(readable_passes(who).where(VisitorPass.id == pass_id)).scalar_one_or_none()
        if vp is None:
            raise NotFound(f"visitor pass {pass_id} not found", zh="未找到该通行证")
        return vp

    def qr(self, session: Session, vp: VisitorPass) -> str:
        return sign(
            session,
            vp.compound_id,
            visitor_body(
                vp.compound_id, vp.id, int(vp.valid_from.timestamp()), int(vp.valid_until.timestamp()), vp.nonce
            ),
        )

    def create(self, session: Session, *, who: Principal, data: VisitorPassCreate, now: datetime) -> VisitorPass:
        """A host (or staff for a house) invites a visitor; only name or phone is asked for (R-F12)."""
        if data.per_shift:
            return self._courier_shift(session, who=who, data=data, now=now)
        house = session.get(House, data.host_house_id) if data.host_house_id is not None else None
        if house is None:
            raise NotFound("house not found", zh="未找到该房屋")
        if who.is_staff:
            if not who.in_scope(house.compound_id):
                raise NotFound("house not found", zh="未找到该房屋")
            who.require(AccessPerm.visitors_manage)
            host_person = None
        else:
            if house.id not in who.house_ids or who.person_id is None:
                raise NotFound("house not found", zh="未找到该房屋")
            host_person = who.person_id
        start = data.valid_from or now
        if data.valid_until <= start:
            raise Invalid("the pass ends before it starts", zh="结束时间早于开始时间")
        if data.valid_until - start > timedelta(days=MAX_PASS_DAYS):
            raise Invalid(f"a pass lasts at most {MAX_PASS_DAYS} days", zh=f"通行证有效期最长 {MAX_PASS_DAYS} 天")
        if data.valid_until <= now:
            raise Invalid("the pass is already over", zh="通行证已过期")
        until, entries = data.valid_until, data.entries
        if data.kind in (PassKind.courier, PassKind.rider):
            # Issue 18: one delivery, as long as the compound's rule gives it; a rider's pass opens one entry.
            limits = delivery_rule_service.limits(session, compound_id=house.compound_id)
            minutes = limits.courier_minutes if data.kind == PassKind.courier else limits.rider_minutes
            until = min(until, start + timedelta(minutes=minutes))
            entries = 1 if data.kind == PassKind.rider else entries
        vp = VisitorPass(
            compound_id=house.compound_id,
            kind=data.kind,
            host_house_id=house.id,
            host_person_id=host_person,
            created_by=who.user_id,
            visitor_name=data.visitor_name,
            visitor_phone_enc=encrypt(data.visitor_phone, context="visitor.phone"),
            visitor_phone_masked=mask_phone(data.visitor_phone),
            valid_from=start,
            valid_until=until,
            entries_allowed=entries,
            nonce=new_nonce() + new_nonce(),
            note=data.note,
            company=data.company,
            status=PassStatus.pending if data.needs_approval else PassStatus.active,
        )
        session.add(vp)
        session.flush()
        terminal_sync_service.refresh_pass(session, vp)
        return vp

    def issue_worker_passes(
        self,
        session: Session,
        *,
        compound_id: int,
        house_id: int,
        workers: list[tuple[str, str | None]],
        valid_from: datetime,
        valid_until: datetime,
        daily_from: time,
        daily_until: time,
        source: str,
    ) -> list[VisitorPass]:
        """Decoration workers (issue 18): one pass each for the approved dates, opening the house's unit door
        and floor only within the approved daily hours; revoked together by `source`."""
        days = max(1, (valid_until - valid_from).days + 1)
        out = []
        for name, phone in workers:
            vp = VisitorPass(
                compound_id=compound_id,
                kind=PassKind.worker,
                host_house_id=house_id,
                visitor_name=name,
                visitor_phone_enc=encrypt(phone, context="visitor.phone"),
                visitor_phone_masked=mask_phone(phone),
                valid_from=valid_from,
                valid_until=valid_until,
                entries_allowed=min(10_000, days * 4),  # a few gate entries a day
                nonce=new_nonce() + new_nonce(),
                daily_from=daily_from,
                daily_until=daily_until,
                source=source,
                status=PassStatus.active,
            )
            session.add(vp)
            out.append(vp)
        session.flush()
        for vp in out:
            terminal_sync_service.refresh_pass(session, vp)
        return out

    def revoke_source(self, session: Session, *, source: str) -> int:
        """Revoke every live pass issued for one source (a decoration that ended or was cancelled)."""
        passes = VisitorQuery(session).live_of_source(source)
        for vp in passes:
            vp.status = PassStatus.revoked
        session.flush()
        for vp in passes:
            terminal_sync_service.refresh_pass(session, vp)
        return len(passes)

    def passes_of_source(self, session: Session, *, source: str) -> list[VisitorPass]:
        return VisitorQuery(session).of_source(source)

    def _courier_shift(
        self, session: Session, *, who: Principal, data: VisitorPassCreate, now: datetime
    ) -> VisitorPass:
        """The desk gives a courier a pass for a shift (issue 18): gates and lockers only, no host, revocable."""
        if not who.is_staff:
            raise Forbidden("only the desk issues shift passes", zh="仅门岗可签发快递员班次通行证")
        who.require(AccessPerm.visitors_manage)
        compound_id = data.compound_id
        if compound_id is None and len(who.compound_ids) == 1:
            compound_id = next(iter(who.compound_ids))
        if compound_id is None or not who.in_scope(compound_id):
            raise NotFound("compound not found", zh="未找到该小区")
        start = data.valid_from or now
        if data.valid_until <= start or data.valid_until <= now:
            raise Invalid("the pass ends before it starts", zh="结束时间早于开始时间")
        hours = delivery_rule_service.limits(session, compound_id=compound_id).shift_hours
        if data.valid_until - start > timedelta(hours=hours):
            raise Invalid(f"a shift pass lasts at most {hours} hours", zh=f"班次通行证最长 {hours} 小时")
        vp = VisitorPass(
            compound_id=compound_id,
            kind=PassKind.courier,
            host_house_id=None,
            created_by=who.user_id,
            visitor_name=data.visitor_name,
            visitor_phone_enc=encrypt(data.visitor_phone, context="visitor.phone"),
            visitor_phone_masked=mask_phone(data.visitor_phone),
            valid_from=start,
            valid_until=data.valid_until,
            entries_allowed=data.entries,
            nonce=new_nonce() + new_nonce(),
            note=data.note,
            company=data.company,
            status=PassStatus.active,
        )
        session.add(vp)
        session.flush()
        terminal_sync_service.refresh_pass(session, vp)
        return vp

    def walk_in(
        self, session: Session, *, who: Principal, data: WalkInCreate, now: datetime
    ) -> tuple[VisitorPass, dict[str, Any]]:
        """The guard registers a walk-in visitor; the host is called and must approve."""
        who.require(AccessPerm.visitors_manage)
        house = session.get(House, data.host_house_id)
        if house is None or not who.in_scope(house.compound_id):
            raise NotFound("house not found", zh="未找到该房屋")
        minutes = data.minutes
        if data.kind in (PassKind.courier, PassKind.rider):  # one delivery, as the compound's rule says (issue 18)
            limits = delivery_rule_service.limits(session, compound_id=house.compound_id)
            minutes = min(minutes, limits.courier_minutes if data.kind == PassKind.courier else limits.rider_minutes)
        vp = VisitorPass(
            compound_id=house.compound_id,
            kind=data.kind,
            host_house_id=house.id,
            created_by=who.user_id,
            visitor_name=data.visitor_name,
            visitor_phone_enc=encrypt(data.visitor_phone, context="visitor.phone"),
            visitor_phone_masked=mask_phone(data.visitor_phone),
            valid_from=now,
            valid_until=now + timedelta(minutes=minutes),
            entries_allowed=1,
            walk_in=True,
            nonce=new_nonce() + new_nonce(),
            note=data.note,
            status=PassStatus.pending,
        )
        session.add(vp)
        session.flush()
        # The desk phone dials the host; we hand it the household's masked numbers, never the full ones.
        call = self._host_call(session, house)
        # ...and the household can confirm on H5 instead of answering the call (issue 18).
        from anju.access.share_service import visitor_share_service

        visitor_share_service.tell_walk_in(session, vp=vp)
        return vp, call

    @staticmethod
    def _host_call(session: Session, house: House) -> dict[str, Any]:
        from anju.registry.models import Occupancy, Person

        rows = session.execute(
            select(Person.name, Person.phone_masked)
            .join(Occupancy, Occupancy.person_id == Person.id)
            .where(Occupancy.house_id == house.id, current_occupancy_clause())
        ).all()
        return {
            "house": house.label,
            "contacts": [{"name": n, "phone": p} for n, p in rows if p],
            "action": "call_host",
        }

    def approve(self, session: Session, *, who: Principal, pass_id: int, approve: bool) -> VisitorPass:
        """The host (or a guard on the host's phone answer) approves or rejects a pending pass."""
        vp = self.get(session, who=who, pass_id=pass_id)
        if who.is_staff:
            who.require(AccessPerm.visitors_manage)
        new = PassStatus.active if approve else PassStatus.rejected
        res = session.execute(
            update(VisitorPass)
            .where(VisitorPass.id == vp.id, VisitorPass.status == PassStatus.pending)
            .values(status=new, approved_at=utcnow() if approve else None)
            .execution_options(synchronize_session=False)
        )
        if res.rowcount != 1:  # type: ignore[attr-defined]
            raise PassNotUsable()  # already decided by someone else
        session.refresh(vp)
        terminal_sync_service.refresh_pass(session, vp)
        return vp

    def revoke(self, session: Session, *, who: Principal, pass_id: int) -> VisitorPass:
        vp = self.get(session, who=who, pass_id=pass_id)
        if who.is_staff:
            who.require(AccessPerm.visitors_manage)
        elif vp.host_person_id != who.person_id and vp.host_house_id not in who.house_ids:
            raise Forbidden()
        vp.status = PassStatus.revoked
        session.flush()
        terminal_sync_service.refresh_pass(session, vp)
        return vp

    def list(self, session: Session, *, who: Principal, limit: int = 100) -> list[VisitorPass]:
        return list(session.execute(readable_passes(who).order_by(VisitorPass.id.desc()).limit(limit)).scalars())

    def revoke_for_house(self, session: Session, *, house_id: int, person_id: int | None) -> int:
        """A host moved out: their passes go; if nobody lives there any more, every pass of the house."""
        who_left = None if not HolderQuery(session).any_active_occupant(house_id) else person_id
        passes = VisitorQuery(session).passes_hosted(house_id, who_left)
        for vp in passes:
            vp.status = PassStatus.revoked
        session.flush()
        for vp in passes:
            terminal_sync_service.refresh_pass(session, vp)
        return len(passes)

    def purge(self, session: Session, *, now: datetime) -> int:
        """Delete visitor records past retention (R-F12): passes, and their log rows lose the link."""
        cutoff = now - timedelta(days=access_settings().visitor_retention_days)
        ids = list(session.execute(select(VisitorPass.id).where(VisitorPass.valid_until < cutoff)).scalars())
        if not ids:
            return 0
        session.execute(
            update(AccessLog)
            .where(AccessLog.visitor_pass_id.in_(ids))
            .values(visitor_pass_id=None)
            .execution_options(synchronize_session=False)
        )
        session.execute(delete(VisitorPass).where(VisitorPass.id.in_(ids)).execution_options(synchronize_session=False))
        return len(ids)


visitor_pass_service = VisitorPassService()


def visitor_count(session: Session, *, compound_id: int, start: datetime, end: datetime) -> int:
    """Visitor passes of a compound valid at some time in [start, end) (e.g. one China day): a manager's to-do."""
    stmt = select(func.count(VisitorPass.id)).where(
        VisitorPass.compound_id == compound_id, VisitorPass.valid_from < end, VisitorPass.valid_until >= start
    )
    return int(session.execute(stmt).scalar_one())
