"""Falls from the moving silhouette: a fast collapse of the moving body followed by stillness.

Why not pose: `mediapipe==0.10.21` (the last release that ships its pose models in the wheel) requires numpy<2
(`pip install --dry-run mediapipe==0.10.21 -c constraints.txt` fails: "mediapipe 0.10.21 depends on numpy<2"),
and Anju pins numpy 2.x for OpenCV 4.14; a second interpreter with its own venv only for pose was not worth its
set-up cost here. HOG finds upright people only, so it cannot see someone lying down either.

The rule (classic in the fall-detection literature: "rapid descent, then inactivity"): the largest moving region
is the person in motion. A fall is its top edge dropping by at least `min_drop_of_height` of the region's
height (and `min_drop_of_frame` of the picture) within `max_fall_seconds`, while the region shrinks in height,
and then the place going (almost) still for `still_seconds` within `confirm_seconds`. Sitting down moves the head
less than half a body height and slower; walking moves the region sideways; someone lying down slowly never
drops fast. Frame differencing (not a learned background) works although the person is in view from the first
frame, as in every clip of the GMDCSA24 set.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import cv2

from anju.video.detectors.base import Box, Detection, Frame, largest_component
from anju.video.detectors.motion import MotionResult

_MERGE = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (11, 11))


@dataclass
class FallConfig:
    min_body_of_frame: float = 0.25  # the moving region before the fall is at least this tall (of frame height)
    min_drop_of_height: float = 0.45
    min_drop_of_frame: float = 0.15
    max_shrink: float = 0.85  # the region after the drop is at most this part of its height before
    max_bottom_shift: float = 0.5  # of the height before: a fall towards the camera lowers the feet a little
    min_end_aspect: float = 0.8
    max_fall_seconds: float = 1.5
    min_fall_seconds: float = 0.15
    still_fraction: float = 0.2  # "still": moving pixels below this part of the fall's peak
    still_seconds: float = 0.6
    confirm_seconds: float = 3.0
    cooldown_seconds: float = 10.0


@dataclass
class _Sample:
    t: float
    box: Box
    area: int


@dataclass
class _Candidate:
    start: _Sample
    end: _Sample
    peak: int
    still_since: float | None = None

    @property
    def drop(self) -> int:
        return self.end.box[1] - self.start.box[1]


class FallDetector:
    name = "fall"

    def __init__(self, config: FallConfig | None = None) -> None:
        self.config = config or FallConfig()
        self._hist: deque[_Sample] = deque()
        self._cand: _Candidate | None = None
        self._last_event = -1e9
        self._count = 0

    def reset(self) -> None:
        self._hist.clear()
        self._cand = None

    def feed(self, frame: Frame, motion: MotionResult) -> list[Detection]:
        c = self.config
        if motion.camera_moving:
            self.reset()
            return []
        height = motion.mask.shape[0]  # the gate's half-size frame
        merged = cv2.dilate(motion.mask, _MERGE)
        comp = largest_component(merged, min_area=max(50, int(0.001 * merged.size)))
        moving = int(cv2.countNonZero(motion.mask))
        out: list[Detection] = []
        if self._cand is not None:
            out.extend(self._confirm(frame.t, moving))
        if comp is None:
            return out
        box, _ = comp
        cur = _Sample(frame.t, box, moving)
        while self._hist and self._hist[0].t < frame.t - c.max_fall_seconds:
            self._hist.popleft()
        if frame.t - self._last_event >= c.cooldown_seconds:
            found = self._descent(cur, height)
            # A deeper collapse while an earlier, smaller one waits for stillness is the real fall.
            if found is not None and (self._cand is None or found.drop > self._cand.drop):
                self._cand = found
        self._hist.append(cur)
        return out

    def _descent(self, cur: _Sample, height: int) -> _Candidate | None:
        c = self.config
        _, top, _, h = cur.box
        for s in self._hist:
            if cur.t - s.t < c.min_fall_seconds:
                continue
            _, s_top, _, s_h = s.box
            if s_h < c.min_body_of_frame * height:
                continue
            drop = top - s_top
            # The same body: the region after the drop lies under the one before, its bottom not far below.
            same = (
                cur.box[0] < s.box[0] + s.box[2]
                and s.box[0] < cur.box[0] + cur.box[2]
                and top + h <= s_top + s_h + c.max_bottom_shift * s_h
            )
            if (
                same
                and drop >= max(c.min_drop_of_height * s_h, c.min_drop_of_frame * height)
                and h <= c.max_shrink * s_h
                and cur.box[2] >= c.min_end_aspect * h  # lying or sprawled: at least about as wide as tall
            ):
                peak = max(x.area for x in self._hist if x.t >= s.t)
                return _Candidate(s, cur, max(peak, cur.area))
        return None

    def _confirm(self, t: float, moving: int) -> list[Detection]:
        c = self.config
        cand = self._cand
        assert cand is not None
        if t - cand.end.t > c.confirm_seconds:
            self._cand = None  # got up or kept moving: not a fall
            return []
        if cand.still_since is None:
            cand.peak = max(cand.peak, moving)  # the fall's motion may grow after the first drop
        if moving <= c.still_fraction * cand.peak:
            if cand.still_since is None:
                cand.still_since = t
            elif t - cand.still_since >= c.still_seconds:
                self._cand = None
                self._last_event = t
                self._count += 1
                s_top, s_h = cand.start.box[1], cand.start.box[3]
                drop = cand.end.box[1] - s_top
                fall_s = cand.end.t - cand.start.t
                # Confidence: how far past the drop threshold, and how fast.
                score = min(1.0, 0.5 + 0.5 * min(1.0, drop / max(1, s_h)) * min(1.0, 0.5 / max(fall_s, 0.1)))
                x0 = min(cand.start.box[0], cand.end.box[0])
                y0 = min(s_top, cand.end.box[1])
                x1 = max(cand.start.box[0] + cand.start.box[2], cand.end.box[0] + cand.end.box[2])
                y1 = max(s_top + s_h, cand.end.box[1] + cand.end.box[3])
                return [
                    Detection(
                        detector=self.name,
                        t=t,
                        started_t=cand.start.t,
                        score=round(score, 3),
                        box=(x0, y0, x1 - x0, y1 - y0),
                        key=f"fall:{cand.start.t:.1f}",
                        details={"drop_px": drop, "fall_seconds": round(fall_s, 2), "height_px": s_h},
                    )
                ]
        else:
            cand.still_since = None
        return []
