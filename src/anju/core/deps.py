"""Session dependencies: the request boundary owns the transaction (R5).

Each request gets one session, shared by authentication and the endpoint. It
commits at the end only if some dependency asked for a WriteSession and the
endpoint did not raise; otherwise it rolls back.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from anju.core.db import new_session, report_session
from anju.core.sqlite_retry import IMMEDIATE_KEY, begin_immediate


def request_session(request: Request) -> Iterator[Session]:
    with new_session() as session:
        request.state.commit_session = False
        try:
            if request.scope.get(IMMEDIATE_KEY):  # a retry after a SQLite lock error: take the write lock first
                begin_immediate(session)
            yield session
            if request.state.commit_session:
                session.commit()
            else:
                session.rollback()
        except BaseException:
            session.rollback()
            raise


# scope="function": the session commits and closes when the endpoint returns, before
# the response is sent. With FastAPI's default ("request") the commit ran after the
# client already had its 201 or redirect: a failing commit could not become an error
# (R5), and a browser following the login redirect could arrive before its session row.
RequestSession = Annotated[Session, Depends(request_session, scope="function")]


def get_write_session(request: Request, session: RequestSession) -> Session:
    request.state.commit_session = True
    return session


def get_read_session(session: RequestSession) -> Session:
    return session


WriteSession = Annotated[Session, Depends(get_write_session)]
ReadSession = Annotated[Session, Depends(get_read_session)]


def _report_session() -> Iterator[Session]:
    with report_session() as session:
        yield session


# Reports and dashboards (the 大屏, the district view, hot spots, report reads and exports): a read-only session
# on the streaming replica when ANJU_DATABASE_READ_URL is set, else on the primary; also the primary while the
# replica is down or further behind than ANJU_DATABASE_READ_MAX_LAG_SECONDS, and for the rest of a request whose
# replica connection was lost mid-request (its read runs again there): core.db.report_session. Its own session
# beside the request's (which authenticates on the primary). Only for reads no write follows and that may be a
# moment behind; a page a form redirects to reads through ReadSession (the primary).
ReportSession = Annotated[Session, Depends(_report_session, scope="function")]
