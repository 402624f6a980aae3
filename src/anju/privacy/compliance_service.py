"""R-P10: a processor of over 10 million people audits its personal-data compliance every two years,
and from 10 million people the important-data duties start (网络数据安全管理条例 第28条).

The count is platform-wide: the operating company is one processor for every compound it serves.
One human registered in several compounds is one person (matched by the ID-number blind index);
people without an ID number count once per record. Erased records are not counted.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from anju.core import events
from anju.core.auth import Principal
from anju.core.db import utcnow
from anju.core.errors import Conflict, Invalid
from anju.core.kit.china_time import china_date
from anju.privacy.config import privacy_settings
from anju.privacy.events import ComplianceDutyRaised
from anju.privacy.models import ComplianceAudit, ComplianceDuty
from anju.privacy.permissions import PrivacyPerm
from anju.privacy.schemas import ComplianceAuditCreate
from anju.registry.enums import PersonStatus
from anju.registry.models import Person

AUDIT = "audit"
IMPORTANT_DATA = "important_data"

# The important-data processor's duties the checklist tracks (网络数据安全管理条例 第28–33条).
IMPORTANT_DATA_CHECKLIST: tuple[tuple[str, str], ...] = (
    ("security_officer", "明确网络数据安全负责人和管理机构"),
    ("catalogue", "识别并申报重要数据目录"),
    ("risk_assessment", "每年开展网络数据安全风险评估并报送"),
    ("incident_plan", "制定数据安全事件应急预案并定期演练"),
    ("provision_review", "向他人提供、委托处理、共同处理前开展风险评估"),
    ("training", "开展网络数据安全教育培训"),
)


def people_count(session: Session) -> int:
    """Distinct people whose personal data the platform processes, across all compounds."""
    live = Person.status != PersonStatus.erased
    with_id = session.execute(
        select(func.count(func.distinct(Person.id_number_bidx))).where(live, Person.id_number_bidx.is_not(None))
    ).scalar_one()
    without_id = session.execute(
        select(func.count(Person.id)).where(live, Person.id_number_bidx.is_(None))
    ).scalar_one()
    return int(with_id) + int(without_id)


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


class ComplianceService:
    def open_duty(self, session: Session, kind: str) -> ComplianceDuty | None:
        return session.execute(
            select(ComplianceDuty).where(ComplianceDuty.kind == kind, ComplianceDuty.resolved_at.is_(None))
        ).scalar_one_or_none()

    def last_audit(self, session: Session) -> ComplianceAudit | None:
        return session.execute(
            select(ComplianceAudit).order_by(ComplianceAudit.performed_on.desc()).limit(1)
        ).scalar_one_or_none()

    def audit_due(self, session: Session, *, today: date) -> bool:
        """No audit yet, or the last one is two years old or more (每两年至少一次)."""
        last = self.last_audit(session)
        years = privacy_settings().audit_interval_years
        return last is None or last.performed_on <= _years_before(today, years)

    def check(self, session: Session, *, today: date, people: int | None = None) -> list[str]:
        """The daily job: raise the audit reminder and open the important-data checklist when due."""
        s = privacy_settings()
        n = people_count(session) if people is None else people
        raised = []
        if n >= s.important_data_people and self.open_duty(session, IMPORTANT_DATA) is None:
            already = session.execute(
                select(ComplianceDuty.id).where(ComplianceDuty.kind == IMPORTANT_DATA).limit(1)
            ).first()
            if already is None:  # the checklist starts once; it is then kept, not re-raised
                session.add(
                    ComplianceDuty(
                        kind=IMPORTANT_DATA,
                        people=n,
                        raised_at=utcnow(),
                        checklist={k: None for k, _ in IMPORTANT_DATA_CHECKLIST},
                    )
                )
                raised.append(IMPORTANT_DATA)
        if n > s.audit_people and self.audit_due(session, today=today) and self.open_duty(session, AUDIT) is None:
            session.add(ComplianceDuty(kind=AUDIT, people=n, raised_at=utcnow(), checklist={}))
            raised.append(AUDIT)
        session.flush()
        for kind in raised:
            events.publish(session, ComplianceDutyRaised(kind=kind, people=n))
        return raised

    def record_audit(self, session: Session, *, who: Principal, data: ComplianceAuditCreate) -> ComplianceAudit:
        """Record a completed audit: the open reminder is resolved."""
        who.require(PrivacyPerm.compliance)
        if data.performed_on > china_date():
            raise Invalid("an audit is recorded once performed", zh="审计完成后才能登记")
        audit = ComplianceAudit(
            performed_on=data.performed_on,
            auditor=data.auditor,
            report_ref=data.report_ref,
            recorded_by=who.user_id,
            recorded_at=utcnow(),
        )
        session.add(audit)
        duty = self.open_duty(session, AUDIT)
        if duty is not None:
            duty.resolved_at = utcnow()
        session.flush()
        return audit

    def tick_checklist(self, session: Session, *, who: Principal, item: str, done_on: date) -> ComplianceDuty:
        who.require(PrivacyPerm.compliance)
        duty = self.open_duty(session, IMPORTANT_DATA)
        if duty is None:
            raise Conflict("the important-data checklist has not started", zh="重要数据义务清单尚未启动")
        if item not in dict(IMPORTANT_DATA_CHECKLIST):
            raise Invalid(f"unknown checklist item {item!r}", zh="清单中没有该事项")
        duty.checklist = {**duty.checklist, item: done_on.isoformat()}
        session.flush()
        return duty

    def status(self, session: Session, *, who: Principal, today: date) -> dict[str, object]:
        who.require(PrivacyPerm.compliance)
        s = privacy_settings()
        last = self.last_audit(session)
        checklist = self.open_duty(session, IMPORTANT_DATA)
        reminder = self.open_duty(session, AUDIT)
        return {
            "people": people_count(session),
            "audit_threshold": s.audit_people,
            "important_data_threshold": s.important_data_people,
            "last_audit_on": last.performed_on if last else None,
            "audit_due": reminder is not None,
            "audit_reminder_raised_at": reminder.raised_at if reminder else None,
            "important_data_checklist": [
                {"item": k, "label": label, "done_on": (checklist.checklist or {}).get(k) if checklist else None}
                for k, label in IMPORTANT_DATA_CHECKLIST
            ]
            if checklist
            else [],
        }


compliance_service = ComplianceService()
