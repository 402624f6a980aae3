"""Issue 11 acceptance: going live from an EMPTY database, in a real browser.

`anju init` → the admin signs in, creates a property company and a compound, generates its buildings and
houses, imports a roster (one bad row reported), creates a guard account → the guard signs in (changing the
temporary password) and lands on the gate desk → a resident self-registers with an SMS code and claims a
house, staff verify the claim, and the resident sees their house.

This walk has its own server on its own empty database (tests/web/empty_server.py), not the shared seeded
one. Screenshots go to test-output/screenshots/go_live_*.png, the step timings to test-output/walk_go_live.txt.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from tests.conftest import make_database
from tests.web.browser import DESKTOP, PHONE, ROOT, _free_port, _wait_healthy, shot

pytestmark = pytest.mark.browser

ADMIN_PASSWORD = "Go-Live-2026!Xq7"
GUARD_PASSWORD = "Gate-Desk-2026!new"
RESIDENT_PHONE = "13912340001"
ROSTER = [
    ["张晓明", RESIDENT_PHONE, "1-1-0101", "业主"],
    ["张小雨", "13912340002", "1-1-0101", "家属"],
    ["李建国", "13912340003", "1-1-0102", "业主"],
    ["王芳", "13912340004", "2-1-0301", "业主"],
    ["赵磊", "13912340005", "9-9-9999", "业主"],  # the bad row: no such house
    ["陈静", "13912340006", "3-2-0604", "租户"],  # a tenant without a lease end: also refused
]


@pytest.fixture(scope="module")
def empty_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, float]]:
    """`anju init` on an empty database, then a server on it; yields (base URL, server log, init seconds)."""
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("chromium not installed")
    tmp = tmp_path_factory.mktemp("go_live")
    url, drop = make_database(tmp, "go_live")
    env = {
        **os.environ,
        "ANJU_DATABASE_URL": url,
        "ANJU_ENV": "development",
        "ANJU_SECRET_KEY": os.environ.get("ANJU_SECRET_KEY", "test-secret-key"),
        "ANJU_INIT_ADMIN_PASSWORD": ADMIN_PASSWORD,
    }
    started = time.perf_counter()
    init = subprocess.run(
        [sys.executable, "-m", "anju.cli", "init", "--organisation", "安居平台运营"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    init_seconds = time.perf_counter() - started
    assert init.returncode == 0, init.stdout + init.stderr
    assert "/login" in init.stdout
    port = _free_port()
    log = tmp / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.web.empty_server", url, str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base, proc, log)
        yield base, log, init_seconds
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        drop()


def _roster_file(tmp: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "手机", "房屋", "关系"])
    for row in ROSTER:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    path = tmp / "roster.xlsx"
    path.write_bytes(buf.getvalue())
    return path


def _context(browser: Any, base: str, viewport: dict[str, int]) -> Any:
    context = browser.new_context(viewport=viewport, locale="zh-CN", base_url=base)
    context.set_default_timeout(30_000)
    return context.new_page()


def _sign_in(page: Any, username: str, password: str) -> None:
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("button[type=submit]")


def test_walk_go_live_from_an_empty_database(
    browser: Any, empty_server: tuple[str, Path, float], tmp_path: Path
) -> None:
    base, server_log, init_seconds = empty_server
    steps: list[tuple[str, float]] = [("anju init (empty database → company and first admin)", init_seconds)]
    mark = time.perf_counter()

    def step(name: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        steps.append((name, now - mark))
        mark = now

    # 1. the admin signs in and creates the property company
    admin = _context(browser, base, DESKTOP)
    _sign_in(admin, "admin", ADMIN_PASSWORD)
    assert "/login" not in admin.url
    admin.goto("/console/organisations")
    form = admin.locator("[data-testid=org-create]")
    form.locator("input[name=name]").fill("安心物业服务有限公司")
    form.locator("select[name=kind]").select_option("property_company")
    with admin.expect_navigation():
        form.locator("button[type=submit]").click()
    assert "安心物业服务有限公司" in admin.content()
    shot(admin, "go_live_01_company")
    step("admin signs in, creates the property company")

    # 2. the compound
    admin.goto("/console/structure")
    form = admin.locator("[data-testid=compound-create]")
    form.locator("input[name=code]").fill("XSJY")
    form.locator("input[name=name]").fill("新生家园")
    form.locator("input[name=address]").fill("北京市海淀区新生路 9 号")
    form.locator("select[name=property_org_id]").select_option(label="安心物业服务有限公司")
    with admin.expect_navigation():
        form.locator("button[type=submit]").click()
    assert admin.locator("[data-testid=structure-ok]").is_visible()
    compound_id = int(re.search(r"compound_id=(\d+)", admin.url).group(1))  # type: ignore[union-attr]
    shot(admin, "go_live_02_compound")
    step("admin creates the compound")

    # 3. buildings 1–3, 2 units, floors 1–6, 4 a floor: preview, then generate
    gen = admin.locator("[data-testid=generator]")
    for name, value in {
        "buildings_from": "1",
        "buildings_to": "3",
        "units": "2",
        "floors_from": "1",
        "floors_to": "6",
        "houses_per_floor": "4",
        "areas": "1=89.5, 2=120, 3=120, 4=89.5",
    }.items():
        gen.locator(f"input[name={name}]").fill(value)
    with admin.expect_navigation():
        gen.locator("button[value=preview]").click()
    assert admin.locator("[data-testid=preview-houses]").inner_text() == "144"
    shot(admin, "go_live_03_preview")
    with admin.expect_navigation():
        admin.locator("[data-testid=generate]").click()
    assert "144" in admin.locator("[data-testid=structure-ok]").inner_text()
    admin.goto(f"/console/compounds?compound_id={compound_id}")
    assert admin.locator("[data-testid=site-plan]").is_visible()
    shot(admin, "go_live_04_site_plan")
    step("admin previews and generates 3 buildings, 6 units, 144 houses")

    # 4. the roster, one bad row (and a tenant without lease end) reported row by row
    admin.goto(f"/console/import?compound_id={compound_id}")
    form = admin.locator("[data-testid=import-form]")
    form.locator("input[type=file]").set_input_files(str(_roster_file(tmp_path)))
    form.locator("input[name=dry_run]").uncheck()
    form.locator("input[name=all_or_nothing]").uncheck()
    form.locator("button[type=submit]").click()
    report = admin.locator("[data-testid=import-report]")
    report.wait_for(state="visible")
    admin.wait_for_function("document.querySelector('[data-key=rejected]').textContent !== '0'")
    assert report.locator("[data-key=imported]").inner_text() == "4"
    assert report.locator("[data-key=rejected]").inner_text() == "2"
    errors = report.locator("#import-errors tbody").inner_text()
    assert "9-9-9999" in errors or "房屋" in errors
    shot(admin, "go_live_05_roster")
    step("admin imports the roster: 4 rows in, 2 bad rows reported")

    # 5. a guard account with a temporary password
    admin.goto(f"/console/users?compound_id={compound_id}")
    form = admin.locator("[data-testid=user-create]")
    form.locator("input[name=username]").fill("guard_xin")
    form.locator("input[name=display_name]").fill("新门岗")
    form.locator("select[name=role]").select_option("guard")
    if form.locator("select[name=organisation_id]").count():
        org = form.locator("select[name=organisation_id] option", has_text="安心物业").get_attribute("value")
        form.locator("select[name=organisation_id]").select_option(org)
    checkbox = form.locator(f"input[name=compound_ids][value='{compound_id}']")
    if not checkbox.is_checked():
        checkbox.check()
    with admin.expect_navigation():
        form.locator("button[type=submit]").click()
    temporary = admin.locator("[data-testid=temp-password]").inner_text().strip()
    assert temporary
    shot(admin, "go_live_06_guard_account")
    step("admin creates the guard account (temporary password)")

    # 6. the guard signs in, must change the password, lands on the gate desk
    guard = _context(browser, base, DESKTOP)
    _sign_in(guard, "guard_xin", temporary)
    if "/account/password" in guard.url:
        pw = guard.locator("[data-testid=pw-form]")
        pw.locator("input[name=current_password]").fill(temporary)
        pw.locator("input[name=new_password]").fill(GUARD_PASSWORD)
        pw.locator("input[name=confirm_password]").fill(GUARD_PASSWORD)
        with guard.expect_navigation():
            pw.locator("button[type=submit]").click()
    if "/console/access" not in guard.url:
        guard.goto("/console")  # the console's home sends each role to where it works
    assert "/console/access" in guard.url, guard.url
    shot(guard, "go_live_07_gate_desk")
    step("guard signs in, changes the temporary password, lands on the gate desk")

    # 7. a resident self-registers with an SMS code and claims the house
    resident = _context(browser, base, PHONE)
    resident.goto("/h5/register")
    resident.locator("[data-testid=reg-form] input[name=phone]").fill(RESIDENT_PHONE)
    with resident.expect_navigation():
        resident.locator("[data-testid=reg-send]").click()
    assert resident.locator("[data-testid=code-sent]").is_visible()
    code = ""
    for _ in range(50):
        found = re.findall(r"验证码是 (\d{6})", server_log.read_text(errors="replace"))
        if found:
            code = found[-1]
            break
        time.sleep(0.1)
    assert code, "the logging SMS provider wrote no code to the server log"
    resident.locator("[data-testid=reg-form] input[name=code]").fill(code)
    with resident.expect_navigation():
        resident.locator("[data-testid=reg-sign-in]").click()
    if "/h5/claims" not in resident.url:
        resident.goto("/h5/claims")
    claim = resident.locator("[data-testid=claim-form]")
    claim.locator("select[name=compound_id]").select_option(str(compound_id))
    claim.locator("input[name=house_label]").fill("1-1-0101")
    claim.locator("input[name=name]").fill("张晓明")
    claim.locator("select[name=role]").select_option("owner")
    with resident.expect_navigation():
        claim.locator("[data-testid=claim-submit]").click()
    assert resident.locator("[data-testid=claim-status]").first.is_visible()
    resident.goto("/h5")
    assert "1-1-0101" not in resident.content()  # nothing of the house until verified
    shot(resident, "go_live_08_claim_waiting")
    step("resident registers with phone and SMS code, claims 1-1-0101 (waiting)")

    # 8. staff verify the claim against the roster
    admin.goto(f"/console/claims?compound_id={compound_id}")
    table = admin.locator("[data-testid=claims-table]")
    assert "张晓明" in table.inner_text()
    shot(admin, "go_live_09_claims")
    with admin.expect_navigation():
        table.locator("[data-testid=claim-verify]").first.click()
    step("staff verify the claim against the roster")

    # 9. the resident sees their house
    resident.goto("/h5")
    assert "1-1-0101" in resident.content()
    shot(resident, "go_live_10_resident_house")
    step("resident sees their house")

    total = sum(seconds for _, seconds in steps)
    lines = [f"{seconds:6.1f} s  {name}" for name, seconds in steps] + [f"{total:6.1f} s  total"]
    out = ROOT / "test-output"
    out.mkdir(exist_ok=True)
    (out / "walk_go_live.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
