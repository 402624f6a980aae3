"""The shared real footage (../shared/data/video beside the checkout); tests skip cleanly if it is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "video"
if not DATA.exists():
    DATA = Path("/work/shared/data/video")
FALLS = DATA / "falls"
VTEST = DATA / "vtest.avi"
BIKES = DATA / "bikes_handheld.mp4"


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"shared footage missing: {path}")
    return path
