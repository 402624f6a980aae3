"""The simulator plays a power cut at the e-bike charging pile (issue 18 item 4): every socket of the pile goes
silent for N minutes and comes back reporting the outage; a session that was running when the power went resumes as
the same session (its end moved on by the outage), the socket switched on again by the platform's command, and the
pile's own timer cuts it off at the moved end. The platform's side is the real one: intake over HTTP, the charging
tick, the command rows the gateway would publish; the simulator's clock and timestamps are driven by the test."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import select

from anju.charging.enums import StartMode
from anju.charging.models import ChargingSession
from anju.charging.service import charging_service
from anju.core.db import utcnow
from anju.devices.enums import DeviceType
from anju.devices.models import DeviceCommand
from anju.fees.accounts import wallet_service
from anju.sim.charger_sim import ChargerDesk
from tests.devices.helpers import make_device, msg, push


class Bench:
    """The simulator's pile wired to the platform: its messages pushed to the intake, the platform's commands
    delivered to it (as the MQTT gateway would), one shared clock in minutes."""

    def __init__(self, client, session, sockets):
        self.client, self.session, self.sockets = client, session, sockets
        self.base = utcnow() - timedelta(minutes=90)  # the whole run lies in the past: no future timestamps
        self.minutes = 0.0
        self.seen: set[int] = set()
        self.sent: list[tuple[str, str, dict]] = []
        self.desk = ChargerDesk(
            list(sockets), send=self._send, clock=lambda: self.minutes * 60, wall=lambda: self.at(self.minutes)
        )

    def at(self, minutes: float):
        return self.base + timedelta(minutes=minutes)

    def _send(self, key, kind, message):
        self.sent.append((key, kind, message["data"]))
        if kind == "reply":
            return True  # acknowledgements travel on the reply topic, not the intake
        key_, secret = key, self.sockets[key]["secret"]
        r = push(self.client, key_, secret, [{"kind": kind, **message}])
        assert r.status_code == 202, r.text
        return True

    def deliver(self):
        """The platform's new commands to these sockets, in order, to the simulator."""
        ids = {v["id"]: k for k, v in self.sockets.items()}
        rows = self.session.execute(
            select(DeviceCommand).where(DeviceCommand.device_id.in_(ids)).order_by(DeviceCommand.id)
        ).scalars()
        for c in rows:
            if c.id not in self.seen:
                self.seen.add(c.id)
                command = c.command.value if hasattr(c.command, "value") else str(c.command)
                self.desk.receive(
                    ids[c.device_id], {"correlation_id": c.correlation_id, "command": command, "params": c.params}
                )

    def step(self, minutes: float):
        """Move the clock, let the piles answer and run their timers, then the platform's tick."""
        self.minutes = minutes
        self.deliver()
        self.desk.pump()
        charging_service.tick(self.session, now=self.at(minutes))
        self.deliver()
        self.desk.pump()


@pytest.fixture
def bench(client, session, ids):
    sockets = {}
    for n in (1, 2):
        device_id, key, secret = make_device(
            session, ids["A"], DeviceType.ebike_charger, location=f"5号楼车棚 {n}号插座"
        )
        sockets[key] = {"id": device_id, "secret": secret}
    b = Bench(client, session, sockets)
    for key, s in sockets.items():
        assert push(client, key, s["secret"], [msg({"state": "idle", "power_w": 0}, at=b.at(0))]).status_code == 202
    return b


def test_a_session_running_at_the_cut_resumes_as_the_same_session(bench, session, ids, persona):
    li = persona("resident_li").who
    wallet_service.top_up(session, compound_id=ids["A"], user_id=li.user_id, amount_fen=500, source_key="pc:1", by=None)
    key, idle_key = list(bench.sockets)
    s = charging_service.start(session, who=li, device_key=key, mode=StartMode.duration, hours=1, now=bench.at(0))
    bench.step(0.1)  # the socket switches on and says so
    session.refresh(s)
    assert s.confirmed_at is not None and bench.desk.chargers[key].state == "charging"
    bench.step(20)
    assert bench.desk.chargers[key].energy_wh > 0

    # The pile loses power for 10 minutes: both sockets go silent; a command meanwhile is lost.
    bench.desk.power_cut(10)
    heard = len(bench.sent)
    assert bench.desk.is_down(key) and bench.desk.is_down(idle_key)
    assert bench.desk.reading(key, random.Random(1)) is None
    bench.step(25)
    assert len(bench.sent) == heard and bench.desk.chargers[key].state == "idle"
    session.refresh(s)
    assert s.status == "running" and s.resumes == 0

    # Power is back: each socket reports the outage; the running session resumes, the same one.
    bench.step(30)
    restored = [(k, d) for k, kind, d in bench.sent[heard:] if d.get("power_restored")]
    assert sorted(k for k, _ in restored) == sorted(bench.sockets) and all(
        d["outage_seconds"] == 600 for _, d in restored
    )
    session.refresh(s)
    assert (s.status, s.resumes, s.paused_seconds) == ("running", 1, 600)
    assert s.ends_at == bench.at(70)  # an hour paid, ten minutes without power
    assert bench.desk.chargers[key].state == "charging"  # switched on again by the platform's resume command
    resume = (
        session.execute(
            select(DeviceCommand)
            .where(DeviceCommand.device_id == bench.sockets[key]["id"])
            .order_by(DeviceCommand.id.desc())
        )
        .scalars()
        .first()
    )
    assert resume.params == {"minutes": 40, "session": s.id, "resume": True}
    assert session.execute(
        select(ChargingSession).where(
            ChargingSession.user_id == li.user_id, ChargingSession.device_id == bench.sockets[key]["id"]
        )
    ).scalars().all() == [s]
    assert charging_service.socket_state(session, _device(session, bench, idle_key)) == "free"  # the other socket

    # The pile's own timer ends it at the moved end; the hour of charging is what it costs.
    bench.step(69.9)
    session.refresh(s)
    assert s.status == "running"
    bench.step(70)
    session.refresh(s)
    assert (s.status, s.end_reason, s.charged_fen, s.refunded_fen) == ("ended", "time_up", 50, 0)


def _device(session, bench, key):
    from anju.devices.models import Device

    return session.get(Device, bench.sockets[key]["id"])


def test_the_simulator_run_plays_the_cut_on_its_schedule(session, monkeypatch):
    """`anju simulate --power-cut-at 60 --power-cut-minutes 2`: the pile's sockets say nothing from 60 s to 180 s
    into the run, then each reports the two-minute outage; the other devices go on as before."""
    from typing import Any

    from anju.sim import simulator

    sent: list[tuple[float, str, str, dict[str, Any]]] = []
    clock = {"at": 0.0}

    class FakeMqtt:
        def message_callback_add(self, *a: Any) -> None: ...
        def subscribe(self, *a: Any, **kw: Any) -> None: ...

    class FakeSender:
        def __init__(self, transport: str, *a: Any, **kw: Any) -> None:
            self.transport, self.mqtt = "mqtt", FakeMqtt()  # the piles' desk listens only over MQTT

        def send(self, d: Any, kind: str, message: dict[str, Any]) -> bool:
            sent.append((clock["at"], d.key, kind, message["data"]))
            return True

        def close(self) -> None:
            pass

    real_pop = simulator.heapq.heappop

    def pop(q: list) -> Any:  # the run's schedule time of whatever is sent next
        item = real_pop(q)
        clock["at"] = item[0]
        return item

    monkeypatch.setattr(simulator, "Sender", FakeSender)
    monkeypatch.setattr(simulator.time, "sleep", lambda s: None)  # no waiting: the schedule still orders them
    monkeypatch.setattr(simulator.heapq, "heappop", pop)
    counts = simulator.run(
        compound_code="SFXQ",
        transport="mqtt",
        seed=7,
        duration=300,
        incidents=False,
        power_cut_at=60,
        power_cut_minutes=2,
    )
    piles = {k for _, k, _, _ in sent if "-CHG-" in k}
    assert counts["power_cuts"] == 1 and len(piles) == 8
    during = [(at, k) for at, k, _, _ in sent if k in piles and 60 <= at < 180]
    assert during == []  # without power, silent
    assert any(at < 60 for at, k, _, _ in sent if k in piles)  # heard before the cut …
    back = [(k, d) for at, k, _, d in sent if d.get("power_restored")]
    assert sorted(k for k, _ in back) == sorted(piles)  # … each socket reports the outage once
    assert all(d["outage_seconds"] >= 1 for _, d in back)
    assert any(at > 180 for at, k, kind, d in sent if k in piles and kind != "event")  # and reads again after
    assert any(60 <= at < 180 for at, k, _, _ in sent if k not in piles)  # the rest of the compound went on
