"""Issue 17 item 4: no page of the menu shows an ISO timestamp, a raw enum value or an untranslated key.

Every menu page of each staff role, plus the staff phone pages, in Chinese and in English. The text checked
is what a person reads: tags, scripts, styles and attribute values are stripped first.
"""

from __future__ import annotations

import re

import pytest

from anju.web.nav import nav_for

ROLES = ("manager_wang", "staff_liu", "tech_ma", "guard_chen", "grid_zhou")
FIELD_PAGES = (
    "/field/tasks",
    "/field/grid",
    "/field/visits",
    "/field/snap",
    "/field/reports",
    "/field/alarms",
    "/h5/patrol/scan",
)
ISO = re.compile(r"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
KEY = re.compile(r"\b(?:alarms|human|field|wo|patrol|devices|nav|shell|common)\.[a-z_]+(?:\.[a-z_]+)*\b")
# Enum values of the alarm, work-order and patrol domains that must never reach a person as such.
RAW = re.compile(
    r"\b(?:pending_review|false_alarm|waiting_owner|followed_up|least_loaded|round_robin"
    r"|lift_trapped|water_leak|device_offline|fire_safety|household_repair|common_repair|smoke_high|gas_high)\b"
)


def visible_text(html: str) -> str:
    html = re.sub(r"(?is)<(script|style|template)\b.*?</\1>", " ", html)
    html = re.sub(r"(?s)<!--.*?-->", " ", html)
    html = re.sub(r"(?s)<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", html)


def pages_of(persona, username: str) -> list[str]:
    who = persona(username).who
    hrefs = [i.href for g in nav_for(who) for i in g.items if i.perm is not None and i.href.startswith("/console")]
    return ["/console/alarms", *hrefs]


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
@pytest.mark.parametrize("username", ROLES)
def test_menu_and_phone_pages_show_no_machine_text(client, web_login, persona, username, lang):
    web_login(username)
    client.cookies.set("anju_lang", lang)
    problems = []
    paths = [*pages_of(persona, username), *FIELD_PAGES]
    # The detail panels too: a few alarms (with history, evidence, escalations) and work orders.
    inbox = client.get("/console/alarms?state=all").text
    paths += [
        f"/console/alarms?state=all&alarm={i}"
        for i in list(dict.fromkeys(re.findall(r'data-alarm-id="(\d+)"', inbox)))[:4]
    ]
    orders = client.get("/console/workorders").text
    paths += list(dict.fromkeys(re.findall(r'href="(/console/workorders/\d+)"', orders)))[:4]
    for path in dict.fromkeys(paths):
        r = client.get(path)
        if r.status_code in (403, 404) or r.headers.get("content-type", "").split(";")[0] != "text/html":
            continue
        assert r.status_code == 200, (path, r.status_code)
        text = visible_text(r.text)
        for name, pattern in (("ISO time", ISO), ("untranslated key", KEY), ("raw enum", RAW)):
            hit = pattern.search(text)
            if hit:
                problems.append(
                    f"{path}: {name} {hit.group(0)!r} in …{text[max(0, hit.start() - 40) : hit.end() + 40]}…"
                )
    assert not problems, "\n".join(problems)
