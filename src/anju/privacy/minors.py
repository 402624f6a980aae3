"""Minors' personal data: unmasking it needs a second person's approval (R-P6).

A staff member asks, with a reason, to see one minor's unmasked numbers; a
different user holding privacy.manage approves or rejects. The approval is
bound to the requester and the person and expires (settings.minor_access_ttl).
The person themselves is never blocked from their own data.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from anju.core.auth import Principal
from anju.core.config import get_settings
from anju.core.db import utcnow
from anju.core.errors import Conflict, Forbidden, NotFound
from anju.core.kit.china_time import china_date
from anju.privacy.models import MinorAccessApproval
from anju.privacy.permissions import PrivacyPerm
from anju.registry.models import Person
from anju.registry.permissions import RegistryPerm


def is_minor(person: Person, today: date) -> bool:
    """Younger than settings.minor_age today; an unknown birth date is not treated as a minor."""
    born = person.birth_date
    if born is None:
        return False
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return age < get_settings().minor_age


class MinorApprovalRequired(Forbidden):
    code = "minor_approval_required"

    def __init__(self, person_id: int) -> None:
        super().__init__(
            f"person {person_id} is a minor: unmasking needs an approved request (POST /api/v1/privacy/minor-access)",
            zh="该人员为未成年人，查看完整信息须先提交申请并经他人审批",
        )


class MinorAccessService:
    def request(self, session: Session, *, who: Principal, person: Person, reason: str) -> MinorAccessApproval:
        """Ask to unmask one minor; the caller must be allowed to unmask at all."""
        who.require(RegistryPerm.people_unmask)
        if not is_minor(person, china_date()):
            raise Conflict("this person is not a minor; no approval is needed", zh="该人员不是未成年人，无需审批")
        row = MinorAccessApproval(
            compound_id=person.compound_id, person_id=person.id, requested_by=who.user_id, reason=reason.strip()
        )
        session.add(row)
        session.flush()
        return row

    def decide(
        self, session: Session, *, who: Principal, approval_id: int, approve: bool, note: str | None
    ) -> MinorAccessApproval:
        """Approve or reject; never by the requester, and only once (compare-and-set)."""
        who.require(PrivacyPerm.manage)
        row = session.get(MinorAccessApproval, approval_id)
        if row is None or not who.in_scope(row.compound_id):
            raise NotFound(f"minor-access request {approval_id} not found", zh="未找到该审批申请")
        if row.requested_by == who.user_id:
            raise Forbidden("the requester may not approve their own request", zh="申请人不能审批自己的申请")
        now = utcnow()
        values = {
            "status": "approved" if approve else "rejected",
            "decided_by": who.user_id,
            "decided_at": now,
            "decision_note": note,
            "expires_at": now + get_settings().minor_access_ttl if approve else None,
        }
        res = session.execute(
            update(MinorAccessApproval)
            .where(MinorAccessApproval.id == row.id, MinorAccessApproval.status == "requested")
            .values(**values)
        )
        if res.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict("this request was already decided", zh="该申请已审批")
        session.refresh(row)
        return row

    def pending(self, session: Session, *, who: Principal) -> list[MinorAccessApproval]:
        who.require(PrivacyPerm.manage)
        return list(
            session.execute(
                select(MinorAccessApproval)
                .where(MinorAccessApproval.compound_id.in_(who.compound_ids), MinorAccessApproval.status == "requested")
                .order_by(MinorAccessApproval.requested_at)
            ).scalars()
        )

    def require_approval(self, session: Session, *, who: Principal, person: Person) -> int | None:
        """The approval id that lets `who` unmask `person` now, None when none is needed; else refuse."""
        if person.id == who.person_id or not is_minor(person, china_date()):
            return None
        approval_id = session.execute(
            select(MinorAccessApproval.id)
            .where(
                MinorAccessApproval.person_id == person.id,
                MinorAccessApproval.requested_by == who.user_id,
                MinorAccessApproval.status == "approved",
                MinorAccessApproval.expires_at > utcnow(),
            )
            .order_by(MinorAccessApproval.expires_at.desc())
            .limit(1)
        ).scalar_one_or_none()
        if approval_id is None:
            raise MinorApprovalRequired(person.id)
        return approval_id


minor_access = MinorAccessService()
