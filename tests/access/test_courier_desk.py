"""The guard desk's courier shift pass (issue 18): issued on the desk page for gates and lockers only, the link
texted to the courier's phone, a share page that opens without signing in and whose QR the gate accepts; a shift
longer than the compound's rule is refused with a reason."""

from __future__ import annotations

import re

from sqlalchemy import select

from anju.access.models import VisitorPass
from anju.notify.models import Delivery

ORIGIN = {"Origin": "http://testserver"}
GATE = "南门人行"
UNIT_DOOR = "3号楼1单元门"


def test_desk_issues_a_courier_shift_pass_and_texts_its_link(client, persona, session, ids, decide, south, points):
    persona("guard_chen").web(client)
    page = client.get("/console/access")
    assert page.status_code == 200 and 'data-testid="shift-form"' in page.text
    r = client.post(
        "/console/access/courier-shifts",
        data={"visitor_name": "周快递", "visitor_phone": "13911112222", "company": "顺丰", "hours": "8"},
        headers=ORIGIN,
    )
    assert r.status_code == 200, r.text
    assert "已为 周*递 签发班次通行证" in r.text and "139****2222" in r.text
    vp = (
        session.execute(select(VisitorPass).where(VisitorPass.company == "顺丰", VisitorPass.host_house_id.is_(None)))
        .scalars()
        .all()[-1]
    )
    assert vp.kind == "courier" and vp.entries_allowed == 20
    sms = session.execute(select(Delivery).where(Delivery.recipient_ref == f"visitor:{vp.id}")).scalar_one()
    assert sms.channel == "sms"
    link = re.search(r'href="http://testserver(/h5/visit/[^"]+)"', r.text).group(1)
    client.cookies.clear()  # the courier is not signed in
    shared = client.get(link)
    assert shared.status_code == 200
    qr = re.search(r'data-token="([^"]+)"', shared.text).group(1)
    assert decide(south, points[GATE], "qr", qr)["decision"] == "allow"
    assert decide(south, points[UNIT_DOOR], "qr", qr)["decision"] == "deny"  # gates and lockers only


def test_a_shift_longer_than_the_rule_is_refused(client, persona, session, ids):
    persona("guard_chen").web(client)
    r = client.post("/console/access/courier-shifts", data={"visitor_name": "周快递", "hours": "24"}, headers=ORIGIN)
    assert r.status_code == 422 and "班次通行证最长" in r.text
