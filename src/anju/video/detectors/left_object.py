"""遗留物 (left object): a small static foreground blob that stays `hold_seconds` with nobody near it.

What came and stopped comes from the shared two-model background (detectors/static.py). A blob between
`min_area` and `max_area_of_frame` (larger is a vehicle: the fire-lane rule's business) and not taller than
`max_tall` times its width (a person standing still) becomes a candidate.
Someone staying with it (motion within `near_px` around it in most frames of the last `attended_window` seconds:
its owner standing by, someone picking it up) restarts its unattended clock; passers-by walking past do not.
One event per candidate; a candidate unseen for `gap_seconds` is forgotten (taken away).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from anju.video.detectors.base import Detection, Frame, Zone
from anju.video.detectors.motion import MotionResult
from anju.video.detectors.static import StaticForeground


@dataclass
class LeftObjectConfig:
    hold_seconds: float = 60.0
    min_area: int = 40  # px on the half-size frame (~160 px at analysis size)
    max_area_of_frame: float = 0.02
    max_tall: float = 1.5  # height / width: taller is a person standing still, not a thing left behind
    near_px: int = 25  # half-size px around the object where motion means someone is with it
    attended_window: float = 3.0
    attended_fraction: float = 0.6
    match_px: float = 12.0
    gap_seconds: float = 3.0


@dataclass
class _Candidate:
    cx: float
    cy: float
    box: tuple[int, int, int, int]
    first_t: float
    last_t: float
    unattended_since: float
    reported: bool = False
    near: list[tuple[float, bool]] = field(default_factory=list)


class LeftObjectDetector:
    name = "left_object"

    def __init__(self, zones: list[Zone], config: LeftObjectConfig | None = None) -> None:
        self.zones = zones
        self.config = config or LeftObjectConfig()
        self._static = StaticForeground()
        self._cands: list[_Candidate] = []
        self._masks: dict[tuple[int, int], np.ndarray] = {}

    def _zone_mask(self, size: tuple[int, int]) -> np.ndarray | None:
        if not self.zones:
            return None
        m = self._masks.get(size)
        if m is None:
            m = np.zeros((size[1], size[0]), dtype=np.uint8)
            for z in self.zones:
                m = cv2.bitwise_or(m, z.mask(size))
            self._masks[size] = m
        return m

    def feed(self, frame: Frame, motion: MotionResult) -> list[Detection]:
        c = self.config
        g = frame.small
        static = self._static.feed(g, camera_moving=motion.camera_moving)
        if static is None:
            self._cands = []
            return []
        size = (g.shape[1], g.shape[0])
        zm = self._zone_mask(size)
        if zm is not None:
            static = cv2.bitwise_and(static, zm)
        n, _, stats, cents = cv2.connectedComponentsWithStats(static)
        max_area = c.max_area_of_frame * g.size
        moving = motion.mask if motion.mask.shape == g.shape else None
        out: list[Detection] = []
        seen: set[int] = set()
        for i in range(1, n):
            area = int(stats[i, cv2.CC_STAT_AREA])
            if not c.min_area <= area <= max_area:
                continue
            x, y, w, h = (int(v) for v in stats[i][:4])
            if h > c.max_tall * w:
                continue
            cx, cy = float(cents[i][0]), float(cents[i][1])
            cand = next(
                (k for k in self._cands if id(k) not in seen and np.hypot(k.cx - cx, k.cy - cy) <= c.match_px), None
            )
            if cand is None:
                cand = _Candidate(cx, cy, (x, y, w, h), frame.t, frame.t, frame.t)
                self._cands.append(cand)
            seen.add(id(cand))
            cand.cx, cand.cy, cand.box, cand.last_t = cx, cy, (x, y, w, h), frame.t
            if moving is not None:
                r = c.near_px
                y0, y1 = max(0, y - r), min(g.shape[0], y + h + r)
                x0, x1 = max(0, x - r), min(g.shape[1], x + w + r)
                ring = moving[y0:y1, x0:x1].copy()
                ring[y - y0 : y - y0 + h, x - x0 : x - x0 + w] = 0  # the object itself does not count
                cand.near.append((frame.t, cv2.countNonZero(ring) > 0.02 * ring.size))
                cand.near = [(t, v) for t, v in cand.near if t > frame.t - c.attended_window]
                span = frame.t - cand.near[0][0]
                busy = sum(v for _, v in cand.near) / len(cand.near)
                if span >= 0.5 * c.attended_window and busy >= c.attended_fraction:
                    cand.unattended_since = frame.t  # someone is staying with it
            if cand.reported or frame.t - cand.unattended_since < c.hold_seconds:
                continue
            cand.reported = True
            s = 2  # half-size to analysis size
            out.append(
                Detection(
                    detector=self.name,
                    t=frame.t,
                    started_t=cand.first_t,
                    score=min(1.0, 0.5 + 0.5 * (frame.t - cand.first_t) / (2 * c.hold_seconds)),
                    box=(x * s, y * s, w * s, h * s),
                    zone=self.zones[0].name if len(self.zones) == 1 else None,
                    key=f"left_object:{cand.first_t:.1f}:{int(cx)}:{int(cy)}",
                    details={
                        "unattended_seconds": round(frame.t - cand.unattended_since, 1),
                        "present_seconds": round(frame.t - cand.first_t, 1),
                        "area_px": area * s * s,
                    },
                )
            )
        self._cands = [k for k in self._cands if frame.t - k.last_t < c.gap_seconds]
        return out
