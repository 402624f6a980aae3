"""Synthetic test clips on real footage (no licence-clean real clip of these incidents exists).

`thrown_object_clip`: real frames (e.g. vtest.avi) with a small object dropped under gravity composited on top:
position from y = y0 + v0·t + g·t²/2 at a given pixel scale, motion blur along the path travelled during the
exposure, and sensor noise on the whole frame. `parked_vehicle_clip`: real frames with a vehicle patch cut from
the same footage placed, from a given second on, inside a fire-lane zone and left there.
Both are labelled synthetic wherever they are used (tests, bench, demo).
"""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np

from anju.video.detectors.base import Image

G = 9.81


def read_frames(path: str, *, width: int = 640, limit: int | None = None, step: int = 1) -> Iterator[Image]:
    cap = cv2.VideoCapture(path)
    try:
        i = 0
        n = 0
        while limit is None or n < limit:
            ok, f = cap.read()
            if not ok:
                return
            if i % step == 0:
                h = round(f.shape[0] * width / f.shape[1])
                yield cv2.resize(f, (width, h), interpolation=cv2.INTER_AREA)
                n += 1
            i += 1
    finally:
        cap.release()


def thrown_object_clip(
    frames: list[Image],
    *,
    fps: float,
    start_s: float,
    x0: float,
    y0: float,
    px_per_metre: float,
    vx: float = 0.0,  # px/s
    radius: int = 4,
    exposure_s: float = 1 / 50,
    noise: float = 3.0,
    color: tuple[int, int, int] = (30, 30, 30),
    seed: int = 7,
) -> tuple[list[Image], list[tuple[float, float, float]]]:
    """Composite a falling object; returns the frames and its true path (t, x, y) while in the picture."""
    rng = np.random.default_rng(seed)
    out: list[Image] = []
    path: list[tuple[float, float, float]] = []
    for i, f in enumerate(frames):
        img = f.copy()
        t = i / fps - start_s
        h = img.shape[0]
        if t >= 0:

            def pos(tt: float) -> tuple[float, float]:
                return x0 + vx * tt, y0 + 0.5 * G * px_per_metre * tt * tt

            (xa, ya), (xb, yb) = pos(max(0.0, t - exposure_s)), pos(t)
            if yb < h - radius:
                # Motion blur: the object smeared over the distance it moved while the shutter was open.
                overlay = img.copy()
                cv2.line(overlay, (round(xa), round(ya)), (round(xb), round(yb)), color, 2 * radius, cv2.LINE_AA)
                cv2.circle(overlay, (round(xb), round(yb)), radius, color, -1, cv2.LINE_AA)
                img = cv2.addWeighted(overlay, 0.85, img, 0.15, 0)
                path.append((i / fps, xb, yb))
        if noise:
            n = rng.normal(0, noise, img.shape)
            img = np.clip(img.astype(np.float32) + n, 0, 255).astype(np.uint8)
        out.append(img)
    return out, path


def parked_vehicle_clip(
    frames: list[Image],
    *,
    fps: float,
    arrive_s: float,
    patch: Image,
    at: tuple[int, int],
    drive_in_s: float = 2.0,
) -> list[Image]:
    """A vehicle patch slides in from the left over `drive_in_s` and stops with its top-left corner at `at`."""
    out: list[Image] = []
    ph, pw = patch.shape[:2]
    for i, f in enumerate(frames):
        img = f.copy()
        t = i / fps - arrive_s
        if t >= 0:
            k = min(1.0, t / drive_in_s)
            x = round(-pw + (at[0] + pw) * k)
            y = at[1]
            x_lo, x_hi = max(0, x), min(img.shape[1], x + pw)
            if x_hi > x_lo:
                img[y : y + ph, x_lo:x_hi] = patch[:, x_lo - x : x_hi - x]
        out.append(img)
    return out


def left_object_clip(
    frames: list[Image],
    *,
    fps: float,
    drop_s: float,
    at: tuple[int, int],
    size: tuple[int, int] = (24, 18),
    seed: int = 0,
    taken_s: float | None = None,
) -> list[Image]:
    """A bag left on the ground: a dark textured box (with a soft shadow and sensor noise) that appears at `at`
    from `drop_s` on and stays (until `taken_s`). SYNTHETIC: the person who put it there is not modelled."""
    rng = np.random.default_rng(seed)
    w, h = size
    bag = np.clip(rng.normal(55, 12, (h, w, 3)), 0, 255).astype(np.uint8)
    cv2.rectangle(bag, (0, 0), (w - 1, h - 1), (30, 30, 35), 2)
    cv2.line(bag, (w // 3, 2), (2 * w // 3, 2), (90, 90, 95), 2)  # a handle
    out: list[Image] = []
    x, y = at
    for i, f in enumerate(frames):
        img = f.copy()
        if i / fps >= drop_s and (taken_s is None or i / fps < taken_s):
            shadow = img[y + h - 3 : y + h + 2, x - 2 : x + w + 4].astype(np.float32) * 0.7
            img[y + h - 3 : y + h + 2, x - 2 : x + w + 4] = shadow.astype(np.uint8)
            noisy = np.clip(bag.astype(np.float32) + rng.normal(0, 3, bag.shape), 0, 255).astype(np.uint8)
            img[y : y + h, x : x + w] = noisy
        out.append(img)
    return out
