"""Video demo (issue 14): cameras of the main compound that replay the shared real footage
(../shared/data/video beside the checkout, or ANJU_SHARED_DATA), so `anju video-worker` in the demo has
something to watch: a stairwell camera on a real fall clip (跌倒) and a plaza camera on the pedestrian clip
(人员聚集). Registered and activated through the video service like a manager would; a camera whose file is
absent is skipped with a log line.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.core.auth import Principal
from anju.sim.lane_sim import SHARED_DATA

log = logging.getLogger("anju.sim.video")

VIDEO = SHARED_DATA / "video"

# (device key, name, building number, location, file under ../shared/data/video, analytics)
CAMERAS: list[tuple[str, str, str | None, str, str, list[dict[str, Any]]]] = [
    ("CAM-STAIR-2", "2号楼一层楼道", "2", "2号楼一单元一层楼道", "falls/s1_Fall_13.mp4", [{"detector": "fall"}]),
    (
        "CAM-PLAZA",
        "中心广场",
        None,
        "中心广场东侧",
        "vtest.avi",
        [
            {
                "detector": "gathering",
                "zones": [{"name": "广场", "points": [[0, 0], [1, 0], [1, 1], [0, 1]]}],
                "params": {"min_people": 4, "hold_seconds": 5},
            }
        ],
    ),
]


def _principal(session: Session, username: str) -> Principal:
    from anju.accounts.models import User
    from anju.accounts.service import account_service

    user = session.execute(select(User).where(User.username == username)).scalar_one()
    return account_service.principal(session, user)


def build_video_demo(session: Session, *, compound_id: int, li_person_id: int, committee_person_id: int) -> int:
    """Register and activate the demo cameras of compound `compound_id` whose footage exists; returns how many.
    Caller commits."""
    from anju.registry.models import Building, Compound
    from anju.sim.cameras_demo import footage_placement, units_by_building
    from anju.video.schemas import AnalyticIn, CameraCreate, CameraPatch
    from anju.video.service import video_service

    wang = _principal(session, "manager_wang")
    plan = session.execute(select(Compound.site_plan).where(Compound.id == compound_id)).scalar_one() or {}
    units = units_by_building(session, compound_id)
    made = 0
    for key, name, building, location, rel, analytics in CAMERAS:
        path = VIDEO / rel
        if not path.exists():
            log.info("video demo: %s not found, camera %s skipped", path, name)
            continue
        building_id = None
        if building is not None:
            building_id = session.execute(
                select(Building.id).where(Building.compound_id == compound_id, Building.number == building)
            ).scalar_one_or_none()
        spot = footage_placement(key, plan, units) if plan.get("width") else None
        placement: dict[str, Any] = (
            {
                "plan_x": spot.x,
                "plan_y": spot.y,
                "heading_deg": spot.heading_deg,
                "fov_deg": spot.fov_deg,
                "range_m": spot.range_m,
            }
            if spot
            else {}
        )
        cam = video_service.register(
            session,
            by=wang,
            data=CameraCreate(
                compound_id=compound_id,
                device_key=key,
                name=name,
                url=str(path.resolve()),
                building_id=building_id,
                location=location,
                **placement,
                public_area=True,
                retention_days=30,
                signage_installed=True,
                analytics=[AnalyticIn.model_validate(a) for a in analytics],
            ),
        )
        video_service.update(session, by=wang, camera_id=cam.id, data=CameraPatch(active=True))
        made += 1
    return made
