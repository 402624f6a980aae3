"""The care archive: reasons, ordered contacts, encrypted health notes behind the separate consent (R-E2),
accessible channels (R-E3), visits and R-E1's monthly contact for special hardship."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from anju.care.models import CareProfile, CareVisit
from anju.care.schemas import ContactCreate, VisitRecord
from anju.care.service import care_service
from anju.core.audit import PiiAccess
from tests.care.helpers import lone_person

API = "/api/v1/care"


def _create(client, login, session, ids, **kw):
    body = {
        "compound_id": ids["A"],
        "person_id": lone_person(session, ids["A"]),
        "living_alone": True,
        "disability": "hearing",
        "health_notes": "高血压，服用硝苯地平",
        "contacts": [
            {"name": "王一", "relation": "儿子", "phone": "13900001111", "guardian": True},
            {"name": "王二", "relation": "侄子", "phone": "13900002222"},
        ],
    } | kw
    return client.post(f"{API}/profiles", json=body, headers=login("manager_wang"))


class TestArchive:
    def test_create_with_contacts_in_order_and_a_channel_by_disability(self, client, login, session, ids):
        r = _create(client, login, session, ids)
        assert r.status_code == 201, r.text
        body = r.json()
        assert [c["name"] for c in body["contacts"]] == ["王一", "王二"] and body["contacts"][0]["guardian"]
        assert body["contacts"][0]["phone_masked"] == "139****1111"
        assert body["channel"] == "vibration"  # R-E3: the hearing impaired get SMS plus vibration
        assert body["health_notes"] is None and body["house_label"]
        again = _create(client, login, session, ids, person_id=body["person_id"])
        assert again.status_code == 409

    def test_health_notes_are_stored_encrypted(self, client, login, session, ids):
        pid = _create(client, login, session, ids).json()["id"]
        row = session.get(CareProfile, pid)
        assert row.health_notes_enc and "高血压" not in row.health_notes_enc

    def test_r_e2_health_notes_shown_only_with_the_health_consent_and_audited(self, client, login, session, ids):
        pid = _create(client, login, session, ids).json()["id"]
        h = login("manager_wang")
        r = client.get(f"{API}/profiles/{pid}", params={"reveal_health": True}, headers=h)
        assert r.json()["health_notes"] is None
        r = client.post(f"{API}/profiles/{pid}/consents", json={"scope": "health", "variant": "large_print"}, headers=h)
        assert r.status_code == 201 and r.json()["variant"] == "large_print"
        r = client.get(f"{API}/profiles/{pid}", params={"reveal_health": True}, headers=h)
        assert r.json()["health_notes"] == "高血压，服用硝苯地平" and r.json()["consents"] == ["health"]
        audit = session.execute(select(PiiAccess).where(PiiAccess.field == "health_notes")).scalars().all()
        assert len(audit) == 1
        r = client.post(f"{API}/profiles/{pid}/consents/withdraw", json={"scope": "health"}, headers=h)
        assert r.status_code == 204
        r = client.get(f"{API}/profiles/{pid}", params={"reveal_health": True}, headers=h)
        assert r.json()["health_notes"] is None

    def test_bad_input_is_a_clear_4xx(self, client, login, session, ids):
        before = len(session.execute(select(CareProfile.id)).all())
        r = _create(client, login, session, ids, living_alone=False, disability="none")
        assert r.status_code == 422
        assert _create(client, login, session, ids, silence_hours=-3).status_code == 422
        assert _create(client, login, session, ids, quiet_start="25:00").status_code == 422
        r = _create(client, login, session, ids, person_id=10**9)
        assert r.status_code == 404 and r.json()["error"]["code"] == "care_person_not_found"
        assert len(session.execute(select(CareProfile.id)).all()) == before  # nothing half-written

    def test_an_away_registration_ending_before_it_starts_is_422(self, client, login, session, ids):
        pid = _create(client, login, session, ids).json()["id"]
        h = login("grid_zhou")
        bad = {"starts_at": "2026-12-10T09:00:00+08:00", "ends_at": "2026-12-09T09:00:00+08:00"}
        assert client.post(f"{API}/profiles/{pid}/away", json=bad, headers=h).status_code == 422
        naive = {"starts_at": "2026-12-10T09:00:00", "ends_at": "2026-12-12T09:00:00"}
        assert client.post(f"{API}/profiles/{pid}/away", json=naive, headers=h).status_code == 422
        ok = {"starts_at": "2026-12-10T09:00:00+08:00", "ends_at": "2026-12-12T18:00:00+08:00"}
        r = client.post(f"{API}/profiles/{pid}/away", json=ok, headers=h)
        assert r.status_code == 200
        assert datetime.fromisoformat(r.json()["away_until"]) == datetime(2026, 12, 12, 10, 0, tzinfo=UTC)
        assert session.get(CareProfile, pid).away_from is not None

    def test_another_compound_is_404(self, client, login, session, ids):
        pid = _create(client, login, session, ids).json()["id"]
        assert client.get(f"{API}/profiles/{pid}", headers=login("outsider_zhao")).status_code == 404
        r = client.get(f"{API}/profiles", params={"compound_id": ids["A"]}, headers=login("outsider_zhao"))
        assert r.status_code == 404


class TestVisits:
    def test_weekly_and_monthly_plans_are_made_once(self, session, who, ids):
        m = who("manager_wang")
        from anju.care.schemas import ProfileCreate

        p = care_service.create(
            session,
            by=m,
            data=ProfileCreate(
                compound_id=ids["A"], person_id=lone_person(session, ids["A"]), living_alone=True, special_hardship=True
            ),
        )
        now = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
        care_service.plan_visits(session, now=now)
        care_service.plan_visits(session, now=now + timedelta(hours=1))
        visits = session.execute(select(CareVisit).where(CareVisit.profile_id == p.id)).scalars().all()
        assert sorted(v.kind for v in visits) == ["monthly", "weekly"]
        weekly = next(v for v in visits if v.kind == "weekly")
        assert str(weekly.due_on) == "2026-12-06"  # the Sunday of that week
        grid = who("grid_zhou")
        mine = care_service.visits(session, by=grid, compound_id=ids["A"], mine=True, status="open")
        assert {v.id for v in visits} <= {v.id for v in mine}

    def test_a_visit_outcome_is_recorded_once(self, client, login, session, who, ids):
        from anju.care.schemas import ProfileCreate

        p = care_service.create(
            session,
            by=who("manager_wang"),
            data=ProfileCreate(compound_id=ids["A"], person_id=lone_person(session, ids["A"]), living_alone=True),
        )
        care_service.plan_visits(session)
        v = session.execute(select(CareVisit).where(CareVisit.profile_id == p.id)).scalar_one()
        h = login("grid_zhou")
        r = client.post(f"{API}/visits/{v.id}/record", json={"outcome": "fine", "note": "精神很好"}, headers=h)
        assert r.status_code == 200 and r.json()["outcome"] == "fine" and r.json()["status"] == "done"
        r = client.post(f"{API}/visits/{v.id}/record", json={"outcome": "away"}, headers=h)
        assert r.status_code == 409
        r = client.post(f"{API}/visits/{v.id}/record", json={"outcome": "asleep"}, headers=h)
        assert r.status_code == 422

    def test_r_e1_special_hardship_months_without_contact_are_flagged(self, session, who, ids):
        from anju.care.schemas import ProfileCreate

        m = who("manager_wang")
        p = care_service.create(
            session,
            by=m,
            data=ProfileCreate(compound_id=ids["A"], person_id=lone_person(session, ids["A"]), special_hardship=True),
        )
        p.created_at = datetime(2026, 8, 20, tzinfo=UTC)
        now = datetime(2026, 12, 10, 2, 0, tzinfo=UTC)
        # A contact in October (China time) only.
        care_service.record_contact(
            session,
            by=who("grid_zhou"),
            profile_id=p.id,
            data=ContactCreate(outcome="fine", note="电话问候"),
            now=datetime(2026, 10, 31, 17, 0, tzinfo=UTC),  # 11-01 01:00 China time: counts for November
        )
        missed = {
            (x.profile_id, x.month) for x in care_service.missed_months(session, by=m, compound_id=ids["A"], now=now)
        }
        mine = {mo for pid, mo in missed if pid == p.id}
        assert mine == {"2026-08", "2026-09", "2026-10"}  # November has its contact; December is not over

    def test_overdue_lists_open_visits_past_their_day(self, session, who, ids):
        from anju.care.schemas import ProfileCreate

        p = care_service.create(
            session,
            by=who("manager_wang"),
            data=ProfileCreate(compound_id=ids["A"], person_id=lone_person(session, ids["A"]), living_alone=True),
        )
        now = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
        care_service.plan_visits(session, now=now)
        g = who("grid_zhou")
        assert not [
            v for v in care_service.overdue(session, by=g, compound_id=ids["A"], now=now) if v.profile_id == p.id
        ]
        later = now + timedelta(days=6)
        late = [v for v in care_service.overdue(session, by=g, compound_id=ids["A"], now=later) if v.profile_id == p.id]
        assert len(late) == 1
        care_service.record_visit(session, by=g, visit_id=late[0].id, data=VisitRecord(outcome="fine"), now=later)
        assert not [
            v for v in care_service.overdue(session, by=g, compound_id=ids["A"], now=later) if v.profile_id == p.id
        ]
