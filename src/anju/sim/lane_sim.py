"""The demo's lane traffic (issue 13): the south gate's camera posts captures to Anju as a device (signed with its
secret), compressing a day into a few minutes: residents leaving in the morning peak and coming home in the evening
peak, authorised visitors, a delivery van that parks a while and pays, a blacklisted plate, a car that enters and
never leaves (the zombie-car timer's case), a car stopping in the fire-lane zone, and a few captures that are real
photos from ../shared/data/plates and plates_ccpd (Anju reads the plate itself).

`anju simulate` runs it beside the device traffic (`--lanes`, on by default); `post_capture` is also what the
browser walk uses to play "the camera sees this plate".
"""

from __future__ import annotations

import base64
import csv
import json
import logging
import os
import random
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from anju.core.crypto import decrypt
from anju.core.db import new_session, utcnow
from anju.devices.models import Device
from anju.devices.protocol import sign_http
from anju.devices.service import SECRET_CONTEXT

log = logging.getLogger("anju.sim.lanes")

# ../shared/data next to the checkout (override with ANJU_SHARED_DATA).
SHARED_DATA = Path(os.environ.get("ANJU_SHARED_DATA") or Path(__file__).resolve().parents[4] / "shared" / "data")


@dataclass(frozen=True)
class SimLane:
    id: int
    name: str
    direction: str
    camera_key: str
    camera_secret: str


@dataclass(frozen=True)
class Trip:
    at: float  # seconds into the run (before --speed)
    direction: str  # entry | exit
    plate: str | None  # the camera's own read (None: Anju reads the photo)
    image: Path | None
    label: str


def load_lanes(compound_code: str) -> list[SimLane]:
    """The compound's lanes that have a camera, with the camera's key and secret."""
    from anju.parking.models import ParkingLane
    from anju.registry.models import Compound

    with new_session() as s:
        cid = s.execute(select(Compound.id).where(Compound.code == compound_code)).scalar_one()
        rows = s.execute(
            select(ParkingLane, Device)
            .join(Device, Device.id == ParkingLane.camera_device_id)
            .where(ParkingLane.compound_id == cid, Device.active.is_(True))
            .order_by(ParkingLane.id)
        ).all()
        return [
            SimLane(
                lane.id,
                lane.name,
                str(lane.direction),
                d.device_key,
                decrypt(d.secret_enc, context=SECRET_CONTEXT) or "",
            )
            for lane, d in rows
        ]


def _cast(compound_code: str) -> dict[str, list[str]]:
    """Plates the script needs from the demo world: residents' cars, visitors allowed now, the blacklist."""
    from anju.parking.models import ParkingBlacklist, VisitorCar
    from anju.registry.models import Compound, Vehicle

    now = utcnow()
    with new_session() as s:
        cid = s.execute(select(Compound.id).where(Compound.code == compound_code)).scalar_one()
        residents = list(
            s.execute(
                select(Vehicle.plate)
                .where(Vehicle.compound_id == cid, Vehicle.active.is_(True), Vehicle.house_id.is_not(None))
                .order_by(Vehicle.id)
            ).scalars()
        )
        visitors = list(
            s.execute(
                select(VisitorCar.plate).where(
                    VisitorCar.compound_id == cid,
                    VisitorCar.valid_from <= now,
                    VisitorCar.valid_until > now,
                    VisitorCar.cancelled_at.is_(None),
                )
            ).scalars()
        )
        banned = list(s.execute(select(ParkingBlacklist.plate).where(ParkingBlacklist.compound_id == cid)).scalars())
    return {"residents": residents, "visitors": visitors, "blacklist": banned}


def _photos() -> list[tuple[Path, str]]:
    """(image, its labelled plate) for gate photos with one plate, from both shared folders."""
    out: list[tuple[Path, str]] = []
    for folder, keep in (("plates", lambda r: r["file"].startswith("ds_")), ("plates_ccpd", lambda r: True)):
        labels = SHARED_DATA / folder / "labels.csv"
        if not labels.exists():
            continue
        with labels.open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                plates = (row.get("plates") or "").split(";")
                if len(plates) == 1 and plates[0] and keep(row) and row.get("confidence", "sure") == "sure":
                    out.append((SHARED_DATA / folder / row["file"], plates[0]))
    return out


def day_script(compound_code: str, *, seed: int = 20261206) -> list[Trip]:
    """A compressed day at the south gate (about 3 minutes at speed 1)."""
    r = random.Random(seed)
    cast = _cast(compound_code)
    residents = cast["residents"][:10]
    photos = _photos()
    trips: list[Trip] = []
    for i, plate in enumerate(residents):  # morning peak: residents leave for work
        trips.append(Trip(5 + i * 3 + r.uniform(0, 1), "exit", plate, None, f"早高峰 业主出场 {plate}"))
    for i, plate in enumerate(cast["visitors"][:2]):
        trips.append(Trip(40 + i * 6, "entry", plate, None, f"访客车辆 {plate}"))
        trips.append(Trip(150 + i * 6, "exit", plate, None, f"访客离场 {plate}"))
    van = "川AUE022"  # the van photographed in ds_2.jpg
    van_photo = SHARED_DATA / "plates" / "ds_2.jpg"
    trips.append(Trip(50, "entry", van, van_photo if van_photo.exists() else None, "送货面包车入场"))
    trips.append(Trip(125, "exit", van, None, "送货面包车离场缴费"))
    for plate in cast["blacklist"][:1]:
        trips.append(Trip(60, "entry", plate, None, f"黑名单车辆 {plate}"))
    trips.append(Trip(70, "entry", "新M52090", None, "入场后长期不离开的车辆（僵尸车）"))
    for i, (path, label) in enumerate(photos[:4]):  # real photos: Anju reads the plate itself
        trips.append(Trip(80 + i * 5, "entry", None, path, f"真实抓拍照片 {path.name}（{label}）"))
    for i, plate in enumerate(residents):  # evening peak: residents come home
        trips.append(Trip(95 + i * 3 + r.uniform(0, 1), "entry", plate, None, f"晚高峰 业主回家 {plate}"))
    return sorted(trips, key=lambda t: t.at)


def capture_body(plate: str | None, image: Path | None, *, event_id: str | None = None) -> bytes:
    doc: dict[str, Any] = {"event_id": event_id or uuid.uuid4().hex[:24]}
    if plate:
        doc["plate"] = plate
    if image is not None:
        doc["image_b64"] = base64.b64encode(image.read_bytes()).decode()
    return json.dumps(doc, ensure_ascii=False).encode()


def post_capture(http: Any, lane: SimLane, body: bytes) -> Any:
    """Post one capture as the lane's camera (HMAC-signed body), as a real LPR camera would."""
    return http.post(
        f"/api/v1/parking/lanes/{lane.id}/camera-captures",
        content=body,
        headers={
            "content-type": "application/json",
            "X-Device-Key": lane.camera_key,
            "X-Device-Signature": sign_http(lane.camera_secret, body),
        },
    )


def report_fire_lane_stop(http: Any, lane: SimLane, compound_code: str) -> Any:
    """The camera over the fire-lane zone sees a car stop there (the fire-lane timer alarms past its limit)."""
    from anju.parking.enums import SpaceKind
    from anju.parking.models import ParkingSpace
    from anju.registry.models import Compound

    with new_session() as s:
        cid = s.execute(select(Compound.id).where(Compound.code == compound_code)).scalar_one()
        zone = (
            s.execute(
                select(ParkingSpace.id).where(ParkingSpace.compound_id == cid, ParkingSpace.kind == SpaceKind.fire_lane)
            )
            .scalars()
            .first()
        )
    if zone is None:
        return None
    body = json.dumps({"plate": "皖A0L727"}, ensure_ascii=False).encode()
    return http.post(
        f"/api/v1/parking/spaces/{zone}/camera-stops",
        content=body,
        headers={
            "content-type": "application/json",
            "X-Device-Key": lane.camera_key,
            "X-Device-Signature": sign_http(lane.camera_secret, body),
        },
    )


class LaneDriver(threading.Thread):
    """Plays the day script against a running server (HTTP), in its own thread beside the device traffic."""

    def __init__(self, *, compound_code: str, http_url: str, speed: float = 1.0, seed: int = 20261206) -> None:
        super().__init__(name="anju-sim-lanes", daemon=True)
        self.compound_code, self.http_url, self.speed, self.seed = compound_code, http_url, max(speed, 0.01), seed
        self.stopping = threading.Event()
        self.counts = {"captures": 0, "opened": 0, "refused": 0}

    def stop(self) -> None:
        self.stopping.set()

    def run(self) -> None:
        import httpx

        lanes = load_lanes(self.compound_code)
        by_dir = {ln.direction: ln for ln in reversed(lanes)}
        if not by_dir:
            log.info("no lane with a camera in %s: no lane traffic", self.compound_code)
            return
        start = time.monotonic()
        fire_at = 85 / self.speed
        fired = False
        with httpx.Client(base_url=self.http_url.rstrip("/"), timeout=15) as http:
            for trip in day_script(self.compound_code, seed=self.seed):
                if not fired and trip.at / self.speed > fire_at and "entry" in by_dir:
                    fired = True
                    self._wait(start + fire_at)
                    self._safe(lambda: report_fire_lane_stop(http, by_dir["entry"], self.compound_code), "消防通道停车")
                lane = by_dir.get(trip.direction)
                if lane is None:
                    continue
                if self._wait(start + trip.at / self.speed):
                    return
                body = capture_body(trip.plate, trip.image if trip.image and trip.image.exists() else None)
                r = self._safe(lambda lane=lane, body=body: post_capture(http, lane, body), trip.label)
                if r is not None and r.status_code == 200:
                    self.counts["captures"] += 1
                    decision = r.json()["event"]["decision"]
                    self.counts["opened" if decision == "open" else "refused"] += 1
                if self.stopping.is_set():
                    return

    def _wait(self, until: float) -> bool:
        """Sleep until `until` (monotonic); True when asked to stop meanwhile."""
        return self.stopping.wait(max(0.0, until - time.monotonic()))

    def _safe(self, call: Any, label: str) -> Any:
        import httpx

        try:
            r = call()
        except httpx.HTTPError as e:
            log.warning("lane capture failed (%s): %s", label, e)
            return None
        log.info("lane: %s -> %s", label, r.status_code if r is not None else "-")
        return r
