"""Separate consents kept by the privacy domain, and the face-data rules that read them (R-F4).

R-F4 (人脸办法 第8条): face images and templates stay on the device or edge by default; sending them
over the internet (cloud sync, a cloud gallery, a backup off site) needs the person's own, separate
consent, apart from the consent to face recognition itself. `may_sync_face_off_edge()` is the one
check every such path calls.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.core import events
from anju.core.auth import Principal
from anju.core.db import utcnow
from anju.core.errors import Conflict, NotFound
from anju.core.kit.china_time import china_date
from anju.privacy.events import FaceCloudConsentWithdrawn
from anju.privacy.models import Consent
from anju.privacy.permissions import PrivacyPerm
from anju.registry.enums import PersonStatus
from anju.registry.models import Person

FACE = "face"  # the face-recognition consent (R-F2), given through the access domain
FACE_CLOUD_SYNC = "face_cloud_sync"  # R-F4: face data may leave the device or edge
GUARDIAN_BELOW = 14  # R-F3: face data of a child under 14 needs the guardian's consent


def _under_14(person: Person, today: date) -> bool:
    born = person.birth_date
    if born is None:
        return False
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day)) < GUARDIAN_BELOW


def active_consent(session: Session, person_id: int, purpose: str) -> Consent | None:
    return session.execute(
        select(Consent)
        .where(Consent.person_id == person_id, Consent.purpose == purpose, Consent.withdrawn_at.is_(None))
        .order_by(Consent.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def may_sync_face_off_edge(session: Session, person_id: int) -> bool:
    """R-F4: whether this person's face images or templates may be sent off the device/edge over the internet.

    Only with both the face consent and the separate cloud-sync consent in force, for a person who is
    neither erased nor frozen. Default (no consent recorded): False, the data stays on the edge.
    """
    person = session.get(Person, person_id)
    if person is None or person.status == PersonStatus.erased or person.frozen_at is not None:
        return False
    return (
        active_consent(session, person_id, FACE) is not None
        and active_consent(session, person_id, FACE_CLOUD_SYNC) is not None
    )


class ConsentService:
    def _person(self, session: Session, *, who: Principal, person_id: int) -> Person:
        p = session.get(Person, person_id)
        if p is None:
            raise NotFound("person not found", zh="人员不存在")
        if who.person_id == p.id or (who.is_staff and who.can(PrivacyPerm.manage) and who.in_scope(p.compound_id)):
            return p
        raise NotFound("person not found", zh="人员不存在")

    def give_face_cloud_sync(
        self, session: Session, *, who: Principal, person_id: int, notice_version: str, guardian: bool = False
    ) -> Consent:
        """R-F4: the separate consent to send face data over the internet; under 14 only a guardian gives it."""
        p = self._person(session, who=who, person_id=person_id)
        minor = _under_14(p, china_date())
        if minor and (not guardian or who.person_id == p.id):
            raise Conflict("a guardian gives this consent for a child under 14", zh="未满十四周岁的，须由监护人同意")
        if active_consent(session, p.id, FACE_CLOUD_SYNC) is not None:
            raise Conflict("consent already given", zh="已同意，无需重复")
        c = Consent(
            compound_id=p.compound_id,
            person_id=p.id,
            purpose=FACE_CLOUD_SYNC,
            notice_version=notice_version,
            given_by="guardian" if guardian else ("self" if who.person_id == p.id else "paper"),
            given_at=utcnow(),
        )
        session.add(c)
        session.flush()
        return c

    def withdraw_face_cloud_sync(self, session: Session, *, who: Principal, person_id: int) -> int:
        """Withdraw it: from now on the face data stays on the edge. Returns how many consents ended."""
        p = self._person(session, who=who, person_id=person_id)
        now, n = utcnow(), 0
        for c in session.execute(
            select(Consent).where(
                Consent.person_id == p.id, Consent.purpose == FACE_CLOUD_SYNC, Consent.withdrawn_at.is_(None)
            )
        ).scalars():
            c.withdrawn_at, n = now, n + 1
        session.flush()
        if n:  # a cloud-hosted server stops sending this person's templates to terminals (access reacts)
            events.publish(
                session, FaceCloudConsentWithdrawn(person_id=p.id, compound_id=p.compound_id), compound_id=p.compound_id
            )
        return n


consent_service = ConsentService()
