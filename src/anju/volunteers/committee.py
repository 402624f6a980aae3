"""The residents' safety committee (居民安全委员会, issue 18 item 5): members with roles, meetings with minutes and
decisions, and a decision published to residents as a notice.

- Staff of the compound who manage volunteers (property manager, grid worker) keep the committee's records.
- A member leaves by a date (`left_on`); the record stays. A meeting's attendees are members of that compound who
  were on the committee on the day of the meeting; anyone else is refused.
- A decision is published through the notices service (a general notice to the whole compound) at most once:
  the decision's notice is set by compare-and-set, so a second publish (or two at once) is a 409 and the second
  notice rolls back with its request.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from anju.core.auth import Principal
from anju.core.errors import Invalid, NotFound
from anju.core.kit.china_time import china_date
from anju.volunteers.enums import CommitteeRole
from anju.volunteers.exceptions import AlreadyPublished, CommitteeMemberNotFound, DecisionNotFound
from anju.volunteers.models import CommitteeDecision, CommitteeMeeting, CommitteeMember
from anju.volunteers.permissions import VolunteersPerm
from anju.volunteers.schemas import MeetingIn, MemberIn


def _desk(who: Principal, compound_id: int, *, manage: bool) -> None:
    who.require(VolunteersPerm.manage if manage else VolunteersPerm.read)
    if not who.is_staff or not who.in_scope(compound_id):
        raise NotFound("compound not found", zh="未找到该小区")


class CommitteeService:
    def add_member(
        self, session: Session, *, who: Principal, data: MemberIn, today: date | None = None
    ) -> CommitteeMember:
        _desk(who, data.compound_id, manage=True)
        m = CommitteeMember(
            compound_id=data.compound_id,
            name=data.name.strip(),
            role=data.role.value,
            joined_on=data.joined_on or today or china_date(),
        )
        session.add(m)
        session.flush()
        return m

    def end_member(self, session: Session, *, who: Principal, member_id: int, left_on: date) -> CommitteeMember:
        m = session.get(CommitteeMember, member_id)
        if m is None or not who.in_scope(m.compound_id):
            raise CommitteeMemberNotFound()
        _desk(who, m.compound_id, manage=True)
        if left_on < m.joined_on:
            raise Invalid("a member leaves after joining", zh="离任日期不能早于加入日期")
        m.left_on = left_on
        session.flush()
        return m

    def members(
        self, session: Session, *, who: Principal, compound_id: int, on: date | None = None
    ) -> list[CommitteeMember]:
        """Members on the committee on `on` (today), chair first."""
        _desk(who, compound_id, manage=False)
        day = on or china_date()
        rows = session.execute(
            select(CommitteeMember).where(
                CommitteeMember.compound_id == compound_id,
                CommitteeMember.joined_on <= day,
                (CommitteeMember.left_on.is_(None)) | (CommitteeMember.left_on >= day),
            )
        ).scalars()
        order = {r.value: n for n, r in enumerate(CommitteeRole)}
        return sorted(rows, key=lambda m: (order.get(m.role, 9), m.id))

    def record_meeting(self, session: Session, *, who: Principal, data: MeetingIn) -> CommitteeMeeting:
        _desk(who, data.compound_id, manage=True)
        on = china_date(data.held_at)
        sitting = {m.id for m in self.members(session, who=who, compound_id=data.compound_id, on=on)}
        strangers = sorted(set(data.attendee_ids) - sitting)
        if strangers:
            raise Invalid(
                f"not on the committee on {on}: {strangers}",
                zh="出席人须为会议当日的安全委员会成员",
                fields=[{"field": "attendee_ids", "message": "not a member on that day"}],
            )
        meeting = CommitteeMeeting(
            compound_id=data.compound_id,
            title=data.title.strip(),
            held_at=data.held_at,
            place=data.place.strip(),
            attendee_ids=sorted(set(data.attendee_ids)),
            minutes=data.minutes.strip(),
            user_id=who.user_id,
        )
        session.add(meeting)
        session.flush()
        for text in data.decisions:
            if text.strip():
                session.add(
                    CommitteeDecision(compound_id=data.compound_id, meeting_id=meeting.id, text=text.strip()[:1000])
                )
        session.flush()
        return meeting

    def meetings(self, session: Session, *, who: Principal, compound_id: int) -> list[CommitteeMeeting]:
        _desk(who, compound_id, manage=False)
        return list(
            session.execute(
                select(CommitteeMeeting)
                .where(CommitteeMeeting.compound_id == compound_id)
                .order_by(CommitteeMeeting.held_at.desc())
                .limit(50)
            ).scalars()
        )

    def decisions(self, session: Session, *, meeting_ids: list[int]) -> dict[int, list[CommitteeDecision]]:
        out: dict[int, list[CommitteeDecision]] = {i: [] for i in meeting_ids}
        for d in session.execute(
            select(CommitteeDecision)
            .where(CommitteeDecision.meeting_id.in_(meeting_ids or [-1]))
            .order_by(CommitteeDecision.id)
        ).scalars():
            out[d.meeting_id].append(d)
        return out

    def publish_decision(
        self, session: Session, *, who: Principal, decision_id: int, now: datetime
    ) -> CommitteeDecision:
        """Publish a decision to the compound's residents as a notice (once)."""
        from anju.notices.enums import NoticeKind
        from anju.notices.schemas import NoticeCreate
        from anju.notices.service import notice_service

        d = session.get(CommitteeDecision, decision_id)
        if d is None or not who.in_scope(d.compound_id):
            raise DecisionNotFound()
        _desk(who, d.compound_id, manage=True)
        if d.notice_id is not None:
            raise AlreadyPublished()
        meeting = session.get(CommitteeMeeting, d.meeting_id)
        assert meeting is not None
        notice = notice_service.publish(
            session,
            by=who,
            data=NoticeCreate(
                compound_id=d.compound_id,
                kind=NoticeKind.general,
                title=f"居民安全委员会决议：{meeting.title}"[:128],
                body=f"{d.text}\n\n（{china_date(meeting.held_at):%Y年%m月%d日}安全委员会会议决议）",
            ),
        )
        res = session.execute(
            update(CommitteeDecision)
            .where(CommitteeDecision.id == d.id, CommitteeDecision.notice_id.is_(None))
            .values(notice_id=notice.id, published_at=now)
            .execution_options(synchronize_session=False)
        )
        if res.rowcount != 1:  # type: ignore[attr-defined]
            raise AlreadyPublished()  # a rival published it meanwhile: this request (and its notice) rolls back
        session.refresh(d)
        return d


committee_service = CommitteeService()
