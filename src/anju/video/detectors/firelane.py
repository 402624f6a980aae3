"""Fire-lane parking: a vehicle-sized object that arrived and stays still inside a fire-lane zone beyond a limit.

What came and stopped comes from the shared two-model background (detectors/static.py); such a blob of vehicle
size inside the zone, present long enough, is a parked vehicle. Walkers are foreground to both models and never
count; a blob smaller than `min_area_of_zone` (a person standing) is ignored.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from anju.video.detectors.base import Detection, Frame, Zone, largest_component
from anju.video.detectors.motion import MotionResult
from anju.video.detectors.static import StaticForeground


@dataclass
class FireLaneConfig:
    limit_seconds: float = 180.0  # stopping longer than this is parking
    min_area_of_zone: float = 0.12  # a car covers a good part of a lane zone; a person does not
    min_aspect: float = 0.8  # width / height of the blob
    fast_history: int = 15  # frames
    slow_history: int = 3000  # frames: the empty-scene model forgets this slowly
    diff_threshold: int = 25
    gap_seconds: float = 5.0


class FireLaneDetector:
    name = "fire_lane_parking"

    def __init__(self, zones: list[Zone], config: FireLaneConfig | None = None) -> None:
        self.zones = zones
        self.config = config or FireLaneConfig()
        c = self.config
        self._static = StaticForeground(
            fast_history=c.fast_history, slow_history=c.slow_history, diff_threshold=c.diff_threshold
        )
        self._since: dict[str, float] = {}
        self._gone: dict[str, float] = {}
        self._reported: set[str] = set()
        self._masks: dict[tuple[str, tuple[int, int]], np.ndarray] = {}

    def feed(self, frame: Frame, motion: MotionResult) -> list[Detection]:
        c = self.config
        g = frame.small
        static = self._static.feed(g, camera_moving=motion.camera_moving)
        if static is None:
            self._since.clear()
            return []
        size = (g.shape[1], g.shape[0])
        out: list[Detection] = []
        for z in self.zones:
            zm = self._masks.get((z.name, size))
            if zm is None:
                zm = self._masks[(z.name, size)] = z.mask(size)
            inside = cv2.bitwise_and(static, zm)
            zone_area = max(1, cv2.countNonZero(zm))
            comp = largest_component(inside, min_area=int(c.min_area_of_zone * zone_area))
            # A vehicle seen from a pole camera is at least about as wide as tall; a person standing is not.
            if comp is None or comp[0][2] < c.min_aspect * comp[0][3]:
                # Hidden for a moment (someone walks past) is not gone: forget it only after `gap_seconds`.
                gone = self._gone.setdefault(z.name, frame.t)
                if frame.t - gone >= c.gap_seconds:
                    self._since.pop(z.name, None)
                    self._reported.discard(z.name)
                continue
            self._gone.pop(z.name, None)
            since = self._since.setdefault(z.name, frame.t)
            if z.name in self._reported or frame.t - since < c.limit_seconds:
                continue
            self._reported.add(z.name)
            (x, y, w, h), area = comp
            s = 2  # small frame to analysis frame
            out.append(
                Detection(
                    detector=self.name,
                    t=frame.t,
                    started_t=since,
                    score=min(1.0, 0.5 + area / (2.0 * zone_area)),
                    box=(x * s, y * s, w * s, h * s),
                    zone=z.name,
                    key=f"fire_lane:{z.name}:{since:.1f}",
                    details={"stopped_seconds": round(frame.t - since, 1), "zone_cover": round(area / zone_area, 3)},
                )
            )
        return out
