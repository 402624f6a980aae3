"""Vote set-up and publication: a draft with its agenda, the deemed-vote rule, publication with a snapshot.

Nothing reaches the owners until publication; from then on the agenda and the voting rules are
frozen (R-V11, R-V12) and the electorate is snapshotted (electorate_service).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from anju.core import events
from anju.core.auth import Principal
from anju.core.db import utcnow
from anju.core.errors import NotFound
from anju.governance.chain import append_event, cas_state, iso, ms, sha
from anju.governance.electorate_service import electorate_service
from anju.governance.enums import THRESHOLD_OF, EventKind, MatterType, Threshold, VoteState
from anju.governance.events import AgendaItemInfo, VotePublished
from anju.governance.exceptions import AgendaFrozen, BadVoteSetup, NoticeTooShort, VoteNotFound, VoteStateConflict
from anju.governance.models import Vote, VoteItem
from anju.governance.permissions import VotesPerm
from anju.governance.repository import VoteRepository
from anju.governance.schemas import AgendaItemIn, VoteCreate
from anju.registry.models import House

NOTICE_PERIOD = timedelta(days=15)  # R-V11
MIN_CLAUSE = 10  # characters of the 议事规则 clause that allows deemed votes (R-V9)


class VoteSetupService:
    # ----- reading -------------------------------------------------------------------------
    def get(self, session: Session, *, by: Principal, vote_id: int) -> Vote:
        vote = VoteRepository(session).readable(by, vote_id)
        if vote is None:
            raise VoteNotFound()
        return vote

    def get_managed(self, session: Session, *, by: Principal, vote_id: int) -> Vote:
        by.require(VotesPerm.manage)
        return self.get(session, by=by, vote_id=vote_id)

    # ----- set-up --------------------------------------------------------------------------
    def create(self, session: Session, *, by: Principal, data: VoteCreate) -> Vote:
        """A draft vote with its agenda; nothing reaches the owners until it is published."""
        by.require(VotesPerm.manage)
        if not by.in_scope(data.compound_id):
            raise NotFound("compound not found", zh="小区不存在")
        if data.closes_at <= data.opens_at:
            raise BadVoteSetup("voting must close after it opens", zh="投票截止时间须晚于开始时间")
        if data.matter_type is MatterType.residence_to_business:
            house = session.get(House, data.subject_house_id) if data.subject_house_id else None
            if house is None or house.compound_id != data.compound_id:
                raise BadVoteSetup(
                    "a residence-to-business vote names the house to be converted",
                    zh="住宅改经营性用房的表决须指明涉及的房屋",
                )
        elif data.subject_house_id is not None:
            raise BadVoteSetup(
                "only a residence-to-business vote names a house", zh="仅住宅改经营性用房的表决需指明房屋"
            )
        vote = Vote(
            compound_id=data.compound_id,
            title=data.title,
            description=data.description,
            matter_type=data.matter_type,
            subject_house_id=data.subject_house_id,
            opens_at=data.opens_at,
            closes_at=data.closes_at,
            state=VoteState.draft,
            created_by=by.user_id,
        )
        session.add(vote)
        session.flush()
        self._write_items(session, vote, data.items)
        return vote

    def _write_items(self, session: Session, vote: Vote, items: list[AgendaItemIn]) -> None:
        for pos, item in enumerate(items, start=1):
            session.add(VoteItem(vote_id=vote.id, position=pos, title=item.title, description=item.description))
        session.flush()

    def replace_agenda(self, session: Session, *, by: Principal, vote_id: int, items: list[AgendaItemIn]) -> Vote:
        """Edit the agenda while in draft; after publication it is frozen (R-V11, R-V12)."""
        vote = self.get_managed(session, by=by, vote_id=vote_id)
        if vote.state is not VoteState.draft:
            raise AgendaFrozen()
        for old in VoteRepository(session).items(vote.id):
            session.delete(old)
        session.flush()
        self._write_items(session, vote, items)
        return vote

    def set_deem_rule(
        self, session: Session, *, by: Principal, vote_id: int, enabled: bool, clause: str | None
    ) -> Vote:
        """R-V9: deemed votes are off by default; on only with the 议事规则 clause that allows them."""
        vote = self.get_managed(session, by=by, vote_id=vote_id)
        if vote.state is not VoteState.draft:
            raise AgendaFrozen("voting rules are frozen once published", zh="表决规则已随议题公布，不能修改")
        if enabled:
            if THRESHOLD_OF[vote.matter_type] is Threshold.unanimity:
                raise BadVoteSetup("unanimous consent cannot be deemed", zh="须全体利害关系业主同意的事项不能推定同意")
            if not clause or len(clause.strip()) < MIN_CLAUSE:
                raise BadVoteSetup(
                    "quote the clause of the rules of procedure that allows it",
                    zh="须上传议事规则中允许“未投票计入多数”的条款",
                )
        vote.deem_unreturned = enabled
        vote.deem_rule_clause = clause.strip() if enabled and clause else None
        session.flush()
        return vote

    # ----- publication and the electorate snapshot -----------------------------------------
    def publish(self, session: Session, *, by: Principal, vote_id: int, now: datetime | None = None) -> Vote:
        """Publish the agenda to all owners ≥ 15 days before voting opens (R-V11) and snapshot the electorate."""
        now = now or utcnow()
        vote = self.get_managed(session, by=by, vote_id=vote_id)
        if vote.state is not VoteState.draft:
            raise AgendaFrozen("already published", zh="议题已公布")
        if vote.opens_at - now < NOTICE_PERIOD:  # a difference: no overflow at the edges of the calendar
            latest = vote.opens_at - NOTICE_PERIOD if vote.opens_at.year > 1 else None
            raise NoticeTooShort(
                f"voting opens {vote.opens_at.isoformat()}; publish by {iso(latest) or 'an earlier time'} or open later"
            )
        if not cas_state(session, vote, VoteState.draft, VoteState.published):
            raise VoteStateConflict()
        vote.published_at = ms(now)
        digest, owners, area = electorate_service.snapshot(session, vote)
        items = [
            {"position": i.position, "title": i.title, "description": i.description}
            for i in VoteRepository(session).items(vote.id)
        ]
        append_event(
            session,
            vote,
            EventKind.published,
            by=by,
            at=now,
            payload={
                "electorate": digest,
                "owners": owners,
                "area": str(area),
                "agenda": sha(items),
                "matter_type": str(vote.matter_type),
                "opens_at": iso(vote.opens_at),
                "closes_at": iso(vote.closes_at),
                "deem_unreturned": vote.deem_unreturned,
                "deem_rule_clause": vote.deem_rule_clause,
            },
        )
        events.publish(
            session,
            VotePublished(
                vote_id=vote.id,
                compound_id=vote.compound_id,
                title=vote.title,
                matter_type=vote.matter_type.value,
                opens_at=vote.opens_at,
                closes_at=vote.closes_at,
                items=[AgendaItemInfo(**i) for i in items],
            ),
            compound_id=vote.compound_id,
        )
        return vote


vote_setup_service = VoteSetupService()
