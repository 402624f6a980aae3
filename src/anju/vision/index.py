"""In-memory 1:N face index: float32 matrices searched with matrix-vector products.

Squared euclidean distance |x−y|² = |x|² + |y|² − 2·x·y with the gallery norms
precomputed, so nothing of size N×128 is materialised per query. Past COARSE_MIN
templates the 25 MB GEMV is memory-bound (~5 ms at 50,000 on this machine), so a
search first ranks everyone in a 32-d PCA projection (6 MB) and then re-ranks the
best CANDIDATES exactly in 128-d; the answer's distance is always the exact one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

DIM = 128
COARSE_DIM = 32
COARSE_MIN = 4096
CANDIDATES = 128


@dataclass(frozen=True)
class Match:
    subject_ref: str
    distance: float


class FaceIndex:
    """Templates of one compound; a subject may have several templates (photos)."""

    def __init__(self, generation: int = 0) -> None:
        self.generation = generation
        self._mat = np.zeros((0, DIM), dtype=np.float32)
        self._sq = np.zeros(0, dtype=np.float32)
        self._refs: list[str] = []
        self._mean: NDArray[np.float32] | None = None
        self._basis: NDArray[np.float32] | None = None  # 128×32 PCA projection
        self._proj = np.zeros((0, COARSE_DIM), dtype=np.float32)
        self._psq = np.zeros(0, dtype=np.float32)

    def _fit_coarse(self) -> None:
        if len(self._refs) < COARSE_MIN:
            self._basis = None
            return
        sample = self._mat[:: max(1, len(self._mat) // 8192)]
        self._mean = sample.mean(axis=0)
        _, _, vt = np.linalg.svd(sample - self._mean, full_matrices=False)
        self._basis = np.ascontiguousarray(vt[:COARSE_DIM].T, dtype=np.float32)
        self._proj = np.ascontiguousarray((self._mat - self._mean) @ self._basis, dtype=np.float32)
        self._psq = np.einsum("ij,ij->i", self._proj, self._proj)

    def __len__(self) -> int:
        return len(self._refs)

    def load(self, refs: list[str], vectors: NDArray[np.float32]) -> None:
        """Replace the whole gallery."""
        self._mat = np.ascontiguousarray(vectors.reshape(-1, DIM), dtype=np.float32)
        self._sq = np.einsum("ij,ij->i", self._mat, self._mat)
        self._refs = list(refs)
        self._fit_coarse()

    def add(self, ref: str, vector: NDArray[np.float32]) -> None:
        v = vector.reshape(1, DIM).astype(np.float32)
        self._mat = np.vstack([self._mat, v])
        self._sq = np.append(self._sq, float(v @ v.T))
        self._refs.append(ref)
        if self._basis is not None and self._mean is not None:
            p = ((v - self._mean) @ self._basis).astype(np.float32)
            self._proj = np.vstack([self._proj, p])
            self._psq = np.append(self._psq, float(p @ p.T))
        elif len(self._refs) >= COARSE_MIN:
            self._fit_coarse()

    def remove(self, ref: str) -> int:
        keep = [i for i, r in enumerate(self._refs) if r != ref]
        removed = len(self._refs) - len(keep)
        if removed:
            self._mat, self._sq = self._mat[keep], self._sq[keep]
            self._refs = [self._refs[i] for i in keep]
            if self._basis is not None:
                self._proj, self._psq = self._proj[keep], self._psq[keep]
        return removed

    def search(self, vector: NDArray[np.float32]) -> Match | None:
        """The nearest template (any distance), or None on an empty gallery."""
        if not self._refs:
            return None
        q = vector.astype(np.float32, copy=False)
        if self._basis is not None and self._mean is not None and len(self._refs) > CANDIDATES:
            p = (q - self._mean) @ self._basis
            coarse = self._psq - 2.0 * (self._proj @ p)
            cand = np.argpartition(coarse, CANDIDATES)[:CANDIDATES]
            d2c = self._sq[cand] - 2.0 * (self._mat[cand] @ q) + float(q @ q)
            j = int(np.argmin(d2c))
            i, d2i = int(cand[j]), float(d2c[j])
        else:
            d2 = self._sq - 2.0 * (self._mat @ q) + float(q @ q)
            i = int(np.argmin(d2))
            d2i = float(d2[i])
        return Match(self._refs[i], float(np.sqrt(max(d2i, 0.0))))

    def identify(self, vector: NDArray[np.float32], threshold: float) -> Match | None:
        """The nearest subject if within the threshold, else None (a stranger)."""
        m = self.search(vector)
        return m if m is not None and m.distance <= threshold else None


def brute_force(gallery: NDArray[np.float32], vector: NDArray[np.float32]) -> tuple[int, float]:
    """Reference search used by the bench and tests: norm of every difference."""
    d = np.linalg.norm(gallery - vector, axis=1)
    i = int(np.argmin(d))
    return i, float(d[i])
