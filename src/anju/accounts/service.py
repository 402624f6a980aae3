"""Accounts: login with rate limiting, sessions and tokens, principals, device credentials."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from itertools import groupby

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from anju.accounts.config import account_settings
from anju.accounts.models import AttemptCounter, AuthSession, DeviceCredential, LoginAttempt, User, UserCompound
from anju.accounts.onboarding_models import PhoneCode
from anju.accounts.repository import AttemptCounterQuery
from anju.core.audit import ObjectChange
from anju.core.auth import Principal, hash_password, new_token, token_digest, verify_password
from anju.core.config import get_settings
from anju.core.db import transaction, utcnow
from anju.core.errors import RateLimited, Unauthenticated
from anju.core.rbac import STAFF_ROLES, Role
from anju.registry.occupancy import current_occupancy_clause


@lru_cache
def _dummy_hash() -> str:
    return hash_password(new_token())


class AccountService:
    def create_user(
        self,
        session: Session,
        *,
        username: str,
        password: str,
        role: Role,
        display_name: str,
        compound_ids: list[int] | None = None,
        organisation_id: int | None = None,
        person_id: int | None = None,
    ) -> User:
        user = User(
            username=username,
            password_hash=hash_password(password),
            role=role,
            display_name=display_name,
            organisation_id=organisation_id,
            person_id=person_id,
        )
        session.add(user)
        session.flush()
        for cid in compound_ids or []:
            session.add(UserCompound(user_id=user.id, compound_id=cid))
        session.flush()
        return user

    def login(self, session: Session, *, username: str, password: str, kind: str, ip: str | None) -> tuple[str, User]:
        """Check a password and open a session; too many recent failures lock the name, or the address, out.

        The attempt is recorded as failed, in its own short transaction, before the password is checked
        (see _reserve_attempt); a right password turns it into a success. So parallel guesses are
        counted one after another and at most the limit of them is ever checked.
        """
        attempt_id = self._reserve_attempt(username=username, ip=ip)
        user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        # Always pay for one hash check, so response time does not tell which usernames exist.
        password_ok = verify_password(user.password_hash if user is not None else _dummy_hash(), password)
        ok = user is not None and user.active and password_ok
        if not ok or user is None:
            raise Unauthenticated("wrong username or password", zh="用户名或密码错误")
        session.execute(update(LoginAttempt).where(LoginAttempt.id == attempt_id).values(success=True))
        user.last_login_at = utcnow()
        s = get_settings()
        token = new_token()
        ttl = s.session_ttl if kind == "web" else s.api_token_ttl
        session.add(AuthSession(token_hash=token_digest(token), user_id=user.id, kind=kind, expires_at=utcnow() + ttl))
        session.flush()
        return token, user

    @staticmethod
    def _reserve_attempt(*, username: str, ip: str | None) -> int:
        """Count recent failures of the name and of the address, and record this attempt as failed.

        Its own transaction, committed before any password check: the attempt must survive the
        request's rollback, and must be seen by a parallel attempt at once. Locking the two counter
        rows (name first, then address: one order, no deadlock) makes count-and-insert atomic.
        """
        s, acc = get_settings(), account_settings()
        now = utcnow()
        since = now - s.login_window
        minutes = int(s.login_window.total_seconds() // 60)
        with transaction() as t:
            q = AttemptCounterQuery(t)
            q.hold(f"login:user:{username}", now=now, since=since)
            if ip:
                q.hold(f"login:ip:{ip}", now=now, since=since)
            if q.failed_logins(username=username, since=since) >= s.login_max_failures:
                raise RateLimited(f"too many failed logins for {username}; wait {minutes} min")
            if ip and q.failed_logins(ip=ip, since=since) >= acc.login_ip_max_failures:
                raise RateLimited(
                    f"too many failed logins from this address; wait {minutes} min",
                    zh=f"该网络地址登录失败次数过多，请 {minutes} 分钟后再试",
                )
            row = LoginAttempt(username=username, ip=ip, success=False, at=now)
            t.add(row)
            t.flush()
            return row.id

    def logout(self, session: Session, *, token: str) -> None:
        session.execute(
            update(AuthSession).where(AuthSession.token_hash == token_digest(token)).values(revoked_at=utcnow())
        )

    def purge_expired(self, session: Session) -> int:
        from sqlalchemy import delete

        now = utcnow()
        n = session.execute(delete(AuthSession).where(AuthSession.expires_at < now)).rowcount  # type: ignore[attr-defined]
        session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - timedelta(days=30)))
        # Throttle counters whose window ended long ago (every window is at most hours): spraying
        # random user names or addresses must not grow the table for ever.
        session.execute(delete(AttemptCounter).where(AttemptCounter.window_start < now - timedelta(days=1)))
        # Sign-in codes are kept one day (the privacy catalogue's phone_code.phone retention).
        session.execute(delete(PhoneCode).where(PhoneCode.created_at < now - timedelta(days=1)))
        return int(n or 0)

    def principal(self, session: Session, user: User) -> Principal:
        from anju.registry.models import Compound, Occupancy, Person

        compound_ids: set[int] = set()
        house_ids: set[int] = set()
        if user.role == Role.platform_admin:
            compound_ids = set(session.execute(select(Compound.id)).scalars())
        elif user.role == Role.gov_viewer:
            compound_ids = set(
                session.execute(select(Compound.id).where(Compound.street_org_id == user.organisation_id)).scalars()
            )
        elif user.role in (Role.resident, Role.committee_member):
            if user.person_id is not None:
                person = session.get(Person, user.person_id)
                if person is not None:
                    compound_ids = {person.compound_id}
                    house_ids = set(
                        session.execute(
                            select(Occupancy.house_id).where(
                                Occupancy.person_id == person.id, current_occupancy_clause()
                            )
                        ).scalars()
                    )
        else:
            compound_ids = set(
                session.execute(select(UserCompound.compound_id).where(UserCompound.user_id == user.id)).scalars()
            )
        return Principal(
            user_id=user.id,
            username=user.username,
            display_name=user.display_name,
            role=user.role,
            compound_ids=frozenset(compound_ids),
            person_id=user.person_id,
            house_ids=frozenset(house_ids),
            organisation_id=user.organisation_id,
            locale=user.locale,
            must_change_password=user.must_change_password,
        )

    def principal_for_token(self, session: Session, token: str) -> Principal | None:
        row = session.execute(
            select(AuthSession, User)
            .join(User, User.id == AuthSession.user_id)
            .where(AuthSession.token_hash == token_digest(token))
        ).first()
        if row is None:
            return None
        auth, user = row
        if auth.revoked_at is not None or auth.expires_at < utcnow() or not user.active:
            return None
        return self.principal(session, user)

    def create_device_credential(
        self, session: Session, *, compound_id: int, name: str, device_kind: str
    ) -> tuple[DeviceCredential, str]:
        """Issue a device key; the secret is returned once and stored hashed."""
        key_id = "dev_" + new_token()[:16]
        secret = new_token()
        cred = DeviceCredential(
            compound_id=compound_id,
            key_id=key_id,
            secret_hash=hash_password(secret),
            name=name,
            device_kind=device_kind,
        )
        session.add(cred)
        session.flush()
        return cred, secret

    def authenticate_device(self, session: Session, *, key_id: str, secret: str) -> DeviceCredential:
        cred = session.execute(select(DeviceCredential).where(DeviceCredential.key_id == key_id)).scalar_one_or_none()
        if cred is None or not cred.active or not verify_password(cred.secret_hash, secret):
            raise Unauthenticated("unknown device or wrong secret", zh="设备认证失败")
        return cred


account_service = AccountService()


@dataclass(frozen=True)
class Limit:
    """At most `max_failures` failures on `key` in a fixed window of `window`."""

    key: str
    max_failures: int
    window: timedelta


@dataclass
class Held:
    """Counter rows locked for one attempt: (limit, failures so far, alarm already requested)."""

    rows: list[tuple[Limit, int, bool]]

    @property
    def blocked(self) -> Limit | None:
        return next((lim for lim, failures, _ in self.rows if failures >= lim.max_failures), None)


class AttemptLimiter:
    """Failure limits that hold under concurrency: each attempt locks its keys' counter rows first.

    Use inside the attempt's transaction: hold() → evaluate unless blocked → fail() on a failure.
    Parallel attempts on a key wait for each other, so none is evaluated against a stale count.
    """

    def hold(self, session: Session, limits: list[Limit], *, now: datetime) -> Held:
        q = AttemptCounterQuery(session)
        rows = []
        ordered = sorted(limits, key=lambda x: x.key)
        # One lock order everywhere (by key): no deadlock. Neighbours in that order with the same window are
        # held in one statement (a PIN's door and room: one round trip instead of two).
        for window, group in groupby(ordered, key=lambda x: x.window):
            lims = list(group)
            got = q.hold_many(list(dict.fromkeys(lim.key for lim in lims)), now=now, since=now - window)
            rows += [(lim, *got[lim.key]) for lim in lims]
        return Held(rows)

    def fail(self, session: Session, held: Held) -> list[Limit]:
        """Count a failure on every held key; returns the limits this failure has reached."""
        q = AttemptCounterQuery(session)
        reached = []
        for lim, failures, _ in held.rows:
            q.add_failure(lim.key)
            if failures + 1 >= lim.max_failures:
                reached.append(lim)
        return reached

    def claim_alarm(self, session: Session, held: Held, limit: Limit) -> bool:
        """True once per key and window: the caller raises the alarm (the row is locked, so only one does)."""
        for lim, _, alarmed in held.rows:
            if lim.key == limit.key and not alarmed:
                AttemptCounterQuery(session).mark_alarmed(lim.key)
                return True
        return False


attempt_limiter = AttemptLimiter()


def display_names(session: Session, user_ids: set[int] | set[int | None]) -> dict[int, str]:
    """Users' display names by id (unknown and empty ids are left out)."""
    ids = [u for u in user_ids if u]
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())


def principal_for_token(session: Session, token: str) -> Principal | None:
    return account_service.principal_for_token(session, token)


def staff_of(
    session: Session,
    compound_id: int,
    roles: Iterable[Role | str] | None = None,
    *,
    user_id: int | None = None,
    include_former: bool = False,
) -> list[User]:
    """Active staff of a compound: active users granted it, of `roles` (default: every staff role), by id.

    `include_former` adds disabled accounts still granted it (records about the past name people who have left)."""
    wanted = [Role(r) for r in roles] if roles is not None else sorted(STAFF_ROLES)
    stmt = (
        select(User)
        .join(UserCompound, UserCompound.user_id == User.id)
        .where(UserCompound.compound_id == compound_id, User.role.in_(wanted))
        .order_by(User.id)
    )
    if not include_former:
        stmt = stmt.where(User.active.is_(True))
    if user_id is not None:
        stmt = stmt.where(User.id == user_id)
    return list(session.execute(stmt).scalars())


@dataclass(frozen=True)
class StaffMovement:
    """Who of a compound's staff was on roll at the start and at the end of a period, and who joined or left."""

    on_roll_start: frozenset[int]
    on_roll_end: frozenset[int]
    joined: frozenset[int]  # accounts created in the period
    left: frozenset[int]  # accounts disabled in the period (and not enabled again by its end)


def staff_movements(
    session: Session, compound_id: int, roles: Iterable[Role | str], *, since: datetime, until: datetime
) -> StaffMovement:
    """Staff of `roles` granted `compound_id` over [since, until), from account creation and the audited
    enable/disable changes (an account with no such change keeps its current state since its creation)."""
    wanted = [Role(r) for r in roles]
    users = session.execute(
        select(User.id, User.created_at, User.active)
        .join(UserCompound, UserCompound.user_id == User.id)
        .where(UserCompound.compound_id == compound_id, User.role.in_(wanted))
    ).all()
    if not users:
        return StaffMovement(frozenset(), frozenset(), frozenset(), frozenset())
    changes: dict[int, list[tuple[datetime, bool]]] = {}
    for uid, at, action in session.execute(
        select(ObjectChange.entity_id, ObjectChange.at, ObjectChange.action)
        .where(
            ObjectChange.entity == "user",
            ObjectChange.action.in_(("enable", "disable")),
            ObjectChange.entity_id.in_([u.id for u in users]),
        )
        .order_by(ObjectChange.at, ObjectChange.id)
    ).all():
        changes.setdefault(uid, []).append((at, action == "enable"))

    def active_at(uid: int, created: datetime, now_active: bool, t: datetime) -> bool:
        if created >= t:
            return False
        steps = changes.get(uid)
        if not steps:
            return now_active
        state = not steps[0][1]  # before its first change the account was the opposite of what that change made
        for at, enabled in steps:
            if at >= t:
                break
            state = enabled
        return state

    start = frozenset(u.id for u in users if active_at(u.id, u.created_at, u.active, since))
    end = frozenset(u.id for u in users if active_at(u.id, u.created_at, u.active, until))
    joined = frozenset(u.id for u in users if since <= u.created_at < until)
    left = frozenset(
        uid
        for uid, steps in changes.items()
        if uid not in end and any(not enabled and since <= at < until for at, enabled in steps)
    )
    return StaffMovement(start, end, joined, left)
