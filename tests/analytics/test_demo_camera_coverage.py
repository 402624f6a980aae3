"""The demo's cameras on its site plan: every seeded placement passes the API's checks, key-position coverage by
field of view takes in the positions the demo means to cover and leaves the power room (配电室) out, and the 大屏's
cameras layer draws a sector for every placed camera.

The full demo (示范小区) as the demo command builds it, copied into a database of its own; the cameras are put
online as the simulator's heartbeats would."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from anju.analytics.coverage import coverage_figures, position_states
from anju.analytics.fov import Sector, in_view
from anju.analytics.picture import command_picture
from anju.core import db as core_db
from anju.core.db import utcnow
from anju.devices.enums import DeviceStatus
from anju.devices.models import Device, DeviceState
from anju.registry.models import Compound
from anju.registry.structure_schemas import metres_per_unit
from anju.sim.cameras_demo import UNCOVERED, layout, units_by_building
from anju.sim.demo import DEMO_CODE, MAIN, SECOND, SMALL, _site_plan
from anju.video.schemas import CameraPatch
from anju.video.service import check_on_plan, video_service
from tests.conftest import principal_of
from tests.core.databases import dedicated_database

pytestmark = pytest.mark.xdist_group("full_demo")  # one process builds the full demo template once


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with (
        dedicated_database(tmp_path_factory.mktemp("demo_cams"), "demo_cams", seed="full"),
        core_db.transaction() as s,
    ):
        yield s
        s.rollback()


def _compound(s: Any) -> Compound:
    return s.execute(select(Compound).where(Compound.code == DEMO_CODE)).scalar_one()


def test_every_seeded_camera_placement_passes_the_apis_checks(demo):
    c = _compound(demo)
    placed = video_service.placements(demo, compound_id=c.id)
    cams, _ = layout(c.site_plan, units_by_building(demo, c.id))
    # Every camera of the demo is placed: the seeded ones and the footage replays (when the shared files exist).
    assert len(placed) >= len(cams) > 10
    assert {f"{DEMO_CODE}-VC-{x.key}" for x in cams} <= {k for (k,) in demo.execute(select(Device.device_key))}
    for p in placed:
        body = {"plan_x": p.plan_x, "plan_y": p.plan_y, "heading_deg": p.heading_deg, "fov_deg": p.fov_deg}
        CameraPatch.model_validate({**body, "range_m": p.range_m})  # the API's field limits
        check_on_plan(demo, compound_id=c.id, plan_x=p.plan_x, plan_y=p.plan_y)  # on the site plan
        assert p.heading_deg is not None or p.fov_deg == 360
        assert p.plan_x is not None and p.plan_y is not None and p.range_m is not None and 0 < p.range_m <= 40


def test_coverage_by_view_takes_in_the_intended_positions_and_leaves_the_power_room(demo):
    c = _compound(demo)
    cameras = list(
        demo.execute(select(Device.id).where(Device.compound_id == c.id, Device.device_type == "camera")).scalars()
    )
    before = {s.name: s.covered for s in position_states(demo, compound_id=c.id)}
    assert before and not any(before.values())  # nobody reported yet: no camera is online
    demo.add_all(DeviceState(device_id=d, compound_id=c.id, status=DeviceStatus.online) for d in cameras)
    demo.flush()
    states = {s.name: s for s in position_states(demo, compound_id=c.id)}
    _, spots = layout(c.site_plan, {})
    assert {p.name: p.covered for p in spots} == {n: s.covered for n, s in states.items()}
    assert not states[UNCOVERED].covered and not states[UNCOVERED].online
    covered = [s for s in states.values() if s.covered]
    assert all(s.in_view and not s.cameras for s in covered)  # by view, none by assignment
    f = coverage_figures(demo, compound_id=c.id)
    assert f["key_positions"] == len(states) and f["key_positions_covered"] == len(states) - 1
    assert f["uncovered_by_kind"] == {"plant_room": 1}


def test_the_screens_cameras_layer_draws_a_sector_for_every_placed_camera(demo):
    c = _compound(demo)
    who = principal_of(demo, "manager_wang")
    pic = command_picture(demo, who=who, compound_id=c.id, now=utcnow())
    layer = next(x for x in pic["layers"] if x.key == "cameras")
    placed = [p for p in video_service.placements(demo, compound_id=c.id) if p.range_m is not None]
    assert len(layer.sectors) == len(placed) > 10 and layer.unplaced == 0
    assert sum(1 for _, path in layer.sectors if " A " in path and " L " not in path) == sum(
        1 for p in placed if p.fov_deg == 360
    )


@pytest.mark.db_agnostic
@pytest.mark.parametrize("spec", [MAIN, SMALL, SECOND], ids=["main", "small", "second"])
def test_the_layout_fits_every_demo_plan_and_covers_as_intended(spec):
    """The layout is derived from the plan, so it holds on every demo compound's plan, not only the main one."""
    plan = _site_plan(spec)
    cams, spots = layout(plan, {str(b + 1): spec.units for b in range(spec.buildings)})
    scale = metres_per_unit(plan)
    assert layout(plan, {str(b + 1): spec.units for b in range(spec.buildings)}) == (cams, spots)  # deterministic
    assert len({c.key for c in cams}) == len(cams) and len({p.name for p in spots}) == len(spots)
    sectors = [Sector(c.x, c.y, c.heading_deg or 0, c.fov_deg, c.range_m) for c in cams]
    for c in cams:
        assert 0 <= c.x <= plan["width"] and 0 <= c.y <= plan["height"]
    for p in spots:
        seen = any(in_view(s, p.x, p.y, scale=scale) for s in sectors)
        assert seen == p.covered, p.name
    assert [p.name for p in spots if not p.covered] == [UNCOVERED]
