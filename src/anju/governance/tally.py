"""The double-majority arithmetic of 民法典 278, in exact fractions (R-V1, R-V2, R-V4, R-V9, R-V10, R-V17).

Pure functions over plain data: the service feeds them the electorate snapshot and the
ballots, the verifier feeds them the same rows again, and the property tests compare
them with a brute-force recount. No floats anywhere: areas arrive as Decimal and become
Fraction, every threshold is a Fraction comparison.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from anju.core.kit.fractions import frac as frac  # re-exported: the tally's arithmetic
from anju.core.kit.fractions import to_decimal as to_decimal
from anju.governance.enums import Choice, Outcome, Threshold

QUORUM = Fraction(2, 3)  # 参与表决 "三分之二以上": the boundary is included
HALF = Fraction(1, 2)  # "过半数": strictly more than half
THREE_QUARTERS = Fraction(3, 4)  # "四分之三以上": the boundary is included


@dataclass(frozen=True)
class Weight:
    """A headcount of owners and their summed exclusive area."""

    owners: int = 0
    area: Fraction = Fraction(0)

    def __add__(self, other: Weight) -> Weight:
        return Weight(self.owners + other.owners, self.area + other.area)

    def __sub__(self, other: Weight) -> Weight:
        return Weight(self.owners - other.owners, self.area - other.area)

    def as_json(self) -> dict[str, Any]:
        return {"owners": self.owners, "area": str(self.area)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Weight:
        return cls(int(data["owners"]), Fraction(data["area"]))


@dataclass(frozen=True)
class ItemResult:
    position: int
    threshold: Threshold
    total: Weight
    participating: Weight
    yes: Weight
    no: Weight
    abstain: Weight
    quorum: bool
    outcome: Outcome  # from actual ballots only
    deem_enabled: bool = False
    deemed_side: Choice | None = None
    deemed: Weight = field(default_factory=Weight)  # unreturned ballots counted with the majority (R-V9)
    outcome_with_deemed: Outcome | None = None

    @property
    def official(self) -> Outcome:
        """The outcome the meeting adopts: with deemed votes only when the flag was on."""
        return self.outcome_with_deemed if self.deem_enabled and self.outcome_with_deemed else self.outcome

    def as_json(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "threshold": self.threshold.value,
            "total": self.total.as_json(),
            "participating": self.participating.as_json(),
            "yes": self.yes.as_json(),
            "no": self.no.as_json(),
            "abstain": self.abstain.as_json(),
            "quorum": self.quorum,
            "outcome": self.outcome.value,
            "deem_enabled": self.deem_enabled,
            "deemed_side": self.deemed_side.value if self.deemed_side else None,
            "deemed": self.deemed.as_json(),
            "outcome_with_deemed": self.outcome_with_deemed.value if self.outcome_with_deemed else None,
            "official": self.official.value,
        }


def quorum_met(participating: Weight, total: Weight) -> bool:
    """R-V1/R-V4: ≥ 2/3 of ALL owners and ≥ 2/3 of the TOTAL area took part (以上 includes the boundary)."""
    if total.owners == 0:
        return False
    return Fraction(participating.owners) >= QUORUM * total.owners and participating.area >= QUORUM * total.area


def passes(threshold: Threshold, yes: Weight, participating: Weight) -> bool:
    """The pass test uses the participants as denominators (R-V4)."""
    if participating.owners == 0:
        return False
    if threshold is Threshold.three_quarters:  # R-V2: exactly 3/4 passes
        return (
            Fraction(yes.owners) >= THREE_QUARTERS * participating.owners
            and yes.area >= THREE_QUARTERS * participating.area
        )
    # R-V1: strictly more than half; exactly half fails
    return Fraction(yes.owners) > HALF * participating.owners and yes.area > HALF * participating.area


def decide(threshold: Threshold, *, total: Weight, participating: Weight, yes: Weight) -> Outcome:
    if threshold is Threshold.unanimity:
        # R-V10: every interested owner must consent; a majority is not enough.
        return Outcome.passed if total.owners > 0 and yes.owners == total.owners else Outcome.rejected
    if not quorum_met(participating, total):
        return Outcome.invalid_quorum
    return Outcome.passed if passes(threshold, yes, participating) else Outcome.rejected


def majority_side(yes: Weight, no: Weight) -> Choice | None:
    """The side unreturned ballots join under R-V9: only a side ahead by both headcount and area."""
    if yes.owners > no.owners and yes.area > no.area:
        return Choice.yes
    if no.owners > yes.owners and no.area > yes.area:
        return Choice.no
    return None


def tally_item(
    position: int,
    threshold: Threshold,
    electors: Mapping[int, Fraction],
    choices: Mapping[int, Choice],
    *,
    deem_unreturned: bool = False,
) -> ItemResult:
    """Tally one agenda item. `electors`: elector id → area; `choices`: elector id → choice."""
    # Sum in integers over one common denominator (exact, and fast for thousands of owners).
    denominator = math.lcm(*{a.denominator for a in electors.values()}) if electors else 1
    scaled = {e: a.numerator * (denominator // a.denominator) for e, a in electors.items()}
    counts = dict.fromkeys(Choice, 0)
    areas = dict.fromkeys(Choice, 0)
    for elector_id, choice in choices.items():
        counts[choice] += 1
        areas[choice] += scaled[elector_id]
    total = Weight(len(electors), Fraction(sum(scaled.values()), denominator))
    buckets = {c: Weight(counts[c], Fraction(areas[c], denominator)) for c in Choice}
    participating = buckets[Choice.yes] + buckets[Choice.no] + buckets[Choice.abstain]
    yes, no = buckets[Choice.yes], buckets[Choice.no]
    outcome = decide(threshold, total=total, participating=participating, yes=yes)
    result = ItemResult(
        position,
        threshold,
        total,
        participating,
        yes,
        no,
        buckets[Choice.abstain],
        quorum_met(participating, total),
        outcome,
    )
    if not deem_unreturned or threshold is Threshold.unanimity:
        return result
    side = majority_side(yes, no)
    unreturned = total - participating
    deemed = unreturned if side is not None else Weight()
    with_deemed = decide(
        threshold, total=total, participating=participating + deemed, yes=yes + deemed if side is Choice.yes else yes
    )
    return ItemResult(
        position,
        threshold,
        total,
        participating,
        yes,
        no,
        buckets[Choice.abstain],
        result.quorum,
        outcome,
        True,
        side,
        deemed,
        with_deemed,
    )


def tally(
    threshold: Threshold,
    positions: Iterable[int],
    electors: Mapping[int, Fraction],
    ballots: Mapping[int, Mapping[int, Choice]],
    *,
    deem_unreturned: bool = False,
) -> list[ItemResult]:
    """Tally every agenda item; `ballots`: elector id → {position → choice}."""
    return [
        tally_item(p, threshold, electors, {e: b[p] for e, b in ballots.items()}, deem_unreturned=deem_unreturned)
        for p in positions
    ]
