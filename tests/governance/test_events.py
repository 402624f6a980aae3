"""Governance → notices through outbox events only: each event carries what a notice needs (issue 10, item 4)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from anju.core.events import OutboxEvent
from anju.governance.events import VoteAnnounced, VotePublished
from anju.governance.service import vote_service
from tests.governance.world import HouseSpec, build_world


def _payloads(session, topic):
    return [e.payload for e in session.execute(select(OutboxEvent).where(OutboxEvent.topic == topic)).scalars()]


def test_the_published_and_announced_events_carry_agenda_window_and_results_without_names(session):
    w = build_world(session, [HouseSpec("101", ("张",), "90.00"), HouseSpec("102", ("李",), "60.00")])
    v = w.vote(items=2)
    [published] = [p for p in _payloads(session, VotePublished.topic) if p["vote_id"] == v.id]
    event = VotePublished.model_validate(published)
    assert event.title == "测试表决" and event.matter_type == "other_major"
    assert [i.title for i in event.items] == ["议题 1", "议题 2"]
    assert event.opens_at == v.opens_at and event.closes_at == v.closes_at
    for name, house in (("张", "101"), ("李", "102")):
        vote_service.cast(
            session, by=w.person(name), vote_id=v.id, house_id=w.houses[house], choices={"1": "yes", "2": "no"}
        )
    vote_service.advance(session, v, now=v.closes_at + timedelta(minutes=1))
    vote_service.announce(
        session, by=w.committee, vote_id=v.id, text_="决议：议题一通过", now=v.closes_at + timedelta(hours=1)
    )
    [announced] = [p for p in _payloads(session, VoteAnnounced.topic) if p["vote_id"] == v.id]
    result = VoteAnnounced.model_validate(announced)
    assert result.announcement == "决议：议题一通过"
    first, second = result.results
    assert (first.title, first.official, second.official) == ("议题 1", "passed", "rejected")
    assert first.participating.owners == 2 and first.total.owners == 2 and first.participating.area == "150"
    assert "张" not in str(announced) and "李" not in str(announced)  # R-P9: no voter's name


def test_an_event_written_before_the_new_fields_still_parses():
    assert VotePublished.model_validate({"vote_id": 1, "compound_id": 2}).items == []
    assert VoteAnnounced.model_validate({"vote_id": 1, "compound_id": 2}).results == []
