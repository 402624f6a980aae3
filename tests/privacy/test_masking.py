"""Staff see masked personal data; unmasking is a role's right, needs a reason and is logged (R-P6)."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from anju.accounts.models import User
from anju.core.audit import ObjectChange, PiiAccess
from anju.core.crypto import decrypt
from anju.registry.models import Person
from anju.registry.schemas import id_check_digit

PHONE_MASK = re.compile(r"^1[3-9][0-9]\*{4}[0-9]{4}$")
ID_MASK = re.compile(r"^[0-9]{3}\*{11}[0-9]{3}[0-9X]$")


def user_id(session, username: str) -> int:
    return session.execute(select(User.id).where(User.username == username)).scalar_one()


def pii_rows(session) -> list[PiiAccess]:
    return list(session.execute(select(PiiAccess).order_by(PiiAccess.id)).scalars())


def plain(p: Person) -> tuple[str | None, str | None]:
    return decrypt(p.phone_enc, context="person.phone"), decrypt(p.id_number_enc, context="person.id_number")


class TestMaskedByDefault:
    # Guards and technicians read no roster at all (issue 17 item 5: tests/web/test_field_roles.py).
    @pytest.mark.parametrize("role", ["staff_liu", "grid_zhou", "manager_wang"])
    def test_r_p6_staff_lists_show_masks_only(self, client, login, session, ids, role):
        r = client.get("/api/v1/people", headers=login(role), params={"compound_id": ids["A"], "page_size": 200})
        assert r.status_code == 200
        items = r.json()["items"]
        assert len(items) > 100
        assert any(i["phone_masked"] for i in items) and any(i["id_number_masked"] for i in items)
        for i in items:
            assert i["phone_masked"] is None or PHONE_MASK.match(i["phone_masked"]), i
            assert i["id_number_masked"] is None or ID_MASK.match(i["id_number_masked"]), i
            assert "phone" not in i and "id_number" not in i
        people = session.execute(select(Person).where(Person.id.in_([i["id"] for i in items]))).scalars()
        for p in people:
            for value in plain(p):
                if value:
                    assert value not in r.text

    def test_r_p6_detail_masks_contacts_too(self, client, login, session, ids):
        from anju.registry.models import EmergencyContact

        contact = (
            session.execute(select(EmergencyContact).where(EmergencyContact.compound_id == ids["A"])).scalars().first()
        )
        r = client.get(f"/api/v1/people/{contact.person_id}", headers=login("staff_liu"))
        assert r.status_code == 200
        [c] = r.json()["contacts"]
        assert PHONE_MASK.match(c["phone_masked"])
        assert decrypt(contact.phone_enc, context="contact.phone") not in r.text

    def test_r_p6_household_view_is_masked(self, client, login, session, ids):
        r = client.get("/api/v1/me/household", headers=login("resident_li"))
        assert r.status_code == 200
        for m in r.json()[0]["members"]:
            assert m["phone_masked"] is None or PHONE_MASK.match(m["phone_masked"])
        phone, idn = plain(session.get(Person, ids["li_person"]))
        assert phone not in r.text and idn not in r.text


class TestReveal:
    def test_manager_reveal_returns_value_and_writes_pii_access(self, client, login, session, ids):
        before = len(pii_rows(session))
        r = client.post(
            f"/api/v1/people/{ids['li_person']}/reveal",
            headers=login("manager_wang"),
            json={"field": "phone", "reason": "维修回访需联系业主"},
        )
        assert r.status_code == 200, r.text
        li = session.get(Person, ids["li_person"])
        assert r.json() == {"person_id": li.id, "field": "phone", "value": plain(li)[0]}
        rows = pii_rows(session)
        assert len(rows) == before + 1
        row = rows[-1]
        assert (row.user_id, row.subject, row.field, row.reason, row.compound_id) == (
            user_id(session, "manager_wang"),
            f"person:{li.id}",
            "phone",
            "维修回访需联系业主",
            ids["A"],
        )

    def test_reveal_of_id_number(self, client, login, session, ids):
        r = client.post(
            f"/api/v1/people/{ids['li_person']}/reveal",
            headers=login("admin"),
            json={"field": "id_number", "reason": "公安协查"},
        )
        assert r.status_code == 200
        assert r.json()["value"] == plain(session.get(Person, ids["li_person"]))[1]
        assert pii_rows(session)[-1].field == "id_number"

    @pytest.mark.parametrize("role", ["guard_chen", "staff_liu", "grid_zhou"])
    def test_r_p6_roles_without_unmask_get_403_and_no_log(self, client, login, session, ids, role):
        before = len(pii_rows(session))
        r = client.post(
            f"/api/v1/people/{ids['li_person']}/reveal",
            headers=login(role),
            json={"field": "phone", "reason": "想看看"},
        )
        assert r.status_code == 403
        assert ids["li_person"] and len(pii_rows(session)) == before

    def test_reveal_needs_a_reason(self, client, login, ids):
        h = login("manager_wang")
        for body in ({"field": "phone"}, {"field": "phone", "reason": ""}, {"field": "phone", "reason": " "}):
            r = client.post(f"/api/v1/people/{ids['li_person']}/reveal", headers=h, json=body)
            assert r.status_code == 422, body

    def test_only_phone_and_id_number_can_be_revealed(self, client, login, ids):
        r = client.post(
            f"/api/v1/people/{ids['li_person']}/reveal",
            headers=login("manager_wang"),
            json={"field": "phone_enc", "reason": "试试"},
        )
        assert r.status_code == 422

    def test_resident_reveals_own_phone_and_it_is_logged(self, client, login, session, ids):
        before = len(pii_rows(session))
        r = client.post(
            f"/api/v1/people/{ids['li_person']}/reveal",
            headers=login("resident_li"),
            json={"field": "phone", "reason": "查看本人号码"},
        )
        assert r.status_code == 200
        assert r.json()["value"] == plain(session.get(Person, ids["li_person"]))[0]
        rows = pii_rows(session)
        assert len(rows) == before + 1 and rows[-1].user_id == user_id(session, "resident_li")

    def test_resident_cannot_reveal_a_household_members_phone(self, client, login, ids):
        r = client.post(
            f"/api/v1/houses/{ids['li_house']}/move-in",
            headers=login("manager_wang"),
            json={
                "role": "family",
                "on": "2026-11-20",
                "person": {"compound_id": ids["A"], "name": "李小妹", "phone": "13700007777"},
            },
        )
        assert r.status_code == 201
        member = r.json()["person_id"]
        h = login("resident_li")
        assert client.get(f"/api/v1/people/{member}", headers=h).status_code == 200
        r = client.post(f"/api/v1/people/{member}/reveal", headers=h, json={"field": "phone", "reason": "家人号码"})
        assert r.status_code == 403

    def test_pii_access_log_is_scoped(self, client, login, ids):
        client.post(
            f"/api/v1/people/{ids['li_person']}/reveal",
            headers=login("manager_wang"),
            json={"field": "phone", "reason": "维修回访"},
        )
        mine = client.get("/api/v1/audit/pii-access", headers=login("manager_wang")).json()
        assert mine["total"] >= 1 and mine["items"][0]["reason"] == "维修回访"
        theirs = client.get("/api/v1/audit/pii-access", headers=login("outsider_zhao")).json()
        assert all(i["compound_id"] == ids["B"] for i in theirs["items"])


class TestChangeRecords:
    def test_person_updates_are_recorded_masked_only(self, client, login, session, ids):
        li = session.get(Person, ids["li_person"])
        old_phone, old_id = plain(li)
        old_name = li.name
        new_phone, new_id = "13987654321", "11010519850512003" + id_check_digit("11010519850512003")
        r = client.patch(
            f"/api/v1/people/{li.id}",
            headers=login("manager_wang"),
            json={"phone": new_phone, "id_number": new_id, "name": "李新名"},
        )
        assert r.status_code == 200, r.text
        change = (
            session.execute(
                select(ObjectChange)
                .where(ObjectChange.entity == "person", ObjectChange.entity_id == li.id)
                .order_by(ObjectChange.id.desc())
            )
            .scalars()
            .first()
        )
        assert change.action == "update" and change.user_id == user_id(session, "manager_wang")
        assert PHONE_MASK.match(change.before["phone"]) and PHONE_MASK.match(change.after["phone"])
        assert ID_MASK.match(change.after["id_number"])
        assert set(change.after["changed"]) == {"phone", "id_number", "name"}
        stored = json.dumps([change.before, change.after], ensure_ascii=False)
        for secret in (old_phone, old_id, new_phone, new_id, old_name, "李新名"):
            assert secret not in stored
        api = client.get(
            "/api/v1/audit/changes", headers=login("manager_wang"), params={"entity": "person", "entity_id": li.id}
        ).json()
        assert api["items"][0]["after"]["phone"] == "139****4321"
        assert new_phone not in json.dumps(api, ensure_ascii=False)

    def test_a_change_hidden_by_the_mask_is_still_recorded(self, client, login, session, ids):
        li = session.get(Person, ids["li_person"])
        old_phone = plain(li)[0]
        same_mask = old_phone[:3] + ("0000" if old_phone[3:7] != "0000" else "1111") + old_phone[7:]
        count = session.execute(select(func.count()).select_from(ObjectChange)).scalar_one()
        r = client.patch(f"/api/v1/people/{li.id}", headers=login("manager_wang"), json={"phone": same_mask})
        assert r.status_code == 200
        assert session.execute(select(func.count()).select_from(ObjectChange)).scalar_one() == count + 1

    def test_an_update_that_changes_nothing_leaves_no_record(self, client, login, session, ids):
        li = session.get(Person, ids["li_person"])
        count = session.execute(select(func.count()).select_from(ObjectChange)).scalar_one()
        r = client.patch(f"/api/v1/people/{li.id}", headers=login("manager_wang"), json={"name": li.name})
        assert r.status_code == 200
        assert session.execute(select(func.count()).select_from(ObjectChange)).scalar_one() == count

    def test_created_person_is_recorded_masked(self, client, login, session, ids):
        r = client.post(
            "/api/v1/people",
            headers=login("staff_liu"),
            json={"compound_id": ids["A"], "name": "王小二", "phone": "13600001111"},
        )
        assert r.status_code == 201
        change = session.execute(
            select(ObjectChange).where(ObjectChange.entity_id == r.json()["id"], ObjectChange.action == "create")
        ).scalar_one()
        assert change.after["phone"] == "136****1111" and "13600001111" not in json.dumps(change.after)
        assert change.after["name"] == "王*二"


def test_r_p6_change_records_keep_only_a_masked_plate(client, login, session, ids):
    r = client.post(
        "/api/v1/vehicles",
        json={"compound_id": ids["A"], "house_id": ids["li_house"], "plate": "沪A8K2Q7"},
        headers=login("manager_wang"),
    )
    assert r.status_code == 201, r.text
    after = session.execute(
        select(ObjectChange.after).where(ObjectChange.entity == "vehicle", ObjectChange.entity_id == r.json()["id"])
    ).scalar_one()
    text = after if isinstance(after, str) else json.dumps(after, ensure_ascii=False)
    assert "沪A8K2Q7" not in text and "沪A***Q7" in text
