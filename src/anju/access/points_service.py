"""Access points, terminals, the face PIA, fail-open on fire, and remote opening."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from anju.access import events as access_events
from anju.access.enums import NO_FACE_LOCATIONS, AccessPointKind
from anju.access.exceptions import FaceNotAllowedHere, PiaMissing, SignageMissing
from anju.access.models import AccessPoint, FacePia, Terminal, TerminalAccessPoint
from anju.access.permissions import AccessPerm
from anju.access.repository import PointQuery, readable_points
from anju.access.schemas import AccessPointCreate, AccessPointUpdate, PiaCreate, TerminalCreate
from anju.access.sync_service import terminal_sync_service
from anju.accounts.service import account_service
from anju.core import events
from anju.core.audit import audited_update, record_change
from anju.core.auth import Principal
from anju.core.db import utcnow
from anju.core.errors import Conflict, Invalid, NotFound
from anju.registry.models import Building, Unit
from anju.vision.face import MODEL_NAME

PIA_KEEP_YEARS = 3
# Fields an update may set back to empty (an explicit null); other nulls mean "unchanged".
NULLABLE_FIELDS = frozenset({"open_from", "open_until", "face_threshold", "location", "plan_x", "plan_y"})


def _snapshot(ap: AccessPoint) -> dict[str, object]:
    return {
        "name": ap.name,
        "location_type": ap.location_type.value,
        "location": ap.location,
        "plan_x": ap.plan_x,
        "plan_y": ap.plan_y,
        "face_capable": ap.face_capable,
        "face_enabled": ap.face_enabled,
        "face_threshold": ap.face_threshold,
        "face_liveness_required": ap.face_liveness_required,
        "signage_installed": ap.signage_installed,
        "evacuation_route": ap.evacuation_route,
        "active": ap.active,
    }


class AccessPointService:
    def get(self, session: Session, *, who: Principal, access_point_id: int) -> AccessPoint:
        ap = session.execute(readable_points(who).where(AccessPoint.id == access_point_id)).scalar_one_or_none()
        if ap is None:
            raise NotFound(f"access point {access_point_id} not found", zh="未找到该门禁点")
        return ap

    @staticmethod
    def _check_face_rules(session: Session, ap: AccessPoint) -> None:
        if ap.face_capable and ap.location_type in NO_FACE_LOCATIONS:
            raise FaceNotAllowedHere(fields=[{"field": "location_type", "message": ap.location_type.value}])
        if ap.face_enabled:
            if not ap.face_capable:
                raise Invalid("no face camera at this access point", zh="该门禁点无人脸识别设备")
            if not ap.signage_installed:
                raise SignageMissing()
            if PointQuery(session).current_pia(ap.compound_id, MODEL_NAME) is None:
                raise PiaMissing()

    def create(self, session: Session, *, who: Principal, data: AccessPointCreate) -> AccessPoint:
        who.require(AccessPerm.manage)
        if not who.in_scope(data.compound_id):
            raise NotFound("compound not found", zh="未找到该小区")
        if data.unit_id is not None:
            unit = session.get(Unit, data.unit_id)
            if unit is None or unit.compound_id != data.compound_id:
                raise NotFound(f"unit {data.unit_id} not found", zh="未找到该单元")
            data = data.model_copy(update={"building_id": unit.building_id})
        elif data.building_id is not None:
            b = session.get(Building, data.building_id)
            if b is None or b.compound_id != data.compound_id:
                raise NotFound(f"building {data.building_id} not found", zh="未找到该楼栋")
        if (
            data.kind in (AccessPointKind.unit_door, AccessPointKind.lift)
            and data.unit_id is None
            and data.building_id is None
        ):
            raise Invalid("unit doors and lifts need a unit", zh="单元门和电梯须指定单元")
        ap = AccessPoint(**data.model_dump())
        self._check_face_rules(session, ap)
        session.add(ap)
        session.flush()
        record_change(
            session,
            user_id=who.user_id,
            compound_id=ap.compound_id,
            entity="access_point",
            entity_id=ap.id,
            action="create",
            before=None,
            after=_snapshot(ap),
        )
        return ap

    def update(self, session: Session, *, who: Principal, ap: AccessPoint, data: AccessPointUpdate) -> AccessPoint:
        who.require(AccessPerm.manage)
        with audited_update(session, ap, user_id=who.user_id, entity="access_point", snapshot=_snapshot):
            for name in data.model_fields_set:
                value = getattr(data, name)
                if value is None and name not in NULLABLE_FIELDS:
                    continue
                setattr(ap, name, value)
            if not ap.face_capable:
                ap.face_enabled = False
            self._check_face_rules(session, ap)
        terminal_sync_service.refresh_points(session, [ap])
        return ap

    def retire(self, session: Session, *, who: Principal, ap: AccessPoint, reason: str | None) -> AccessPoint:
        """Take an access point out of service: it stays on record with its history; terminals deny it."""
        who.require(AccessPerm.manage)
        if not ap.active:
            raise Conflict("the access point is already retired", zh="门禁点已停用")
        with audited_update(
            session,
            ap,
            user_id=who.user_id,
            entity="access_point",
            snapshot=_snapshot,
            action="retire",
            note={"reason": reason},
        ):
            ap.active = False
            ap.face_enabled = False
        terminal_sync_service.refresh_points(session, [ap])
        return ap

    # --- PIA (R-F7) -----------------------------------------------------------------------
    def add_pia(self, session: Session, *, who: Principal, data: PiaCreate) -> FacePia:
        who.require(AccessPerm.manage)
        if not who.in_scope(data.compound_id):
            raise NotFound("compound not found", zh="未找到该小区")
        pia = FacePia(
            **data.model_dump(),
            method=MODEL_NAME,
            created_by=who.user_id,
            keep_until=date(
                data.assessed_on.year + PIA_KEEP_YEARS, data.assessed_on.month, min(data.assessed_on.day, 28)
            ),
        )
        session.add(pia)
        session.flush()
        return pia

    # --- fail-open (R-F13) -----------------------------------------------------------------
    def fail_open(self, session: Session, *, compound_id: int, cause: str) -> list[AccessPoint]:
        """Open every evacuation-route door of the compound until a person resets it (idempotent)."""
        now = utcnow()
        opened = []
        for ap in PointQuery(session).evacuation_points(compound_id):
            if ap.fail_open_since is None:
                ap.fail_open_since, ap.fail_open_cause = now, cause[:64]
                opened.append(ap)
        session.flush()
        if opened:
            terminal_sync_service.refresh_points(session, opened)
            tids = sorted({t for ap in opened for t in PointQuery(session).terminal_ids_for_point(ap.id)})
            terminal_sync_service.queue_pushes(
                session, terminal_ids=tids, kind="open", body={"fail_open": [ap.id for ap in opened], "cause": cause}
            )
            events.publish(
                session,
                access_events.DoorsFailedOpen(
                    compound_id=compound_id, access_point_ids=[ap.id for ap in opened], cause=cause
                ),
                compound_id=compound_id,
            )
        return opened

    def reset_fail_open(self, session: Session, *, who: Principal, compound_id: int) -> list[AccessPoint]:
        who.require(AccessPerm.manage)
        if not who.in_scope(compound_id):
            raise NotFound("compound not found", zh="未找到该小区")
        points = [ap for ap in PointQuery(session).evacuation_points(compound_id) if ap.fail_open_since]
        for ap in points:
            record_change(
                session,
                user_id=who.user_id,
                compound_id=compound_id,
                entity="access_point",
                entity_id=ap.id,
                action="update",
                before={"fail_open_since": ap.fail_open_since.isoformat() if ap.fail_open_since else None},
                after={"fail_open_since": None},
            )
            ap.fail_open_since, ap.fail_open_cause = None, None
        session.flush()
        terminal_sync_service.refresh_points(session, points)
        return points


class TerminalService:
    def create(self, session: Session, *, who: Principal, data: TerminalCreate) -> tuple[Terminal, str]:
        """Register a terminal with its own device credential; the secret is returned once."""
        who.require(AccessPerm.manage)
        if not who.in_scope(data.compound_id):
            raise NotFound("compound not found", zh="未找到该小区")
        points = [access_point_service.get(session, who=who, access_point_id=i) for i in data.access_point_ids]
        for ap in points:
            if not ap.active:
                raise Conflict(f"access point {ap.id} is retired", zh="门禁点已停用")
        terminal, secret = self.register(
            session, compound_id=data.compound_id, name=data.name, face_capable=data.face_capable, points=points
        )
        record_change(
            session,
            user_id=who.user_id,
            compound_id=terminal.compound_id,
            entity="access_terminal",
            entity_id=terminal.id,
            action="create",
            before=None,
            after={
                "name": terminal.name,
                "key_id": terminal.key_id,
                "face_capable": terminal.face_capable,
                "access_point_ids": [ap.id for ap in points],
            },
        )
        return terminal, secret

    def register(
        self, session: Session, *, compound_id: int, name: str, face_capable: bool, points: list[AccessPoint]
    ) -> tuple[Terminal, str]:
        for ap in points:
            if ap.compound_id != compound_id:
                raise NotFound(f"access point {ap.id} not found", zh="未找到该门禁点")
            if face_capable and ap.location_type in NO_FACE_LOCATIONS:
                raise FaceNotAllowedHere(fields=[{"field": "access_point_ids", "message": str(ap.id)}])
        cred, secret = account_service.create_device_credential(
            session, compound_id=compound_id, name=name, device_kind="access_terminal"
        )
        t = Terminal(
            compound_id=compound_id,
            name=name,
            device_credential_id=cred.id,
            key_id=cred.key_id,
            face_capable=face_capable,
        )
        session.add(t)
        session.flush()
        for ap in points:
            session.add(TerminalAccessPoint(terminal_id=t.id, access_point_id=ap.id))
            if face_capable and not ap.face_capable:
                ap.face_capable = True
        session.flush()
        terminal_sync_service.rebuild(session, t)
        return t, secret

    def set_points(self, session: Session, *, who: Principal, terminal: Terminal, access_point_ids: list[int]) -> None:
        who.require(AccessPerm.manage)
        points = [
            access_point_service.get(session, who=who, access_point_id=i) for i in dict.fromkeys(access_point_ids)
        ]
        for ap in points:
            if ap.compound_id != terminal.compound_id:  # in the caller's scope, but another compound's door
                raise NotFound(f"access point {ap.id} not found", zh="未找到该门禁点")
        session.execute(delete(TerminalAccessPoint).where(TerminalAccessPoint.terminal_id == terminal.id))
        for ap in points:
            if terminal.face_capable and ap.location_type in NO_FACE_LOCATIONS:
                raise FaceNotAllowedHere()
            session.add(TerminalAccessPoint(terminal_id=terminal.id, access_point_id=ap.id))
        session.flush()
        terminal_sync_service.rebuild(session, terminal)

    def get(self, session: Session, *, who: Principal, terminal_id: int) -> Terminal:
        t = session.get(Terminal, terminal_id)
        if t is None or not who.is_staff or not who.in_scope(t.compound_id):
            raise NotFound("terminal not found", zh="未找到该终端")
        return t

    def list(self, session: Session, *, who: Principal, compound_id: int) -> list[tuple[Terminal, list[int]]]:
        if not who.in_scope(compound_id):
            raise NotFound("compound not found", zh="未找到该小区")
        q = PointQuery(session)
        return [(t, [ap.id for ap in q.points_of_terminal(t.id)]) for t in q.terminals_of_compound(compound_id)]

    def seen(self, terminal: Terminal, *, now: datetime) -> None:
        if terminal.last_seen_at is None or now - terminal.last_seen_at > timedelta(seconds=30):
            terminal.last_seen_at = now


def points_in(session: Session, *, who: Principal, compound_id: int) -> list[AccessPoint]:
    return list(
        session.execute(
            readable_points(who).where(AccessPoint.compound_id == compound_id).order_by(AccessPoint.id)
        ).scalars()
    )


access_point_service = AccessPointService()
terminal_service = TerminalService()
