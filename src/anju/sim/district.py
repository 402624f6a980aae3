"""A simulated district (issue 19 item 5): N compounds of 200-3,000 houses and a day of their traffic.

The world (`plan_district`, `build_district`) and the day (`DistrictDay`) are deterministic by seed: the same seed
gives the same compounds (sizes, structure, devices) and the same events. `anju simulate --district N` and
`bench/bench_district_day.py` both build and play through here; the bench adds its timings, baselines and faults.

- World: compound sizes drawn in 200-3,000 houses with varied floors/units/houses per floor; each compound gets its
  structure (registry generator), its devices (smoke detectors on every floor of every unit, lifts, gas, pumps…:
  the mix follows the structure), the demo's gates and terminals, and a 6-checkpoint night patrol route. Compounds
  are found by code (`D000`…): building again adds nothing.
- Day (China time, from --start-hour): every device sends one signed MQTT telemetry message per interval (1 smoke
  alarm in 2,000 smoke messages); card passages at 4 per house per day shaped by the hour (morning and evening
  peaks) through the real gate decision service, 2% of them a terminal's offline replay of a record already sent;
  walk-in visitors at the desk (0.15 per house per day, shaped like the passages), common-area work orders (0.02 per
  house per day) and a patrol round every 2 hours (5% of the QR check-ins sent twice with the same client id). Each
  is its own transaction through its domain's service; telemetry goes through the intake in batches, in this
  process or through gateway processes in an MQTT shared subscription.
- Ledger: per kind, what was sent and what is stored; lost and doubled must be 0.
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
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from anju.core.auth import Principal
from anju.core.db import new_session, transaction
from anju.core.rbac import Role

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


PATROL_ROUTE = "夜间巡更"


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
    return District(
        codes={c: codes[c] for c in order},
        created=created,
        houses_of=houses_of,
        devices=devices,
        gates_of=gates_of,
        staff=staff,
        house_sample=sample,
        patrol_codes=patrol,
    )


def day_start(start_hour: int, *, now: datetime | None = None) -> datetime:
    """--start-hour China time (UTC+8) two days ago: the whole day lies in the past, within intake's tolerance."""
    midnight_cn = ((now or datetime.now(UTC)) + timedelta(hours=8)).replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight_cn - timedelta(hours=8) - timedelta(days=2) + timedelta(hours=start_hour)


@dataclass
class DayRates:
    interval: float = 60.0  # simulated minutes between a device's messages
    access_per_house: float = 4.0
    visitors_per_house: float = 0.15
    orders_per_house: float = 0.02
    patrol_hours: float = 2.0
    batch: int = 500


@dataclass
class LedgerLine:
    kind: str
    sent: int
    stored: int
    doubled: int

    @property
    def lost(self) -> int:
        return max(0, self.sent - (self.stored - self.doubled))


@dataclass
class DistrictDay:
    """One day of the district's traffic; `play` runs it all, the bench calls the steps itself to time them."""

    district: District
    hours: float
    start_hour: int = 0
    seed: int = 19
    rates: DayRates = field(default_factory=DayRates)
    run: str = field(default_factory=lambda: f"{int(time.time() * 1000):x}")

    def __post_init__(self) -> None:
        from anju.devices.models import Device
        from anju.sim.devices_demo import demo_secret
        from anju.sim.simulator import SimDevice

        self.rng = random.Random(f"district-day-{self.seed}")
        self.day0 = day_start(self.start_hour)
        self.slots = max(1, int(self.hours * 60 / self.rates.interval))
        codes = self.district.codes
        with new_session() as s:
            rows = s.execute(
                select(Device).where(Device.compound_id.in_(list(codes))).order_by(Device.device_key)
            ).scalars()
            self.devices = [
                (
                    SimDevice(d.device_key, d.device_type, demo_secret(d.device_key), 60, None, d.floor, ""),
                    codes[d.compound_id],
                )
                for d in rows
            ]
        self.owed = {k: dict.fromkeys(codes, 0.0) for k in ("access", "visitors", "orders")}
        self.decided: dict[str, tuple[int, int]] = {}  # record id -> (terminal, access point) it was sent by
        self.recent: deque[str] = deque(maxlen=50)  # the last records sent: what an offline terminal replays
        self.replays = 0
        self.sent = self.stored = self.alarm_msgs = 0
        self.alarm_devices: list[str] = []
        self.made = {"visitors": 0, "work orders": 0, "patrol check-ins": 0}
        self.resent_checkins = 0
        self.checkins: set[str] = set()

    def at(self, slot: int) -> datetime:
        return self.day0 + timedelta(minutes=slot * self.rates.interval)

    def events(self) -> int:
        """Events played so far (a re-sent check-in and a replayed card record count: they were sent)."""
        return self.sent + len(self.decided) + self.replays + sum(self.made.values()) + self.resent_checkins

    def _due(self, kind: str, cid: int, amount: float) -> int:
        self.owed[kind][cid] += amount
        n = int(self.owed[kind][cid])
        self.owed[kind][cid] -= n
        return n

    # -- the kinds of traffic, one slot at a time --------------------------------------------------------------

    def access(self, slot: int) -> int:
        """Each compound's card passages of this slot, decided one by one as a terminal would ask."""
        from anju.access.decision_service import decision_service
        from anju.access.models import Terminal
        from anju.access.schemas import CredentialIn, DecisionRequest

        at, n = self.at(slot), 0
        for cid, pairs in self.district.gates_of.items():
            share = passages_share(at, self.rates.interval)
            due = self._due("access", cid, self.district.houses_of.get(cid, 0) * self.rates.access_per_house * share)
            for j in range(due if pairs else 0):
                t_id, ap_id = pairs[j % len(pairs)]
                replay = bool(self.recent) and self.rng.random() < 0.02
                rid = self.rng.choice(self.recent) if replay else f"{self.run}-{slot}-{cid}-{j}"
                if replay:  # an offline terminal re-sends a record it already sent
                    t_id, ap_id = self.decided[rid]
                else:
                    self.recent.append(rid)
                card = f"{self.rng.getrandbits(32):08X}"
                with transaction() as s:
                    term = s.get(Terminal, t_id)
                    assert term is not None
                    req = DecisionRequest(
                        access_point_id=ap_id, credential=CredentialIn(kind="card", value=card), record_id=rid
                    )
                    decision_service.decide(s, terminal=term, req=req, now=at + timedelta(seconds=j % 60))
                self.replays += replay
                self.decided[rid] = (t_id, ap_id)
                n += 1
        return n

    def visitors(self, slot: int) -> int:
        from anju.access.schemas import WalkInCreate
        from anju.access.visitor_service import visitor_pass_service

        at, n = self.at(slot), 0
        for cid, hs in self.district.house_sample.items():
            houses = self.district.houses_of.get(cid, 0)  # the sample's houses host the whole compound's visitors
            due = self._due(
                "visitors", cid, houses * self.rates.visitors_per_house * passages_share(at, self.rates.interval)
            )
            for j in range(due if hs else 0):
                with transaction() as s:
                    data = WalkInCreate(
                        host_house_id=self.rng.choice(hs), visitor_name=f"访客{j}", note=f"{self.run}-v"
                    )
                    visitor_pass_service.walk_in(s, who=self.district.staff, data=data, now=at + timedelta(seconds=j))
                n += 1
        self.made["visitors"] += n
        return n

    def work_orders(self, slot: int) -> int:
        from anju.workorders.enums import OrderKind
        from anju.workorders.schemas import OrderCreate
        from anju.workorders.service import work_order_service

        at, n = self.at(slot), 0
        for cid in self.district.codes:
            houses = self.district.houses_of.get(cid, 0)
            for j in range(self._due("orders", cid, houses * self.rates.orders_per_house * self.rates.interval / 1440)):
                with transaction() as s:
                    data = OrderCreate(
                        compound_id=cid,
                        kind=OrderKind.common_repair,
                        title=f"{self.run} 楼道灯不亮 {cid}-{slot}-{j}",
                        location="楼道",
                    )
                    work_order_service.open(s, by=self.district.staff, data=data, now=at + timedelta(seconds=j))
                n += 1
        self.made["work orders"] += n
        return n

    def patrols(self, slot: int) -> int:
        """A round of each compound's route every patrol_hours; the phone queues each scan with its own id."""
        from anju.patrol.service import check_in

        every = max(1, round(self.rates.patrol_hours * 60 / self.rates.interval))
        if slot % every:
            return 0
        at, n = self.at(slot), 0
        for cid, codes in self.district.patrol_codes.items():
            for k, code in enumerate(codes):
                client_id = f"{self.run}-{cid}-{slot}-{k}"
                scanned = at + timedelta(minutes=k)
                for _ in range(2 if self.rng.random() < 0.05 else 1):
                    with transaction() as s:
                        check_in(
                            s,
                            by=self.district.staff,
                            code=code,
                            now=scanned + timedelta(seconds=30),
                            scanned_at=scanned,
                            client_id=client_id,
                        )
                    n += 1
                    if client_id in self.checkins:
                        self.resent_checkins += 1
                    else:
                        self.checkins.add(client_id)
                        self.made["patrol check-ins"] += 1
        return n

    def telemetry(self, slot: int) -> list[tuple[str, bytes]]:
        """This slot's signed MQTT messages, one per device (counted as sent)."""
        from anju.devices.protocol import sign_mqtt, topic_for
        from anju.sim.simulator import normal

        at = self.at(slot)
        items: list[tuple[str, bytes]] = []
        for k, (d, code) in enumerate(self.devices):
            data = normal(d, self.rng)
            if d.device_type == "smoke_detector" and self.rng.random() < 0.0005:
                data = {"smoke": 7.0, "alarm": True}
                self.alarm_msgs += 1
                self.alarm_devices.append(d.key)
            topic = topic_for(code, d.key, "telemetry")
            msg = {"event_id": f"{self.run}-{slot}-{k}", "ts": at.isoformat(), "data": data}
            items.append((topic, sign_mqtt(d.secret, topic, msg)))
        self.sent += len(items)
        return items

    def store(self, chunk: list[tuple[str, bytes]], *, at: datetime) -> Any:
        """One gateway batch through the intake in this process (parse, HMAC, validate, store, state, rules)."""
        from anju.devices.intake_service import intake_service

        with transaction() as s:
            acc, rej = intake_service.parse_mqtt(s, chunk, now=at)
            out = intake_service.store(s, [a for a in acc if a is not None], [r for r in rej if r is not None], now=at)
        self.stored += out.inserted
        return out

    @staticmethod
    def deliver() -> int:
        """Deliver the outbox now (the in-process worker): alarms are raised by the alarm handler."""
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
        gateways: GatewayPool | None = None,
        progress: Callable[[int, int, DistrictDay], None] | None = None,
    ) -> None:
        """Every slot: passages, visitors, work orders, patrols, then telemetry (in this process in batches, or
        published to the gateways). With speed, simulated time runs at most that many times real time."""
        wall0 = time.monotonic()
        for slot in range(self.slots):
            self.access(slot)
            self.visitors(slot)
            self.work_orders(slot)
            self.patrols(slot)
            items = self.telemetry(slot)
            if gateways is not None:
                gateways.publish(items)
            else:
                for i in range(0, len(items), self.rates.batch):
                    self.store(items[i : i + self.rates.batch], at=self.at(slot))
            self.deliver()
            if progress is not None:
                progress(slot + 1, self.slots, self)
            if speed:
                ahead = (slot + 1) * self.rates.interval * 60 / speed - (time.monotonic() - wall0)
                if ahead > 0:
                    time.sleep(ahead)
        if gateways is not None:
            gateways.wait_stored(self.run, self.sent)
        self.settle()

    def settle(self, seconds: float = 10) -> int:
        """Deliver until the outbox is empty (a lease left by a dead worker runs out meanwhile); events left."""
        from anju.core.events import OutboxEvent

        deadline = time.monotonic() + seconds
        while True:
            self.deliver()
            with new_session() as s:
                left = int(
                    s.execute(
                        select(func.count()).select_from(OutboxEvent).where(OutboxEvent.status != "done")
                    ).scalar_one()
                )
            if not left or time.monotonic() > deadline:
                return left
            time.sleep(0.5)

    def ledger(self) -> list[LedgerLine]:
        """Per kind: distinct events sent, rows stored, rows stored more than once (by their unique marks)."""
        from anju.access.models import AccessLog, VisitorPass
        from anju.devices.models import DeviceMessage
        from anju.patrol.models import PatrolCheckin
        from anju.workorders.models import WorkOrder

        with new_session() as s:

            def rows_and_distinct(col: Any, pattern: str) -> tuple[int, int]:
                r = s.execute(select(func.count(), func.count(func.distinct(col))).where(col.like(pattern))).one()
                return int(r[0]), int(r[1])

            tel, tel_d = rows_and_distinct(DeviceMessage.event_id, f"{self.run}-%")
            acc, acc_d = rows_and_distinct(AccessLog.record_id, f"{self.run}-%")
            wo, wo_d = rows_and_distinct(WorkOrder.title, f"{self.run} %")
            pc, pc_d = rows_and_distinct(PatrolCheckin.client_id, f"{self.run}-%")
            vis = int(
                s.execute(
                    select(func.count()).select_from(VisitorPass).where(VisitorPass.note == f"{self.run}-v")
                ).scalar_one()
            )
        return [
            LedgerLine("telemetry", self.sent, tel, tel - tel_d),
            LedgerLine("access decisions", len(self.decided), acc, acc - acc_d),
            LedgerLine("visitors", self.made["visitors"], vis, max(0, vis - self.made["visitors"])),
            LedgerLine("work orders", self.made["work orders"], wo, wo - wo_d),
            LedgerLine("patrol check-ins", self.made["patrol check-ins"], pc, pc - pc_d),
        ]

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


class GatewayPool:
    """N `anju gateway` processes in one MQTT shared subscription on a broker, and a QoS-1 publisher for the day."""

    def __init__(self, *, database_url: str, mqtt_url: str, n: int, logs: Path | None = None) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        self.database_url, self.mqtt_url = database_url, mqtt_url
        self.group = f"district{uuid.uuid4().hex[:8]}"
        self.logs = logs or Path(os.environ.get("TMPDIR", "/tmp")) / f"anju-district-gw-{self.group}"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.procs: list[subprocess.Popen[bytes]] = [self._spawn(i) for i in range(n)]
        self._wait_connected()
        host, _, port = mqtt_url.removeprefix("mqtt://").partition(":")
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"anju-district-pub-{self.group}", clean_session=False
        )
        self.client.max_inflight_messages_set(2000)
        self.client.max_queued_messages_set(0)
        self.client.reconnect_delay_set(1, 2)
        self.sent = self.acked = 0
        self.client.on_publish = self._on_publish
        self.client.connect(host or "127.0.0.1", int(port or 1883))
        self.client.loop_start()

    def _on_publish(self, *_: Any) -> None:
        self.acked += 1

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
        # While the broker is away paho keeps QoS-1 messages and sends them after reconnecting.
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
        if hasattr(self, "client"):
            self.client.loop_stop()
            self.client.disconnect()
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
