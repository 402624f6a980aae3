"""Issue 11 item 4 in the console: add a person and edit one (name, phone, ID number kept encrypted and shown
masked, tags, emergency contacts) through the person service with the API's validation; the house page links
to the edit page; every change is in the change records; another compound's person is a 404."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.core.audit import ObjectChange
from anju.core.crypto import decrypt
from anju.registry.models import EmergencyContact, Person, PersonTag
from tests.web.conftest import ORIGIN


def _changes(session: Session, person_id: int) -> list[ObjectChange]:
    return list(
        session.execute(
            select(ObjectChange)
            .where(ObjectChange.entity == "person", ObjectChange.entity_id == person_id)
            .order_by(ObjectChange.id)
        ).scalars()
    )


def _contacts(session: Session, person_id: int) -> list[tuple[str, str, str | None]]:
    rows = session.execute(
        select(EmergencyContact).where(EmergencyContact.person_id == person_id).order_by(EmergencyContact.id)
    ).scalars()
    return [(c.name, c.relation, decrypt(c.phone_enc, context="contact.phone")) for c in rows]


def test_person_add_then_edit_phone_id_tags_contacts_masked_with_change_records(
    session: Session, client: Any, web_login: Any, ids: dict[str, int]
) -> None:
    web_login("staff_liu")
    assert client.get(f"/console/person/new?compound_id={ids['A']}").status_code == 200
    form = {
        "name": "新住户老陈",
        "gender": "male",
        "birth_date": "1950-03-02",
        "population_type": "registered",
        "phone": "13900001111",
        "id_number": "110101195003021238",
        "tags": "elderly_alone",
        "contact_new_name": "陈女儿",
        "contact_new_relation": "女儿",
        "contact_new_phone": "13900002222",
    }
    r = client.post(f"/console/person/new?compound_id={ids['A']}", data=form, headers=ORIGIN, follow_redirects=False)
    assert r.status_code == 303 and "ok=" in r.headers["location"], r.text[:500]
    person = session.execute(select(Person).where(Person.name == "新住户老陈")).scalar_one()
    assert person.compound_id == ids["A"] and person.phone_masked == "139****1111"
    assert decrypt(person.id_number_enc, context="person.id_number") == "110101195003021238"
    assert _contacts(session, person.id) == [("陈女儿", "女儿", "13900002222")]

    page = client.get(f"/console/person/{person.id}/edit?compound_id={ids['A']}")
    assert page.status_code == 200 and "139****1111" in page.text
    assert "13900001111" not in page.text and "110101195003021238" not in page.text  # numbers only masked
    assert "13900002222" not in page.text

    # Blank numbers keep the stored ones; a retyped contact name keeps its stored phone; tags change.
    edit = {
        "name": "陈老伯",
        "gender": "male",
        "birth_date": "1950-03-02",
        "population_type": "floating",
        "tags": ["disabled", "special_care"],
        "contact_0_name": "陈大女儿",
        "contact_0_relation": "女儿",
        "contact_new_name": "陈儿子",
        "contact_new_relation": "儿子",
        "contact_new_phone": "13900003333",
    }
    r = client.post(f"/console/person/{person.id}/edit", data=edit, headers=ORIGIN, follow_redirects=False)
    assert r.status_code == 303 and "ok=" in r.headers["location"]
    session.refresh(person)
    assert (person.name, person.population_type.value, person.phone_masked) == ("陈老伯", "floating", "139****1111")
    assert decrypt(person.id_number_enc, context="person.id_number") == "110101195003021238"
    tags = set(session.execute(select(PersonTag.tag).where(PersonTag.person_id == person.id)).scalars())
    assert {t.value for t in tags} == {"disabled", "special_care"}
    assert _contacts(session, person.id) == [("陈大女儿", "女儿", "13900002222"), ("陈儿子", "儿子", "13900003333")]

    # A new phone replaces; "remove" clears the ID number; the first contact is removed.
    edit2 = {
        "name": "陈老伯",
        "phone": "13900004444",
        "clear_id_number": "true",
        "population_type": "floating",
        "tags": ["disabled", "special_care"],
        "contact_0_remove": "true",
        "contact_1_name": "陈儿子",
        "contact_1_relation": "儿子",
    }
    r = client.post(f"/console/person/{person.id}/edit", data=edit2, headers=ORIGIN, follow_redirects=False)
    assert r.status_code == 303 and "ok=" in r.headers["location"]
    session.refresh(person)
    assert person.phone_masked == "139****4444" and person.id_number_enc is None and person.id_number_masked is None
    assert _contacts(session, person.id) == [("陈儿子", "儿子", "13900003333")]
    changes = _changes(session, person.id)
    assert [c.action for c in changes] == ["create", "update", "update"]
    assert set(changes[1].after["changed"]) >= {"name", "population_type", "tags", "contacts"}
    assert set(changes[2].after["changed"]) >= {"phone", "id_number", "contacts"}
    assert "13900004444" not in str(changes[2].after)  # the change records keep masked values

    # Saving the same form again changes nothing and records nothing.
    same = {"name": "陈老伯", "population_type": "floating", "tags": ["disabled", "special_care"]}
    client.post(f"/console/person/{person.id}/edit", data=same, headers=ORIGIN, follow_redirects=False)
    assert len(_changes(session, person.id)) == 3


def test_person_edit_refuses_bad_phone_bad_id_number_and_duplicate_id_number_writing_nothing(
    session: Session, client: Any, web_login: Any, ids: dict[str, int]
) -> None:
    web_login("staff_liu")
    url = f"/console/person/new?compound_id={ids['A']}"
    r = client.post(url, data={"name": "甲", "id_number": "110101195003021238"}, headers=ORIGIN, follow_redirects=False)
    assert r.status_code == 303
    first = session.execute(select(Person).where(Person.name == "甲")).scalar_one()
    r = client.post(url, data={"name": "乙", "id_number": "110101195003021238"}, headers=ORIGIN)
    assert r.status_code == 409 and 'data-testid="person-error"' in r.text  # the API's duplicate check
    r = client.post(url, data={"name": "丙", "phone": "12345"}, headers=ORIGIN)
    assert r.status_code == 422 and 'value="丙"' in r.text  # what was typed is kept (not the numbers)
    r = client.post(url, data={"name": "丁", "id_number": "110101195003021234"}, headers=ORIGIN)
    assert r.status_code == 422  # a wrong check digit
    assert session.execute(select(Person).where(Person.name.in_(["乙", "丙", "丁"]))).first() is None

    r = client.post(f"/console/person/{first.id}/edit", data={"name": "甲改", "phone": "999"}, headers=ORIGIN)
    assert r.status_code == 422
    r = client.post(
        f"/console/person/{first.id}/edit", data={"name": "甲改", "birth_date": "1990-13-01"}, headers=ORIGIN
    )
    assert r.status_code == 422
    session.refresh(first)
    assert first.name == "甲" and [c.action for c in _changes(session, first.id)] == ["create"]


def test_house_page_links_occupants_to_person_edit(
    session: Session, client: Any, web_login: Any, ids: dict[str, int]
) -> None:
    web_login("staff_liu")
    page = client.get(f"/console/house/{ids['li_house']}")
    assert page.status_code == 200
    assert f"/console/person/{ids['li_person']}/edit?compound_id={ids['A']}&house={ids['li_house']}" in page.text
    edit = client.get(f"/console/person/{ids['li_person']}/edit?compound_id={ids['A']}&house={ids['li_house']}")
    assert edit.status_code == 200 and 'data-testid="back-to-house"' in edit.text


def test_person_pages_other_compound_not_found_and_read_only_roles_forbidden(
    session: Session, client: Any, web_login: Any, ids: dict[str, int]
) -> None:
    other = session.execute(select(Person).where(Person.compound_id == ids["B"]).limit(1)).scalar_one()
    web_login("manager_wang")
    assert client.get(f"/console/person/{other.id}/edit").status_code == 404
    r = client.post(f"/console/person/{other.id}/edit", data={"name": "改名"}, headers=ORIGIN)
    assert r.status_code == 404
    session.refresh(other)
    assert other.name != "改名"
    web_login("guard_chen")
    assert client.get(f"/console/person/{ids['li_person']}/edit").status_code == 403
