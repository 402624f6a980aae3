"""Accounts: login with rate limiting, sessions and tokens, principals, device credentials."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from anju.accounts.models import AuthSession, DeviceCredential, LoginAttempt, User, UserCompound
from anju.core.auth import Principal, hash_password, new_token, token_digest, verify_password
from anju.core.config import get_settings
from anju.core.db import utcnow
from anju.core.errors import RateLimited, Unauthenticated
from anju.core.rbac import Role
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
        """Check a password and open a session; too many recent failures lock the name out."""
        s = get_settings()
        since = utcnow() - s.login_window
        failures = session.execute(
            select(func.count())
            .select_from(LoginAttempt)
            .where(LoginAttempt.username == username, LoginAttempt.success.is_(False), LoginAttempt.at >= since)
        ).scalar_one()
        if failures >= s.login_max_failures:
            raise RateLimited(
                f"too many failed logins for {username}; wait {int(s.login_window.total_seconds() // 60)} min"
            )
        user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        # Always pay for one hash check, so response time does not tell which usernames exist.
        password_ok = verify_password(user.password_hash if user is not None else _dummy_hash(), password)
        ok = user is not None and user.active and password_ok
        session.add(LoginAttempt(username=username, ip=ip, success=ok))
        if not ok or user is None:
            session.flush()
            raise Unauthenticated("wrong username or password", zh="用户名或密码错误")
        token = new_token()
        ttl = s.session_ttl if kind == "web" else s.api_token_ttl
        session.add(AuthSession(token_hash=token_digest(token), user_id=user.id, kind=kind, expires_at=utcnow() + ttl))
        session.flush()
        return token, user

    def logout(self, session: Session, *, token: str) -> None:
        session.execute(
            update(AuthSession).where(AuthSession.token_hash == token_digest(token)).values(revoked_at=utcnow())
        )

    def purge_expired(self, session: Session) -> int:
        from sqlalchemy import delete

        now = utcnow()
        n = session.execute(delete(AuthSession).where(AuthSession.expires_at < now)).rowcount  # type: ignore[attr-defined]
        session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - timedelta(days=30)))
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


def display_names(session: Session, user_ids: set[int] | set[int | None]) -> dict[int, str]:
    """Users' display names by id (unknown and empty ids are left out)."""
    ids = [u for u in user_ids if u]
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())


def principal_for_token(session: Session, token: str) -> Principal | None:
    return account_service.principal_for_token(session, token)
