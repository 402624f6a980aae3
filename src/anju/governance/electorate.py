"""Who the owners are, as 民法典 278 and SPC 区分所有权 第9条 count them (R-V5, R-V6, R-V10).

Pure functions over plain data, like tally.py: the electorate service feeds them the registry's
current owner links, the property tests feed them random ownerships and compare with a brute force.

An owner is identified by the SET of people registered as owner or co-owner of an exclusive part:

- One exclusive part is one owner. Its co-owners together are that one owner: any of them may cast
  its one ballot, and the second is refused as already voted (R-V5).
- 同一买受人拥有一个以上专有部分的，按一人计算: the same buyer of several parts counts once, with the
  areas summed (R-V5). The same buyer is the same set of people: a couple who co-own two flats is one
  owner with one ballot, whichever of them the registry lists first on each flat (the order of the
  names on a title is not who the buyer is).
- A different set is a different buyer: A alone on one flat and A with B on another are two owners
  (two ballots; A may cast either, B only the second).
- The parts with no recorded owner are the developer's (unsold, or sold but not delivered) and
  together count as one owner, their areas still counted (R-V6).
- R-V10: the applicant for turning a home into business premises is the owner of the subject part
  (its set of people); every other owner of the building is an interested owner, including a set
  that shares some but not all of the applicant's people.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

DEVELOPER_KEY = "developer"
KEY_LENGTH = 32  # vote_elector.key

T = TypeVar("T")


def owner_key(people: Collection[int]) -> str:
    """The stable key of one owner: "person:42", "owners:7+42", or a digest for very large sets.

    It depends on the set only, never on the order the registry lists the people in.
    """
    ids = sorted(set(people))
    if not ids:
        return DEVELOPER_KEY
    if len(ids) == 1:
        return f"person:{ids[0]}"
    key = "owners:" + "+".join(str(i) for i in ids)
    if len(key) <= KEY_LENGTH:
        return key
    return "owners#" + hashlib.sha256(key.encode()).hexdigest()[: KEY_LENGTH - 7]


@dataclass
class OwnerGroup(Generic[T]):
    """One owner as the law counts them: its people (empty for the developer) and its parts."""

    key: str
    people: frozenset[int]
    parts: list[T] = field(default_factory=list)

    @property
    def is_developer(self) -> bool:
        return self.key == DEVELOPER_KEY

    @property
    def person_id(self) -> int | None:
        """The representative person (the lowest id); every one of `people` may cast the ballot."""
        return min(self.people) if self.people else None


def group_owners(parts: Iterable[tuple[T, Collection[int]]], *, exclude: Collection[int] = ()) -> list[OwnerGroup[T]]:
    """Group exclusive parts by owner identity (the set of their owners and co-owners).

    `parts` yields (part, people who own it); `exclude` is the applicant's set of people under R-V10:
    a part owned by exactly that set is the applicant's and is left out. Developers' parts (no owner)
    form one group, listed last.
    """
    applicant = frozenset(exclude)
    groups: dict[str, OwnerGroup[T]] = {}
    for part, people in parts:
        owners = frozenset(people)
        if applicant and owners == applicant:
            continue
        key = owner_key(owners)
        groups.setdefault(key, OwnerGroup(key, owners)).parts.append(part)
    return sorted(groups.values(), key=lambda g: (g.is_developer, g.person_id or 0, g.key))
