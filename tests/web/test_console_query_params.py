"""Issue 20 item 13: numeric query parameters with non-ASCII digits ("²", "٣") never crash a console page.

`"²".isdigit()` is True and `int("²")` raises; every console page read ?compound_id= that way. Each GET page
under /console is requested with a bad compound_id (and the same bad value in each of its own query
parameters, and in the compound cookie): the answer is a page or a 4xx, never a 500.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute

from anju.web.deps import COMPOUND_COOKIE
from anju.web.forms import page_number, query_int
from anju.web.routes import PAGE_ROUTERS

BAD_VALUES = ("²", "٣", "9" * 40)


def _console_pages() -> list[tuple[str, list[str]]]:
    pages = []
    for route in (r for router in PAGE_ROUTERS for r in router.routes):
        if not isinstance(route, APIRoute) or "GET" not in route.methods:
            continue
        if not route.path.startswith("/console") or "{" in route.path:
            continue
        pages.append((route.path, [p.name for p in route.dependant.query_params]))
    return sorted(pages)


CONSOLE_PAGES = _console_pages()


def test_console_pages_are_all_found():
    paths = {p for p, _ in CONSOLE_PAGES}
    assert {"/console", "/console/patrol", "/console/devices", "/console/notices", "/console/houses"} <= paths


@pytest.mark.parametrize("path,params", CONSOLE_PAGES, ids=[p for p, _ in CONSOLE_PAGES])
def test_superscript_compound_id_is_not_a_500(client: Any, web_login: Any, path: str, params: list[str]) -> None:
    web_login("manager_wang")
    for bad in BAD_VALUES:
        query = {"compound_id": bad, **dict.fromkeys(params, bad)}
        r = client.get(path, params=query, follow_redirects=False)
        assert r.status_code < 500, (path, bad, r.status_code)
    # A live feed (SSE) is asked to end at once, so the test does not wait for its stream to close.
    short = {"max_seconds": "0.1"} if "max_seconds" in params else {}
    r = client.get(path, params={"compound_id": "²", **short}, headers={"HX-Request": "true"}, follow_redirects=False)
    assert r.status_code < 500, (path, r.status_code)


@pytest.mark.parametrize("path", ["/console", "/console/houses", "/console/patrol", "/console/devices"])
def test_superscript_compound_cookie_is_not_a_500(client: Any, web_login: Any, path: str) -> None:
    """A cookie arrives as Latin-1: the byte 0xB2 is "²" to the server."""
    web_login("manager_wang")
    session_cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    client.cookies.clear()
    header = f"{session_cookie}; {COMPOUND_COOKIE}=".encode() + b"\xb2"
    r = client.get(path, headers={"Cookie": header}, follow_redirects=False)
    assert r.status_code == 200, (path, r.status_code)


def test_superscript_compound_id_falls_back_to_the_first_compound(client, web_login, ids):
    web_login("manager_wang")
    r = client.get("/console/houses", params={"compound_id": "²"})
    assert r.status_code == 200
    assert r.text == client.get("/console/houses").text


class TestQueryInt:
    @pytest.mark.parametrize("value", ["²", "٣", "1²", "１２", "", " ", "-", "1e3", "0x10", None, "9" * 40])
    def test_anything_but_ascii_digits_is_not_given(self, value):
        assert query_int(value) is None

    @pytest.mark.parametrize("value,expected", [("7", 7), (" 12 ", 12), ("-3", -3), ("007", 7)])
    def test_plain_digits_are_read(self, value, expected):
        assert query_int(value) == expected

    def test_minimum_and_page_numbers(self):
        assert query_int("-3", minimum=1) == 1
        assert page_number("²") == 1
        assert page_number("0") == 1
        assert page_number("999999999") == 100_000
