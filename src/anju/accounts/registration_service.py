"""Resident self-registration: a phone number and a one-time SMS code, then a claim to a house.

A resident signs in with their phone and a code sent through the notify provider interface (the
logging provider in development writes the code to the log; a deployment needs a real provider).
A new phone gets a resident account that sees nothing until a claim to a house is verified: by
staff against the roster, or by the house's owner for a family member or a tenant. The verified
claim links the account to the person (an existing roster entry with the same phone, else a new
person moved in through the registry's move-in flow).

Code requests and code checks are limited per phone and per client address; the counting happens
in its own short transaction, committed before anything is checked, so a refused request still
counts and parallel requests are counted one after another.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from anju.accounts.models import AuthSession, User
from anju.accounts.onboarding_models import HouseClaim, PhoneCode
from anju.accounts.service import Limit, attempt_limiter
from anju.core.audit import record_change
from anju.core.auth import Principal, hash_password, new_token, token_digest
from anju.core.config import get_settings
from anju.core.crypto import blind_index, decrypt, encrypt, mask_name, mask_phone
from anju.core.db import transaction, utcnow
from anju.core.errors import AppError, Conflict, Forbidden, Invalid, NotFound, RateLimited
from anju.core.kit.china_time import china_date
from anju.core.rbac import Role
from anju.notify.config import notify_settings
from anju.notify.providers import ChannelOff, SendFailed, phone_provider
from anju.registry.enums import OccupancyRole, PersonStatus
from anju.registry.models import Compound, House, Occupancy, Person
from anju.registry.occupancy import current_occupancy_clause
from anju.registry.permissions import RegistryPerm
from anju.registry.schemas import MoveIn, PersonCreate, validate_phone
from anju.registry.service import house_service, move_in

OWNER_ROLES = (OccupancyRole.owner, OccupancyRole.co_owner)
OWNER_APPROVABLE = (OccupancyRole.family, OccupancyRole.tenant)


class RegistrationSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ANJU_REGISTRATION_", extra="ignore")

    code_ttl_seconds: int = 300
    code_max_attempts: int = 5  # wrong entries of one code before it stops working
    code_requests_per_phone: int = 5  # per hour
    code_requests_per_ip: int = 20  # per hour
    checks_per_phone: int = 10  # code checks per 15 minutes
    checks_per_ip: int = 50


@lru_cache
def registration_settings() -> RegistrationSettings:
    return RegistrationSettings()


class SmsUnavailable(AppError):
    status_code = 503
    code = "sms_unavailable"
    message_zh = "短信服务暂不可用，请稍后再试或联系物业"
    message_en = "SMS is not available; try later or ask the property office"


def normalise_phone(phone: str) -> str:
    try:
        value = validate_phone(phone)
    except ValueError:
        value = None
    if value is None:
        raise Invalid(
            "phone must be an 11-digit mainland mobile number",
            zh="手机号须为 11 位中国大陆手机号",
            fields=[{"field": "phone", "message": "invalid"}],
        )
    return value


def _phone_bidx(phone: str) -> str:
    bidx = blind_index(phone, context="phone")  # the same index as the roster's people: a claim can be matched
    assert bidx is not None
    return bidx


def _code_digest(bidx: str, code: str) -> str:
    digest = blind_index(code, context=f"phone_code|{bidx}")
    assert digest is not None
    return digest


def _count(limits: list[Limit], *, zh: str, en: str) -> None:
    """Count one attempt on each limit in its own committed transaction; refuse when a limit is reached."""
    now = utcnow()
    with transaction() as t:
        held = attempt_limiter.hold(t, limits, now=now)
        if held.blocked is None:
            attempt_limiter.fail(t, held)
    if held.blocked is not None:
        raise RateLimited(en, zh=zh)


@dataclass
class CodeCheck:
    ok: bool
    reason: str = ""


class RegistrationService:
    # -- phone codes ----------------------------------------------------------------------------
    def request_code(self, session: Session, *, phone: str, ip: str | None) -> int:
        """Send a one-time code to `phone`; returns its lifetime in seconds."""
        phone = normalise_phone(phone)
        try:
            provider = phone_provider(notify_settings().phone_provider_name)
        except ChannelOff as e:
            raise SmsUnavailable(str(e)) from None
        s = registration_settings()
        bidx = _phone_bidx(phone)
        limits = [Limit(f"regcode:phone:{bidx}", s.code_requests_per_phone, timedelta(hours=1))]
        if ip:
            limits.append(Limit(f"regcode:ip:{ip}", s.code_requests_per_ip, timedelta(hours=1)))
        _count(limits, zh="验证码请求过于频繁，请稍后再试", en="too many code requests; try again later")
        now = utcnow()
        session.execute(
            update(PhoneCode)
            .where(PhoneCode.phone_bidx == bidx, PhoneCode.used_at.is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        code = f"{secrets.randbelow(1_000_000):06d}"
        session.add(
            PhoneCode(
                phone_bidx=bidx,
                code_hash=_code_digest(bidx, code),
                created_at=now,
                expires_at=now + timedelta(seconds=s.code_ttl_seconds),
            )
        )
        session.flush()
        minutes = max(1, s.code_ttl_seconds // 60)
        try:
            provider.send_sms(phone, f"【安居】您的验证码是 {code}，{minutes} 分钟内有效。如非本人操作请忽略。")
        except SendFailed as e:
            raise SmsUnavailable(str(e)) from None
        return s.code_ttl_seconds

    def _check_code(self, *, bidx: str, code: str, ip: str | None) -> CodeCheck:
        """Check a code in its own committed transaction, so a wrong guess is counted even though the request fails."""
        s = registration_settings()
        limits = [Limit(f"regcheck:phone:{bidx}", s.checks_per_phone, timedelta(minutes=15))]
        if ip:
            limits.append(Limit(f"regcheck:ip:{ip}", s.checks_per_ip, timedelta(minutes=15)))
        now = utcnow()
        with transaction() as t:
            held = attempt_limiter.hold(t, limits, now=now)
            if held.blocked is not None:
                return CodeCheck(False, "limited")
            attempt_limiter.fail(t, held)
            row = t.execute(
                select(PhoneCode)
                .where(PhoneCode.phone_bidx == bidx, PhoneCode.used_at.is_(None))
                .order_by(PhoneCode.id.desc())
                .limit(1)
                .with_for_update()
            ).scalar_one_or_none()
            if row is None or row.expires_at < now:
                return CodeCheck(False, "expired")
            row.attempts += 1
            if not hmac.compare_digest(row.code_hash, _code_digest(bidx, code.strip())):
                if row.attempts >= s.code_max_attempts:
                    row.used_at = now  # this code is spent: ask for a new one
                return CodeCheck(False, "wrong")
            row.used_at = now
            return CodeCheck(True)

    def sign_in(self, session: Session, *, phone: str, code: str, ip: str | None, kind: str) -> tuple[str, User]:
        """Check the code and open a session; a new phone gets a resident account (it sees nothing yet)."""
        phone = normalise_phone(phone)
        bidx = _phone_bidx(phone)
        check = self._check_code(bidx=bidx, code=code, ip=ip)
        if check.reason == "limited":
            raise RateLimited("too many code attempts; wait 15 minutes", zh="验证码尝试次数过多，请 15 分钟后再试")
        if check.reason == "expired":
            raise Invalid(
                "no valid code for this phone: request a new one",
                zh="验证码已过期或未发送，请重新获取",
                fields=[{"field": "code", "message": "expired"}],
            )
        if not check.ok:
            raise Invalid("wrong code", zh="验证码错误", fields=[{"field": "code", "message": "wrong"}])
        user = session.execute(select(User).where(User.phone_bidx == bidx)).scalar_one_or_none()
        if user is None:
            user = User(
                username=f"m{bidx[:24]}",
                display_name=mask_phone(phone) or "",
                password_hash=hash_password(new_token()),  # residents sign in with codes only
                role=Role.resident,
                phone_enc=encrypt(phone, context="user.phone"),
                phone_bidx=bidx,
                phone_masked=mask_phone(phone),
            )
            session.add(user)
            session.flush()
            record_change(
                session,
                user_id=user.id,
                compound_id=None,
                entity="user",
                entity_id=user.id,
                action="create",
                before=None,
                after={"role": Role.resident.value, "phone": user.phone_masked, "via": "self-registration"},
            )
        elif not user.active:
            raise Forbidden("this account is disabled", zh="该账号已停用，请联系物业")
        token = new_token()
        s = get_settings()
        ttl = s.session_ttl if kind == "web" else s.api_token_ttl
        session.add(AuthSession(token_hash=token_digest(token), user_id=user.id, kind=kind, expires_at=utcnow() + ttl))
        user.last_login_at = utcnow()
        session.flush()
        return token, user

    # -- claims ---------------------------------------------------------------------------------
    def compounds(self, session: Session) -> list[Compound]:
        """The compounds a resident can register in."""
        return list(session.execute(select(Compound).order_by(Compound.name, Compound.id)).scalars())

    def claim(
        self,
        session: Session,
        *,
        who: Principal,
        compound_id: int,
        house_label: str,
        name: str,
        role: OccupancyRole,
        lease_end: date | None = None,
    ) -> HouseClaim:
        """Claim to live in a house; it waits for staff (or the owner) to verify it."""
        if who.role not in (Role.resident, Role.committee_member):
            raise Forbidden("only residents claim houses", zh="仅住户可申请绑定房屋")
        user = session.get(User, who.user_id)
        assert user is not None
        if session.get(Compound, compound_id) is None:
            raise NotFound(f"compound {compound_id} not found", zh="未找到该小区")
        label = " ".join(house_label.split())
        house = house_service.find_by_label(session, compound_id=compound_id, label=label) if label else None
        if house is None:
            raise NotFound(
                f"no house {label} in this compound",
                zh=f"该小区没有房屋 {label}，请核对楼号-单元-房号",
                fields=[{"field": "house_label", "message": "not found"}],
            )
        name = " ".join(name.split())
        if not name:
            raise Invalid("name is required", zh="请填写姓名", fields=[{"field": "name", "message": "required"}])
        if role == OccupancyRole.tenant and (lease_end is None or lease_end < china_date()):
            raise Invalid(
                "a tenant needs a lease end date in the future",
                zh="租户须填写未到期的租约到期日",
                fields=[{"field": "lease_end", "message": "required for tenants"}],
            )
        if house.id in who.house_ids:
            raise Conflict("you already live in this house", zh="您已是该房屋的住户")
        # Take the account's row lock (PostgreSQL) or the write lock (SQLite) before the duplicate check,
        # so two parallel claims of one house are checked one after the other.
        session.execute(
            update(User)
            .where(User.id == user.id)
            .values(updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        existing = session.execute(
            select(HouseClaim.id).where(
                HouseClaim.user_id == user.id,
                HouseClaim.house_id == house.id,
                HouseClaim.status.in_(("pending", "verified")),
            )
        ).first()
        if existing is not None:
            raise Conflict(
                "you already claimed this house",
                zh="您已申请过该房屋，请等待审核",
                fields=[{"field": "house_label", "message": "duplicate"}],
            )
        if user.person_id is not None:
            person = session.get(Person, user.person_id)
            if person is not None and person.compound_id != compound_id:
                raise Invalid("your account belongs to another compound", zh="您的账号已绑定其他小区")
        claim = HouseClaim(
            compound_id=compound_id,
            house_id=house.id,
            user_id=user.id,
            name=name,
            role=role.value,
            lease_end=lease_end,
            status="pending",
        )
        session.add(claim)
        session.flush()
        record_change(
            session,
            user_id=user.id,
            compound_id=compound_id,
            entity="house_claim",
            entity_id=claim.id,
            action="create",
            before=None,
            after={"house": house.label, "role": role.value, "name": mask_name(name), "status": "pending"},
        )
        return claim

    def mine(self, session: Session, *, who: Principal) -> list[HouseClaim]:
        return list(
            session.execute(
                select(HouseClaim).where(HouseClaim.user_id == who.user_id).order_by(HouseClaim.id.desc())
            ).scalars()
        )

    def owned_houses(self, session: Session, who: Principal) -> set[int]:
        """Houses the caller currently owns (owner or co-owner on the roster)."""
        if who.person_id is None:
            return set()
        return set(
            session.execute(
                select(Occupancy.house_id).where(
                    Occupancy.person_id == who.person_id,
                    Occupancy.role.in_(OWNER_ROLES),
                    current_occupancy_clause(),
                )
            ).scalars()
        )

    def for_owner(self, session: Session, *, who: Principal) -> list[HouseClaim]:
        """Pending family and tenant claims to the caller's own houses."""
        houses = self.owned_houses(session, who)
        if not houses:
            return []
        return list(
            session.execute(
                select(HouseClaim)
                .where(
                    HouseClaim.house_id.in_(houses),
                    HouseClaim.status == "pending",
                    HouseClaim.role.in_([r.value for r in OWNER_APPROVABLE]),
                )
                .order_by(HouseClaim.id)
            ).scalars()
        )

    def queue(self, session: Session, *, who: Principal, compound_id: int, status: str = "pending") -> list[HouseClaim]:
        """Claims of a compound for staff to verify."""
        who.require(RegistryPerm.people_write)
        if not who.in_scope(compound_id):
            raise NotFound(f"compound {compound_id} not found", zh="未找到该小区")
        stmt = select(HouseClaim).where(HouseClaim.compound_id == compound_id)
        if status != "all":
            stmt = stmt.where(HouseClaim.status == status)
        return list(session.execute(stmt.order_by(HouseClaim.id.desc()).limit(500)).scalars())

    def roster_matches(self, session: Session, claims: list[HouseClaim]) -> dict[int, list[dict[str, Any]]]:
        """For each claim, the house's current roster (masked), each marked when its phone is the claimant's."""
        if not claims:
            return {}
        house_ids = {c.house_id for c in claims}
        phones = dict(
            session.execute(select(User.id, User.phone_bidx).where(User.id.in_({c.user_id for c in claims}))).all()
        )
        rows = session.execute(
            select(Occupancy.house_id, Occupancy.role, Person.name, Person.phone_masked, Person.phone_bidx)
            .join(Person, Person.id == Occupancy.person_id)
            .where(Occupancy.house_id.in_(house_ids), current_occupancy_clause())
            .order_by(Occupancy.id)
        ).all()
        by_house: dict[int, list[Any]] = {}
        for r in rows:
            by_house.setdefault(r.house_id, []).append(r)
        out: dict[int, list[dict[str, Any]]] = {}
        for c in claims:
            out[c.id] = [
                {
                    "name": mask_name(r.name),
                    "role": r.role.value,
                    "phone": r.phone_masked,
                    "same_phone": bool(r.phone_bidx) and r.phone_bidx == phones.get(c.user_id),
                }
                for r in by_house.get(c.house_id, [])
            ]
        return out

    def _decidable(self, session: Session, *, who: Principal, claim_id: int) -> tuple[HouseClaim, str]:
        # Lock the claim first (a write takes the row lock on PostgreSQL, the write lock on SQLite): two
        # parallel decisions see each other's outcome, and a claim is decided once.
        session.execute(
            update(HouseClaim)
            .where(HouseClaim.id == claim_id)
            .values(status=HouseClaim.status)
            .execution_options(synchronize_session=False)
        )
        claim = session.get(HouseClaim, claim_id, populate_existing=True)
        if claim is None:
            raise NotFound(f"claim {claim_id} not found", zh="未找到该申请")
        if who.is_staff:
            who.require(RegistryPerm.people_write)
            if not who.in_scope(claim.compound_id):
                raise NotFound(f"claim {claim_id} not found", zh="未找到该申请")
            as_ = "staff"
        else:
            if claim.house_id not in self.owned_houses(session, who):
                raise NotFound(f"claim {claim_id} not found", zh="未找到该申请")
            if OccupancyRole(claim.role) not in OWNER_APPROVABLE:
                raise Forbidden("an owner approves family members and tenants only", zh="业主只能审核家庭成员和租户")
            as_ = "owner"
        if claim.status != "pending":
            raise Conflict(f"the claim is already {claim.status}", zh="该申请已处理")
        return claim, as_

    def verify(self, session: Session, *, who: Principal, claim_id: int) -> HouseClaim:
        """Accept a claim: link the account to the roster's person (moving them in if they are not on it)."""
        claim, as_ = self._decidable(session, who=who, claim_id=claim_id)
        user = session.get(User, claim.user_id)
        house = session.get(House, claim.house_id)
        assert user is not None and house is not None
        if not user.active:
            raise Conflict("the account is disabled", zh="该账号已停用")
        person = session.get(Person, user.person_id) if user.person_id is not None else None
        if person is not None and person.compound_id != claim.compound_id:
            raise Conflict("the account belongs to another compound", zh="该账号已绑定其他小区")
        if person is None and user.phone_bidx:
            # The roster already has this phone: prefer the person living in the claimed house.
            candidates = list(
                session.execute(
                    select(Person).where(
                        Person.compound_id == claim.compound_id,
                        Person.phone_bidx == user.phone_bidx,
                        Person.status == PersonStatus.active,
                    )
                ).scalars()
            )
            living = set(
                session.execute(
                    select(Occupancy.person_id).where(Occupancy.house_id == house.id, current_occupancy_clause())
                ).scalars()
            )
            candidates.sort(key=lambda p: (p.id not in living, p.id))
            person = candidates[0] if candidates else None
        lives_there = person is not None and (
            session.execute(
                select(Occupancy.id).where(
                    Occupancy.house_id == house.id, Occupancy.person_id == person.id, current_occupancy_clause()
                )
            ).first()
            is not None
        )
        if not lives_there:
            # The registry's move-in flow: change record, house status, ResidentMovedIn for every subscriber.
            # An owner approving has no registry write permission of their own: the platform moves the person in.
            actor = who if as_ == "staff" else None
            role = OccupancyRole(claim.role)
            on = china_date()
            if person is not None:
                data = MoveIn(person_id=person.id, role=role, on=on, lease_end=claim.lease_end)
            else:
                phone = decrypt(user.phone_enc, context="user.phone") if user.phone_enc else None
                data = MoveIn(
                    person=PersonCreate(compound_id=claim.compound_id, name=claim.name, phone=phone),
                    role=role,
                    on=on,
                    lease_end=claim.lease_end,
                )
            occ = move_in(session, who=actor, house=house, data=data)
            person = session.get(Person, occ.person_id)
        assert person is not None
        user.person_id = person.id
        claim.person_id = person.id
        self._decide(session, who=who, claim=claim, status="verified", as_=as_, reason=None)
        return claim

    def reject(self, session: Session, *, who: Principal, claim_id: int, reason: str | None) -> HouseClaim:
        claim, as_ = self._decidable(session, who=who, claim_id=claim_id)
        self._decide(session, who=who, claim=claim, status="rejected", as_=as_, reason=reason)
        return claim

    def _decide(
        self, session: Session, *, who: Principal, claim: HouseClaim, status: str, as_: str, reason: str | None
    ) -> None:
        claim.status = status
        claim.decided_at = utcnow()
        claim.decided_by = who.user_id
        claim.decided_as = as_
        claim.reason = (" ".join(reason.split())[:255] or None) if reason else None
        session.flush()
        record_change(
            session,
            user_id=who.user_id,
            compound_id=claim.compound_id,
            entity="house_claim",
            entity_id=claim.id,
            action="update",
            before={"status": "pending"},
            after={"status": status, "by": as_, "person_id": claim.person_id},
        )


registration_service = RegistrationService()
