"""Video test fixtures: an evidence folder per test, a registered camera in compound A."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from anju.video.config import video_settings


@pytest.fixture(autouse=True)
def evidence_dir(tmp_path, monkeypatch) -> Iterator[Any]:
    monkeypatch.setenv("ANJU_VIDEO_EVIDENCE_DIR", str(tmp_path / "evidence"))
    video_settings.cache_clear()
    yield tmp_path / "evidence"
    video_settings.cache_clear()


@pytest.fixture
def camera_body(ids) -> dict[str, Any]:
    return {
        "compound_id": ids["A"],
        "device_key": "CAM-TEST-1",
        "name": "北门高空抛物",
        "url": "rtsp://admin:S3cret!pw@10.1.2.3:554/Streaming/Channels/101",
        "location": "3号楼北侧",
        "plan_x": 120,
        "plan_y": 80,
        "fov_deg": 90,
        "public_area": True,
        "retention_days": 30,
        "signage_installed": True,
        "analytics": [
            {"detector": "fall"},
            {
                "detector": "intrusion",
                "zones": [{"name": "roof", "points": [[0, 0], [0.5, 0], [0.5, 1], [0, 1]]}],
                "schedule": {"start": "22:00", "end": "06:00"},
            },
        ],
    }
