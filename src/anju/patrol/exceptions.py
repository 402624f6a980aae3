"""Patrol errors, each with its HTTP status and message in both languages."""

from __future__ import annotations

from anju.core.errors import Conflict, NotFound


class CheckpointNotFound(NotFound):
    code = "patrol_checkpoint_not_found"
    message_zh = "巡更点不存在或不属于您的小区"
    message_en = "Checkpoint not found in your compounds"


class RouteNotFound(NotFound):
    message_zh = "巡更路线不存在或不属于您的小区"
    message_en = "Patrol route not found in your compounds"


class NfcTagTaken(Conflict):
    code = "patrol_nfc_tag_taken"
    message_zh = "NFC 标签号已被其他巡更点使用"
    message_en = "This NFC tag id is already used by another checkpoint"
