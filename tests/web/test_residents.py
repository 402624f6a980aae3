"""The residents page: masked always, searchable by full phone, detail panel, audited reveal."""

from __future__ import annotations

import re

from sqlalchemy import select

from anju.core.audit import PiiAccess
from anju.core.crypto import decrypt
from anju.registry.models import Person, PersonTag
from tests.web.conftest import HTMX, ORIGIN


def _people_on(html, session):
    ids = [int(i) for i in re.findall(r'<tr data-person="(\d+)"', html)]
    assert ids, "the page lists nobody"
    return session.execute(select(Person).where(Person.id.in_(ids))).scalars().all()


class TestList:
    def test_never_contains_a_plaintext_phone_or_id_number(self, client, web_login, session):
        web_login("manager_wang")
        html = client.get("/console/residents").text
        people = _people_on(html, session)
        checked = 0
        for p in people:
            phone = decrypt(p.phone_enc, context="person.phone")
            idn = decrypt(p.id_number_enc, context="person.id_number")
            if phone:
                assert phone not in html
                assert p.phone_masked in html
                checked += 1
            if idn:
                assert idn not in html
        assert checked > 5

    def test_search_by_full_phone_finds_the_person_masked(self, client, web_login, session, ids):
        web_login("manager_wang")
        p = (
            session.execute(
                select(Person)
                .where(Person.compound_id == ids["A"], Person.phone_enc.is_not(None))
                .order_by(Person.id.desc())
            )
            .scalars()
            .first()
        )
        phone = decrypt(p.phone_enc, context="person.phone")
        r = client.post("/console/residents", data={"q": phone}, headers={**ORIGIN, **HTMX})
        assert r.status_code == 200
        assert re.findall(r'<tr data-person="(\d+)"', r.text) == [str(p.id)]
        assert phone not in r.text and p.phone_masked in r.text
        assert "<html" not in r.text  # htmx gets the table only

    def test_search_by_name(self, client, web_login, session, ids):
        web_login("staff_liu")
        p = session.execute(select(Person).where(Person.compound_id == ids["A"]).order_by(Person.id)).scalars().first()
        r = client.post("/console/residents", data={"q": p.name}, headers={**ORIGIN, **HTMX})
        assert f'data-person="{p.id}"' in r.text

    def test_filter_by_tag(self, client, web_login, session, ids):
        web_login("grid_zhou")
        html = client.get("/console/residents?tag=elderly_alone").text
        listed = {int(i) for i in re.findall(r'<tr data-person="(\d+)"', html)}
        tagged = set(
            session.execute(
                select(PersonTag.person_id).where(PersonTag.compound_id == ids["A"], PersonTag.tag == "elderly_alone")
            ).scalars()
        )
        assert listed and listed <= tagged
        assert "独居老人" in html

    def test_filter_by_population_type(self, client, web_login):
        web_login("manager_wang")
        r = client.post("/console/residents", data={"population_type": "floating"}, headers={**ORIGIN, **HTMX})
        assert "流动人口" in r.text and "户籍人口</span>" not in r.text

    def test_bad_filter_values_are_ignored(self, client, web_login):
        web_login("manager_wang")
        assert client.get("/console/residents?tag=nope&page=abc").status_code == 200

    def test_search_needs_same_origin(self, client, web_login):
        web_login("manager_wang")
        assert client.post("/console/residents", data={"q": "李"}).status_code == 403


class TestDetail:
    def _someone(self, session, ids):
        return (
            session.execute(
                select(Person).where(Person.compound_id == ids["A"], Person.phone_enc.is_not(None)).order_by(Person.id)
            )
            .scalars()
            .first()
        )

    def test_panel_is_masked_and_offers_reveal_to_managers(self, client, web_login, session, ids):
        web_login("manager_wang")
        p = self._someone(session, ids)
        r = client.get(f"/console/residents/{p.id}", headers=HTMX)
        assert r.status_code == 200
        assert p.name in r.text and p.phone_masked in r.text
        assert decrypt(p.phone_enc, context="person.phone") not in r.text
        assert "查看完整号码" in r.text and 'data-reveal="phone"' in r.text

    def test_no_reveal_button_without_unmask_permission(self, client, web_login, session, ids):
        web_login("grid_zhou")  # reads the roster, masked, without the unmask right
        p = self._someone(session, ids)
        r = client.get(f"/console/residents/{p.id}", headers=HTMX)
        assert r.status_code == 200 and "data-reveal" not in r.text

    def test_plain_link_opens_the_list_with_the_panel(self, client, web_login, session, ids):
        web_login("manager_wang")
        p = self._someone(session, ids)
        r = client.get(f"/console/residents/{p.id}", follow_redirects=False)
        assert r.headers["location"] == f"/console/residents?person={p.id}"
        html = client.get(r.headers["location"]).text
        assert f'<div class="person" data-person="{p.id}">' in html

    def test_reveal_with_the_cookie_is_audited_and_shown_in_the_log(self, client, web_login, session, ids):
        web_login("manager_wang")
        p = self._someone(session, ids)
        r = client.post(
            f"/api/v1/people/{p.id}/reveal", json={"field": "phone", "reason": "回访独居老人"}, headers=ORIGIN
        )
        assert r.status_code == 200, r.text
        assert r.json()["value"] == decrypt(p.phone_enc, context="person.phone")
        entry = session.execute(select(PiiAccess).where(PiiAccess.subject == f"person:{p.id}")).scalars().one()
        assert entry.reason == "回访独居老人"
        html = client.get("/console/audit").text
        assert "回访独居老人" in html and f"person:{p.id}" in html and "王经理" in html
