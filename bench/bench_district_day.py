"""A simulated district (issue 19): N compounds of 200-3,000 houses, a day of device traffic through the real intake.

1. District: a fresh database (SQLite by default, --pg URL), then --compounds compounds created with the registry's
   structure service and generator (random sizes of 200-3,000 houses) and their devices registered (smoke
   detectors on every floor of every unit, lifts, gas, fire doors, pumps…: `register_demo_devices`).
2. Day: every device sends one signed MQTT telemetry message every --interval simulated minutes for --hours
   simulated hours (a few smoke alarms ride along, 1 in 2,000). Batches of --batch messages (the gateway's batch)
   go through `intake_service.parse_mqtt` + `store` (HMAC, validation, idempotent store, device state, rules,
   outbox) and commit; then the in-process worker delivers the outbox (alarms are raised by the alarm handler).
3. Baseline in the same run: the same number of rows written by a bare Core INSERT into device_message in the same
   batch size (no authentication, validation, state or rules), so the ratio travels between machines.

4. Access (this cut): every compound gets the demo's gates and terminals; card presentations run at
   --access-per-house passages per house per day, shaped by hour (morning and evening peaks), through
   `decision_service.decide` (log row + outbox event + commit each); 2% are a terminal's offline replay of a
   record already sent (same record id: must not add a row). The district's generated houses have no residents
   with cards, so these decisions are denials ("unknown card"); the write path is the same as for an allow.
5. Faults: mid-day an outbox worker in its own process takes a batch lease and is SIGKILLed while delivering
   (its events come back after the lease and are delivered once); at three quarters of the day the gateway
   "restarts" (its device cache is dropped) and the broker redelivers the last batch it had not acknowledged.
6. Ledger: telemetry rows = distinct messages sent, access rows = distinct record ids, outbox all delivered,
   no (event, handler) handled twice: lost and doubled are printed and must be 0.

7. Visitors, work orders, patrols (this cut): the guard desk registers walk-in visitors at --visitors-per-house a
   day (shaped like the passages), staff open common-area repair orders at --orders-per-house a day, and every
   compound walks its 6-checkpoint patrol route every --patrol-hours (QR check-ins queued on the phone, 5% sent
   twice with the same client id: must be one row). Each is its own transaction through its domain's service.
8. Gateways (--gateways N, this cut): telemetry is published to a private Mosquitto and consumed by N `anju gateway`
   processes in one MQTT shared subscription (ANJU_MQTT_SHARE_GROUP, each its own client id) while this process
   plays the rest of the day; at three quarters of the day gateway 0 is SIGKILLed and restarted (its un-acked
   messages come back). A second baseline, one bare single-row INSERT + COMMIT per row into access_log, is what
   the one-transaction-per-event kinds are compared with.

Printed: district build time, messages/s through the intake vs the bare insert, p50/p99 of a batch's store
latency and of an alarm's latency (message batch arrival → alarm row committed by the handler), simulated hours
per wall second, database growth per compound-day, and the rollup job's time over the day.

    .venv/bin/python bench/bench_district_day.py [--compounds 177] [--hours 24] [--interval 60] [--pg URL] \
        [--gateways 2]

Not covered yet: vehicles; outbox workers in several processes (one in-process worker delivers).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _common import fresh_demo_db


def db_size(url: str) -> int:
    from sqlalchemy import text

    from anju.core.db import new_session

    with new_session() as s:
        if url.startswith("postgresql"):
            return int(s.execute(text("SELECT pg_database_size(current_database())")).scalar_one())
        s.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        return os.path.getsize(url.removeprefix("sqlite:///"))


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    vs = sorted(values)
    return vs[min(len(vs) - 1, int(q * len(vs)))]


def build_district(n: int, rng: random.Random) -> tuple[list[tuple[int, str]], int, int]:
    """n compounds with their structure and devices; returns [(id, code)], houses, devices."""
    from sqlalchemy import func, select

    from anju.core.db import transaction
    from anju.devices.models import Device
    from anju.registry.schemas import CompoundCreate
    from anju.registry.structure_schemas import GeneratorSpec
    from anju.registry.structure_service import structure_service
    from anju.sim.devices_demo import register_demo_devices

    out: list[tuple[int, str]] = []
    houses = 0
    for i in range(n):
        target = rng.randint(200, 3000)
        floors = rng.choice([6, 11, 18, 26, 33])
        units = rng.choice([1, 2, 3])
        per_floor = rng.choice([2, 4])
        buildings = max(1, round(target / (floors * units * per_floor)))
        code = f"D{i:03d}"
        with transaction() as s:
            c = structure_service.create_compound(
                s, who=None, data=CompoundCreate(code=code, name=f"红谷滩第{i + 1}小区", address=f"红谷滩区 {i + 1} 号")
            )
            spec = GeneratorSpec(
                buildings_from=1,
                buildings_to=buildings,
                units=units,
                floors_to=floors,
                houses_per_floor=per_floor,
                confirm=True,
            )
            houses += structure_service.generate(s, who=None, compound=c, spec=spec).houses
            register_demo_devices(s, compound_id=c.id)
            out.append((c.id, code))
    with transaction() as s:
        devices = int(s.execute(select(func.count()).select_from(Device)).scalar_one())
    return out, houses, devices


# Share of a day's passages in each hour (China time = UTC+8): night, morning peak, day, evening peak.
_HOUR_WEIGHT = [
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
    return _HOUR_WEIGHT[(at.hour + 8) % 24] / sum(_HOUR_WEIGHT) * minutes / 60.0


def doomed_worker(url: str) -> None:
    """An outbox worker in its own process with a short lease; the bench SIGKILLs it mid-batch."""
    os.environ["ANJU_DATABASE_URL"] = url
    from anju.core import db as core_db
    from anju.core.events import deliver_pending
    from anju.startup import register_all

    core_db.set_engine(core_db.make_engine(url))
    register_all()
    while True:
        deliver_pending(worker_id="doomed", limit=200, lease_seconds=3)


def kill_a_worker_mid_batch(url: str) -> int:
    """Start `doomed_worker`, wait until it holds a lease, SIGKILL it; returns the events it held."""
    import multiprocessing as mp

    from sqlalchemy import func, select

    from anju.core.db import new_session
    from anju.core.events import OutboxEvent

    proc = mp.get_context("spawn").Process(target=doomed_worker, args=(url,), daemon=True)
    proc.start()
    held, deadline = 0, time.monotonic() + 60
    while time.monotonic() < deadline and not held:
        time.sleep(0.05)
        with new_session() as s:
            held = int(
                s.execute(
                    select(func.count()).select_from(OutboxEvent).where(OutboxEvent.locked_by == "doomed")
                ).scalar_one()
            )
    proc.kill()
    proc.join()
    return held


ROOT = Path(__file__).resolve().parent.parent
ANJU = str(ROOT / ".venv" / "bin" / "anju")


def setup_services(
    codes: dict[int, str], rng: random.Random
) -> tuple[object, dict[int, list[int]], dict[int, list[str]]]:
    """A staff principal of every district compound, up to 200 sample houses per compound, and a 6-checkpoint
    patrol route per compound (their QR codes)."""
    from sqlalchemy import func, select

    from anju.accounts.models import User
    from anju.core.auth import Principal
    from anju.core.db import transaction
    from anju.core.rbac import Role
    from anju.patrol.models import PatrolCheckpoint
    from anju.patrol.service import create_route
    from anju.registry.models import House

    with transaction() as s:
        uid = int(s.execute(select(func.min(User.id))).scalar_one())
        staff = Principal(
            user_id=uid, username="bench", display_name="bench", role=Role.platform_admin, compound_ids=frozenset(codes)
        )
        houses: dict[int, list[int]] = {}
        for cid in codes:
            ids = list(s.execute(select(House.id).where(House.compound_id == cid).order_by(House.id)).scalars())
            houses[cid] = rng.sample(ids, min(200, len(ids)))
        patrol: dict[int, list[str]] = {}
        for cid in codes:
            route = create_route(
                s,
                by=staff,
                compound_id=cid,
                name="夜间巡更",
                checkpoints=[{"name": f"巡更点{k + 1}"} for k in range(6)],
                windows=[],
            )
            patrol[cid] = list(
                s.execute(
                    select(PatrolCheckpoint.code)
                    .where(PatrolCheckpoint.route_id == route.id)
                    .order_by(PatrolCheckpoint.seq)
                ).scalars()
            )
    return staff, houses, patrol


class OtherTraffic:
    """Visitors at the desk, work orders and patrol check-ins: each through its service, each its own commit."""

    def __init__(self, run: str, codes: dict[int, str], houses_of: dict[int, int]) -> None:
        self.run = run
        self.codes = codes
        self.houses_of = houses_of
        self.owed = {k: dict.fromkeys(codes, 0.0) for k in ("visitors", "orders")}
        self.made = {"visitors": 0, "work orders": 0, "patrol check-ins": 0}
        self.secs = dict.fromkeys(self.made, 0.0)
        self.resent = 0
        self.checkins: set[str] = set()

    def total(self) -> int:
        return sum(self.made.values()) + self.resent

    def timing(self) -> dict[str, tuple[int, float]]:
        return {k: (self.made[k] + (self.resent if k == "patrol check-ins" else 0), self.secs[k]) for k in self.made}

    def _due(self, kind: str, cid: int, amount: float) -> int:
        self.owed[kind][cid] += amount
        n = int(self.owed[kind][cid])
        self.owed[kind][cid] -= n
        return n

    def play_slot(
        self,
        slot: int,
        at: datetime,
        args: argparse.Namespace,
        staff: object,
        houses: dict[int, list[int]],
        patrol: dict[int, list[str]],
        rng: random.Random,
    ) -> None:
        from anju.access.schemas import WalkInCreate
        from anju.access.visitor_service import visitor_pass_service
        from anju.core.auth import Principal
        from anju.core.db import transaction
        from anju.patrol.service import check_in
        from anju.workorders.enums import OrderKind
        from anju.workorders.schemas import OrderCreate
        from anju.workorders.service import work_order_service

        assert isinstance(staff, Principal)
        every = max(1, round(args.patrol_hours * 60 / args.interval))
        for cid in self.codes:
            hs = houses.get(cid) or []
            if not hs:
                continue
            total_houses = self.houses_of.get(cid, 0)  # the sample's houses host the compound's traffic
            t0 = time.perf_counter()
            for j in range(
                self._due("visitors", cid, total_houses * args.visitors_per_house * passages_share(at, args.interval))
            ):
                with transaction() as s:
                    data = WalkInCreate(host_house_id=rng.choice(hs), visitor_name=f"访客{j}", note=f"{self.run}-v")
                    visitor_pass_service.walk_in(s, who=staff, data=data, now=at + timedelta(seconds=j))
                self.made["visitors"] += 1
            t1 = time.perf_counter()
            for j in range(self._due("orders", cid, total_houses * args.orders_per_house * args.interval / 1440)):
                with transaction() as s:
                    data = OrderCreate(
                        compound_id=cid,
                        kind=OrderKind.common_repair,
                        title=f"{self.run} 楼道灯不亮 {cid}-{slot}-{j}",
                        location="楼道",
                    )
                    work_order_service.open(s, by=staff, data=data, now=at + timedelta(seconds=j))
                self.made["work orders"] += 1
            t2 = time.perf_counter()
            if slot % every == 0:  # a round of the route, the phone queues each scan with its own id
                for k, code in enumerate(patrol.get(cid) or []):
                    client_id = f"{self.run}-{cid}-{slot}-{k}"
                    scanned = at + timedelta(minutes=k)
                    for _ in range(2 if rng.random() < 0.05 else 1):
                        with transaction() as s:
                            check_in(
                                s,
                                by=staff,
                                code=code,
                                now=scanned + timedelta(seconds=30),
                                scanned_at=scanned,
                                client_id=client_id,
                            )
                        if client_id in self.checkins:
                            self.resent += 1
                        else:
                            self.checkins.add(client_id)
                            self.made["patrol check-ins"] += 1
            t3 = time.perf_counter()
            self.secs["visitors"] += t1 - t0
            self.secs["work orders"] += t2 - t1
            self.secs["patrol check-ins"] += t3 - t2

    def rows(self, s: object) -> dict[str, tuple[int, int, int]]:
        """Per kind: (made, rows stored, rows doubled)."""
        from sqlalchemy import func, select
        from sqlalchemy.orm import Session

        from anju.access.models import VisitorPass
        from anju.patrol.models import PatrolCheckin
        from anju.workorders.models import WorkOrder

        assert isinstance(s, Session)
        v = int(
            s.execute(
                select(func.count()).select_from(VisitorPass).where(VisitorPass.note == f"{self.run}-v")
            ).scalar_one()
        )
        w = s.execute(
            select(func.count(), func.count(func.distinct(WorkOrder.title))).where(
                WorkOrder.title.like(f"{self.run} %")
            )
        ).one()
        p = s.execute(
            select(func.count(), func.count(func.distinct(PatrolCheckin.client_id))).where(
                PatrolCheckin.client_id.like(f"{self.run}-%")
            )
        ).one()
        return {
            "visitors": (self.made["visitors"], v, max(0, v - self.made["visitors"])),
            "work orders": (self.made["work orders"], int(w[0]), int(w[0]) - int(w[1])),
            "patrol check-ins": (self.made["patrol check-ins"], int(p[0]), int(p[0]) - int(p[1])),
        }


class Gateways:
    """A private Mosquitto and N `anju gateway` processes in one shared subscription; a publisher for the day."""

    def __init__(self, url: str, n: int) -> None:
        from _mqtt import Broker, Publisher

        self.url = url
        self.broker = Broker()
        self.broker.start()
        self.group = f"district{int(time.time())}"
        self.logs = Path(os.environ.get("TMPDIR", "/tmp")) / f"anju-district-gw-{self.group}"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.procs: list[subprocess.Popen[bytes]] = [self._spawn(i) for i in range(n)]
        self._wait_connected()
        self.pub = Publisher(self.broker.port)

    def client_id(self, i: int) -> str:
        return f"{self.group}-gw{i}"

    def _spawn(self, i: int) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "ANJU_DATABASE_URL": self.url,
            "ANJU_MQTT_URL": self.broker.url,
            "ANJU_MQTT_SHARE_GROUP": self.group,
        }
        out = open(self.logs / f"gw{i}.log", "ab")  # noqa: SIM115  (the process owns it)
        return subprocess.Popen([ANJU, "gateway", "--client-id", self.client_id(i)], env=env, stdout=out, stderr=out)

    def _wait_connected(self) -> None:
        """Until every gateway recorded its connect (it subscribes on connecting), plus a second for the SUBACK."""
        from sqlalchemy import func, select

        from anju.core.db import new_session
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
        raise RuntimeError(f"gateways did not connect; see {self.logs}")

    def kill_and_restart(self, i: int) -> None:
        self.procs[i].send_signal(signal.SIGKILL)
        self.procs[i].wait()
        self.procs[i] = self._spawn(i)

    def wait_stored(self, run: str, expected: int) -> None:
        from sqlalchemy import func, select

        from anju.core.db import new_session
        from anju.devices.models import DeviceMessage

        last, still = -1, time.monotonic()
        while True:
            with new_session() as s:
                n = int(
                    s.execute(
                        select(func.count()).select_from(DeviceMessage).where(DeviceMessage.event_id.like(f"{run}-%"))
                    ).scalar_one()
                )
            if n >= expected:
                return
            if n != last:
                last, still = n, time.monotonic()
            elif time.monotonic() - still > 600:
                print(f"gateways stalled at {n} of {expected} messages; see {self.logs}")
                return
            time.sleep(0.5)

    def stop(self) -> str:
        """Stop the gateways (SIGTERM: they finish their batch) and the broker; their last 'received' log lines."""
        self.pub.close()
        for p in self.procs:
            p.send_signal(signal.SIGTERM)
        for p in self.procs:
            p.wait(60)
        self.broker.stop()
        got = []
        for i in range(len(self.procs)):
            lines = [
                ln for ln in (self.logs / f"gw{i}.log").read_text(errors="replace").splitlines() if "received=" in ln
            ]
            got.append(lines[-1].split("received=")[1].split()[0] if lines else "?")
        return " / ".join(got) + " (since its last start)"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--compounds", type=int, default=177)
    ap.add_argument("--hours", type=float, default=24.0, help="simulated hours of the day")
    ap.add_argument("--interval", type=float, default=60.0, help="simulated minutes between a device's messages")
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--pg", default=None)
    ap.add_argument("--access-per-house", type=float, default=4.0, help="card passages per house per day")
    ap.add_argument("--start-hour", type=int, default=0, help="China-time hour the simulated day starts at")
    ap.add_argument("--visitors-per-house", type=float, default=0.15, help="walk-in visitors per house per day")
    ap.add_argument("--orders-per-house", type=float, default=0.02, help="work orders per house per day")
    ap.add_argument("--patrol-hours", type=float, default=2.0, help="hours between a compound's patrol rounds")
    ap.add_argument("--gateways", type=int, default=0, help="gateway processes (shared subscription); 0: in-process")
    args = ap.parse_args()

    url, built = fresh_demo_db(args.pg, full=False)
    print(f"demo database {url.split('://')[0]} built in {built:.1f} s; load average {os.getloadavg()[0]:.1f}")

    from sqlalchemy import func, insert, select

    from anju.alarms.models import Alarm
    from anju.core.db import new_session, transaction
    from anju.core.events import deliver_pending
    from anju.core.rollup import run_rollups
    from anju.devices.intake_service import intake_service
    from anju.devices.models import Device, DeviceMessage
    from anju.devices.protocol import sign_mqtt, topic_for
    from anju.sim.devices_demo import demo_secret
    from anju.sim.simulator import SimDevice, normal
    from anju.startup import register_all

    register_all()
    rng = random.Random(19)
    t0 = time.perf_counter()
    compounds, houses, n_devices = build_district(args.compounds, rng)
    print(
        f"district: {len(compounds)} compounds, {houses} houses, {n_devices} devices in {time.perf_counter() - t0:.1f} s"
    )
    codes = dict(compounds)
    from anju.access.decision_service import decision_service
    from anju.access.models import AccessLog, Terminal, TerminalAccessPoint
    from anju.access.schemas import CredentialIn, DecisionRequest
    from anju.core.events import OutboxEvent
    from anju.registry.models import House
    from anju.sim.access_demo import build_access_demo

    a0 = time.perf_counter()
    gates: list[tuple[int, int, int]] = []  # (compound, terminal, access point)
    houses_of: dict[int, int] = {}
    with transaction() as s:
        for cid, _ in compounds:
            build_access_demo(s, compound_id=cid)
        for t_id, ap_id, cid in s.execute(
            select(Terminal.id, TerminalAccessPoint.access_point_id, Terminal.compound_id)
            .join(TerminalAccessPoint, TerminalAccessPoint.terminal_id == Terminal.id)
            .where(Terminal.compound_id.in_(list(codes)))
        ):
            gates.append((int(cid), int(t_id), int(ap_id)))
        houses_of = {
            int(c): int(n)
            for c, n in s.execute(
                select(House.compound_id, func.count())
                .where(House.compound_id.in_(list(codes)))
                .group_by(House.compound_id)
            )
        }
    gates_of: dict[int, list[tuple[int, int]]] = {}
    for cid, t_id, ap_id in gates:
        gates_of.setdefault(cid, []).append((t_id, ap_id))
    print(f"access: {len(gates)} terminal-gate pairs in {time.perf_counter() - a0:.1f} s")
    staff, house_sample, patrol_codes = setup_services(codes, rng)
    with new_session() as s:
        devices = [
            (
                SimDevice(d.device_key, d.device_type, demo_secret(d.device_key), 60, None, d.floor, ""),
                codes[d.compound_id],
            )
            for d in s.execute(select(Device).where(Device.compound_id.in_(list(codes))).order_by(Device.id)).scalars()
        ]
    gateways = Gateways(url, args.gateways) if args.gateways else None
    size0 = db_size(url)
    alarms0 = 0
    with new_session() as s:
        alarms0 = int(s.execute(select(func.count()).select_from(Alarm)).scalar_one())

    # The day: each slot (interval) every device sends once; slots are replayed as fast as the intake goes.
    slots = int(args.hours * 60 / args.interval)
    # The day starts at --start-hour China time (UTC+8) two days ago, so a short run can cover a peak.
    midnight_cn = (datetime.now(UTC) + timedelta(hours=8)).replace(hour=0, minute=0, second=0, microsecond=0)
    day0 = midnight_cn - timedelta(hours=8) - timedelta(days=2) + timedelta(hours=args.start_hour)
    sent = stored = alarm_msgs = 0
    batch_ms: list[float] = []
    alarm_ms: list[float] = []
    run = str(int(time.time()))
    decided: dict[str, tuple[int, int]] = {}  # record id -> (terminal, access point) it was sent by
    replays = access_ms_n = 0
    access_wall = 0.0
    killed_held = resent = resent_stored = 0
    last_chunk: list[tuple[str, bytes]] = []
    last_at = day0
    owed = dict.fromkeys(codes, 0.0)
    other = OtherTraffic(run, codes, houses_of)
    alarm_pub: dict[str, float] = {}
    slot_pub: dict[int, float] = {}  # with gateways: when each slot's publishing started (wall clock)
    other_wall = publish_wall = 0.0
    wall0 = time.perf_counter()
    for slot in range(slots):
        at = day0 + timedelta(minutes=slot * args.interval)
        kill_now = slot == slots // 2  # fault: this slot's events are left to a worker that dies holding them
        if slot == (3 * slots) // 4 and gateways is not None:  # fault: a gateway dies, its session resumes
            gateways.kill_and_restart(0)
        elif slot == (3 * slots) // 4 and last_chunk:  # fault: gateway restart, the broker redelivers a batch
            from anju.devices.intake_service import directory

            directory.clear()
            with transaction() as s:
                acc, rej = intake_service.parse_mqtt(s, last_chunk, now=last_at + timedelta(seconds=30))
                out = intake_service.store(
                    s, [a for a in acc if a is not None], [r for r in rej if r is not None], now=at
                )
            resent += len(last_chunk)
            resent_stored += out.inserted
        # Access: each compound's passages of this slot, decided one by one as a terminal would ask.
        ac0 = time.perf_counter()
        for cid in codes:
            owed[cid] += houses_of.get(cid, 0) * args.access_per_house * passages_share(at, args.interval)
            n_now, owed[cid] = int(owed[cid]), owed[cid] - int(owed[cid])
            pairs = gates_of.get(cid) or []
            for j in range(n_now if pairs else 0):
                t_id, ap_id = pairs[j % len(pairs)]
                replay = bool(decided) and rng.random() < 0.02
                rid = rng.choice(list(decided)[-50:]) if replay else f"{run}-{slot}-{cid}-{j}"
                if replay:  # an offline terminal re-sends a record it already sent
                    t_id, ap_id = decided[rid]
                with transaction() as s:
                    term = s.get(Terminal, t_id)
                    assert term is not None
                    req = DecisionRequest(
                        access_point_id=ap_id,
                        credential=CredentialIn(kind="card", value=f"{rng.getrandbits(32):08X}"),
                        record_id=rid,
                    )
                    decision_service.decide(s, terminal=term, req=req, now=at + timedelta(seconds=j % 60))
                replays += bool(replay)
                decided[rid] = (t_id, ap_id)
                access_ms_n += 1
        access_wall += time.perf_counter() - ac0
        o0 = time.perf_counter()
        other.play_slot(slot, at, args, staff, house_sample, patrol_codes, rng)
        other_wall += time.perf_counter() - o0
        items: list[tuple[str, bytes]] = []
        for k, (d, code) in enumerate(devices):
            data = normal(d, rng)
            if d.device_type == "smoke_detector" and rng.random() < 0.0005:
                data = {"smoke": 7.0, "alarm": True}
                alarm_msgs += 1
                alarm_pub.setdefault(d.key, time.time())  # with gateways: published about now (below)
            topic = topic_for(code, d.key, "telemetry")
            msg = {"event_id": f"{run}-{slot}-{k}", "ts": at.isoformat(), "data": data}
            items.append((topic, sign_mqtt(d.secret, topic, msg)))
        if gateways is not None:  # the gateways store them in their own processes; this one only publishes
            p0 = time.perf_counter()
            slot_pub[slot] = time.time()
            for topic, payload in items:
                gateways.pub.publish(topic, payload)
            sent += len(items)
            publish_wall += time.perf_counter() - p0
            while not kill_now and deliver_pending(worker_id="district", limit=500):
                pass
            if kill_now:
                killed_held = kill_a_worker_mid_batch(url)
            continue
        for i in range(0, len(items), args.batch):
            chunk = items[i : i + args.batch]
            b0 = time.perf_counter()
            with transaction() as s:
                acc, rej = intake_service.parse_mqtt(s, chunk, now=at)
                out = intake_service.store(
                    s, [a for a in acc if a is not None], [r for r in rej if r is not None], now=at
                )
            stored += out.inserted
            last_chunk, last_at = chunk, at
            b1 = time.perf_counter()
            batch_ms.append((b1 - b0) * 1000)
            raised = bool(out.alarms_raised)
            while not kill_now and deliver_pending(worker_id="district", limit=500):
                pass
            if raised and not kill_now:
                alarm_ms.append((time.perf_counter() - b0) * 1000)
            sent += len(chunk)
        if kill_now:
            killed_held = kill_a_worker_mid_batch(url)
    gw_drain = 0.0
    if gateways is not None:  # until the gateways stored every message (or 10 minutes went by without progress)
        d0 = time.perf_counter()
        gateways.pub.wait_all()
        gateways.wait_stored(run, sent)
        gw_drain = time.perf_counter() - d0
    # The killed worker's lease runs out; everything left is delivered by the surviving worker.
    settle = time.perf_counter() + 10
    while time.perf_counter() < settle:
        while deliver_pending(worker_id="district", limit=500):
            pass
        with new_session() as s:
            left = int(
                s.execute(
                    select(func.count()).select_from(OutboxEvent).where(OutboxEvent.status != "done")
                ).scalar_one()
            )
        if not left:
            break
        time.sleep(0.5)
    wall = time.perf_counter() - wall0
    if gateways is not None:
        gw_stats = gateways.stop()
    size1 = db_size(url)
    from sqlalchemy import text

    with new_session() as s:
        tel_rows = int(
            s.execute(
                select(func.count()).select_from(DeviceMessage).where(DeviceMessage.event_id.like(f"{run}-%"))
            ).scalar_one()
        )
        acc_rows = int(
            s.execute(
                select(func.count()).select_from(AccessLog).where(AccessLog.record_id.like(f"{run}-%"))
            ).scalar_one()
        )
        undelivered = int(
            s.execute(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.status != "done")).scalar_one()
        )
        twice = int(
            s.execute(
                text(
                    "SELECT count(*) FROM (SELECT 1 FROM event_handled GROUP BY event_id, handler HAVING count(*) > 1) x"
                )
            ).scalar_one()
        )
    with new_session() as s:
        alarms = int(s.execute(select(func.count()).select_from(Alarm)).scalar_one()) - alarms0
        if gateways is not None:  # publish -> the alarm row written in a gateway's batch (its clock, same machine)
            id_of = dict(s.execute(select(Device.device_key, Device.id).where(Device.device_key.in_(alarm_pub))).all())
            made = dict(
                s.execute(
                    select(Alarm.device_id, func.min(Alarm.created_at))
                    .where(Alarm.device_id.in_(list(id_of.values())))
                    .group_by(Alarm.device_id)
                ).all()
            )
            alarm_ms = [(made[id_of[k]].timestamp() - t) * 1000 for k, t in alarm_pub.items() if id_of.get(k) in made]
        other_rows = other.rows(s)
    r0 = time.perf_counter()
    reports = run_rollups()
    rollup_s = time.perf_counter() - r0

    # Baseline: the same number of rows, bare Core INSERTs in the same batch size.
    ids = [(d_id, c_id) for d_id, c_id in _device_ids()]
    rows_total = sent
    b_wall0 = time.perf_counter()
    n = 0
    while n < rows_total:
        rows = []
        for j in range(min(args.batch, rows_total - n)):
            d_id, c_id = ids[(n + j) % len(ids)]
            rows.append(
                {
                    "device_id": d_id,
                    "compound_id": c_id,
                    "event_id": f"base-{n + j}",
                    "kind": "telemetry",
                    "device_at": day0,
                    "received_at": day0,
                    "data": {"v": 1},
                }
            )
        with transaction() as s:
            s.execute(insert(DeviceMessage), rows)
        n += len(rows)
    b_wall = time.perf_counter() - b_wall0
    # Second baseline: one bare single-row INSERT + COMMIT per row into access_log (what a per-event transaction
    # costs without any rule), for the kinds that commit one event at a time.
    c_rows = min(3000, max(500, access_ms_n))
    cid0, (t0_id, ap0_id) = next((c, p[0]) for c, p in gates_of.items() if p)
    c_wall0 = time.perf_counter()
    for _ in range(c_rows):
        with transaction() as s:
            s.execute(
                insert(AccessLog).values(
                    compound_id=cid0,
                    access_point_id=ap0_id,
                    terminal_id=t0_id,
                    method="card",
                    decision="deny",
                    reason="unknown_credential",
                    direction="in",
                    source="online",
                    server_at=day0,
                    skew_flagged=False,
                )
            )
    commit_rate = c_rows / (time.perf_counter() - c_wall0)

    tel_wall = wall - access_wall - other_wall
    if gateways is not None:
        # The gateways work while this process plays the other traffic: their time is, per slot, from the start of
        # its publishing to the receive time the gateways stamped on the slot's last stored message (a batch is
        # stamped when it is taken, before its commit), summed over the slots.
        with new_session() as s:
            tel_wall = 0.0
            for slot_no, t_pub in slot_pub.items():
                last = s.execute(
                    select(func.max(DeviceMessage.received_at)).where(DeviceMessage.event_id.like(f"{run}-{slot_no}-%"))
                ).scalar_one()
                tel_wall += max(0.0, last.timestamp() - t_pub) if last is not None else 0.0
    rate, base_rate = sent / tel_wall, rows_total / b_wall
    if gateways is not None:
        stored = tel_rows  # stored by the gateways; the ledger compares with the distinct messages sent
    print(
        f"day: {slots} slots x {len(devices)} devices = {sent} messages ({stored} stored), {alarm_msgs} alarm messages"
    )
    if gateways is not None:
        print(
            f"intake through {args.gateways} gateway processes (MQTT shared subscription, QoS 1, ack after commit): "
            f"{rate:,.0f} msg/s from publish to stored ({tel_wall:.1f} s summed over the slots, concurrent with the "
            f"other traffic; publishing took {publish_wall:.1f} s, the gateways drained {gw_drain:.1f} s after the day); "
            f"per gateway received {gw_stats}"
        )
    else:
        print(
            "intake (parse+HMAC+validate+store+state+rules+outbox, then handlers): "
            f"{rate:,.0f} msg/s in {tel_wall:.1f} s"
        )
    print(
        f"baseline bare INSERT of the same rows:                               {base_rate:,.0f} msg/s in {b_wall:.1f} s"
    )
    print(f"ratio intake / bare insert: {rate / base_rate:.2f}")
    print(f"simulated time: {args.hours:g} h in {wall:.0f} s = {args.hours * 3600 / wall:,.0f}x real time")
    if gateways is None:  # with gateways the batches are theirs (their logs), and so is the alarm's path
        print(
            f"batch store latency ({args.batch} msgs): p50 {pct(batch_ms, 0.5):.0f} ms, p99 {pct(batch_ms, 0.99):.0f} ms"
        )
    print(
        (
            "alarm latency (publish -> alarm row in the gateway's batch): "
            if gateways is not None
            else "alarm latency (batch arrival -> alarm committed by its handler): "
        )
        + f"{len(alarm_ms)} {'alarms' if gateways is not None else 'batches'}, "
        f"p50 {pct(alarm_ms, 0.5):.0f} ms, p99 {pct(alarm_ms, 0.99):.0f} ms; {alarms} alarms raised"
    )
    per_cday = (size1 - size0) / len(compounds) / (args.hours / 24)
    print(f"database growth: {(size1 - size0) / 1e6:.1f} MB = {per_cday / 1e6:.2f} MB per compound-day")
    print(f"rollup job over the day: {rollup_s:.1f} s ({', '.join(f'{r.name} {r.rows} rows' for r in reports)})")
    acc_rate = access_ms_n / max(access_wall, 1e-9)
    print(
        f"access: {access_ms_n} card decisions ({replays} offline replays) in {access_wall:.1f} s = "
        f"{acc_rate:,.0f} decisions/s, each its own commit"
    )
    print(f"baseline bare single-row INSERT + COMMIT into access_log: {commit_rate:,.0f} rows/s ({c_rows} rows)")
    print(f"ratio access decisions / bare commit: {acc_rate / commit_rate:.2f}")
    for kind, (n_kind, secs) in other.timing().items():
        k_rate = n_kind / max(secs, 1e-9)
        print(
            f"{kind}: {n_kind} in {secs:.1f} s = {k_rate:,.1f}/s, each its own commit; "
            f"ratio / bare commit {k_rate / commit_rate:.2f}"
        )
    events = sent + access_ms_n + other.total()
    print(f"all traffic: {events} events in {wall:.1f} s = {events / wall:,.0f} events/s sustained")
    if gateways is not None:
        print(
            f"faults: worker SIGKILLed holding {killed_held} events; gateway 0 SIGKILLed and restarted at 3/4 of the "
            "day (its persistent session resumed)"
        )
    else:
        print(
            f"faults: worker SIGKILLed holding {killed_held} events; gateway restart redelivered {resent} messages, "
            f"{resent_stored} stored again"
        )
    lost_t, doubled_t = max(0, stored - tel_rows), max(0, tel_rows - stored)
    print(
        f"ledger: telemetry sent {sent} unique, stored {tel_rows} (lost {sent - tel_rows}, doubled {resent_stored}); "
        f"access decided {len(decided)} unique, logged {acc_rows} (lost {max(0, len(decided) - acc_rows)}, "
        f"doubled {max(0, acc_rows - len(decided))}); outbox undelivered {undelivered}, handled twice {twice}"
        + ("" if not (lost_t or doubled_t) else f"; stored counter mismatch {lost_t}/{doubled_t}")
    )
    for kind, (n_made, n_rows, n_doubled) in other_rows.items():
        print(f"ledger {kind}: made {n_made}, stored {n_rows} (lost {max(0, n_made - n_rows)}, doubled {n_doubled})")
    full_events = n_devices * 24 * 60 / args.interval + houses * args.access_per_house
    scale = 177 / len(compounds)
    print(
        f"extrapolation: this run is {len(compounds)} compounds x {args.hours:g} h; the full day of 177 compounds "
        f"is ~{full_events * scale:,.0f} events (devices every {args.interval:g} min, "
        f"{args.access_per_house:g} passages/house) -> ~{full_events * scale / (events / wall) / 60:,.0f} min "
        "at this run's events/s on one process"
    )
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


def _device_ids() -> list[tuple[int, int]]:
    from sqlalchemy import select

    from anju.core.db import new_session
    from anju.devices.models import Device

    with new_session() as s:
        return [(int(a), int(b)) for a, b in s.execute(select(Device.id, Device.compound_id).order_by(Device.id))]


if __name__ == "__main__":
    main()
