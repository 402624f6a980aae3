"""What every detector shares: the sampled frame, the detection it reports, zone geometry."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
from cv2.typing import MatLike

Image = MatLike
Point = tuple[float, float]
Box = tuple[int, int, int, int]  # x, y, w, h in analysed-frame pixels


@dataclass
class Frame:
    """One sampled frame: stream time in seconds, the analysed BGR image, its grey copy and a half-size grey copy.

    The grey copy (analysis size, ~640 wide) serves detectors of small things (thrown objects, parking); the
    half-size blurred copy (~320 wide) serves the motion gate and the fall detector, which look at whole bodies.
    """

    t: float
    bgr: Image
    gray: Image = field(init=False)
    small: Image = field(init=False)

    def __post_init__(self) -> None:
        self.gray = cv2.cvtColor(self.bgr, cv2.COLOR_BGR2GRAY)
        h, w = self.gray.shape
        half = cv2.resize(self.gray, (max(1, w // 2), max(1, h // 2)), interpolation=cv2.INTER_AREA)
        self.small = cv2.GaussianBlur(half, (5, 5), 0)

    @property
    def size(self) -> tuple[int, int]:
        h, w = self.bgr.shape[:2]
        return w, h


@dataclass
class Detection:
    """One incident a detector decided on (not one per frame): the worker turns it into an alarm with evidence."""

    detector: str
    t: float  # stream seconds of the decision
    started_t: float  # stream seconds the incident began (evidence clips start before it)
    score: float  # 0..1 confidence of the rule
    box: Box
    zone: str | None = None
    key: str = ""  # stable within one incident: the worker's idempotency key is built from it
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Zone:
    """A named polygon in normalised image coordinates (0..1), so it survives a resolution change."""

    name: str
    points: tuple[Point, ...]

    def scaled(self, size: tuple[int, int]) -> MatLike:
        w, h = size
        return np.array([[round(x * w), round(y * h)] for x, y in self.points], dtype=np.int32)

    def contains(self, point: Point, size: tuple[int, int]) -> bool:
        poly = self.scaled(size).reshape(-1, 1, 2).astype(np.float32)
        return cv2.pointPolygonTest(poly, (float(point[0]), float(point[1])), False) >= 0

    def mask(self, size: tuple[int, int]) -> Image:
        m = np.zeros((size[1], size[0]), dtype=np.uint8)
        cv2.fillPoly(m, [self.scaled(size)], 255)
        return m


def zones_from(raw: list[dict[str, Any]] | None) -> list[Zone]:
    """Zones from a camera's analytics JSON: [{"name": "gate", "points": [[x, y], ...]}], coordinates 0..1."""
    out: list[Zone] = []
    for z in raw or []:
        pts = tuple((float(p[0]), float(p[1])) for p in z.get("points", []))
        if len(pts) >= 3:
            out.append(Zone(str(z.get("name") or f"zone{len(out) + 1}"), pts))
    return out


def largest_component(mask: Image, min_area: int) -> tuple[Box, int] | None:
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask)
    if n <= 1:
        return None
    j = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    x, y, w, h, area = (int(v) for v in stats[j])
    if area < min_area:
        return None
    return (x, y, w, h), area
