"""Roster import and export: row-by-row validation, modes, idempotency, masking, permissions."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from anju.core.audit import ObjectChange
from anju.core.crypto import blind_index, decrypt
from anju.core.errors import Forbidden, Invalid, NotFound
from anju.core.events import OutboxEvent
from anju.registry.enums import Gender, HouseStatus, OccupancyRole, PersonTagKind, PopulationType
from anju.registry.models import EmergencyContact, House, Occupancy, Person
from anju.registry.roster import export_roster, import_roster
from anju.registry.schemas import id_check_digit

HEADER = ["姓名", "手机", "身份证号", "房屋", "关系", "人口类型", "性别", "出生日期", "标签", "租约到期"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def idn(n: int, birth: str = "19900101", region: str = "440301") -> str:
    """A valid ID number (GB 11643 check digit) from a region the demo data never uses."""
    first17 = f"{region}{birth}{n:03d}"
    return first17 + id_check_digit(first17)


def phone(n: int) -> str:
    return f"1370000{n:04d}"


def xlsx(rows: list[list[Any]], header: list[str] = HEADER) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_bytes(rows: list[list[Any]], header: list[str] = HEADER, encoding: str = "utf-8") -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode(encoding)


def good_rows(k: int = 3) -> list[list[Any]]:
    houses = ["1-1-0101", "1-1-0102", "2-1-0201", "2-2-0302", "3-2-0501"]
    return [
        [f"导入{n}号", phone(n), idn(n), houses[n % len(houses)], "业主", "户籍", "男", "1990-01-01", "", ""]
        for n in range(1, k + 1)
    ]


def count(session: Any, model: Any, *where: Any) -> int:
    return session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def by_id_number(session: Any, compound_id: int, id_number: str) -> Person | None:
    return session.execute(
        select(Person).where(
            Person.compound_id == compound_id, Person.id_number_bidx == blind_index(id_number, context="id_number")
        )
    ).scalar_one_or_none()


@pytest.fixture
def who(persona: Any) -> Any:
    """manager_wang as a Principal, for calling the service directly."""
    return persona("manager_wang").who


def run(session: Any, who: Any, compound_id: int, data: bytes, filename: str = "roster.xlsx", **kw: Any) -> Any:
    return import_roster(session, who=who, compound_id=compound_id, filename=filename, data=data, **kw)


class TestImport:
    def test_valid_rows_create_people_and_occupancies(self, session, who, ids):
        rows = good_rows(3)
        rows[2][4:] = ["租户", "流动", "女", datetime(1995, 3, 4), "独居老人、特殊关怀", "2099-12-31"]
        report = run(session, who, ids["A"], xlsx(rows))
        assert report.errors == []
        assert (report.total_rows, report.created, report.updated, report.imported) == (3, 3, 0, 3)
        assert report.committed
        tenant = by_id_number(session, ids["A"], idn(3))
        assert tenant is not None and tenant.name == "导入3号"
        assert (tenant.gender, tenant.birth_date, tenant.population_type) == (
            Gender.female,
            date(1995, 3, 4),
            PopulationType.floating,
        )
        assert decrypt(tenant.phone_enc, context="person.phone") == phone(3)
        occ = session.execute(select(Occupancy).where(Occupancy.person_id == tenant.id)).scalar_one()
        assert (occ.role, occ.lease_end, occ.ended_on) == (OccupancyRole.tenant, date(2099, 12, 31), None)
        assert session.get(House, occ.house_id).status == HouseStatus.rented
        from anju.registry.service import person_service

        assert set(person_service.tags(session, tenant.id)) == {PersonTagKind.elderly_alone, PersonTagKind.special_care}
        changes = (
            session.execute(
                select(ObjectChange).where(ObjectChange.entity == "person", ObjectChange.entity_id == tenant.id)
            )
            .scalars()
            .all()
        )
        assert [c.action for c in changes] == ["create"] and changes[0].user_id == who.user_id

    def test_reports_bad_phone_row_by_row(self, session, who, ids):
        rows = good_rows(4)
        rows[1][1] = "1380013800"  # ten digits
        rows[3][1] = "23800138000"
        report = run(session, who, ids["A"], xlsx(rows))
        assert [(e.row, e.column) for e in report.errors] == [(3, "手机"), (5, "手机")]
        assert "手机号格式错误 / invalid phone" in report.errors[0].message
        assert (report.created, report.rejected) == (2, 2)

    def test_reports_unknown_house_and_bad_id_number(self, session, who, ids):
        rows = good_rows(3)
        rows[0][3] = "9-9-9999"
        rows[2][2] = idn(3)[:-1] + ("0" if idn(3)[-1] != "0" else "1")  # wrong check digit
        report = run(session, who, ids["A"], xlsx(rows))
        assert [(e.row, e.column) for e in report.errors] == [(2, "房屋"), (4, "身份证号")]
        assert "9-9-9999" in report.errors[0].message
        assert "校验位" in report.errors[1].message

    def test_reports_duplicate_id_number_naming_the_first_row(self, session, who, ids):
        rows = good_rows(3)
        rows[2][2] = rows[0][2]
        report = run(session, who, ids["A"], xlsx(rows))
        assert [(e.row, e.column) for e in report.errors] == [(4, "身份证号")]
        assert "第2行" in report.errors[0].message and "row 2" in report.errors[0].message
        assert report.created == 2

    def test_reports_every_error_of_a_row(self, session, who, ids):
        rows = [["", "12", "123", "", "房东", "本地", "男女", "1990-13-01", "独居", ""]]
        report = run(session, who, ids["A"], xlsx(rows))
        assert {e.column for e in report.errors} == {
            "姓名",
            "手机",
            "身份证号",
            "房屋",
            "关系",
            "人口类型",
            "性别",
            "出生日期",
            "标签",
        }
        assert {e.row for e in report.errors} == {2} and report.rejected == 1
        assert not report.committed

    def test_tenant_without_lease_end_and_long_name_are_rejected(self, session, who, ids):
        rows = good_rows(2)
        rows[0][4] = "tenant"
        rows[1][0] = "名" * 65
        report = run(session, who, ids["A"], xlsx(rows))
        assert [(e.row, e.column) for e in report.errors] == [(2, "租约到期"), (3, "姓名")]
        assert "lease end is required" in report.errors[0].message

    def test_all_or_nothing_imports_nothing_when_one_row_is_bad(self, session, who, ids):
        rows = good_rows(3)
        rows[1][1] = "bad"
        before = count(session, Person)
        report = run(session, who, ids["A"], xlsx(rows), all_or_nothing=True)
        assert not report.committed and report.imported == 0 and report.created == 0
        assert [e.row for e in report.errors] == [3]
        assert count(session, Person) == before
        assert "全部未导入" in report.summary()

    def test_default_mode_imports_the_valid_rows_and_reports_the_bad(self, session, who, ids):
        rows = good_rows(3)
        rows[1][3] = "不存在"
        report = run(session, who, ids["A"], xlsx(rows))
        assert report.committed and report.created == 2 and report.rejected == 1
        assert by_id_number(session, ids["A"], idn(1)) is not None
        assert by_id_number(session, ids["A"], idn(2)) is None
        assert "2 created" in report.summary() and "1 rejected" in report.summary()

    def test_reimport_of_the_same_file_changes_nothing(self, session, who, ids):
        rows = good_rows(4)
        rows[3] = ["无证小孩", "", "", "1-1-0101", "家属", "", "", "", "未成年", ""]
        data = xlsx(rows)
        first = run(session, who, ids["A"], data)
        assert first.created == 4 and first.errors == []
        changes, events, people = count(session, ObjectChange), count(session, OutboxEvent), count(session, Person)
        again = run(session, who, ids["A"], data)
        assert (again.created, again.updated, again.unchanged, again.imported) == (0, 0, 4, 0)
        assert again.errors == [] and again.committed
        assert (count(session, ObjectChange), count(session, OutboxEvent), count(session, Person)) == (
            changes,
            events,
            people,
        )

    def test_changed_fields_update_only_that_person(self, session, who, ids):
        rows = good_rows(3)
        run(session, who, ids["A"], xlsx(rows))
        changes = count(session, ObjectChange)
        rows[1][1] = phone(99)
        rows[2][3] = "3-1-0802"  # a second house for the same person (matched by ID number)
        report = run(session, who, ids["A"], xlsx(rows))
        assert (report.created, report.updated, report.unchanged) == (0, 2, 1)
        p2 = by_id_number(session, ids["A"], idn(2))
        assert decrypt(p2.phone_enc, context="person.phone") == phone(99)
        p3 = by_id_number(session, ids["A"], idn(3))
        labels = session.execute(
            select(House.label)
            .join(Occupancy, Occupancy.house_id == House.id)
            .where(Occupancy.person_id == p3.id, Occupancy.ended_on.is_(None))
        ).scalars()
        assert set(labels) == {"2-2-0302", "3-1-0802"}
        assert count(session, ObjectChange) == changes + 2  # one person update, one occupancy create

    def test_same_name_and_phone_without_id_matches_the_existing_person(self, session, who, ids):
        run(session, who, ids["A"], xlsx([["张无证", phone(7), "", "1-1-0101", "业主", "", "", "", "", ""]]))
        report = run(
            session, who, ids["A"], xlsx([["张无证", phone(7), idn(7), "1-1-0101", "业主", "", "", "", "", ""]])
        )
        assert (report.created, report.updated) == (0, 1)
        assert count(session, Person, Person.compound_id == ids["A"], Person.name == "张无证") == 1
        assert by_id_number(session, ids["A"], idn(7)).name == "张无证"

    def test_dry_run_writes_nothing(self, session, who, ids):
        before = (count(session, Person), count(session, ObjectChange), count(session, OutboxEvent))
        rows = good_rows(3)
        rows[0][1] = "x"
        report = run(session, who, ids["A"], xlsx(rows), dry_run=True)
        assert report.dry_run and not report.committed
        assert (report.created, report.rejected) == (2, 1)
        assert (count(session, Person), count(session, ObjectChange), count(session, OutboxEvent)) == before
        assert "dry run" in report.summary()

    def test_masked_numbers_are_rejected(self, session, who, ids):
        rows = good_rows(2)
        rows[0][1] = "137****0001"
        rows[1][2] = "440***********0021"
        report = run(session, who, ids["A"], xlsx(rows))
        assert [(e.row, e.column) for e in report.errors] == [(2, "手机"), (3, "身份证号")]
        assert all(e.message == "号码已脱敏，无法导入 / masked number cannot be imported" for e in report.errors)

    def test_gbk_csv_is_read(self, session, who, ids):
        report = run(session, who, ids["A"], csv_bytes(good_rows(2), encoding="gbk"), filename="名册.csv")
        assert report.errors == [] and report.created == 2
        assert by_id_number(session, ids["A"], idn(1)).name == "导入1号"

    def test_utf8_csv_with_bom_and_english_headers_is_read(self, session, who, ids):
        header = [
            "name",
            "phone",
            "id_number",
            "house",
            "role",
            "population_type",
            "gender",
            "birth_date",
            "tags",
            "lease_end",
        ]
        rows = good_rows(2)
        rows[0][4:] = ["family", "floating", "female", "1990/1/2", "minor", ""]
        data = b"\xef\xbb\xbf" + csv_bytes(rows, header=header)
        report = run(session, who, ids["A"], data, filename="roster.CSV")
        assert report.errors == [] and report.created == 2
        p = by_id_number(session, ids["A"], idn(1))
        assert (p.gender, p.birth_date, p.population_type) == (Gender.female, date(1990, 1, 2), PopulationType.floating)

    def test_empty_rows_are_skipped_and_row_numbers_stay_true(self, session, who, ids):
        rows: list[list[Any]] = good_rows(2)
        rows.insert(1, [None] * len(HEADER))
        rows[2][1] = "bad"
        report = run(session, who, ids["A"], xlsx(rows))
        assert report.total_rows == 2
        assert [e.row for e in report.errors] == [4]

    def test_id_number_stored_as_a_number_is_explained(self, session, who, ids):
        rows = good_rows(1)
        rows[0][2] = float(idn(1)[:17] + "0")
        report = run(session, who, ids["A"], xlsx(rows))
        assert [e.column for e in report.errors] == ["身份证号"] and "设为文本" in report.errors[0].message

    def test_emergency_contact_is_stored_masked_and_reimport_is_a_no_op(self, session, who, ids):
        header = [*HEADER, "紧急联系人", "紧急联系电话"]
        rows = [[*r, "李子女", "13911112222"] for r in good_rows(1)]
        assert run(session, who, ids["A"], xlsx(rows, header=header)).created == 1
        p = by_id_number(session, ids["A"], idn(1))
        c = session.execute(select(EmergencyContact).where(EmergencyContact.person_id == p.id)).scalar_one()
        assert (c.name, c.phone_masked) == ("李子女", "139****2222")
        again = run(session, who, ids["A"], xlsx(rows, header=header))
        assert (again.unchanged, again.updated) == (1, 0)

    def test_progress_is_reported(self, session, who, ids):
        seen: list[tuple[int, int]] = []
        run(session, who, ids["A"], xlsx(good_rows(3)), progress=lambda d, t: seen.append((d, t)))
        assert seen[0] == (0, 3) and seen[-1] == (3, 3)

    def test_unknown_columns_are_listed_not_silently_dropped(self, session, who, ids):
        rows = [[k, *r] for k, r in enumerate(good_rows(2), start=1)]
        report = run(session, who, ids["A"], xlsx(rows, header=["序号", *HEADER]))
        assert report.created == 2 and report.ignored_columns == ["序号"]

    def test_wrong_header_lists_the_missing_columns(self, session, who, ids):
        with pytest.raises(Invalid) as e:
            run(session, who, ids["A"], xlsx([["a", "b"]], header=["序号", "名字"]))
        assert "姓名" in e.value.zh and "房屋" in e.value.zh and "name" in str(e.value)

    def test_random_bytes_named_xlsx_are_not_a_workbook(self, session, who, ids):
        with pytest.raises(Invalid) as e:
            run(session, who, ids["A"], b"PK\x03\x04" + bytes(range(256)) * 4)
        assert e.value.zh == "不是有效的Excel文件"

    def test_guard_may_not_import_and_outsider_sees_no_compound(self, session, ids, persona):
        with pytest.raises(Forbidden):
            run(session, persona("guard_chen").who, ids["A"], xlsx(good_rows(1)))
        with pytest.raises(NotFound):
            run(session, persona("outsider_zhao").who, ids["A"], xlsx(good_rows(1)))

    def test_a_row_failing_while_written_is_rejected_alone(self, session, who, ids, monkeypatch):
        from anju.core.errors import Conflict
        from anju.registry import roster

        real_create = roster.person_service.create

        def flaky(session: Any, *, who: Any, data: Any) -> Any:
            if data.name == "导入2号":  # as if someone registered this ID number after the file was checked
                raise Conflict("a person with this ID number already exists", zh="身份证号已存在")
            return real_create(session, who=who, data=data)

        monkeypatch.setattr(roster.person_service, "create", flaky)
        # A batch writes its new people in one INSERT: there the same clash is the unique index refusing
        # the whole batch, which is then redone row by row through the (flaky) service.
        from sqlalchemy.exc import IntegrityError

        from anju.registry import roster_import

        real_many = roster_import._Writer.apply_many

        def clashing_many(self: Any, plans: list[Any]) -> None:
            if any(pl.row.name == "导入2号" for pl in plans):
                raise IntegrityError("INSERT INTO person", {}, Exception("UNIQUE constraint failed: person"))
            real_many(self, plans)

        monkeypatch.setattr(roster_import._Writer, "apply_many", clashing_many)
        report = run(session, who, ids["A"], xlsx(good_rows(3)))
        assert (report.created, report.rejected, report.committed) == (2, 1, True)
        assert [(e.row, e.message) for e in report.errors] == [
            (3, "身份证号已存在 / a person with this ID number already exists")
        ]
        assert by_id_number(session, ids["A"], idn(1)) is not None and by_id_number(session, ids["A"], idn(3))
        links = count(
            session,
            Occupancy,
            Occupancy.person_id.in_(select(Person.id).where(Person.name.in_(["导入1号", "导入3号"]))),
        )
        assert links == 2  # the batch was redone row by row: nothing lost, nothing doubled

        before = count(session, Person)
        rows = good_rows(3)
        for r in rows:
            r[2] = idn(int(r[2][14:17]) + 50)
        report = run(session, who, ids["A"], xlsx(rows), all_or_nothing=True)
        assert not report.committed and report.created == 0 and [e.row for e in report.errors] == [3]
        assert count(session, Person) == before

    def test_cli_import_without_principal_records_no_user(self, session, ids):
        report = run(session, None, ids["A"], xlsx(good_rows(1)))
        assert report.created == 1
        p = by_id_number(session, ids["A"], idn(1))
        change = session.execute(
            select(ObjectChange).where(ObjectChange.entity == "person", ObjectChange.entity_id == p.id)
        ).scalar_one()
        assert change.user_id is None


def upload(
    client: Any,
    headers: dict[str, str],
    compound_id: int,
    data: bytes,
    filename: str = "roster.xlsx",
    content_type: str = XLSX,
    **form: Any,
) -> Any:
    return client.post(
        "/api/v1/roster/import",
        headers=headers,
        data={"compound_id": str(compound_id), **{k: str(v).lower() for k, v in form.items()}},
        files={"file": (filename, data, content_type)},
    )


class TestImportApi:
    def test_multipart_import_commits_and_returns_the_report(self, client, login, session, ids):
        rows = good_rows(3)
        rows[2][1] = "bad"
        r = upload(client, login("manager_wang"), ids["A"], xlsx(rows))
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["created"], body["imported"], body["committed"]) == (2, 2, True)
        assert body["errors"] == [
            {"row": 4, "column": "手机", "message": "手机号格式错误 / invalid phone (11-digit mainland mobile number)"}
        ]
        assert by_id_number(session, ids["A"], idn(1)) is not None

    def test_dry_run_and_all_or_nothing_flags_are_honoured(self, client, login, session, ids):
        h = login("manager_wang")
        r = upload(client, h, ids["A"], xlsx(good_rows(2)), dry_run=True)
        assert r.status_code == 200 and r.json()["dry_run"] and r.json()["created"] == 2
        assert by_id_number(session, ids["A"], idn(1)) is None
        rows = good_rows(2)
        rows[1][3] = "nowhere"
        r = upload(client, h, ids["A"], xlsx(rows), all_or_nothing=True)
        assert r.status_code == 200 and not r.json()["committed"]
        assert by_id_number(session, ids["A"], idn(1)) is None

    def test_png_upload_is_422_with_a_reason(self, client, login, ids):
        png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
        r = upload(client, login("manager_wang"), ids["A"], png, filename="photo.png", content_type="image/png")
        assert r.status_code == 422
        assert r.json()["error"]["message"] == {
            "zh": "仅支持.xlsx或.csv文件",
            "en": "only .xlsx and .csv files are accepted",
        }

    def test_random_bytes_named_xlsx_is_422(self, client, login, ids):
        r = upload(client, login("manager_wang"), ids["A"], b"this is not a spreadsheet at all")
        assert r.status_code == 422
        assert r.json()["error"]["message"]["zh"] == "不是有效的Excel文件"

    def test_oversize_upload_is_413(self, client, login, ids):
        from anju.core.config import get_settings

        big = b"x" * (get_settings().upload_max_bytes + 1)
        r = upload(client, login("manager_wang"), ids["A"], big, filename="big.csv", content_type="text/csv")
        assert r.status_code == 413
        assert r.json()["error"]["code"] == "too_large"

    def test_oversize_upload_without_content_length_is_413(self, client, login, ids):
        from anju.core.config import get_settings

        boundary = "rosterboundary"
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="compound_id"\r\n\r\n{ids["A"]}\r\n'
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
                f"Content-Type: text/csv\r\n\r\n"
            ).encode()
            + b"x" * (get_settings().upload_max_bytes + 10)
            + (f"\r\n--{boundary}--\r\n").encode()
        )

        def chunks() -> Any:  # a generator body is sent chunked, with no Content-Length
            for i in range(0, len(body), 1 << 20):
                yield body[i : i + (1 << 20)]

        r = client.post(
            "/api/v1/roster/import",
            content=chunks(),
            headers={**login("manager_wang"), "Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        assert r.status_code == 413
        assert r.json()["error"]["code"] == "too_large"

    def test_the_endpoint_reads_no_more_than_the_limit(self, client, login, ids, monkeypatch):
        from types import SimpleNamespace

        from anju.registry import roster_endpoints

        monkeypatch.setattr(roster_endpoints, "get_settings", lambda: SimpleNamespace(upload_max_bytes=1000))
        r = upload(client, login("manager_wang"), ids["A"], xlsx(good_rows(1)))
        assert r.status_code == 413
        assert r.json()["error"]["message"]["en"] == "file larger than 1000 bytes"

    def test_outsider_importing_into_compound_a_is_404(self, client, login, session, ids):
        r = upload(client, login("outsider_zhao"), ids["A"], xlsx(good_rows(1)))
        assert r.status_code == 404
        assert by_id_number(session, ids["A"], idn(1)) is None

    def test_guard_is_403(self, client, login, ids):
        r = upload(client, login("guard_chen"), ids["A"], xlsx(good_rows(1)))
        assert r.status_code == 403


def sheet_text(data: bytes) -> tuple[list[tuple[Any, ...]], str]:
    rows = list(load_workbook(io.BytesIO(data), read_only=True).worksheets[0].iter_rows(values_only=True))
    return rows, "\n".join("\t".join("" if v is None else str(v) for v in r) for r in rows)


class TestExport:
    def test_xlsx_has_masked_phones_and_no_plaintext(self, client, login, session, ids):
        r = client.get(f"/api/v1/roster/export?compound_id={ids['A']}&format=xlsx", headers=login("manager_wang"))
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == XLSX
        assert r.headers["content-disposition"].startswith('attachment; filename="roster-SFXQ-')
        rows, text = sheet_text(r.content)
        assert list(rows[0]) == [*HEADER, "紧急联系人", "紧急联系电话"]
        li = session.get(Person, ids["li_person"])
        li_phone = decrypt(li.phone_enc, context="person.phone")
        li_id = decrypt(li.id_number_enc, context="person.id_number")
        assert li_phone and li_phone not in text and li_id not in text
        li_row = next(row for row in rows if row[0] == li.name and row[3] == "3-1-0802")
        assert (li_row[1], li_row[2]) == (li.phone_masked, li.id_number_masked)
        assert "*" in li_row[1]
        assert li_phone.encode() not in r.content
        residents = count(session, Occupancy, Occupancy.compound_id == ids["A"], Occupancy.ended_on.is_(None))
        assert len(rows) - 1 == residents

    def test_csv_has_a_bom_and_masked_numbers(self, client, login, session, ids):
        r = client.get(f"/api/v1/roster/export?compound_id={ids['A']}&format=csv", headers=login("manager_wang"))
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/csv")
        assert r.content.startswith(b"\xef\xbb\xbf")
        text = r.content.decode("utf-8-sig")
        phones = [
            decrypt(p, context="person.phone")
            for p in session.execute(
                select(Person.phone_enc).where(Person.compound_id == ids["A"], Person.phone_enc.is_not(None))
            ).scalars()
        ]
        assert phones and not any(p in text for p in phones)
        assert text.splitlines()[0].split(",")[:4] == ["姓名", "手机", "身份证号", "房屋"]

    def test_exported_file_cannot_be_reimported(self, session, who, ids):
        data = export_roster(session, who=who, compound_id=ids["A"], fmt="xlsx")
        report = run(session, who, ids["A"], data, dry_run=True)
        assert report.total_rows > 0 and report.created == 0 and report.rejected == report.total_rows
        assert any(e.message.startswith("号码已脱敏，无法导入") for e in report.errors)

    def test_formula_like_names_stay_text(self, session, ids):
        p = session.get(Person, ids["li_person"])
        p.name = '=HYPERLINK("x")'
        session.flush()
        rows, _ = sheet_text(export_roster(session, who=None, compound_id=ids["A"], fmt="xlsx"))
        assert any(row[0] == '=HYPERLINK("x")' for row in rows)
        text = export_roster(session, who=None, compound_id=ids["A"], fmt="csv").decode("utf-8-sig")
        assert "'=HYPERLINK" in text

    def test_outsider_is_404_and_guard_is_403(self, client, login, ids):
        url = f"/api/v1/roster/export?compound_id={ids['A']}"
        assert client.get(url, headers=login("outsider_zhao")).status_code == 404
        assert client.get(url, headers=login("guard_chen")).status_code == 403

    def test_unknown_format_is_422(self, client, login, ids):
        r = client.get(f"/api/v1/roster/export?compound_id={ids['A']}&format=pdf", headers=login("manager_wang"))
        assert r.status_code == 422
