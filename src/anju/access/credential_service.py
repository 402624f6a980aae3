"""Credentials: IC cards, PINs, the resident's rotating QR, face (after separate consent), blacklist, grants."""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from itertools import pairwise

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.access.config import access_settings
from anju.access.enums import CredentialKind, CredentialStatus
from anju.access.exceptions import (
    CardInUse,
    CloudConsentMissing,
    ConsentMissing,
    GuardianConsentRequired,
    PinChangesLimited,
    PinTooSimple,
)
from anju.access.models import AccessCredential, AccessGrant, AccessPoint, BlacklistEntry, FaceFiling
from anju.access.permissions import AccessPerm
from anju.access.repository import CredentialQuery, HolderQuery
from anju.access.schemas import BlacklistCreate, CardIssue, FaceConsentCreate, GrantCreate, PinSet
from anju.access.signing import resident_body, sign
from anju.access.sync_service import terminal_sync_service
from anju.accounts.models import User, UserCompound
from anju.accounts.service import Limit, attempt_limiter
from anju.core import events
from anju.core.audit import record_change
from anju.core.auth import Principal
from anju.core.config import get_settings
from anju.core.crypto import blind_index, encrypt
from anju.core.db import utcnow
from anju.core.errors import Conflict, Forbidden, Invalid, NotFound
from anju.core.kit.china_time import china_date
from anju.privacy.consent_service import may_sync_face_off_edge
from anju.privacy.models import Consent
from anju.registry.enums import PersonStatus
from anju.registry.models import Compound, Person
from anju.vision.face import single_embedding
from anju.vision.service import face_template_service

FACE = "face"
FACE_PHOTO = "face_photo"  # separate authorisation to keep the raw enrolment photo (R-F11)


def card_bidx(card_number: str) -> str:
    return blind_index(card_number, context="access.card") or ""


def pin_digest(compound_id: int, scope_access_point_id: int | None, pin: str, person_id: int | None = None) -> str:
    """Keyed digest of a PIN in its holder's own PIN space and door scope.

    A 6-digit PIN is too small for a salted slow hash to help; the key does the work. Each person has
    their own PIN space (the person is part of the digest), so two people may hold the same PIN and
    setting one never tells whether someone else has it (issue 20 item 1). `person_id=None` is the
    earlier compound-wide form, still matched for PINs set before the change.
    """
    scope = "*" if scope_access_point_id is None else str(scope_access_point_id)
    holder = "" if person_id is None else f"|p{person_id}"
    key = hashlib.sha256(b"anju-pin|" + get_settings().secret_key.get_secret_value().encode()).digest()
    return hmac.new(key, f"{compound_id}|{scope}|{pin}{holder}".encode(), hashlib.sha256).hexdigest()


def pin_digests(compound_id: int, access_point_id: int, pin: str, person_ids: Iterable[int | None]) -> set[str]:
    """Every digest a PIN typed at a door can match: scoped to that door or to all doors, in each possible
    holder's own PIN space and in the earlier compound-wide form."""
    out = {pin_digest(compound_id, access_point_id, pin), pin_digest(compound_id, None, pin)}
    for person_id in {p for p in person_ids if p is not None}:
        out |= {pin_digest(compound_id, access_point_id, pin, person_id), pin_digest(compound_id, None, pin, person_id)}
    return out


def pin_too_simple(pin: str) -> bool:
    """One digit repeated, or a straight run up or down (123456, 987654): judged on the PIN alone."""
    steps = {int(b) - int(a) for a, b in pairwise(pin)}
    return len(steps) == 1 and steps <= {-1, 0, 1}


def mask_card(card: str) -> str:
    return "*" * max(0, len(card) - 4) + card[-4:]


def age_on(birth: date | None, on: date) -> int | None:
    if birth is None:
        return None
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def add_working_days(start: date, n: int) -> date:
    """Weekdays only; public holidays are not modelled, so the result is a conservative early date."""
    d = start
    while n > 0:
        d += timedelta(days=1)
        if d.weekday() < 5:
            n -= 1
    return d


class CredentialService:
    # --- who may manage whose credentials -------------------------------------------
    def person_for(self, session: Session, *, who: Principal, person_id: int, manage: bool = True) -> Person:
        """A person the caller may manage credentials for: staff in scope, or a member of the caller's household."""
        p = session.get(Person, person_id)
        if p is None:
            raise NotFound(f"person {person_id} not found", zh="未找到该人员")
        if who.is_staff:
            if not who.in_scope(p.compound_id):
                raise NotFound(f"person {person_id} not found", zh="未找到该人员")
            if manage and not who.can(AccessPerm.manage):
                who.require(AccessPerm.manage)
            return p
        if who.person_id == person_id or person_id in HolderQuery(session).household_members(set(who.house_ids)):
            return p
        raise NotFound(f"person {person_id} not found", zh="未找到该人员")

    # --- cards and PINs -----------------------------------------------------------------
    def issue_card(self, session: Session, *, who: Principal, data: CardIssue) -> AccessCredential:
        who.require(AccessPerm.manage)
        if not who.in_scope(data.compound_id):
            raise NotFound("compound not found", zh="未找到该小区")
        if (data.person_id is None) == (data.user_id is None):
            raise Invalid("give person_id or user_id", zh="请指定人员或员工账号")
        if data.person_id is not None:
            p = self.person_for(session, who=who, person_id=data.person_id)
            if p.compound_id != data.compound_id:
                raise NotFound(f"person {data.person_id} not found", zh="未找到该人员")
            if p.status != PersonStatus.active:
                raise Invalid("person is not an active resident of this compound", zh="该人员不是本小区在住人员")
        if data.user_id is not None:
            self.staff_user_in(session, user_id=data.user_id, compound_id=data.compound_id)
        bidx = card_bidx(data.card_number)
        existing = CredentialQuery(session).card(data.compound_id, bidx)
        if existing is not None and existing.status == CredentialStatus.active:
            raise CardInUse()
        c = AccessCredential(
            compound_id=data.compound_id,
            kind=CredentialKind.card,
            person_id=data.person_id,
            user_id=data.user_id,
            card_enc=encrypt(data.card_number.upper(), context="access.card"),
            card_bidx=bidx,
            card_masked=mask_card(data.card_number),
            valid_until=data.valid_until,
        )
        session.add(c)
        session.flush()
        record_change(
            session,
            user_id=who.user_id,
            compound_id=c.compound_id,
            entity="access_credential",
            entity_id=c.id,
            action="create",
            before=None,
            after={"kind": "card", "person_id": c.person_id, "user_id": c.user_id, "card": c.card_masked},
        )
        terminal_sync_service.refresh_credentials(session, c.compound_id, [c])
        return c

    def set_pin(self, session: Session, *, who: Principal, data: PinSet) -> AccessCredential:
        """Set a person's PIN for one door or all their doors.

        PINs live in per-person spaces (see pin_digest): nothing here depends on anyone else's PIN,
        so the answer can never confirm one. A terminal identifies the person by the room typed
        before the PIN (or by the unit of its door). Changes are rate-limited per person, and
        going over the limit raises an alarm (enumeration).
        """
        p = self.person_for(session, who=who, person_id=data.person_id)
        if data.access_point_id is not None:
            ap = session.get(AccessPoint, data.access_point_id)
            if ap is None or ap.compound_id != p.compound_id:
                raise NotFound(f"access point {data.access_point_id} not found", zh="未找到该门禁点")
        if pin_too_simple(data.pin):
            raise PinTooSimple()
        self._count_pin_change(session, person=p, who=who, now=utcnow())
        digest = pin_digest(p.compound_id, data.access_point_id, data.pin, person_id=p.id)
        q = CredentialQuery(session)
        for old in q.credentials_of(person_id=p.id):
            if old.kind == CredentialKind.pin and old.scope_access_point_id == data.access_point_id:
                self._revoke(old, "replaced")
        c = AccessCredential(
            compound_id=p.compound_id,
            kind=CredentialKind.pin,
            person_id=p.id,
            pin_digest=digest,
            scope_access_point_id=data.access_point_id,
        )
        session.add(c)
        session.flush()
        terminal_sync_service.refresh_holder(session, p.compound_id, person_id=p.id)
        return c

    @staticmethod
    def _count_pin_change(session: Session, *, person: Person, who: Principal, now: datetime) -> None:
        """At most pin_changes_max changes per person per window; the first refusal raises an alarm.

        The counter row is locked for the request, so parallel changes are counted one by one. A
        refusal is an error the endpoint commits anyway: the count and the alarm must be kept.
        """
        from anju.alarms.events import AlarmRequested

        s = access_settings()
        lim = Limit(f"pin_set:person:{person.id}", s.pin_changes_max, timedelta(seconds=s.pin_changes_window_seconds))
        held = attempt_limiter.hold(session, [lim], now=now)
        if held.blocked is None:
            attempt_limiter.fail(session, held)  # every change counts, not only refused ones
            return
        if attempt_limiter.claim_alarm(session, held, lim):
            events.publish(
                session,
                AlarmRequested(
                    compound_id=person.compound_id,
                    kind="pin_enumeration",
                    severity="major",
                    source=f"access:person:{person.id}",
                    dedupe_key=lim.key,
                    title="频繁修改门禁密码，疑似试探他人密码",
                    person_id=person.id,
                    evidence={"changes": s.pin_changes_max, "by_user_id": who.user_id},
                    occurred_at=now.isoformat(),
                ),
                compound_id=person.compound_id,
            )
        session.flush()
        raise PinChangesLimited()

    # --- the resident QR (always available: R-F1) -----------------------------------------
    def resident_qr(
        self, session: Session, *, who: Principal, now: datetime
    ) -> tuple[str, AccessCredential, int, datetime]:
        """A fresh signed QR for the caller; the credential is created on first use."""
        if who.person_id is None or not who.house_ids:
            raise Forbidden("only residents have a resident QR", zh="仅住户可使用住户二维码")
        p = session.get(Person, who.person_id)
        if p is None or p.status != PersonStatus.active:
            raise Forbidden("not an active resident", zh="非在住人员")
        q = CredentialQuery(session)
        c = q.resident_qr(p.compound_id, p.id)
        if c is None:
            c = AccessCredential(compound_id=p.compound_id, kind=CredentialKind.qr, person_id=p.id)
            session.add(c)
            session.flush()
            terminal_sync_service.refresh_credentials(session, p.compound_id, [c])
        w = access_settings().qr_window_seconds
        window = math.floor(now.timestamp() / w)
        token = sign(session, p.compound_id, resident_body(p.compound_id, c.id, window))
        expires = datetime.fromtimestamp((window + 1) * w, tz=now.tzinfo)
        return token, c, window, expires

    # --- revocation ---------------------------------------------------------------------------
    @staticmethod
    def _revoke(c: AccessCredential, reason: str) -> None:
        c.status, c.revoked_at, c.revoked_reason = CredentialStatus.revoked, utcnow(), reason

    def revoke(self, session: Session, *, who: Principal, credential_id: int, reason: str) -> AccessCredential:
        c = session.get(AccessCredential, credential_id)
        if c is None:
            raise NotFound("credential not found", zh="未找到该凭证")
        if c.person_id is not None:
            self.person_for(session, who=who, person_id=c.person_id)
        elif not (who.can(AccessPerm.manage) and who.in_scope(c.compound_id)):
            raise NotFound("credential not found", zh="未找到该凭证")
        if c.kind == CredentialKind.face:
            raise Conflict("withdraw face consent to remove face data", zh="删除人脸请撤回人脸同意")
        self._revoke(c, reason)
        session.flush()
        record_change(
            session,
            user_id=who.user_id,
            compound_id=c.compound_id,
            entity="access_credential",
            entity_id=c.id,
            action="end",
            before={"status": "active"},
            after={"status": "revoked", "reason": reason},
        )
        terminal_sync_service.refresh_credentials(session, c.compound_id, [c])
        return c

    def revoke_all(self, session: Session, *, person_id: int, compound_id: int, reason: str) -> int:
        """Move-out or erasure: every credential and face template of the person goes (idempotent)."""
        q = CredentialQuery(session)
        creds = [c for c in q.credentials_of(person_id=person_id) if c.compound_id == compound_id]
        refs = []
        for c in creds:
            self._revoke(c, reason)
            if c.kind == CredentialKind.face and c.subject_ref:
                face_template_service.delete_subject(session, compound_id=compound_id, subject_ref=c.subject_ref)
                refs.append(c.subject_ref)
        session.flush()
        terminal_sync_service.refresh_credentials(session, compound_id, creds)
        return len(creds)

    def list_for(self, session: Session, *, who: Principal, person_id: int) -> list[AccessCredential]:
        p = self.person_for(session, who=who, person_id=person_id, manage=False)
        return CredentialQuery(session).credentials_of(person_id=p.id, active_only=False)

    # --- face: consent, enrolment, withdrawal --------------------------------------------------
    def active_consent(self, session: Session, person_id: int, purpose: str = FACE) -> Consent | None:
        return session.execute(
            select(Consent)
            .where(Consent.person_id == person_id, Consent.purpose == purpose, Consent.withdrawn_at.is_(None))
            .order_by(Consent.id.desc())
            .limit(1)
        ).scalar_one_or_none()

    def give_face_consent(
        self, session: Session, *, who: Principal, data: FaceConsentCreate, purpose: str = FACE
    ) -> Consent:
        """Record a separate, explicit face consent (R-F2); under 14 only a guardian may give it (R-F3)."""
        p = self.person_for(session, who=who, person_id=data.person_id)
        age = age_on(p.birth_date, china_date())
        if age is not None and age < 14:
            if data.given_by != "guardian":
                raise GuardianConsentRequired()
            if who.person_id == p.id:
                raise GuardianConsentRequired("a minor cannot consent for themselves", zh="未成年人不能自行同意")
        if self.active_consent(session, p.id, purpose) is not None:
            raise Conflict("consent already given", zh="已同意，无需重复")
        c = Consent(
            compound_id=p.compound_id,
            person_id=p.id,
            purpose=purpose,
            notice_version=data.notice_version,
            given_by=data.given_by,
            given_at=utcnow(),
        )
        session.add(c)
        session.flush()
        return c

    def enrol_face(
        self, session: Session, *, who: Principal, person_id: int, image: bytes, keep_photo: bool = False
    ) -> tuple[AccessCredential, int]:
        """Make a template from one photo; the photo is discarded unless separately authorised (R-F11)."""
        p = self.person_for(session, who=who, person_id=person_id)
        if p.status != PersonStatus.active:
            raise Conflict("person is not active", zh="该人员状态不可登记人脸")
        consent = self.active_consent(session, p.id)
        if consent is None:
            raise ConsentMissing()
        age = age_on(p.birth_date, china_date())
        if age is not None and age < 14 and consent.given_by != "guardian":
            raise GuardianConsentRequired()
        if access_settings().face_hosting == "cloud" and not may_sync_face_off_edge(session, p.id):
            raise CloudConsentMissing()  # R-F4: the photo would cross the internet to reach this server
        if keep_photo and self.active_consent(session, p.id, FACE_PHOTO) is None:
            raise ConsentMissing("keeping the photo needs its own authorisation", zh="保存原始照片须另行授权")
        vector = single_embedding(image)  # no face / several faces / not an image: 422 with a reason
        q = CredentialQuery(session)
        cred = next(
            (
                c
                for c in q.credentials_of(person_id=p.id)
                if c.kind == CredentialKind.face and c.compound_id == p.compound_id
            ),
            None,
        )
        if cred is None:
            cred = AccessCredential(
                compound_id=p.compound_id,
                kind=CredentialKind.face,
                person_id=p.id,
                subject_ref=face_template_service.new_subject_ref(),
            )
            session.add(cred)
            session.flush()
        assert cred.subject_ref is not None
        face_template_service.store(
            session,
            compound_id=p.compound_id,
            subject_ref=cred.subject_ref,
            vector=vector,
            photo=image if keep_photo else None,
        )
        # Re-enrolled after a model change: the old model's templates are deleted at once (issue 12).
        face_template_service.drop_stale_of(session, compound_id=p.compound_id, subject_ref=cred.subject_ref)
        n = len(face_template_service.vectors_of(session, compound_id=p.compound_id, subject_ref=cred.subject_ref))
        terminal_sync_service.refresh_credentials(session, p.compound_id, [cred])
        self.check_face_count(session, compound_id=p.compound_id)
        return cred, n

    def withdraw_face(self, session: Session, *, who: Principal, person_id: int) -> tuple[int, list[int], datetime]:
        """Withdraw face consent: delete templates now, tombstone them on every terminal (R-F5); cards/QR stay."""
        p = self.person_for(session, who=who, person_id=person_id)
        now = utcnow()
        for consent in session.execute(
            select(Consent).where(
                Consent.person_id == p.id, Consent.purpose.in_([FACE, FACE_PHOTO]), Consent.withdrawn_at.is_(None)
            )
        ).scalars():
            consent.withdrawn_at = now
        deleted, faces = 0, []
        for c in CredentialQuery(session).credentials_of(person_id=p.id):
            if c.kind == CredentialKind.face and c.subject_ref:
                deleted += face_template_service.delete_subject(
                    session, compound_id=c.compound_id, subject_ref=c.subject_ref
                )
                self._revoke(c, "consent_withdrawn")
                faces.append(c)
        session.flush()
        terminals = terminal_sync_service.refresh_credentials(session, p.compound_id, faces)
        deadline = now + timedelta(hours=access_settings().face_delete_deadline_hours)
        return deleted, terminals, deadline

    # --- model change: re-enrolment (issue 12) --------------------------------------------------
    def face_status(self, session: Session, *, person_id: int, compound_id: int) -> str:
        """The face state: current, needs_reenrolment (templates of a retired model only) or none."""
        refs = [
            c.subject_ref
            for c in CredentialQuery(session).credentials_of(person_id=person_id)
            if c.kind == CredentialKind.face and c.compound_id == compound_id and c.subject_ref
        ]
        states = set(face_template_service.status_of(session, compound_id=compound_id, subject_refs=refs).values())
        for state in ("current", "needs_reenrolment"):
            if state in states:
                return state
        return "none"

    def needing_reenrolment(self, session: Session, *, compound_id: int) -> list[Person]:
        """People of the compound whose face templates are all of a retired model (the guard desk's list)."""
        creds = [
            c
            for c in session.execute(
                select(AccessCredential).where(
                    AccessCredential.compound_id == compound_id,
                    AccessCredential.kind == CredentialKind.face,
                    AccessCredential.status == CredentialStatus.active,
                    AccessCredential.person_id.is_not(None),
                )
            ).scalars()
            if c.subject_ref
        ]
        states = face_template_service.status_of(
            session, compound_id=compound_id, subject_refs=[c.subject_ref for c in creds if c.subject_ref]
        )
        ids = [c.person_id for c in creds if c.subject_ref and states.get(c.subject_ref) == "needs_reenrolment"]
        if not ids:
            return []
        return list(session.execute(select(Person).where(Person.id.in_(ids)).order_by(Person.id)).scalars())

    def request_face_reenrolment(self, session: Session, *, now: datetime) -> int:
        """After a model change: mark old templates stale, drop them from terminals, and ask each person once
        (their H5 inbox) to re-enrol; card, QR and PIN keep working meanwhile (R-F1). Returns people asked."""
        from anju.accounts.models import User
        from anju.core.kit.china_time import china_text
        from anju.notify.service import notify_service

        face_template_service.mark_stale(session, now=now)
        s = access_settings()
        asked = 0
        for compound_id, ref in face_template_service.stale_subjects_to_notify(session):
            cred = CredentialQuery(session).by_subject(compound_id, ref)
            if cred is not None:
                terminal_sync_service.refresh_credentials(session, compound_id, [cred])
            if cred is not None and cred.person_id is not None:
                users = list(
                    session.execute(
                        select(User.id).where(User.person_id == cred.person_id, User.active.is_(True))
                    ).scalars()
                )
                deadline = china_text(now + timedelta(days=s.face_reenrol_deadline_days), "%Y-%m-%d")
                notify_service.inbox(
                    session,
                    user_ids=users,
                    compound_id=compound_id,
                    category="face_reenrol",
                    title="请重新录入人脸",
                    body=(
                        "小区门禁更换了更安全的人脸识别模型，原有人脸信息已停用，"
                        f"将于 {deadline} 前删除。如需继续刷脸通行，请在「我的家 → 门禁通行」中重新录入，"
                        "或到门岗请保安协助录入。门禁卡、二维码和密码照常可用；不录入人脸不影响任何服务。"
                    ),
                )
                asked += 1
            face_template_service.mark_notified(session, compound_id=compound_id, subject_ref=ref, now=now)
        return asked

    def purge_stale_faces(self, session: Session, *, now: datetime) -> int:
        """Delete old-model templates once their subject re-enrolled, or at the configured deadline."""
        deadline = now - timedelta(days=access_settings().face_reenrol_deadline_days)
        return face_template_service.purge_stale(session, now=now, deadline=deadline)

    def face_stats(self, session: Session, *, compound_id: int) -> tuple[int, FaceFiling | None]:
        org = session.execute(select(Compound.property_org_id).where(Compound.id == compound_id)).scalar_one()
        compounds = list(
            session.execute(
                select(Compound.id).where(
                    Compound.property_org_id == org if org is not None else Compound.id == compound_id
                )
            ).scalars()
        )
        n = face_template_service.count_subjects(session, compound_ids=compounds)
        filing = (
            session.execute(select(FaceFiling).where(FaceFiling.organisation_id == org)).scalar_one_or_none()
            if org is not None
            else None
        )
        return n, filing

    def check_face_count(self, session: Session, *, compound_id: int) -> int:
        """R-F8: warn near the threshold; at it, open a filing due in 30 working days."""
        from anju.alarms.events import AlarmRequested

        s = access_settings()
        n, filing = self.face_stats(session, compound_id=compound_id)
        org = session.execute(select(Compound.property_org_id).where(Compound.id == compound_id)).scalar_one()
        if n >= s.face_filing_people and filing is None:
            today = china_date()
            session.add(
                FaceFiling(organisation_id=org, people=n, due_on=add_working_days(today, s.face_filing_working_days))
            )
            session.flush()
        if n >= s.face_warn_people:
            events.publish(
                session,
                AlarmRequested(
                    compound_id=compound_id,
                    kind="face_filing_threshold",
                    severity="major" if n < s.face_filing_people else "critical",
                    source=f"access:face_count:{org}",
                    dedupe_key=f"face_count:{org}",
                    title=f"人脸信息存储人数 {n}，接近/达到 {s.face_filing_people} 人备案线",
                ),
                compound_id=compound_id,
            )
        return n

    # --- blacklist and grants -------------------------------------------------------------------
    @staticmethod
    def staff_user_in(session: Session, *, user_id: int, compound_id: int) -> User:
        """A staff account granted `compound_id` (404 otherwise: the id may be another compound's)."""
        user = session.get(User, user_id)
        granted = session.execute(
            select(UserCompound.id).where(UserCompound.user_id == user_id, UserCompound.compound_id == compound_id)
        ).first()
        if user is None or granted is None:
            raise NotFound(f"user {user_id} not found", zh="未找到该员工账号")
        return user

    def add_blacklist(self, session: Session, *, who: Principal, data: BlacklistCreate) -> BlacklistEntry:
        who.require(AccessPerm.manage)
        if not who.in_scope(data.compound_id):
            raise NotFound("compound not found", zh="未找到该小区")
        if data.person_id is None and not data.card_number:
            raise Invalid("give person_id or card_number", zh="请指定人员或卡号")
        if data.person_id is not None:
            p = self.person_for(session, who=who, person_id=data.person_id)
            if p.compound_id != data.compound_id:
                raise NotFound("person not found", zh="未找到该人员")
        e = BlacklistEntry(
            compound_id=data.compound_id,
            person_id=data.person_id,
            reason=data.reason,
            card_bidx=card_bidx(data.card_number) if data.card_number else None,
            created_by=who.user_id,
        )
        session.add(e)
        session.flush()
        record_change(
            session,
            user_id=who.user_id,
            compound_id=e.compound_id,
            entity="access_blacklist",
            entity_id=e.id,
            action="create",
            before=None,
            after={"person_id": e.person_id, "reason": e.reason},
        )
        if data.person_id is not None:
            terminal_sync_service.refresh_holder(session, data.compound_id, person_id=data.person_id)
        if e.card_bidx:
            card = CredentialQuery(session).card(data.compound_id, e.card_bidx)
            if card is not None:
                terminal_sync_service.refresh_credentials(session, data.compound_id, [card])
        return e

    def add_grant(self, session: Session, *, who: Principal, data: GrantCreate) -> AccessGrant:
        who.require(AccessPerm.manage)
        if not who.in_scope(data.compound_id):
            raise NotFound("compound not found", zh="未找到该小区")
        if (data.user_id is None) == (data.person_id is None):
            raise Invalid("give user_id or person_id", zh="请指定员工账号或人员")
        if not data.kinds and data.access_point_id is None:
            raise Invalid("give kinds or access_point_id", zh="请指定门类型或具体门")
        # Every id in the grant must be of the grant's compound (and so of the caller's scope).
        if data.user_id is not None:
            self.staff_user_in(session, user_id=data.user_id, compound_id=data.compound_id)
        if data.person_id is not None:
            p = self.person_for(session, who=who, person_id=data.person_id)
            if p.compound_id != data.compound_id:
                raise NotFound(f"person {data.person_id} not found", zh="未找到该人员")
        if data.access_point_id is not None:
            ap = session.get(AccessPoint, data.access_point_id)
            if ap is None or ap.compound_id != data.compound_id:
                raise NotFound(f"access point {data.access_point_id} not found", zh="未找到该门禁点")
        g = AccessGrant(
            compound_id=data.compound_id,
            user_id=data.user_id,
            person_id=data.person_id,
            kinds=[k.value for k in data.kinds],
            access_point_id=data.access_point_id,
            shift_start=data.shift_start,
            shift_end=data.shift_end,
            weekdays=data.weekdays,
            valid_from=data.valid_from,
            valid_until=data.valid_until,
        )
        session.add(g)
        session.flush()
        terminal_sync_service.refresh_holder(session, data.compound_id, person_id=data.person_id, user_id=data.user_id)
        return g


credential_service = CredentialService()
