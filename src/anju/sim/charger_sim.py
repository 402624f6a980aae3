"""The simulator's e-bike charging piles (issue 18): each socket answers the platform's commands as a real pile does.

- `start_charge {"minutes"}`: the socket switches on, acknowledges the command (a `reply` with its correlation id)
  and reports `state: charging`; when its own timer runs out it switches off and reports `state: idle` with
  `cut_off: "timer"` — the pile's automatic cut-off, which ends the session on the platform.
- `cut_power`: the socket switches off, acknowledges and reports `state: idle`.
- Any other command is acknowledged with `ok: false`.
- A power cut (`ChargerDesk.power_cut`): every socket of the pile loses power for N minutes. A socket without power
  says nothing (it is offline: no readings, commands unanswered) and stops charging. When the power comes back each
  socket reports `power_restored` with `outage_seconds` (the pile's own record of the cut) and stays off: a session
  that was running resumes only when the platform sends `start_charge` again with the time left.

Commands reach the simulator over MQTT (the gateway publishes them on `<root>/<compound>/devices/<key>/command`);
`ChargerDesk` subscribes on the simulator's own MQTT connection, keeps one `ChargerSim` per socket, and sends the
replies and readings through the simulator's sender (signed like every other message).
"""

from __future__ import annotations

import json
import logging
import queue
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger("anju.sim.charger")

Outgoing = tuple[str, dict[str, Any]]  # (message kind, data)


@dataclass
class ChargerSim:
    """One socket's state: off (idle) or charging until a time on the simulator's clock (seconds)."""

    key: str
    speed: float = 1.0  # the simulator's time-lapse: a 60-minute charge lasts 60 / speed minutes
    state: str = "idle"
    until: float | None = None
    energy_wh: float = 0.0
    commanded: bool = False  # reports carry a state only once the platform has talked to this socket
    powered: bool = True
    cut_at: float | None = None  # when the power went (the simulator's clock)

    def lose_power(self, now: float) -> None:
        """The pile's supply is cut: the socket switches off and goes silent."""
        if self.powered:
            self.powered, self.cut_at = False, now
            self.state, self.until = "idle", None

    def restore_power(self, now: float, outage_seconds: float) -> list[Outgoing]:
        """The supply is back: the socket reports the outage (it stays off until the platform says otherwise)."""
        if self.powered:
            return []
        self.powered, self.cut_at = True, None
        return [("event", {**self.reading(), "power_restored": True, "outage_seconds": max(1, round(outage_seconds))})]

    def on_command(self, body: dict[str, Any], now: float) -> list[Outgoing]:
        if not self.powered:
            return []  # no power, no network: the command is lost (the platform's times out)
        cid = str(body.get("correlation_id", ""))[:64]
        command = body.get("command")
        raw = body.get("params")
        params: dict[str, Any] = raw if isinstance(raw, dict) else {}
        self.commanded = True
        if command == "start_charge":
            minutes = params.get("minutes")
            if isinstance(minutes, bool) or not isinstance(minutes, int | float) or not 0 < minutes <= 24 * 60:
                return [("reply", {"correlation_id": cid, "ok": False, "error": "bad minutes"})]
            self.state, self.until = "charging", now + float(minutes) * 60 / self.speed
            return [("reply", {"correlation_id": cid, "ok": True}), ("telemetry", self.reading())]
        if command == "cut_power":
            self.state, self.until = "idle", None
            return [("reply", {"correlation_id": cid, "ok": True}), ("telemetry", self.reading())]
        return [("reply", {"correlation_id": cid, "ok": False, "error": f"unsupported: {command}"})]

    def tick(self, now: float, elapsed: float = 0.0) -> list[Outgoing]:
        """The pile's own clock: energy while charging, and the automatic cut-off when its time is up."""
        if self.state != "charging" or not self.powered:
            return []
        self.energy_wh += 180.0 * elapsed * self.speed / 3600
        if self.until is not None and now >= self.until:
            self.state, self.until = "idle", None
            return [("event", {**self.reading(), "cut_off": "timer"})]
        return []

    def reading(self, r: random.Random | None = None) -> dict[str, Any]:
        rng = r or random.Random()
        on = self.state == "charging"
        return {
            "state": self.state,
            "power_w": rng.randint(150, 220) if on else 0,
            "temp_c": round(rng.uniform(28, 40) if on else rng.uniform(18, 26), 1),
            "energy_wh": int(self.energy_wh),
        }


class ChargerDesk:
    """The simulator's piles on its MQTT connection: commands in (network thread → queue), replies out."""

    def __init__(
        self,
        keys: list[str],
        *,
        send: Callable[[str, str, dict[str, Any]], bool],
        speed: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.chargers = {k: ChargerSim(k, speed=speed) for k in keys}
        self._send, self._clock, self._wall = send, clock, wall
        self.speed = speed
        self._cut: tuple[list[str], float, datetime] | None = None  # sockets, power back at (clock), cut at (wall)
        self._inbox: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
        self._last = clock()
        self._seq = 0
        self._run = datetime.now(UTC).strftime("chg%y%m%d%H%M%S%f")
        self.counts = {"commands": 0, "replies": 0, "cut_offs": 0, "power_cuts": 0}

    def power_cut(self, minutes: float, keys: list[str] | None = None) -> None:
        """Cut the power of the pile's sockets (all of them unless `keys`) for `minutes` (sped up like the piles'
        timers); `pump` brings it back when the time is up."""
        down = [k for k in (keys or list(self.chargers)) if k in self.chargers]
        now = self._clock()
        for k in down:
            self.chargers[k].lose_power(now)
        self._cut = (down, now + minutes * 60 / self.speed, self._wall())
        self.counts["power_cuts"] += 1
        log.info("power cut: %d sockets off for %s minutes", len(down), minutes)

    def restore_power(self) -> int:
        """Bring the power back now (the simulator's run schedules it); returns the messages sent."""
        if self._cut is None:
            return 0
        return self._deliver(self._power_back(self._clock()))

    def _power_back(self, now: float) -> list[tuple[str, Outgoing]]:
        assert self._cut is not None
        down, _, cut_wall = self._cut
        self._cut = None
        outage = (self._wall() - cut_wall).total_seconds()  # as the platform's clock sees it
        log.info("power restored after %.0f s", outage)
        return [(key, m) for key in down for m in self.chargers[key].restore_power(now, outage)]

    def is_down(self, key: str) -> bool:
        """A socket without power sends nothing."""
        c = self.chargers.get(key)
        return c is not None and not c.powered

    def subscribe(self, client: Any, compound_code: str, root: str) -> None:
        """Listen for commands to this compound's sockets on an open paho client."""
        topic = f"{root}/{compound_code}/devices/+/command"

        def on_message(_c: Any, _u: Any, message: Any) -> None:
            key = message.topic.split("/")[-2]
            if key not in self.chargers:
                return
            try:
                body = json.loads(message.payload)
            except ValueError:
                return
            if isinstance(body, dict):
                self.receive(key, body)

        client.message_callback_add(topic, on_message)
        client.subscribe(topic, qos=1)

    def receive(self, key: str, body: dict[str, Any]) -> None:
        """A command for one socket, as the gateway published it (answered on the next `pump`)."""
        if key in self.chargers:
            self._inbox.put((key, body))

    def pump(self) -> int:
        """Answer the commands that arrived and run the piles' clocks; returns the messages sent."""
        now = self._clock()
        elapsed, self._last = now - self._last, now
        out: list[tuple[str, Outgoing]] = []
        if self._cut is not None and now >= self._cut[1]:
            out += self._power_back(now)
        while True:
            try:
                key, body = self._inbox.get_nowait()
            except queue.Empty:
                break
            self.counts["commands"] += 1
            log.info("charger %s: %s", key, body.get("command"))
            out += [(key, m) for m in self.chargers[key].on_command(body, now)]
        for key, c in self.chargers.items():
            ended = c.tick(now, elapsed)
            if ended:
                self.counts["cut_offs"] += 1
                log.info("charger %s: automatic cut-off", key)
            out += [(key, m) for m in ended]
        return self._deliver(out)

    def _deliver(self, out: list[tuple[str, Outgoing]]) -> int:
        for key, (kind, data) in out:
            self._seq += 1
            message = {"event_id": f"{self._run}-{self._seq}", "ts": self._wall().isoformat(), "data": data}
            if self._send(key, kind, message) and kind == "reply":
                self.counts["replies"] += 1
        return len(out)

    def reading(self, key: str, r: random.Random) -> dict[str, Any] | None:
        """A socket's periodic reading once the platform has commanded it (else the simulator's usual values)."""
        c = self.chargers.get(key)
        return c.reading(r) if c is not None and c.commanded and c.powered else None
