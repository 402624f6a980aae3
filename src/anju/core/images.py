"""One guard for every uploaded image: read the header, refuse huge pixel counts before anything is decoded.

A 17 KB PNG or JPEG can declare 12,000 × 12,000 pixels; decoding it costs ~0.4–0.8 GB.
Pillow's `Image.open` is lazy: it parses the header (PNG IHDR, JPEG SOF, WebP VP8 header)
and reports the size without touching pixel data, so the check costs microseconds.
"""

from __future__ import annotations

import io

from PIL import Image, UnidentifiedImageError

from anju.core.errors import Invalid

# 50 Mpx covers every phone camera's default output (12–50 Mpx) and gate cameras (≤ 8 Mpx).
MAX_PIXELS = 50_000_000


class ImageRejected(Invalid):
    """An upload that is not an image, or declares more pixels than allowed; `reason` is machine-readable."""

    code = "image_rejected"
    message_zh = "图片无法使用"
    message_en = "Image rejected"

    def __init__(self, reason: str, en: str, zh: str) -> None:
        super().__init__(en, zh=zh, fields=[{"field": "image", "message": en, "type": reason}])
        self.reason = reason


def header_info(data: bytes) -> tuple[str, int, int]:
    """(format, width, height) from the header alone; pixel data is never decoded here."""
    if not data:
        raise ImageRejected("not_an_image", "empty file", "文件为空")
    try:
        with Image.open(io.BytesIO(data)) as im:
            return str(im.format or ""), int(im.width), int(im.height)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as e:
        raise ImageRejected("not_an_image", "the upload is not a readable image", "上传的文件不是有效图片") from e


def check_pixels(data: bytes, *, max_pixels: int = MAX_PIXELS) -> tuple[str, int, int]:
    """(format, width, height) of an image whose declared size is within max_pixels; else ImageRejected."""
    fmt, w, h = header_info(data)
    if w <= 0 or h <= 0 or w * h > max_pixels:
        raise ImageRejected(
            "too_many_pixels",
            f"image is {w}×{h} pixels; at most {max_pixels // 1_000_000} million pixels are accepted",
            f"图片尺寸过大（{w}×{h}），最多 {max_pixels // 10_000} 万像素",
        )
    return fmt, w, h
