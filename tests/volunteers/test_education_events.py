"""Safety-education events (安全小课堂, issue 18 item 6): staff create an event for an audience group with a capacity
and a booking deadline; residents of the audience book and cancel; a retried booking is one booking; two last-seat
bookings at once give one seat and one 409 (separate connections, SQLite and PostgreSQL); staff check people in by
the list or the code they show; attendance per audience group feeds the security report. Time is explicit (`now=`)."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from anju.core.db import utcnow
from anju.core.errors import AppError
from anju.volunteers.education import event_service
from anju.volunteers.enums import EducationAudience
from anju.volunteers.models import EducationBooking, EducationEvent
from anju.volunteers.schemas import EventIn


def _err(fn):
    with pytest.raises(AppError) as e:
        fn()
    return e.value.status_code, e.value.code


def _event(session, wang, compound_id, now, **kw):
    data = {
        "compound_id": compound_id,
        "audience": EducationAudience.everyone,
        "title": "消防安全小课堂",
        "place": "社区活动室",
        "starts_at": now + timedelta(days=2),
        "ends_at": now + timedelta(days=2, hours=1),
        "booking_deadline": now + timedelta(days=1),
        "capacity": 20,
        **kw,
    }
    return event_service.create(session, who=wang, data=EventIn(**data), now=now)


def _second_resident(session, compound_id, *, not_person):
    """Another resident of the compound with an account (an owner living there now), as a Principal."""
    from anju.accounts.service import account_service
    from anju.core.rbac import Role
    from anju.registry.service import person_service

    pid = next(
        f.person_id
        for f in person_service.current_residents(session, compound_id=compound_id)
        if f.person_id != not_person
    )
    user = account_service.create_user(
        session, username=f"res_{pid}", password="Pw-12345678", role=Role.resident, display_name="邻居", person_id=pid
    )
    session.flush()
    return account_service.principal(session, user)


@pytest.fixture
def li_plain(session, ids):
    """resident_li as a 41-year-old owner with no tags (the audiences below depend on it)."""
    from anju.registry.models import Person

    p = session.get(Person, ids["li_person"])
    p.birth_date, p.population_type = date(1985, 5, 12), "registered"
    session.flush()
    return p


class TestEvents:
    def test_bad_input_is_refused_with_a_reason(self, session, ids, persona):
        li = persona("resident_li").who
        now = utcnow()
        base = {
            "compound_id": ids["A"],
            "audience": "everyone",
            "title": "防诈骗讲座",
            "place": "活动室",
            "capacity": 5,
        }
        wang = persona("manager_wang").who

        def refused(**kw):
            with pytest.raises(AppError) as e:
                _event(session, wang, ids["A"], now, **kw)
            return e.value.status_code, e.value.body()["error"]["message"]["zh"]

        assert refused(starts_at=now + timedelta(hours=2), ends_at=now + timedelta(hours=1)) == (
            422,
            "结束时间必须晚于开始时间",
        )
        assert refused(booking_deadline=now + timedelta(days=3))[1] == "报名截止时间不能晚于活动开始时间"
        past = {"starts_at": now - timedelta(hours=2), "ends_at": now - timedelta(hours=1), "booking_deadline": None}
        assert refused(**past)[1] == "活动结束时间已过"
        with pytest.raises(ValidationError):
            EventIn(**{**base, "capacity": 0}, starts_at=now + timedelta(hours=1), ends_at=now + timedelta(hours=2))
        assert _err(lambda: _event(session, li, ids["A"], now))[0] in (403, 404)  # residents do not create events
        assert _err(lambda: _event(session, persona("outsider_zhao").who, ids["A"], now))[0] == 404  # another compound

    def test_book_cancel_rebook_and_a_retry_is_one_booking(self, session, ids, persona, li_plain):
        wang, li = persona("manager_wang").who, persona("resident_li").who
        now = utcnow()
        e = _event(session, wang, ids["A"], now, capacity=2)
        assert e.booking_deadline == now + timedelta(days=1)
        b = event_service.book(session, who=li, event_id=e.id, now=now)
        again = event_service.book(session, who=li, event_id=e.id, now=now + timedelta(seconds=1))  # a retry
        assert again.id == b.id and len(b.code) == 6 and b.code.isdigit()
        session.refresh(e)
        assert e.booked == 1
        assert [x.id for x, mine in event_service.open_to_me(session, who=li, now=now) if mine] == [e.id]
        event_service.cancel(session, who=li, event_id=e.id, now=now + timedelta(hours=1))
        session.refresh(e)
        assert e.booked == 0
        assert (
            _err(lambda: event_service.cancel(session, who=li, event_id=e.id, now=now))[1] == "education_booking_state"
        )
        rebooked = event_service.book(session, who=li, event_id=e.id, now=now + timedelta(hours=2))
        assert (rebooked.id, rebooked.code, rebooked.status) == (b.id, b.code, "booked")
        session.refresh(e)
        assert e.booked == 1
        n = session.execute(select(EducationBooking).where(EducationBooking.event_id == e.id)).scalars().all()
        assert len(n) == 1
        # After the start nobody cancels; after the deadline nobody books.
        assert _err(lambda: event_service.cancel(session, who=li, event_id=e.id, now=e.starts_at))[0] == 409
        late = _event(session, wang, ids["A"], now)
        code = _err(
            lambda: event_service.book(session, who=li, event_id=late.id, now=now + timedelta(days=1, seconds=1))
        )
        assert code == (409, "education_booking_closed")
        # Another compound's resident: 404, no oracle.
        assert (
            _err(lambda: event_service.book(session, who=persona("outsider_zhao").who, event_id=e.id, now=now))[0]
            == 404
        )

    def test_a_person_outside_the_audience_is_refused_with_the_reason(self, session, ids, persona, li_plain):
        wang, li = persona("manager_wang").who, persona("resident_li").who
        now = utcnow()
        tenants = _event(session, wang, ids["A"], now, audience=EducationAudience.tenants, title="出租屋消防安全")
        status, code = _err(lambda: event_service.book(session, who=li, event_id=tenants.id, now=now))
        assert (status, code) == (403, "education_not_in_audience")
        with pytest.raises(AppError) as e:
            event_service.book(session, who=li, event_id=tenants.id, now=now)
        assert "租户与务工人员" in e.value.body()["error"]["message"]["zh"]
        assert tenants.id not in {x.id for x, _ in event_service.open_to_me(session, who=li, now=now)}
        from anju.registry.models import House

        li_building = session.execute(select(House.building_id).where(House.id == ids["li_house"])).scalar_one()
        from anju.registry.service import house_service

        other = next(b.id for b in house_service.buildings(session, compound_id=ids["A"]) if b.id != li_building)
        there = _event(session, wang, ids["A"], now, building_id=other)
        assert _err(lambda: event_service.book(session, who=li, event_id=there.id, now=now))[0] == 403
        mine = _event(session, wang, ids["A"], now, building_id=li_building)
        assert event_service.book(session, who=li, event_id=mine.id, now=now).status == "booked"

    def test_the_last_seat_and_check_in_by_code_once_with_attendance_per_group(self, session, ids, persona, li_plain):
        wang, li = persona("manager_wang").who, persona("resident_li").who
        now = utcnow()
        neighbour = _second_resident(session, ids["A"], not_person=ids["li_person"])
        e = _event(
            session,
            wang,
            ids["A"],
            now,
            capacity=1,
            starts_at=now + timedelta(hours=3),
            ends_at=now + timedelta(hours=4),
            booking_deadline=now + timedelta(hours=2),
        )
        b = event_service.book(session, who=li, event_id=e.id, now=now)
        assert _err(lambda: event_service.book(session, who=neighbour, event_id=e.id, now=now)) == (
            409,
            "education_event_full",
        )
        # Check-in opens an hour before the start; by the code the resident shows, once.
        assert _err(lambda: event_service.check_in(session, who=wang, event_id=e.id, code=b.code, now=now))[0] == 409
        at = e.starts_at - timedelta(minutes=10)
        assert (
            _err(
                lambda: event_service.check_in(
                    session, who=wang, event_id=e.id, code="000000" if b.code != "000000" else "111111", now=at
                )
            )[0]
            == 404
        )
        assert _err(lambda: event_service.check_in(session, who=li, event_id=e.id, code=b.code, now=at))[0] in (
            403,
            404,
        )
        done = event_service.check_in(session, who=wang, event_id=e.id, code=b.code, now=at)
        assert done.checked_in_at == at and done.checked_in_by == wang.user_id
        assert _err(lambda: event_service.check_in(session, who=wang, event_id=e.id, booking_id=b.id, now=at))[0] == 409
        assert event_service.bookings(session, who=wang, event_id=e.id)[0][0].id == b.id
        # A second event for the elderly nobody attended; figures per group once both are over.
        old = _event(
            session,
            wang,
            ids["A"],
            now,
            audience=EducationAudience.elderly,
            capacity=5,
            starts_at=now + timedelta(hours=1),
            ends_at=now + timedelta(hours=2),
            booking_deadline=now + timedelta(hours=1),
        )
        session.execute(
            EducationBooking.__table__.insert(),
            [
                {
                    "compound_id": ids["A"],
                    "event_id": old.id,
                    "person_id": neighbour.person_id,
                    "status": "booked",
                    "code": "123456",
                    "booked_at": now,
                }
            ],
        )
        later = now + timedelta(hours=5)
        fig = event_service.period_figures(session, compound_id=ids["A"], since=now, until=later)
        groups = {g["audience"]: g for g in fig["groups"]}
        assert (fig["events"], fig["booked"], fig["attended"], fig["rate"]) == (2, 2, 1, 0.5)
        assert (groups["everyone"]["events"], groups["everyone"]["attended"], groups["everyone"]["rate"]) == (1, 1, 1.0)
        assert (groups["elderly"]["booked"], groups["elderly"]["attended"], groups["elderly"]["rate"]) == (1, 0, 0.0)
        assert groups["tenants"]["rate"] is None
        # Not yet over: not counted as held.
        assert (
            event_service.period_figures(session, compound_id=ids["A"], since=now, until=now + timedelta(hours=3))[
                "events"
            ]
            == 1
        )
        # The security report's safety-education section carries them (the month the events were held in).
        from anju.analytics.reports import compute, period_of
        from anju.core.kit.china_time import china_date

        start, end = period_of("month", china_date(now))
        if china_date(later) < end:  # near a month's end the events fall in the next one: nothing to compare then
            report = compute(session, compound_id=ids["A"], kind="month", start=start, end=end)
            assert report["education_events"]["attended"] >= 1
            assert {g["audience"] for g in report["education_events"]["groups"]} == {a.value for a in EducationAudience}

    def test_events_api(self, client, session, ids, login, li_plain):
        now = utcnow()
        body = {
            "compound_id": ids["A"],
            "audience": "everyone",
            "title": "燃气安全小课堂",
            "place": "3号楼架空层",
            "starts_at": (now + timedelta(days=1)).isoformat(),
            "ends_at": (now + timedelta(days=1, hours=1)).isoformat(),
            "capacity": 10,
        }
        r = client.post("/api/v1/volunteers/education/events", json=body, headers=login("manager_wang"))
        assert r.status_code == 201, r.text
        eid = r.json()["id"]
        bad = client.post(
            "/api/v1/volunteers/education/events", json={**body, "capacity": 0}, headers=login("manager_wang")
        )
        assert bad.status_code == 422
        first = client.post(f"/api/v1/volunteers/education/events/{eid}/booking", headers=login("resident_li"))
        again = client.post(f"/api/v1/volunteers/education/events/{eid}/booking", headers=login("resident_li"))
        assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
        mine = client.get("/api/v1/volunteers/education/events/mine", headers=login("resident_li")).json()
        assert [m["booking"]["code"] for m in mine if m["event"]["id"] == eid] == [first.json()["code"]]
        listed = client.get(f"/api/v1/volunteers/education/events/{eid}/bookings", headers=login("manager_wang")).json()
        assert [x["booking"]["id"] for x in listed] == [first.json()["id"]] and listed[0]["name"]
        assert (
            client.get(
                f"/api/v1/volunteers/education/events/{eid}/bookings", headers=login("outsider_zhao")
            ).status_code
            == 404
        )
        early = client.post(
            f"/api/v1/volunteers/education/events/{eid}/check-in",
            json={"code": first.json()["code"]},
            headers=login("manager_wang"),
        )
        assert early.status_code == 409 and early.json()["error"]["message"]["zh"]
        gone = client.delete(f"/api/v1/volunteers/education/events/{eid}/booking", headers=login("resident_li"))
        assert gone.status_code == 200 and gone.json()["status"] == "cancelled"
        assert session.get(EducationEvent, eid).booked == 0
        fig = client.get(
            "/api/v1/volunteers/education/events/figures",
            params={"compound_id": ids["A"]},
            headers=login("manager_wang"),
        )
        assert fig.status_code == 200 and {g["audience"] for g in fig.json()["groups"]} == {
            a.value for a in EducationAudience
        }


def test_two_last_seat_bookings_at_once_one_wins_the_other_gets_409(tmp_path):
    """Separate connections on a committed database: the seat count's compare-and-set decides (SQLite and PostgreSQL)."""
    from fastapi.testclient import TestClient

    from anju.accounts.models import User
    from anju.core import db as core_db
    from anju.registry.models import Compound
    from tests.accounts.tokens import bearer_for
    from tests.conftest import shared_app
    from tests.core.databases import dedicated_database

    with dedicated_database(tmp_path, "edu_seat", seed=True):
        with core_db.new_session() as s:
            a = s.execute(select(Compound.id).where(Compound.code == "SFXQ")).scalar_one()
            li_person = s.execute(select(User.person_id).where(User.username == "resident_li")).scalar_one()
            neighbour = _second_resident(s, a, not_person=li_person)
            wang = bearer_for(s, "manager_wang")
            heads = [bearer_for(s, "resident_li"), bearer_for(s, neighbour.username)]
            s.commit()
        now = utcnow()
        with TestClient(shared_app(), raise_server_exceptions=False) as c:
            body = {
                "compound_id": a,
                "audience": "everyone",
                "title": "最后一个名额",
                "place": "活动室",
                "starts_at": (now + timedelta(days=1)).isoformat(),
                "ends_at": (now + timedelta(days=1, hours=1)).isoformat(),
                "capacity": 1,
            }
            eid = c.post("/api/v1/volunteers/education/events", json=body, headers=wang).json()["id"]
            barrier = threading.Barrier(4)
            out: list[int] = []
            lock = threading.Lock()

            def book(h):
                barrier.wait()
                r = c.post(f"/api/v1/volunteers/education/events/{eid}/booking", headers=h)
                with lock:
                    out.append(r.status_code)

            # Each resident twice at once (a double tap), both residents at once, for one seat.
            threads = [threading.Thread(target=book, args=(h,)) for h in heads + heads]
            for t in threads:
                t.start()
            for t in threads:
                t.join(120)
        with core_db.new_session() as s:
            e = s.get(EducationEvent, eid)
            rows = s.execute(select(EducationBooking).where(EducationBooking.event_id == eid)).scalars().all()
            assert e is not None and e.booked == 1
            assert len([b for b in rows if b.status == "booked"]) == 1
        tally = Counter(out)
        assert tally[201] == 2 and tally[409] == 2, tally  # the winner's double tap is the same booking
