"""The record of processing: every personal-data field, declared once (R-P1).

The test suite checks that every column holding personal data appears here, and
`sync_catalog` keeps the `processing_record` table equal to this list.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class FieldDecl:
    field: str
    category: str
    purpose: str
    legal_basis: str
    sensitivity: str
    retention: str
    retention_days: int | None
    needs_separate_consent: bool = False


_CONTRACT = "PIPL 13(2) contract performance (property service contract)"
_DUTY = "PIPL 13(3) legal duty (resident registration, public security)"
DEPARTED_RETENTION_DAYS = 180
_WHILE = f"while resident, then {DEPARTED_RETENTION_DAYS} days"
PARKING_DAYS = 180  # anju.parking.config retention_days (R-A9 access-log floor)
INBOX_DAYS = 365  # anju.notify.config inbox_retention_days
_PARKING = f"{PARKING_DAYS} days after the capture or the end of the stay"

CATALOG: tuple[FieldDecl, ...] = (
    FieldDecl(
        "person.name", "identity", "identify residents for service and access", _CONTRACT, "normal", _WHILE, None
    ),
    FieldDecl("person.gender", "identity", "population structure statistics", _DUTY, "normal", _WHILE, None),
    FieldDecl(
        "person.birth_date", "identity", "care for elderly and minors; age statistics", _DUTY, "sensitive", _WHILE, None
    ),
    FieldDecl("person.phone", "contact", "contact for repairs, alarms and notices", _CONTRACT, "normal", _WHILE, None),
    FieldDecl(
        "person.id_number",
        "identity",
        "resident registration required by the street office",
        _DUTY,
        "sensitive",
        _WHILE,
        None,
    ),
    FieldDecl(
        "person.population_type",
        "identity",
        "registered vs floating population statistics",
        _DUTY,
        "normal",
        _WHILE,
        None,
    ),
    FieldDecl(
        "person_tag.tag",
        "vulnerability",
        "care for elderly living alone, disabled, minors",
        _DUTY,
        "sensitive",
        _WHILE,
        None,
    ),
    FieldDecl(
        "emergency_contact.name",
        "contact",
        "reach family in an emergency",
        "PIPL 13(4) protect life",
        "normal",
        _WHILE,
        None,
    ),
    FieldDecl(
        "emergency_contact.phone",
        "contact",
        "reach family in an emergency",
        "PIPL 13(4) protect life",
        "normal",
        _WHILE,
        None,
    ),
    FieldDecl(
        "occupancy.house_id",
        "residence",
        "link residents to houses for service and access",
        _CONTRACT,
        "normal",
        _WHILE,
        None,
    ),
    FieldDecl("vehicle.plate", "vehicle", "vehicle access and parking", _CONTRACT, "normal", _WHILE, None),
    # Parking (issue 13): plates at the lanes say where a car (and so a person) was: kept PARKING_DAYS.
    FieldDecl(
        "lane_event.plate", "whereabouts", "decide at a parking lane", _CONTRACT, "normal", _PARKING, PARKING_DAYS
    ),
    FieldDecl(
        "lane_event.camera_plate",
        "whereabouts",
        "decide at a parking lane (the camera's own read)",
        _CONTRACT,
        "normal",
        _PARKING,
        PARKING_DAYS,
    ),
    FieldDecl(
        "lane_event.had_image",
        "whereabouts",
        "whether a lane capture carried a photo (the photo itself is not stored)",
        _CONTRACT,
        "normal",
        _PARKING,
        PARKING_DAYS,
    ),
    FieldDecl(
        "parking_session.plate",
        "whereabouts",
        "parking stays, temporary parking fees, zombie cars",
        _CONTRACT,
        "normal",
        _PARKING,
        PARKING_DAYS,
    ),
    FieldDecl(
        "visitor_car.plate", "visitor", "let a resident's visitor car in", _CONTRACT, "normal", _PARKING, PARKING_DAYS
    ),
    FieldDecl(
        "parking_blacklist.plate",
        "vehicle",
        "refuse a barred car at the lanes",
        "PIPL 13(6) legitimate interest of the community's safety (property service contract)",
        "normal",
        "until removed from the list",
        None,
    ),
    FieldDecl(
        "fire_lane_stop.plate",
        "whereabouts",
        "clear a fire lane (消防法 第28条)",
        _DUTY,
        "normal",
        _PARKING,
        PARKING_DAYS,
    ),
    FieldDecl("app_user.username", "account", "sign in", _CONTRACT, "normal", "while the account exists", None),
    FieldDecl(
        "app_user.display_name",
        "account",
        "show who acted (a resident's display name is their name)",
        _CONTRACT,
        "normal",
        "while the account exists",
        None,
    ),
    FieldDecl(
        "app_user.phone",
        "account",
        "sign in with a text-message code; reach the account holder",
        _CONTRACT,
        "normal",
        "while the account exists",
        None,
    ),
    FieldDecl(
        "phone_code.phone",
        "security log",
        "check sign-in codes and limit how often one phone may ask for them",
        "PIPL 13(3) 网络安全法 21",
        "normal",
        "1 day",
        1,
    ),
    FieldDecl(
        "house_claim.name",
        "identity",
        "staff or the owner check a self-registered resident against the roster",
        _CONTRACT,
        "normal",
        "while the account exists",
        None,
    ),
    FieldDecl(
        "login_attempt.username",
        "security log",
        "detect password guessing",
        "PIPL 13(3) 网络安全法 21",
        "normal",
        "30 days",
        30,
    ),
    FieldDecl(
        "login_attempt.ip",
        "security log",
        "detect password guessing",
        "PIPL 13(3) 网络安全法 21",
        "normal",
        "30 days",
        30,
    ),
    FieldDecl(
        "pii_access.user_id",
        "security log",
        "audit of unmasked reads",
        "PIPL 13(3) 网络安全法 21",
        "normal",
        "at least 6 months",
        200,
    ),
    # Access control and visitors (issue 3).
    FieldDecl(
        "access_credential.card_number",
        "access credential",
        "open gates and doors with an IC card",
        _CONTRACT,
        "normal",
        "until revoked; erased with the person",
        None,
    ),
    FieldDecl(
        "access_credential.pin",
        "access credential",
        "open doors with a PIN (keyed digest only)",
        _CONTRACT,
        "normal",
        "until revoked; erased with the person",
        None,
    ),
    FieldDecl(
        "access_credential.person_id",
        "access credential",
        "link credentials to their holder",
        _CONTRACT,
        "normal",
        _WHILE,
        None,
    ),
    FieldDecl(
        "face_template.template",
        "biometric",
        "open gates by face (1:N in the compound)",
        "PIPL 29 separate consent (purpose 'face')",
        "sensitive",
        "until consent is withdrawn or the person moves out; old-model templates until re-enrolment or the deadline",
        None,
        needs_separate_consent=True,
    ),
    FieldDecl(
        "face_photo.image",
        "biometric",
        "raw enrolment photo, kept only if separately authorised",
        "PIPL 29 separate consent (purpose 'face_photo')",
        "sensitive",
        "until consent is withdrawn or the person moves out",
        None,
        needs_separate_consent=True,
    ),
    FieldDecl(
        "visitor_pass.visitor_name",
        "visitor",
        "let a visitor in and tell the host",
        _CONTRACT,
        "normal",
        "30 days after the visit (ANJU_ACCESS_VISITOR_RETENTION_DAYS)",
        30,
    ),
    FieldDecl(
        "visitor_pass.visitor_phone",
        "visitor",
        "let a visitor in and tell the host",
        _CONTRACT,
        "normal",
        "30 days after the visit (ANJU_ACCESS_VISITOR_RETENTION_DAYS)",
        30,
    ),
    # Issue 18: decoration applications (装修申请): the applicant, the contractor's phone, the workers.
    FieldDecl(
        "decoration_application.applicant_person_id",
        "decoration",
        "decide and follow up a decoration application (住宅室内装饰装修管理办法 第13条)",
        _CONTRACT,
        "normal",
        "while the house is occupied, then with the occupancy",
        None,
    ),
    FieldDecl(
        "decoration_application.contractor_phone",
        "decoration",
        "reach the contractor during the works",
        _CONTRACT,
        "normal",
        "30 days after the works end (ANJU_DECORATION_WORKER_RETENTION_DAYS)",
        30,
    ),
    FieldDecl(
        "decoration_worker.name",
        "decoration",
        "issue a worker's temporary pass for the approved dates",
        _CONTRACT,
        "normal",
        "30 days after the works end (ANJU_DECORATION_WORKER_RETENTION_DAYS)",
        30,
    ),
    FieldDecl(
        "decoration_worker.phone",
        "decoration",
        "issue a worker's temporary pass for the approved dates",
        _CONTRACT,
        "normal",
        "30 days after the works end (ANJU_DECORATION_WORKER_RETENTION_DAYS)",
        30,
    ),
    # Issue 18: the host is told when their visitor arrives; the row goes with the pass.
    FieldDecl(
        "visitor_pass.arrived_at",
        "whereabouts",
        "tell the host their visitor has arrived",
        _CONTRACT,
        "normal",
        "30 days after the visit (ANJU_ACCESS_VISITOR_RETENTION_DAYS)",
        30,
    ),
    FieldDecl(
        "access_log.person_id",
        "whereabouts",
        "record who passed which door (security, care)",
        "PIPL 13(2)/13(3) contract and security duty",
        "sensitive",
        "180 days (R-A9, ANJU_ACCESS_LOG_RETENTION_DAYS)",
        180,
    ),
    FieldDecl(
        "access_blacklist.person_id",
        "security",
        "bar a person after a documented incident",
        "PIPL 13(6) legitimate security interest, human review (R-A4)",
        "sensitive",
        "until lifted",
        None,
    ),
    FieldDecl(
        "access_blacklist.card_number",
        "security",
        "refuse a barred card at the gates (keyed digest only)",
        "PIPL 13(6) legitimate security interest, human review (R-A4)",
        "sensitive",
        "until lifted",
        None,
    ),
    # Alarm notices (masked recipient only; the phone is decrypted at send time and audited).
    FieldDecl(
        "notify_delivery.recipient",
        "contact",
        "show whom an alarm or notice message reached",
        "PIPL 13(4) protect life and property",
        "normal",
        "as the alarm it belongs to",
        None,
    ),
    FieldDecl(
        "notification.body",
        "contact",
        "tell a user in the in-app inbox what concerns them (a visitor at the gate, an alarm, a task)",
        _CONTRACT,
        "normal",
        f"{INBOX_DAYS} days (ANJU_NOTIFY_INBOX_RETENTION_DAYS; a month is dropped whole once all of it is older)",
        INBOX_DAYS,
    ),
    FieldDecl(
        "privacy_breach.affected_people",
        "security",
        "tell each person affected by a personal-data breach (R-P7)",
        "PIPL 57 legal duty to notify",
        "normal",
        "with the incident record, 3 years",
        3 * 365,
    ),
    FieldDecl(
        "privacy_sharing_consent.person_id",
        "consent",
        "prove the separate consent to provide data to a named third party (R-P8)",
        "PIPL 23 separate consent",
        "normal",
        "while in force, then 3 years as evidence",
        None,
    ),
    FieldDecl(
        "privacy_sharing.person_id",
        "consent",
        "record each provision of a person's data to a third party (R-P8)",
        "PIPL 23 separate consent; PIPL 55 record",
        "normal",
        "3 years",
        3 * 365,
    ),
    FieldDecl(
        "care_profile.health_notes",
        "health",
        "care for elderly and disabled residents: what a visitor or responder must know (issue 16)",
        "PIPL 28-29 separate consent (R-E2); PIPL 13(4) to protect life in an emergency",
        "sensitive",
        _WHILE,
        None,
        needs_separate_consent=True,
    ),
    FieldDecl(
        "care_profile.disability",
        "vulnerability",
        "accessible notification channel (voice, vibration) and evacuation help (R-E3)",
        _DUTY,
        "sensitive",
        _WHILE,
        None,
    ),
    FieldDecl(
        "care_profile.last_activity_at",
        "location",
        "alarm when an elderly person living alone shows no activity for hours (R-E2: alert without consent)",
        "PIPL 13(4) protect life; separate consent for location and fall data (R-E2)",
        "sensitive",
        _WHILE,
        None,
    ),
    FieldDecl(
        "care_profile.away_from",
        "location",
        "away registration (外出报备): no silence alarm while an elderly person is away from home",
        "PIPL 13(4) protect life; given by the person, family or grid worker",
        "sensitive",
        _WHILE,
        None,
    ),
    FieldDecl(
        "care_profile.away_until",
        "location",
        "away registration (外出报备): when silence is counted again",
        "PIPL 13(4) protect life; given by the person, family or grid worker",
        "sensitive",
        _WHILE,
        None,
    ),
    FieldDecl(
        "video_evidence.key",
        "image",
        "snapshots and short clips of incidents seen by cameras (falls, intrusion, thrown objects, fire lanes); "
        "no per-person analytics or face search on them (R-A5)",
        "PIPL 26 public security in public places; 13(4) protect life",
        "sensitive",
        "the camera's retention (30-day floor, 90 days at key targets), longer only under a legal hold (R-A1)",
        30,
    ),
    FieldDecl(
        "parking_session.no_plate_token",
        "vehicle",
        "let a car without a plate out with the phone that brought it in (a random token in that phone's cookie)",
        _CONTRACT,
        "normal",
        _PARKING,
        PARKING_DAYS,
    ),
    FieldDecl(
        "charging_card.card_uid",
        "account",
        "start an e-bike charge by swiping the resident's own card and bill it to their wallet",
        _CONTRACT,
        "normal",
        "while the card is registered",
        None,
    ),
    FieldDecl(
        "volunteer.display_name",
        "identity",
        "show a volunteer's name on patrol shifts, events and the points board",
        "PIPL 13(1) consent (the resident registers as a volunteer)",
        "normal",
        "while registered as a volunteer",
        None,
    ),
    FieldDecl(
        "safety_committee_member.name",
        "identity",
        "name the members of the residents' safety committee on its roster and in meeting minutes",
        "PIPL 13(1) consent (the resident agrees to serve on the committee)",
        "normal",
        "while a member, and with the minutes they appear in",
        None,
    ),
    FieldDecl(
        "education_target.quiz_score",
        "behaviour",
        "show a resident their own safety-quiz result and count coverage per audience (aggregates only for staff)",
        "PIPL 13(5) public interest (safety education within a reasonable scope)",
        "normal",
        "while the campaign is kept",
        None,
    ),
    FieldDecl(
        "education_booking.checked_in_at",
        "behaviour",
        "book a resident's seat at a safety-education event (安全小课堂) and record that they came; staff see the "
        "event's list, reports only attendance per audience group",
        "PIPL 13(1) consent (the resident books the event)",
        "normal",
        "while the event's records are kept",
        None,
    ),
)

# Columns that hold personal data, as "table.field" (encrypted ones by their logical name).
PERSONAL_COLUMNS = {d.field for d in CATALOG}


def sync_catalog(session: Session) -> None:
    from anju.privacy.models import ProcessingRecord

    existing = {r.field: r for r in session.execute(select(ProcessingRecord)).scalars()}
    declared = {d.field for d in CATALOG}
    for field, row in existing.items():
        if field not in declared:  # no longer processed: the record must not claim it is
            session.delete(row)
    for d in CATALOG:
        row = existing.get(d.field) or ProcessingRecord(field=d.field)
        row.category, row.purpose, row.legal_basis = d.category, d.purpose, d.legal_basis
        row.sensitivity, row.retention, row.retention_days = d.sensitivity, d.retention, d.retention_days
        row.needs_separate_consent = d.needs_separate_consent
        session.add(row)
    session.flush()
