"""The shared face images (../shared/data/faces), embedded once per process.

`require()` (and the `needs_faces` marker built on it) skips when the images or the model files are missing,
and FAILS instead when ANJU_REQUIRE_SERVICES=1 (CI), so face tests cannot silently stop testing (issue 10
item 7).
"""

from __future__ import annotations

import csv
import os
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

FACES = Path(os.environ.get("ANJU_FACES_DIR", Path(__file__).resolve().parents[3] / "shared" / "data" / "faces"))


def available() -> bool:
    return (FACES / "probes.csv").exists() and (FACES / "enrol").is_dir()


def missing() -> str | None:
    """Why the face tests cannot run (images or model files missing), or None."""
    if not available():
        return f"shared face images not found at {FACES}"
    from anju.core.errors import AppError
    from anju.vision.face import verify_model_files

    try:
        verify_model_files()
    except AppError as e:
        return f"face model files unusable: {e}"
    return None


def require() -> None:
    """Skip without the images/models; fail instead when the run requires them (ANJU_REQUIRE_SERVICES=1)."""
    reason = missing()
    if reason is not None:
        from tests.conftest import service_unavailable

        service_unavailable(reason)  # the one skip-or-fail helper


@pytest.fixture
def shared_faces() -> Path:
    """Use in a module with `from tests.vision.faces import shared_faces` and `needs_faces`."""
    require()
    return FACES


needs_faces = pytest.mark.usefixtures("shared_faces")


@lru_cache
def gallery() -> tuple[list[str], np.ndarray, list[tuple[str, str]]]:
    """(names, vectors, rejected[(file, reason)]) from enrol/: one template per usable photo."""
    from anju.vision.face import FaceImageRejected, single_embedding

    names, vecs, rejected = [], [], []
    for person in sorted(p for p in (FACES / "enrol").iterdir() if p.is_dir()):
        for f in sorted(person.iterdir()):
            try:
                vecs.append(single_embedding(f.read_bytes()))
                names.append(person.name)
            except FaceImageRejected as e:
                rejected.append((f"{person.name}/{f.name}", e.reason))
    return names, np.stack(vecs), rejected


@lru_cache
def probes() -> list[tuple[str, set[str], list[np.ndarray]]]:
    from anju.vision.face import find_faces

    out = []
    with open(FACES / "probes.csv") as fh:
        for row in csv.DictReader(fh):
            faces = find_faces((FACES / "probe" / row["file"]).read_bytes())
            out.append((row["file"], set(row["people"].split(";")), [f.embedding for f in faces]))
    return out


def pair_scores() -> tuple[list[float], list[float]]:
    """Cosine of every (enrolment template, probe face) pair: (genuine, impostor). `unknown` is always impostor."""
    names, vecs, _ = gallery()
    genuine, impostor = [], []
    for _, expected, embeddings in probes():
        for e in embeddings:
            scores = vecs @ e
            # A face in a photo of several people is the expected person it resembles most; pairs with
            # the other people in the photo are impostor pairs.
            known = [n for n in expected if n in names]
            who = max(known, key=lambda n: max(s for s, m in zip(scores, names, strict=True) if m == n), default=None)
            for n, s in zip(names, scores, strict=True):
                (genuine if n == who else impostor).append(float(s))
    return genuine, impostor
