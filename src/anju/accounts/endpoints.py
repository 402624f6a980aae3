"""Sign-in, the caller's own view (我的), and device credentials."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response

from anju.accounts.permissions import AccountsPerm
from anju.accounts.schemas import (
    DeviceCredentialCreate,
    DeviceCredentialIssued,
    DeviceWhoAmI,
    MeRead,
    TokenRequest,
    TokenResponse,
)
from anju.accounts.service import account_service
from anju.core.auth import SESSION_COOKIE, CurrentPrincipal, Principal, requires
from anju.core.deps import ReadSession, WriteSession
from anju.core.errors import ErrorBody, NotFound, RateLimited, Unauthenticated
from anju.core.kit.china_time import china_date
from anju.core.rbac import permissions_of
from anju.devices.permissions import DevicesPerm
from anju.privacy.schemas import MyData, PrivacyRequestCreate, PrivacyRequestRead
from anju.privacy.service import privacy_service
from anju.registry.schemas import Household
from anju.registry.service import house_service

router = APIRouter(tags=["accounts"])
SelfService = Annotated[Principal, requires(AccountsPerm.self_service)]
DeviceManager = Annotated[Principal, requires(DevicesPerm.manage)]
public_router = APIRouter(tags=["accounts"])


@public_router.post(
    "/auth/token",
    response_model=TokenResponse,
    responses={401: {"model": ErrorBody}, 429: {"model": ErrorBody}},
)
def issue_token(body: TokenRequest, request: Request, session: WriteSession) -> TokenResponse:
    """Exchange a username and password for an API bearer token (rate-limited)."""
    try:
        token, user = account_service.login(
            session,
            username=body.username,
            password=body.password,
            kind="api",
            ip=request.client.host if request.client else None,
        )
    except (Unauthenticated, RateLimited):
        session.commit()  # the failed attempt must be kept for rate limiting
        raise
    return TokenResponse(access_token=token, role=user.role)


@router.post("/auth/logout", status_code=204)
def logout(who: CurrentPrincipal, request: Request, session: WriteSession) -> Response:
    """End the session used for this request: the bearer token, or the web session cookie (which is cleared)."""
    auth = request.headers.get("authorization", "")
    # The same token the caller was authenticated with: the bearer header first, else the cookie.
    token = auth[7:].strip() if auth.lower().startswith("bearer ") else request.cookies.get(SESSION_COOKIE)
    if token:
        account_service.logout(session, token=token)
    response = Response(status_code=204)
    if request.cookies.get(SESSION_COOKIE):
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response


@router.get("/me", response_model=MeRead)
def me(who: CurrentPrincipal) -> MeRead:
    """Who the caller is, their compounds and permissions."""
    return MeRead(
        user_id=who.user_id,
        username=who.username,
        display_name=who.display_name,
        role=who.role,
        compound_ids=sorted(who.compound_ids),
        house_ids=sorted(who.house_ids),
        person_id=who.person_id,
        permissions=sorted(p.value for p in permissions_of(who.role)),
    )


@router.get("/me/household", response_model=list[Household])
def my_household(who: SelfService, session: ReadSession) -> list[Household]:
    """The caller's own household(s): house, members (masked) and vehicles."""
    return [house_service.household(session, h) for h in house_service.mine(session, who=who)]


@router.get("/me/export", response_model=MyData)
def export_my_data(who: SelfService, session: WriteSession) -> dict[str, Any]:
    """Everything Anju holds about the caller (PIPL 45); the read is logged."""
    return privacy_service.export_mine(session, who=who)


@router.get("/me/privacy-requests", response_model=list[PrivacyRequestRead])
def my_requests(who: SelfService, session: ReadSession) -> list[PrivacyRequestRead]:
    """The caller's data-subject requests and their deadlines."""
    today = china_date()  # the same clock as due_on and the overdue job
    return [
        PrivacyRequestRead.model_validate(r).model_copy(update={"overdue": r.status == "open" and r.due_on < today})
        for r in privacy_service.mine(session, who=who)
    ]


@router.post("/me/privacy-requests", response_model=PrivacyRequestRead, status_code=201)
def create_request(body: PrivacyRequestCreate, who: SelfService, session: WriteSession) -> PrivacyRequestRead:
    """Ask to access, correct, delete, withdraw consent, close the account or get an explanation."""
    return PrivacyRequestRead.model_validate(privacy_service.create_request(session, who=who, data=body))


@router.post(
    "/device-credentials",
    response_model=DeviceCredentialIssued,
    status_code=201,
)
def issue_device_credential(
    body: DeviceCredentialCreate, who: DeviceManager, session: WriteSession
) -> DeviceCredentialIssued:
    """Issue a device its own key id and secret (the secret is shown once)."""
    if not who.in_scope(body.compound_id):
        raise NotFound(f"compound {body.compound_id} not found", zh="未找到该小区")
    cred, secret = account_service.create_device_credential(
        session, compound_id=body.compound_id, name=body.name, device_kind=body.device_kind
    )
    return DeviceCredentialIssued(
        id=cred.id, key_id=cred.key_id, secret=secret, compound_id=cred.compound_id, created_at=cred.created_at
    )


@public_router.get(
    "/device/whoami",
    response_model=DeviceWhoAmI,
    responses={401: {"model": ErrorBody}},
)
def device_whoami(
    session: ReadSession,
    x_device_key: Annotated[str | None, Header(max_length=64)] = None,
    x_device_secret: Annotated[str | None, Header(max_length=256)] = None,
) -> DeviceWhoAmI:
    """Check a device credential (devices authenticate with X-Device-Key / X-Device-Secret)."""
    # Missing credentials are "unauthenticated" (401), like a missing bearer token, not a 422.
    if not x_device_key or not x_device_secret:
        raise Unauthenticated("device credential required", zh="缺少设备凭据")
    cred = account_service.authenticate_device(session, key_id=x_device_key, secret=x_device_secret)
    return DeviceWhoAmI(key_id=cred.key_id, compound_id=cred.compound_id, device_kind=cred.device_kind)
