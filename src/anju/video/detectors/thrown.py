"""高空抛物: an object falling from a building, seen by a fixed camera facing the facade.

Background subtraction (MOG2) finds small moving blobs; nearest-neighbour tracking links them over frames; a
track is accepted only if it falls like a body under gravity: it goes down monotonically, y(t) fits
y = a·t² + b·t + c with a > 0 (accelerating) and a high R², x(t) is close to a straight line, and it drops a good
part of the picture. With the camera's calibration (`px_per_metre` at the facade) the fitted acceleration 2a must
also be a plausible g (drag slows light objects: 3–12 m/s² accepted). A moving camera (pan, hand-held, cut)
resets everything: the motion gate says so. The start row maps to a floor band through `floor_rows`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from anju.video.detectors.base import Detection, Frame
from anju.video.detectors.motion import MotionResult

_OPEN = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))


@dataclass
class ThrownConfig:
    min_area: int = 4  # px at analysis size
    max_area_of_frame: float = 0.002  # a person or a car is larger than this
    gate_px: float = 40.0  # association radius beyond the predicted position
    min_points: int = 5
    min_seconds: float = 0.3
    min_drop_of_frame: float = 0.15
    min_r2: float = 0.98
    max_x_rms_of_frame: float = 0.01
    px_per_metre: float | None = None  # calibration at the facade; None: gravity checked by shape only
    g_range: tuple[float, float] = (3.0, 12.0)
    # Image rows (fraction of height, top first) of floor boundaries: [[0.05, 18], [0.9, 1]] maps linearly.
    floor_rows: list[tuple[float, int]] = field(default_factory=list)
    cooldown_seconds: float = 5.0
    warmup_seconds: float = 2.0  # the background model needs this long after a start or a reset
    # Gravity, not walking: the object ends at least this fast (of frame height per second) and at least
    # `min_speedup` times faster than it started; a walker or a car crossing the picture keeps its speed.
    min_end_speed_of_frame: float = 0.3
    min_speedup: float = 2.0
    max_slowdown: float = 0.7
    max_side_of_fall: float = 0.5  # mean horizontal speed at most this part of the final fall speed


@dataclass
class _Track:
    pts: list[tuple[float, float, float]]  # t, x, y
    done: bool = False
    misses: int = 0

    def predict(self, t: float) -> tuple[float, float, float]:
        t1, x1, y1 = self.pts[-1]
        if len(self.pts) < 2:
            return x1, y1, 0.0
        t0, x0, y0 = self.pts[-2]
        dt = max(t1 - t0, 1e-3)
        vx, vy = (x1 - x0) / dt, (y1 - y0) / dt
        h = t - t1
        return x1 + vx * h, y1 + vy * h, float(np.hypot(vx, vy) * h)


def floor_at(row_fraction: float, floor_rows: list[tuple[float, int]]) -> int | None:
    """The floor an image row shows, interpolated between calibrated rows (top row = highest floor)."""
    if len(floor_rows) < 2:
        return None
    rows = sorted(floor_rows)
    (r0, f0), (r1, f1) = rows[0], rows[-1]
    if r1 == r0:
        return f0
    frac = min(1.0, max(0.0, (row_fraction - r0) / (r1 - r0)))
    return round(f0 + (f1 - f0) * frac)


def _drop_outliers(pts: np.ndarray, min_points: int, max_drops: int = 2) -> np.ndarray | None:
    """Crossing a walker, a track may take one wrong blob: drop up to two points far off the fitted path."""
    for _ in range(max_drops):
        if len(pts) <= min_points:
            break
        t = pts[:, 0] - pts[0, 0]
        ry = pts[:, 2] - np.polyval(np.polyfit(t, pts[:, 2], 2), t)
        rx = pts[:, 1] - np.polyval(np.polyfit(t, pts[:, 1], 1), t)
        r = np.hypot(rx, ry)
        worst = int(np.argmax(r))
        if r[worst] <= 3.0 + 3.0 * float(np.median(r)):
            break
        pts = np.delete(pts, worst, axis=0)
    return pts if len(pts) >= min_points else None


class ThrownObjectDetector:
    name = "thrown_object"

    def __init__(self, config: ThrownConfig | None = None) -> None:
        self.config = config or ThrownConfig()
        self._bg = cv2.createBackgroundSubtractorMOG2(history=100, varThreshold=25, detectShadows=False)
        self._tracks: list[_Track] = []
        self._last_event = -1e9
        self._started: float | None = None

    def reset(self) -> None:
        self._bg = cv2.createBackgroundSubtractorMOG2(history=100, varThreshold=25, detectShadows=False)
        self._tracks = []
        self._started = None

    def feed(self, frame: Frame, motion: MotionResult) -> list[Detection]:
        c = self.config
        fg = self._bg.apply(frame.gray)
        if self._started is None:
            self._started = frame.t
        if motion.camera_moving:
            self._tracks = []
            self._started = frame.t
            return []
        if frame.t - self._started < c.warmup_seconds:
            return []
        fg = cv2.morphologyEx(fg, cv2.MORPH_OPEN, _OPEN)
        n, _, stats, cents = cv2.connectedComponentsWithStats(fg)
        max_area = c.max_area_of_frame * fg.size
        blobs = [
            (float(cents[i][0]), float(cents[i][1]))
            for i in range(1, n)
            if c.min_area <= stats[i, cv2.CC_STAT_AREA] <= max_area
        ]
        if len(blobs) > 60:  # rain, snow, flicker: nothing trackable this frame
            return []
        used: set[int] = set()
        for tr in self._tracks:
            px, py, reach = tr.predict(frame.t)
            best, best_d = -1, c.gate_px + reach * 0.5
            for i, (x, y) in enumerate(blobs):
                if i in used or y < tr.pts[-1][2] - 2:  # a falling object never goes back up
                    continue
                d = float(np.hypot(x - px, y - py))
                if d < best_d:
                    best, best_d = i, d
            if best >= 0:
                used.add(best)
                tr.pts.append((frame.t, *blobs[best]))
                tr.misses = 0
            else:
                tr.misses += 1  # one frame hidden (crossing a walker) is tolerated
                tr.done = tr.misses > 1
        out: list[Detection] = []
        h, w = fg.shape
        for tr in self._tracks:
            if tr.done:
                found = self._judge(tr, w, h)
                if found is not None and found.t - self._last_event >= c.cooldown_seconds:
                    self._last_event = found.t
                    out.append(found)
        self._tracks = [tr for tr in self._tracks if not tr.done and frame.t - tr.pts[-1][0] < 1.0]
        self._tracks += [_Track([(frame.t, x, y)]) for i, (x, y) in enumerate(blobs) if i not in used]
        return out

    def _judge(self, tr: _Track, w: int, h: int) -> Detection | None:
        c = self.config
        if len(tr.pts) < c.min_points:
            return None
        pts = _drop_outliers(np.array(tr.pts, dtype=np.float64), c.min_points)
        if pts is None:
            return None
        t = pts[:, 0] - pts[0, 0]
        x, y = pts[:, 1], pts[:, 2]
        if t[-1] < c.min_seconds or y[-1] - y[0] < c.min_drop_of_frame * h:
            return None
        if np.any(np.diff(y) < -2):
            return None
        # Gravity only speeds a fall up: a step clearly slower than the one before is a walker's limb, not a drop.
        vy = np.diff(y) / np.maximum(np.diff(t), 1e-3)
        if np.any(vy[1:] < c.max_slowdown * vy[:-1] - 0.05 * h):
            return None
        a, b, c0 = np.polyfit(t, y, 2)
        resid = y - (a * t**2 + b * t + c0)
        ss = float(np.sum((y - y.mean()) ** 2)) or 1.0
        r2 = 1.0 - float(np.sum(resid**2)) / ss
        if a <= 0 or r2 < c.min_r2:
            return None
        v_start, v_end = b, b + 2 * a * t[-1]
        if v_end < c.min_end_speed_of_frame * h or v_end < c.min_speedup * max(v_start, 0.05 * h):
            return None
        if abs(x[-1] - x[0]) / t[-1] > c.max_side_of_fall * v_end:
            return None
        xs = np.polyval(np.polyfit(t, x, 1), t)
        if float(np.sqrt(np.mean((x - xs) ** 2))) > c.max_x_rms_of_frame * w:
            return None
        g_est = None
        if c.px_per_metre:
            g_est = 2 * a / c.px_per_metre
            if not c.g_range[0] <= g_est <= c.g_range[1]:
                return None
        score = min(1.0, 0.5 + 0.5 * (r2 - c.min_r2) / (1 - c.min_r2 + 1e-9))
        x0, x1 = int(x.min()) - 10, int(x.max()) + 10
        y0, y1 = int(y.min()) - 10, int(y.max()) + 10
        floor = floor_at(float(y[0]) / h, c.floor_rows)
        # Where it came from: the first tracked point is already part-way down. Released from rest it left at the
        # parabola's vertex (the top of the fitted path); thrown downward, somewhere between. So the floor band
        # runs from the first tracked row's floor up to the vertex row's floor.
        top_row = max(0.0, min(float(y[0]), float(c0 - b * b / (4 * a)))) / h
        top = floor_at(top_row, c.floor_rows)
        band = None if floor is None or top is None else [min(floor, top), max(floor, top)]
        return Detection(
            detector=self.name,
            t=float(pts[-1, 0]),
            started_t=float(pts[0, 0]),
            score=round(score, 3),
            box=(max(0, x0), max(0, y0), x1 - max(0, x0), y1 - max(0, y0)),
            key=f"thrown:{pts[0, 0]:.1f}",
            details={
                "accel_px_s2": round(2 * a, 1),
                "g_estimate": None if g_est is None else round(g_est, 2),
                "r2": round(r2, 4),
                "points": len(tr.pts),
                "start_row": round(float(y[0]) / h, 3),
                "floor": floor,
                "floor_band": band,
                "top_row": round(top_row, 3),
                "track": [[round(float(p[0]), 2), round(float(p[1])), round(float(p[2]))] for p in pts],
            },
        )
