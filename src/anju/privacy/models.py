"""Record of processing, data-subject requests and consents (PIPL)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from anju.core.db import Base, UTCDateTime, utcnow
from anju.core.mixins import CompoundScopedMixin, TimestampedMixin


class ProcessingRecord(TimestampedMixin, Base):
    """One declared personal-data field: purpose, legal basis, sensitivity, retention (R-P1)."""

    __tablename__ = "processing_record"
    __table_args__ = (UniqueConstraint("field"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    field: Mapped[str] = mapped_column(String(64))  # "person.phone"
    category: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(255))
    legal_basis: Mapped[str] = mapped_column(String(128))
    sensitivity: Mapped[str] = mapped_column(String(16))  # normal | sensitive
    retention: Mapped[str] = mapped_column(String(128))
    retention_days: Mapped[int | None] = mapped_column(Integer)
    needs_separate_consent: Mapped[bool] = mapped_column(default=False)


class PrivacyRequest(CompoundScopedMixin, TimestampedMixin, Base):
    """A data-subject request tracked against its deadline (R-P2)."""

    __tablename__ = "privacy_request"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    kind: Mapped[str] = mapped_column(String(16))  # access|correct|delete|withdraw|close|explain
    detail: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="open", index=True)  # open|done|refused
    due_on: Mapped[date] = mapped_column(Date, index=True)
    overdue_flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    resolution: Mapped[str | None] = mapped_column(Text)  # a refusal records its reason
    # Why the person asks, where the law gives the ground weight: "face_terms_breached" (R-F6).
    ground: Mapped[str | None] = mapped_column(String(32))


class Consent(CompoundScopedMixin, Base):
    """A separate consent for one purpose; withdrawal is a new state, not a delete."""

    __tablename__ = "consent"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(64))  # "face", "publish_name", "health"
    notice_version: Mapped[str] = mapped_column(String(32))
    given_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    given_by: Mapped[str] = mapped_column(String(16), default="self")  # self | guardian
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class MinorAccessApproval(CompoundScopedMixin, Base):
    """A staff member's request to see one minor's unmasked data, and a second person's decision (R-P6).

    The requester never approves their own request. An approval is good for one
    requester, one person and a limited time; every reveal under it is still
    written to the PII access log.
    """

    __tablename__ = "minor_access_approval"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    requested_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    reason: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status: Mapped[str] = mapped_column(String(12), default="requested", index=True)  # requested|approved|rejected
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_note: Mapped[str | None] = mapped_column(String(200))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class BreachIncident(CompoundScopedMixin, TimestampedMixin, Base):
    """A personal-data breach (泄露、篡改、丢失) and its notices to the regulator and to individuals (R-P7).

    PIPL 57: the record names the data types, the cause, the possible harm, the remedies taken,
    what individuals can do to reduce the harm, and how to reach the processor. State flow:
    recorded → notifying (one notice out) → notified (both out, or the individual notice waived
    with its reason) → closed.
    """

    __tablename__ = "privacy_breach"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    discovered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    data_types: Mapped[list[str]] = mapped_column(JSON)
    cause: Mapped[str] = mapped_column(Text)
    possible_harm: Mapped[str] = mapped_column(Text)
    remedies: Mapped[str] = mapped_column(Text)
    advice: Mapped[str] = mapped_column(Text)  # what individuals can do to reduce the harm
    contacts: Mapped[str] = mapped_column(Text)  # the processor's contact for the people affected
    affected_people: Mapped[list[int]] = mapped_column(JSON)  # person ids in this compound
    affected_count: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default="recorded", index=True)
    regulator_due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    individuals_due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    regulator_notice: Mapped[str | None] = mapped_column(Text)
    regulator_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    regulator_ref: Mapped[str | None] = mapped_column(String(64))  # the regulator's receipt number
    individual_notice: Mapped[str | None] = mapped_column(Text)
    individuals_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    waiver_reason: Mapped[str | None] = mapped_column(Text)  # PIPL 57 para 2: remedies avoid the harm
    overdue_flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ThirdParty(CompoundScopedMixin, TimestampedMixin, Base):
    """A named recipient personal data may be provided to (a merchant, an insurer): R-P8, PIPL 23."""

    __tablename__ = "privacy_third_party"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))  # merchant | insurer | other
    contact: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class SharingConsent(CompoundScopedMixin, Base):
    """A person's separate consent to provide named data types to one recipient for one purpose (R-P8)."""

    __tablename__ = "privacy_sharing_consent"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("privacy_third_party.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(200))
    data_types: Mapped[list[str]] = mapped_column(JSON)
    notice_version: Mapped[str] = mapped_column(String(32))
    given_by: Mapped[str] = mapped_column(String(16), default="self")  # self | guardian | paper (staff-entered)
    given_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SharingRecord(CompoundScopedMixin, Base):
    """One provision of a person's data to a third party, under the consent that allowed it (R-P8)."""

    __tablename__ = "privacy_sharing"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("privacy_third_party.id"))
    consent_id: Mapped[int] = mapped_column(ForeignKey("privacy_sharing_consent.id"))
    purpose: Mapped[str] = mapped_column(String(200))
    data_types: Mapped[list[str]] = mapped_column(JSON)
    shared_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    shared_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class VendorContract(CompoundScopedMixin, TimestampedMixin, Base):
    """A processor agreement (委托处理, PIPL 21): at its end the vendor returns or deletes the data (R-P8).

    active → ended (disposal due within `disposal_days`) → disposed (the return or deletion recorded).
    """

    __tablename__ = "privacy_vendor_contract"
    id: Mapped[int] = mapped_column(primary_key=True)
    vendor: Mapped[str] = mapped_column(String(128))
    purpose: Mapped[str] = mapped_column(String(200))
    data_types: Mapped[list[str]] = mapped_column(JSON)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date, index=True)
    at_end: Mapped[str] = mapped_column(String(8))  # return | delete
    disposal_days: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default="active", index=True)  # active|ended|disposed
    ended_on: Mapped[date | None] = mapped_column(Date)
    disposal_due_on: Mapped[date | None] = mapped_column(Date)
    disposal_overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    disposed_on: Mapped[date | None] = mapped_column(Date)
    disposal_method: Mapped[str | None] = mapped_column(String(8))  # returned | deleted
    disposal_evidence: Mapped[str | None] = mapped_column(Text)
    disposal_recorded_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class ComplianceAudit(Base):
    """A personal-information protection compliance audit of the whole platform (R-P10)."""

    __tablename__ = "privacy_compliance_audit"
    id: Mapped[int] = mapped_column(primary_key=True)
    performed_on: Mapped[date] = mapped_column(Date, index=True)
    auditor: Mapped[str] = mapped_column(String(128))
    report_ref: Mapped[str] = mapped_column(String(128))
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ComplianceDuty(Base):
    """A platform-wide duty the people count triggered (R-P10): the biennial audit or the important-data checklist.

    One open row per kind; `checklist` holds each important-data item's completion date.
    """

    __tablename__ = "privacy_compliance_duty"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)  # audit | important_data
    people: Mapped[int] = mapped_column(Integer)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    checklist: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
