"""Face templates: store encrypted, delete, and identify 1:N per compound."""

from __future__ import annotations

import base64
import threading
import uuid

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anju.core.crypto import decrypt, encrypt
from anju.vision.face import MODEL_NAME
from anju.vision.index import DIM, FaceIndex, Match
from anju.vision.models import FaceIndexState, FacePhoto, FaceTemplate

_CTX = "face_template"


def encode_vector(v: NDArray[np.float32]) -> str:
    return base64.b64encode(np.asarray(v, dtype=np.float32).tobytes()).decode()


def decode_vector(s: str) -> NDArray[np.float32]:
    return np.frombuffer(base64.b64decode(s), dtype=np.float32).copy()


class FaceTemplateService:
    """The only code that touches face templates; callers hold opaque subject refs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._indexes: dict[int, tuple[str, FaceIndex]] = {}

    @staticmethod
    def new_subject_ref() -> str:
        return uuid.uuid4().hex

    def _touch(self, session: Session, compound_id: int) -> None:
        token = uuid.uuid4().hex
        count = session.execute(
            select(func.count()).select_from(FaceTemplate).where(FaceTemplate.compound_id == compound_id)
        ).scalar_one()
        res = session.execute(
            update(FaceIndexState).where(FaceIndexState.compound_id == compound_id).values(token=token, templates=count)
        )
        if res.rowcount == 0:  # type: ignore[attr-defined]
            try:
                with session.begin_nested():
                    session.add(FaceIndexState(compound_id=compound_id, token=token, templates=count))
            except IntegrityError:  # a rival created it first; change its token instead
                session.execute(
                    update(FaceIndexState)
                    .where(FaceIndexState.compound_id == compound_id)
                    .values(token=token, templates=count)
                )

    def store(
        self,
        session: Session,
        *,
        compound_id: int,
        subject_ref: str,
        vector: NDArray[np.float32],
        photo: bytes | None = None,
    ) -> FaceTemplate:
        """Encrypt and store one template (and the raw photo only if authorised)."""
        row = FaceTemplate(
            compound_id=compound_id,
            subject_ref=subject_ref,
            model=MODEL_NAME,
            template_enc=encrypt(encode_vector(vector), context=_CTX) or "",
        )
        session.add(row)
        if photo is not None:
            session.add(
                FacePhoto(
                    compound_id=compound_id,
                    subject_ref=subject_ref,
                    image_enc=encrypt(base64.b64encode(photo).decode(), context="face_photo") or "",
                )
            )
        session.flush()
        self._touch(session, compound_id)
        return row

    def delete_subject(self, session: Session, *, compound_id: int, subject_ref: str) -> int:
        """Delete every template and photo of a subject; returns templates deleted."""
        n = session.execute(
            delete(FaceTemplate).where(FaceTemplate.compound_id == compound_id, FaceTemplate.subject_ref == subject_ref)
        ).rowcount
        session.execute(
            delete(FacePhoto).where(FacePhoto.compound_id == compound_id, FacePhoto.subject_ref == subject_ref)
        )
        self._touch(session, compound_id)
        return int(n or 0)

    def vectors_of(self, session: Session, *, compound_id: int, subject_ref: str) -> list[NDArray[np.float32]]:
        rows = session.execute(
            select(FaceTemplate.template_enc).where(
                FaceTemplate.compound_id == compound_id, FaceTemplate.subject_ref == subject_ref
            )
        ).scalars()
        return [decode_vector(decrypt(t, context=_CTX) or "") for t in rows]

    def count_subjects(self, session: Session, *, compound_ids: list[int] | None = None) -> int:
        """Distinct people (subjects) with stored face data (R-F8)."""
        q = select(func.count(func.distinct(FaceTemplate.subject_ref)))
        if compound_ids is not None:
            q = q.where(FaceTemplate.compound_id.in_(compound_ids or [-1]))
        return int(session.execute(q).scalar_one())

    def index(self, session: Session, compound_id: int) -> FaceIndex:
        """The compound's in-memory index, reloaded when another writer changed it."""
        token = (
            session.execute(
                select(FaceIndexState.token).where(FaceIndexState.compound_id == compound_id)
            ).scalar_one_or_none()
            or ""
        )
        cached = self._indexes.get(compound_id)
        if cached is not None and cached[0] == token:
            return cached[1]
        with self._lock:
            rows = session.execute(
                select(FaceTemplate.subject_ref, FaceTemplate.template_enc)
                .where(FaceTemplate.compound_id == compound_id)
                .order_by(FaceTemplate.id)
            ).all()
            idx = FaceIndex()
            vecs = np.zeros((len(rows), DIM), dtype=np.float32)
            for i, (_, enc) in enumerate(rows):
                vecs[i] = decode_vector(decrypt(enc, context=_CTX) or "")
            idx.load([r for r, _ in rows], vecs)
            self._indexes[compound_id] = (token, idx)
            return idx

    def identify(
        self, session: Session, *, compound_id: int, vector: NDArray[np.float32], threshold: float
    ) -> tuple[Match | None, Match | None]:
        """(accepted match or None, nearest candidate for the log)."""
        nearest = self.index(session, compound_id).search(vector)
        ok = nearest if nearest is not None and nearest.distance <= threshold else None
        return ok, nearest


face_template_service = FaceTemplateService()
