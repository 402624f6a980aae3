"""Face templates: store encrypted, delete, and identify 1:N per compound, only against the current model.

Every template records the model (name + version) that made it. The in-memory index of a
compound holds only live templates of the current model, so a vector is never compared
with one of another model; stale templates (of a retired model) wait for re-enrolment or
the deadline and are then deleted (issue 12).
"""

from __future__ import annotations

import base64
import threading
import uuid
from datetime import datetime

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import ColumnElement, and_, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anju.core.crypto import decrypt, encrypt
from anju.vision.face import MODEL_NAME, MODEL_VERSION
from anju.vision.index import DIM, FaceIndex, Match, normalise
from anju.vision.models import FaceIndexState, FacePhoto, FaceTemplate

_CTX = "face_template"
MODEL_ID = f"{MODEL_NAME}/{MODEL_VERSION}"  # how terminals name the model of an embedding they send


def encode_vector(v: NDArray[np.float32]) -> str:
    return base64.b64encode(np.asarray(v, dtype=np.float32).tobytes()).decode()


def decode_vector(s: str) -> NDArray[np.float32]:
    return np.frombuffer(base64.b64decode(s), dtype=np.float32).copy()


def _current() -> ColumnElement[bool]:
    """SQL condition: a live template of the current model."""
    return and_(
        FaceTemplate.model == MODEL_NAME,
        FaceTemplate.model_version == MODEL_VERSION,
        FaceTemplate.stale_since.is_(None),
    )


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
        """Encrypt and store one template of the current model (and the raw photo only if authorised)."""
        row = FaceTemplate(
            compound_id=compound_id,
            subject_ref=subject_ref,
            model=MODEL_NAME,
            model_version=MODEL_VERSION,
            template_enc=encrypt(encode_vector(normalise(vector)), context=_CTX) or "",
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
        """Delete every template (any model) and photo of a subject; returns templates deleted."""
        res = session.execute(
            delete(FaceTemplate).where(FaceTemplate.compound_id == compound_id, FaceTemplate.subject_ref == subject_ref)
        )
        n = getattr(res, "rowcount", 0)
        session.execute(
            delete(FacePhoto).where(FacePhoto.compound_id == compound_id, FacePhoto.subject_ref == subject_ref)
        )
        self._touch(session, compound_id)
        return int(n or 0)

    def vectors_of(self, session: Session, *, compound_id: int, subject_ref: str) -> list[NDArray[np.float32]]:
        """The subject's live vectors of the current model (what terminals and the index may use)."""
        rows = session.execute(
            select(FaceTemplate.template_enc).where(
                FaceTemplate.compound_id == compound_id, FaceTemplate.subject_ref == subject_ref, _current()
            )
        ).scalars()
        return [decode_vector(decrypt(t, context=_CTX) or "") for t in rows]

    def status_of(self, session: Session, *, compound_id: int, subject_refs: list[str]) -> dict[str, str]:
        """{subject_ref: "current" | "needs_reenrolment" | "none"} for the given subjects."""
        out = dict.fromkeys(subject_refs, "none")
        if not subject_refs:
            return out
        rows = session.execute(
            select(FaceTemplate.subject_ref, FaceTemplate.model, FaceTemplate.model_version, FaceTemplate.stale_since)
            .where(FaceTemplate.compound_id == compound_id, FaceTemplate.subject_ref.in_(subject_refs))
            .order_by(FaceTemplate.id)
        ).all()
        for ref, model, version, stale in rows:
            if model == MODEL_NAME and version == MODEL_VERSION and stale is None:
                out[ref] = "current"
            elif out[ref] != "current":
                out[ref] = "needs_reenrolment"
        return out

    def mark_stale(self, session: Session, *, now: datetime) -> int:
        """Mark every live template of another model stale (a model change); returns the rows marked."""
        res = session.execute(
            update(FaceTemplate)
            .where(
                FaceTemplate.stale_since.is_(None),
                (FaceTemplate.model != MODEL_NAME)
                | (FaceTemplate.model_version.is_(None))
                | (FaceTemplate.model_version != MODEL_VERSION),
            )
            .values(stale_since=now)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(res, "rowcount", 0) or 0)

    def stale_subjects_to_notify(self, session: Session) -> list[tuple[int, str]]:
        """(compound_id, subject_ref) with stale templates, no current one, and no re-enrolment request sent yet."""
        current = select(FaceTemplate.subject_ref).where(_current())
        return [
            (c, r)
            for c, r in session.execute(
                select(FaceTemplate.compound_id, FaceTemplate.subject_ref)
                .where(
                    FaceTemplate.stale_since.is_not(None),
                    FaceTemplate.reenrol_notified_at.is_(None),
                    FaceTemplate.subject_ref.not_in(current),
                )
                .distinct()
            ).all()
        ]

    def mark_notified(self, session: Session, *, compound_id: int, subject_ref: str, now: datetime) -> None:
        session.execute(
            update(FaceTemplate)
            .where(
                FaceTemplate.compound_id == compound_id,
                FaceTemplate.subject_ref == subject_ref,
                FaceTemplate.stale_since.is_not(None),
            )
            .values(reenrol_notified_at=now)
            .execution_options(synchronize_session=False)
        )

    def drop_stale_of(self, session: Session, *, compound_id: int, subject_ref: str) -> int:
        """A subject re-enrolled with the current model: its stale templates go now."""
        res = session.execute(
            delete(FaceTemplate)
            .where(
                FaceTemplate.compound_id == compound_id,
                FaceTemplate.subject_ref == subject_ref,
                FaceTemplate.stale_since.is_not(None),
            )
            .execution_options(synchronize_session=False)
        )
        return int(getattr(res, "rowcount", 0) or 0)

    def purge_stale(self, session: Session, *, now: datetime, deadline: datetime) -> int:
        """Delete stale templates whose subject has re-enrolled, and every stale template older than deadline."""
        current = select(FaceTemplate.subject_ref).where(_current())
        ids_compounds = session.execute(
            select(FaceTemplate.id, FaceTemplate.compound_id).where(
                FaceTemplate.stale_since.is_not(None),
                FaceTemplate.subject_ref.in_(current) | (FaceTemplate.stale_since <= deadline),
            )
        ).all()
        if not ids_compounds:
            return 0
        session.execute(
            delete(FaceTemplate)
            .where(FaceTemplate.id.in_([i for i, _ in ids_compounds]))
            .execution_options(synchronize_session=False)
        )
        for compound_id in sorted({c for _, c in ids_compounds}):
            self._touch(session, compound_id)
        return len(ids_compounds)

    def count_subjects(self, session: Session, *, compound_ids: list[int] | None = None) -> int:
        """Distinct people (subjects) with stored face data, stale templates included (R-F8)."""
        q = select(func.count(func.distinct(FaceTemplate.subject_ref)))
        if compound_ids is not None:
            q = q.where(FaceTemplate.compound_id.in_(compound_ids or [-1]))
        return int(session.execute(q).scalar_one())

    def index(self, session: Session, compound_id: int) -> FaceIndex:
        """The compound's in-memory index of current-model templates, reloaded when another writer changed it."""
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
                .where(FaceTemplate.compound_id == compound_id, _current())
                .order_by(FaceTemplate.id)
            ).all()
            idx = FaceIndex(model=MODEL_ID)
            vecs = np.zeros((len(rows), DIM), dtype=np.float32)
            for i, (_, enc) in enumerate(rows):
                vecs[i] = decode_vector(decrypt(enc, context=_CTX) or "")
            idx.load([r for r, _ in rows], vecs)
            self._indexes[compound_id] = (token, idx)
            return idx

    def identify(
        self, session: Session, *, compound_id: int, vector: NDArray[np.float32], threshold: float
    ) -> tuple[Match | None, Match | None]:
        """(accepted match or None, nearest candidate for the log); vector must come from the current model."""
        nearest = self.index(session, compound_id).search(vector)
        ok = nearest if nearest is not None and nearest.score >= threshold else None
        return ok, nearest


face_template_service = FaceTemplateService()
