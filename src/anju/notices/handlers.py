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

from anju.core.events import subscribe
from anju.core.kit.china_time import china_text
from anju.governance.enums import EventKind
from anju.governance.events import VoteAnnounced, VotePublished
from anju.governance.models import Vote
from anju.governance.repository import VoteRepository
from anju.notices.enums import Audience, NoticeKind, TargetKind
from anju.notices.schemas import NoticeCreate
from anju.notices.service import notice_service
from anju.web.i18n import gettext


def _local(at: datetime) -> str:
    return china_text(at)  # notices are read in China time


def _zh(key: str) -> str:
    return gettext("zh-CN", key)


def _percent(part: str | int, whole: str | int) -> str:
    w = Fraction(str(whole))
    return "0%" if w == 0 else f"{float(Fraction(str(part)) / w) * 100:.1f}%"


@subscribe(VotePublished)
def post_vote_agenda(session: Session, event: VotePublished) -> None:
    """The agenda to all owners, at least 15 days before voting opens (R-V11)."""
    vote = session.get(Vote, event.vote_id)
    if vote is None:
        return
    items = VoteRepository(session).items(vote.id)
    agenda = "\n".join(f"{i.position}. {i.title}" + (f"：{i.description}" if i.description else "") for i in items)
    body = (
        f"表决事项类型：{_zh('gov.matter.' + vote.matter_type.value)}\n"
        f"投票时间：{_local(vote.opens_at)} 至 {_local(vote.closes_at)}\n"
        f"议题：\n{agenda}\n"
        "请业主在「我的家 → 业主投票」中投票，或向业委会申请纸质选票。"
    )
    notice_service.publish(
        session,
        by=None,
        data=NoticeCreate(
            compound_id=vote.compound_id,
            kind=NoticeKind.general,
            title=f"业主大会表决公告：{vote.title}"[:128],
            body=body,
            target_kind=TargetKind.compound,
            audience=Audience.owners,
        ),
    )


@subscribe(VoteAnnounced)
def post_vote_results(session: Session, event: VoteAnnounced) -> None:
    """The results (公示): outcome per item with participation by headcount and area, no names."""
    vote = session.get(Vote, event.vote_id)
    if vote is None:
        return
    tallied = VoteRepository(session).last_event(vote.id, EventKind.tallied)
    lines = []
    for item, title in zip(
        (tallied.payload or {}).get("items", []) if tallied else [],
        [i.title for i in VoteRepository(session).items(vote.id)],
        strict=False,
    ):
        part, total = item["participating"], item["total"]
        lines.append(
            f"{item['position']}. {title}：{_zh('gov.outcome.' + item['official'])}"
            f"（参与业主 {part['owners']}/{total['owners']} 人，{_percent(part['owners'], total['owners'])}；"
            f"参与面积 {part['area']}/{total['area']} ㎡，{_percent(part['area'], total['area'])}）"
        )
    body = "\n".join([*lines, "", vote.announcement or ""]).strip()
    notice_service.publish(
        session,
        by=None,
        data=NoticeCreate(
            compound_id=vote.compound_id,
            kind=NoticeKind.disclosure,
            title=f"表决结果公示：{vote.title}"[:128],
            body=body[:5000],
            target_kind=TargetKind.compound,
            audience=Audience.owners,
        ),
    )
