"""Issue 11 item 4: the console's roster import page offers the template download and the "create missing
houses" option, and the option reaches the import only when ticked (the form posts to the import API)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.registry.models import House
from tests.registry.test_roster import phone, xlsx

HEADER = ["姓名", "手机", "房屋", "关系"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_import_page_offers_template_and_create_missing_houses_option(
    client: Any, web_login: Any, ids: dict[str, int]
) -> None:
    web_login("manager_wang")
    page = client.get(f"/console/import?compound_id={ids['A']}")
    assert page.status_code == 200
    assert 'href="/api/v1/roster/template"' in page.text
    assert 'name="create_missing_houses"' in page.text
    box = page.text.split('name="create_missing_houses"', 1)[1].split(">", 1)[0]
    assert "checked" not in box  # off unless the admin ticks it


def test_roster_import_form_creates_missing_houses_only_when_ticked(
    session: Session, client: Any, login: Any, ids: dict[str, int]
) -> None:
    data = xlsx([["新住户丁", phone(811), "79-2-1204", "业主"]], HEADER)
    headers = login("manager_wang")

    def post(**extra: str) -> Any:
        files = {"file": ("roster.xlsx", data, XLSX)}
        return client.post(
            "/api/v1/roster/import", data={"compound_id": str(ids["A"]), **extra}, files=files, headers=headers
        )

    r = post()
    assert r.status_code == 200 and r.json()["created"] == 0 and [e["row"] for e in r.json()["errors"]] == [2]
    assert session.execute(select(House).where(House.label == "79-2-1204")).first() is None
    r = post(create_missing_houses="true")
    assert r.status_code == 200 and r.json()["created"] == 1, r.json()
    house = session.execute(select(House).where(House.label == "79-2-1204")).scalar_one()
    assert (house.compound_id, house.floor) == (ids["A"], 12)

    r = client.post(
        "/api/v1/roster/import",
        data={"compound_id": str(ids["B"]), "create_missing_houses": "true"},
        files={"file": ("roster.xlsx", data, XLSX)},
        headers=headers,
    )
    assert r.status_code == 404  # another compound
