"""Measuring detectors on labelled footage: the ground truth of the shared clips and a clip runner.

Used by the tests (floors, no timings) and by bench/bench_video.py (figures and CPU per frame). The runner drives
the same `Pipeline` the worker runs, on frames sampled from a file at the worker's rate.
"""

from __future__ import annotations

import csv
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import cv2

from anju.video.detectors.base import Detection, Frame, Image
from anju.video.pipeline import Pipeline

_WINDOW = re.compile(r"Falling\s*\([A-Z]+\)?\s*\[\s*([\d.]+)\s*to\s*([\d.]+)\s*\]")
EPOCH = datetime(2026, 12, 6, 14, 0, tzinfo=UTC)  # clips carry no time of day: 22:00 China time


def fall_windows(folder: Path) -> dict[str, list[tuple[float, float]]]:
    """{"s1_Fall_13": [(0.4, 4.0)], "s2_ADL_23": []} for every clip in the folder, from the GMDCSA24 CSV files."""
    out: dict[str, list[tuple[float, float]]] = {}
    for sheet in sorted(folder.glob("*.csv")):
        stem = sheet.stem  # s1_Fall, s2_ADL
        with sheet.open(newline="", encoding="utf-8") as f:
            for row in csv.reader(f):
                if not row or not row[0].strip().endswith(".mp4"):
                    continue
                number = int(row[0].strip().split(".")[0])
                clip = f"{stem}_{number}"
                if (folder / f"{clip}.mp4").exists():
                    text = ",".join(row[5:])
                    out[clip] = [(float(a), float(b)) for a, b in _WINDOW.findall(text)]
    return out


def sample(
    path: str | Path, *, fps: float = 5.0, width: int = 640, limit_s: float | None = None
) -> list[tuple[float, Image]]:
    """(stream seconds, frame at analysis width) sampled at `fps` from a file."""
    cap = cv2.VideoCapture(str(path))
    out: list[tuple[float, Image]] = []
    next_t = 0.0
    try:
        while True:
            ok, raw = cap.read()
            if not ok:
                break
            t = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
            if limit_s is not None and t > limit_s:
                break
            if t + 1e-6 < next_t:
                continue
            next_t = t + 0.999 / fps
            h, w = raw.shape[:2]
            out.append((t, cv2.resize(raw, (width, round(h * width / w)), interpolation=cv2.INTER_AREA)))
    finally:
        cap.release()
    return out


@dataclass
class Run:
    detections: list[Detection]
    frames: int
    cpu_seconds: float

    @property
    def ms_per_frame(self) -> float:
        return 1000.0 * self.cpu_seconds / max(1, self.frames)


def run_frames(frames: list[tuple[float, Image]], analytics: list[dict[str, Any]]) -> Run:
    pipe = Pipeline(analytics)
    found: list[Detection] = []
    t0 = time.process_time()
    for t, img in frames:
        found.extend(pipe.feed(Frame(t, img), EPOCH + timedelta(seconds=t)))
    return Run(found, len(frames), time.process_time() - t0)


def hit(d: Detection, windows: list[tuple[float, float]], slack: float = 0.5) -> bool:
    """A fall decision counts if the incident it reports overlaps a labelled falling window."""
    return any(d.started_t <= b and d.t >= a - slack for a, b in windows)
