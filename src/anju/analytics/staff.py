"""The security staff record: training sessions and exams with attendance and scores, shifts with attendance.

Staff are the compound's accounts (accounts.service.staff_of); a record for someone who is not staff of the
compound is refused. The security report's staff section reads `staff_figures`, whose four KPIs have one written
formula each (report.formula.* in the message catalogue):

- training coverage = staff on roll at the period's end who attended at least one training session held in the
  period ÷ staff on roll at the period's end × 100%;
- exam pass rate = exam sittings in the period scored at or above the exam's pass mark ÷ exam sittings scored × 100%;
- turnover = staff who left in the period ÷ mean of staff on roll at its start and at its end × 100%;
- shift attendance = shifts in the period marked attended ÷ shifts in the period marked attended or absent × 100%.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anju.accounts.service import staff_movements, staff_of
from anju.analytics.models import StaffShift, StaffTraining, StaffTrainingRecord
from anju.analytics.permissions import AnalyticsPerm
from anju.core.auth import Principal
from anju.core.errors import Conflict, Invalid, NotFound
from anju.core.kit.china_time import china_datetime

SECURITY_ROLES = ("guard", "property_staff", "property_manager")
TRAINING_KINDS = ("training", "exam")
SHIFT_STATES = ("planned", "attended", "absent")


def _pct(part: int, whole: float) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


@dataclass(frozen=True)
class RecordIn:
    user_id: int
    attended: bool
    score: int | None = None


class StaffService:
    def _scope(self, who: Principal, compound_id: int) -> None:
        if not who.in_scope(compound_id):
            raise NotFound(f"compound {compound_id} not found", zh="未找到该小区")

    def roster(self, session: Session, *, who: Principal, compound_id: int) -> list[Any]:
        """The compound's security staff on roll now (guards, property staff, managers)."""
        who.require(AnalyticsPerm.read)
        self._scope(who, compound_id)
        return staff_of(session, compound_id, SECURITY_ROLES)

    def trainings(self, session: Session, *, who: Principal, compound_id: int, limit: int = 100) -> list[StaffTraining]:
        """Training sessions and exams of a compound, newest first."""
        who.require(AnalyticsPerm.read)
        self._scope(who, compound_id)
        return list(
            session.execute(
                select(StaffTraining)
                .where(StaffTraining.compound_id == compound_id)
                .order_by(StaffTraining.held_on.desc(), StaffTraining.id.desc())
                .limit(limit)
            ).scalars()
        )

    def get(self, session: Session, *, who: Principal, training_id: int) -> StaffTraining:
        who.require(AnalyticsPerm.read)
        row = session.get(StaffTraining, training_id)
        if row is None or not who.in_scope(row.compound_id):
            raise NotFound(f"training {training_id} not found", zh="未找到该培训记录")
        return row

    def records(self, session: Session, training_id: int) -> dict[int, StaffTrainingRecord]:
        return {
            r.user_id: r
            for r in session.execute(
                select(StaffTrainingRecord).where(StaffTrainingRecord.training_id == training_id)
            ).scalars()
        }

    def add_training(
        self,
        session: Session,
        *,
        who: Principal,
        compound_id: int,
        kind: str,
        title: str,
        held_on: date,
        today: date,
        hours: float | None = None,
        pass_score: int | None = None,
    ) -> StaffTraining:
        """Record a training session or an exam (an exam needs its pass mark; neither is in the future)."""
        who.require(AnalyticsPerm.staff_write)
        self._scope(who, compound_id)
        if kind not in TRAINING_KINDS:
            raise Invalid(f"unknown kind {kind!r}", zh="类型只能是培训或考核")
        if held_on > today:
            raise Invalid("held in the future", zh="日期不能晚于今天")
        if kind == "exam" and pass_score is None:
            raise Invalid(
                "an exam needs its pass mark",
                zh="考核需要填写及格分",
                fields=[{"field": "pass_score", "message": {"zh": "0-100 的整数", "en": "a whole number 0-100"}}],
            )
        row = StaffTraining(
            compound_id=compound_id,
            kind=kind,
            title=title.strip(),
            held_on=held_on,
            hours=hours,
            pass_score=pass_score if kind == "exam" else None,
            created_by=who.user_id if who.user_id > 0 else None,
        )
        session.add(row)
        session.flush()
        return row

    def set_records(
        self, session: Session, *, who: Principal, training_id: int, records: list[RecordIn]
    ) -> list[StaffTrainingRecord]:
        """Attendance (and exam scores) of a session; saving again replaces a person's line, never duplicates it."""
        who.require(AnalyticsPerm.staff_write)
        training = self.get(session, who=who, training_id=training_id)
        staff = {u.id for u in staff_of(session, training.compound_id, include_former=True)}
        for r in records:
            if r.user_id not in staff:
                raise NotFound(f"staff member {r.user_id} not found", zh="该人员不是本小区员工")
            if r.score is not None and training.kind != "exam":
                raise Invalid("a training session has no scores", zh="培训不记分数，考核才有分数")
            if r.score is not None and not r.attended:
                raise Invalid("a score needs attendance", zh="未参加考核的人员不能有分数")
        have = self.records(session, training.id)
        for r in records:
            row = have.get(r.user_id)
            if row is None:
                row = StaffTrainingRecord(compound_id=training.compound_id, training_id=training.id, user_id=r.user_id)
                session.add(row)
                have[r.user_id] = row
            row.attended = r.attended
            row.score = r.score if r.attended else None
        session.flush()
        return list(have.values())

    def add_shift(
        self,
        session: Session,
        *,
        who: Principal,
        compound_id: int,
        user_id: int,
        starts_at: datetime,
        ends_at: datetime,
    ) -> StaffShift:
        """Plan one shift of one staff member (the same person and start twice is 409)."""
        who.require(AnalyticsPerm.staff_write)
        self._scope(who, compound_id)
        if not staff_of(session, compound_id, user_id=user_id):
            raise NotFound(f"staff member {user_id} not found", zh="该人员不是本小区员工")
        if ends_at <= starts_at:
            raise Invalid("a shift ends after it starts", zh="班次结束时间必须晚于开始时间")
        row = StaffShift(compound_id=compound_id, user_id=user_id, starts_at=starts_at, ends_at=ends_at)
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError as exc:
            raise Conflict("that shift exists", zh="该人员该时间的班次已存在") from exc
        return row

    def shifts(
        self, session: Session, *, who: Principal, compound_id: int, since: datetime, until: datetime
    ) -> list[StaffShift]:
        """The compound's shifts starting in [since, until), in start order."""
        who.require(AnalyticsPerm.read)
        self._scope(who, compound_id)
        return list(
            session.execute(
                select(StaffShift)
                .where(
                    StaffShift.compound_id == compound_id,
                    StaffShift.starts_at >= since,
                    StaffShift.starts_at < until,
                )
                .order_by(StaffShift.starts_at, StaffShift.id)
                .limit(1000)
            ).scalars()
        )

    def mark_shift(self, session: Session, *, who: Principal, shift_id: int, status: str) -> StaffShift:
        """Mark a shift attended or absent (or back to planned)."""
        who.require(AnalyticsPerm.staff_write)
        row = session.get(StaffShift, shift_id)
        if row is None or not who.in_scope(row.compound_id):
            raise NotFound(f"shift {shift_id} not found", zh="未找到该班次")
        if status not in SHIFT_STATES:
            raise Invalid(f"unknown status {status!r}", zh="考勤状态只能是待上岗、出勤或缺勤")
        row.status = status
        session.flush()
        return row


def kinds_held(sessions: list[StaffTraining], kind: str) -> bool:
    return any(s.kind == kind for s in sessions)


def staff_figures(session: Session, *, compound_id: int, start: date, end: date) -> dict[str, Any]:
    """The report's staff section for [start, end) China dates: the inputs and the four KPIs (module docstring)."""
    since, until = china_datetime(start), china_datetime(end)
    moves = staff_movements(session, compound_id, SECURITY_ROLES, since=since, until=until)
    sessions = list(
        session.execute(
            select(StaffTraining).where(
                StaffTraining.compound_id == compound_id, StaffTraining.held_on >= start, StaffTraining.held_on < end
            )
        ).scalars()
    )
    kinds = {s.id: s for s in sessions}
    recs = (
        list(
            session.execute(
                select(StaffTrainingRecord).where(StaffTrainingRecord.training_id.in_(list(kinds)))
            ).scalars()
        )
        if kinds
        else []
    )
    trained = {r.user_id for r in recs if r.attended and kinds[r.training_id].kind == "training"}
    sittings = [r for r in recs if r.attended and kinds[r.training_id].kind == "exam" and r.score is not None]
    passed = sum(1 for r in sittings if r.score is not None and r.score >= (kinds[r.training_id].pass_score or 0))
    shifts = list(
        session.execute(
            select(StaffShift.status).where(
                StaffShift.compound_id == compound_id, StaffShift.starts_at >= since, StaffShift.starts_at < until
            )
        ).scalars()
    )
    attended = sum(1 for s in shifts if s == "attended")
    marked = sum(1 for s in shifts if s in ("attended", "absent"))
    on_end = len(moves.on_roll_end)
    mean_roll = (len(moves.on_roll_start) + on_end) / 2
    return {
        "on_roll_start": len(moves.on_roll_start),
        "on_roll_end": on_end,
        "joined": len(moves.joined),
        "left": len(moves.left),
        "trainings": sum(1 for s in sessions if s.kind == "training"),
        "exams": sum(1 for s in sessions if s.kind == "exam"),
        "trained": len(trained & moves.on_roll_end),
        "exam_sittings": len(sittings),
        "exam_passed": passed,
        "shifts": len(shifts),
        "shifts_marked": marked,
        "shifts_attended": attended,
        # No training session held in the period is "no data", not 0% (a monthly report need not hold one).
        "training_coverage": _pct(len(trained & moves.on_roll_end), on_end)
        if kinds_held(sessions, "training")
        else None,
        "exam_pass_rate": _pct(passed, len(sittings)),
        "turnover_rate": _pct(len(moves.left), mean_roll),
        "shift_attendance": _pct(attended, marked),
    }


staff_service = StaffService()
