"""Issue 20, item 14: co-owners are one owner, identified by the set of their people (R-V5).

SPC 区分所有权 第9条: 同一买受人拥有一个以上专有部分的，按一人计算. A couple who co-own two flats is one
buyer however the registry ordered their names on each title: one owner, areas summed, one ballot.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anju.governance.electorate import DEVELOPER_KEY, group_owners, owner_key
from anju.governance.enums import EventKind, MatterType, Outcome
from anju.governance.exceptions import AlreadyVoted, NotAnOwner
from anju.governance.repository import VoteRepository
from anju.governance.service import vote_service
from tests.governance.test_votes import _close, _electors
from tests.governance.world import HouseSpec, build_world

YES = {"1": "yes"}
NO = {"1": "no"}


def test_r_v5_a_couple_listed_in_either_order_on_two_flats_is_one_owner_with_one_ballot(session):
    w = build_world(
        session,
        [
            HouseSpec("101", ("甲", "乙"), "90.00"),
            HouseSpec("102", ("乙", "甲"), "60.50"),  # the other spouse registered first
            HouseSpec("103", ("丙",), "80.00"),
        ],
    )
    v = w.vote()
    e = _electors(session, v)
    couple = e[owner_key({w.people["甲"], w.people["乙"]})]
    assert len(e) == 2 and couple.house_count == 2 and Decimal(couple.area) == Decimal("150.50")
    assert set(couple.label.split("、")) == {"甲", "乙"}
    ballot = vote_service.cast(session, by=w.person("甲"), vote_id=v.id, house_id=w.houses["101"], choices=YES)
    with pytest.raises(AlreadyVoted):  # the other co-owner, through the other flat: the same owner
        vote_service.cast(session, by=w.person("乙"), vote_id=v.id, house_id=w.houses["102"], choices=NO)
    assert len(VoteRepository(session).ballots(v.id)) == 1
    # The receipt follows the same identity: the co-owner sees the owner's ballot and its choices.
    other = w.person("乙")
    check = vote_service.check_receipt(session, by=other, vote_id=v.id, receipt=ballot.row_hash)
    assert check["found"] and check["choices"] == YES
    assert [b.id for b in VoteRepository(session).ballots_cast_by(w.people["乙"])] == [ballot.id]
    assert (
        vote_service.check_receipt(session, by=w.person("丙"), vote_id=v.id, receipt=ballot.row_hash)["choices"] is None
    )


def test_r_v5_double_counted_co_owners_no_longer_change_the_outcome(session):
    # Before: 甲's flat and 乙's flat were two owners, so the couple's two "yes" beat 丙 and 丁 on headcount.
    w = build_world(
        session,
        [
            HouseSpec("101", ("甲", "乙"), "50.00"),
            HouseSpec("102", ("乙", "甲"), "50.00"),
            HouseSpec("103", ("丙",), "40.00"),
            HouseSpec("104", ("丁",), "40.00"),
        ],
    )
    v = w.vote()
    assert len(_electors(session, v)) == 3
    vote_service.cast(session, by=w.person("甲"), vote_id=v.id, house_id=w.houses["101"], choices=YES)
    with pytest.raises(AlreadyVoted):
        vote_service.cast(session, by=w.person("乙"), vote_id=v.id, house_id=w.houses["102"], choices=YES)
    vote_service.cast(session, by=w.person("丙"), vote_id=v.id, house_id=w.houses["103"], choices=NO)
    vote_service.cast(session, by=w.person("丁"), vote_id=v.id, house_id=w.houses["104"], choices=NO)
    [item] = _close(session, w, v)
    assert item["participating"]["owners"] == 3 and item["yes"]["owners"] == 1
    assert item["official"] == Outcome.rejected  # 1 of 3 owners: not a headcount majority


def test_r_v5_a_different_set_of_people_is_a_different_owner(session):
    w = build_world(session, [HouseSpec("101", ("甲",), "70.00"), HouseSpec("102", ("甲", "乙"), "80.00")])
    v = w.vote()
    e = _electors(session, v)
    assert set(e) == {f"person:{w.people['甲']}", owner_key({w.people["甲"], w.people["乙"]})}
    jia, yi = w.person("甲"), w.person("乙")
    with pytest.raises(NotAnOwner):  # 乙 is not an owner of 甲's own flat
        vote_service.cast(session, by=yi, vote_id=v.id, house_id=w.houses["101"], choices=YES)
    vote_service.cast(session, by=yi, vote_id=v.id, house_id=w.houses["102"], choices=YES)
    vote_service.cast(session, by=jia, vote_id=v.id, house_id=w.houses["101"], choices=NO)
    with pytest.raises(AlreadyVoted):
        vote_service.cast(session, by=jia, vote_id=v.id, house_id=w.houses["102"], choices=NO)


def test_r_v5_the_electorate_digest_does_not_depend_on_registry_order(session):
    w = build_world(session, [HouseSpec("101", ("甲", "乙")), HouseSpec("102", ("乙", "甲"))])
    v = w.vote()
    published = VoteRepository(session).last_event(v.id, EventKind.published)
    assert published.payload["owners"] == 1
    assert vote_service.verify(session, v).ok


def test_r_v10_the_applicant_couple_is_left_out_whichever_of_them_is_listed_first(session):
    w = build_world(
        session,
        [
            HouseSpec("1-101", ("申", "配偶")),
            HouseSpec("1-102", ("配偶", "申")),  # the applicants' other flat in the building
            HouseSpec("1-103", ("申", "邻")),  # shares one person only: 邻 is an interested owner
            HouseSpec("1-104", ("甲",)),
        ],
    )
    v = w.vote(MatterType.residence_to_business, subject="1-101")
    e = _electors(session, v)
    assert set(e) == {owner_key({w.people["申"], w.people["邻"]}), f"person:{w.people['甲']}"}


# --- the grouping against a brute force ----------------------------------------------------------------
PEOPLE = st.lists(st.integers(min_value=1, max_value=5), max_size=3)


@st.composite
def _ownerships(draw):
    n = draw(st.integers(min_value=0, max_value=12))
    return [(house, draw(PEOPLE), draw(st.integers(min_value=0, max_value=20000))) for house in range(n)]


def _brute(parts):
    """Owners by the letter of the rule: distinct sets of people, plus one developer for ownerless parts."""
    owners: dict[frozenset[int], list[int]] = {}
    for house, people, _ in parts:
        owners.setdefault(frozenset(people), []).append(house)
    return {k: sorted(v) for k, v in owners.items()}


@settings(max_examples=300, deadline=None)
@given(_ownerships(), st.randoms(use_true_random=False))
def test_r_v5_grouping_equals_a_brute_force_and_ignores_the_order_of_names(parts, rnd):
    shuffled = [(h, rnd.sample(people, len(people)), a) for h, people, a in parts]
    rnd.shuffle(shuffled)
    for variant in (parts, shuffled):
        groups = group_owners(((h, a), people) for h, people, a in variant)
        got = {g.people: sorted(h for h, _ in g.parts) for g in groups}
        assert got == _brute(parts)
        assert len({g.key for g in groups}) == len(groups)
        developer = [g for g in groups if g.key == DEVELOPER_KEY]
        assert len(developer) <= 1 and all(not g.people for g in developer)
        by_people = {g.people: sum(a for _, a in g.parts) for g in groups}
        for people, houses in _brute(parts).items():
            assert by_people[people] == sum(a for h, _, a in parts if h in houses)


def test_r_v5_owner_keys_fit_the_column_and_stay_distinct():
    many = set(range(10_000_000, 10_000_040))
    assert len(owner_key(many)) <= 32 and owner_key(many) == owner_key(sorted(many, reverse=True))
    assert owner_key(many) != owner_key(many - {10_000_000})
    assert owner_key({7, 42}) == owner_key([42, 7]) == "owners:7+42"


NAMES = ("甲", "乙", "丙", "丁")


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(st.sampled_from(NAMES), unique=True, max_size=3), min_size=1, max_size=6))
def test_r_v5_the_published_electorate_equals_a_brute_force_over_random_registries(session, owners_per_house):
    specs = [HouseSpec(f"{k:03d}", tuple(o), f"{50 + k}.25") for k, o in enumerate(owners_per_house, start=1)]
    w = build_world(session, specs)
    v = w.vote()
    expected: dict[frozenset[str], Decimal] = {}
    for spec in specs:
        key = frozenset(spec.owners)
        expected[key] = expected.get(key, Decimal(0)) + Decimal(spec.registered)
    names = {pid: name for name, pid in w.people.items()}
    repo = VoteRepository(session)
    people: dict[int, set[str]] = {}
    for row in repo.elector_people(v.id):
        people.setdefault(row.elector_id, set()).add(names[row.person_id])
    got = {frozenset(people.get(e.id, set())): Decimal(e.area) for e in repo.electors(v.id)}
    assert got == expected
    assert VoteRepository(session).last_event(v.id, EventKind.published).payload["owners"] == len(expected)
