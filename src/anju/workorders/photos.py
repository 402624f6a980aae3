"""Photos: the size is capped while reading, the type is decided by decoding the bytes (never by name)."""

from __future__ import annotations

import hashlib
import io
from typing import BinaryIO

from PIL import Image, UnidentifiedImageError
from sqlalchemy.orm import Session

from anju.core.auth import Principal
from anju.core.db import utcnow
from anju.core.images import MAX_PIXELS as IMAGE_MAX_PIXELS
from anju.core.images import ImageRejected, check_pixels
from anju.workorders.config import wo_settings
from anju.workorders.enums import OrderAction
from anju.workorders.exceptions import BadPhoto, PhotoTooLarge
from anju.workorders.models import WorkOrder, WorkOrderEvent, WorkOrderPhoto
from anju.workorders.repository import WorkOrderRepository

FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
MAX_PIXELS = IMAGE_MAX_PIXELS  # decompression bombs: a small file that expands to gigabytes


def read_capped(stream: BinaryIO, limit: int) -> bytes:
    """Read at most limit bytes; one byte more means the upload is refused (413) without reading the rest."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise PhotoTooLarge(
            f"photo larger than {limit // (1024 * 1024)} MB", zh=f"照片不能超过 {limit // (1024 * 1024)} MB"
        )
    return data


def sniff(data: bytes) -> tuple[str, int, int]:
    """(content type, width, height) of a real image; anything else is a 415."""
    if not data:
        raise BadPhoto("empty file", zh="文件为空")
    try:
        check_pixels(data, max_pixels=MAX_PIXELS)  # the shared header-only guard (issue 20 item 5)
    except ImageRejected as exc:
        if exc.reason == "too_many_pixels":
            raise BadPhoto("image dimensions too large", zh="图片尺寸过大") from exc
        raise BadPhoto("not a readable image", zh="文件不是有效的图片") from exc
    try:
        with Image.open(io.BytesIO(data)) as img:
            fmt, (w, h) = img.format, img.size
            img.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise BadPhoto(f"not a readable image ({type(exc).__name__})", zh="文件不是有效的图片") from exc
    if fmt not in FORMATS:
        raise BadPhoto(f"image format {fmt} not accepted", zh=f"不支持的图片格式：{fmt}")
    return FORMATS[fmt], w, h


_STAGE = {
    "before": "处理前照片 / photo before",
    "after": "完工照片 / photo after",
    "signature": "客户签字 / customer's signature",
}


def attach(
    session: Session, *, by: Principal | None, order: WorkOrder, data: bytes, stage: str | None = None
) -> WorkOrderPhoto:
    """Store one checked photo with the order and note it in the timeline."""
    s = wo_settings()
    if len(data) > s.photo_max_bytes:
        raise PhotoTooLarge(
            f"photo larger than {s.photo_max_bytes // (1024 * 1024)} MB",
            zh=f"照片不能超过 {s.photo_max_bytes // (1024 * 1024)} MB",
        )
    if WorkOrderRepository(session).photo_count(order.id) >= s.photos_per_order:
        raise BadPhoto(f"at most {s.photos_per_order} photos per order", zh=f"每个工单最多 {s.photos_per_order} 张照片")
    content_type, w, h = sniff(data)
    photo = WorkOrderPhoto(
        order_id=order.id,
        compound_id=order.compound_id,
        content_type=content_type,
        size=len(data),
        width=w,
        height=h,
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
        uploaded_by=by.user_id if by else None,
        uploaded_at=utcnow(),
        stage=stage,
    )
    session.add(photo)
    session.add(
        WorkOrderEvent(
            order_id=order.id,
            compound_id=order.compound_id,
            action=OrderAction.photo.value,
            from_status=str(order.status),
            to_status=str(order.status),
            actor_user_id=by.user_id if by else None,
            note=f"{_STAGE.get(stage or '', '照片 / photo')} {w}×{h}",
            at=utcnow(),
        )
    )
    session.flush()
    return photo
