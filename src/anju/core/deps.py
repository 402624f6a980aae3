"""Session dependencies: the request boundary owns the transaction (R5)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from anju.core.db import new_session


def get_write_session() -> Iterator[Session]:
    with new_session() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def get_read_session() -> Iterator[Session]:
    with new_session() as session:
        try:
            yield session
        finally:
            session.rollback()


WriteSession = Annotated[Session, Depends(get_write_session)]
ReadSession = Annotated[Session, Depends(get_read_session)]
