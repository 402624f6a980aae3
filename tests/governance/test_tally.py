"""The 民法典 278 arithmetic, exactly: boundaries, deemed votes, unanimity, and a brute-force recount."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anju.governance.enums import THRESHOLD_OF, Choice, MatterType, Outcome, Threshold
from anju.governance.tally import Weight, decide, quorum_met, tally, tally_item

pytestmark = pytest.mark.db_agnostic  # pure functions: run in the SQLite pass only (scripts/test.sh)

Y, N, A = Choice.yes, Choice.no, Choice.abstain


def _item(
    areas: list[int | str], choices: dict[int, Choice], threshold: Threshold = Threshold.majority, deem: bool = False
):
    electors = {i: Fraction(Decimal(str(a))) for i, a in enumerate(areas)}
    return tally_item(1, threshold, electors, choices, deem_unreturned=deem)


class TestMajority:
    def test_r_v1_exactly_half_yes_fails(self):
        # 4 participants of 4 owners, equal areas: 2 yes is exactly half by headcount and area.
        r = _item([100] * 4, {0: Y, 1: Y, 2: N, 3: N})
        assert r.quorum and r.outcome is Outcome.rejected

    def test_r_v1_one_more_than_half_passes(self):
        r = _item([100] * 5, {0: Y, 1: Y, 2: Y, 3: N, 4: N})
        assert r.outcome is Outcome.passed

    def test_r_v1_exactly_half_area_fails_even_with_owner_majority(self):
        # 3 of 4 owners say yes, but their area is exactly half the participating area.
        r = _item([50, 50, 100, 200], {0: Y, 1: Y, 2: Y, 3: N})
        assert r.yes.owners == 3 and r.yes.area == Fraction(200) and r.participating.area == Fraction(400)
        assert r.outcome is Outcome.rejected

    def test_r_v1_exactly_half_owners_fails_even_with_area_majority(self):
        r = _item([300, 10, 10, 10], {0: Y, 1: Y, 2: N, 3: N})
        assert r.outcome is Outcome.rejected

    def test_r_v1_abstentions_count_as_participants_not_yes(self):
        r = _item([100] * 5, {0: Y, 1: Y, 2: A, 3: A, 4: N})
        assert r.participating.owners == 5 and r.outcome is Outcome.rejected

    def test_r_v3_using_the_repair_fund_is_a_majority_matter(self):
        assert THRESHOLD_OF[MatterType.use_repair_fund] is Threshold.majority
        assert THRESHOLD_OF[MatterType.raise_repair_fund] is Threshold.three_quarters
        # 2 of 3 yes (67 %) passes as a majority matter; the same split fails as a 3/4 matter.
        assert _item([100] * 3, {0: Y, 1: Y, 2: N}, THRESHOLD_OF[MatterType.use_repair_fund]).outcome is Outcome.passed
        assert (
            _item([100] * 3, {0: Y, 1: Y, 2: N}, THRESHOLD_OF[MatterType.raise_repair_fund]).outcome is Outcome.rejected
        )


class TestQuorum:
    def test_r_v1_exactly_two_thirds_participation_meets_quorum(self):
        r = _item([100] * 6, {0: Y, 1: Y, 2: Y, 3: Y})
        assert r.quorum and r.outcome is Outcome.passed

    def test_r_v17_two_thirds_of_7_owners_needs_5(self):
        # 2/3 of 7 is 4.67: 4 owners miss quorum, 5 make it (以上 includes, but 4 < 14/3).
        assert not _item([100] * 7, dict.fromkeys(range(4), Y)).quorum
        assert _item([100] * 7, dict.fromkeys(range(5), Y)).quorum

    def test_r_v17_two_thirds_area_not_divisible_by_three(self):
        # Total 100.00 m²: 2/3 is 66.666…; 66.66 misses, 66.67 makes it.
        total = Weight(3, Fraction(Decimal("100.00")))
        assert not quorum_met(Weight(3, Fraction(Decimal("66.66"))), total)
        assert quorum_met(Weight(2, Fraction(Decimal("66.67"))), total)
        assert quorum_met(Weight(2, Fraction(200, 3)), total)  # the exact boundary is included

    def test_r_v4_quorum_uses_all_owners_and_the_pass_test_uses_participants(self):
        # 4 of 6 owners (exactly 2/3) take part; 3 of those 4 say yes: 3/6 of all owners is only half,
        # but the pass test divides by participants (3/4 > 1/2), so it passes.
        r = _item([100] * 6, {0: Y, 1: Y, 2: Y, 3: N})
        assert r.total.owners == 6 and r.participating.owners == 4
        assert r.outcome is Outcome.passed

    def test_r_v4_missed_quorum_is_invalid_not_rejected(self):
        r = _item([100] * 6, {0: Y, 1: Y, 2: Y})  # unanimous yes, but only half took part
        assert not r.quorum and r.outcome is Outcome.invalid_quorum

    def test_r_v4_area_quorum_missed_even_with_enough_owners(self):
        r = _item([10, 10, 10, 10, 100, 100], {0: Y, 1: Y, 2: Y, 3: Y})
        assert r.participating.owners == 4 and not r.quorum and r.outcome is Outcome.invalid_quorum

    def test_r_v4_no_owners_is_never_a_quorum(self):
        assert not quorum_met(Weight(), Weight())
        assert (
            decide(Threshold.majority, total=Weight(), participating=Weight(), yes=Weight()) is Outcome.invalid_quorum
        )


class TestThreeQuarters:
    def test_r_v2_exactly_three_quarters_passes(self):
        r = _item([100] * 4, {0: Y, 1: Y, 2: Y, 3: N}, Threshold.three_quarters)
        assert r.outcome is Outcome.passed

    def test_r_v2_just_under_three_quarters_fails(self):
        # 5 of 7 participants (71 %) fails; 6 of 7 passes.
        assert (
            _item([100] * 7, {0: Y, 1: Y, 2: Y, 3: Y, 4: Y, 5: N, 6: N}, Threshold.three_quarters).outcome
            is Outcome.rejected
        )
        assert (
            _item([100] * 7, {0: Y, 1: Y, 2: Y, 3: Y, 4: Y, 5: Y, 6: N}, Threshold.three_quarters).outcome
            is Outcome.passed
        )

    def test_r_v17_three_quarters_of_area_not_divisible_by_four(self):
        # Participating area 100.01: 3/4 is 75.0075; yes-area 75.00 fails, 75.01 passes.
        r = tally_item(
            1,
            Threshold.three_quarters,
            {0: Fraction(Decimal("75.00")), 1: Fraction(Decimal("25.01")), 2: Fraction(0), 3: Fraction(0)},
            {0: Y, 1: N, 2: Y, 3: Y},
        )
        assert r.yes.owners == 3 and r.outcome is Outcome.rejected  # 75.00 / 100.01 < 3/4
        r = tally_item(
            1,
            Threshold.three_quarters,
            {0: Fraction(Decimal("75.01")), 1: Fraction(Decimal("25.00")), 2: Fraction(0), 3: Fraction(0)},
            {0: Y, 1: N, 2: Y, 3: Y},
        )
        assert r.outcome is Outcome.passed  # 75.01 / 100.01 ≥ 3/4

    def test_r_v2_needs_quorum_too(self):
        r = _item([100] * 4, {0: Y, 1: Y}, Threshold.three_quarters)
        assert r.outcome is Outcome.invalid_quorum


class TestUnanimity:
    def test_r_v10_a_majority_is_not_enough(self):
        r = _item([100] * 10, dict.fromkeys(range(9), Y) | {9: N}, Threshold.unanimity)
        assert r.outcome is Outcome.rejected

    def test_r_v10_a_missing_consent_is_not_consent(self):
        r = _item([100] * 3, {0: Y, 1: Y}, Threshold.unanimity, deem=True)
        assert r.outcome is Outcome.rejected and not r.deem_enabled

    def test_r_v10_everyone_consents_passes(self):
        assert _item([100] * 3, {0: Y, 1: Y, 2: Y}, Threshold.unanimity).outcome is Outcome.passed


class TestDeemed:
    def test_r_v9_off_by_default_and_reported_apart(self):
        r = _item([100] * 6, {0: Y, 1: Y, 2: Y})
        assert not r.deem_enabled and r.deemed == Weight() and r.outcome is Outcome.invalid_quorum

    def test_r_v9_unreturned_join_the_majority_only_behind_the_flag(self):
        r = _item([100] * 6, {0: Y, 1: Y, 2: N}, deem=True)
        assert r.outcome is Outcome.invalid_quorum  # the actual result stays as it was
        assert r.deemed_side is Choice.yes and r.deemed == Weight(3, Fraction(300))
        assert r.outcome_with_deemed is Outcome.passed and r.official is Outcome.passed

    def test_r_v9_no_clear_majority_deems_nothing(self):
        r = _item([100, 100, 300, 100], {0: Y, 1: Y, 2: N}, deem=True)  # yes ahead by owners, no by area
        assert r.deemed_side is None and r.deemed == Weight() and r.official is r.outcome


def _brute(areas: list[Decimal], ballots: dict[int, Choice], threshold: Threshold) -> Outcome:
    """A second, independent recount in integers: areas in hundredths, thresholds by cross-multiplying."""
    cents = [int(a * 100) for a in areas]
    n_all, a_all = len(areas), sum(cents)
    part = list(ballots)
    n_p, a_p = len(part), sum(cents[i] for i in part)
    yes = [i for i, c in ballots.items() if c is Choice.yes]
    n_y, a_y = len(yes), sum(cents[i] for i in yes)
    if threshold is Threshold.unanimity:
        return Outcome.passed if n_all and n_y == n_all else Outcome.rejected
    if not (n_all and 3 * n_p >= 2 * n_all and 3 * a_p >= 2 * a_all):
        return Outcome.invalid_quorum
    if n_p == 0:
        return Outcome.rejected
    if threshold is Threshold.three_quarters:
        ok = 4 * n_y >= 3 * n_p and 4 * a_y >= 3 * a_p
    else:
        ok = 2 * n_y > n_p and 2 * a_y > a_p
    return Outcome.passed if ok else Outcome.rejected


_area = st.decimals(min_value=Decimal("0.00"), max_value=Decimal("400.00"), places=2, allow_nan=False)


@st.composite
def _votes(draw):
    areas = draw(st.lists(_area, min_size=1, max_size=25))
    chosen = draw(st.lists(st.sampled_from(range(len(areas))), unique=True))
    ballots = {i: draw(st.sampled_from(list(Choice))) for i in chosen}
    return areas, ballots


@settings(max_examples=400, deadline=None)
@given(_votes(), st.sampled_from(list(Threshold)))
def test_r_v17_tally_equals_a_brute_force_recount(case, threshold):
    areas, ballots = case
    electors = {i: Fraction(a) for i, a in enumerate(areas)}
    [r] = tally(threshold, [1], electors, {e: {1: c} for e, c in ballots.items()})
    assert r.outcome is _brute(areas, ballots, threshold)
    assert r.participating.owners == len(ballots)
    assert r.yes.owners + r.no.owners + r.abstain.owners == len(ballots)


@settings(max_examples=200, deadline=None)
@given(_votes())
def test_r_v9_deemed_tally_equals_recount_with_unreturned_added(case):
    areas, ballots = case
    electors = {i: Fraction(a) for i, a in enumerate(areas)}
    r = tally_item(1, Threshold.majority, electors, ballots, deem_unreturned=True)
    assert r.outcome is _brute(areas, ballots, Threshold.majority)  # actual result unaffected by the flag
    if r.deemed_side is not None:
        filled = dict(ballots) | {i: r.deemed_side for i in range(len(areas)) if i not in ballots}
        assert r.outcome_with_deemed is _brute(areas, filled, Threshold.majority)
    else:
        assert r.deemed == Weight()
