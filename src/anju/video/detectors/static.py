"""What came and stayed: two background models on the half-size grey frame.

A fast MOG2 model absorbs anything still within seconds; a slow reference (a running average, learnt quickly at
the start and then slowly, never under something that stopped) remembers the empty scene. A pixel foreground to
the slow model but background to the fast one is something that arrived and stopped: a parked car, a bag left
behind. Walkers are foreground to both and never count. Used by the fire-lane and left-object detectors.
"""

from __future__ import annotations

import cv2
import numpy as np

from anju.video.detectors.base import Image

_K = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7))
_OPEN = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))


class StaticForeground:
    def __init__(self, *, fast_history: int = 15, slow_history: int = 3000, diff_threshold: int = 25) -> None:
        self.fast_history = fast_history
        self.slow_history = slow_history
        self.diff_threshold = diff_threshold
        self._fast = cv2.createBackgroundSubtractorMOG2(fast_history, 25, False)
        self.ref: np.ndarray | None = None
        self.frames = 0
        self.moving: Image | None = None  # the fast model's foreground of the last frame

    def feed(self, g: Image, *, camera_moving: bool) -> Image | None:
        """The static mask of this frame, or None while (re)learning the scene."""
        fast = self._fast.apply(g)
        self.moving = fast
        if self.ref is None or self.ref.shape != g.shape or camera_moving:
            self.ref = g.astype(np.float32)
            self.frames = 0
            return None
        self.frames += 1
        slow = ((cv2.absdiff(g.astype(np.float32), self.ref) > self.diff_threshold) * 255).astype(np.uint8)
        static = cv2.bitwise_and(slow, cv2.bitwise_not(fast))
        static = cv2.morphologyEx(cv2.morphologyEx(static, cv2.MORPH_CLOSE, _K), cv2.MORPH_OPEN, _OPEN)
        rate = max(1.0 / self.slow_history, 1.0 / (1 + self.frames)) if self.frames < self.fast_history else 0.0
        rate = rate or 1.0 / self.slow_history
        cv2.accumulateWeighted(g.astype(np.float32), self.ref, rate, mask=cv2.bitwise_not(cv2.bitwise_or(static, fast)))
        return static
