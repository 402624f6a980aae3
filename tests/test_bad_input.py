"""Bad input gets a clear 4xx in the one error shape, and never leaves half a write behind."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from anju.core.audit import ObjectChange
from anju.core.config import get_settings
from anju.core.events import OutboxEvent
from anju.registry.models import EmergencyContact, House, Occupancy, Person, PersonTag, Vehicle
from anju.registry.schemas import id_check_digit

TABLES = (Person, PersonTag, EmergencyContact, Occupancy, Vehicle, ObjectChange, OutboxEvent)


def valid_id(first17: str = "11010519900307123") -> str:
    return first17 + id_check_digit(first17)


def bad_check_digit(first17: str = "11010519900307123") -> str:
    good = id_check_digit(first17)
    return first17 + ("0" if good != "0" else "1")


def assert_error(r: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text[:300]
    body = r.json()
    assert set(body) == {"error"}
    err = body["error"]
    assert set(err) == {"code", "message", "fields"}
    assert isinstance(err["message"]["zh"], str) and err["message"]["zh"]
    assert isinstance(err["message"]["en"], str) and err["message"]["en"]
    assert isinstance(err["fields"], list)
    if code is not None:
        assert err["code"] == code
    return err


def field_names(err: dict[str, Any]) -> set[str]:
    """Field paths without their location prefix ("path.house_id" -> "house_id")."""
    return {f["field"].removeprefix("path.").removeprefix("query.") for f in err["fields"]}


def counts(session: Any) -> dict[str, int]:
    return {m.__tablename__: session.execute(select(func.count()).select_from(m)).scalar_one() for m in TABLES}


@pytest.fixture
def manager(persona) -> dict[str, str]:
    return persona("manager_wang").headers


@pytest.fixture
def unchanged(session) -> Iterator[None]:
    """The test's failing requests must not change any row count."""
    before = counts(session)
    yield
    session.expire_all()
    assert counts(session) == before


class TestMalformed:
    def test_malformed_json_is_400(self, client, manager):
        r = client.post(
            "/api/v1/people",
            headers={**manager, "Content-Type": "application/json"},
            content=b'{"compound_id": 1, "name": ',
        )
        assert_error(r, 400, "malformed_json")

    def test_malformed_json_on_patch_is_400(self, client, manager, ids):
        r = client.patch(
            f"/api/v1/people/{ids['li_person']}",
            headers={**manager, "Content-Type": "application/json"},
            content=b"{'name': 'single quotes'}",
        )
        assert_error(r, 400, "malformed_json")

    def test_json_of_the_wrong_shape_is_422(self, client, manager):
        r = client.post("/api/v1/people", headers=manager, json=["not", "an", "object"])
        assert_error(r, 422, "invalid")

    def test_empty_body_is_422(self, client, manager):
        r = client.post("/api/v1/people", headers={**manager, "Content-Type": "application/json"}, content=b"")
        err = assert_error(r, 422, "invalid")
        assert err["fields"][0]["type"] == "missing"


class TestWrongTypes:
    def test_wrong_types_name_each_field(self, client, manager):
        r = client.post(
            "/api/v1/people",
            headers=manager,
            json={"compound_id": "abc", "name": 5, "birth_date": "yesterday", "gender": "x"},
        )
        err = assert_error(r, 422, "invalid")
        assert {"compound_id", "name", "birth_date", "gender"} <= field_names(err)
        assert all(f["message"] for f in err["fields"])

    def test_missing_required_field(self, client, manager):
        err = assert_error(client.post("/api/v1/people", headers=manager, json={"name": "张三"}), 422)
        assert "compound_id" in field_names(err)

    def test_bad_path_and_query_types(self, client, manager):
        assert "house_id" in field_names(assert_error(client.get("/api/v1/houses/abc", headers=manager), 422))
        err = assert_error(client.get("/api/v1/houses", headers=manager, params={"page": 0, "page_size": 10_000}), 422)
        assert {"page", "page_size"} <= field_names(err)
        assert_error(client.get("/api/v1/people", headers=manager, params={"tag": "vip"}), 422)

    def test_out_of_range_numbers(self, client, manager, ids):
        r = client.patch(f"/api/v1/houses/{ids['li_house']}", headers=manager, json={"registered_area": "-5"})
        assert "registered_area" in field_names(assert_error(r, 422))
        r = client.patch(f"/api/v1/houses/{ids['li_house']}", headers=manager, json={"registered_area": "1.234"})
        assert_error(r, 422)


class TestUnknownIds:
    @pytest.mark.parametrize(
        ("method", "url", "body"),
        [
            ("GET", "/api/v1/houses/987654321", None),
            ("PATCH", "/api/v1/houses/987654321", {"registered_area": "80"}),
            ("GET", "/api/v1/people/987654321", None),
            ("PATCH", "/api/v1/people/987654321", {"name": "无人"}),
            ("POST", "/api/v1/people/987654321/reveal", {"field": "phone", "reason": "核实身份"}),
            ("GET", "/api/v1/compounds/987654321", None),
            ("GET", "/api/v1/compounds/987654321/tree", None),
            ("POST", "/api/v1/houses/987654321/move-out", {"on": "2026-11-20"}),
            ("POST", "/api/v1/privacy/requests/987654321/resolve", {"status": "done"}),
        ],
    )
    def test_unknown_id_is_404(self, client, manager, method, url, body):
        r = client.request(method, url, headers=manager, **({"json": body} if body is not None else {}))
        assert_error(r, 404, "not_found")

    @pytest.mark.parametrize(
        "url",
        [
            "/api/v1/people/132080401451075942481920",
            "/api/v1/houses?compound_id=99999999999999999999999",
            "/api/v1/people?house_id=-99999999999999999999999",
        ],
    )
    def test_ids_beyond_64_bits_are_422_not_500(self, client, manager, url):
        assert_error(client.get(url, headers=manager), 422, "invalid")

    def test_unknown_references_in_a_body_are_404(self, client, manager, ids, unchanged):
        r = client.post(
            "/api/v1/vehicles",
            headers=manager,
            json={"compound_id": ids["A"], "plate": "京A0B1C2", "person_id": 987654321},
        )
        assert_error(r, 404)
        r = client.post("/api/v1/people", headers=manager, json={"compound_id": 987654321, "name": "张三"})
        assert_error(r, 404)

    def test_unknown_route_and_method(self, client, manager):
        assert_error(client.get("/api/v1/no-such-thing", headers=manager), 404, "not_found")
        assert_error(client.delete("/api/v1/compounds", headers=manager), 405, "method_not_allowed")


class TestOversize:
    def test_body_over_the_limit_is_413(self, client, manager):
        limit = get_settings().upload_max_bytes
        r = client.post(
            "/api/v1/people", headers={**manager, "Content-Type": "application/json"}, content=b" " * (limit + 1)
        )
        assert_error(r, 413, "too_large")

    def test_chunked_body_over_the_limit_is_413(self, client, manager):
        # No Content-Length: the limit must hold while the body streams in.
        limit = get_settings().upload_max_bytes

        def chunks() -> Iterator[bytes]:
            sent = 0
            while sent <= limit:
                yield b" " * 65536
                sent += 65536

        r = client.post("/api/v1/people", headers={**manager, "Content-Type": "application/json"}, content=chunks())
        assert_error(r, 413, "too_large")

    def test_chunked_body_under_the_limit_is_read(self, client, manager, ids):
        r = client.post(
            "/api/v1/people",
            headers={**manager, "Content-Type": "application/json"},
            content=iter([b'{"compound_id": ', str(ids["A"]).encode(), b', "name": "\xe5\x88\x86\xe5\x9d\x97"}']),
        )
        assert r.status_code == 201, r.text
        assert r.json()["name"] == "分块"

    def test_invalid_content_length_is_400(self, client, manager):
        r = client.post(
            "/api/v1/people",
            headers={**manager, "Content-Type": "application/json", "Content-Length": "lots"},
            content=b"{}",
        )
        assert_error(r, 400, "bad_request")


SEARCHES = ["'; DROP TABLE person; --", "%", "_", "\\", "' OR '1'='1", "李%", "%_%", "\x00", "\u202e"]


class TestSearchInjection:
    @pytest.mark.parametrize("q", SEARCHES)
    def test_sql_looking_search_is_plain_text(self, client, manager, session, q):
        before = counts(session)
        for url, param, longest in (
            ("/api/v1/people", "q", 64),
            ("/api/v1/houses", "q", 32),
            ("/api/v1/vehicles", "plate", 16),
        ):
            r = client.get(url, headers=manager, params={param: q[:longest]})
            if "\x00" in q:
                assert_error(r, 422)  # a NUL cannot be stored or searched for
                continue
            assert r.status_code == 200, r.text
            # Wildcards are escaped: "%" or "_" match only names that contain them (none).
            assert r.json()["total"] == 0, (url, q)
        assert counts(session) == before
        assert session.execute(select(func.count()).select_from(House)).scalar_one() > 0

    def test_a_real_name_fragment_still_matches(self, client, manager, session, ids):
        name = session.get(Person, ids["li_person"]).name
        r = client.get("/api/v1/people", headers=manager, params={"q": name[:2]})
        assert r.status_code == 200 and r.json()["total"] >= 1


class TestExtraFields:
    def test_unknown_field_is_422_naming_it(self, client, manager, ids, unchanged):
        r = client.post(
            "/api/v1/people", headers=manager, json={"compound_id": ids["A"], "name": "张三", "is_admin": True}
        )
        err = assert_error(r, 422)
        assert "is_admin" in field_names(err)

    def test_unknown_field_in_a_nested_object(self, client, manager, ids, unchanged):
        r = client.post(
            "/api/v1/people",
            headers=manager,
            json={
                "compound_id": ids["A"],
                "name": "张三",
                "contacts": [{"name": "李四", "relation": "子女", "phone": "13912345678", "note": "x"}],
            },
        )
        err = assert_error(r, 422)
        assert any(f.endswith("note") for f in field_names(err))

    def test_unknown_field_on_patch(self, client, manager, ids, unchanged):
        r = client.patch(f"/api/v1/people/{ids['li_person']}", headers=manager, json={"status": "erased"})
        assert "status" in field_names(assert_error(r, 422))


class TestPersonalDataValidation:
    @pytest.mark.parametrize("phone", ["12345", "1381234567", "23812345678", "138-1234-567x", "1381234567٨"])
    def test_invalid_phone_is_422_naming_the_field(self, client, manager, ids, unchanged, phone):
        r = client.post(
            "/api/v1/people", headers=manager, json={"compound_id": ids["A"], "name": "张三", "phone": phone}
        )
        err = assert_error(r, 422)
        assert "phone" in field_names(err)

    def test_id_number_with_a_bad_check_digit_is_422(self, client, manager, ids, unchanged):
        r = client.post(
            "/api/v1/people",
            headers=manager,
            json={"compound_id": ids["A"], "name": "张三", "id_number": bad_check_digit()},
        )
        err = assert_error(r, 422)
        assert "id_number" in field_names(err)
        assert "check digit" in " ".join(f["message"] for f in err["fields"])

    @pytest.mark.parametrize("id_number", ["1101051990030712", "11010519900307123Y", "ABCDEFGHIJKLMNOPQR"])
    def test_malformed_id_number_is_422(self, client, manager, ids, unchanged, id_number):
        r = client.post(
            "/api/v1/people", headers=manager, json={"compound_id": ids["A"], "name": "张三", "id_number": id_number}
        )
        assert "id_number" in field_names(assert_error(r, 422))

    def test_invalid_contact_phone_names_the_nested_field(self, client, manager, ids, unchanged):
        r = client.post(
            "/api/v1/people",
            headers=manager,
            json={
                "compound_id": ids["A"],
                "name": "张三",
                "contacts": [{"name": "李四", "relation": "子女", "phone": "1"}],
            },
        )
        err = assert_error(r, 422)
        assert any(f.endswith("phone") for f in field_names(err))

    def test_valid_values_are_normalised(self, client, manager, ids):
        r = client.post(
            "/api/v1/people",
            headers=manager,
            json={"compound_id": ids["A"], "name": " 张三 ", "phone": "138 1234 5678", "id_number": valid_id().lower()},
        )
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["name"] == "张三" and body["phone_masked"] == "138****5678"

    def test_full_width_digits_are_normalised_and_deduplicated(self, client, manager, ids):
        idn = valid_id("11010519700101004")
        wide = idn.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
        r = client.post(
            "/api/v1/people",
            headers=manager,
            json={"compound_id": ids["A"], "name": "全角", "phone": "１３９１２３４５６７８", "id_number": wide},
        )
        assert r.status_code == 201, r.text
        assert r.json()["phone_masked"] == "139****5678"
        r = client.post(
            "/api/v1/people", headers=manager, json={"compound_id": ids["A"], "name": "半角", "id_number": idn}
        )
        assert_error(r, 409)

    def test_nul_characters_are_422(self, client, manager, ids, unchanged):
        r = client.post("/api/v1/people", headers=manager, json={"compound_id": ids["A"], "name": "张\u0000三"})
        assert "name" in field_names(assert_error(r, 422))
        r = client.get("/api/v1/people", headers=manager, params={"q": "张\x00"})
        assert_error(r, 422)

    def test_invalid_plate_is_422(self, client, manager, ids, unchanged):
        r = client.post("/api/v1/vehicles", headers=manager, json={"compound_id": ids["A"], "plate": "ABC"})
        assert "plate" in field_names(assert_error(r, 422))


class TestDuplicates:
    def test_duplicate_id_number_is_409(self, client, manager, ids):
        body = {"compound_id": ids["A"], "name": "张三", "id_number": valid_id()}
        assert client.post("/api/v1/people", headers=manager, json=body).status_code == 201
        err = assert_error(
            client.post("/api/v1/people", headers=manager, json={**body, "name": "张三丰"}), 409, "conflict"
        )
        assert "id_number" in field_names(err)

    def test_patch_to_another_persons_id_number_is_409_and_changes_nothing(self, client, manager, ids, session):
        taken = valid_id("11010519800101001")
        created = client.post(
            "/api/v1/people", headers=manager, json={"compound_id": ids["A"], "name": "甲", "id_number": taken}
        )
        assert created.status_code == 201
        li = session.get(Person, ids["li_person"])
        name_before = li.name
        before = counts(session)
        # The name would change first; the duplicate ID number must undo the whole request.
        r = client.patch(
            f"/api/v1/people/{ids['li_person']}", headers=manager, json={"name": "改了名", "id_number": taken}
        )
        assert_error(r, 409)
        session.expire_all()
        assert session.get(Person, ids["li_person"]).name == name_before
        assert counts(session) == before

    def test_duplicate_plate_is_409(self, client, manager, ids, session):
        plate = session.execute(select(Vehicle.plate).where(Vehicle.compound_id == ids["A"])).scalars().first()
        before = counts(session)
        r = client.post("/api/v1/vehicles", headers=manager, json={"compound_id": ids["A"], "plate": plate})
        assert_error(r, 409, "conflict")
        session.expire_all()
        assert counts(session) == before

    def test_same_id_number_in_another_compound_is_allowed(self, client, login, manager, ids):
        idn = valid_id("11010519751111002")
        assert (
            client.post(
                "/api/v1/people", headers=manager, json={"compound_id": ids["A"], "name": "甲", "id_number": idn}
            ).status_code
            == 201
        )
        r = client.post(
            "/api/v1/people",
            headers=login("outsider_zhao"),
            json={"compound_id": ids["B"], "name": "甲", "id_number": idn},
        )
        assert r.status_code == 201


class TestNothingHalfWritten:
    def test_move_in_with_a_duplicate_new_person_writes_nothing(self, client, manager, ids, session):
        taken = valid_id("11010519850505003")
        assert (
            client.post(
                "/api/v1/people", headers=manager, json={"compound_id": ids["A"], "name": "甲", "id_number": taken}
            ).status_code
            == 201
        )
        before = counts(session)
        r = client.post(
            f"/api/v1/houses/{ids['li_house']}/move-in",
            headers=manager,
            json={
                "role": "family",
                "on": "2026-11-20",
                "person": {
                    "compound_id": ids["A"],
                    "name": "乙",
                    "id_number": taken,
                    "tags": ["minor"],
                    "contacts": [{"name": "丙", "relation": "父母", "phone": "13912345678"}],
                },
            },
        )
        assert_error(r, 409)
        session.expire_all()
        assert counts(session) == before

    def test_failed_move_out_ends_no_occupancy(self, client, manager, ids, session):
        # A newcomer moved in on the 20th; moving everyone out on the 10th fails for them,
        # after the earlier residents' links were already ended in the same request.
        r = client.post(
            f"/api/v1/houses/{ids['li_house']}/move-in",
            headers=manager,
            json={"role": "family", "on": "2026-11-20", "person": {"compound_id": ids["A"], "name": "新来的"}},
        )
        assert r.status_code == 201
        session.expire_all()
        active_before = session.execute(
            select(func.count())
            .select_from(Occupancy)
            .where(Occupancy.house_id == ids["li_house"], Occupancy.ended_on.is_(None))
        ).scalar_one()
        assert active_before >= 2
        before = counts(session)
        r = client.post(f"/api/v1/houses/{ids['li_house']}/move-out", headers=manager, json={"on": "2026-11-10"})
        assert_error(r, 422)
        session.expire_all()
        assert counts(session) == before
        active_after = session.execute(
            select(func.count())
            .select_from(Occupancy)
            .where(Occupancy.house_id == ids["li_house"], Occupancy.ended_on.is_(None))
        ).scalar_one()
        assert active_after == active_before

    def test_forbidden_write_changes_nothing(self, client, login, ids, unchanged):
        r = client.post("/api/v1/people", headers=login("guard_chen"), json={"compound_id": ids["A"], "name": "张三"})
        assert_error(r, 403, "forbidden")
