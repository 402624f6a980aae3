"""A camera's field of view on the site plan: a circular sector, pure geometry (no database).

Plan coordinates grow right (x, east) and down (y, south), as the site plan is drawn; a direction is in degrees
from north (up on the plan), clockwise. A point is in view when

    distance(camera, point) × metres per plan unit ≤ range (metres)
    and the bearing from the camera to the point is within ±angle/2 of the camera's direction

(both limits included; a 360° camera sees every bearing; the camera's own point is in view of any range, even 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from anju.registry.structure_schemas import SITE_METRES_PER_UNIT

EPS = 1e-9  # a point on the boundary ray or the arc computed with float rounding is still on it


@dataclass(frozen=True)
class Sector:
    x: float  # plan units
    y: float
    heading_deg: float  # 0 = north, clockwise; ignored at 360°
    fov_deg: float  # 1..360
    range_m: float  # metres, ≥ 0


def bearing_deg(x0: float, y0: float, x1: float, y1: float) -> float:
    """Bearing from (x0, y0) to (x1, y1) on the plan: 0 = north (up, −y), 90 = east (+x), in [0, 360)."""
    return math.degrees(math.atan2(x1 - x0, y0 - y1)) % 360.0


def in_view(sector: Sector, px: float, py: float, *, scale: float = SITE_METRES_PER_UNIT) -> bool:
    """Whether the point (px, py) lies inside the camera's sector (`scale`: metres per plan unit)."""
    distance_m = math.hypot(px - sector.x, py - sector.y) * scale
    if distance_m > sector.range_m + EPS:
        return False
    if distance_m <= EPS or sector.fov_deg >= 360:
        return True
    off = (bearing_deg(sector.x, sector.y, px, py) - sector.heading_deg + 180.0) % 360.0 - 180.0
    return abs(off) <= sector.fov_deg / 2.0 + EPS


def sector_path(sector: Sector, *, scale: float = SITE_METRES_PER_UNIT) -> str | None:
    """The sector as an SVG path in plan units (None for range 0: nothing to draw). A 360° camera is a circle."""
    r = sector.range_m / scale
    if r <= 0:
        return None
    x, y = sector.x, sector.y

    def point(bearing: float) -> str:
        b = math.radians(bearing)
        return f"{x + r * math.sin(b):.1f} {y - r * math.cos(b):.1f}"

    if sector.fov_deg >= 360:
        return f"M {x - r:.1f} {y:.1f} A {r:.1f} {r:.1f} 0 1 1 {x + r:.1f} {y:.1f} A {r:.1f} {r:.1f} 0 1 1 {x - r:.1f} {y:.1f} Z"
    half = sector.fov_deg / 2.0
    large = 1 if sector.fov_deg > 180 else 0
    start, end = point(sector.heading_deg - half), point(sector.heading_deg + half)
    return f"M {x:.1f} {y:.1f} L {start} A {r:.1f} {r:.1f} 0 {large} 1 {end} Z"
