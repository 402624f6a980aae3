"""Account pages: staff accounts and organisations (console), house-claim verification (console),
one's own password and one-time links (/account), and resident self-registration (H5)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from anju.accounts.models import User
from anju.accounts.permissions import AccountsPerm
from anju.accounts.registration_service import registration_service
from anju.accounts.user_admin_service import (
    CREATABLE,
    MANAGER_ASSIGNABLE,
    grants_of,
    user_admin_service,
)
from anju.core.audit import ObjectChange
from anju.core.auth import PASSWORD_CHANGE_PATHS, SESSION_COOKIE, Principal, optional_principal
from anju.core.config import get_settings
from anju.core.deps import ReadSession, WriteSession
from anju.core.errors import AppError, Forbidden
from anju.core.rbac import Role
from anju.registry.enums import OccupancyRole, OrganisationKind
from anju.registry.models import Compound
from anju.registry.organisations import organisation_service
from anju.registry.service import house_service
from anju.web.deps import ConsolePage, WebUser, console_guard, page_guard
from anju.web.forms import PostedForm, error_message, go_back, one_line, outcome, query_int
from anju.web.nav import home_for
from anju.web.render import render

router = APIRouter(include_in_schema=False)

UsersPage = Annotated[ConsolePage, Depends(console_guard(AccountsPerm.users_manage))]
ClaimsPage = Annotated[ConsolePage, Depends(console_guard(AccountsPerm.claims_verify))]
SelfServicePage = Annotated[Principal, Depends(page_guard(AccountsPerm.self_service))]

PASSWORD_CHANGE_PATHS.update({"/account/password"})


def _err(request: Request, exc: Exception) -> str:
    return error_message(request, exc, fallback="acct.err.invalid")


def _roles_for(who: Principal) -> list[Role]:
    allowed = CREATABLE if who.role == Role.platform_admin else MANAGER_ASSIGNABLE
    return [r for r in Role if r in allowed]


def _set_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(get_settings().session_ttl.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=get_settings().secure_cookie(request.url.scheme),
        path="/",
    )


# -- staff accounts ---------------------------------------------------------------------------------


def _users_context(session: Session, ctx: ConsolePage, **extra: Any) -> dict[str, Any]:
    users = user_admin_service.search(session, who=ctx.who)
    grants = user_admin_service.grants_by_user(session, [u.id for u in users])
    names = {c.id: c.name for c in session.execute(select(Compound)).scalars()}
    orgs = organisation_service.list(session, who=ctx.who)
    return ctx.context(
        "nav.users",
        users=users,
        grants=grants,
        compound_names=names,
        roles=_roles_for(ctx.who),
        orgs=orgs,
        manageable={
            u.id for u in users if user_admin_service.manageable(session, ctx.who, u) and u.id != ctx.who.user_id
        },
        form={},
        **extra,
    )


@router.get("/console/users")
def users_page(request: Request, ctx: UsersPage, session: ReadSession) -> Response:
    """Staff accounts with role, compounds, status and last sign-in; the form to create or invite one."""
    return render(request, "accounts/users.html", _users_context(session, ctx, **outcome(request)))


@router.post("/console/users")
def users_create(request: Request, ctx: UsersPage, session: WriteSession, form: PostedForm) -> Response:
    """Create an account (temporary password or invitation link, shown once on the page that answers)."""
    role_value = str(form.get("role") or "")
    compound_ids = [n for n in (query_int(str(v)) for v in form.getlist("compound_ids")) if n is not None]
    try:
        role = Role(role_value)
        issued = user_admin_service.create(
            session,
            who=ctx.who,
            username=str(form.get("username") or ""),
            display_name=str(form.get("display_name") or ""),
            role=role,
            compound_ids=compound_ids,
            organisation_id=query_int(str(form.get("organisation_id") or "")),
            invite=form.get("invite") == "1",
        )
    except (AppError, ValueError) as e:
        session.rollback()
        data = _users_context(session, ctx, err=_err(request, e))
        data["form"] = {k: form.get(k) for k in ("username", "display_name", "role", "invite")}
        data["form"]["compound_ids"] = compound_ids
        status = e.status_code if isinstance(e, AppError) else 422
        return render(request, "accounts/users.html", data, status_code=status)
    session.commit()
    link = str(request.base_url).rstrip("/") + issued.link_path if issued.link_path else None
    return render(
        request,
        "accounts/users.html",
        _users_context(session, ctx, issued=issued, issued_link=link, ok=None, err=None),
        status_code=201,
    )


def _user_detail(request: Request, session: Session, ctx: ConsolePage, user_id: int, **extra: Any) -> dict[str, Any]:
    user = user_admin_service.get(session, who=ctx.who, user_id=user_id)
    changes = list(
        session.execute(
            select(ObjectChange)
            .where(ObjectChange.entity == "user", ObjectChange.entity_id == user.id)
            .order_by(ObjectChange.id.desc())
            .limit(50)
        ).scalars()
    )
    actors = dict(
        session.execute(
            select(User.id, User.display_name).where(User.id.in_({c.user_id for c in changes if c.user_id}))
        ).all()
    )
    return ctx.context(
        "nav.users",
        user=user,
        grants=grants_of(session, user.id),
        all_compounds=ctx.compounds,
        roles=_roles_for(ctx.who),
        manageable=user_admin_service.manageable(session, ctx.who, user) and user.id != ctx.who.user_id,
        changes=changes,
        actors=actors,
        **{**outcome(request), **extra},
    )


@router.get("/console/users/{user_id}")
def user_page(request: Request, user_id: int, ctx: UsersPage, session: ReadSession) -> Response:
    """One account: name and role, compounds, disable/enable, password reset, and its change records."""
    return render(request, "accounts/user.html", _user_detail(request, session, ctx, user_id))


@router.post("/console/users/{user_id}")
def user_action(request: Request, user_id: int, ctx: UsersPage, session: WriteSession, form: PostedForm) -> Response:
    """One form per action: edit, compounds, disable, enable, reset (temporary password or link)."""
    action = str(form.get("action") or "")
    back = f"/console/users/{user_id}"
    try:
        if action == "edit":
            role = Role(str(form.get("role"))) if form.get("role") else None
            user_admin_service.update(
                session,
                who=ctx.who,
                user_id=user_id,
                display_name=str(form.get("display_name") or "") or None,
                role=role,
            )
        elif action == "compounds":
            ids = [n for n in (query_int(str(v)) for v in form.getlist("compound_ids")) if n is not None]
            user_admin_service.set_compounds(session, who=ctx.who, user_id=user_id, compound_ids=ids)
        elif action in ("disable", "enable"):
            user_admin_service.set_active(session, who=ctx.who, user_id=user_id, active=action == "enable")
        elif action in ("reset", "reset_link"):
            issued = user_admin_service.reset_password(
                session, who=ctx.who, user_id=user_id, link=action == "reset_link"
            )
            session.commit()
            link = str(request.base_url).rstrip("/") + issued.link_path if issued.link_path else None
            return render(
                request,
                "accounts/user.html",
                _user_detail(request, session, ctx, user_id, issued=issued, issued_link=link, ok=None),
            )
        else:
            raise Forbidden("unknown action")
    except (AppError, ValueError) as e:
        session.rollback()
        return go_back(request, back, err=_err(request, e))
    return go_back(request, back, ok=action)


# -- organisations ----------------------------------------------------------------------------------


@router.get("/console/organisations")
def organisations_page(request: Request, ctx: UsersPage, session: ReadSession) -> Response:
    """Property companies and street offices, with how many compounds each runs or oversees."""
    return render(
        request,
        "accounts/organisations.html",
        ctx.context(
            "nav.organisations",
            orgs=organisation_service.list(session, who=ctx.who),
            counts=organisation_service.compound_counts(session),
            kinds=[OrganisationKind.property_company, OrganisationKind.street_office],
            can_edit=ctx.who.role == Role.platform_admin,
            **outcome(request),
        ),
    )


@router.post("/console/organisations")
def organisations_save(
    request: Request,
    ctx: UsersPage,
    session: WriteSession,
    name: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    organisation_id: Annotated[str, Form()] = "",
) -> Response:
    """Create an organisation, or rename one when its id is given (platform admins only)."""
    try:
        k = OrganisationKind(kind)
        oid = query_int(organisation_id)
        if oid is None:
            organisation_service.create(session, who=ctx.who, name=name, kind=k)
        else:
            organisation_service.update(session, who=ctx.who, organisation_id=oid, name=name, kind=k)
    except (AppError, ValueError) as e:
        session.rollback()
        return go_back(request, "/console/organisations", err=_err(request, e))
    return go_back(request, "/console/organisations", ok="saved")


# -- house claims (staff) ---------------------------------------------------------------------------


@router.get("/console/claims")
def claims_page(request: Request, ctx: ClaimsPage, session: ReadSession, status: str = "pending") -> Response:
    """Residents' house claims beside each house's roster (the claimant's phone is marked when it matches)."""
    if ctx.compound is None:
        return render(request, "console/empty.html", ctx.context("nav.claims"))
    status = status if status in ("pending", "verified", "rejected", "all") else "pending"
    claims = registration_service.queue(session, who=ctx.who, compound_id=ctx.compound.id, status=status)
    return render(
        request,
        "accounts/claims.html",
        ctx.context(
            "nav.claims",
            claims=claims,
            status=status,
            labels=house_service.labels(session, house_ids={c.house_id for c in claims}),
            roster=registration_service.roster_matches(session, claims),
            **outcome(request),
        ),
    )


@router.post("/console/claims/{claim_id}")
def claims_decide(
    request: Request,
    claim_id: int,
    ctx: ClaimsPage,
    session: WriteSession,
    action: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    try:
        if action == "verify":
            registration_service.verify(session, who=ctx.who, claim_id=claim_id)
        else:
            registration_service.reject(session, who=ctx.who, claim_id=claim_id, reason=one_line(reason, limit=255))
    except AppError as e:
        session.rollback()
        return go_back(request, "/console/claims", err=_err(request, e))
    return go_back(request, "/console/claims", ok="verified" if action == "verify" else "rejected")


# -- own password and one-time links ----------------------------------------------------------------


@router.get("/account/password")
def password_page(request: Request, who: WebUser) -> Response:
    """Change your own password (required after a temporary password)."""
    return render(request, "accounts/password.html", {"who": who, "error": None, "home": home_for(who)})


@router.post("/account/password")
def password_change(
    request: Request,
    who: WebUser,
    session: WriteSession,
    current_password: Annotated[str, Form()] = "",
    new_password: Annotated[str, Form()] = "",
    confirm_password: Annotated[str, Form()] = "",
) -> Response:
    ctx = {"who": who, "home": home_for(who)}
    if new_password != confirm_password:
        return render(request, "accounts/password.html", {**ctx, "error": "acct.err.mismatch_text"}, status_code=422)
    try:
        user_admin_service.change_own_password(
            session,
            who=who,
            current=current_password,
            new=new_password,
            keep_token=request.cookies.get(SESSION_COOKIE),
        )
    except AppError as e:
        session.rollback()
        return render(
            request, "accounts/password.html", {**ctx, "error_text": _err(request, e)}, status_code=e.status_code
        )
    return RedirectResponse(home_for(who) + "?ok=password", status_code=303)


@router.get("/account/link/{token}")
def link_page(request: Request, token: str, session: ReadSession) -> Response:
    """Set a password through a one-time invitation or reset link."""
    link = user_admin_service.link(session, token)
    user = session.get(User, link.user_id)
    return render(request, "accounts/link.html", {"token": token, "user": user, "purpose": link.purpose})


@router.post("/account/link/{token}")
def link_use(
    request: Request,
    token: str,
    session: WriteSession,
    new_password: Annotated[str, Form()] = "",
    confirm_password: Annotated[str, Form()] = "",
) -> Response:
    link = user_admin_service.link(session, token)
    user = session.get(User, link.user_id)
    ctx = {"token": token, "user": user, "purpose": link.purpose}
    if new_password != confirm_password:
        return render(request, "accounts/link.html", {**ctx, "error_text": None, "mismatch": True}, status_code=422)
    try:
        user_admin_service.use_link(session, token=token, new=new_password)
    except AppError as e:
        session.rollback()
        return render(request, "accounts/link.html", {**ctx, "error_text": _err(request, e)}, status_code=e.status_code)
    return RedirectResponse("/login?ok=password", status_code=303)


# -- resident self-registration (H5) ----------------------------------------------------------------


@router.get("/h5/register")
def register_page(request: Request, session: ReadSession, phone: str = "") -> Response:
    """Sign up or sign in with a phone number and an SMS code."""
    who = optional_principal(request, session)
    if who is not None and who.role in (Role.resident, Role.committee_member):
        return RedirectResponse("/h5/claims", status_code=303)
    return render(request, "accounts/h5_register.html", {"phone": phone[:32], "sent": False, "error_text": None})


@router.post("/h5/register")
def register_submit(
    request: Request,
    session: WriteSession,
    phone: Annotated[str, Form()] = "",
    code: Annotated[str, Form()] = "",
) -> Response:
    """Without a code: send one. With a code: sign in (a new phone gets a resident account) and go to the claim."""
    ip = request.client.host if request.client else None
    phone = phone.strip()[:32]
    try:
        if not code.strip():
            registration_service.request_code(session, phone=phone, ip=ip)
            return render(request, "accounts/h5_register.html", {"phone": phone, "sent": True, "error_text": None})
        token, user = registration_service.sign_in(session, phone=phone, code=code.strip()[:8], ip=ip, kind="web")
    except AppError as e:
        session.rollback()
        return render(
            request,
            "accounts/h5_register.html",
            {"phone": phone, "sent": bool(code.strip()), "error_text": _err(request, e)},
            status_code=e.status_code,
        )
    session.commit()
    response = RedirectResponse("/h5/claims" if user.person_id is None else "/h5", status_code=303)
    _set_cookie(request, response, token)
    return response


def _h5_claims_context(session: Session, who: Principal, **extra: Any) -> dict[str, Any]:
    mine = registration_service.mine(session, who=who)
    waiting = registration_service.for_owner(session, who=who)
    labels = house_service.labels(session, house_ids={c.house_id for c in mine + waiting})
    names = {c.id: c.name for c in registration_service.compounds(session)}
    return {
        "who": who,
        "title_key": "acct.h5.claims",
        "mine": mine,
        "waiting": waiting,
        "labels": labels,
        "compound_names": names,
        "compounds": registration_service.compounds(session),
        "roles": list(OccupancyRole),
        "form": {},
        "error_text": None,
        **extra,
    }


@router.get("/h5/claims")
def claims_h5(request: Request, who: SelfServicePage, session: ReadSession) -> Response:
    """Claim a house, see my claims, and (as an owner) approve family members and tenants."""
    return render(request, "accounts/h5_claims.html", _h5_claims_context(session, who, **outcome(request)))


@router.post("/h5/claims")
def claims_h5_submit(
    request: Request,
    who: SelfServicePage,
    session: WriteSession,
    compound_id: Annotated[str, Form()] = "",
    house_label: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    lease_end: Annotated[str, Form()] = "",
) -> Response:
    form: dict[str, Any] = {
        "compound_id": query_int(compound_id),
        "house_label": house_label,
        "name": name,
        "role": role,
    }
    try:
        try:
            r = OccupancyRole(role)
            end = date.fromisoformat(lease_end) if lease_end.strip() else None
        except ValueError:
            raise ValueError("role or date") from None
        registration_service.claim(
            session,
            who=who,
            compound_id=form["compound_id"] or 0,
            house_label=house_label[:32],
            name=name[:64],
            role=r,
            lease_end=end,
        )
    except (AppError, ValueError) as e:
        session.rollback()
        status = e.status_code if isinstance(e, AppError) else 422
        data = _h5_claims_context(session, who, form=form, error_text=_err(request, e))
        return render(request, "accounts/h5_claims.html", data, status_code=status)
    return go_back(request, "/h5/claims", ok="claimed")


@router.post("/h5/claims/{claim_id}")
def claims_h5_decide(
    request: Request,
    claim_id: int,
    who: SelfServicePage,
    session: WriteSession,
    action: Annotated[str, Form()] = "",
) -> Response:
    """The owner approves or refuses a family member's or tenant's claim to their house."""
    try:
        if action == "approve":
            registration_service.verify(session, who=who, claim_id=claim_id)
        else:
            registration_service.reject(session, who=who, claim_id=claim_id, reason=None)
    except AppError as e:
        session.rollback()
        return go_back(request, "/h5/claims", err=_err(request, e))
    return go_back(request, "/h5/claims", ok="approved" if action == "approve" else "rejected")
