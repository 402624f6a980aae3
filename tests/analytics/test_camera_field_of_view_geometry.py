"""The field-of-view sector (analytics/fov.py) on a hand-computed layout: plan x right (east), y down (south),
directions from north clockwise. Scale 1 m per plan unit unless a test says otherwise."""

from __future__ import annotations

import math

import pytest

from anju.analytics.fov import Sector, bearing_deg, in_view, sector_path
from anju.registry.structure_schemas import metres_per_unit


def at(bearing: float, distance: float) -> tuple[float, float]:
    """The point `distance` plan units from (0, 0) at `bearing` (0 = north = −y)."""
    r = math.radians(bearing)
    return distance * math.sin(r), -distance * math.cos(r)


def test_bearings_on_the_plan():
    assert bearing_deg(0, 0, 0, -1) == 0.0  # up is north
    assert bearing_deg(0, 0, 1, 0) == 90.0  # right is east
    assert bearing_deg(0, 0, 0, 1) == 180.0
    assert bearing_deg(0, 0, -1, 0) == 270.0
    assert bearing_deg(10, 10, 20, 0) == pytest.approx(45.0)


def test_inside_outside_and_exactly_on_the_boundary_ray():
    north = Sector(0, 0, heading_deg=0, fov_deg=90, range_m=10)
    assert in_view(north, 0, -5, scale=1)  # straight ahead
    assert in_view(north, 5, -5, scale=1)  # bearing exactly 45°: the right boundary ray
    assert in_view(north, -5, -5, scale=1)  # 315°: the left boundary ray
    assert not in_view(north, 5, -4.9, scale=1)  # just past the right ray (bearing 45.6°)
    assert not in_view(north, 0, 5, scale=1)  # behind the camera
    assert in_view(north, *at(30, 7), scale=1)


def test_exactly_on_the_arc_and_just_beyond():
    north = Sector(0, 0, heading_deg=0, fov_deg=90, range_m=10)
    assert in_view(north, 0, -10, scale=1)  # distance = range
    assert in_view(north, 6, -8, scale=1)  # 3-4-5 triangle: distance 10 at bearing 36.87°
    assert not in_view(north, 0, -10.01, scale=1)


def test_a_360_degree_camera_sees_every_bearing_within_range():
    dome = Sector(50, 50, heading_deg=123, fov_deg=360, range_m=10)
    for b in (0, 90, 123, 180, 303, 359.9):
        assert in_view(dome, 50 + at(b, 10)[0], 50 + at(b, 10)[1], scale=1), b
    assert not in_view(dome, 50, 61, scale=1)


def test_wrap_around_across_north():
    nnw = Sector(0, 0, heading_deg=350, fov_deg=40, range_m=10)  # sees bearings 330° … 10°
    for b, seen in ((350, True), (0, True), (5, True), (10, True), (330, True), (10.5, False), (15, False)):
        assert in_view(nnw, *at(b, 5), scale=1) is seen, b
    assert not in_view(nnw, *at(320, 5), scale=1)
    nne = Sector(0, 0, heading_deg=10, fov_deg=40, range_m=10)  # sees 350° … 30°
    assert in_view(nne, *at(350, 5), scale=1) and in_view(nne, *at(355, 5), scale=1)
    assert not in_view(nne, *at(345, 5), scale=1)


def test_a_position_at_the_cameras_own_point_and_range_zero():
    blind = Sector(100, 100, heading_deg=90, fov_deg=1, range_m=0)
    assert in_view(blind, 100, 100, scale=1)  # distance 0 ≤ range 0; no bearing to test
    assert not in_view(blind, 101, 100, scale=1)  # straight ahead but 1 m away
    east = Sector(100, 100, heading_deg=90, fov_deg=60, range_m=10)
    assert in_view(east, 100, 100, scale=1)  # its own point, whatever the direction


def test_the_plans_scale_turns_plan_units_into_metres():
    east = Sector(0, 0, heading_deg=90, fov_deg=60, range_m=10)
    assert not in_view(east, 25, 0, scale=0.5)  # 25 units × 0.5 m = 12.5 m > 10 m
    assert in_view(east, 25, 0, scale=0.4)  # 25 × 0.4 = 10 m: on the arc
    assert in_view(east, 20, 0)  # the default scale, 0.5 m per unit: 10 m
    assert metres_per_unit(None) == 0.5 and metres_per_unit({"width": 900}) == 0.5
    assert metres_per_unit({"metres_per_unit": 2}) == 2.0
    assert metres_per_unit({"metres_per_unit": 0}) == 0.5 and metres_per_unit({"metres_per_unit": "x"}) == 0.5


def test_the_sector_as_an_svg_path():
    east = Sector(100, 100, heading_deg=90, fov_deg=90, range_m=50)  # 100 plan units at 0.5 m per unit
    assert sector_path(east) == "M 100.0 100.0 L 170.7 29.3 A 100.0 100.0 0 0 1 170.7 170.7 Z"
    wide = Sector(0, 0, heading_deg=0, fov_deg=270, range_m=10)  # more than half a turn: the large arc
    assert sector_path(wide, scale=1) == "M 0.0 0.0 L -7.1 7.1 A 10.0 10.0 0 1 1 7.1 7.1 Z"
    dome = Sector(10, 20, heading_deg=0, fov_deg=360, range_m=5)
    assert sector_path(dome, scale=1) == "M 5.0 20.0 A 5.0 5.0 0 1 1 15.0 20.0 A 5.0 5.0 0 1 1 5.0 20.0 Z"
    assert sector_path(Sector(0, 0, 0, 90, 0), scale=1) is None  # range 0: nothing to draw
