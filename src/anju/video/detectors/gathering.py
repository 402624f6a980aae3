"""人员聚集 (gathering): at least `min_people` tracked people inside a zone for `hold_seconds`.

People come from the shared HOG tracker (detectors/people.py). A brief dip below the count (someone hidden
behind another for a frame or two) does not restart the clock until it lasts `gap_seconds`; one event per
episode, and a new episode needs the zone to have emptied below the count first.
"""

from __future__ import annotations

from dataclasses import dataclass

from anju.video.detectors.base import Box, Detection, Frame, Zone
from anju.video.detectors.people import Track


@dataclass
class GatheringConfig:
    min_people: int = 5
    hold_seconds: float = 60.0
    gap_seconds: float = 2.0


def _union(boxes: list[Box]) -> Box:
    x0 = min(b[0] for b in boxes)
    y0 = min(b[1] for b in boxes)
    x1 = max(b[0] + b[2] for b in boxes)
    y1 = max(b[1] + b[3] for b in boxes)
    return x0, y0, x1 - x0, y1 - y0


class GatheringDetector:
    name = "gathering"

    def __init__(self, zones: list[Zone], config: GatheringConfig | None = None) -> None:
        self.zones = zones
        self.config = config or GatheringConfig()
        self._since: dict[str, float] = {}
        self._below: dict[str, float] = {}
        self._reported: set[str] = set()
        self._peak: dict[str, int] = {}

    def feed(self, frame: Frame, tracks: list[Track]) -> list[Detection]:
        c = self.config
        out: list[Detection] = []
        for z in self.zones:
            inside = [tr for tr in tracks if z.contains(tr.foot, frame.size)]
            if len(inside) < c.min_people:
                below = self._below.setdefault(z.name, frame.t)
                if frame.t - below >= c.gap_seconds:
                    self._since.pop(z.name, None)
                    self._reported.discard(z.name)
                    self._peak.pop(z.name, None)
                continue
            self._below.pop(z.name, None)
            since = self._since.setdefault(z.name, frame.t)
            self._peak[z.name] = max(self._peak.get(z.name, 0), len(inside))
            if z.name in self._reported or frame.t - since < c.hold_seconds:
                continue
            self._reported.add(z.name)
            out.append(
                Detection(
                    detector=self.name,
                    t=frame.t,
                    started_t=since,
                    score=min(1.0, 0.5 + 0.1 * (len(inside) - c.min_people + 1)),
                    box=_union([tr.box for tr in inside]),
                    zone=z.name,
                    key=f"gathering:{z.name}:{since:.1f}",
                    details={
                        "people": len(inside),
                        "peak": self._peak[z.name],
                        "held_seconds": round(frame.t - since, 1),
                    },
                )
            )
        return out
