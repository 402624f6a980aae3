"""The electorate: owners as the law counts them, snapshotted when a vote is published (R-V5…R-V7, R-V10).

Who an owner is (the set of co-owners) is decided in electorate.py; this module reads the registry
as it stands, stores the snapshot a tally is recomputed from, and digests it for verification.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from anju.governance.chain import area_str, sha
from anju.governance.electorate import DEVELOPER_KEY, OwnerGroup, group_owners
from anju.governance.enums import MatterType
from anju.governance.models import Elector, ElectorHouse, ElectorPerson, Vote
from anju.governance.repository import VoteRepository
from anju.registry.enums import AreaSource
from anju.registry.models import House

DEVELOPER_LABEL = "开发建设单位"
LABEL_LENGTH = 128  # vote_elector.label

PartArea = tuple[House, Decimal, AreaSource | None]


class ElectorateService:
    def groups(
        self, session: Session, *, compound_id: int, matter_type: MatterType, subject_house_id: int | None = None
    ) -> list[OwnerGroup[PartArea]]:
        """The owners as the law counts them (R-V5, R-V6, R-V7, R-V10), from the registry as it stands."""
        repo = VoteRepository(session)
        building_id = None
        if matter_type is MatterType.residence_to_business and subject_house_id is not None:
            subject = session.get(House, subject_house_id)
            assert subject is not None
            building_id = subject.building_id
        per_house: dict[int, tuple[House, list[int]]] = {}
        for house, person_id, _role in repo.owner_links(compound_id, building_id):
            entry = per_house.setdefault(house.id, (house, []))
            if person_id is not None and person_id not in entry[1]:
                entry[1].append(person_id)
        applicant: frozenset[int] = frozenset()
        if building_id is not None and subject_house_id is not None:
            # R-V10: the applicant (the subject part's owner) is not one of the "other" interested owners.
            applicant = frozenset(per_house.get(subject_house_id, (None, []))[1])
            per_house.pop(subject_house_id, None)

        def part(house: House) -> PartArea:
            area, source = house.exclusive_area  # R-V7: registered > surveyed > contract
            return house, area if area is not None else Decimal(0), source

        return group_owners(((part(h), owners) for h, owners in per_house.values()), exclude=applicant)

    def snapshot(self, session: Session, vote: Vote) -> tuple[str, int, Decimal]:
        """Store the electorate of a vote being published; returns (digest, owners, total area)."""
        groups = self.groups(
            session, compound_id=vote.compound_id, matter_type=vote.matter_type, subject_house_id=vote.subject_house_id
        )
        names = VoteRepository(session).person_names({p for g in groups for p in g.people})
        electors = [
            Elector(
                vote_id=vote.id,
                key=g.key,
                person_id=g.person_id,
                is_developer=g.is_developer,
                label=_label(g, names),
                area=sum((a for _, a, _ in g.parts), Decimal(0)),
                house_count=len(g.parts),
            )
            for g in groups
        ]
        session.add_all(electors)
        session.flush()  # one batched INSERT … RETURNING for all ids
        for g, e in zip(groups, electors, strict=True):
            session.add_all(
                ElectorHouse(
                    vote_id=vote.id, elector_id=e.id, house_id=h.id, house_label=h.label, area=a, area_source=src
                )
                for h, a, src in g.parts
            )
            session.add_all(ElectorPerson(vote_id=vote.id, elector_id=e.id, person_id=p) for p in sorted(g.people))
        session.flush()
        return (
            self.digest(session, vote.id),
            len(groups),
            sum((sum((a for _, a, _ in g.parts), Decimal(0)) for g in groups), Decimal(0)),
        )

    def digest(self, session: Session, vote_id: int) -> str:
        """A digest of the snapshot as stored: recomputed at verification to catch an edited area or owner."""
        repo = VoteRepository(session)
        electors = repo.elector_rows(vote_id)
        keys = {e.id: e.key for e in electors}
        return sha(
            {
                "electors": sorted(
                    [e.key, e.person_id, bool(e.is_developer), area_str(e.area), e.house_count] for e in electors
                ),
                "houses": sorted(
                    [
                        keys.get(h.elector_id),
                        h.house_id,
                        area_str(h.area),
                        str(h.area_source) if h.area_source else None,
                    ]
                    for h in repo.elector_house_rows(vote_id)
                ),
                "people": sorted([keys.get(p.elector_id), p.person_id] for p in repo.elector_person_rows(vote_id)),
            }
        )


def _label(group: OwnerGroup[PartArea], names: dict[int, str]) -> str:
    if group.key == DEVELOPER_KEY:
        return DEVELOPER_LABEL
    return "、".join(names.get(p, f"#{p}") for p in sorted(group.people))[:LABEL_LENGTH]


electorate_service = ElectorateService()
