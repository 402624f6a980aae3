"""notices: event subscribers and jobs (imported by anju.handlers).

A published vote and its announced results reach every owner's inbox as notices.
They carry the agenda, the window and the outcome with participation counts, never
a voter's name (R-P9). The outbox commits the notice and its (event, handler) record
together, so a redelivered event never posts twice.
"""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction

from sqlalchemy.orm import Session

from anju.alarms.events import BuildingNotifyRequested
from anju.core import events
from anju.core.events import subscribe
from anju.core.kit.china_time import china_text
from anju.core.kit.fractions import percent, to_decimal
from anju.fees.events import DISCLOSURE_SOURCE, REMINDER_SOURCE, ArrearsReminderDue, FeesDisclosed
from anju.governance.events import VoteAnnounced, VotePublished
from anju.governance.labels import MATTER_LABELS, OUTCOME_LABELS
from anju.notices.enums import Audience, NoticeKind, TargetKind
from anju.notices.events import NoticePublished
from anju.notices.schemas import NoticeCreate
from anju.notices.service import notice_service

# Notices are written once for every reader, so a generated notice carries both languages: Chinese first,
# then English. Labels come from governance.labels (this domain reads no governance table and no web
# catalogue). Areas are shown as decimals (the exact fractions are on the vote's verification page).
_SEE_VOTES = (
    "请业主在「我的家 → 业主投票」中投票，或向业委会申请纸质选票。",
    "Vote in My home → Owner votes, or ask the owners' committee for a paper ballot.",
)


def _local(at: datetime) -> str:
    return china_text(at)  # notices are read in China time


def _area(value: str | int) -> str:
    """An exact area (a decimal or fraction string) as people read it: 169034.63."""
    return f"{to_decimal(Fraction(str(value)), 2)}"


def _percent(part: str | int, whole: str | int) -> str:
    return percent(Fraction(str(part)), Fraction(str(whole)))


def _label(table: dict[str, tuple[str, str]], key: str, lang: int) -> str:
    pair = table.get(key)
    return pair[lang] if pair else key


@subscribe(VotePublished)
def post_vote_agenda(session: Session, event: VotePublished) -> None:
    """The agenda to all owners, at least 15 days before voting opens (R-V11); in Chinese and English."""
    agenda = "\n".join(
        f"{i.position}. {i.title}" + (f"：{i.description}" if i.description else "") for i in event.items
    )
    zh: list[str] = []
    en: list[str] = []
    if event.matter_type:
        zh.append(f"表决事项类型：{_label(MATTER_LABELS, event.matter_type, 0)}")
        en.append(f"Matter: {_label(MATTER_LABELS, event.matter_type, 1)}")
    if event.opens_at is not None and event.closes_at is not None:
        zh.append(f"投票时间：{_local(event.opens_at)} 至 {_local(event.closes_at)}")
        en.append(f"Voting: {_local(event.opens_at)} to {_local(event.closes_at)} (China time)")
    if agenda:
        zh.append(f"议题：\n{agenda}")
        en.append("Agenda: as above.")
    zh.append(_SEE_VOTES[0])
    en.append(_SEE_VOTES[1])
    notice_service.publish(
        session,
        by=None,
        data=NoticeCreate(
            compound_id=event.compound_id,
            kind=NoticeKind.general,
            title=f"业主大会表决公告 / Owners' vote: {event.title or '业主大会表决'}"[:128],
            body="\n".join([*zh, "", *en])[:5000],
            target_kind=TargetKind.compound,
            audience=Audience.owners,
        ),
    )


@subscribe(VoteAnnounced)
def post_vote_results(session: Session, event: VoteAnnounced) -> None:
    """The results (公示): outcome per item with participation by headcount and area, no names."""
    zh: list[str] = []
    en: list[str] = []
    for item in event.results:
        part, total = item.participating, item.total
        zh.append(
            f"{item.position}. {item.title}：{_label(OUTCOME_LABELS, item.official, 0)}"
            f"（参与业主 {part.owners}/{total.owners} 人，{_percent(part.owners, total.owners)}；"
            f"参与面积 {_area(part.area)}/{_area(total.area)} ㎡，{_percent(part.area, total.area)}）"
        )
        en.append(
            f"{item.position}. {item.title}: {_label(OUTCOME_LABELS, item.official, 1)}"
            f" (owners taking part {part.owners}/{total.owners}, {_percent(part.owners, total.owners)};"
            f" area {_area(part.area)}/{_area(total.area)} ㎡, {_percent(part.area, total.area)})"
        )
    if zh:
        zh.append("精确面积（分数）见该表决的核验页。")
        en.append("The exact areas (as fractions) are on the vote's verification page.")
    body = "\n".join([*zh, "", *en, "", event.announcement or ""]).strip() or (
        "表决结果详见「我的家 → 业主投票」。\nSee the results in My home → Owner votes."
    )
    notice_service.publish(
        session,
        by=None,
        data=NoticeCreate(
            compound_id=event.compound_id,
            kind=NoticeKind.disclosure,
            title=f"表决结果公示 / Vote results: {event.title or '业主大会表决'}"[:128],
            body=body[:5000],
            target_kind=TargetKind.compound,
            audience=Audience.owners,
        ),
    )


@subscribe(BuildingNotifyRequested)
def post_alarm_notice_to_building(session: Session, event: BuildingNotifyRequested) -> None:
    """通知本楼: an operator's emergency notice about an alarm to every current resident of its building."""
    notice_service.publish(
        session,
        by=None,
        data=NoticeCreate(
            compound_id=event.compound_id,
            kind=NoticeKind.emergency,
            title=event.title[:128],
            body=event.body[:5000],
            target_kind=TargetKind.building,
            target_id=event.building_id,
            audience=Audience.all,
        ),
    )


@subscribe(ArrearsReminderDue)
def deliver_fee_reminder(session: Session, event: ArrearsReminderDue) -> None:
    """A private fee reminder (R-M1) to the owners of one house; it ignores mutes and reaches their
    account inboxes too. The fees domain learns the notice id from NoticePublished."""
    notice = notice_service.publish(
        session,
        by=None,
        data=NoticeCreate(
            compound_id=event.compound_id,
            kind=NoticeKind.arrears,
            title=event.title[:128],
            body=event.body[:5000],
            target_kind=TargetKind.house,
            target_id=event.house_id,
            audience=Audience.owners,
        ),
    )
    events.publish(
        session,
        NoticePublished(
            notice_id=notice.id,
            compound_id=event.compound_id,
            source=f"{REMINDER_SOURCE}{event.reminder_id}",
            recipients=notice.recipients,
        ),
        compound_id=event.compound_id,
    )


@subscribe(FeesDisclosed)
def post_fees_disclosure(session: Session, event: FeesDisclosed) -> None:
    """A 公示 of fees or common income (R-M6) to the whole compound; the fees domain learns the notice id."""
    notice = notice_service.publish(
        session,
        by=None,
        data=NoticeCreate(
            compound_id=event.compound_id,
            kind=NoticeKind.disclosure,
            title=event.title[:128],
            body=event.body[:5000],
        ),
    )
    notice.user_id = event.user_id  # the staff member who published it
    events.publish(
        session,
        NoticePublished(
            notice_id=notice.id,
            compound_id=event.compound_id,
            source=f"{DISCLOSURE_SOURCE}{event.disclosure_id}",
            recipients=notice.recipients,
        ),
        compound_id=event.compound_id,
    )
