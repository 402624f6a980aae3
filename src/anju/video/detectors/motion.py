"""Motion gate (on the half-size grey frame): frame differencing tells the worker where something moves, and when the camera itself moves.

A fixed camera sees motion in a small part of the picture; a hand-held, panned or cut stream moves almost all of
it. When the moving fraction passes `camera_motion_fraction` the gate reports camera motion and the detectors
that rely on a still background (thrown objects, falls, parking) reset instead of reporting.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from anju.video.detectors.base import Frame, Image

_KERNEL = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))


@dataclass
class MotionConfig:
    diff_threshold: int = 20  # grey levels
    min_fraction: float = 0.002  # below: nothing moves, detectors are skipped
    camera_motion_fraction: float = 0.35
    # A pan or a hand-held camera moves texture everywhere: most cells of a 3x3 grid move at once.
    camera_motion_cells: int = 7
    cell_fraction: float = 0.03
    settle_seconds: float = 2.0  # after camera motion or a scene cut, the background needs this long again


@dataclass
class MotionResult:
    mask: Image
    fraction: float
    moving: bool
    camera_moving: bool


class MotionGate:
    def __init__(self, config: MotionConfig | None = None) -> None:
        self.config = config or MotionConfig()
        self._prev: Image | None = None
        self._unsettled_until = -1e9

    def reset(self) -> None:
        self._prev = None
        self._unsettled_until = -1e9

    def _moving_cells(self, raw: Image) -> int:
        h, w = raw.shape
        cells = 0
        for i in range(3):
            for j in range(3):
                cell = raw[i * h // 3 : (i + 1) * h // 3, j * w // 3 : (j + 1) * w // 3]
                if np.count_nonzero(cell) >= self.config.cell_fraction * cell.size:
                    cells += 1
        return cells

    def feed(self, frame: Frame) -> MotionResult:
        g = frame.small
        if self._prev is None or self._prev.shape != g.shape:  # first frame, or the stream changed resolution
            self._prev = g
            return MotionResult(np.zeros_like(g), 0.0, False, frame.t < self._unsettled_until)
        raw = (cv2.absdiff(g, self._prev) > self.config.diff_threshold).astype(np.uint8) * 255
        self._prev = g
        fraction = float(np.count_nonzero(raw)) / raw.size
        c = self.config
        if fraction >= c.camera_motion_fraction or self._moving_cells(raw) >= c.camera_motion_cells:
            self._unsettled_until = frame.t + c.settle_seconds
        mask = cv2.morphologyEx(raw, cv2.MORPH_CLOSE, _KERNEL, iterations=2)
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, _KERNEL)
        return MotionResult(
            mask=mask,
            fraction=fraction,
            moving=fraction >= self.config.min_fraction,
            camera_moving=frame.t < self._unsettled_until,
        )
