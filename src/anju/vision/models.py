"""Face templates, kept apart from identity data (R-F11).

Rows are keyed by an opaque `subject_ref`; only the access domain's face
credential knows which person a subject is. Templates are AES-GCM encrypted.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from anju.core.db import Base, UTCDateTime, utcnow


class FaceTemplate(Base):
    __tablename__ = "face_template"
    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compound.id"), index=True)
    subject_ref: Mapped[str] = mapped_column(String(32), index=True)
    template_enc: Mapped[str] = mapped_column(Text)
    # Which model made the vector (name + version): vectors of different models are never compared.
    model: Mapped[str] = mapped_column(String(32))
    model_version: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Set when the model was replaced: a stale template never matches; it is deleted once its subject has
    # re-enrolled with the current model, or at the configured deadline (issue 12).
    stale_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reenrol_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class FacePhoto(Base):
    """A raw enrolment photo, kept only with a separate authorisation (R-F11)."""

    __tablename__ = "face_photo"
    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(ForeignKey("compound.id"), index=True)
    subject_ref: Mapped[str] = mapped_column(String(32), index=True)
    image_enc: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class FaceIndexState(Base):
    """A random token changed on every template change: in-memory indexes reload when it differs."""

    __tablename__ = "face_index_state"
    compound_id: Mapped[int] = mapped_column(ForeignKey("compound.id"), primary_key=True)
    token: Mapped[str] = mapped_column(String(32))
    templates: Mapped[int] = mapped_column(Integer, default=0)
