"""翻越 (climbing a fence): a tracked person whose foot point enters the protected zone across its edge (the
fence line) while moving fast upward in the picture.

Walking across the line moves the foot steadily; climbing lifts the whole body: over the last `window_seconds`
the foot rises at least `min_up_bh_per_s` of the person's own height per second (so the rule does not depend on
the distance to the camera) and mostly vertically (horizontal travel at most `max_side_ratio` of the rise).
One event per track and zone. Zones are polygons, so the console's zone editor draws the fence's inside.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from anju.video.detectors.base import Detection, Frame, Zone
from anju.video.detectors.people import Track


@dataclass
class ClimbingConfig:
    window_seconds: float = 1.5
    min_up_bh_per_s: float = 0.6  # foot rise per second, in body heights
    max_side_ratio: float = 0.6
    min_points: int = 3


class ClimbingDetector:
    name = "climbing"

    def __init__(self, zones: list[Zone], config: ClimbingConfig | None = None) -> None:
        self.zones = zones
        self.config = config or ClimbingConfig()
        self._hist: dict[int, deque[tuple[float, float, float, float]]] = {}  # track → (t, foot x, foot y, height)
        self._inside: dict[tuple[int, str], bool] = {}
        self._reported: set[tuple[int, str]] = set()

    def feed(self, frame: Frame, tracks: list[Track]) -> list[Detection]:
        c = self.config
        out: list[Detection] = []
        live = {tr.id for tr in tracks}
        for tid in [t for t in self._hist if t not in live]:
            if frame.t - self._hist[tid][-1][0] > 5.0:
                del self._hist[tid]
        for tr in tracks:
            fx, fy = tr.foot
            h = self._hist.setdefault(tr.id, deque())
            h.append((frame.t, fx, fy, float(tr.box[3])))
            while h and h[0][0] < frame.t - c.window_seconds:
                h.popleft()
            for z in self.zones:
                key = (tr.id, z.name)
                now_in = z.contains((fx, fy), frame.size)
                was_in = self._inside.get(key)
                self._inside[key] = now_in
                if key in self._reported or was_in is not False or not now_in or len(h) < c.min_points:
                    continue  # only a crossing from outside to inside counts
                t0, x0, y0, _ = h[0]
                dt = frame.t - t0
                if dt <= 0:
                    continue
                height = max(1.0, sum(p[3] for p in h) / len(h))
                rise = y0 - fy  # image y grows downward
                speed = rise / height / dt
                if speed < c.min_up_bh_per_s or abs(fx - x0) > c.max_side_ratio * max(rise, 1e-6):
                    continue
                self._reported.add(key)
                out.append(
                    Detection(
                        detector=self.name,
                        t=frame.t,
                        started_t=t0,
                        score=min(1.0, 0.5 + 0.25 * speed / c.min_up_bh_per_s),
                        box=tr.box,
                        zone=z.name,
                        key=f"climbing:{z.name}:{t0:.1f}:{tr.id}",
                        details={"track_id": tr.id, "rise_bh_per_s": round(speed, 2)},
                    )
                )
        return out
