"""Organisations: the property companies that run compounds and the street offices that oversee them.

Only a platform admin creates or edits one; everyone else sees their own organisation. Every change is
in the change records.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from anju.core.audit import audited_update, record_change
from anju.core.auth import Principal
from anju.core.errors import Conflict, Forbidden, Invalid, NotFound
from anju.core.rbac import Role
from anju.registry.enums import OrganisationKind
from anju.registry.models import Compound, Organisation

# Organisations a console user may create; developers are only referenced by imported data.
CREATABLE_KINDS = (OrganisationKind.property_company, OrganisationKind.street_office)


def organisation_snapshot(o: Organisation) -> dict[str, Any]:
    return {"name": o.name, "kind": o.kind.value}


class _Row:
    """audited_update wants id and compound_id; an organisation belongs to no compound."""

    def __init__(self, org: Organisation) -> None:
        self.org = org

    @property
    def id(self) -> int:
        return self.org.id

    @property
    def compound_id(self) -> int | None:
        return None


class OrganisationService:
    def _require_admin(self, who: Principal) -> None:
        if who.role != Role.platform_admin:
            raise Forbidden("only a platform admin manages organisations", zh="仅平台管理员可管理机构")

    def list(self, session: Session, *, who: Principal, kind: OrganisationKind | None = None) -> list[Organisation]:
        """Every organisation for a platform admin; one's own organisation for anyone else."""
        stmt = select(Organisation).order_by(Organisation.kind, Organisation.name, Organisation.id)
        if kind is not None:
            stmt = stmt.where(Organisation.kind == kind)
        if who.role != Role.platform_admin:
            stmt = stmt.where(Organisation.id == who.organisation_id)
        return list(session.execute(stmt).scalars())

    def get(self, session: Session, *, who: Principal, organisation_id: int) -> Organisation:
        org = session.get(Organisation, organisation_id)
        if org is None or (who.role != Role.platform_admin and org.id != who.organisation_id):
            raise NotFound(f"organisation {organisation_id} not found", zh="未找到该机构")
        return org

    def _check(self, session: Session, *, name: str, kind: OrganisationKind, exclude: int | None = None) -> str:
        name = " ".join(name.split())
        if not name:
            raise Invalid("name is required", zh="请填写名称", fields=[{"field": "name", "message": "required"}])
        if kind not in CREATABLE_KINDS:
            raise Invalid(
                "kind must be property_company or street_office",
                zh="机构类型须为物业公司或街道办",
                fields=[{"field": "kind", "message": "not allowed"}],
            )
        stmt = select(Organisation.id).where(func.lower(Organisation.name) == name.lower(), Organisation.kind == kind)
        if exclude is not None:
            stmt = stmt.where(Organisation.id != exclude)
        if session.execute(stmt.limit(1)).first() is not None:
            raise Conflict(
                f"an organisation named {name} already exists",
                zh=f"已存在同名机构：{name}",
                fields=[{"field": "name", "message": "duplicate"}],
            )
        return name

    def create(self, session: Session, *, who: Principal, name: str, kind: OrganisationKind) -> Organisation:
        self._require_admin(who)
        name = self._check(session, name=name, kind=kind)
        org = Organisation(name=name, kind=kind)
        session.add(org)
        session.flush()
        record_change(
            session,
            user_id=who.user_id,
            compound_id=None,
            entity="organisation",
            entity_id=org.id,
            action="create",
            before=None,
            after=organisation_snapshot(org),
        )
        return org

    def update(
        self,
        session: Session,
        *,
        who: Principal,
        organisation_id: int,
        name: str | None = None,
        kind: OrganisationKind | None = None,
    ) -> Organisation:
        self._require_admin(who)
        org = self.get(session, who=who, organisation_id=organisation_id)
        new_kind = kind or org.kind
        new_name = self._check(session, name=name if name is not None else org.name, kind=new_kind, exclude=org.id)
        if new_kind != org.kind and self.compound_count(session, org.id):
            raise Conflict("the organisation runs or oversees compounds", zh="该机构已关联小区，不能更改类型")
        with audited_update(
            session,
            _Row(org),
            user_id=who.user_id,
            entity="organisation",
            snapshot=lambda r: organisation_snapshot(r.org),
        ):
            org.name = new_name
            org.kind = new_kind
        return org

    def compound_count(self, session: Session, organisation_id: int) -> int:
        stmt = select(func.count(Compound.id)).where(
            (Compound.property_org_id == organisation_id) | (Compound.street_org_id == organisation_id)
        )
        return int(session.execute(stmt).scalar_one())

    def compound_counts(self, session: Session) -> dict[int, int]:
        """Compounds per organisation (run or overseen)."""
        out: dict[int, int] = {}
        for col in (Compound.property_org_id, Compound.street_org_id):
            for org_id, n in session.execute(select(col, func.count()).where(col.is_not(None)).group_by(col)).all():
                if org_id is not None:  # excluded by the query; says so to the type checker
                    out[org_id] = out.get(org_id, 0) + int(n)
        return out


organisation_service = OrganisationService()
