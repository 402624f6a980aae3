"""District day (issue 19 item 5): M worker processes play the same day as one (PostgreSQL), vehicles at the barrier
gates and alarms other than smoke are stored exactly once, devices report at their type's typical rate."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from anju.cli import app
from anju.core import db as core_db
from anju.sim.district import DayRates, DistrictDay, build_district, plan_district
from anju.sim.district_rates import REPORT_MINUTES
from anju.sim.district_workers import split_shares
from tests.conftest import DB_KIND, prepared_database

SEED = 3  # two compounds of 1,040 and 504 houses


@pytest.fixture(scope="module")
def day_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    saved = core_db._engine, core_db._sessionmaker
    url, engine, drop = prepared_database(tmp_path_factory.mktemp("district_day"), "district_day")
    from anju.startup import register_all

    register_all()
    yield url
    engine.dispose()
    core_db._engine, core_db._sessionmaker = saved
    drop()


def _ledger(output: str) -> dict[str, tuple[int, int, int, int]]:
    out = {}
    flat = " ".join(output.split())
    for kind, sent, stored, lost, doubled in re.findall(
        r"ledger ([a-z_ -]+): sent (\d+), stored (\d+) \(lost (\d+), doubled (\d+)\)", flat
    ):
        out[kind] = (int(sent), int(stored), int(lost), int(doubled))
    return out


def test_vehicles_and_non_smoke_alarms_are_stored_exactly_once(day_db: str) -> None:
    world = build_district(plan_district(2, seed=SEED), seed=SEED)
    assert all(len(lanes) == 2 for lanes in world.lanes_of.values()) and len(world.lanes_of) == 2
    # 04:00-05:00 China time: a few early cars; alarms scaled up so that one hour has several kinds.
    day = DistrictDay(world, hours=1, start_hour=4, seed=SEED, rates=DayRates(alarm_scale=300), run="veh")
    day.play()
    lines = {x.kind: x for x in day.ledger()}
    assert lines["vehicles"].sent > 0 and lines["vehicles"].stored == lines["vehicles"].sent
    assert day.counts.sent.get("vehicle retries", 0) >= 0
    alarm_kinds = {k.removeprefix("alarm ") for k in lines if k.startswith("alarm ")}
    assert alarm_kinds - {"smoke"}, alarm_kinds  # lifts, pumps, leaks... not only smoke
    for line in lines.values():
        assert (line.lost, line.doubled) == (0, 0), line
    for kind in alarm_kinds:  # a fresh compound has no open alarm: every alarm message raised its own alarm
        line = lines[f"alarm {kind}"]
        assert line.stored == line.sent > 0, line
    from anju.parking.models import LaneEvent

    with core_db.new_session() as s:
        n = s.execute(select(func.count()).select_from(LaneEvent).where(LaneEvent.event_id.like("veh-%"))).scalar_one()
    assert n == lines["vehicles"].sent
    assert DistrictDay.outbox_health() == (0, 0)


def test_devices_report_at_their_types_typical_rate(day_db: str) -> None:
    world = build_district(plan_district(2, seed=SEED), seed=SEED)
    day = DistrictDay(world, hours=1, start_hour=2, seed=SEED, rates=DayRates(alarm_scale=0), run="rate")
    by_type: dict[str, int] = {}
    for cid in day.cids:
        for d in day.devices[cid]:
            by_type[d.device_type] = by_type.get(d.device_type, 0) + 1
    day.play()
    sent = day.counts.by_type
    # A lift monitor reports every 5 minutes: 12 an hour; a smoke detector every 6 hours: about a sixth of them.
    assert sent["lift_controller"] == 12 * by_type["lift_controller"]
    smoke = by_type["smoke_detector"] * 60 / REPORT_MINUTES["smoke_detector"]
    assert 0.8 * smoke <= sent["smoke_detector"] <= 1.2 * smoke
    assert sent.get("manhole_cover", 0) <= by_type["manhole_cover"]
    assert sum(sent.values()) == day.counts.sent["telemetry"]


@pytest.mark.db_agnostic
def test_shares_are_disjoint_and_cover_the_district() -> None:
    from anju.core.auth import Principal
    from anju.core.rbac import Role
    from anju.sim.district import District

    houses = dict(enumerate([3000, 200, 1500, 1400, 800, 700, 650]))
    world = District(
        codes={i: f"D{i:03d}" for i in houses},
        created=0,
        houses_of=houses,
        devices=0,
        gates_of={},
        staff=Principal(user_id=1, username="x", display_name="x", role=Role.platform_admin),
        house_sample={},
        patrol_codes={},
    )
    shares = split_shares(world, 3)
    assert len(shares) == 3
    assert set().union(*shares) == set(world.codes.values())
    assert sum(len(s) for s in shares) == len(world.codes)
    loads = [sum(houses[int(c[1:])] for c in s) for s in shares]
    assert max(loads) - min(loads) <= 3000


@pytest.mark.postgres
@pytest.mark.skipif(DB_KIND != "postgresql", reason="several processes writing at once: PostgreSQL")
def test_workers_give_the_same_ledger_as_one_worker(day_db: str) -> None:
    args = ["simulate", "--database-url", day_db, "--district", "2", "--hours", "1", "--start-hour", "4"]
    args += ["--seed", str(SEED), "--alarm-scale", "100"]
    runs = {}
    for m in (0, 2):  # one worker (this process plays and delivers), then two traffic processes and two outbox workers
        r = CliRunner().invoke(app, [*args, "--workers", str(m)])
        assert r.exit_code == 0, r.output
        runs[m] = _ledger(r.output)
        assert "ledger outbox: undelivered 0, handled twice 0" in " ".join(r.output.split())
        for kind, (_sent, _stored, lost, doubled) in runs[m].items():
            assert (lost, doubled) == (0, 0), (m, kind, r.output)
    # The same day event for event (per compound, whichever process played it): the same sent per kind.
    assert {k: v[0] for k, v in runs[0].items()} == {k: v[0] for k, v in runs[2].items()}
    assert runs[2]["telemetry"][0] > 0 and runs[2]["vehicles"][0] > 0


def test_workers_are_refused_on_sqlite(day_db: str) -> None:
    if DB_KIND != "sqlite":
        pytest.skip("the refusal is SQLite's")
    r = CliRunner().invoke(app, ["simulate", "--database-url", day_db, "--district", "2", "--workers", "2"])
    assert r.exit_code == 2, r.output
    assert "PostgreSQL" in " ".join(r.output.split())
