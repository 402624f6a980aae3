"""Data-subject rights: export my data, requests with deadlines, erasure (PIPL 44–50)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from anju.access.credential_service import credential_service
from anju.core.audit import record_pii_access
from anju.core.auth import Principal
from anju.core.config import get_settings
from anju.core.crypto import decrypt
from anju.core.db import utcnow
from anju.core.errors import Conflict, Forbidden, NotFound
from anju.core.kit.china_time import china_date
from anju.privacy.consent_service import FACE_CLOUD_SYNC
from anju.privacy.exceptions import DeletionCannotBeRefused
from anju.privacy.models import Consent, PrivacyRequest
from anju.privacy.permissions import PrivacyPerm
from anju.privacy.schemas import PrivacyRequestCreate, PrivacyRequestResolve, RequestGround, RequestKind
from anju.registry.models import EmergencyContact, House, Occupancy, Person, Vehicle
from anju.registry.service import person_service


def due_date(start: date, days: int) -> date:
    """A period in days starts the day after the event (民法典 201): day 1 is start+1."""
    return start + timedelta(days=days)


class PrivacyService:
    def _me(self, session: Session, who: Principal) -> Person:
        if who.person_id is None:
            raise Forbidden("only residents have personal records here", zh="仅住户可使用")
        p = session.get(Person, who.person_id)
        if p is None:
            raise NotFound("person not found")
        return p

    def export_mine(self, session: Session, *, who: Principal) -> dict[str, Any]:
        """Everything we hold about the caller, decrypted for them, and the read logged."""
        p = self._me(session, who)
        phone = decrypt(p.phone_enc, context="person.phone")
        idn = decrypt(p.id_number_enc, context="person.id_number")
        record_pii_access(
            session,
            user_id=who.user_id,
            compound_id=p.compound_id,
            subject=f"person:{p.id}",
            field="*",
            reason="data subject export (PIPL 45)",
        )
        occs = session.execute(
            select(Occupancy, House.label)
            .join(House, House.id == Occupancy.house_id)
            .where(Occupancy.person_id == p.id)
        ).all()
        vehicles = session.execute(select(Vehicle).where(Vehicle.person_id == p.id)).scalars().all()
        contacts = session.execute(select(EmergencyContact).where(EmergencyContact.person_id == p.id)).scalars().all()
        reqs = session.execute(select(PrivacyRequest).where(PrivacyRequest.person_id == p.id)).scalars().all()
        return {
            "person": {
                "id": p.id,
                "name": p.name,
                "gender": p.gender,
                "birth_date": p.birth_date,
                "phone": phone,
                "id_number": idn,
                "population_type": p.population_type,
                "status": p.status,
                "tags": [t.value for t in person_service.tags(session, p.id)],
            },
            "occupancies": [
                {
                    "house": label,
                    "role": o.role,
                    "started_on": o.started_on,
                    "ended_on": o.ended_on,
                    "lease_end": o.lease_end,
                }
                for o, label in occs
            ],
            "vehicles": [{"plate": v.plate, "class": v.vehicle_class} for v in vehicles],
            "contacts": [
                {"name": c.name, "relation": c.relation, "phone": decrypt(c.phone_enc, context="contact.phone")}
                for c in contacts
            ],
            "privacy_requests": [{"id": r.id, "kind": r.kind, "status": r.status, "due_on": r.due_on} for r in reqs],
            "exported_at": utcnow(),
        }

    def create_request(self, session: Session, *, who: Principal, data: PrivacyRequestCreate) -> PrivacyRequest:
        p = self._me(session, who)
        open_same = session.execute(
            select(PrivacyRequest).where(
                PrivacyRequest.person_id == p.id,
                PrivacyRequest.kind == data.kind.value,
                PrivacyRequest.status == "open",
            )
        ).scalar_one_or_none()
        if open_same is not None:
            raise Conflict(
                f"an open {data.kind.value} request already exists (#{open_same.id})", zh="已有同类请求在处理中"
            )
        req = PrivacyRequest(
            compound_id=p.compound_id,
            person_id=p.id,
            requested_by=who.user_id,
            kind=data.kind.value,
            detail=data.detail,
            ground=data.ground.value if data.ground else None,
            due_on=due_date(china_date(), get_settings().privacy_request_days),
        )
        session.add(req)
        session.flush()
        return req

    def mine(self, session: Session, *, who: Principal) -> list[PrivacyRequest]:
        if who.person_id is None:
            return []
        return list(
            session.execute(
                select(PrivacyRequest).where(PrivacyRequest.person_id == who.person_id).order_by(PrivacyRequest.id)
            ).scalars()
        )

    def list_for_staff(self, session: Session, *, who: Principal, status: str | None) -> list[PrivacyRequest]:
        who.require(PrivacyPerm.manage)
        q = select(PrivacyRequest).where(PrivacyRequest.compound_id.in_(who.compound_ids))
        if status:
            q = q.where(PrivacyRequest.status == status)
        return list(session.execute(q.order_by(PrivacyRequest.due_on)).scalars())

    def resolve(
        self, session: Session, *, who: Principal, request_id: int, data: PrivacyRequestResolve
    ) -> PrivacyRequest:
        who.require(PrivacyPerm.manage)
        req = session.get(PrivacyRequest, request_id)
        if req is None or not who.in_scope(req.compound_id):
            raise NotFound(f"request {request_id} not found", zh="未找到该请求")
        if (
            data.status == "refused"
            and req.kind == RequestKind.delete_face.value
            and req.ground == RequestGround.face_terms_breached.value
        ):
            # R-F6 / SPC 人脸 第12条: a breach of the face-data terms entitles deletion, even where the
            # contract says nothing about deleting; the request is completed, never refused.
            raise DeletionCannotBeRefused()
        # Compare-and-swap: two staff resolving at once, the first wins.
        res = session.execute(
            update(PrivacyRequest)
            .where(PrivacyRequest.id == req.id, PrivacyRequest.status == "open")
            .values(status=data.status, resolution=data.resolution, resolved_at=utcnow(), resolved_by=who.user_id)
        )
        if res.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict("request already resolved", zh="请求已处理")
        session.refresh(req)
        if data.status == "done" and req.kind in (RequestKind.delete.value, RequestKind.close.value):
            person = session.get(Person, req.person_id)
            if person is not None:
                person_service.erase(session, who=who, person=person)
        if data.status == "done" and req.kind == RequestKind.delete_face.value:
            self.delete_face_data(session, who=who, person_id=req.person_id)
        return req

    def delete_face_data(self, session: Session, *, who: Principal, person_id: int) -> int:
        """Delete a person's face templates and images everywhere (R-F5, R-F6); card, QR and PIN stay.

        The access domain's withdrawal is the one home of that deletion (templates, photos, the face
        credential, every terminal's list); the cloud-sync consent (R-F4) ends with it.
        """
        deleted, _terminals, _deadline = credential_service.withdraw_face(session, who=who, person_id=person_id)
        now = utcnow()
        for c in session.execute(
            select(Consent).where(
                Consent.person_id == person_id, Consent.purpose == FACE_CLOUD_SYNC, Consent.withdrawn_at.is_(None)
            )
        ).scalars():
            c.withdrawn_at = now
        session.flush()
        return deleted

    def flag_overdue(self, session: Session, *, today: date) -> int:
        """Mark open requests past their deadline (shown red in the console)."""
        res = session.execute(
            update(PrivacyRequest)
            .where(
                PrivacyRequest.status == "open",
                PrivacyRequest.due_on < today,
                PrivacyRequest.overdue_flagged_at.is_(None),
            )
            .values(overdue_flagged_at=utcnow())
        )
        return int(res.rowcount or 0)  # type: ignore[attr-defined]


privacy_service = PrivacyService()
