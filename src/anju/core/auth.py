"""Authentication: argon2 passwords, hashed tokens, the Principal, and dependencies."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Depends, Request, params
from sqlalchemy.orm import Session

from anju.core.deps import ReadSession
from anju.core.errors import Forbidden, PasswordChangeRequired, Unauthenticated
from anju.core.rbac import STAFF_ROLES, Permission, Role, allowed

_hasher = PasswordHasher()
SESSION_COOKIE = "anju_session"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Principal:
    user_id: int
    username: str
    display_name: str
    role: Role
    compound_ids: frozenset[int] = field(default_factory=frozenset)
    person_id: int | None = None
    house_ids: frozenset[int] = field(default_factory=frozenset)
    organisation_id: int | None = None
    locale: str = "zh-CN"
    must_change_password: bool = False  # signed in with a temporary password

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    def can(self, perm: Permission) -> bool:
        return allowed(self.role, perm)

    def require(self, perm: Permission) -> None:
        if not self.can(perm):
            raise Forbidden(f"role {self.role.value} may not {perm.value}", zh=f"角色无权限：{perm.value}")

    def in_scope(self, compound_id: int) -> bool:
        return compound_id in self.compound_ids


PrincipalLoader = Callable[[Session, str], "Principal | None"]
_principal_loader: PrincipalLoader | None = None


def set_principal_loader(loader: PrincipalLoader) -> None:
    """Register who turns a token into a Principal (accounts does, at start-up)."""
    global _principal_loader
    _principal_loader = loader


def load_principal(session: Session, token: str) -> Principal | None:
    if _principal_loader is None:
        raise RuntimeError("no principal loader registered: call anju.startup.register_all() at start-up")
    return _principal_loader(session, token)


def _token_from(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    return request.cookies.get(SESSION_COOKIE)


# Paths an account with a temporary password may still use (the password change itself, sign-out, /me).
PASSWORD_CHANGE_PATHS: set[str] = {"/api/v1/me", "/api/v1/me/password", "/api/v1/auth/logout", "/logout"}


def _check_password_change(request: Request, who: Principal) -> Principal:
    if who.must_change_password and request.url.path not in PASSWORD_CHANGE_PATHS:
        raise PasswordChangeRequired()
    return who


def current_principal(request: Request, session: ReadSession) -> Principal:
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return _check_password_change(request, cached)
    token = _token_from(request)
    who = load_principal(session, token) if token else None
    if who is None:
        raise Unauthenticated()
    request.state.principal = who
    return _check_password_change(request, who)


def optional_principal(request: Request, session: ReadSession) -> Principal | None:
    try:
        return current_principal(request, session)
    except Unauthenticated:
        return None


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def requires(perm: Permission) -> params.Depends:
    """The dependency marker for a caller who must hold `perm` (403 otherwise).

    Used in a type alias: `FeesReader = Annotated[Principal, requires(FeesPerm.read)]`, so type
    checkers see a `Principal` and FastAPI runs the check.
    """

    def dep(who: CurrentPrincipal) -> Principal:
        who.require(perm)
        return who

    return params.Depends(dep)
