"""Event bus (issue 19): relay throughput and end-to-end latency vs the database poller, in one run.

Run from the repository root:
    .venv/bin/python bench/bench_bus.py [--pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
        [--nats nats://127.0.0.1:4222] [--events 3000] [--batch 100] [--rate 200] [--seconds 30]
        [--short-poll 0.05] [--consumers 1] [--keep]

A throw-away PostgreSQL database (created on the --pg server, migrated to head, today's outbox partitions made,
dropped afterwards) and a private JetStream stream, subject prefix and durable consumer on the --nats server
(deleted afterwards), so other users of the server are not disturbed. Events are a bench-only type
(`benchbus.Probed`) with one trivial subscriber registered here: it inserts (run, seq, wall time, process role)
into a bench table in the handler's own transaction, so the record is exactly-once like `event_handled`. Each
mode's events carry their run number as compound id, so their subjects on the bus are `<prefix>.<run>.benchbus.Probed`.

Every delivering process is a child process running the production loop (no handler runs in the bench process):
- poller: `anju.core.jobs.Worker.run_forever` (what `anju worker` runs: `deliver_pending` then due jobs, waiting
  ANJU_WORKER_POLL_SECONDS when idle);
- relay: `anju.core.bus.Relay.run` (what `anju relay` runs);
- consumer: `anju.core.bus.Consumer.run` (what `anju consume` runs), with ANJU_BUS_DELIVERY=1, beside a Worker
  whose poller only sweeps events older than ANJU_BUS_SWEEP_AFTER_S (as in production).
The CLI commands add only option parsing and signal handlers; the children run the same classes with the bench's
subscriber registered instead of the domains' (`anju consume` would register only those).

1. Throughput: --events events committed in transactions of --batch (`publish_many`; the bare INSERT+COMMIT rate is
   the baseline), then, each timed from a common start signal to the last event handled (or acknowledged):
   (a) the poller delivering them; (b) the relay publishing those delivered events to JetStream (acknowledged,
   marked); (c) bus delivery of --events fresh events: relay + consumer(s) running the handlers end to end (the
   sweeping worker runs with ANJU_BUS_SWEEP_AFTER_S=3600 here, so the bus alone is timed).
2. Latency: events committed one per transaction at --rate/s for --seconds (open loop; by default 200/s, or a
   quarter of the slower handling rate measured in 1. if that is lower, so no path is measured as a growing queue), from the
   writer's COMMIT returning to the handler running (both wall clock), after one warm-up event through the freshly
   started processes: the poller at the default poll interval (ANJU_WORKER_POLL_SECONDS, 1 s), the poller at
   --short-poll, and the bus path (relay + consumer + sweeping worker) with the relay's default idle wait under bus
   delivery and with the fixed 0.5 s it had before (it was the bus path's latency floor; now ANJU_RELAY_IDLE_S).
   For the bus, also commit -> the relay's mark after JetStream's ack (an upper bound of the time to the stream).
3. A table with ratios against the baselines, the load average, and the exactly-once check of every mode: handler
   records per event, `event_handled` rows, outbox status, and the stream's message count per mode's subject.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import multiprocessing as mp
import os
import sys
import threading
import time
import uuid
from datetime import UTC
from typing import Any

os.environ.setdefault("ANJU_ENV", "development")
os.environ.setdefault("ANJU_SECRET_KEY", "bench-secret-key")

from sqlalchemy import text
from sqlalchemy.orm import Session

from anju.core.events import DomainEvent, subscribe

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import PG_ADMIN_URL, fresh_pg_database, paced

HANDLER = "bench_bus._record"  # the subscriber's name in event_handled, the same in every process

# Runs (the events' compound id, so each mode has its own subject on the bus).
TP_POLLER, TP_BUS = 1, 3  # run 1's events are also the relay throughput's (b)
LAT_POLL_DEFAULT, LAT_POLL_SHORT, LAT_BUS, LAT_BUS_OLD = 4, 5, 6, 7
WARMUP = 9  # one event through each latency mode's processes before its clock starts (connections made)
OLD_RELAY_IDLE = 0.5  # the relay's fixed idle wait before it became a setting (ANJU_RELAY_IDLE_S)


class BenchProbed(DomainEvent):
    topic = "benchbus.Probed"
    run: int
    seq: int
    sent: float  # wall time just before the writer's COMMIT


ROLE = "main"  # the delivering process's role, recorded with each handled event


def _record(session: Session, event: BenchProbed) -> None:
    session.execute(
        text("INSERT INTO bench_bus_seen (run, seq, handled, role) VALUES (:r, :s, :t, :role)"),
        {"r": event.run, "s": event.seq, "t": time.time(), "role": ROLE},
    )


_record.__module__ = "bench_bus"  # a stable handler name whether this file runs as __main__ or __mp_main__
subscribe(BenchProbed)(_record)


# --- set-up --------------------------------------------------------------------------------------------------


def fresh_database(admin_url: str) -> tuple[str, Any]:
    url, drop = fresh_pg_database("bus", admin_url)
    _use_database(url)
    from anju.core import db as core_db
    from anju.core.partitions import maintain

    maintain()  # today's outbox partitions (the hourly partition job's work in production)
    with core_db.transaction() as s:
        s.execute(text("CREATE TABLE bench_bus_seen (run int NOT NULL, seq int NOT NULL, handled float8, role text)"))
    return url, drop


def _use_database(url: str) -> None:
    os.environ["ANJU_DATABASE_URL"] = url
    import anju.models  # noqa: F401 - every mapped table
    from anju.core import db as core_db
    from anju.core.bus import reset_bus_settings
    from anju.core.config import reset_settings

    reset_settings()
    reset_bus_settings()
    core_db.set_engine(core_db.make_engine(url))


# --- child processes: the production loops ---------------------------------------------------------------------


def _child(role: str, url: str, env: dict[str, str], poll: float, ready: Any, go: Any, stop: Any) -> None:
    global ROLE
    ROLE = role
    os.environ.update(env)
    _use_database(url)
    from anju.core.bus import Consumer, Relay, bus_settings

    if role in ("poller", "sweeper"):
        from anju.core.jobs import Worker

        w = Worker(f"bench-{role}-{os.getpid()}", poll_seconds=poll)
        threading.Thread(target=lambda: (stop.wait(), w.stop(wait=0)), daemon=True).start()
        ready.set()
        go.wait()
        w.run_forever()
        return
    runner: Relay | Consumer
    if role == "relay":  # poll: the relay's idle wait (0: Relay's default, what `anju relay` runs)
        runner = Relay(bus_settings(), idle_seconds=poll) if poll else Relay(bus_settings())
    else:
        runner = Consumer(bus_settings(), worker_id=f"bench-{role}-{os.getpid()}")

    async def main() -> None:
        loop = asyncio.get_running_loop()
        threading.Thread(target=lambda: (stop.wait(), loop.call_soon_threadsafe(runner.stop)), daemon=True).start()
        await runner.run()

    ready.set()
    go.wait()
    asyncio.run(main())


class Fleet:
    """Child processes started together, released by one `go` (its wall time returned), stopped together."""

    def __init__(self, url: str, env: dict[str, str], roles: list[tuple[str, float]]) -> None:
        ctx = mp.get_context("spawn")
        self.go, self.stop_event = ctx.Event(), ctx.Event()
        self.procs = []
        readies = []
        for role, poll in roles:
            ready = ctx.Event()
            p = ctx.Process(target=_child, args=(role, url, env, poll, ready, self.go, self.stop_event))
            p.start()
            self.procs.append(p)
            readies.append(ready)
        for ready in readies:
            if not ready.wait(120):
                self.stop()
                sys.exit("a child process did not start")

    def start(self) -> float:
        t = time.time()
        self.go.set()
        return t

    def stop(self) -> None:
        self.stop_event.set()
        self.go.set()
        for p in self.procs:
            p.join(30)
            if p.is_alive():
                p.terminate()
                p.join(10)


# --- measuring -------------------------------------------------------------------------------------------------


def scalar(sql: str, **params: Any) -> Any:
    from anju.core import db as core_db

    with core_db.new_session() as s:
        return s.execute(text(sql), params).scalar()


def write_batches(run: int, n: int, batch: int) -> float:
    """Commit n events of the run in transactions of `batch` (`publish_many`); returns events per second."""
    from anju.core import db as core_db
    from anju.core.events import publish_many

    t0 = time.perf_counter()
    for lo in range(0, n, batch):
        with core_db.transaction() as s:
            now = time.time()
            publish_many(s, [(BenchProbed(run=run, seq=i, sent=now), run) for i in range(lo, min(n, lo + batch))])
    return n / (time.perf_counter() - t0)


def wait_for(sql: str, target: int, *, timeout: float, **params: Any) -> int:
    deadline = time.monotonic() + timeout
    got = 0
    while time.monotonic() < deadline:
        got = int(scalar(sql, **params) or 0)
        if got >= target:
            return got
        time.sleep(0.2)
    return got


SEEN = "SELECT count(*) FROM bench_bus_seen WHERE run = :r"


def handled_rate(run: int, n: int, started: float, timeout: float) -> float:
    got = wait_for(SEEN, n, timeout=timeout, r=run)
    if got < n:
        print(f"  run {run}: only {got} of {n} handled within {timeout:.0f} s")
    last = scalar("SELECT max(handled) FROM bench_bus_seen WHERE run = :r", r=run)
    return got / (last - started) if last else 0.0


def steady_writer(run: int, rate: float, seconds: float) -> tuple[dict[int, float], list[float]]:
    """One event per transaction on a fixed schedule; seq -> wall time after its COMMIT returned, and the sorted
    durations of those transactions (INSERT + COMMIT of the outbox row: the latency's baseline)."""
    from anju.core import db as core_db
    from anju.core.events import publish

    committed: dict[int, float] = {}
    took: list[float] = []
    start = time.perf_counter()
    for i, _ in paced(rate, seconds):
        t0 = time.perf_counter()
        with core_db.transaction() as s:
            publish(s, BenchProbed(run=run, seq=i, sent=time.time()), compound_id=run)
        committed[i] = time.time()
        took.append(time.perf_counter() - t0)
    behind = time.perf_counter() - (start + seconds)
    if behind > 1:
        print(f"  writer fell {behind:.1f} s behind its schedule")
    return committed, sorted(took)


def warm_up(run: int) -> None:
    """One event through the processes just started (imports, connections, the durable bound), not measured."""
    from anju.core import db as core_db
    from anju.core.events import publish

    before = int(scalar(SEEN, r=WARMUP))
    with core_db.transaction() as s:
        publish(s, BenchProbed(run=WARMUP, seq=run, sent=time.time()), compound_id=WARMUP)
    if wait_for(SEEN, before + 1, timeout=120, r=WARMUP) <= before:
        print(f"  warm-up event of run {run} not handled within 120 s")


def relay_lag(run: int, committed: dict[int, float]) -> list[float]:
    """Commit -> the relay's mark after JetStream acknowledged (an upper bound of the time to the stream)."""
    from anju.core import db as core_db

    with core_db.new_session() as s:
        rows = s.execute(
            text("SELECT (payload->>'seq')::int, relayed_at FROM outbox_event WHERE compound_id = :r"), {"r": run}
        ).all()
    return sorted(at.timestamp() - committed[seq] for seq, at in rows if at is not None and seq in committed)


def latencies(run: int, committed: dict[int, float], timeout: float) -> list[float]:
    from anju.core import db as core_db

    wait_for(SEEN, len(committed), timeout=timeout, r=run)
    with core_db.new_session() as s:
        rows = s.execute(text("SELECT seq, min(handled) FROM bench_bus_seen WHERE run = :r GROUP BY seq"), {"r": run})
        handled = dict(rows.all())
    return [(handled[i] - t) if i in handled else math.inf for i, t in sorted(committed.items())]


def drift(in_order: list[float]) -> str:
    """The median of the last third over the first third's: well above 1, a queue grew (the rate was too high)."""
    third = max(1, len(in_order) // 3)
    first, last = sorted(in_order[:third]), sorted(in_order[-third:])
    return f"{pct(last, 50) / pct(first, 50):.1f}" if pct(first, 50) > 0 else "-"


def pct(xs: list[float], p: float) -> float:
    return xs[min(len(xs) - 1, max(0, math.ceil(p / 100 * len(xs)) - 1))]


async def stream_counts(nats_url: str, stream: str, prefix: str) -> dict[int, int]:
    """Messages in the stream per run (subject `<prefix>.<run>.benchbus.Probed`)."""
    from anju.core.bus import connect

    nc = await connect(nats_url)
    try:
        info = await nc.jetstream().stream_info(stream, subjects_filter=f"{prefix}.>")
        subjects = info.state.subjects or {}
    finally:
        await nc.close()
    return {int(subj.split(".")[1]): n for subj, n in subjects.items()}


async def drop_stream(nats_url: str, stream: str) -> None:
    from anju.core.bus import connect

    nc = await connect(nats_url)
    with contextlib.suppress(Exception):  # never created
        await nc.jetstream().delete_stream(stream)
    await nc.close()


def once_check(run: int, expected: int, stream: dict[int, int] | None) -> str:
    """'ok' when every event of the run was handled exactly once (and is on the stream once), else the counts."""
    rows = int(scalar(SEEN, r=run))
    distinct = int(scalar("SELECT count(DISTINCT seq) FROM bench_bus_seen WHERE run = :r", r=run))
    handled = int(
        scalar(
            "SELECT count(*) FROM event_handled h JOIN outbox_event o"
            " ON o.id = h.event_id AND o.created_at = h.event_created_at"
            " WHERE o.compound_id = :r AND h.handler = :h",
            r=run,
            h=HANDLER,
        )
    )
    done = int(scalar("SELECT count(*) FROM outbox_event WHERE compound_id = :r AND status = 'done'", r=run))
    on_bus = "" if stream is None else f" bus {stream.get(run, 0)}"
    ok = rows == distinct == handled == done == expected and (stream is None or stream.get(run, 0) == expected)
    detail = f"seen {rows} distinct {distinct} event_handled {handled} done {done}{on_bus} of {expected}"
    return ("ok    " if ok else "FAILED") + " " + detail


def roles(run: int) -> str:
    from anju.core import db as core_db

    with core_db.new_session() as s:
        rows = s.execute(
            text("SELECT role, count(*) FROM bench_bus_seen WHERE run = :r GROUP BY role ORDER BY role"), {"r": run}
        ).all()
    return ", ".join(f"{r} {n}" for r, n in rows)


def load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


# --- the run ---------------------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pg", default=PG_ADMIN_URL, help="a PostgreSQL server's admin URL (a database is made on it)")
    ap.add_argument("--nats", default="nats://127.0.0.1:4222")
    ap.add_argument("--events", type=int, default=3_000, help="events per throughput mode")
    ap.add_argument("--batch", type=int, default=100, help="events per writer transaction (throughput)")
    ap.add_argument(
        "--rate",
        type=float,
        default=0,
        help="events per second (latency); default: 200, or a quarter of the slower measured handling rate if lower",
    )
    ap.add_argument("--seconds", type=float, default=30, help="seconds of steady writing per latency mode")
    ap.add_argument("--short-poll", type=float, default=0.05, help="the short poll interval, seconds")
    ap.add_argument("--consumers", type=int, default=1, help="`anju consume` processes (the poller runs as many)")
    ap.add_argument("--keep", action="store_true", help="keep the database (its name is printed)")
    args = ap.parse_args()

    tag = uuid.uuid4().hex[:8]
    bus_env = {
        "ANJU_NATS_URL": args.nats,
        "ANJU_NATS_STREAM": f"ANJUBENCH_{tag}",
        "ANJU_NATS_PREFIX": f"anjubench{tag}",
        "ANJU_NATS_DURABLE": f"anju-bench-{tag}",
    }
    poller_env = {"ANJU_NATS_URL": "", "ANJU_BUS_DELIVERY": "0"}  # the embedded default: no bus
    delivery_env = {**bus_env, "ANJU_BUS_DELIVERY": "1"}
    from anju.core.config import Settings

    default_poll = Settings.model_fields["worker_poll_seconds"].default
    from anju.core.bus import BusSettings, Relay

    relay_idle = Relay(BusSettings(**{"nats_url": args.nats, "bus_delivery": True})).idle_seconds
    sweep_after = int(os.environ.get("ANJU_BUS_SWEEP_AFTER_S", "120"))
    n, k = args.events, args.consumers
    t_run = time.perf_counter()
    print(f"load average at start: {load()}  ({os.cpu_count()} CPUs)")
    url, drop = fresh_database(args.pg)
    print(
        f"database {url.rsplit('/', 1)[-1]}, stream {bus_env['ANJU_NATS_STREAM']}, prefix {bus_env['ANJU_NATS_PREFIX']}"
    )
    tp: dict[str, tuple[float, str]] = {}
    lat: dict[str, tuple[list[float], str]] = {}
    drifts: dict[str, str] = {}
    checks: dict[str, tuple[int, int, bool]] = {}  # label -> (run, expected, on the bus)
    from anju.core import db as core_db

    try:
        # 1. Throughput.
        tp["write (INSERT+COMMIT, baseline)"] = (write_batches(TP_POLLER, n, args.batch), load())
        fleet = Fleet(url, poller_env, [("poller", default_poll)] * k)
        started = fleet.start()
        tp[f"(a) poller, {k} worker(s)"] = (handled_rate(TP_POLLER, n, started, timeout=600), load())
        fleet.stop()
        checks["(a) poller"] = (TP_POLLER, n, False)

        # A stream of its own: the durable consumer of (c) would otherwise first receive (and ack) these.
        relay_env = {**bus_env, "ANJU_NATS_STREAM": f"ANJUBENCHR_{tag}", "ANJU_NATS_PREFIX": f"anjubenchr{tag}"}
        fleet = Fleet(url, {**relay_env, "ANJU_BUS_DELIVERY": "0"}, [("relay", 0)])
        started = fleet.start()
        got = wait_for(
            "SELECT count(*) FROM outbox_event WHERE compound_id = :r AND relayed_at IS NOT NULL",
            n,
            timeout=600,
            r=TP_POLLER,
        )
        last = scalar("SELECT max(relayed_at) FROM outbox_event WHERE compound_id = :r", r=TP_POLLER)
        fleet.stop()
        relay_s = (last.replace(tzinfo=last.tzinfo or UTC).timestamp() - started) if last else math.inf
        tp["(b) relay: published + acked"] = (got / relay_s, load())

        write_batches(TP_BUS, n, args.batch)
        # The sweeper would take over events still queued after ANJU_BUS_SWEEP_AFTER_S: here the bus alone is timed.
        fleet = Fleet(
            url,
            {**delivery_env, "ANJU_BUS_SWEEP_AFTER_S": "3600"},
            [("relay", 0), *[("consumer", 0)] * k, ("sweeper", default_poll)],
        )
        started = fleet.start()
        tp[f"(c) bus: relay + {k} consumer(s)"] = (handled_rate(TP_BUS, n, started, timeout=600), load())
        fleet.stop()
        checks["(c) bus delivery"] = (TP_BUS, n, True)
        print(f"  throughput done at {time.perf_counter() - t_run:.0f} s; (c) handled by: {roles(TP_BUS)}")

        # 2. Latency at a steady rate (below what every path handles, else it measures a growing queue).
        handling = min(tp[f"(a) poller, {k} worker(s)"][0], tp[f"(c) bus: relay + {k} consumer(s)"][0])
        rate = args.rate or max(1, min(200, math.floor(handling / 4)))
        writes: list[float] = []
        lags: dict[str, list[float]] = {}
        for label, run, env, fleet_roles in (
            (f"poller, poll {default_poll:g} s (default)", LAT_POLL_DEFAULT, poller_env, [("poller", default_poll)]),
            (f"poller, poll {args.short_poll:g} s", LAT_POLL_SHORT, poller_env, [("poller", args.short_poll)]),
            (
                f"bus, relay idle {relay_idle:g} s (default)",
                LAT_BUS,
                delivery_env,
                [("relay", 0), ("consumer", 0), ("sweeper", default_poll)],
            ),
            (
                f"bus, relay idle {OLD_RELAY_IDLE:g} s (before)",
                LAT_BUS_OLD,
                delivery_env,
                [("relay", OLD_RELAY_IDLE), ("consumer", 0), ("sweeper", default_poll)],
            ),
        ):
            if run in (LAT_BUS, LAT_BUS_OLD):  # a relay running all along would have published these already
                with core_db.transaction() as s:
                    s.execute(text("UPDATE outbox_event SET relayed_at = now() WHERE relayed_at IS NULL"))
            fleet = Fleet(url, env, fleet_roles)
            fleet.start()
            warm_up(run)
            committed, took = steady_writer(run, rate, args.seconds)
            in_order = latencies(run, committed, timeout=120)
            lat[label] = (sorted(in_order), load())
            drifts[label] = drift(in_order)
            fleet.stop()
            writes = writes or took
            if run in (LAT_BUS, LAT_BUS_OLD):
                lags[label] = relay_lag(run, committed)
            checks[f"latency: {label}"] = (run, len(committed), run in (LAT_BUS, LAT_BUS_OLD))
        print(f"  latency done at {time.perf_counter() - t_run:.0f} s; bus handled by: {roles(LAT_BUS)}")

        # 3. The table.
        stream = asyncio.run(stream_counts(args.nats, bus_env["ANJU_NATS_STREAM"], bus_env["ANJU_NATS_PREFIX"]))
        stream_tp = asyncio.run(stream_counts(args.nats, relay_env["ANJU_NATS_STREAM"], relay_env["ANJU_NATS_PREFIX"]))
        write_rate = tp["write (INSERT+COMMIT, baseline)"][0]
        poll_rate = tp[f"(a) poller, {k} worker(s)"][0]
        print(f"\nThroughput: {n} events per mode, writer transactions of {args.batch} events")
        print(f"{'':38}{'events/s':>10}{'x write':>9}{'x poller':>10}{'load 1/5/15':>18}")
        for label, (per_s, la) in tp.items():
            print(f"{label:38}{per_s:>10.0f}{per_s / write_rate:>9.3f}{per_s / poll_rate:>10.2f}{la:>18}")
        base = pct(writes, 99)
        print(f"\nLatency: commit -> handler, {rate:g} events/s for {args.seconds:g} s (one event per transaction)")
        print(
            f"{'':38}{'n':>6}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}{'p99 x':>8}{'drift':>7}{'load 1/5/15':>18}"
        )
        rows: list[tuple[str, tuple[list[float], str]]] = [("write: INSERT+COMMIT (baseline)", (writes, ""))]
        for mode, got in lat.items():
            rows.append((mode, got))
            if mode in lags:
                rows.append(("  of which commit -> on the bus", (lags[mode], "")))
        for label, (xs, la) in rows:
            if not xs:
                continue
            ms = [pct(xs, p) * 1000 for p in (50, 95, 99, 100)]
            cells = "".join(f"{m:>9.1f}" if m < 10 else f"{m:>9.0f}" for m in ms)
            print(f"{label:38}{len(xs):>6}{cells}{pct(xs, 99) / base:>8.1f}{drifts.get(label, ''):>7}{la:>18}")
        print(
            f"(p99 x: against the writer's INSERT+COMMIT; the bus sweeper takes events older than {sweep_after} s;"
            " 'on the bus': the relay's mark after the ack; drift: median of the last third / the first third's)"
        )
        print("\nExactly once (handler records, event_handled, outbox status, messages on the stream):")
        for label, (run, expected, on_bus) in checks.items():
            print(f"  {label:36} {once_check(run, expected, stream if on_bus else None)}")
        on_stream = stream_tp.get(TP_POLLER, 0)
        print(f"  {'(b) relay':36} {'ok    ' if on_stream == n else 'FAILED'} bus {on_stream} of {n}")
        print(f"\nwall {time.perf_counter() - t_run:.0f} s, load average at end: {load()}")
    finally:
        for name in (bus_env["ANJU_NATS_STREAM"], f"ANJUBENCHR_{tag}"):
            asyncio.run(drop_stream(args.nats, name))
        if args.keep:
            print(f"kept {url}")
        else:
            drop()


if __name__ == "__main__":
    main()
