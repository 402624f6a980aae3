"""People: OpenCV's HOG pedestrian detector (its SVM ships inside opencv-python-headless; OpenCV 5 drops it,
hence the <5 pin), run only where and when the motion gate sees movement, plus a small IoU/centroid tracker.

Intrusion: a tracked person's foot point inside a zone while the camera's schedule is active, one event per track.
Loitering: a tracked person staying inside a zone longer than `loiter_seconds`, one event per track.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np

from anju.video.detectors.base import Box, Detection, Frame, Zone
from anju.video.detectors.motion import MotionResult


@dataclass
class PeopleConfig:
    upscale: float = 1.6  # HOG's window is 64x128: people ~80 px tall at 640x480 need enlarging
    roi_margin: int = 24  # px around the moving regions HOG looks at
    hit_threshold: float = 0.0
    min_height_of_frame: float = 0.08
    nms_iou: float = 0.4
    match_px_of_frame: float = 0.08  # centroid distance for a track match, of the frame width
    lost_seconds: float = 2.0
    min_hits: int = 2  # detections before a track counts (drops single false boxes)
    loiter_seconds: float = 60.0


@dataclass
class Track:
    id: int
    box: Box
    first_t: float
    last_t: float
    hits: int = 1
    zone_since: dict[str, float] = field(default_factory=dict)
    reported: set[str] = field(default_factory=set)

    @property
    def foot(self) -> tuple[float, float]:
        x, y, w, h = self.box
        return x + w / 2, float(y + h)


def _nms(boxes: list[Box], scores: list[float], iou: float) -> list[Box]:
    if not boxes:
        return []
    keep = cv2.dnn.NMSBoxes([list(b) for b in boxes], scores, 0.0, iou)
    return [boxes[int(i)] for i in np.array(keep).flatten()]


class PersonTracker:
    """HOG detections → tracks. Shared by the intrusion and loitering detectors of one camera."""

    def __init__(self, config: PeopleConfig | None = None) -> None:
        self.config = config or PeopleConfig()
        self._hog = cv2.HOGDescriptor()
        self._hog.setSVMDetector(cv2.HOGDescriptor.getDefaultPeopleDetector())  # type: ignore[call-overload]
        self.tracks: list[Track] = []
        self._next = 1

    def regions(self, frame: Frame, motion: MotionResult | None) -> list[Box]:
        """Where to look: the moving regions (from the gate's half-size mask), enlarged; the whole frame without."""
        w, h = frame.size
        if motion is None:
            return [(0, 0, w, h)]
        sx = w / motion.mask.shape[1]
        sy = h / motion.mask.shape[0]
        grown = cv2.dilate(motion.mask, cv2.getStructuringElement(cv2.MORPH_RECT, (15, 15)))
        n, _, stats, _ = cv2.connectedComponentsWithStats(grown)
        m = self.config.roi_margin
        rois: list[Box] = []
        for i in range(1, n):
            x, y, bw, bh, area = (int(v) for v in stats[i])
            if area < 30:
                continue
            x0, y0 = max(0, int(x * sx) - m), max(0, int(y * sy) - 2 * m)
            x1, y1 = min(w, int((x + bw) * sx) + m), min(h, int((y + bh) * sy) + 2 * m)
            rois.append((x0, y0, x1 - x0, y1 - y0))
        return rois

    def detect(self, frame: Frame, motion: MotionResult | None = None) -> list[Box]:
        c = self.config
        _, h = frame.size
        boxes: list[Box] = []
        scores: list[float] = []
        up = c.upscale
        for rx, ry, rw, rh in self.regions(frame, motion):
            if rw * up < 64 or rh * up < 128:
                continue
            crop = frame.bgr[ry : ry + rh, rx : rx + rw]
            img = cv2.resize(crop, (round(rw * up), round(rh * up))) if up != 1.0 else crop
            rects, weights = self._hog.detectMultiScale(img, hitThreshold=c.hit_threshold, winStride=(8, 8), scale=1.05)
            for (x, y, bw, bh), s in zip(rects, np.ravel(weights), strict=False):
                if bh / up < c.min_height_of_frame * h:
                    continue
                boxes.append((rx + int(x / up), ry + int(y / up), int(bw / up), int(bh / up)))
                scores.append(float(s))
        return _nms(boxes, scores, c.nms_iou)

    def update(self, frame: Frame, motion: MotionResult) -> list[Track]:
        """Detect (only if something moves) and match; returns the confirmed tracks seen now."""
        c = self.config
        boxes = self.detect(frame, motion) if motion.moving and not motion.camera_moving else []
        w, _ = frame.size
        gate = c.match_px_of_frame * w
        free = list(self.tracks)
        seen: list[Track] = []
        for b in boxes:
            cx, cy = b[0] + b[2] / 2, b[1] + b[3] / 2
            best: Track | None = None
            best_d = gate + 0.5 * b[3]
            for tr in free:
                tx, ty = tr.box[0] + tr.box[2] / 2, tr.box[1] + tr.box[3] / 2
                d = float(np.hypot(cx - tx, cy - ty))
                if d < best_d:
                    best, best_d = tr, d
            if best is None:
                best = Track(self._next, b, frame.t, frame.t)
                self._next += 1
                self.tracks.append(best)
            else:
                free.remove(best)
                best.box, best.last_t = b, frame.t
                best.hits += 1
            seen.append(best)
        if not motion.moving and not motion.camera_moving:
            # Nothing moves: people standing still stay where they were (HOG is skipped, not blind).
            for tr in free:
                tr.last_t = frame.t
            seen.extend(tr for tr in free if tr.hits >= c.min_hits)
        self.tracks = [tr for tr in self.tracks if frame.t - tr.last_t <= c.lost_seconds]
        return [tr for tr in seen if tr.hits >= c.min_hits]


class IntrusionDetector:
    name = "intrusion"

    def __init__(self, zones: list[Zone], active: Callable[[float], bool] | None = None) -> None:
        self.zones = zones
        self.active = active or (lambda t: True)

    def feed(self, frame: Frame, tracks: list[Track]) -> list[Detection]:
        if not self.active(frame.t):
            return []
        out: list[Detection] = []
        for tr in tracks:
            for z in self.zones:
                tag = f"intrusion:{z.name}"
                if tag in tr.reported or not z.contains(tr.foot, frame.size):
                    continue
                tr.reported.add(tag)
                out.append(
                    Detection(
                        detector=self.name,
                        t=frame.t,
                        started_t=tr.first_t,
                        score=min(1.0, 0.5 + 0.1 * tr.hits),
                        box=tr.box,
                        zone=z.name,
                        key=f"intrusion:{z.name}:{tr.first_t:.1f}:{tr.id}",
                        details={"track_id": tr.id},
                    )
                )
        return out


class LoiteringDetector:
    name = "loitering"

    def __init__(self, zones: list[Zone], dwell_seconds: float) -> None:
        self.zones = zones
        self.dwell = dwell_seconds

    def feed(self, frame: Frame, tracks: list[Track]) -> list[Detection]:
        out: list[Detection] = []
        for tr in tracks:
            for z in self.zones:
                tag = f"loitering:{z.name}"
                if not z.contains(tr.foot, frame.size):
                    tr.zone_since.pop(z.name, None)
                    continue
                since = tr.zone_since.setdefault(z.name, frame.t)
                if tag in tr.reported or frame.t - since < self.dwell:
                    continue
                tr.reported.add(tag)
                out.append(
                    Detection(
                        detector=self.name,
                        t=frame.t,
                        started_t=since,
                        score=min(1.0, 0.5 + 0.1 * tr.hits),
                        box=tr.box,
                        zone=z.name,
                        key=f"loitering:{z.name}:{since:.1f}:{tr.id}",
                        details={"track_id": tr.id, "dwell_seconds": round(frame.t - since, 1)},
                    )
                )
        return out
