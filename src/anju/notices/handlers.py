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

from anju.core import events
from anju.core.events import subscribe
from anju.core.kit.china_time import china_text
from anju.fees.events import DISCLOSURE_SOURCE, REMINDER_SOURCE, ArrearsReminderDue, FeesDisclosed
from anju.governance.events import VoteAnnounced, VotePublished
from anju.notices.enums import Audience, NoticeKind, TargetKind
from anju.notices.events import NoticePublished
from anju.notices.schemas import NoticeCreate
from anju.notices.service import notice_service

# The notice text is written in Chinese, from what the event carries: this domain reads no governance
# table and no web catalogue. The labels are the law's terms (民法典 278, 279).
MATTER_ZH = {
    "rules_of_procedure": "制定和修改业主大会议事规则",
    "management_statute": "制定和修改管理规约",
    "elect_committee": "选举或更换业主委员会成员",
    "hire_property_company": "选聘和解聘物业服务企业",
    "use_repair_fund": "使用专项维修资金",
    "other_major": "其他重大事项",
    "raise_repair_fund": "筹集专项维修资金",
    "rebuild": "改建、重建建筑物及附属设施",
    "change_common_use": "改变共有部分用途或利用共有部分经营",
    "residence_to_business": "住宅改变为经营性用房",
}
OUTCOME_ZH = {"passed": "通过", "rejected": "未通过", "invalid_quorum": "无效（参与未达三分之二）"}
_SEE_VOTES = "请业主在「我的家 → 业主投票」中投票，或向业委会申请纸质选票。"


def _local(at: datetime) -> str:
    return china_text(at)  # notices are read in China time


def _percent(part: str | int, whole: str | int) -> str:
    w = Fraction(str(whole))
    return "0%" if w == 0 else f"{float(Fraction(str(part)) / w) * 100:.1f}%"


@subscribe(VotePublished)
def post_vote_agenda(session: Session, event: VotePublished) -> None:
    """The agenda to all owners, at least 15 days before voting opens (R-V11)."""
    agenda = "\n".join(
        f"{i.position}. {i.title}" + (f"：{i.description}" if i.description else "") for i in event.items
    )
    lines = []
    if event.matter_type:
        lines.append(f"表决事项类型：{MATTER_ZH.get(event.matter_type, event.matter_type)}")
    if event.opens_at is not None and event.closes_at is not None:
        lines.append(f"投票时间：{_local(event.opens_at)} 至 {_local(event.closes_at)}")
    if agenda:
        lines.append(f"议题：\n{agenda}")
    lines.append(_SEE_VOTES)
    notice_service.publish(
        session,
        by=None,
        data=NoticeCreate(
            compound_id=event.compound_id,
            kind=NoticeKind.general,
            title=f"业主大会表决公告：{event.title or '业主大会表决'}"[:128],
            body="\n".join(lines),
            target_kind=TargetKind.compound,
            audience=Audience.owners,
        ),
    )


@subscribe(VoteAnnounced)
def post_vote_results(session: Session, event: VoteAnnounced) -> None:
    """The results (公示): outcome per item with participation by headcount and area, no names."""
    lines = []
    for item in event.results:
        part, total = item.participating, item.total
        lines.append(
            f"{item.position}. {item.title}：{OUTCOME_ZH.get(item.official, item.official)}"
            f"（参与业主 {part.owners}/{total.owners} 人，{_percent(part.owners, total.owners)}；"
            f"参与面积 {part.area}/{total.area} ㎡，{_percent(part.area, total.area)}）"
        )
    body = "\n".join([*lines, "", event.announcement or ""]).strip() or "表决结果详见「我的家 → 业主投票」。"
    notice_service.publish(
        session,
        by=None,
        data=NoticeCreate(
            compound_id=event.compound_id,
            kind=NoticeKind.disclosure,
            title=f"表决结果公示：{event.title or '业主大会表决'}"[:128],
            body=body[:5000],
            target_kind=TargetKind.compound,
            audience=Audience.owners,
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
