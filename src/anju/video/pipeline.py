"""One camera's analytics: the motion gate and the detectors its analytics JSON switches on (no database).

The worker, the bench and the tests all drive this class, so what is measured is what runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime, time
from typing import Any

from anju.core.kit.china_time import to_china
from anju.video.detectors.base import Detection, Frame, zones_from
from anju.video.detectors.climbing import ClimbingConfig, ClimbingDetector
from anju.video.detectors.falls import FallConfig, FallDetector
from anju.video.detectors.firelane import FireLaneConfig, FireLaneDetector
from anju.video.detectors.gathering import GatheringConfig, GatheringDetector
from anju.video.detectors.left_object import LeftObjectConfig, LeftObjectDetector
from anju.video.detectors.motion import MotionGate
from anju.video.detectors.people import IntrusionDetector, LoiteringDetector, PeopleConfig, PersonTracker
from anju.video.detectors.thrown import ThrownConfig, ThrownObjectDetector
from anju.video.enums import DetectorKind

# Detectors fed by the shared HOG person tracker.
PEOPLE_KINDS = (DetectorKind.intrusion, DetectorKind.loitering, DetectorKind.gathering, DetectorKind.climbing)


def _config(cls: type, params: dict[str, Any]) -> Any:
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in params.items() if k in names})


@dataclass
class Analytic:
    detector: DetectorKind
    zones: list[dict[str, Any]]
    schedule: dict[str, str] | None
    params: dict[str, Any]


def schedule_active(schedule: dict[str, str] | None, at: datetime) -> bool:
    """Whether a China-time window ("22:00"–"06:00" crosses midnight) covers `at`; no schedule: always."""
    if not schedule:
        return True
    local = to_china(at).time()
    start = time.fromisoformat(schedule["start"])
    end = time.fromisoformat(schedule["end"])
    if start <= end:
        return start <= local < end
    return local >= start or local < end


class Pipeline:
    def __init__(
        self,
        analytics: list[dict[str, Any]],
        *,
        schedule_active: Callable[[dict[str, str] | None, datetime], bool] | None = None,
    ) -> None:
        self.items = [
            Analytic(DetectorKind(a["detector"]), a.get("zones") or [], a.get("schedule"), a.get("params") or {})
            for a in analytics
        ]
        self._active = schedule_active or (lambda s, at: True)  # tests and the bench may ignore the clock
        self.zone_places: dict[tuple[str, str], dict[str, Any]] = {
            (a.detector.value, str(z.get("name"))): {k: v for k, v in z.items() if k not in ("name", "points")}
            for a in self.items
            for z in a.zones
        }
        self.reset()

    def reset(self) -> None:
        """A new stream, a reconnect or a resolution change: every model starts again."""
        self.motion = MotionGate()
        self.frames = 0
        self._tracker: PersonTracker | None = None
        self._people: list[tuple[Analytic, Any]] = []
        self._other: list[tuple[Analytic, Any]] = []
        for a in self.items:
            zones = zones_from(a.zones)
            if a.detector in PEOPLE_KINDS:
                if self._tracker is None:
                    self._tracker = PersonTracker(_config(PeopleConfig, a.params))
                if a.detector == DetectorKind.intrusion:
                    self._people.append((a, IntrusionDetector(zones)))
                elif a.detector == DetectorKind.loitering:
                    dwell = float(a.params.get("loiter_seconds", PeopleConfig.loiter_seconds))
                    self._people.append((a, LoiteringDetector(zones, dwell)))
                elif a.detector == DetectorKind.gathering:
                    self._people.append((a, GatheringDetector(zones, _config(GatheringConfig, a.params))))
                else:
                    self._people.append((a, ClimbingDetector(zones, _config(ClimbingConfig, a.params))))
            elif a.detector == DetectorKind.left_object:
                self._other.append((a, LeftObjectDetector(zones, _config(LeftObjectConfig, a.params))))
            elif a.detector == DetectorKind.fall:
                self._other.append((a, FallDetector(_config(FallConfig, a.params))))
            elif a.detector == DetectorKind.thrown_object:
                params = dict(a.params)
                if "floor_rows" in params:
                    params["floor_rows"] = [tuple(r) for r in params["floor_rows"]]
                self._other.append((a, ThrownObjectDetector(_config(ThrownConfig, params))))
            elif a.detector == DetectorKind.fire_lane_parking:
                self._other.append((a, FireLaneDetector(zones, _config(FireLaneConfig, a.params))))
        self._size: tuple[int, int] | None = None

    def feed(self, frame: Frame, at: datetime) -> list[Detection]:
        if self._size is not None and frame.size != self._size:
            self.reset()
        self._size = frame.size
        self.frames += 1
        motion = self.motion.feed(frame)
        out: list[Detection] = []
        for a, det in self._other:
            found = det.feed(frame, motion)
            if self._active(a.schedule, at):
                out.extend(found)
        if self._tracker is not None:
            people_on = [(a, d) for a, d in self._people if self._active(a.schedule, at)]
            if people_on:
                tracks = self._tracker.update(frame, motion)
                for _, d in people_on:
                    out.extend(d.feed(frame, tracks))
        return out
