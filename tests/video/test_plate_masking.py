"""R-A3: exported footage masks Chinese plates by default. The shared photos of real Chinese plates
(../shared/data/plates, HyperLPR's examples) go through the export masking; the platform's own plate reader
(vision/plates.py) must read the labelled plates before masking and none of them after."""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.conftest import service_unavailable
from tests.video.footage import DATA

pytestmark = pytest.mark.db_agnostic

PLATES = DATA.parent / "plates"


def _labelled() -> list[tuple[Path, set[str]]]:
    if not (PLATES / "labels.csv").exists():
        service_unavailable(f"shared plate photos missing: {PLATES}")
    with open(PLATES / "labels.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [(PLATES / r["file"], set(r["plates"].split(";"))) for r in rows if r["file"].startswith("ds_")]


def _reader():
    from anju.core.errors import AppError
    from anju.vision.plates import pipeline

    try:
        return pipeline()
    except AppError as exc:
        service_unavailable(f"plate model package: {exc}")


def test_r_a3_exports_mask_chinese_plates():
    from anju.video.evidence import masked_jpeg

    reader = _reader()
    read_before = read_after = 0
    for path, labels in _labelled():
        data = path.read_bytes()
        before = {p.text for p in reader.read(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR))}
        masked = masked_jpeg(data)
        after = {p.text for p in reader.read(cv2.imdecode(np.frombuffer(masked, np.uint8), cv2.IMREAD_COLOR))}
        read_before += len(labels & before)
        read_after += len(labels & after)
        assert not labels & after, f"{path.name}: {labels & after} still readable after masking"
    assert read_before >= 8  # the photos are readable to begin with: the masking is what hides them
    assert read_after == 0


def test_r_a3_plate_masking_covers_the_detected_box():
    from anju.video.evidence import chinese_plate_boxes, mask_frame

    _reader()
    path = PLATES / "ds_1.jpg"
    img = cv2.imread(str(path))
    boxes = chinese_plate_boxes(img)
    assert boxes, "the detector finds the plate"
    x, y, w, h = boxes[0]
    out = mask_frame(img)
    before, after = img[y : y + h, x : x + w], out[y : y + h, x : x + w]
    assert float(np.mean(cv2.absdiff(before, after))) > 3.0
    # a mosaic: far fewer distinct colours than the plate's own pixels
    assert len(np.unique(after.reshape(-1, 3), axis=0)) < len(np.unique(before.reshape(-1, 3), axis=0)) / 4
