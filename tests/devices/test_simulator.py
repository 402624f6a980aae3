"""The simulator: the scripted incidents exist for the demo compound, and runs are reproducible."""

from __future__ import annotations

from typing import Any

from anju.sim import simulator
from anju.sim.simulator import load_devices, script


def test_incidents_cover_the_issue(session):
    devices = load_devices("SFXQ", speed=1.0)
    plan = script(devices, "SFXQ", delay=20)
    labels = {i.label for i in plan if i.label}
    assert labels == {
        "smoke on building 3, 12th floor",
        "water leak in the pump room",
        "passenger trapped in a lift",
        "flapping gas sensor",
    }
    smoke = next(i for i in plan if i.label.startswith("smoke"))
    assert smoke.key.startswith("SFXQ-SMK-3-")  # the test compound has 8 floors: its top floor stands in for 12F
    assert sum(1 for d in devices if d.silent_after is not None) == 2  # two lights drop offline


def test_same_seed_same_traffic(session, monkeypatch):
    runs: list[list[tuple[str, str, dict[str, Any]]]] = []

    class FakeSender:
        def __init__(self, transport: str, *a: Any, **kw: Any) -> None:
            self.transport = transport  # as the real Sender: over http no charger desk listens for commands
            runs.append([])

        def send(self, d: Any, kind: str, message: dict[str, Any]) -> bool:
            runs[-1].append((d.key, kind, message["data"]))
            return True

        def close(self) -> None:
            pass

    monkeypatch.setattr(simulator, "Sender", FakeSender)
    monkeypatch.setattr(simulator.time, "sleep", lambda s: None)  # no waiting: the schedule still orders them
    for _ in range(2):
        counts = simulator.run(compound_code="SFXQ", transport="http", seed=7, max_messages=300, incident_delay=0.0)
        assert counts["sent"] == 300
    assert runs[0] == runs[1]
    assert any(kind == "event" and data.get("smoke", 0) > 4 for _, kind, data in runs[0])
