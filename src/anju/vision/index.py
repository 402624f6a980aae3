"""In-memory 1:N face index: cosine similarity of unit-length float32 embeddings by matrix-vector products.

Past COARSE_MIN templates the 25 MB GEMV over 50,000×128 is memory-bound (~5 ms on this
machine), so a search first ranks everyone in a 48-d PCA projection (10 MB) and then
re-ranks the best CANDIDATES exactly in 128-d; the answer's score is always the exact
cosine. For unit vectors the largest cosine is the smallest euclidean distance, so the
coarse stage ranks by |p|² − 2·p·q in the projection.

An index holds templates of one model only (see FaceTemplateService): a vector of
another model is never compared with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

DIM = 128
COARSE_DIM = 48
COARSE_MIN = 4096
CANDIDATES = 256


@dataclass(frozen=True)
class Match:
    subject_ref: str
    score: float  # cosine similarity, 1 = identical


def normalise(v: NDArray[np.float32]) -> NDArray[np.float32]:
    v = np.asarray(v, dtype=np.float32)
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return (v / np.where(n > 0, n, 1)).astype(np.float32)


class FaceIndex:
    """Templates of one compound and one model; a subject may have several templates (photos)."""

    def __init__(self, generation: int = 0, model: str = "") -> None:
        self.generation = generation
        self.model = model
        self._mat = np.zeros((0, DIM), dtype=np.float32)
        self._refs: list[str] = []
        self._mean: NDArray[np.float32] | None = None
        self._basis: NDArray[np.float32] | None = None  # 128×COARSE_DIM PCA projection
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
        """Replace the whole gallery (vectors are normalised to unit length)."""
        self._mat = np.ascontiguousarray(normalise(vectors.reshape(-1, DIM)), dtype=np.float32)
        self._refs = list(refs)
        self._fit_coarse()

    def add(self, ref: str, vector: NDArray[np.float32]) -> None:
        v = normalise(vector.reshape(1, DIM))
        self._mat = np.vstack([self._mat, v])
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
            self._mat = self._mat[keep]
            self._refs = [self._refs[i] for i in keep]
            if self._basis is not None:
                self._proj, self._psq = self._proj[keep], self._psq[keep]
        return removed

    def search(self, vector: NDArray[np.float32]) -> Match | None:
        """The most similar template (any score), or None on an empty gallery."""
        if not self._refs:
            return None
        q = normalise(vector.reshape(DIM))
        if self._basis is not None and self._mean is not None and len(self._refs) > CANDIDATES:
            p = (q - self._mean) @ self._basis
            coarse = self._psq - 2.0 * (self._proj @ p)
            cand = np.argpartition(coarse, CANDIDATES)[:CANDIDATES]
            sims = self._mat[cand] @ q
            j = int(np.argmax(sims))
            i, s = int(cand[j]), float(sims[j])
        else:
            sims = self._mat @ q
            i = int(np.argmax(sims))
            s = float(sims[i])
        return Match(self._refs[i], s)

    def identify(self, vector: NDArray[np.float32], threshold: float) -> Match | None:
        """The most similar subject if at or above the threshold, else None (a stranger)."""
        m = self.search(vector)
        return m if m is not None and m.score >= threshold else None


def brute_force(gallery: NDArray[np.float32], vector: NDArray[np.float32]) -> tuple[int, float]:
    """Reference search used by the bench and tests: the cosine with every template, one by one in numpy."""
    g = normalise(gallery)
    s = g @ normalise(vector.reshape(DIM))
    i = int(np.argmax(s))
    return i, float(s[i])
