"""A simulated district (issue 19 item 5): N compounds of 200-3,000 houses and a day of their traffic.

The world (`plan_district`, `build_district`) and the day (`DistrictDay`) are deterministic by seed: the same seed
gives the same compounds (sizes, structure, devices) and the same events, and each compound's events come from
random streams of its own (seed, compound, kind), so a compound plays the same day whichever process plays it
(`anju.sim.district_workers` splits the compounds over M processes). `anju simulate --district N` and
`bench/bench_district_day.py` both build and play through here; the bench adds its timings, baselines and faults.

- World: compound sizes drawn in 200-3,000 houses with varied floors/units/houses per floor; each compound gets its
  structure (registry generator), its devices (smoke detectors on every floor of every unit, lifts, gas, pumps…:
  the mix follows the structure), the demo's gates and terminals, a car park with an entry and an exit lane on
  the south gate's barrier and camera (parking service; unregistered cars enter as temporary parking) and a
  6-checkpoint night patrol route. Compounds are found by code (`D000`…): building again adds nothing.
- Day (China time, from --start-hour, on the earliest recent day after the compounds' latest device time:
  `place_day`), played slot by slot, each slot's actions in simulated-time order: every device reports at its
  type's typical rate (`anju.sim.district_rates`), with alarm episodes (smoke, gas, leak, manhole cover, lift,
  pump, tank, SOS, street light) that trip the type's default rule; card passages at 4 per house per day shaped by
  the hour (morning and evening peaks) through the real gate decision service, 2% of them a terminal's offline
  replay; barrier-gate plate captures at 1.2 per house per day (out in the morning, in in the evening, 1% retried
  by the camera with the same event id) through the parking lane service; walk-in visitors at the desk (0.15 per
  house per day), common-area work orders (0.02 per house per day) and a patrol round every 2 hours (5% of the
  QR check-ins sent twice with the same client id). Each is its own transaction through its domain's service;
  telemetry goes through the intake in batches (handed over when full or `flush_ms` after its first message), in
  this process or through gateway processes in an MQTT shared subscription.
- Ledger: per kind, what was sent and what is stored (by the run id in each event's own unique mark); per alarm
  kind, the alarm messages sent and the alarms they raised (by the message id in the alarm's evidence); lost and
  doubled must be 0.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from anju.core.auth import Principal
from anju.core.db import new_session, transaction
from anju.core.rbac import Role
from anju.sim.district_rates import ALARMS_PER_DAY, RESTORE_AFTER, alarm_values, phase_seconds, report_seconds

MIN_HOUSES, MAX_HOUSES = 200, 3000
CODE_PREFIX = "D"

# Share of a day's passages in each China-time hour: night, morning peak, day, evening peak.
HOUR_WEIGHT = [
    0.2,
    0.1,
    0.1,
    0.1,
    0.2,
    0.6,
    2.0,
    4.0,
    4.0,
    2.0,
    1.2,
    1.2,
    1.5,
    1.2,
    1.0,
    1.0,
    1.4,
    2.5,
    4.0,
    3.5,
    2.0,
    1.5,
    0.8,
    0.4,
]


def passages_share(at: datetime, minutes: float) -> float:
    """The share of a day's passages falling in [at, at + minutes) (by the China-time hour at its start)."""
    return HOUR_WEIGHT[(at.hour + 8) % 24] / sum(HOUR_WEIGHT) * minutes / 60.0


@dataclass(frozen=True)
class CompoundPlan:
    code: str
    name: str
    address: str
    buildings: int
    units: int
    floors: int
    per_floor: int

    @property
    def houses(self) -> int:
        return self.buildings * self.units * self.floors * self.per_floor


def plan_district(n: int, *, seed: int) -> list[CompoundPlan]:
    """n compounds' structure, drawn from the seed: each between 200 and 3,000 houses."""
    rng = random.Random(f"district-world-{seed}")
    plans: list[CompoundPlan] = []
    for i in range(n):
        target = rng.randint(MIN_HOUSES, MAX_HOUSES)
        floors = rng.choice([6, 11, 18, 26, 33])
        units = rng.choice([1, 2, 3])
        per_floor = rng.choice([2, 4])
        per_building = floors * units * per_floor
        # Whole buildings as close to the target as the bounds allow.
        lo = -(-MIN_HOUSES // per_building)
        hi = MAX_HOUSES // per_building
        buildings = min(hi, max(lo, round(target / per_building)))
        plans.append(
            CompoundPlan(
                code=f"{CODE_PREFIX}{i:03d}",
                name=f"红谷滩第{i + 1}小区",
                address=f"红谷滩区 {i + 1} 号",
                buildings=buildings,
                units=units,
                floors=floors,
                per_floor=per_floor,
            )
        )
    return plans


@dataclass
class District:
    """The built district as the day needs it."""

    codes: dict[int, str]  # compound id -> code
    created: int  # compounds built by this call (0 when all were found)
    houses_of: dict[int, int]
    devices: int
    gates_of: dict[int, list[tuple[int, int]]]  # compound -> [(terminal, access point)]
    staff: Principal
    house_sample: dict[int, list[int]]
    patrol_codes: dict[int, list[str]]
    lanes_of: dict[int, tuple[int, int]] = field(default_factory=dict)  # compound -> (entry lane, exit lane)


PATROL_ROUTE = "夜间巡更"
CAR_PARK = "小区停车场"


def _staff(session: Session, compound_ids: list[int]) -> Principal:
    from anju.accounts.models import User

    row = session.execute(
        select(User.id, User.username).where(User.role == Role.platform_admin).order_by(User.id).limit(1)
    ).first()
    if row is None:
        raise LookupError("no platform admin: run `anju init` (or `anju demo`) first")
    return Principal(
        user_id=int(row[0]),
        username=str(row[1]),
        display_name="district simulator",
        role=Role.platform_admin,
        compound_ids=frozenset(compound_ids),
    )


def _build_compound(plan: CompoundPlan) -> None:
    from anju.registry.schemas import CompoundCreate
    from anju.registry.structure_schemas import GeneratorSpec
    from anju.registry.structure_service import structure_service
    from anju.sim.access_demo import build_access_demo
    from anju.sim.devices_demo import register_demo_devices

    with transaction() as s:
        c = structure_service.create_compound(
            s, who=None, data=CompoundCreate(code=plan.code, name=plan.name, address=plan.address)
        )
        spec = GeneratorSpec(
            buildings_from=1,
            buildings_to=plan.buildings,
            units=plan.units,
            floors_to=plan.floors,
            houses_per_floor=plan.per_floor,
            confirm=True,
        )
        structure_service.generate(s, who=None, compound=c, spec=spec)
        register_demo_devices(s, compound_id=c.id)
        build_access_demo(s, compound_id=c.id)


def build_district(
    plans: list[CompoundPlan], *, seed: int, progress: Callable[[int, int], None] | None = None
) -> District:
    """Build the planned compounds that do not exist yet (found by code), each in its own transaction, and a patrol
    route for those without one; returns what the day needs."""
    from anju.access.models import Terminal, TerminalAccessPoint
    from anju.devices.models import Device
    from anju.patrol.models import PatrolCheckpoint, PatrolRoute
    from anju.patrol.service import create_route
    from anju.registry.models import Compound, House

    wanted = [p.code for p in plans]
    with new_session() as s:
        existing = set(s.execute(select(Compound.code).where(Compound.code.in_(wanted))).scalars())
    created = 0
    for i, plan in enumerate(plans):
        if plan.code not in existing:
            _build_compound(plan)
            created += 1
        if progress is not None:
            progress(i + 1, len(plans))
    rng = random.Random(f"district-sample-{seed}")
    with transaction() as s:
        codes = {
            int(cid): str(code)
            for cid, code in s.execute(select(Compound.id, Compound.code).where(Compound.code.in_(wanted)))
        }
        order = sorted(codes, key=lambda c: codes[c])
        staff = _staff(s, order)
        houses_of = {
            int(c): int(n)
            for c, n in s.execute(
                select(House.compound_id, func.count()).where(House.compound_id.in_(order)).group_by(House.compound_id)
            )
        }
        devices = int(
            s.execute(select(func.count()).select_from(Device).where(Device.compound_id.in_(order))).scalar_one()
        )
        gates_of: dict[int, list[tuple[int, int]]] = {cid: [] for cid in order}
        for t_id, ap_id, cid in s.execute(
            select(Terminal.id, TerminalAccessPoint.access_point_id, Terminal.compound_id)
            .join(TerminalAccessPoint, TerminalAccessPoint.terminal_id == Terminal.id)
            .where(Terminal.compound_id.in_(order))
            .order_by(Terminal.id, TerminalAccessPoint.access_point_id)
        ):
            gates_of[int(cid)].append((int(t_id), int(ap_id)))
        sample: dict[int, list[int]] = {}
        patrol: dict[int, list[str]] = {}
        lanes: dict[int, tuple[int, int]] = {}
        for cid in order:
            ids = list(s.execute(select(House.id).where(House.compound_id == cid).order_by(House.id)).scalars())
            sample[cid] = rng.sample(ids, min(200, len(ids)))
            route_id = s.execute(
                select(PatrolRoute.id)
                .where(PatrolRoute.compound_id == cid, PatrolRoute.name == PATROL_ROUTE)
                .order_by(PatrolRoute.id)
                .limit(1)
            ).scalar_one_or_none()
            if route_id is None:
                route_id = create_route(
                    s,
                    by=staff,
                    compound_id=cid,
                    name=PATROL_ROUTE,
                    checkpoints=[{"name": f"巡更点{k + 1}"} for k in range(6)],
                    windows=[],
                ).id
            patrol[cid] = list(
                s.execute(
                    select(PatrolCheckpoint.code)
                    .where(PatrolCheckpoint.route_id == route_id)
                    .order_by(PatrolCheckpoint.seq)
                ).scalars()
            )
            lanes[cid] = _car_park_lanes(s, staff, cid, codes[cid])
    return District(
        codes={c: codes[c] for c in order},
        created=created,
        houses_of=houses_of,
        devices=devices,
        gates_of=gates_of,
        staff=staff,
        house_sample=sample,
        patrol_codes=patrol,
        lanes_of=lanes,
    )


def _car_park_lanes(s: Session, staff: Principal, cid: int, code: str) -> tuple[int, int]:
    """The compound's car park at the south gate, with an entry and an exit lane on its barrier gate and camera
    (created through the parking service the first time; unregistered cars enter as temporary parking)."""
    from anju.devices.models import Device
    from anju.parking.enums import LaneDirection, UnknownPolicy
    from anju.parking.models import CarPark, ParkingLane
    from anju.parking.schemas import CarParkCreate, LaneCreate
    from anju.parking.service import parking_service

    cp_id = s.execute(
        select(CarPark.id).where(CarPark.compound_id == cid, CarPark.name == CAR_PARK).order_by(CarPark.id).limit(1)
    ).scalar_one_or_none()
    if cp_id is None:
        data = CarParkCreate(compound_id=cid, name=CAR_PARK, unknown_policy=UnknownPolicy.temporary)
        cp_id = parking_service.create_car_park(s, by=staff, data=data).id
        gate, camera = (
            s.execute(select(Device.id).where(Device.device_key == f"{code}-{k}")).scalar_one_or_none()
            for k in ("GATE-S", "CAM-S")
        )
        for name, direction in (("南门入口", LaneDirection.entry), ("南门出口", LaneDirection.exit)):
            lane = LaneCreate(
                car_park_id=cp_id, name=name, direction=direction, barrier_device_id=gate, camera_device_id=camera
            )
            parking_service.add_lane(s, by=staff, data=lane)
    ids = {
        d: int(i)
        for i, d in s.execute(
            select(ParkingLane.id, ParkingLane.direction)
            .where(ParkingLane.car_park_id == cp_id)
            .order_by(ParkingLane.id)
        )
    }
    return ids[LaneDirection.entry], ids[LaneDirection.exit]


def day_start(start_hour: int, *, now: datetime | None = None, days_ago: int = 2) -> datetime:
    """--start-hour China time (UTC+8) `days_ago` days ago (in the past, within the intake's tolerance)."""
    midnight_cn = ((now or datetime.now(UTC)) + timedelta(hours=8)).replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight_cn - timedelta(hours=8) - timedelta(days=days_ago) + timedelta(hours=start_hour)


EARLIEST_DAY = 6  # days back: the intake takes device times up to 7 days old


def place_day(compound_ids: list[int], *, start_hour: int, hours: float, now: datetime | None = None) -> datetime:
    """The day to play: the earliest of the last EARLIEST_DAY days (at --start-hour) that begins after the latest
    device time of these compounds, so its messages drive the rules (a message older than its device's latest is
    stored but drives nothing) and a re-run plays a later day. When every such day is taken, 2 days ago."""
    from anju.devices.models import DeviceState

    now = now or datetime.now(UTC)
    with new_session() as s:
        latest = s.execute(
            select(func.max(DeviceState.last_device_at)).where(DeviceState.compound_id.in_(compound_ids))
        ).scalar_one()
    end = timedelta(hours=hours) + timedelta(seconds=max(RESTORE_AFTER) + 60)
    for back in range(EARLIEST_DAY, -1, -1):
        d0 = day_start(start_hour, now=now, days_ago=back)
        if (latest is None or d0 > latest) and d0 + end < now:
            return d0
    return day_start(start_hour, now=now)


@dataclass
class DayRates:
    slot: float = 15.0  # simulated minutes played at a time (devices report on their own schedules within it)
    access_per_house: float = 4.0
    vehicles_per_house: float = 1.2  # barrier-gate passages (in or out) per house per day
    visitors_per_house: float = 0.15
    orders_per_house: float = 0.02
    patrol_hours: float = 2.0
    alarm_scale: float = 1.0  # multiplies ALARMS_PER_DAY (a stress setting for timing alarms)
    batch: int = 200  # telemetry messages per intake transaction at most
    flush_ms: float = 100.0  # a telemetry batch waits at most this long (wall) for more messages


@dataclass
class LedgerLine:
    kind: str
    sent: int
    stored: int
    doubled: int
    expected: int | None = None  # what should be stored when it differs from sent (alarms into an open slot)

    @property
    def lost(self) -> int:
        want = self.sent if self.expected is None else self.expected
        return max(0, want - (self.stored - self.doubled))


@dataclass
class DayCounts:
    """What one player sent (merged over processes with `+`); the ledger compares it with what is stored."""

    sent: dict[str, int] = field(default_factory=dict)
    alarms: dict[str, tuple[str, float]] = field(default_factory=dict)  # firing event id -> (kind, wall sent)
    into_open: set[str] = field(default_factory=set)  # firing event ids whose device held an open alarm
    alarm_ms: list[float] = field(default_factory=list)  # in-process intake: send -> the batch's commit
    batch_ms: list[float] = field(default_factory=list)
    secs: dict[str, float] = field(default_factory=dict)  # wall seconds spent per kind
    by_type: dict[str, int] = field(default_factory=dict)  # telemetry messages per device type

    def add(self, kind: str, n: int = 1) -> None:
        self.sent[kind] = self.sent.get(kind, 0) + n

    def __add__(self, o: DayCounts) -> DayCounts:
        keys = set(self.sent) | set(o.sent)
        secs = set(self.secs) | set(o.secs)
        types = set(self.by_type) | set(o.by_type)
        return DayCounts(
            sent={k: self.sent.get(k, 0) + o.sent.get(k, 0) for k in sorted(keys)},
            alarms={**self.alarms, **o.alarms},
            into_open=self.into_open | o.into_open,
            alarm_ms=self.alarm_ms + o.alarm_ms,
            batch_ms=self.batch_ms + o.batch_ms,
            secs={k: self.secs.get(k, 0.0) + o.secs.get(k, 0.0) for k in sorted(secs)},
            by_type={k: self.by_type.get(k, 0) + o.by_type.get(k, 0) for k in sorted(types)},
        )

    def events(self) -> int:
        """Events played (a re-sent check-in, a replayed card record and a camera's retried post count)."""
        return sum(v for k, v in self.sent.items() if not k.startswith("alarm "))


KINDS = ("telemetry", "access decisions", "vehicles", "visitors", "work orders", "patrol check-ins")
RETRIES = ("access replays", "vehicle retries", "check-ins resent")
PLATE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"


@dataclass
class _Dev:
    key: str
    device_type: str
    secret: str
    code: str
    cid: int
    device_id: int
    period: float
    phase: float
    sim: Any  # anju.sim.simulator.SimDevice (its state: meter readings)
    alarmed: bool = False


@dataclass
class DistrictDay:
    """One day of the district's traffic (or of a share of its compounds: `codes`); `play` runs it.

    Each compound's events are drawn from random streams of its own (seed, compound code, kind), so a compound
    plays the same day whichever process plays it and whatever else is played beside it."""

    district: District
    hours: float
    start_hour: int = 0
    seed: int = 19
    rates: DayRates = field(default_factory=DayRates)
    run: str = field(default_factory=lambda: f"{int(time.time() * 1000):x}")
    codes: frozenset[str] | None = None  # the compounds this player plays (None: all)
    day0: datetime | None = None  # given by the parent when several processes play one day

    def __post_init__(self) -> None:
        from anju.alarms.models import Alarm
        from anju.devices.models import Device
        from anju.sim.devices_demo import demo_secret
        from anju.sim.simulator import SimDevice

        codes = self.district.codes
        self.cids = [c for c in codes if self.codes is None or codes[c] in self.codes]
        if self.day0 is None:
            self.day0 = place_day(list(codes), start_hour=self.start_hour, hours=self.hours)
        self.slots = max(1, round(self.hours * 60 / self.rates.slot))
        self.end_s = self.hours * 3600
        self.counts = DayCounts()
        self._rngs: dict[tuple[int, str], random.Random] = {}
        self.devices: dict[int, list[_Dev]] = {cid: [] for cid in self.cids}
        with new_session() as s:
            for d in s.execute(
                select(Device).where(Device.compound_id.in_(self.cids)).order_by(Device.device_key)
            ).scalars():
                self.devices[d.compound_id].append(
                    _Dev(
                        d.device_key,
                        str(d.device_type),
                        demo_secret(d.device_key),
                        codes[d.compound_id],
                        d.compound_id,
                        d.id,
                        report_seconds(d.device_type),
                        phase_seconds(d.device_key, d.device_type),
                        SimDevice(d.device_key, d.device_type, demo_secret(d.device_key), 60, None, d.floor, ""),
                    )
                )
            # The alarm centre holds a device's slot until a person closes the alarm: one there already gets a
            # repeat, not a new alarm (the ledger expects no row for it).
            self.open_slots = set(
                s.execute(
                    select(Alarm.dedupe_slot).where(
                        Alarm.compound_id.in_(self.cids), Alarm.dedupe_slot.like("device:%")
                    )
                ).scalars()
            )
        self.owed: dict[tuple[str, int], float] = {}
        self.recent: dict[int, deque[str]] = {cid: deque(maxlen=50) for cid in self.cids}
        self.decided: dict[str, tuple[int, int]] = {}
        self.inside: dict[int, deque[str]] = {cid: deque() for cid in self.cids}
        self.checkins: set[str] = set()
        self.restores: dict[int, list[tuple[float, _Dev, dict[str, Any]]]] = {cid: [] for cid in self.cids}
        self._batch: list[tuple[str, bytes]] = []
        self._batch_alarms: list[str] = []
        self._batch_t0 = 0.0
        self._batch_at = self.day0
        self._seq: dict[str, int] = {}
        self.last_chunk: list[tuple[str, bytes]] = []  # the last batch stored here (a fault re-sends it)
        self.last_at = self.day0

    # -- helpers -----------------------------------------------------------------------------------------------

    def rng(self, cid: int, kind: str) -> random.Random:
        r = self._rngs.get((cid, kind))
        if r is None:
            r = self._rngs[(cid, kind)] = random.Random(f"district-day-{self.seed}-{self.district.codes[cid]}-{kind}")
        return r

    def at(self, slot: int) -> datetime:
        assert self.day0 is not None
        return self.day0 + timedelta(minutes=slot * self.rates.slot)

    def events(self) -> int:
        return self.counts.events()

    @property
    def alarm_msgs(self) -> int:
        return len(self.counts.alarms)

    @property
    def replays(self) -> int:
        return self.counts.sent.get("access replays", 0)

    @property
    def resent_checkins(self) -> int:
        return self.counts.sent.get("check-ins resent", 0)

    def _due(self, kind: str, cid: int, amount: float) -> int:
        owed = self.owed.get((kind, cid), 0.0) + amount
        n = int(owed)
        self.owed[(kind, cid)] = owed - n
        return n

    def _spread(self, slot: int, n: int) -> list[float]:
        """n moments evenly spread over the slot (seconds from the day's start)."""
        s0, width = slot * self.rates.slot * 60, self.rates.slot * 60
        return [s0 + width * (j + 0.5) / n for j in range(n)]

    # -- one slot's traffic, as (seconds into the day, order, action) -----------------------------------------

    def actions(self, slot: int) -> list[tuple[float, int, Callable[[], None]]]:
        """Everything this slot's compounds do, to be played in simulated-time order."""
        assert self.day0 is not None
        out: list[tuple[float, int, Callable[[], None]]] = []
        at = self.at(slot)
        share = passages_share(at, self.rates.slot)
        s0, s1 = slot * self.rates.slot * 60, (slot + 1) * self.rates.slot * 60
        n = 0

        def add(t: float, fn: Callable[[], None]) -> None:
            nonlocal n
            out.append((t, n, fn))
            n += 1

        every = max(1, round(self.rates.patrol_hours * 60 / self.rates.slot))
        for cid in self.cids:
            houses = self.district.houses_of.get(cid, 0)
            pairs = self.district.gates_of.get(cid, [])
            due = self._due("access", cid, houses * self.rates.access_per_house * share) if pairs else 0
            for j, t in enumerate(self._spread(slot, due)):
                add(t, partial(self._access, cid, slot, j, t))
            lanes = self.district.lanes_of.get(cid)
            due = self._due("vehicles", cid, houses * self.rates.vehicles_per_house * share) if lanes else 0
            for j, t in enumerate(self._spread(slot, due)):
                add(t, partial(self._vehicle, cid, slot, j, t))
            hs = self.district.house_sample.get(cid, [])
            due = self._due("visitors", cid, houses * self.rates.visitors_per_house * share) if hs else 0
            for j, t in enumerate(self._spread(slot, due)):
                add(t, partial(self._visitor, cid, j, t))
            due = self._due("orders", cid, houses * self.rates.orders_per_house * self.rates.slot / 1440)
            for j, t in enumerate(self._spread(slot, due)):
                add(t, partial(self._order, cid, slot, j, t))
            if slot % every == 0:
                for k, code in enumerate(self.district.patrol_codes.get(cid, [])):
                    t = s0 + 60 * k
                    add(t, partial(self._checkin, cid, slot, k, code, t))
            for t, dev, data in self._telemetry(cid, s0, s1, last=slot == self.slots - 1):
                add(t, partial(self._message, dev, data, t))
        out.sort(key=lambda a: (a[0], a[1]))
        return out

    def _telemetry(
        self, cid: int, s0: float, s1: float, *, last: bool
    ) -> list[tuple[float, _Dev, dict[str, Any] | None]]:
        """Each device's reports due in [s0, s1) (None: its normal values, drawn when sent), alarm episodes
        included; on the last slot the restore reports still owed are sent too."""
        from anju.sim.simulator import normal

        r = self.rng(cid, "alarms")
        msgs: list[tuple[float, _Dev, dict[str, Any] | None]] = []
        for d in self.devices[cid]:
            k = max(0, -int((d.phase - s0) // d.period))  # the first report at or after s0
            t = d.phase + k * d.period
            while t < s1:
                data: dict[str, Any] | None = None
                p = ALARMS_PER_DAY.get(d.device_type, 0.0) * self.rates.alarm_scale * d.period / 86400
                if not d.alarmed and p and r.random() < p:
                    got = alarm_values(d.device_type, r)
                    if got is not None:
                        d.alarmed = True
                        data = {"__alarm__": got[0], **got[1]}
                        self.restores[cid] += [(t + after, d, normal(d.sim, r)) for after in RESTORE_AFTER]
                msgs.append((t, d, data))
                t += d.period
        keep = []
        for t, d, data in self.restores[cid]:
            if t < s1 or last:
                msgs.append((t, d, data))
            else:
                keep.append((t, d, data))
        self.restores[cid] = keep
        return msgs

    # -- the kinds of traffic ----------------------------------------------------------------------------------

    def _when(self, t: float) -> datetime:
        assert self.day0 is not None
        return self.day0 + timedelta(seconds=t)

    def _timed(self, kind: str, fn: Callable[[], object]) -> None:
        w0 = time.perf_counter()
        fn()
        self.counts.secs[kind] = self.counts.secs.get(kind, 0.0) + time.perf_counter() - w0

    def _access(self, cid: int, slot: int, j: int, t: float) -> None:
        """A card passage, decided as the terminal asks; 2% are an offline terminal's replay of a record."""
        from anju.access.decision_service import decision_service
        from anju.access.models import Terminal
        from anju.access.schemas import CredentialIn, DecisionRequest

        r, pairs, recent = self.rng(cid, "access"), self.district.gates_of[cid], self.recent[cid]
        t_id, ap_id = pairs[j % len(pairs)]
        replay = bool(recent) and r.random() < 0.02
        rid = r.choice(recent) if replay else f"{self.run}-{slot}-{cid}-{j}"
        if replay:
            t_id, ap_id = self.decided[rid]
        else:
            recent.append(rid)
        card = f"{r.getrandbits(32):08X}"

        def go() -> None:
            with transaction() as s:
                term = s.get(Terminal, t_id)
                assert term is not None
                req = DecisionRequest(
                    access_point_id=ap_id, credential=CredentialIn(kind="card", value=card), record_id=rid
                )
                decision_service.decide(s, terminal=term, req=req, now=self._when(t))

        self._timed("access decisions", go)
        self.counts.add("access replays" if replay else "access decisions")
        self.decided[rid] = (t_id, ap_id)

    def _vehicle(self, cid: int, slot: int, j: int, t: float) -> None:
        """A car at the barrier gate: out in the morning, in in the evening (by the hour's odds); 1% of the
        camera's posts are retried with the same event id (one lane event)."""
        from anju.parking.lane_service import lane_service
        from anju.parking.schemas import CaptureIn

        r, inside = self.rng(cid, "vehicles"), self.inside[cid]
        entry_lane, exit_lane = self.district.lanes_of[cid]
        when = self._when(t)
        hour = (when.hour + 8) % 24
        p_out = 0.75 if hour < 12 else 0.3
        leaving = bool(inside) and r.random() < p_out
        plate = inside.popleft() if leaving else "赣A" + "".join(r.choice(PLATE_CHARS) for _ in range(5))
        if not leaving:
            inside.append(plate)
        eid = f"{self.run}-{cid}-v{slot}-{j}"
        retry = r.random() < 0.01
        data = CaptureIn(event_id=eid, plate=plate, at=when)

        def go() -> None:
            for _ in range(2 if retry else 1):
                with transaction() as s:
                    lane_service.capture(
                        s, by=self.district.staff, lane_id=exit_lane if leaving else entry_lane, data=data, now=when
                    )

        self._timed("vehicles", go)
        self.counts.add("vehicles")
        if retry:
            self.counts.add("vehicle retries")

    def _visitor(self, cid: int, j: int, t: float) -> None:
        from anju.access.schemas import WalkInCreate
        from anju.access.visitor_service import visitor_pass_service

        host = self.rng(cid, "visitors").choice(self.district.house_sample[cid])

        def go() -> None:
            with transaction() as s:
                data = WalkInCreate(host_house_id=host, visitor_name=f"访客{j}", note=f"{self.run}-v")
                visitor_pass_service.walk_in(s, who=self.district.staff, data=data, now=self._when(t))

        self._timed("visitors", go)
        self.counts.add("visitors")

    def _order(self, cid: int, slot: int, j: int, t: float) -> None:
        from anju.workorders.enums import OrderKind
        from anju.workorders.schemas import OrderCreate
        from anju.workorders.service import work_order_service

        def go() -> None:
            with transaction() as s:
                data = OrderCreate(
                    compound_id=cid,
                    kind=OrderKind.common_repair,
                    title=f"{self.run} 楼道灯不亮 {cid}-{slot}-{j}",
                    location="楼道",
                )
                work_order_service.open(s, by=self.district.staff, data=data, now=self._when(t))

        self._timed("work orders", go)
        self.counts.add("work orders")

    def _checkin(self, cid: int, slot: int, k: int, code: str, t: float) -> None:
        """A patrol scan queued on the phone with its own id; 5% are sent twice."""
        from anju.patrol.service import check_in

        client_id = f"{self.run}-{cid}-{slot}-{k}"
        scanned = self._when(t)
        twice = self.rng(cid, "patrols").random() < 0.05

        def go() -> None:
            for _ in range(2 if twice else 1):
                with transaction() as s:
                    check_in(
                        s,
                        by=self.district.staff,
                        code=code,
                        now=scanned + timedelta(seconds=30),
                        scanned_at=scanned,
                        client_id=client_id,
                    )

        self._timed("patrol check-ins", go)
        self.counts.add("patrol check-ins")
        if twice:
            self.counts.add("check-ins resent")

    def _message(self, d: _Dev, data: dict[str, Any] | None, t: float) -> None:
        """One signed MQTT telemetry message, sent now (wall clock): into the batch or to the gateways."""
        from anju.devices.protocol import sign_mqtt, topic_for
        from anju.sim.simulator import normal

        if data is None:
            data = normal(d.sim, self.rng(d.cid, "values"))
        alarm = data.pop("__alarm__", None)
        seq = self._seq.get(d.key, 0)
        self._seq[d.key] = seq + 1
        eid = f"{self.run}-{d.key}-{seq}"
        topic = topic_for(d.code, d.key, "telemetry")
        payload = sign_mqtt(d.secret, topic, {"event_id": eid, "ts": self._when(t).isoformat(), "data": data})
        now = time.time()
        if alarm is not None:
            self.counts.alarms[eid] = (str(alarm), now)
            self.counts.add(f"alarm {alarm}")
            if f"device:{d.device_id}:{alarm}" in self.open_slots:
                self.counts.into_open.add(eid)
            self._batch_alarms.append(eid)
        self.counts.add("telemetry")
        self.counts.by_type[d.device_type] = self.counts.by_type.get(d.device_type, 0) + 1
        if not self._batch:
            self._batch_t0 = now
        self._batch.append((topic, payload))
        self._batch_at = self._when(t)

    def flush(self, *, force: bool = False, gateways: GatewayPool | MqttPublisher | None = None) -> None:
        """Hand the telemetry batch over when it is full, waited long enough, or `force`."""
        if not self._batch:
            return
        if gateways is not None:
            gateways.publish(self._batch)
        elif not (
            force
            or len(self._batch) >= self.rates.batch
            or (time.time() - self._batch_t0) * 1000 >= self.rates.flush_ms
        ):
            return
        else:
            w0 = time.perf_counter()
            self.store(self._batch, at=self._batch_at)
            done = time.time()
            self.counts.secs["telemetry"] = self.counts.secs.get("telemetry", 0.0) + time.perf_counter() - w0
            self.counts.batch_ms.append((time.perf_counter() - w0) * 1000)
            self.counts.alarm_ms += [
                (done - self.counts.alarms[e][1]) * 1000 for e in self._batch_alarms if e not in self.counts.into_open
            ]
        self._batch, self._batch_alarms = [], []

    def store(self, chunk: list[tuple[str, bytes]], *, at: datetime) -> Any:
        """One gateway batch through the intake in this process (parse, HMAC, validate, store, state, rules)."""
        from anju.devices.intake_service import intake_service

        with transaction() as s:
            acc, rej = intake_service.parse_mqtt(s, chunk, now=at)
            out = intake_service.store(s, [a for a in acc if a is not None], [r for r in rej if r is not None], now=at)
        self.last_chunk, self.last_at = chunk, at
        return out

    @staticmethod
    def deliver() -> int:
        """Deliver the outbox now (the in-process worker)."""
        from anju.core.events import deliver_pending

        total = 0
        while n := deliver_pending(worker_id="district", limit=500):
            total += n
        return total

    # -- the whole day ----------------------------------------------------------------------------------------

    def play(
        self,
        *,
        speed: float | None = None,
        gateways: GatewayPool | MqttPublisher | None = None,
        deliver: bool = True,
        progress: Callable[[int, int, DistrictDay], None] | None = None,
        on_slot: Callable[[int], None] | None = None,
        before_deliver: Callable[[int], None] | None = None,
    ) -> None:
        """Every slot, its actions in simulated-time order (telemetry batched, handed over at most flush_ms after
        its first message); then, with `deliver`, the outbox delivered in this process (without it, worker
        processes deliver concurrently). With speed, simulated time runs at most that many times real time."""
        wall0 = time.monotonic()
        for slot in range(self.slots):
            if on_slot is not None:
                on_slot(slot)
            for _t, _n, act in self.actions(slot):
                act()
                self.flush(gateways=gateways)
            self.flush(force=True, gateways=gateways)
            if before_deliver is not None:
                before_deliver(slot)
            if deliver:
                self._timed("outbox delivery (in-process)", self.deliver)
            if progress is not None:
                progress(slot + 1, self.slots, self)
            if speed:
                ahead = (slot + 1) * self.rates.slot * 60 / speed - (time.monotonic() - wall0)
                if ahead > 0:
                    time.sleep(ahead)
        if isinstance(gateways, GatewayPool):
            gateways.wait_stored(self.run, self.counts.sent.get("telemetry", 0))
        if deliver:
            self.settle()

    def settle(self, seconds: float = 10) -> int:
        """Deliver until the outbox is empty (a lease left by a dead worker runs out meanwhile); events left."""
        deadline = time.monotonic() + seconds
        while True:
            self.deliver()
            left = self.outbox_health()[0]
            if not left or time.monotonic() > deadline:
                return left
            time.sleep(0.5)

    @classmethod
    def settle_outbox(cls, seconds: float) -> int:
        """Wait (while worker processes deliver) until the outbox is empty; events left after `seconds`."""
        deadline = time.monotonic() + seconds
        while True:
            left = cls.outbox_health()[0]
            if not left or time.monotonic() > deadline:
                return left
            time.sleep(0.2)

    def ledger(self, counts: DayCounts | None = None) -> list[LedgerLine]:
        return day_ledger(self.run, counts or self.counts, self.cids)

    @staticmethod
    def outbox_health() -> tuple[int, int]:
        """(events not delivered, (event, handler) pairs handled more than once) over the whole outbox."""
        from anju.core.events import OutboxEvent

        with new_session() as s:
            undelivered = int(
                s.execute(
                    select(func.count()).select_from(OutboxEvent).where(OutboxEvent.status != "done")
                ).scalar_one()
            )
            twice = int(
                s.execute(
                    text(
                        "SELECT count(*) FROM (SELECT 1 FROM event_handled GROUP BY event_id, handler "
                        "HAVING count(*) > 1) x"
                    )
                ).scalar_one()
            )
        return undelivered, twice


def day_ledger(run: str, counts: DayCounts, compound_ids: list[int]) -> list[LedgerLine]:
    """Per kind: distinct events sent, rows stored, rows stored more than once (by their unique marks); per alarm
    kind: the alarm messages sent, the alarms they raised (by the message id in the alarm's evidence)."""
    from anju.access.models import AccessLog, VisitorPass
    from anju.alarms.models import Alarm
    from anju.devices.models import DeviceMessage
    from anju.parking.models import LaneEvent
    from anju.patrol.models import PatrolCheckin
    from anju.workorders.models import WorkOrder

    sent = counts.sent
    with new_session() as s:

        def rows_and_distinct(col: Any, pattern: str) -> tuple[int, int]:
            r = s.execute(select(func.count(), func.count(func.distinct(col))).where(col.like(pattern))).one()
            return int(r[0]), int(r[1])

        tel, tel_d = rows_and_distinct(DeviceMessage.event_id, f"{run}-%")
        acc, acc_d = rows_and_distinct(AccessLog.record_id, f"{run}-%")
        veh, veh_d = rows_and_distinct(LaneEvent.event_id, f"{run}-%")
        wo, wo_d = rows_and_distinct(WorkOrder.title, f"{run} %")
        pc, pc_d = rows_and_distinct(PatrolCheckin.client_id, f"{run}-%")
        vis = int(
            s.execute(select(func.count()).select_from(VisitorPass).where(VisitorPass.note == f"{run}-v")).scalar_one()
        )
        raised: dict[str, list[str]] = {}
        for kind, evidence in s.execute(
            select(Alarm.kind, Alarm.evidence).where(Alarm.compound_id.in_(compound_ids), Alarm.source.like("device:%"))
        ):
            eid = (evidence or {}).get("event_id")
            if isinstance(eid, str) and eid.startswith(f"{run}-"):
                raised.setdefault(str(kind), []).append(eid)
    lines = [
        LedgerLine("telemetry", sent.get("telemetry", 0), tel, tel - tel_d),
        LedgerLine("access decisions", sent.get("access decisions", 0), acc, acc - acc_d),
        LedgerLine("vehicles", sent.get("vehicles", 0), veh, veh - veh_d),
        LedgerLine("visitors", sent.get("visitors", 0), vis, max(0, vis - sent.get("visitors", 0))),
        LedgerLine("work orders", sent.get("work orders", 0), wo, wo - wo_d),
        LedgerLine("patrol check-ins", sent.get("patrol check-ins", 0), pc, pc - pc_d),
    ]
    kinds = sorted({k for k, _ in counts.alarms.values()} | set(raised))
    for kind in kinds:
        fired = [e for e, (k, _) in counts.alarms.items() if k == kind]
        got = raised.get(kind, [])
        stray = len([e for e in got if e not in counts.alarms])  # an alarm no firing message of ours explains
        expected = len([e for e in fired if e not in counts.into_open])
        lines.append(
            LedgerLine(f"alarm {kind}", len(fired), len(got), len(got) - len(set(got)) + stray, expected=expected)
        )
    return lines


class MqttPublisher:
    """A QoS-1 publisher of the day's telemetry (paho keeps QoS-1 messages while the broker is away)."""

    def __init__(self, mqtt_url: str, client_id: str, *, reconnect_min: float = 1.0) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        host, _, port = mqtt_url.removeprefix("mqtt://").partition(":")
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False)
        self.client.max_inflight_messages_set(2000)
        self.client.max_queued_messages_set(0)
        # paho annotates whole seconds but sleeps any float (the benches reconnect after 0.2 s)
        self.client.reconnect_delay_set(reconnect_min, 2)  # type: ignore[arg-type]
        self.sent = self.acked = 0
        self.client.on_publish = self._on_publish
        self.client.connect(host or "127.0.0.1", int(port or 1883))
        self.client.loop_start()

    def _on_publish(self, *_: Any) -> None:
        self.acked += 1

    def publish(self, items: list[tuple[str, bytes]]) -> None:
        for topic, payload in items:
            self.client.publish(topic, payload, qos=1)
        self.sent += len(items)

    def wait_published(self, timeout: float = 120) -> bool:
        """Until the broker acknowledged (PUBACK) every message published."""
        deadline = time.monotonic() + timeout
        while self.acked < self.sent:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


class GatewayPool:
    """N `anju gateway` processes in one MQTT shared subscription on a broker, and a QoS-1 publisher for the day."""

    def __init__(self, *, database_url: str, mqtt_url: str, n: int, logs: Path | None = None) -> None:
        self.database_url, self.mqtt_url = database_url, mqtt_url
        self.group = f"district{uuid.uuid4().hex[:8]}"
        self.logs = logs or Path(os.environ.get("TMPDIR", "/tmp")) / f"anju-district-gw-{self.group}"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.procs: list[subprocess.Popen[bytes]] = [self._spawn(i) for i in range(n)]
        self._wait_connected()
        self.publisher = MqttPublisher(mqtt_url, f"anju-district-pub-{self.group}")

    @property
    def sent(self) -> int:
        return self.publisher.sent

    def client_id(self, i: int) -> str:
        return f"{self.group}-gw{i}"

    def _spawn(self, i: int) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "ANJU_DATABASE_URL": self.database_url,
            "ANJU_MQTT_URL": self.mqtt_url,
            "ANJU_MQTT_SHARE_GROUP": self.group,
        }
        out = open(self.logs / f"gw{i}.log", "ab")  # noqa: SIM115  (the process owns it)
        return subprocess.Popen(
            [sys.executable, "-m", "anju.cli", "gateway", "--client-id", self.client_id(i)],
            env=env,
            stdout=out,
            stderr=out,
        )

    def _wait_connected(self) -> None:
        """Until every gateway recorded its connect (it subscribes on connecting), plus a second for the SUBACK."""
        from anju.devices.models import GatewaySession

        ids = [self.client_id(i) for i in range(len(self.procs))]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with new_session() as s:
                n = s.execute(
                    select(func.count()).select_from(GatewaySession).where(GatewaySession.client_id.in_(ids))
                ).scalar_one()
            if n == len(ids):
                time.sleep(1.0)
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gateways did not connect; see {self.logs}")

    def publish(self, items: list[tuple[str, bytes]]) -> None:
        self.publisher.publish(items)

    def wait_published(self, timeout: float = 120) -> bool:
        return self.publisher.wait_published(timeout)

    def kill_and_restart(self, i: int) -> None:
        self.procs[i].send_signal(signal.SIGKILL)
        self.procs[i].wait()
        self.procs[i] = self._spawn(i)

    def wait_stored(self, run: str, expected: int, *, stall_seconds: float = 600) -> bool:
        """Until the gateways stored `expected` messages of this run (False after stall_seconds without progress)."""
        from anju.devices.models import DeviceMessage

        self.wait_published()
        last, still = -1, time.monotonic()
        while True:
            with new_session() as s:
                n = int(
                    s.execute(
                        select(func.count()).select_from(DeviceMessage).where(DeviceMessage.event_id.like(f"{run}-%"))
                    ).scalar_one()
                )
            if n >= expected:
                return True
            if n != last:
                last, still = n, time.monotonic()
            elif time.monotonic() - still > stall_seconds:
                return False
            time.sleep(0.5)

    def stop(self) -> str:
        """Stop the gateways (SIGTERM: they finish their batch); their last 'received' log lines."""
        if hasattr(self, "publisher"):
            self.publisher.close()
        for p in self.procs:
            p.send_signal(signal.SIGTERM)
        for p in self.procs:
            p.wait(60)
        got = []
        for i in range(len(self.procs)):
            lines = [
                ln for ln in (self.logs / f"gw{i}.log").read_text(errors="replace").splitlines() if "received=" in ln
            ]
            got.append(lines[-1].split("received=")[1].split()[0] if lines else "?")
        return " / ".join(got) + " (since its last start)"


def alarm_latencies_ms(counts: DayCounts) -> list[float]:
    """Send (wall clock at publish) -> the alarm row written in a gateway's batch (its `now` is the wall clock)."""
    from anju.alarms.models import Alarm

    if not counts.alarms:
        return []
    out: list[float] = []
    with new_session() as s:
        for created, evidence in s.execute(
            select(Alarm.created_at, Alarm.evidence).where(
                Alarm.source.like("device:%"), Alarm.created_at >= datetime.now(UTC) - timedelta(days=1)
            )
        ):
            sent = counts.alarms.get((evidence or {}).get("event_id", ""))
            if sent is not None:
                out.append((created.timestamp() - sent[1]) * 1000)
    return out


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    vs = sorted(values)
    return vs[min(len(vs) - 1, int(q * len(vs)))]
