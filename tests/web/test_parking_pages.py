"""Issue 13 in the console and on H5: the guard's lane desk (demo captures, release with a reason, booth payment),
a manager adds a space, a resident authorises a visitor car."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.parking.enums import Decision, DecisionReason
from anju.parking.models import CarPark, LaneEvent, ParkingSpace, VisitorCar
from tests.web.conftest import ORIGIN


def _held(session: Session, compound_id: int) -> LaneEvent:
    return (
        session.execute(
            select(LaneEvent).where(LaneEvent.compound_id == compound_id, LaneEvent.decision == Decision.hold)
        )
        .scalars()
        .first()
    )


def test_guard_sees_the_lane_desk_and_releases_a_held_car_with_a_reason(
    session: Session, client: Any, web_login: Any, ids: dict[str, int]
) -> None:
    web_login("guard_chen")
    page = client.get(f"/console/parking?compound_id={ids['A']}")
    assert page.status_code == 200 and 'data-testid="lane-events"' in page.text
    assert "黑名单车辆" in page.text and "未识别车牌" in page.text  # the demo's refused and unread captures
    held = _held(session, ids["A"])
    r = client.post(
        f"/console/parking/events/{held.id}/release", data={"reason": "x"}, headers=ORIGIN, follow_redirects=False
    )
    assert r.status_code == 303 and "err=" in r.headers["location"]  # a one-character reason is refused
    r = client.post(
        f"/console/parking/events/{held.id}/release",
        data={"reason": "快递车辆，已核实", "plate": "皖AP6V68"},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert r.status_code == 303 and "ok=" in r.headers["location"]
    session.refresh(held)
    assert (held.decision, held.reason, held.plate) == (Decision.open, DecisionReason.released, "皖AP6V68")
    assert "快递车辆，已核实" in client.get(f"/console/parking?compound_id={ids['A']}").text


def test_manager_adds_a_fire_lane_zone(session: Session, client: Any, web_login: Any, ids: dict[str, int]) -> None:
    web_login("manager_wang")
    cp = session.execute(select(CarPark).where(CarPark.compound_id == ids["A"]).order_by(CarPark.id)).scalars().first()
    r = client.post(
        f"/console/parking/car-parks/{cp.id}/spaces",
        data={"code": "XF-09", "kind": "fire_lane", "plan_x": "0.3", "plan_y": "0.7"},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert r.status_code == 303 and "ok=" in r.headers["location"]
    sp = session.execute(select(ParkingSpace).where(ParkingSpace.code == "XF-09")).scalar_one()
    assert (sp.kind, sp.plan_x) == ("fire_lane", 0.3)
    r = client.post(
        f"/console/parking/car-parks/{cp.id}/spaces",
        data={"code": "XF-10", "kind": "fire_lane", "plan_x": "7"},
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert "err=" in r.headers["location"]


def test_resident_authorises_a_visitor_car_on_h5(session: Session, client: Any, web_login: Any, ids: dict[str, int]):
    web_login("resident_li")
    assert 'href="/h5/parking"' in client.get("/h5").text
    page = client.get("/h5/parking")
    assert page.status_code == 200 and 'data-testid="visitor-car-form"' in page.text
    r = client.post(
        "/h5/parking/visitor-cars",
        data={
            "house_id": str(ids["li_house"]),
            "plate": "鲁B·12345",
            "valid_from": "2026-12-06T10:00",
            "valid_until": "2099-12-07T10:00",
        },
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert "err=" in r.headers["location"]  # longer than 7 days
    from anju.core.db import utcnow
    from anju.core.kit.china_time import CHINA_TZ

    start = utcnow().astimezone(CHINA_TZ)
    r = client.post(
        "/h5/parking/visitor-cars",
        data={
            "house_id": str(ids["li_house"]),
            "plate": "鲁B·12345",
            "valid_from": start.strftime("%Y-%m-%dT%H:%M"),
            "valid_until": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        },
        headers=ORIGIN,
        follow_redirects=False,
    )
    assert "ok=" in r.headers["location"], r.headers["location"]
    assert (
        session.execute(select(VisitorCar).where(VisitorCar.plate == "鲁B12345")).scalar_one().house_id
        == ids["li_house"]
    )
    assert "鲁B12345" in client.get("/h5/parking").text


def test_r_a3_the_desk_shows_capture_photos_masked_and_polls_for_new_captures(
    session: Session, client: Any, web_login: Any, ids: dict[str, int]
) -> None:
    import base64
    from pathlib import Path

    from anju.parking.lane_service import lane_service
    from anju.parking.models import ParkingLane
    from anju.parking.schemas import CaptureIn
    from tests.conftest import principal_of

    img = Path(__file__).resolve().parents[3] / "shared" / "data" / "plates" / "ds_7.jpg"
    if not img.exists():
        import pytest

        pytest.skip("shared plate images not present")
    guard = principal_of(session, "guard_chen")
    cp = session.execute(select(CarPark).where(CarPark.compound_id == ids["A"]).order_by(CarPark.id)).scalars().first()
    lane = (
        session.execute(select(ParkingLane).where(ParkingLane.car_park_id == cp.id).order_by(ParkingLane.id))
        .scalars()
        .first()
    )
    data = CaptureIn(event_id="page-photo-1", image_b64=base64.b64encode(img.read_bytes()).decode())
    ev = lane_service.capture(session, by=guard, lane_id=lane.id, data=data)
    session.flush()
    web_login("guard_chen")
    page = client.get(f"/console/parking?car_park_id={cp.id}")
    assert (
        f'src="/console/parking/events/{ev.id}/photo.jpg"' in page.text and 'hx-get="/console/parking/live' in page.text
    )
    live = client.get(f"/console/parking/live?car_park_id={cp.id}")
    assert live.status_code == 200 and f'data-event="{ev.id}"' in live.text and "<html" not in live.text
    photo = client.get(f"/console/parking/events/{ev.id}/photo.jpg")
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
    assert photo.content != img.read_bytes()  # served re-encoded through the mask, never the stored original


def test_the_guard_sees_the_visitor_cars_expected_today(
    session: Session, client: Any, web_login: Any, ids: dict[str, int], persona: Any
) -> None:
    from anju.core.db import utcnow
    from anju.parking.schemas import VisitorCarCreate
    from anju.parking.service import parking_service

    now = utcnow()
    li = persona("resident_li").who
    window = {"valid_from": now + timedelta(minutes=1), "valid_until": now + timedelta(minutes=90)}
    parking_service.authorise_visitor(
        session, by=li, data=VisitorCarCreate(house_id=ids["li_house"], plate="浙G857PM", **window)
    )
    later = {"valid_from": now + timedelta(days=3), "valid_until": now + timedelta(days=3, hours=2)}
    parking_service.authorise_visitor(
        session, by=li, data=VisitorCarCreate(house_id=ids["li_house"], plate="苏E12345", **later)
    )
    session.flush()
    web_login("guard_chen")
    page = client.get("/console/parking")
    expected = page.text.split('data-testid="expected-cars"', 1)[1].split("</ul>", 1)[0]
    assert "浙G857PM" in expected and "苏E12345" not in expected  # the one in three days is not expected today


def _visitor_stay(session: Session, manager: Any, guard: Any, resident: Any, house_id: int, plate: str, compound: int):
    """A visitor car of `house_id` entered 95 minutes ago into a fresh car park (30 free minutes, 5 yuan an hour)."""
    from anju.core.db import utcnow
    from anju.parking.enums import LaneDirection
    from anju.parking.lane_service import lane_service
    from anju.parking.schemas import CaptureIn, CarParkCreate, LaneCreate, VisitorCarCreate
    from anju.parking.service import parking_service

    now = utcnow()
    cp = parking_service.create_car_park(
        session,
        by=manager,
        data=CarParkCreate(compound_id=compound, name="访客停车场", visitor_cap_per_house=5, per_hour_fen=500),
    )
    lanes = [
        parking_service.add_lane(
            session, by=manager, data=LaneCreate(car_park_id=cp.id, name=f"访客{d.value}", direction=d)
        )
        for d in (LaneDirection.entry, LaneDirection.exit)
    ]
    window = {"valid_from": now - timedelta(hours=2), "valid_until": now + timedelta(hours=2)}
    parking_service.authorise_visitor(
        session, by=resident, data=VisitorCarCreate(house_id=house_id, plate=plate, **window)
    )
    ev = lane_service.capture(
        session,
        by=guard,
        lane_id=lanes[0].id,
        data=CaptureIn(event_id=f"h5-{plate}", plate=plate),
        now=now - timedelta(minutes=95),
    )
    assert ev.decision == Decision.open and ev.session_id is not None
    session.flush()
    return ev.session_id, lanes[1]


def test_a_resident_sees_the_households_stays_and_prepays_once_on_h5(
    session: Session, client: Any, web_login: Any, ids: dict[str, int], persona: Any
) -> None:
    import re

    from anju.core.events import OutboxEvent
    from anju.parking.lane_service import lane_service
    from anju.parking.models import ParkingSession
    from anju.parking.schemas import CaptureIn
    from anju.registry.models import House

    manager, guard, li = (persona(p).who for p in ("manager_wang", "guard_chen", "resident_li"))
    mine, exit_lane = _visitor_stay(session, manager, guard, li, ids["li_house"], "鲁B67890", ids["A"])
    other = (
        session.execute(select(House.id).where(House.compound_id == ids["A"], House.id != ids["li_house"]))
        .scalars()
        .first()
    )
    theirs, _ = _visitor_stay(session, manager, guard, manager, other, "鲁C67890", ids["A"])

    from datetime import date

    from anju.parking.schemas import PassCreate
    from anju.parking.service import parking_service
    from anju.registry.enums import VehicleClass
    from anju.registry.models import Vehicle

    car = Vehicle(compound_id=ids["A"], plate="鲁B24680", vehicle_class=VehicleClass.car, house_id=ids["li_house"])
    session.add(car)
    session.flush()
    cp_id = session.get(ParkingSession, mine).car_park_id
    parking_service.add_pass(
        session,
        by=manager,
        data=PassCreate(vehicle_id=car.id, car_park_id=cp_id, kind="annual", valid_from=date.today()),
    )
    session.flush()

    web_login("resident_li")
    page = client.get("/h5/parking")
    assert page.status_code == 200
    passes = page.text.split('data-testid="my-passes"', 1)[1].split("</ul>", 1)[0]
    assert "年卡" in passes and "日 至 " in passes and not re.search(r"\d{4}-\d\d-\d\d", passes)
    stays = page.text.split('data-testid="my-stays"', 1)[1].split("</ul>", 1)[0]
    assert "鲁B67890" in stays and "鲁C67890" not in stays  # another household's stay is never shown
    assert "停车记录与收据" in page.text and "待缴 10.00 元" in stays and "访客停车场" in stays
    assert not re.search(r"\d{4}-\d\d-\d\dT|\d\d:\d\d:\d\d", stays)  # China time for people, no ISO stamps
    assert "visitor" not in stays  # the category's label, not its enum value
    ref = re.search(rf'action="/h5/parking/stays/{mine}/pay".*?name="pay_ref" value="([^"]+)"', page.text, re.S)
    assert ref is not None

    r = client.post(f"/h5/parking/stays/{theirs}/pay", data={"pay_ref": ref.group(1)}, headers=ORIGIN)
    assert r.status_code == 404  # out of the household: 404, nothing paid
    for _ in range(2):  # a double tap sends the same reference twice: charged once
        r = client.post(
            f"/h5/parking/stays/{mine}/pay", data={"pay_ref": ref.group(1)}, headers=ORIGIN, follow_redirects=False
        )
        assert r.status_code == 303 and "err=" not in r.headers["location"]
    paid = [
        e
        for e in session.execute(select(OutboxEvent).where(OutboxEvent.topic == "parking.ParkingFeePaid")).scalars()
        if e.payload["session_id"] in (mine, theirs)
    ]
    assert [(e.payload["session_id"], e.payload["amount_fen"]) for e in paid] == [(mine, 1000)]
    assert session.get(ParkingSession, theirs).paid_at is None

    page = client.get("/h5/parking").text
    stay = page.split(f'data-testid="stay-{mine}"', 1)[1].split("</li>", 1)[0]
    assert "已缴费" in stay and ref.group(1) in stay and "分钟内出场" in stay and "prepay-" not in stay
    client.cookies.set("anju_lang", "en")
    stay_en = client.get("/h5/parking").text.split(f'data-testid="stay-{mine}"', 1)[1].split("</li>", 1)[0]
    assert "Paid" in stay_en and "Receipt" in stay_en and "已缴费" not in stay_en

    ev = lane_service.capture(
        session, by=guard, lane_id=exit_lane.id, data=CaptureIn(event_id="h5-out", plate="鲁B67890")
    )
    assert (ev.decision, ev.reason, ev.session_id) == (Decision.open, DecisionReason.fee_paid, mine)
