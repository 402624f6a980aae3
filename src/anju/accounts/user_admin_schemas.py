"""Request and response shapes of organisations, staff accounts and password changes."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from anju.core.rbac import Role
from anju.core.schemas import InSchema, Schema
from anju.registry.enums import OrganisationKind


class OrganisationCreate(InSchema):
    name: str = Field(min_length=1, max_length=128)
    kind: OrganisationKind


class OrganisationUpdate(InSchema):
    name: str | None = Field(default=None, min_length=1, max_length=128)
    kind: OrganisationKind | None = None


class OrganisationRead(Schema):
    id: int
    name: str
    kind: OrganisationKind
    compounds: int = 0


class UserCreate(InSchema):
    username: str = Field(min_length=3, max_length=64)
    display_name: str = Field(default="", max_length=64)
    role: Role
    compound_ids: list[int] = Field(default=[], max_length=200)
    organisation_id: int | None = None
    invite: bool = Field(default=False, description="send a one-time link instead of a temporary password")
    password: str | None = Field(
        default=None, max_length=256, description="a temporary password; omitted: one is generated"
    )


class UserUpdate(InSchema):
    display_name: str | None = Field(default=None, min_length=1, max_length=64)
    role: Role | None = None
    organisation_id: int | None = None


class CompoundGrants(InSchema):
    compound_ids: list[int] = Field(max_length=200)


class PasswordReset(InSchema):
    link: bool = Field(default=False, description="a one-time link instead of a temporary password")


class PasswordChange(InSchema):
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


class UserRead(Schema):
    id: int
    username: str
    display_name: str
    role: Role
    active: bool
    organisation_id: int | None
    compound_ids: list[int]
    must_change_password: bool
    last_login_at: datetime | None
    created_at: datetime


class UserIssued(UserRead):
    temporary_password: str | None = Field(default=None, description="shown once; changed at first sign-in")
    link: str | None = Field(default=None, description="one-time link path (shown once) to set the password")
