"""Face detection and 128-d embeddings with dlib (ResNet model, 5-point landmarks).

Models ship in the `face-recognition-models` wheel and are loaded once per
process. The 68-point landmark model in that wheel is licensed for
non-commercial use only and is never loaded.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from anju.core.errors import Invalid

MODEL_NAME = "dlib_resnet_v1"  # recorded on each template; a change needs a new PIA (R-F7)
# Larger photos are shrunk before detection: the embedding is made from a 150-px
# chip anyway, and detection cost grows with pixels. dlib-bin has no BLAS, so one
# embedding costs ~250 ms on this 2-core machine; the rest of the budget is small.
MAX_SIDE = 800
SMALL_SIDE = 640  # below this, detect on an upsampled image to find small faces

_lock = threading.Lock()
_models: tuple[Any, Any, Any] | None = None


class FaceImageRejected(Invalid):
    """An image unusable for a face operation; `reason` is the machine-readable code."""

    def __init__(self, reason: str, en: str, zh: str) -> None:
        super().__init__(en, zh=zh, fields=[{"field": "image", "message": en, "type": reason}])
        self.reason = reason

    def body(self) -> dict[str, Any]:
        out = super().body()
        out["error"]["reason"] = self.reason
        return out


def not_an_image() -> FaceImageRejected:
    return FaceImageRejected("not_an_image", "the upload is not a readable image", "上传的文件不是有效图片")


def no_face() -> FaceImageRejected:
    return FaceImageRejected("no_face", "no face found in the image", "图片中未检测到人脸")


def multiple_faces(n: int) -> FaceImageRejected:
    return FaceImageRejected(
        "multiple_faces", f"{n} faces found; exactly one is required", f"检测到 {n} 张人脸，请仅保留本人"
    )


def models() -> tuple[Any, Any, Any]:
    """(detector, 5-point shape predictor, ResNet encoder), loaded once per process."""
    global _models
    if _models is None:
        with _lock:
            if _models is None:
                import dlib
                import face_recognition_models as frm

                _models = (
                    dlib.get_frontal_face_detector(),
                    dlib.shape_predictor(frm.pose_predictor_five_point_model_location()),
                    dlib.face_recognition_model_v1(frm.face_recognition_model_location()),
                )
    return _models


@dataclass(frozen=True)
class FoundFace:
    embedding: NDArray[np.float32]
    box: tuple[int, int, int, int]  # left, top, right, bottom in the original image


def load_image(data: bytes) -> NDArray[np.uint8]:
    """Decode bytes into an RGB array (EXIF rotation applied) or raise not_an_image."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as im:
            if im.format == "JPEG":
                im.draft("RGB", (MAX_SIDE, MAX_SIDE))  # decode big JPEGs at a reduced DCT scale
            im.load()
            img = ImageOps.exif_transpose(im).convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as e:
        raise not_an_image() from e
    scale = MAX_SIDE / max(img.size)
    if scale < 1:
        img = img.resize(
            (max(1, round(img.width * scale)), max(1, round(img.height * scale))), Image.Resampling.BILINEAR
        )
    return np.asarray(img)


def find_faces(data: bytes) -> list[FoundFace]:
    """Every face in an image with its embedding (may be empty)."""
    detector, shaper, encoder = models()
    arr = load_image(data)
    upsample = 1 if max(arr.shape[:2]) <= SMALL_SIDE else 0
    out: list[FoundFace] = []
    for rect in detector(arr, upsample):
        shape = shaper(arr, rect)
        vec = np.asarray(encoder.compute_face_descriptor(arr, shape), dtype=np.float32)
        out.append(FoundFace(vec, (rect.left(), rect.top(), rect.right(), rect.bottom())))
    return out


def single_embedding(data: bytes) -> NDArray[np.float32]:
    """The embedding of the only face in the image; no face / several faces are typed errors."""
    faces = find_faces(data)
    if not faces:
        raise no_face()
    if len(faces) > 1:
        raise multiple_faces(len(faces))
    return faces[0].embedding
