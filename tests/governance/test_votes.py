"""Owner votes against a real database: electorate (R-V5…R-V8, R-V10), agenda (R-V11, R-V12),
tally and 公示 (R-V1…R-V4, R-V9, R-V13), requests (R-V14), retention (R-V15), paper (R-V16)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from anju.core.errors import Conflict
from anju.governance.enums import Channel, EventKind, MatterType, Outcome, VoteState
from anju.governance.exceptions import (
    AgendaFrozen,
    AlreadyVoted,
    BadVoteSetup,
    BallotMismatch,
    NotAnOwner,
    NoticeTooShort,
    VotingClosed,
)
from anju.governance.models import Ballot, Elector
from anju.governance.repository import VoteRepository
from anju.governance.schemas import AgendaItemIn, VoteCreate
from anju.governance.service import vote_service
from anju.registry.enums import AreaSource, HouseStatus
from tests.governance.world import HouseSpec, at, build_world

YES = {"1": "yes"}
NO = {"1": "no"}


def _electors(session, vote):
    return {e.key: e for e in VoteRepository(session).electors(vote.id)}


def _close(session, world, vote):
    vote_service.advance(session, vote, now=vote.closes_at + timedelta(minutes=1))
    assert vote.state is VoteState.tallied
    return VoteRepository(session).last_event(vote.id, EventKind.tallied).payload["items"]


class TestElectorate:
    def test_r_v5_one_owner_of_several_parts_counts_once_with_summed_area(self, session):
        w = build_world(
            session,
            [
                HouseSpec("101", ("张",), "100.00"),
                HouseSpec("102", ("张",), "50.50"),
                HouseSpec("103", ("李", "王"), "80.00"),
            ],
        )
        v = w.vote()
        e = _electors(session, v)
        zhang = e[f"person:{w.people['张']}"]
        assert len(e) == 2 and zhang.house_count == 2 and Decimal(zhang.area) == Decimal("150.50")
        # Voting through either house is the same owner's one ballot.
        zhang_p = w.person("张")
        vote_service.cast(session, by=zhang_p, vote_id=v.id, house_id=w.houses["101"], choices=YES)
        with pytest.raises(AlreadyVoted):
            vote_service.cast(session, by=zhang_p, vote_id=v.id, house_id=w.houses["102"], choices=YES)

    def test_r_v5_co_owners_of_one_part_count_once(self, session):
        w = build_world(session, [HouseSpec("101", ("李", "王"), "80.00"), HouseSpec("102", ("赵",))])
        v = w.vote()
        assert len(_electors(session, v)) == 2
        vote_service.cast(session, by=w.person("王"), vote_id=v.id, house_id=w.houses["101"], choices=YES)
        with pytest.raises(AlreadyVoted):
            vote_service.cast(session, by=w.person("李"), vote_id=v.id, house_id=w.houses["101"], choices=NO)
        assert len(VoteRepository(session).ballots(v.id)) == 1

    def test_r_v6_developer_parts_count_as_one_owner_with_their_areas(self, session):
        w = build_world(
            session,
            [
                HouseSpec("101", ("张",)),
                HouseSpec("201", status=HouseStatus.developer_unsold, registered="90.00"),
                HouseSpec("202", status=HouseStatus.developer_unsold, registered="91.25"),
                HouseSpec("203", status=HouseStatus.vacant, registered=None, contract="70.00"),
            ],
        )
        v = w.vote()
        e = _electors(session, v)
        dev = e["developer"]
        assert len(e) == 2 and dev.is_developer and dev.house_count == 3
        assert Decimal(dev.area) == Decimal("251.25")
        # The developer votes through a paper ballot entered by staff, once.
        vote_service.cast_paper(
            session, by=w.committee, vote_id=v.id, house_id=w.houses["201"], choices=NO, paper_ref="P-1"
        )
        with pytest.raises(AlreadyVoted):
            vote_service.cast_paper(
                session, by=w.committee, vote_id=v.id, house_id=w.houses["203"], choices=YES, paper_ref="P-2"
            )

    def test_r_v7_area_source_registered_then_surveyed_then_contract_is_recorded(self, session):
        w = build_world(
            session,
            [
                HouseSpec("1", ("甲",), "100.00", "101.00", "102.00"),
                HouseSpec("2", ("乙",), None, "88.88", "90.00"),
                HouseSpec("3", ("丙",), None, None, "77.70"),
                HouseSpec("4", ("丁",), None, None, None),
            ],
        )
        v = w.vote()
        rows = {h.house_label: h for h in VoteRepository(session).elector_houses(v.id)}
        assert (Decimal(rows["1"].area), rows["1"].area_source) == (Decimal("100.00"), AreaSource.registered)
        assert (Decimal(rows["2"].area), rows["2"].area_source) == (Decimal("88.88"), AreaSource.surveyed)
        assert (Decimal(rows["3"].area), rows["3"].area_source) == (Decimal("77.70"), AreaSource.contract)
        assert (Decimal(rows["4"].area), rows["4"].area_source) == (Decimal("0.00"), None)

    def test_r_v8_tenant_votes_only_with_a_recorded_proxy(self, session):
        w = build_world(session, [HouseSpec("101", ("张",), tenants=("租户",)), HouseSpec("102", ("李",))])
        v = w.vote()
        tenant = w.person("租户")
        with pytest.raises(NotAnOwner):
            vote_service.cast(session, by=tenant, vote_id=v.id, house_id=w.houses["101"], choices=YES)
        proxy = vote_service.record_proxy(
            session,
            by=w.committee,
            vote_id=v.id,
            house_id=w.houses["101"],
            person_id=w.people["租户"],
            document="授权委托书 2026-001",
        )
        ballot = vote_service.cast(session, by=tenant, vote_id=v.id, house_id=w.houses["101"], choices=YES)
        assert ballot.proxy_id == proxy.id
        # The proxy is for 101 only.
        with pytest.raises(NotAnOwner):
            vote_service.cast(session, by=tenant, vote_id=v.id, house_id=w.houses["102"], choices=YES)

    def test_r_v8_nobody_votes_for_a_house_they_do_not_own(self, session):
        w = build_world(session, [HouseSpec("101", ("张",)), HouseSpec("102", ("李",))])
        v = w.vote()
        with pytest.raises(NotAnOwner):
            vote_service.cast(session, by=w.person("李"), vote_id=v.id, house_id=w.houses["101"], choices=YES)
        assert VoteRepository(session).ballots(v.id) == []

    def test_r_v10_conversion_needs_every_other_owner_in_the_building(self, session):
        w = build_world(
            session,
            [
                HouseSpec("1-101", ("申请人",)),
                HouseSpec("1-102", ("甲",)),
                HouseSpec("1-103", ("乙",)),
                HouseSpec("2-101", ("丙",), building="2"),
            ],
        )
        v = w.vote(MatterType.residence_to_business, subject="1-101")
        e = _electors(session, v)
        assert set(e) == {f"person:{w.people['甲']}", f"person:{w.people['乙']}"}  # not the applicant, not bldg 2
        vote_service.cast(session, by=w.person("甲"), vote_id=v.id, house_id=w.houses["1-102"], choices=YES)
        vote_service.cast(session, by=w.person("乙"), vote_id=v.id, house_id=w.houses["1-103"], choices=NO)
        [item] = _close(session, w, v)
        assert item["official"] == Outcome.rejected  # 1 of 2 is a majority of nothing here

    def test_r_v10_unanimous_consent_passes_and_cannot_be_deemed(self, session):
        w = build_world(
            session, [HouseSpec("1-101", ("申请人",)), HouseSpec("1-102", ("甲",)), HouseSpec("1-103", ("乙",))]
        )
        v = w.vote(MatterType.residence_to_business, subject="1-101", publish=False)
        with pytest.raises(BadVoteSetup):
            vote_service.set_deem_rule(
                session, by=w.committee, vote_id=v.id, enabled=True, clause="议事规则第十二条：未投票视为同意多数意见"
            )
        vote_service.publish(session, by=w.committee, vote_id=v.id, now=v.opens_at - timedelta(days=15))
        vote_service.advance(session, v, now=at(0))
        for name, house in (("甲", "1-102"), ("乙", "1-103")):
            vote_service.cast(session, by=w.person(name), vote_id=v.id, house_id=w.houses[house], choices=YES)
        assert _close(session, w, v)[0]["official"] == Outcome.passed


class TestAgenda:
    def test_r_v11_publication_less_than_15_days_before_opening_is_refused(self, session):
        w = build_world(session, [HouseSpec("101", ("张",))])
        v = w.vote(publish=False)  # opens one day ago
        with pytest.raises(NoticeTooShort):
            vote_service.publish(session, by=w.committee, vote_id=v.id, now=v.opens_at - timedelta(days=14, hours=23))
        vote_service.publish(session, by=w.committee, vote_id=v.id, now=v.opens_at - timedelta(days=15))
        assert v.state is VoteState.published

    def test_r_v11_opening_early_is_blocked_and_ballots_wait(self, session):
        w = build_world(session, [HouseSpec("101", ("张",))])
        now = at(0)
        v = vote_service.create(
            session,
            by=w.committee,
            data=VoteCreate(
                compound_id=w.compound_id,
                title="提前开启测试",
                matter_type=MatterType.other_major,
                opens_at=now + timedelta(days=15),
                closes_at=now + timedelta(days=20),
                items=[AgendaItemIn(title="x")],
            ),
        )
        vote_service.publish(session, by=w.committee, vote_id=v.id, now=now)
        with pytest.raises(NoticeTooShort):
            vote_service.open(session, by=w.committee, vote_id=v.id, now=now + timedelta(days=14, hours=23))
        with pytest.raises(VotingClosed):
            vote_service.cast(
                session,
                by=w.person("张"),
                vote_id=v.id,
                house_id=w.houses["101"],
                choices=YES,
                now=now + timedelta(days=1),
            )
        vote_service.open(session, by=w.committee, vote_id=v.id, now=now + timedelta(days=15))
        assert v.state is VoteState.open

    def test_r_v12_agenda_frozen_after_publication(self, session):
        w = build_world(session, [HouseSpec("101", ("张",))])
        v = w.vote(publish=False)
        vote_service.replace_agenda(
            session, by=w.committee, vote_id=v.id, items=[AgendaItemIn(title="a"), AgendaItemIn(title="b")]
        )
        vote_service.publish(session, by=w.committee, vote_id=v.id, now=v.opens_at - timedelta(days=15))
        with pytest.raises(AgendaFrozen):
            vote_service.replace_agenda(
                session,
                by=w.committee,
                vote_id=v.id,
                items=[AgendaItemIn(title="a"), AgendaItemIn(title="b"), AgendaItemIn(title="later item")],
            )
        assert [i.title for i in VoteRepository(session).items(v.id)] == ["a", "b"]

    def test_r_v12_ballot_items_must_match_the_published_agenda(self, session):
        w = build_world(session, [HouseSpec("101", ("张",))])
        v = w.vote(items=2)
        zhang = w.person("张")
        for bad in ({"1": "yes"}, {"1": "yes", "2": "no", "3": "yes"}, {"1": "yes", "2": "maybe"}):
            with pytest.raises(BallotMismatch):
                vote_service.cast(session, by=zhang, vote_id=v.id, house_id=w.houses["101"], choices=bad)
        assert VoteRepository(session).ballots(v.id) == []


class TestTallyAndPublication:
    def test_r_v1_end_to_end_exactly_half_fails_and_quorum_at_two_thirds(self, session):
        w = build_world(session, [HouseSpec(str(k), (f"业主{k}",)) for k in range(6)])
        v = w.vote()
        for k, c in ((0, YES), (1, YES), (2, NO), (3, NO)):  # 4 of 6 take part: exactly 2/3
            vote_service.cast(session, by=w.person(f"业主{k}"), vote_id=v.id, house_id=w.houses[str(k)], choices=c)
        [item] = _close(session, w, v)
        assert item["quorum"] is True and item["official"] == Outcome.rejected

    def test_r_v4_without_quorum_reported_invalid_not_rejected(self, session):
        w = build_world(session, [HouseSpec(str(k), (f"业主{k}",)) for k in range(7)])
        v = w.vote()
        for k in range(4):  # 4 of 7 < 2/3
            vote_service.cast(session, by=w.person(f"业主{k}"), vote_id=v.id, house_id=w.houses[str(k)], choices=YES)
        [item] = _close(session, w, v)
        assert item["official"] == Outcome.invalid_quorum

    def test_r_v2_three_quarters_matter_exactly_three_quarters_passes(self, session):
        w = build_world(session, [HouseSpec(str(k), (f"业主{k}",)) for k in range(4)])
        v = w.vote(MatterType.raise_repair_fund)
        for k, c in ((0, YES), (1, YES), (2, YES), (3, NO)):
            vote_service.cast(session, by=w.person(f"业主{k}"), vote_id=v.id, house_id=w.houses[str(k)], choices=c)
        assert _close(session, w, v)[0]["official"] == Outcome.passed

    def test_r_v9_deemed_votes_need_the_clause_and_are_reported_apart(self, session):
        w = build_world(session, [HouseSpec(str(k), (f"业主{k}",)) for k in range(6)])
        v = w.vote(publish=False)
        with pytest.raises(BadVoteSetup):
            vote_service.set_deem_rule(session, by=w.committee, vote_id=v.id, enabled=True, clause="")
        vote_service.set_deem_rule(
            session,
            by=w.committee,
            vote_id=v.id,
            enabled=True,
            clause="议事规则第二十条：未参与表决的业主，其投票权数计入已表决的多数票。",
        )
        vote_service.publish(session, by=w.committee, vote_id=v.id, now=v.opens_at - timedelta(days=15))
        vote_service.advance(session, v, now=at(0))
        for k, c in ((0, YES), (1, YES), (2, NO)):
            vote_service.cast(session, by=w.person(f"业主{k}"), vote_id=v.id, house_id=w.houses[str(k)], choices=c)
        [item] = _close(session, w, v)
        assert item["outcome"] == Outcome.invalid_quorum  # actual ballots only
        assert item["deemed"] == {"owners": 3, "area": "300"} and item["deemed_side"] == "yes"
        assert item["official"] == Outcome.passed

    def test_r_v13_results_due_in_3_days_overdue_flagged_then_announced(self, session):
        w = build_world(session, [HouseSpec("101", ("张",))])
        v = w.vote()
        _close(session, w, v)
        assert v.results_due_at == v.closes_at + timedelta(days=3)
        assert vote_service.flag_overdue(session, now=v.closes_at + timedelta(days=2, hours=23)) == []
        assert vote_service.flag_overdue(session, now=v.closes_at + timedelta(days=3, minutes=1)) == [v.id]
        assert v.publication_overdue
        vote_service.announce(
            session, by=w.committee, vote_id=v.id, text_="表决结果公示", now=v.closed_at + timedelta(days=4)
        )
        assert v.state is VoteState.announced

    def test_r_v13_r_v15_results_retrievable_after_a_year(self, session):
        w = build_world(session, [HouseSpec("101", ("张",))])
        v = w.vote()
        vote_service.cast(session, by=w.person("张"), vote_id=v.id, house_id=w.houses["101"], choices=YES)
        _close(session, w, v)
        later = v.closed_at + timedelta(days=366)
        vote_service.advance(session, v, now=later)
        _vote, tallied = vote_service.results(session, by=w.person("张"), vote_id=v.id)
        assert tallied is not None and tallied.payload["items"][0]["official"] == Outcome.passed
        assert vote_service.verify(session, v).ok


class TestRetentionAndPaper:
    def test_r_v15_ballots_and_tally_events_refuse_update_and_delete(self, session):
        w = build_world(session, [HouseSpec("101", ("张",))])
        v = w.vote()
        b = vote_service.cast(session, by=w.person("张"), vote_id=v.id, house_id=w.houses["101"], choices=YES)
        for sql in (
            f'UPDATE vote_ballot SET choices = \'{{"1": "no"}}\' WHERE id = {b.id}',
            f"DELETE FROM vote_ballot WHERE id = {b.id}",
            f"DELETE FROM vote_event WHERE vote_id = {v.id}",
            f"UPDATE vote_elector SET area = 1 WHERE vote_id = {v.id}",
        ):
            with pytest.raises(DBAPIError), session.begin_nested():
                session.execute(text(sql))

    def test_r_v15_no_route_deletes_or_edits_a_ballot(self, client):
        paths = client.get("/openapi.json").json()["paths"]
        for path, ops in paths.items():
            if path.startswith("/api/v1/votes") and ("ballot" in path or "results" in path):
                assert not set(ops) & {"delete", "put", "patch"}, path

    def test_r_v16_paper_ballot_marked_and_refused_after_online_and_vice_versa(self, session):
        w = build_world(session, [HouseSpec("101", ("张",)), HouseSpec("102", ("李",))])
        v = w.vote()
        vote_service.cast(session, by=w.person("张"), vote_id=v.id, house_id=w.houses["101"], choices=YES)
        with pytest.raises(AlreadyVoted) as online_first:
            vote_service.cast_paper(
                session, by=w.committee, vote_id=v.id, house_id=w.houses["101"], choices=NO, paper_ref="P-7"
            )
        assert "online" in str(online_first.value)
        paper = vote_service.cast_paper(
            session, by=w.committee, vote_id=v.id, house_id=w.houses["102"], choices=NO, paper_ref="P-8"
        )
        assert paper.channel is Channel.paper and paper.paper_ref == "P-8"
        with pytest.raises(AlreadyVoted) as paper_first:
            vote_service.cast(session, by=w.person("李"), vote_id=v.id, house_id=w.houses["102"], choices=YES)
        assert "paper" in str(paper_first.value)

    def test_voting_after_close_is_refused_and_tally_unchanged(self, session):
        w = build_world(session, [HouseSpec("101", ("张",)), HouseSpec("102", ("李",))])
        v = w.vote()
        vote_service.cast(session, by=w.person("张"), vote_id=v.id, house_id=w.houses["101"], choices=YES)
        before = _close(session, w, v)
        with pytest.raises(VotingClosed):
            vote_service.cast(
                session,
                by=w.person("李"),
                vote_id=v.id,
                house_id=w.houses["102"],
                choices=YES,
                now=v.closes_at + timedelta(hours=1),
            )
        assert [r.as_json() for r in vote_service.recount(session, v)] == before


class TestMeetingRequests:
    def test_r_v14_twenty_percent_of_owners_by_headcount_creates_a_duty(self, session):
        w = build_world(
            session,
            [HouseSpec(str(k), (f"业主{k}",)) for k in range(5)] + [HouseSpec("t", ("业主0",), tenants=("租户",))],
        )
        vote_service.request_meeting(session, by=w.person("业主1"), reason="要求召开临时业主大会")
        assert vote_service.meeting_duty(session, compound_id=w.compound_id) == (5, 1, True)  # 1/5 = 20 %
        with pytest.raises(NotAnOwner):
            vote_service.request_meeting(session, by=w.person("租户"), reason="租户不能提议")

    def test_r_v14_below_twenty_percent_no_duty(self, session):
        w = build_world(session, [HouseSpec(str(k), (f"业主{k}",)) for k in range(6)])
        vote_service.request_meeting(session, by=w.person("业主1"), reason="要求召开临时业主大会")
        assert vote_service.meeting_duty(session, compound_id=w.compound_id) == (6, 1, False)  # 1/6 < 20 %


class TestTampering:
    def _tallied(self, session, n=4):
        w = build_world(session, [HouseSpec(str(k), (f"业主{k}",)) for k in range(n)])
        v = w.vote()
        receipts = [
            vote_service.cast(
                session, by=w.person(f"业主{k}"), vote_id=v.id, house_id=w.houses[str(k)], choices=YES if k else NO
            ).row_hash
            for k in range(n)
        ]
        _close(session, w, v)
        return w, v, receipts

    def _without_triggers(self, session, table):
        """Simulate someone with database access: switch the append-only triggers off on this connection."""
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        else:
            session.execute(text(f"DROP TRIGGER {table}_no_update"))

    def test_edited_ballot_is_named_and_tally_mismatch_reported(self, session):
        w, v, receipts = self._tallied(session)
        assert vote_service.verify(session, v).ok
        victim = VoteRepository(session).ballots(v.id)[0]
        self._without_triggers(session, "vote_ballot")
        session.execute(
            text("UPDATE vote_ballot SET choices = :c WHERE id = :i"), {"c": '{"1": "yes"}', "i": victim.id}
        )
        session.expire_all()
        report = vote_service.verify(session, v)
        assert not report.ok and report.tampered_ballots == [victim.id]
        assert report.tally_matches is False
        check = vote_service.check_receipt(session, by=w.person("业主0"), vote_id=v.id, receipt=receipts[0])
        assert check["found"] and not check["chain_intact"] and not check["counted"]
        ok = vote_service.check_receipt(session, by=w.person("业主1"), vote_id=v.id, receipt=receipts[1])
        assert ok["chain_intact"] and ok["counted"]

    def test_forged_ballot_is_named(self, session):
        w, v, _ = self._tallied(session, n=5)
        last = VoteRepository(session).ballots(v.id)[-1]
        # The unique (vote, elector) constraint already refuses a second ballot for a voter; forge with a
        # fresh elector id that is not in the snapshot instead.
        session.execute(
            text("""INSERT INTO vote_ballot (vote_id, compound_id, seq, elector_id, channel, choices,
                                cast_at, prev_hash, row_hash) VALUES (:v, :c, :s, :e, 'online', :ch, :at, :p, :h)"""),
            {
                "v": v.id,
                "c": v.compound_id,
                "s": last.seq + 1,
                "e": self._stray_elector(session, w),
                "ch": '{"1": "yes"}',
                "at": last.cast_at,
                "p": last.row_hash,
                "h": "f" * 64,
            },
        )
        forged = session.execute(
            select(Ballot.id).where(Ballot.vote_id == v.id, Ballot.seq == last.seq + 1)
        ).scalar_one()
        report = vote_service.verify(session, v)
        assert report.tampered_ballots == [forged] and report.tally_matches is False

    def _stray_elector(self, session, w):
        other = w.vote()
        return session.execute(select(Elector.id).where(Elector.vote_id == other.id)).scalars().first()

    def test_edited_electorate_area_is_reported(self, session):
        _w, v, _ = self._tallied(session)
        self._without_triggers(session, "vote_elector")
        session.execute(
            text(
                "UPDATE vote_elector SET area = 999 WHERE vote_id = :v AND id = "
                "(SELECT min(id) FROM vote_elector WHERE vote_id = :v)"
            ),
            {"v": v.id},
        )
        session.expire_all()
        report = vote_service.verify(session, v)
        assert not report.electorate_intact and not report.ok

    def test_verify_command_names_the_tampered_row(self, session):
        from typer.testing import CliRunner

        from anju.cli import app

        _w, v, _ = self._tallied(session)
        # The CLI opens its session through the app's factory, which the fixture bound to this transaction.
        ok = CliRunner().invoke(app, ["votes", "verify", str(v.id)])
        assert ok.exit_code == 0, ok.output
        victim = VoteRepository(session).ballots(v.id)[2]
        self._without_triggers(session, "vote_ballot")
        session.execute(text("UPDATE vote_ballot SET paper_ref = 'x' WHERE id = :i"), {"i": victim.id})
        session.flush()
        bad = CliRunner().invoke(app, ["votes", "verify", str(v.id)])
        assert bad.exit_code == 1 and f"TAMPERED rows [{victim.id}]" in bad.output


class TestPaperRequest:
    def test_r_v16_an_owners_request_for_paper_is_recorded_and_honoured(self, session):
        w = build_world(session, [HouseSpec("101", ("张",)), HouseSpec("102", ("李",))])
        v = w.vote()
        zhang = w.person("张")
        vote_service.request_paper(session, by=zhang, vote_id=v.id, house_id=w.houses["101"])
        with pytest.raises(Conflict, match="already requested"):
            vote_service.request_paper(session, by=zhang, vote_id=v.id, house_id=w.houses["101"])
        with pytest.raises(NotAnOwner):
            vote_service.request_paper(session, by=w.person("李"), vote_id=v.id, house_id=w.houses["101"])
        [(_req, labels, done)] = VoteRepository(session).paper_requests(v.id)
        assert labels == "101" and not done
        vote_service.cast_paper(
            session, by=w.committee, vote_id=v.id, house_id=w.houses["101"], choices=YES, paper_ref="P-9"
        )
        [(_, _, done)] = VoteRepository(session).paper_requests(v.id)
        assert done
