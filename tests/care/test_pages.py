"""Care and emergency pages: the archive and visits (console), R-E3's large-print and assisted consent screens,
the emergency page with an exercise activation and its role tasks."""

from __future__ import annotations

from sqlalchemy import select

from anju.care.models import CareConsent, CareVisit
from anju.care.schemas import ProfileCreate
from anju.care.service import care_service
from tests.care.helpers import lone_person

ORIGIN = {"Origin": "http://testserver"}


def _profile(session, who, ids, **kw):
    data = {"compound_id": ids["A"], "person_id": lone_person(session, ids["A"]), "living_alone": True} | kw
    return care_service.create(session, by=who("manager_wang"), data=ProfileCreate(**data))


class TestCarePages:
    def test_the_archive_page_lists_people_and_open_visits(self, client, session, who, ids, web_login):
        p = _profile(session, who, ids, disability="visual")
        care_service.plan_visits(session)
        web_login("grid_zhou")
        r = client.get("/console/care")
        assert r.status_code == 200
        assert f'data-profile="{p.id}"' in r.text and "语音电话" in r.text  # the channel's label, not "voice"
        v = session.execute(select(CareVisit).where(CareVisit.profile_id == p.id)).scalar_one()
        assert f'data-visit="{v.id}"' in r.text
        r = client.post(
            f"/console/care/visits/{v.id}/record",
            data={"outcome": "fine", "note": "老人在家，身体好"},
            headers=ORIGIN,
            follow_redirects=False,
        )
        assert r.status_code == 303 and "ok=" in r.headers["location"]
        session.refresh(v)
        assert v.status == "done" and v.outcome == "fine"

    def test_a_resident_cannot_open_the_care_page(self, client, web_login):
        web_login("resident_li")
        assert client.get("/console/care").status_code == 403

    def test_r_e3_large_print_and_assisted_consent_screens(self, client, session, who, ids, web_login):
        p = _profile(session, who, ids)
        web_login("grid_zhou")
        large = client.get(f"/h5/care/consent/{p.id}?variant=large_print")
        assert large.status_code == 200 and "care-large" in large.text and "care-read-aloud" in large.text
        assisted = client.get(f"/h5/care/consent/{p.id}?variant=assisted")
        assert "工作人员已逐项向本人朗读说明" in assisted.text
        r = client.post(
            f"/h5/care/consent/{p.id}",
            data={"scope": "fall", "given_by": "guardian", "variant": "large_print"},
            headers=ORIGIN,
            follow_redirects=False,
        )
        assert r.status_code == 303 and "ok=" in r.headers["location"]
        c = session.execute(select(CareConsent).where(CareConsent.profile_id == p.id)).scalar_one()
        assert (c.scope, c.given_by, c.variant) == ("fall", "guardian", "large_print")
        web_login("outsider_zhao")
        assert client.get(f"/h5/care/consent/{p.id}").status_code in (403, 404)


class TestEmergencyPages:
    def test_exercise_from_the_page_shows_the_role_tasks(self, client, session, ids, web_login):
        from anju.emergency.models import EmergencyPlan

        web_login("manager_wang")
        r = client.get("/console/emergency")
        assert r.status_code == 200 and 'data-testid="em-supplies"' in r.text
        plan = session.execute(
            select(EmergencyPlan).where(
                EmergencyPlan.compound_id == ids["A"], EmergencyPlan.kind == "fire", EmergencyPlan.active.is_(True)
            )
        ).scalar_one()  # from the demo
        r = client.post(
            f"/console/emergency/plans/{plan.id}/activate",
            data={"exercise": "1"},
            headers=ORIGIN,
            follow_redirects=False,
        )
        assert r.status_code == 303 and "/console/emergency/incidents/" in r.headers["location"]
        page = client.get(r.headers["location"].split("?")[0])
        assert page.status_code == 200 and 'data-testid="em-exercise"' in page.text
        assert "疏散引导组" in page.text and "引导居民到集合点" in page.text


def test_the_console_shows_a_climbing_ladder_and_a_contacts_fine_stops_it(client, session, who, ids, web_login):
    from datetime import timedelta

    from anju.care.models import CareLadderStep
    from anju.core.db import utcnow

    p = _profile(session, who, ids)
    p.last_activity_at = utcnow() - timedelta(hours=30)
    p.quiet_start_minute = p.quiet_end_minute = 0
    care_service.check_silence(session, now=utcnow())  # the demo's two silent people are raised too
    eid = care_service.episodes_of(session, profile=p)[0].id
    care_service.fire_ladder(session, now=utcnow())
    session.commit()
    web_login("grid_zhou")
    page = client.get("/console/care").text
    row = page.split(f'data-episode="{eid}"')[1].split("</tr>")[0]
    assert "本人自检" in row and "告警中心" in row  # the rung now, and the next one
    r = client.post(
        f"/console/care/episodes/{eid}/answer",
        data={"answered_by": "contact", "note": "女儿刚通过电话"},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert r.status_code == 303 and "ok=" in r.headers["location"], r.headers["location"]
    assert f'data-episode="{eid}"' not in client.get("/console/care").text
    left = session.execute(select(CareLadderStep.status).where(CareLadderStep.episode_id == eid)).scalars().all()
    assert sorted(set(left)) == ["cancelled", "fired"]
