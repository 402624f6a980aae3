"""First run: the operating organisation and its first platform admin on an empty database."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.accounts.models import User
from anju.accounts.service import AccountService
from anju.core.rbac import Role
from anju.registry.models import Organisation

MIN_PASSWORD_LENGTH = 10
# Passwords published in this project's own docs or found at the top of every leaked-password list.
KNOWN_PASSWORDS = frozenset(
    {"anju2026!", "password", "password1", "12345678", "123456789", "1234567890", "qwertyuiop", "admin123456"}
)


class WeakPassword(ValueError):
    """The first admin's password was refused; the message says why."""


def password_problems(password: str, *, username: str) -> list[str]:
    """What is wrong with a password for a privileged account (empty when it is acceptable)."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"at least {MIN_PASSWORD_LENGTH} characters")
    classes = sum(
        (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )
    if classes < 3:
        problems.append("at least three of: lower case, upper case, digits, symbols")
    if password.lower() in KNOWN_PASSWORDS:
        problems.append("not a published or common password")
    if username and username.lower() in password.lower():
        problems.append("must not contain the user name")
    return problems


@dataclass(frozen=True)
class InitResult:
    created: bool  # False: the platform was already initialised and nothing changed
    username: str
    organisation: str


def init_platform(session: Session, *, organisation: str, username: str, password: str) -> InitResult:
    """Create the operating company and its first platform admin, once; a second run changes nothing."""
    existing = session.scalars(
        select(User).where(User.role == Role.platform_admin).order_by(User.id).limit(1)
    ).one_or_none()
    if existing is not None:
        org = session.get(Organisation, existing.organisation_id) if existing.organisation_id else None
        return InitResult(created=False, username=existing.username, organisation=org.name if org else "")
    problems = password_problems(password, username=username)
    if problems:
        raise WeakPassword("password refused: " + "; ".join(problems))
    from anju.registry.enums import OrganisationKind

    org = Organisation(name=organisation, kind=OrganisationKind.property_company)
    session.add(org)
    session.flush()
    AccountService().create_user(
        session,
        username=username,
        password=password,
        role=Role.platform_admin,
        display_name=username,
        organisation_id=org.id,
    )
    return InitResult(created=True, username=username, organisation=organisation)
