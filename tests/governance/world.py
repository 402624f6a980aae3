"""A tiny compound built per test, so electorate rules are checked against exact, known areas."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from anju.accounts.models import User
from anju.accounts.service import account_service
from anju.core.auth import Principal
from anju.core.db import utcnow
from anju.core.rbac import Role
from anju.governance.enums import MatterType
from anju.governance.models import Vote
from anju.governance.schemas import AgendaItemIn, VoteCreate
from anju.governance.service import vote_service
from anju.registry.enums import HouseStatus, OccupancyRole
from anju.registry.models import Building, Compound, House, Occupancy, Person, Unit

_n = itertools.count(1)


@dataclass
class HouseSpec:
    label: str
    owners: tuple[str, ...] = ()  # person names; the first is the owner, the rest co-owners
    registered: str | None = "100.00"
    surveyed: str | None = None
    contract: str | None = None
    tenants: tuple[str, ...] = ()
    building: str = "1"
    status: HouseStatus = HouseStatus.self_occupied


@dataclass
class World:
    compound_id: int
    houses: dict[str, int] = field(default_factory=dict)
    people: dict[str, int] = field(default_factory=dict)
    committee: Principal | None = None
    _session: Session | None = None

    def person(self, name: str) -> Principal:
        """A resident principal for `name` (a user row without a password check)."""
        assert self._session is not None
        s = self._session
        user = User(
            username=f"w{next(_n)}_{self.people[name]}",
            display_name=name,
            password_hash="x",
            role=Role.resident,
            person_id=self.people[name],
        )
        s.add(user)
        s.flush()
        return account_service.principal(s, user)

    def vote(
        self,
        matter: MatterType = MatterType.other_major,
        *,
        items: int = 1,
        publish: bool = True,
        open_now: bool = True,
        subject: str | None = None,
        deem_clause: str | None = None,
    ) -> Vote:
        """A vote published 16 days ago and open now (unless told otherwise)."""
        assert self._session is not None and self.committee is not None
        s, now = self._session, utcnow()
        v = vote_service.create(
            s,
            by=self.committee,
            data=VoteCreate(
                compound_id=self.compound_id,
                title="测试表决",
                matter_type=matter,
                subject_house_id=self.houses[subject] if subject else None,
                opens_at=now - timedelta(days=1),
                closes_at=now + timedelta(days=10),
                items=[AgendaItemIn(title=f"议题 {k}") for k in range(1, items + 1)],
            ),
        )
        if deem_clause:
            vote_service.set_deem_rule(s, by=self.committee, vote_id=v.id, enabled=True, clause=deem_clause)
        if publish:
            vote_service.publish(s, by=self.committee, vote_id=v.id, now=now - timedelta(days=16))
            if open_now:
                vote_service.advance(s, v, now=now)
        return v


def build_world(session: Session, houses: list[HouseSpec]) -> World:
    """Compound → buildings → one unit each → houses with owners, co-owners and tenants."""
    k = next(_n)
    c = Compound(code=f"GW{k}", name=f"表决测试小区{k}", address="测试路 1 号")
    session.add(c)
    session.flush()
    world = World(c.id, _session=session)
    units: dict[str, Unit] = {}
    for spec in houses:
        if spec.building not in units:
            b = Building(compound_id=c.id, number=spec.building, name=f"{spec.building}号楼", floors=6)
            session.add(b)
            session.flush()
            u = Unit(compound_id=c.id, building_id=b.id, number="1", floors=6)
            session.add(u)
            session.flush()
            units[spec.building] = u
        u = units[spec.building]
        h = House(
            compound_id=c.id,
            building_id=u.building_id,
            unit_id=u.id,
            floor=1,
            number=spec.label,
            label=spec.label,
            status=spec.status,
            registered_area=Decimal(spec.registered) if spec.registered else None,
            surveyed_area=Decimal(spec.surveyed) if spec.surveyed else None,
            contract_area=Decimal(spec.contract) if spec.contract else None,
        )
        session.add(h)
        session.flush()
        world.houses[spec.label] = h.id
        roles = [(n, OccupancyRole.owner if i == 0 else OccupancyRole.co_owner) for i, n in enumerate(spec.owners)]
        for name, role in roles + [(t, OccupancyRole.tenant) for t in spec.tenants]:
            if name not in world.people:
                p = Person(compound_id=c.id, name=name)
                session.add(p)
                session.flush()
                world.people[name] = p.id
            session.add(
                Occupancy(
                    compound_id=c.id,
                    house_id=h.id,
                    person_id=world.people[name],
                    role=role,
                    started_on=date(2020, 1, 1),
                )
            )
    session.flush()
    committee = User(
        username=f"wc{k}",
        display_name="委员",
        password_hash="x",
        role=Role.committee_member,
        person_id=next(iter(world.people.values())) if world.people else None,
    )
    session.add(committee)
    session.flush()
    world.committee = account_service.principal(session, committee)
    if not world.committee.compound_ids:  # a compound with no people: scope the committee by hand
        world.committee = Principal(
            user_id=committee.id,
            username=committee.username,
            display_name="委员",
            role=Role.committee_member,
            compound_ids=frozenset({c.id}),
        )
    return world


def at(days: float) -> datetime:
    return utcnow() + timedelta(days=days)
