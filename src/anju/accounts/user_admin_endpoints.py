"""Organisations, staff accounts (create or invite, grants, disable, resets) and changing one's own password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy.orm import Session

from anju.accounts.models import User
from anju.accounts.permissions import AccountsPerm
from anju.accounts.user_admin_schemas import (
    CompoundGrants,
    OrganisationCreate,
    OrganisationRead,
    OrganisationUpdate,
    PasswordChange,
    PasswordReset,
    UserCreate,
    UserIssued,
    UserRead,
    UserUpdate,
)
from anju.accounts.user_admin_service import Issued, grants_of, user_admin_service
from anju.core.auth import SESSION_COOKIE, CurrentPrincipal, Principal, requires
from anju.core.deps import ReadSession, WriteSession
from anju.core.rbac import Role
from anju.registry.enums import OrganisationKind
from anju.registry.organisations import organisation_service

router = APIRouter(tags=["accounts"])
UserManager = Annotated[Principal, requires(AccountsPerm.users_manage)]


def user_read(session: Session, user: User) -> UserRead:
    return UserRead(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        active=user.active,
        organisation_id=user.organisation_id,
        compound_ids=sorted(grants_of(session, user.id)),
        must_change_password=user.must_change_password,
        last_login_at=user.last_login_at,
        created_at=user.created_at,
    )


def issued_read(session: Session, issued: Issued) -> UserIssued:
    return UserIssued(
        **user_read(session, issued.user).model_dump(),
        temporary_password=issued.temporary_password,
        link=issued.link_path,
    )


@router.get("/organisations", response_model=list[OrganisationRead])
def list_organisations(
    who: UserManager, session: ReadSession, kind: OrganisationKind | None = None
) -> list[OrganisationRead]:
    """Property companies and street offices (a manager sees their own company)."""
    counts = organisation_service.compound_counts(session)
    return [
        OrganisationRead(id=o.id, name=o.name, kind=o.kind, compounds=counts.get(o.id, 0))
        for o in organisation_service.list(session, who=who, kind=kind)
    ]


@router.post("/organisations", response_model=OrganisationRead, status_code=201)
def create_organisation(body: OrganisationCreate, who: UserManager, session: WriteSession) -> OrganisationRead:
    """Create a property company or a street office (platform admins only)."""
    org = organisation_service.create(session, who=who, name=body.name, kind=body.kind)
    return OrganisationRead(id=org.id, name=org.name, kind=org.kind)


@router.patch("/organisations/{organisation_id}", response_model=OrganisationRead)
def update_organisation(
    organisation_id: int, body: OrganisationUpdate, who: UserManager, session: WriteSession
) -> OrganisationRead:
    """Rename an organisation or correct its kind (platform admins only)."""
    org = organisation_service.update(session, who=who, organisation_id=organisation_id, name=body.name, kind=body.kind)
    return OrganisationRead(
        id=org.id, name=org.name, kind=org.kind, compounds=organisation_service.compound_count(session, org.id)
    )


@router.get("/users", response_model=list[UserRead])
def list_users(
    who: UserManager,
    session: ReadSession,
    compound_id: int | None = None,
    role: Role | None = None,
    q: Annotated[str | None, Query(max_length=64)] = None,
) -> list[UserRead]:
    """Staff accounts (a manager sees the accounts of their own compounds), with the last sign-in."""
    return [
        user_read(session, u)
        for u in user_admin_service.search(session, who=who, compound_id=compound_id, role=role, q=q)
    ]


@router.post("/users", response_model=UserIssued, status_code=201)
def create_user(body: UserCreate, who: UserManager, session: WriteSession) -> UserIssued:
    """Create an account with a temporary password (changed at first sign-in) or a one-time invitation link."""
    issued = user_admin_service.create(
        session,
        who=who,
        username=body.username,
        display_name=body.display_name,
        role=body.role,
        compound_ids=body.compound_ids,
        organisation_id=body.organisation_id,
        invite=body.invite,
        password=body.password,
    )
    return issued_read(session, issued)


@router.get("/users/{user_id}", response_model=UserRead)
def get_user(user_id: int, who: UserManager, session: ReadSession) -> UserRead:
    return user_read(session, user_admin_service.get(session, who=who, user_id=user_id))


@router.patch("/users/{user_id}", response_model=UserRead)
def update_user(user_id: int, body: UserUpdate, who: UserManager, session: WriteSession) -> UserRead:
    """Change the display name, role or organisation of an account you may manage."""
    user = user_admin_service.update(
        session,
        who=who,
        user_id=user_id,
        display_name=body.display_name,
        role=body.role,
        organisation_id=body.organisation_id,
    )
    return user_read(session, user)


@router.put("/users/{user_id}/compounds", response_model=UserRead)
def set_user_compounds(user_id: int, body: CompoundGrants, who: UserManager, session: WriteSession) -> UserRead:
    """Replace the compounds an account works in (a manager grants only their own compounds)."""
    return user_read(
        session, user_admin_service.set_compounds(session, who=who, user_id=user_id, compound_ids=body.compound_ids)
    )


@router.post("/users/{user_id}/disable", response_model=UserRead)
def disable_user(user_id: int, who: UserManager, session: WriteSession) -> UserRead:
    """Disable an account: its sessions and API tokens stop working at once."""
    return user_read(session, user_admin_service.set_active(session, who=who, user_id=user_id, active=False))


@router.post("/users/{user_id}/enable", response_model=UserRead)
def enable_user(user_id: int, who: UserManager, session: WriteSession) -> UserRead:
    return user_read(session, user_admin_service.set_active(session, who=who, user_id=user_id, active=True))


@router.post("/users/{user_id}/reset-password", response_model=UserIssued)
def reset_password(user_id: int, body: PasswordReset, who: UserManager, session: WriteSession) -> UserIssued:
    """A new temporary password (changed at next sign-in) or a one-time link; the account's sessions end."""
    issued = user_admin_service.reset_password(session, who=who, user_id=user_id, link=body.link)
    return issued_read(session, issued)


@router.post("/me/password", status_code=204)
def change_my_password(body: PasswordChange, who: CurrentPrincipal, request: Request, session: WriteSession) -> None:
    """Change your own password (the current one is checked); your other sessions end."""
    auth = request.headers.get("authorization", "")
    token = auth[7:].strip() if auth.lower().startswith("bearer ") else request.cookies.get(SESSION_COOKIE)
    user_admin_service.change_own_password(
        session, who=who, current=body.current_password, new=body.new_password, keep_token=token
    )
