"""The shared face images (../shared/data/faces), embedded once per process."""

from __future__ import annotations

import csv
import os
from functools import lru_cache
from pathlib import Path

import numpy as np

from anju.vision.face import FaceImageRejected, find_faces, single_embedding

FACES = Path(os.environ.get("ANJU_FACES_DIR", Path(__file__).resolve().parents[3] / "shared" / "data" / "faces"))


def available() -> bool:
    return (FACES / "probes.csv").exists()


@lru_cache
def gallery() -> tuple[list[str], np.ndarray, list[tuple[str, str]]]:
    """(names, vectors, rejected[(file, reason)]) from enrol/: one template per usable photo."""
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
    out = []
    with open(FACES / "probes.csv") as fh:
        for row in csv.DictReader(fh):
            faces = find_faces((FACES / "probe" / row["file"]).read_bytes())
            out.append((row["file"], set(row["people"].split(";")), [f.embedding for f in faces]))
    return out
