"""Account request and response shapes."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from anju.core.rbac import Role
from anju.core.schemas import InSchema, Schema


class TokenRequest(InSchema):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class TokenResponse(Schema):
    access_token: str
    token_type: str = "bearer"
    role: Role


class MeRead(Schema):
    user_id: int
    username: str
    display_name: str
    role: Role
    compound_ids: list[int]
    house_ids: list[int]
    person_id: int | None
    permissions: list[str]


class DeviceCredentialCreate(InSchema):
    compound_id: int
    name: str = Field(min_length=1, max_length=64)
    device_kind: str = Field(min_length=1, max_length=32, pattern="^[a-z_]+$")


class DeviceCredentialIssued(Schema):
    id: int
    key_id: str
    secret: str = Field(description="shown once; store it on the device")
    compound_id: int
    created_at: datetime


class DeviceWhoAmI(Schema):
    key_id: str
    compound_id: int
    device_kind: str
