"""Evidence files: one storage interface (local folder now; an S3-compatible store fits the same three calls),
JPEG snapshots with the detection box, MJPEG clips, sha256 on write and on every read, masking for export (R-A3).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from anju.video.config import video_settings
from anju.video.detectors.base import Box, Image


class EvidenceStore(Protocol):
    def put(self, key: str, data: bytes) -> None: ...
    def get(self, key: str) -> bytes: ...
    def delete(self, key: str) -> None: ...


class LocalEvidenceStore:
    """Files under one root folder; keys are relative paths made only of safe segments."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        p = (self.root / key).resolve()
        if self.root not in p.parents:
            raise ValueError(f"evidence key outside the store: {key!r}")
        return p

    def put(self, key: str, data: bytes) -> None:
        p = self._path(key)
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_suffix(p.suffix + ".part")
        tmp.write_bytes(data)
        os.replace(tmp, p)  # a reader never sees half a file

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


def evidence_store() -> EvidenceStore:
    return LocalEvidenceStore(video_settings().evidence_dir)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def snapshot_jpeg(frame: Image, box: Box | None, label: str | None = None) -> bytes:
    img = frame.copy()
    if box is not None:
        x, y, w, h = box
        cv2.rectangle(img, (x, y), (x + w, y + h), (0, 0, 255), 2)
        if label:
            cv2.putText(img, label, (x, max(12, y - 4)), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 255), 1)
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 85])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return buf.tobytes()


def clip_avi(frames: list[Image], fps: float) -> bytes:
    """An MJPEG AVI of the frames (plays in VLC and every NVR tool; the console shows its frames one by one)."""
    if not frames:
        raise ValueError("no frames for a clip")
    h, w = frames[0].shape[:2]
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "clip.avi")
        out = cv2.VideoWriter(path, cv2.VideoWriter.fourcc(*"MJPG"), max(1.0, fps), (w, h))
        try:
            for f in frames:
                out.write(f if f.shape[:2] == (h, w) else cv2.resize(f, (w, h)))
        finally:
            out.release()
        return Path(path).read_bytes()


def clip_frames(data: bytes) -> list[Image]:
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "clip.avi")
        Path(path).write_bytes(data)
        cap = cv2.VideoCapture(path)
        frames: list[Image] = []
        try:
            while True:
                ok, f = cap.read()
                if not ok:
                    break
                frames.append(f)
        finally:
            cap.release()
        return frames


_FACES: cv2.CascadeClassifier | None = None
_PLATES: cv2.CascadeClassifier | None = None


def _cascades() -> tuple[cv2.CascadeClassifier, cv2.CascadeClassifier]:
    """Haar cascades that ship inside opencv-python-headless (no download): frontal faces and number plates."""
    global _FACES, _PLATES
    if _FACES is None or _PLATES is None:
        root = cv2.data.haarcascades  # type: ignore[attr-defined]
        _FACES = cv2.CascadeClassifier(os.path.join(root, "haarcascade_frontalface_default.xml"))
        _PLATES = cv2.CascadeClassifier(os.path.join(root, "haarcascade_russian_plate_number.xml"))
    return _FACES, _PLATES


def chinese_plate_boxes(frame: Image) -> list[Box] | None:
    """Chinese plates through the platform's plate detector (vision/plates.py, the HyperLPR SSD verified by
    sha256); None when its model package is not installed (the Haar plate cascade then stands in)."""
    from anju.core.errors import AppError
    from anju.vision.plates import pipeline

    try:
        boxes = pipeline().locate(np.asarray(frame, dtype=np.uint8))
    except AppError:
        return None
    return [(x0, y0, x1 - x0, y1 - y0) for x0, y0, x1, y1 in boxes]


def sensitive_boxes(frame: Image) -> list[Box]:
    faces, plates = _cascades()
    gray = cv2.equalizeHist(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))
    found: list[Box] = []
    cn = chinese_plate_boxes(frame)
    cascades = ((faces, (16, 16)),) if cn is not None else ((faces, (16, 16)), (plates, (24, 8)))
    for cascade, min_size in cascades:
        for x, y, w, h in cascade.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=4, minSize=min_size):
            found.append((int(x), int(y), int(w), int(h)))
    return found + (cn or [])


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def mask_frame(frame: Image, extra: list[Box] | None = None, keep: list[Box] | None = None) -> Image:
    """Pixelate faces and plates found in the frame, plus any boxes given (e.g. a face found on a nearby frame).

    `keep` boxes stay readable (a lane capture keeps the plate its decision is about; other plates are masked)."""
    img = frame.copy()
    found = [b for b in sensitive_boxes(frame) if not any(_overlaps(b, k) for k in keep or [])]
    for x, y, w, h in found + list(extra or []):
        x0, y0 = max(0, x - w // 4), max(0, y - h // 4)
        x1, y1 = min(img.shape[1], x + w + w // 4), min(img.shape[0], y + h + h // 4)
        roi = img[y0:y1, x0:x1]
        if roi.size == 0:
            continue
        # A mosaic of about 6 cells across: no face detector (or person) recognises anyone in it.
        cells = max(1, (x1 - x0) // 6)
        small = cv2.resize(roi, (max(1, (x1 - x0) // cells), max(1, (y1 - y0) // cells)), interpolation=cv2.INTER_AREA)
        img[y0:y1, x0:x1] = cv2.resize(small, (x1 - x0, y1 - y0), interpolation=cv2.INTER_NEAREST)
    return img


def masked_jpeg(data: bytes, extra: list[Box] | None = None, keep: list[Box] | None = None) -> bytes:
    arr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if arr is None:
        raise ValueError("not a JPEG")
    _, buf = cv2.imencode(".jpg", mask_frame(arr, extra, keep), [cv2.IMWRITE_JPEG_QUALITY, 85])
    return buf.tobytes()


def masked_clip(data: bytes, fps: float = 5.0) -> bytes:
    return clip_avi([mask_frame(f) for f in clip_frames(data)], fps)
