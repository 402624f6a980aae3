"""A district day played by M processes (issue 19 item 5: "M workers"), with outbox workers delivering meanwhile.

- Traffic: M processes, each playing a disjoint share of the compounds (the biggest compounds first, each to the
  least loaded share). A compound's events come from its own random streams, so the day is the same event for event
  whichever process plays a compound; every process stamps the same run id and plays the same simulated day.
- Outbox: M worker processes deliver the outbox continuously while the traffic flows (the delivery half of
  `anju worker`: `deliver_pending` in a loop, polling every 100 ms when idle; SIGTERM finishes the event in hand
  and gives back the claims). They run no scheduled jobs: the day is replayed in the past, and the jobs judge by the
  wall clock (the heartbeat check would find every replayed device silent for days and raise offline alarms).
- Ledger: each process returns what it sent (`DayCounts`); the parent adds them up and compares with the rows stored
  under the run id, so it is exact across processes.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import queue as queue_mod
import signal
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from anju.sim.district import DayCounts, DayRates, District, DistrictDay, place_day

log = logging.getLogger("anju.sim.district")


def split_shares(world: District, m: int) -> list[frozenset[str]]:
    """The compounds in m shares of about equal houses (largest first, each to the lightest share)."""
    loads = [0] * m
    shares: list[set[str]] = [set() for _ in range(m)]
    for cid in sorted(world.codes, key=lambda c: (-world.houses_of.get(c, 0), world.codes[c])):
        i = loads.index(min(loads))
        shares[i].add(world.codes[cid])
        loads[i] += world.houses_of.get(cid, 0)
    return [frozenset(s) for s in shares if s]


@dataclass(frozen=True)
class ShareSpec:
    url: str
    n: int  # the district's size (its plan is drawn again from the seed)
    seed: int
    codes: frozenset[str]
    hours: float
    start_hour: int
    rates: DayRates
    run: str
    day0: datetime
    mqtt_url: str | None = None
    day_seed: int | None = None  # the day's traffic (default: the district's seed)


def _attach(url: str) -> None:
    os.environ["ANJU_DATABASE_URL"] = url
    from anju.core import db as core_db
    from anju.core.config import reset_settings
    from anju.startup import register_all

    reset_settings()
    core_db.set_engine(core_db.make_engine(url))
    register_all()


def _share_main(i: int, spec: ShareSpec, q: Any) -> None:
    """A traffic process: find the district, play its share of the compounds, report what it sent."""
    try:
        t0 = time.perf_counter()
        _attach(spec.url)
        from anju.sim.district import MqttPublisher, build_district, plan_district

        world = build_district(plan_district(spec.n, seed=spec.seed), seed=spec.seed)
        q.put(("ready", i, time.perf_counter() - t0))
        day = DistrictDay(
            world,
            hours=spec.hours,
            start_hour=spec.start_hour,
            seed=spec.seed if spec.day_seed is None else spec.day_seed,
            rates=spec.rates,
            run=spec.run,
            codes=spec.codes,
            day0=spec.day0,
        )
        pub = MqttPublisher(spec.mqtt_url, f"anju-district-{spec.run}-p{i}") if spec.mqtt_url else None
        try:
            day.play(
                deliver=False,
                gateways=pub,
                progress=lambda done, total, d: q.put(("progress", i, done, d.events())),
            )
            if pub is not None:
                pub.wait_published()
        finally:
            if pub is not None:
                pub.close()
        q.put(("done", i, day.counts))
    except Exception:
        log.exception("district traffic process %d failed", i)
        q.put(("error", i, traceback.format_exc()))


def _outbox_main(url: str, worker_id: str, poll: float) -> None:
    """An outbox worker: deliver until SIGTERM, then give back what it claimed."""
    _attach(url)
    from anju.core.events import deliver_pending, release_claims

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        while not stop.is_set():
            try:
                busy = deliver_pending(worker_id=worker_id, limit=100, should_stop=stop.is_set)
            except Exception:
                log.exception("outbox worker %s: delivery failed", worker_id)
                busy = 0
            if not busy:
                stop.wait(poll)
    finally:
        release_claims(worker_id)


class OutboxWorkers:
    """M outbox worker processes (spawned: a fresh interpreter each, as `anju worker` would be)."""

    def __init__(self, url: str, m: int, *, tag: str, poll: float = 0.1) -> None:
        self.url, self.tag, self.poll = url, tag, poll
        self.procs = [self._spawn(i) for i in range(m)]

    def _spawn(self, i: int) -> Any:
        p = mp.get_context("spawn").Process(
            target=_outbox_main, args=(self.url, f"district-{self.tag}-w{i}", self.poll), daemon=True
        )
        p.start()
        return p

    def kill_and_restart(self, i: int) -> None:
        """SIGKILL worker i (its claimed events come back when their lease runs out) and start it again."""
        self.procs[i].kill()
        self.procs[i].join()
        self.procs[i] = self._spawn(i)

    def stop(self, timeout: float = 30) -> None:
        for p in self.procs:
            if p.is_alive():
                p.terminate()  # SIGTERM: the event in hand is finished, the claims given back
        for p in self.procs:
            p.join(timeout)


@dataclass
class ParallelResult:
    counts: DayCounts
    run: str
    day0: datetime
    wall: float  # traffic start -> last process done
    settle: float  # then until the outbox was empty
    left: int  # events the workers had not delivered when it gave up
    startup: float  # the slowest traffic process's start (interpreter, imports, finding the district)
    killed_worker: bool = False  # outbox worker 0 was SIGKILLed mid-day and restarted


def play_parallel(
    world: District,
    *,
    url: str,
    n: int,
    seed: int,
    hours: float,
    start_hour: int,
    rates: DayRates,
    workers: int,
    outbox_workers: int | None = None,
    mqtt_url: str | None = None,
    run: str | None = None,
    day_seed: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    settle_seconds: float = 300,
    kill_worker_after: float | None = None,
) -> ParallelResult:
    """Play the day with `workers` traffic processes and `outbox_workers` (default: as many) outbox workers; with
    `kill_worker_after`, outbox worker 0 is SIGKILLed that many seconds into the traffic and started again."""
    from anju.sim.district import DistrictDay as _Day

    run = run or f"{int(time.time() * 1000):x}"
    day0 = place_day(list(world.codes), start_hour=start_hour, hours=hours)
    shares = split_shares(world, workers)
    slots = max(1, round(hours * 60 / rates.slot))
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    pool = OutboxWorkers(url, outbox_workers if outbox_workers is not None else workers, tag=run)
    t0 = time.perf_counter()
    procs = []
    for i, codes in enumerate(shares):
        spec = ShareSpec(url, n, seed, codes, hours, start_hour, rates, run, day0, mqtt_url, day_seed)
        p = ctx.Process(target=_share_main, args=(i, spec, q), daemon=True)
        p.start()
        procs.append(p)
    done: dict[int, DayCounts] = {}
    slot_of = [0] * len(shares)
    errors: list[str] = []
    ready: list[float] = []  # seconds each traffic process took to start (import, find the district)
    killed = False
    try:
        while len(done) + len(errors) < len(shares):
            if kill_worker_after is not None and not killed and time.perf_counter() - t0 > kill_worker_after:
                pool.kill_and_restart(0)
                killed = True
            try:
                msg = q.get(timeout=1)
            except queue_mod.Empty:
                if not any(p.is_alive() for p in procs) and q.empty():
                    errors.append("a traffic process died without reporting")
                    break
                continue
            if msg[0] == "ready":
                ready.append(msg[2])
            elif msg[0] == "progress":
                slot_of[msg[1]] = msg[2]
                if progress is not None:
                    progress(min(slot_of), slots)
            elif msg[0] == "done":
                done[msg[1]] = msg[2]
            else:
                errors.append(f"traffic process {msg[1]}: {msg[2]}")
        for p in procs:
            p.join(30)
        wall = time.perf_counter() - t0
        s0 = time.perf_counter()
        left = 0
        if not errors:
            left = _Day.settle_outbox(settle_seconds)
        settle = time.perf_counter() - s0
    finally:
        pool.stop()
        for p in procs:
            if p.is_alive():
                p.kill()
    if errors:
        raise RuntimeError("\n".join(errors))
    counts = DayCounts()
    for i in sorted(done):
        counts = counts + done[i]
    return ParallelResult(counts, run, day0, wall, settle, left, max(ready, default=0.0), killed)
