"""The simulator's e-bike charging piles (issue 18): each socket answers the platform's commands as a real pile does.

- `start_charge {"minutes"}`: the socket switches on, acknowledges the command (a `reply` with its correlation id)
  and reports `state: charging`; when its own timer runs out it switches off and reports `state: idle` with
  `cut_off: "timer"` — the pile's automatic cut-off, which ends the session on the platform.
- `cut_power`: the socket switches off, acknowledges and reports `state: idle`.
- Any other command is acknowledged with `ok: false`.

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

    def on_command(self, body: dict[str, Any], now: float) -> list[Outgoing]:
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
        if self.state != "charging":
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
    ) -> None:
        self.chargers = {k: ChargerSim(k, speed=speed) for k in keys}
        self._send, self._clock = send, clock
        self._inbox: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
        self._last = clock()
        self._seq = 0
        self._run = datetime.now(UTC).strftime("chg%y%m%d%H%M%S%f")
        self.counts = {"commands": 0, "replies": 0, "cut_offs": 0}

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
                self._inbox.put((key, body))

        client.message_callback_add(topic, on_message)
        client.subscribe(topic, qos=1)

    def pump(self) -> int:
        """Answer the commands that arrived and run the piles' clocks; returns the messages sent."""
        now = self._clock()
        elapsed, self._last = now - self._last, now
        out: list[tuple[str, Outgoing]] = []
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
        for key, (kind, data) in out:
            self._seq += 1
            message = {"event_id": f"{self._run}-{self._seq}", "ts": datetime.now(UTC).isoformat(), "data": data}
            if self._send(key, kind, message) and kind == "reply":
                self.counts["replies"] += 1
        return len(out)

    def reading(self, key: str, r: random.Random) -> dict[str, Any] | None:
        """A socket's periodic reading once the platform has commanded it (else the simulator's usual values)."""
        c = self.chargers.get(key)
        return c.reading(r) if c is not None and c.commanded else None
