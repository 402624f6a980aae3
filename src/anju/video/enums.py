"""Video enums."""

from __future__ import annotations

from enum import StrEnum


class DetectorKind(StrEnum):
    intrusion = "intrusion"
    loitering = "loitering"
    thrown_object = "thrown_object"  # 高空抛物
    fall = "fall"
    fire_lane_parking = "fire_lane_parking"
    gathering = "gathering"  # 人员聚集: N people in a zone for T seconds
    climbing = "climbing"  # 翻越: a person crossing a fence line upward
    left_object = "left_object"  # 遗留物: a static foreground blob with nobody near


# Alarms about a person wait for a human review before any action beyond the control room (R-A4).
PERSON_DETECTORS = frozenset(
    {DetectorKind.intrusion, DetectorKind.loitering, DetectorKind.fall, DetectorKind.gathering, DetectorKind.climbing}
)
# 高空抛物 also waits for a person to look: only a confirmed drop opens a work order and tells the building.
REVIEW_DETECTORS = PERSON_DETECTORS | {DetectorKind.thrown_object}


class CameraHealth(StrEnum):
    unknown = "unknown"
    up = "up"
    down = "down"


class ReviewVerdict(StrEnum):
    confirmed = "confirmed"
    dismissed = "dismissed"  # a false alarm


class EvidenceKind(StrEnum):
    snapshot = "snapshot"  # JPEG with the box drawn
    clip = "clip"  # MJPEG AVI, seconds before and after the decision


class ClipState(StrEnum):
    """Where an incident's clip is: the alarm goes out at the decision, the clip follows after the post-roll."""

    pending = "pending"  # the seconds after the decision are still being recorded or delivered
    attached = "attached"
    missing = "missing"  # its delivery failed the sha256 check, or it did not come within the grace period


class AccessAction(StrEnum):
    playback = "playback"
    download = "download"
    export = "export"  # masked copy (R-A3)
