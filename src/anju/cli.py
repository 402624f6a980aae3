"""`anju` command line: serve, worker, demo, db upgrade, import, export."""

from __future__ import annotations

import logging
import os
import socket
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

app = typer.Typer(help="Anju 安居 — smart residential community platform", no_args_is_help=True)
db_app = typer.Typer(help="Database schema commands")
app.add_typer(db_app, name="db")
from anju.governance.cli import votes_app  # noqa: E402

app.add_typer(votes_app, name="votes")
from anju.accounts.cli import users_app  # noqa: E402

app.add_typer(users_app, name="users")
from anju.core.audit_cli import audit_app  # noqa: E402

app.add_typer(audit_app, name="audit")
console = Console()


def _setup(database_url: str | None) -> None:
    if database_url:
        os.environ["ANJU_DATABASE_URL"] = database_url
    from anju.core.config import reset_settings

    reset_settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


DbOpt = Annotated[str | None, typer.Option("--database-url", help="overrides ANJU_DATABASE_URL")]


@db_app.command("upgrade")
def db_upgrade(database_url: DbOpt = None, revision: str = "head") -> None:
    """Apply migrations (from empty or from any earlier revision)."""
    _setup(database_url)
    from anju.core.migrate import upgrade
    from anju.startup import post_upgrade

    upgrade(revision=revision)
    post_upgrade()
    console.print(f"[green]database at {revision}[/green]")


@app.command("init")
def init(
    database_url: DbOpt = None,
    organisation: Annotated[str, typer.Option(help="the operating property company")] = "物业服务有限公司",
    admin: Annotated[str, typer.Option(help="user name of the first platform admin")] = "admin",
    password: Annotated[
        str | None,
        typer.Option(
            envvar="ANJU_INIT_ADMIN_PASSWORD",
            help="the admin's password (asked for when not given; for scripted installs set the variable)",
            show_default=False,
        ),
    ] = None,
    url: Annotated[str, typer.Option(help="where the console will be served")] = "http://127.0.0.1:8000",
) -> None:
    """First run on an empty database: migrate, create the company and its first admin (idempotent)."""
    _setup(database_url)
    from anju.accounts.first_run import WeakPassword, init_platform
    from anju.core.db import transaction
    from anju.core.migrate import upgrade
    from anju.startup import post_upgrade

    upgrade()
    post_upgrade()
    with transaction() as session:
        from sqlalchemy import select

        from anju.accounts.models import User
        from anju.core.rbac import Role

        initialised = session.scalars(select(User.id).where(User.role == Role.platform_admin).limit(1)).first()
    if initialised is None and password is None:
        password = typer.prompt(f"password for {admin}", hide_input=True, confirmation_prompt=True)
    try:
        with transaction() as session:
            result = init_platform(session, organisation=organisation, username=admin, password=password or "")
    except WeakPassword as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(2) from None
    if result.created:
        console.print(
            f"[green]initialised[/green]: {result.organisation}, platform admin [bold]{result.username}[/bold]"
        )
    else:
        console.print(
            f"[yellow]already initialised[/yellow] (platform admin [bold]{result.username}[/bold]); nothing changed"
        )
    console.print(f"Start [bold]anju serve[/bold] and sign in at [bold]{url}/login[/bold] as {result.username}.")


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    )


@app.command()
def demo(
    database_url: DbOpt = None,
    reset: Annotated[bool, typer.Option(help="drop and rebuild an existing SQLite demo database")] = False,
) -> None:
    """Build the demo community (示范小区 and 幸福里) deterministically, then print logins."""
    _setup(database_url)
    from anju.core.config import get_settings
    from anju.core.db import transaction
    from anju.core.migrate import upgrade
    from anju.sim.demo import DEMO_PASSWORD, build_demo, demo_exists
    from anju.startup import post_upgrade

    s = get_settings()
    if s.is_deployment:
        # The demo's accounts share a published password: never in a deployment.
        console.print(
            f"[red]refused:[/red] `anju demo` creates accounts with the published password {DEMO_PASSWORD!r}; "
            f"it runs only with ANJU_ENV=development (this is ANJU_ENV={s.env}). Use `anju init` for a deployment."
        )
        raise typer.Exit(code=2)
    if reset and s.is_sqlite:
        path = Path(s.database_url.split("///", 1)[1])
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    upgrade()
    post_upgrade()
    with transaction() as session:
        if demo_exists(session):
            console.print("[yellow]demo community already built[/yellow] (use --reset to rebuild)")
            _print_logins(None, DEMO_PASSWORD)
            return
        started = time.perf_counter()
        with _progress() as bar:
            tasks: dict[str, TaskID] = {}

            def step(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(stage, total=total)
                bar.update(tasks[stage], completed=done, total=total)

            result = build_demo(session, progress=step)
    elapsed = time.perf_counter() - started
    console.print(f"[green]demo built in {elapsed:.1f} s[/green]: {result.counts}")
    _print_logins(result.logins, DEMO_PASSWORD)


def _print_logins(logins: list[tuple[str, str, str]] | None, password: str) -> None:
    from anju.sim.demo import DEMO_USERS

    console.print(f"Open [bold]http://127.0.0.1:8000[/bold] and sign in as (password [bold]{password}[/bold]):")
    for role, username, note in logins or DEMO_USERS:
        console.print(f"  {role:18} {username:15} {note}")


def _freeze_startup_objects() -> None:
    """Move everything imported at start-up out of the garbage collector's reach.

    Modules, routes, templates and ORM mappers live for the whole process; left in the tracked
    generations, every full collection walks them again (pauses of 180–230 ms were measured).
    """
    import gc

    gc.collect()
    gc.freeze()


def web_app() -> object:
    """The app of one web worker process when `anju serve --workers N` runs several (uvicorn imports it)."""
    from anju.main import create_app

    application = create_app()
    _freeze_startup_objects()
    return application


@app.command()
def serve(
    database_url: DbOpt = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    worker: Annotated[bool, typer.Option("--worker/--no-worker", help="run the worker in-process")] = True,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            help="web worker processes (PostgreSQL only; about one per core); with --worker, one more process "
            "runs the outbox and jobs",
        ),
    ] = 1,
) -> None:
    """Run the web console and API (with the worker in-process by default)."""
    _setup(database_url)
    import uvicorn

    if workers > 1:
        import subprocess
        import sys

        from anju.core.config import get_settings

        if get_settings().database_url.startswith("sqlite"):
            console.print("[red]--workers above 1 needs PostgreSQL: SQLite has one writer[/red]")
            raise typer.Exit(2)
        # Web workers do not run jobs: one `anju worker` beside them delivers the outbox and runs the jobs.
        jobs = subprocess.Popen([sys.executable, "-m", "anju.cli", "worker"]) if worker else None
        try:
            uvicorn.run(
                "anju.cli:web_app",
                factory=True,
                workers=workers,
                host=host,
                port=port,
                log_level="info",
                timeout_graceful_shutdown=5,
            )
        finally:
            if jobs is not None:
                jobs.terminate()  # SIGTERM: the worker finishes the item in hand and releases its leases
                try:
                    jobs.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    jobs.kill()
        return
    from anju.main import create_app

    application = create_app(with_worker=worker)
    _freeze_startup_objects()
    # Live pages (SSE streams) stay open until the client leaves: without a bound, a stop (systemd,
    # Ctrl-C) waited for every open browser tab. In-flight requests get 5 s to finish.
    uvicorn.run(application, host=host, port=port, log_level="info", timeout_graceful_shutdown=5)


@app.command("worker")
def run_worker(
    database_url: DbOpt = None, worker_id: Annotated[str | None, typer.Option(help="defaults to host:pid")] = None
) -> None:
    """Deliver outbox events and run scheduled jobs; start several safely on PostgreSQL."""
    _setup(database_url)
    from anju.core.config import get_settings
    from anju.core.jobs import Worker
    from anju.startup import register_all

    register_all()
    s = get_settings()
    wid = worker_id or f"{socket.gethostname()}:{os.getpid()}"
    w = Worker(
        wid,
        poll_seconds=s.worker_poll_seconds,
        lease_seconds=s.worker_lease_seconds,
        max_attempts=s.outbox_max_attempts,
    )
    w.install_signal_handlers()  # SIGTERM/SIGINT: finish the item in hand, release leases, exit
    _freeze_startup_objects()
    w.run_forever()


@app.command("relay")
def run_relay(
    database_url: DbOpt = None,
    nats_url: Annotated[str | None, typer.Option(help="overrides ANJU_NATS_URL")] = None,
) -> None:
    """Publish delivered outbox events to NATS JetStream (the event bus); catches up after an outage."""
    _setup(database_url)
    import asyncio
    import signal

    from anju.core.bus import BusSettings, Relay

    settings = BusSettings()
    if nats_url:
        settings.nats_url = nats_url
    if not settings.nats_url:
        console.print("[red]ANJU_NATS_URL (or --nats-url) is not set[/red]")
        raise typer.Exit(code=2)
    relay = Relay(settings)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, relay.stop)
        await relay.run()

    asyncio.run(main())
    console.print(f"relay stopped after publishing {relay.published} events")


@app.command("consume")
def run_consume(
    database_url: DbOpt = None,
    nats_url: Annotated[str | None, typer.Option(help="overrides ANJU_NATS_URL")] = None,
    worker_id: Annotated[str | None, typer.Option(help="defaults to host:pid")] = None,
) -> None:
    """Deliver outbox events to their handlers from the NATS JetStream bus (run with ANJU_BUS_DELIVERY=1)."""
    _setup(database_url)
    import asyncio
    import signal

    from anju.core.bus import BusSettings, Consumer
    from anju.core.config import get_settings
    from anju.startup import register_all

    register_all()
    settings = BusSettings()
    if nats_url:
        settings.nats_url = nats_url
    if not settings.nats_url:
        console.print("[red]ANJU_NATS_URL (or --nats-url) is not set[/red]")
        raise typer.Exit(code=2)
    consumer = Consumer(
        settings,
        worker_id=worker_id or f"{socket.gethostname()}:{os.getpid()}",
        max_attempts=get_settings().outbox_max_attempts,
    )

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, consumer.stop)
        await consumer.run()

    asyncio.run(main())
    console.print(f"consumer stopped after {consumer.acked} events ({consumer.retried} retried)")


@app.command("video-worker")
def run_video_worker(
    database_url: DbOpt = None,
    worker_id: Annotated[str | None, typer.Option(help="defaults to host:pid")] = None,
    max_cameras: Annotated[int, typer.Option(help="cameras this host analyses at most")] = 8,
    seconds: Annotated[float | None, typer.Option(help="stop after this long (default: run until stopped)")] = None,
) -> None:
    """Edge video analytics: lease active cameras, read their streams, raise alarms with evidence (issue 14)."""
    _setup(database_url)
    import signal

    from anju.startup import register_all
    from anju.video.worker import VideoWorker

    register_all()
    w = VideoWorker(worker_id, max_cameras=max_cameras)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: w.stop.set())  # finish the frame in hand, release the leases, exit
    w.run(until=seconds)


@app.command("import")
def import_roster_cmd(
    path: Path,
    compound: Annotated[str, typer.Option(help="compound code, e.g. SFXQ")],
    database_url: DbOpt = None,
    all_or_nothing: Annotated[bool, typer.Option(help="import nothing if any row is bad")] = False,
    dry_run: bool = False,
) -> None:
    """Import a resident roster (.xlsx or .csv); prints a row-by-row report."""
    _setup(database_url)
    from sqlalchemy import select

    import anju.models  # noqa: F401  (every table, so change records can reference app_user)
    from anju.core.db import transaction
    from anju.registry.models import Compound
    from anju.registry.roster import import_roster

    data = path.read_bytes()
    with transaction() as session:
        cid = session.execute(select(Compound.id).where(Compound.code == compound)).scalar_one_or_none()
        if cid is None:
            raise typer.BadParameter(f"no compound with code {compound}")
        with _progress() as bar:
            task = bar.add_task("rows", total=None)
            report = import_roster(
                session,
                who=None,
                compound_id=cid,
                filename=path.name,
                data=data,
                all_or_nothing=all_or_nothing,
                dry_run=dry_run,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    console.print(report.summary())
    for err in report.errors[:200]:
        console.print(f"  row {err.row}: [{err.column}] {err.message}")
    if report.errors:
        raise typer.Exit(code=1 if not report.imported else 0)


@app.command("export")
def export_roster_cmd(
    path: Path, compound: Annotated[str, typer.Option(help="compound code")], database_url: DbOpt = None
) -> None:
    """Export a compound's residents to .xlsx or .csv (phone and ID number masked)."""
    _setup(database_url)
    from sqlalchemy import select

    from anju.core.db import transaction
    from anju.registry.models import Compound
    from anju.registry.roster import export_roster

    with transaction() as session:
        cid = session.execute(select(Compound.id).where(Compound.code == compound)).scalar_one_or_none()
        if cid is None:
            raise typer.BadParameter(f"no compound with code {compound}")
        data = export_roster(session, who=None, compound_id=cid, fmt=path.suffix.lstrip(".") or "xlsx")
    path.write_bytes(data)
    console.print(f"wrote {path} ({len(data)} bytes)")


@app.command("gateway")
def gateway_cmd(
    database_url: DbOpt = None,
    mqtt_url: Annotated[str | None, typer.Option(help="overrides ANJU_MQTT_URL")] = None,
    client_id: Annotated[str | None, typer.Option(help="fixed id of the persistent session")] = None,
) -> None:
    """Consume device messages from the MQTT broker (QoS 1, persistent session, ack after commit)."""
    _setup(database_url)
    import anju.handlers  # noqa: F401
    from anju.devices.config import device_settings
    from anju.devices.gateway import Gateway

    url = mqtt_url or device_settings().mqtt_url or "mqtt://127.0.0.1:1883"
    gateway = Gateway(url=url, client_id=client_id)
    _freeze_startup_objects()
    gateway.run_forever()


@app.command("simulate")
def simulate_cmd(
    database_url: DbOpt = None,
    compound: Annotated[str, typer.Option(help="compound code")] = "SFXQ",
    transport: Annotated[str | None, typer.Option(help="mqtt | http (default: mqtt if ANJU_MQTT_URL is set)")] = None,
    url: Annotated[str, typer.Option(help="server for HTTP push")] = "http://127.0.0.1:8000",
    mqtt_url: Annotated[str | None, typer.Option(help="broker for MQTT")] = None,
    seed: int = 20261121,
    speed: Annotated[
        float | None,
        typer.Option(
            help="report this many times faster than real devices (default 1); with --district: simulated time "
            "runs at most this many times real time (default: as fast as it goes)"
        ),
    ] = None,
    duration: Annotated[float | None, typer.Option(help="stop after this many seconds")] = None,
    max_messages: Annotated[int | None, typer.Option(help="stop after this many messages")] = None,
    incidents: Annotated[bool, typer.Option("--incidents/--no-incidents")] = True,
    incident_delay: Annotated[float, typer.Option(help="seconds before the first incident")] = 20.0,
    lanes: Annotated[bool, typer.Option("--lanes/--no-lanes", help="parking lane cameras' captures (HTTP)")] = True,
    power_cut_at: Annotated[
        float | None, typer.Option(help="seconds into the run when the e-bike charging pile loses power (MQTT)")
    ] = None,
    power_cut_minutes: Annotated[float, typer.Option(help="how long the pile stays without power")] = 5.0,
    district: Annotated[
        int | None, typer.Option(help="build this many compounds (1-500) and play a day of their traffic")
    ] = None,
    hours: Annotated[float, typer.Option(help="with --district: simulated hours of the day (1-24)")] = 24.0,
    start_hour: Annotated[int, typer.Option(help="with --district: China-time hour the day starts at (0-23)")] = 0,
    gateways: Annotated[
        int, typer.Option(help="with --district: gateway processes in an MQTT shared subscription; 0: in-process")
    ] = 0,
    workers: Annotated[
        int,
        typer.Option(
            help="with --district: M traffic processes (each a share of the compounds) and M outbox workers "
            "delivering meanwhile (PostgreSQL); 0: all in this process"
        ),
    ] = 0,
    alarm_scale: Annotated[
        float, typer.Option(help="with --district: multiply the devices' alarm rates (a stress setting)")
    ] = 1.0,
) -> None:
    """Publish realistic device traffic for the demo compound, with scripted incidents; or, with --district N,
    build N compounds and play a day of their traffic (passages, telemetry, visitors, work orders, patrols)."""
    _setup(database_url)
    from anju.core.config import get_settings

    if speed is not None and speed <= 0:
        console.print(f"[red]refused:[/red] --speed must be above 0 (got {speed:g})")
        raise typer.Exit(code=2)

    if get_settings().is_deployment:
        # Signed fake telemetry and scripted fires in a real compound: a simulator, so development only.
        console.print(
            "[red]refused:[/red] `anju simulate` sends simulated device traffic and incidents; "
            f"it runs only with ANJU_ENV=development (this is ANJU_ENV={get_settings().env})."
        )
        raise typer.Exit(code=2)
    if district is not None:
        _simulate_district(
            n=district,
            hours=hours,
            start_hour=start_hour,
            speed=speed,
            gateways=gateways,
            seed=seed,
            mqtt_url=mqtt_url,
            workers=workers,
            alarm_scale=alarm_scale,
        )
        return
    from anju.devices.config import device_settings
    from anju.sim.simulator import run

    mq = mqtt_url or device_settings().mqtt_url
    kind = transport or ("mqtt" if mq else "http")
    counts = run(
        compound_code=compound,
        transport=kind,
        http_url=url,
        mqtt_url=mq,
        seed=seed,
        speed=speed or 1.0,
        duration=duration,
        max_messages=max_messages,
        incidents=incidents,
        incident_delay=incident_delay,
        lanes=lanes,
        power_cut_at=power_cut_at,
        power_cut_minutes=power_cut_minutes,
    )
    console.print(f"simulation finished: {counts}")


SQLITE_DISTRICT_MAX = 3


def _id_of(codes: dict[int, str], code: str) -> int:
    return next((cid for cid, c in codes.items() if c == code), 0)


def _simulate_district(
    *,
    n: int,
    hours: float,
    start_hour: int,
    speed: float | None,
    gateways: int,
    seed: int,
    mqtt_url: str | None,
    workers: int = 0,
    alarm_scale: float = 1.0,
) -> None:
    """`anju simulate --district N`: build the compounds once (found by code afterwards), play the day (in this
    process, or with --workers M in M traffic processes beside M outbox workers), print the event mix and the
    ledger. Exit 2 on bad input, 1 when the ledger finds a lost or doubled event."""
    from anju.core.config import get_settings

    bad = []
    if not 1 <= n <= 500:
        bad.append(f"--district must be 1-500 compounds (got {n})")
    if not 1 <= hours <= 24:
        bad.append(f"--hours must be 1-24 (got {hours:g})")
    if not 0 <= start_hour <= 23:
        bad.append(f"--start-hour must be 0-23 (got {start_hour})")
    if not 0 <= gateways <= 32:
        bad.append(f"--gateways must be 0-32 (got {gateways})")
    if not 0 <= workers <= 32:
        bad.append(f"--workers must be 0-32 (got {workers})")
    if not 0 <= alarm_scale <= 1000:
        bad.append(f"--alarm-scale must be 0-1000 (got {alarm_scale:g})")
    if workers and speed:
        bad.append("--speed paces the day in this process; it does not combine with --workers")
    settings = get_settings()
    if not bad and settings.is_sqlite and n > SQLITE_DISTRICT_MAX:
        bad.append(
            f"--district {n} on SQLite: the embedded default has one writer at a time and one file, so a district's "
            f"day (hundreds of thousands of events, gateways in other processes) cannot run on it; SQLite takes at "
            f"most {SQLITE_DISTRICT_MAX} compounds. Point ANJU_DATABASE_URL (or --database-url) at PostgreSQL."
        )
    if not bad and settings.is_sqlite and workers:
        bad.append(
            "--workers on SQLite: several processes writing at once is what SQLite cannot do (one writer at a "
            "time); point ANJU_DATABASE_URL (or --database-url) at PostgreSQL."
        )
    if bad:
        for b in bad:
            console.print(f"[red]refused:[/red] {b}")
        raise typer.Exit(code=2)
    from anju.core.migrate import upgrade
    from anju.sim.district import (
        DayRates,
        DistrictDay,
        GatewayPool,
        alarm_latencies_ms,
        build_district,
        pct,
        plan_district,
    )
    from anju.startup import post_upgrade, register_all

    upgrade()
    post_upgrade()
    register_all()
    plans = plan_district(n, seed=seed)
    started = time.perf_counter()
    try:
        with _progress() as bar:
            task = bar.add_task("compounds", total=n)
            world = build_district(plans, seed=seed, progress=lambda done, total: bar.update(task, completed=done))
    except LookupError as e:
        console.print(f"[red]refused:[/red] {e}")
        raise typer.Exit(code=2) from None
    houses = sum(world.houses_of.values())
    other_world = [p.code for p in plans if world.houses_of.get(_id_of(world.codes, p.code), 0) != p.houses]
    if other_world:
        console.print(
            f"[yellow]note:[/yellow] {', '.join(other_world)} were built from another seed (or changed since); "
            "their traffic follows what they are now"
        )
    console.print(
        f"district: {len(world.codes)} compounds ({world.created} built now, {len(world.codes) - world.created} "
        f"found), {houses} houses, {world.devices} devices in {time.perf_counter() - started:.1f} s"
    )
    rates = DayRates(alarm_scale=alarm_scale)
    pool = None
    broker = None
    if gateways:
        from anju.devices.config import device_settings

        broker = mqtt_url or device_settings().mqtt_url or "mqtt://127.0.0.1:1883"
        pool = GatewayPool(database_url=settings.database_url, mqtt_url=broker, n=gateways)
        console.print(f"{gateways} gateways in shared subscription group {pool.group} on {broker}")
    started = time.perf_counter()
    try:
        with _progress() as bar:
            if workers:
                from anju.sim.district_workers import play_parallel

                task = bar.add_task(f"day from {start_hour:02d}:00 (China time), {workers} workers", total=None)
                res = play_parallel(
                    world,
                    url=settings.database_url,
                    n=n,
                    seed=seed,
                    hours=hours,
                    start_hour=start_hour,
                    rates=rates,
                    workers=workers,
                    mqtt_url=broker,
                    progress=lambda done, total: bar.update(task, completed=done, total=total),
                )
                if pool is not None:
                    pool.wait_stored(res.run, res.counts.sent.get("telemetry", 0))
                counts, run = res.counts, res.run
            else:
                day = DistrictDay(world, hours=hours, start_hour=start_hour, seed=seed, rates=rates)
                task = bar.add_task(f"day from {start_hour:02d}:00 (China time)", total=day.slots)

                def step(done: int, total: int, d: DistrictDay) -> None:
                    bar.update(task, completed=done, description=f"{d.events()} events")

                day.play(speed=speed, gateways=pool, progress=step)
                counts, run = day.counts, day.run
    finally:
        if pool is not None:
            pool.stop()
    wall = time.perf_counter() - started
    sent = counts.sent
    console.print(
        f"played {hours:g} h in {wall:.1f} s ({hours * 3600 / max(wall, 1e-9):,.0f}x real time): {counts.events()} "
        f"events ({counts.events() / max(wall, 1e-9):,.0f}/s), {len(counts.alarms)} alarm messages, "
        f"{sent.get('access replays', 0)} offline card replays, {sent.get('vehicle retries', 0)} camera retries, "
        f"{sent.get('check-ins resent', 0)} check-ins sent twice"
    )
    mix = ", ".join(f"{k} {v}" for k, v in sorted(sent.items(), key=lambda kv: -kv[1]) if not k.startswith("alarm "))
    console.print(f"event mix: {mix}")
    per_type = ", ".join(f"{k} {v}" for k, v in sorted(counts.by_type.items(), key=lambda kv: -kv[1]))
    console.print(f"telemetry by device type: {per_type}")
    lat = counts.alarm_ms if pool is None else alarm_latencies_ms(counts)
    if lat:
        console.print(
            f"alarm latency (device send -> alarm committed): {len(lat)} alarms, p50 {pct(lat, 0.5):.0f} ms, "
            f"p99 {pct(lat, 0.99):.0f} ms"
        )
    from anju.sim.district import day_ledger

    failed = False
    for line in day_ledger(run, counts, list(world.codes)):
        failed |= bool(line.lost or line.doubled)
        extra = (
            f", {line.sent - line.expected} into an alarm already open"
            if line.expected not in (None, line.sent)
            else ""
        )
        console.print(
            f"ledger {line.kind}: sent {line.sent}, stored {line.stored} (lost {line.lost}, doubled {line.doubled})"
            + extra
        )
    undelivered, twice = DistrictDay.outbox_health()
    failed |= bool(undelivered or twice)
    console.print(f"ledger outbox: undelivered {undelivered}, handled twice {twice}")
    if failed:
        raise typer.Exit(code=1)


if __name__ == "__main__":
    app()
