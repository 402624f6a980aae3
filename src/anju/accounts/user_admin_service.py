"""Staff accounts: create or invite, roles and compound grants, disable, password resets and changes.

Who may manage whom:
- a platform admin manages every account and is the only one who creates managers, admins and
  street-office viewers;
- a property manager manages staff below manager (staff, guards, grid workers) whose compounds are
  all among the manager's own, and grants only those compounds.
Every change is written to the change records (never a password or its hash).
"""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anju.accounts.first_run import KNOWN_PASSWORDS, password_problems
from anju.accounts.models import AuthSession, User, UserCompound
from anju.accounts.onboarding_models import AccountLink
from anju.core.audit import record_change
from anju.core.auth import Principal, hash_password, new_token, token_digest, verify_password
from anju.core.db import utcnow
from anju.core.errors import Conflict, Forbidden, Invalid, NotFound
from anju.core.rbac import Role
from anju.registry.enums import OrganisationKind
from anju.registry.models import Compound, Organisation

# Roles a property manager may give; everything above needs a platform admin.
MANAGER_ASSIGNABLE = frozenset({Role.property_staff, Role.technician, Role.guard, Role.grid_worker})
# Roles an admin may create from the console, API or CLI (residents register themselves on H5).
CREATABLE = frozenset(
    {
        Role.platform_admin,
        Role.property_manager,
        Role.property_staff,
        Role.technician,
        Role.guard,
        Role.grid_worker,
        Role.gov_viewer,
    }
)
# Accounts whose password must pass the full policy of first_run.password_problems.
PRIVILEGED = frozenset({Role.platform_admin, Role.property_manager, Role.gov_viewer})
GRANTED_ROLES = frozenset({Role.property_manager, Role.property_staff, Role.technician, Role.guard, Role.grid_worker})
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{2,63}$")
INVITE_TTL = timedelta(hours=72)
RESET_TTL = timedelta(hours=24)
TEMP_ALPHABET = string.ascii_letters + string.digits


def temporary_password() -> str:
    """A generated password that passes the full policy (it is changed at first sign-in anyway)."""
    while True:
        core = "".join(secrets.choice(TEMP_ALPHABET) for _ in range(12))
        candidate = core[:6] + "-" + core[6:]
        if not password_problems(candidate, username=""):
            return candidate


def check_password(password: str, *, role: Role, username: str) -> None:
    """Refuse a password the account's role does not accept (422 with the reasons)."""
    if role in PRIVILEGED:
        problems = password_problems(password, username=username)
    else:
        problems = []
        if len(password) < 8:
            problems.append("at least 8 characters")
        if password.lower() in KNOWN_PASSWORDS:
            problems.append("not a published or common password")
        if username and username.lower() == password.lower():
            problems.append("must not be the user name")
    if problems:
        raise Invalid(
            "password refused: " + "; ".join(problems),
            zh="密码不符合要求：至少 10 位，含大小写字母、数字、符号中的三类，且不含用户名"
            if role in PRIVILEGED
            else "密码不符合要求：至少 8 位，不能是常见密码或用户名",
            fields=[{"field": "password", "message": "; ".join(problems)}],
        )


@dataclass
class Issued:
    """A created or reset account and what must be handed over once: a temporary password or a link token."""

    user: User
    temporary_password: str | None = None
    link_token: str | None = None

    @property
    def link_path(self) -> str | None:
        return f"/account/link/{self.link_token}" if self.link_token else None


def user_snapshot(session: Session, user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role.value,
        "active": user.active,
        "organisation_id": user.organisation_id,
        "compounds": sorted(grants_of(session, user.id)),
        "must_change_password": user.must_change_password,
    }


def grants_of(session: Session, user_id: int) -> set[int]:
    return set(session.execute(select(UserCompound.compound_id).where(UserCompound.user_id == user_id)).scalars())


def revoke_sessions(session: Session, user_id: int, *, keep_token: str | None = None) -> int:
    """End every open session and token of a user at once (optionally all but the caller's own)."""
    stmt = update(AuthSession).where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
    if keep_token:
        stmt = stmt.where(AuthSession.token_hash != token_digest(keep_token))
    result = session.execute(stmt.values(revoked_at=utcnow()).execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


class UserAdminService:
    # -- who may do what ------------------------------------------------------------------------
    def _require_manager(self, who: Principal) -> None:
        if who.role not in (Role.platform_admin, Role.property_manager):
            raise Forbidden(f"role {who.role.value} may not manage accounts", zh="您的角色无权管理账号")

    def _may_give(self, who: Principal, role: Role) -> None:
        if who.role == Role.platform_admin:
            if role not in CREATABLE:
                raise Invalid(
                    f"accounts with role {role.value} are not created here",
                    zh="住户和业委会账号由住户在手机端自行注册",
                    fields=[{"field": "role", "message": "not creatable"}],
                )
            return
        if role not in MANAGER_ASSIGNABLE:
            raise Forbidden(
                f"only a platform admin gives the role {role.value}", zh="仅平台管理员可创建经理、管理员或街道账号"
            )

    def _check_compounds(self, session: Session, who: Principal, compound_ids: list[int]) -> list[int]:
        wanted = sorted(set(compound_ids))
        found = set(session.execute(select(Compound.id).where(Compound.id.in_(wanted))).scalars()) if wanted else set()
        for cid in wanted:
            if cid not in found or (who.role != Role.platform_admin and not who.in_scope(cid)):
                raise NotFound(
                    f"compound {cid} not found",
                    zh="未找到该小区",
                    fields=[{"field": "compound_ids", "message": str(cid)}],
                )
        return wanted

    def manageable(self, session: Session, who: Principal, user: User) -> bool:
        """Whether `who` may change this account."""
        if who.role == Role.platform_admin:
            return True
        if who.role != Role.property_manager or user.role not in MANAGER_ASSIGNABLE:
            return False
        grants = grants_of(session, user.id)
        return bool(grants) and grants <= who.compound_ids

    def get(self, session: Session, *, who: Principal, user_id: int) -> User:
        """An account the caller may see (admins: all; managers: accounts granted one of their compounds)."""
        self._require_manager(who)
        user = session.get(User, user_id)
        if user is None or (who.role != Role.platform_admin and not (grants_of(session, user.id) & who.compound_ids)):
            raise NotFound(f"user {user_id} not found", zh="未找到该账号")
        return user

    def _get_manageable(self, session: Session, *, who: Principal, user_id: int) -> User:
        user = self.get(session, who=who, user_id=user_id)
        if not self.manageable(session, who, user):
            raise Forbidden(
                "you may not change this account", zh="您无权修改该账号（仅平台管理员可管理经理及以上账号）"
            )
        if user.id == who.user_id:
            raise Forbidden("change your own account on the password page", zh="不能在此修改自己的账号")
        return user

    # -- reads ----------------------------------------------------------------------------------
    def search(  # not `list`: that name would shadow the builtin in this class's annotations
        self,
        session: Session,
        *,
        who: Principal,
        compound_id: int | None = None,
        role: Role | None = None,
        q: str | None = None,
        include_residents: bool = False,
    ) -> list[User]:
        self._require_manager(who)
        stmt = select(User).order_by(User.id)
        if compound_id is not None:
            stmt = stmt.where(User.id.in_(select(UserCompound.user_id).where(UserCompound.compound_id == compound_id)))
        if who.role != Role.platform_admin:
            stmt = stmt.where(
                User.id.in_(select(UserCompound.user_id).where(UserCompound.compound_id.in_(who.compound_ids)))
            )
        if role is not None:
            stmt = stmt.where(User.role == role)
        elif not include_residents:
            stmt = stmt.where(User.role.not_in([Role.resident, Role.committee_member]))
        if q:
            like = f"%{q.strip().lower()}%"
            stmt = stmt.where(User.username.ilike(like) | User.display_name.ilike(like))
        return list(session.execute(stmt.limit(500)).scalars())

    def grants_by_user(self, session: Session, user_ids: list[int]) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {u: [] for u in user_ids}
        if user_ids:
            rows = session.execute(
                select(UserCompound.user_id, UserCompound.compound_id)
                .where(UserCompound.user_id.in_(user_ids))
                .order_by(UserCompound.compound_id)
            )
            for uid, cid in rows:
                out[uid].append(cid)
        return out

    # -- writes ---------------------------------------------------------------------------------
    def create(
        self,
        session: Session,
        *,
        who: Principal | None,
        username: str,
        display_name: str,
        role: Role,
        compound_ids: list[int],
        organisation_id: int | None = None,
        invite: bool = False,
        password: str | None = None,
    ) -> Issued:
        """Create an account with a temporary password (changed at first sign-in) or an invitation link.

        `who` None is the CLI acting as the platform (scripted installs).
        """
        actor = who or _platform
        self._require_manager(actor)
        self._may_give(actor, role)
        username = username.strip()
        if not USERNAME.match(username):
            raise Invalid(
                "username: 3-64 letters, digits, '.', '_' or '-'",
                zh="用户名须为 3-64 位字母、数字、点、下划线或连字符",
                fields=[{"field": "username", "message": "invalid"}],
            )
        display_name = " ".join(display_name.split())[:64] or username
        if session.execute(select(User.id).where(User.username == username)).first() is not None:
            raise Conflict(
                f"username {username} is taken",
                zh=f"用户名已存在：{username}",
                fields=[{"field": "username", "message": "duplicate"}],
            )
        compounds = self._check_compounds(session, actor, compound_ids)
        if role in GRANTED_ROLES and not compounds:
            raise Invalid(
                "staff need at least one compound",
                zh="请至少选择一个小区",
                fields=[{"field": "compound_ids", "message": "required"}],
            )
        if role in (Role.platform_admin, Role.gov_viewer):
            compounds = []  # admins see every compound, street offices theirs by organisation
        org_id = organisation_id if organisation_id is not None else actor.organisation_id
        if (
            organisation_id is not None
            and actor.role != Role.platform_admin
            and organisation_id != actor.organisation_id
        ):
            raise NotFound(f"organisation {organisation_id} not found", zh="未找到该机构")
        org = session.get(Organisation, org_id) if org_id is not None else None
        if org_id is not None and org is None:
            raise NotFound(f"organisation {org_id} not found", zh="未找到该机构")
        if role == Role.gov_viewer and (org is None or org.kind != OrganisationKind.street_office):
            raise Invalid(
                "a street-office account needs a street office",
                zh="街道账号须属于一个街道办",
                fields=[{"field": "organisation_id", "message": "street office required"}],
            )
        secret: str | None = None
        if invite:
            pw_hash = hash_password(new_token())  # nobody knows it: the link sets the first password
        else:
            if password:
                check_password(password, role=role, username=username)
                secret = password
            else:
                secret = temporary_password()
            pw_hash = hash_password(secret)
        user = User(
            username=username,
            display_name=display_name,
            password_hash=pw_hash,
            role=role,
            organisation_id=org_id,
            must_change_password=True,
        )
        session.add(user)
        try:
            session.flush()
        except IntegrityError:  # a parallel create took the name between the check and the insert
            raise Conflict(
                f"username {username} is taken",
                zh=f"用户名已存在：{username}",
                fields=[{"field": "username", "message": "duplicate"}],
            ) from None
        for cid in compounds:
            session.add(UserCompound(user_id=user.id, compound_id=cid))
        session.flush()
        token = self._new_link(session, user, purpose="invite") if invite else None
        self._record(session, actor, user, "create", None, user_snapshot(session, user))
        return Issued(user=user, temporary_password=None if invite else secret, link_token=token)

    def update(
        self,
        session: Session,
        *,
        who: Principal,
        user_id: int,
        display_name: str | None = None,
        role: Role | None = None,
        organisation_id: int | None = None,
    ) -> User:
        user = self._get_manageable(session, who=who, user_id=user_id)
        before = user_snapshot(session, user)
        if role is not None and role != user.role:
            self._may_give(who, role)
            if role in GRANTED_ROLES and not grants_of(session, user.id):
                raise Invalid("staff need at least one compound", zh="请先为该账号授权小区")
            user.role = role
        if display_name is not None:
            user.display_name = " ".join(display_name.split())[:64] or user.display_name
        if organisation_id is not None and organisation_id != user.organisation_id:
            if who.role != Role.platform_admin or session.get(Organisation, organisation_id) is None:
                raise NotFound(f"organisation {organisation_id} not found", zh="未找到该机构")
            user.organisation_id = organisation_id
        session.flush()
        self._record(session, who, user, "update", before, user_snapshot(session, user))
        return user

    def set_compounds(self, session: Session, *, who: Principal | None, user_id: int, compound_ids: list[int]) -> User:
        """Replace an account's compound grants."""
        actor = who or _platform
        user = self._get_manageable(session, who=actor, user_id=user_id) if who else self._by_id(session, user_id)
        wanted = set(self._check_compounds(session, actor, compound_ids))
        if user.role in GRANTED_ROLES and not wanted:
            raise Invalid(
                "staff need at least one compound",
                zh="请至少选择一个小区",
                fields=[{"field": "compound_ids", "message": "required"}],
            )
        before = user_snapshot(session, user)
        current = grants_of(session, user.id)
        for cid in current - wanted:
            session.execute(
                UserCompound.__table__.delete().where(UserCompound.user_id == user.id, UserCompound.compound_id == cid)
            )
        for cid in sorted(wanted - current):
            session.add(UserCompound(user_id=user.id, compound_id=cid))
        session.flush()
        self._record(session, actor, user, "grant", before, user_snapshot(session, user))
        return user

    def grant(self, session: Session, *, who: Principal | None, user_id: int, compound_id: int) -> User:
        current = grants_of(session, user_id)
        return self.set_compounds(session, who=who, user_id=user_id, compound_ids=sorted(current | {compound_id}))

    def set_active(self, session: Session, *, who: Principal | None, user_id: int, active: bool) -> User:
        """Disable (every session and token ends at once) or enable an account."""
        actor = who or _platform
        user = self._get_manageable(session, who=actor, user_id=user_id) if who else self._by_id(session, user_id)
        if user.active == active:
            return user
        before = user_snapshot(session, user)
        user.active = active
        session.flush()
        if not active:
            revoke_sessions(session, user.id)
        self._record(session, actor, user, "enable" if active else "disable", before, user_snapshot(session, user))
        return user

    def reset_password(self, session: Session, *, who: Principal | None, user_id: int, link: bool) -> Issued:
        """A temporary password that must be changed at the next sign-in, or a one-time link; old sessions end."""
        actor = who or _platform
        user = self._get_manageable(session, who=actor, user_id=user_id) if who else self._by_id(session, user_id)
        before = user_snapshot(session, user)
        issued = Issued(user=user)
        if link:
            issued.link_token = self._new_link(session, user, purpose="reset")
        else:
            issued.temporary_password = temporary_password()
            user.password_hash = hash_password(issued.temporary_password)
            user.must_change_password = True
        revoke_sessions(session, user.id)
        session.flush()
        after = {**user_snapshot(session, user), "password": "reset link" if link else "temporary password"}
        self._record(session, actor, user, "reset", before, after)
        return issued

    def change_own_password(
        self, session: Session, *, who: Principal, current: str, new: str, keep_token: str | None = None
    ) -> User:
        """Change the caller's own password (the current one is checked); their other sessions end."""
        user = session.get(User, who.user_id)
        if user is None or not user.active:
            raise NotFound("user not found", zh="未找到该账号")
        if not verify_password(user.password_hash, current):
            raise Invalid(
                "the current password is wrong",
                zh="当前密码不正确",
                fields=[{"field": "current_password", "message": "wrong"}],
            )
        if new == current:
            raise Invalid(
                "the new password must differ from the current one",
                zh="新密码不能与当前密码相同",
                fields=[{"field": "new_password", "message": "unchanged"}],
            )
        check_password(new, role=user.role, username=user.username)
        self._set_password(session, user, new, keep_token=keep_token)
        self._record(session, who, user, "password", None, {"password": "changed by the user"})
        return user

    def use_link(self, session: Session, *, token: str, new: str) -> User:
        """Set the password through a one-time invitation or reset link (it then stops working)."""
        link = self.link(session, token)
        user = session.get(User, link.user_id)
        assert user is not None
        check_password(new, role=user.role, username=user.username)
        link.used_at = utcnow()
        self._set_password(session, user, new)
        self._record(session, None, user, "password", None, {"password": f"set through the {link.purpose} link"})
        return user

    def link(self, session: Session, token: str) -> AccountLink:
        """A usable link by its token; used, expired, unknown or for a disabled account: 404."""
        link = session.execute(
            select(AccountLink).where(AccountLink.token_hash == token_digest(token))
        ).scalar_one_or_none()
        user = session.get(User, link.user_id) if link is not None else None
        if link is None or link.used_at is not None or link.expires_at < utcnow() or user is None or not user.active:
            raise NotFound("this link is invalid or has expired", zh="链接无效或已过期，请联系管理员重新发送")
        return link

    # -- helpers --------------------------------------------------------------------------------
    def _by_id(self, session: Session, user_id: int) -> User:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound(f"user {user_id} not found", zh="未找到该账号")
        return user

    def by_username(self, session: Session, username: str) -> User:
        user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if user is None:
            raise NotFound(f"user {username} not found", zh="未找到该账号")
        return user

    def _set_password(self, session: Session, user: User, new: str, *, keep_token: str | None = None) -> None:
        user.password_hash = hash_password(new)
        user.must_change_password = False
        session.flush()
        revoke_sessions(session, user.id, keep_token=keep_token)

    def _new_link(self, session: Session, user: User, *, purpose: str) -> str:
        now = utcnow()
        session.execute(
            update(AccountLink)
            .where(AccountLink.user_id == user.id, AccountLink.used_at.is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        token = new_token()
        ttl = INVITE_TTL if purpose == "invite" else RESET_TTL
        session.add(AccountLink(token_hash=token_digest(token), user_id=user.id, purpose=purpose, expires_at=now + ttl))
        session.flush()
        return token

    def _record(
        self,
        session: Session,
        who: Principal | None,
        user: User,
        action: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> None:
        grants = sorted(grants_of(session, user.id))
        record_change(
            session,
            user_id=who.user_id if who is not None and who.user_id > 0 else None,
            compound_id=grants[0] if grants else None,
            entity="user",
            entity_id=user.id,
            action=action,
            before=before,
            after=after,
        )


# The CLI acts as the platform itself (a scripted install has no signed-in user).
_platform = Principal(user_id=0, username="cli", display_name="cli", role=Role.platform_admin)
user_admin_service = UserAdminService()
