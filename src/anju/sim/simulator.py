"""`anju simulate`: realistic device traffic for the demo compound, over MQTT or HTTP.

Every device reports at its type's rate (its heartbeat interval, divided by --speed) with normal
values, and a scripted set of incidents plays out: smoke on the 12th floor of building 3, a water
leak in the pump room, a trapped lift, a flapping gas sensor (hysteresis keeps it to one alarm)
and street lights dropping offline. Values come from a seeded RNG, so runs are reproducible;
event ids carry a run id so a second run is never mistaken for duplicates.
"""

from __future__ import annotations

import heapq
import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from anju.core.crypto import decrypt
from anju.core.db import new_session
from anju.devices.enums import DeviceType
from anju.devices.models import Device
from anju.devices.protocol import sign_http, sign_mqtt, topic_for
from anju.devices.service import SECRET_CONTEXT
from anju.registry.models import Building, Compound
from anju.sim.charger_sim import ChargerDesk

log = logging.getLogger("anju.sim")


@dataclass
class SimDevice:
    key: str
    device_type: DeviceType
    secret: str
    period: float
    building: str | None
    floor: int | None
    location: str
    state: dict[str, Any] = field(default_factory=dict)
    silent_after: float | None = None  # drops offline at this run time


@dataclass
class Incident:
    at: float
    key: str
    data: dict[str, Any]
    label: str
    repeat_every: float = 5.0
    repeat_for: float = 60.0
    name: str = ""  # smoke | leak | lift | gas: what `inject` plays on demand


def normal(d: SimDevice, r: random.Random) -> dict[str, Any]:
    t = d.device_type
    if t == DeviceType.smoke_detector:
        return {"smoke": round(r.uniform(0.05, 0.6), 2), "alarm": False, "battery": r.randint(80, 100)}
    if t == DeviceType.gas_detector:
        return {"gas_lel": round(r.uniform(0, 3), 1)}
    if t == DeviceType.water_leak:
        return {"leak": False}
    if t == DeviceType.manhole_cover:
        return {"open": False, "tilt_deg": round(r.uniform(0, 2), 1)}
    if t == DeviceType.lift_controller:
        return {"fault": False, "trapped": False, "car_floor": r.randint(1, 17), "running": r.random() < 0.6}
    if t == DeviceType.water_pump:
        return {"fault": False, "running": True, "pressure_mpa": round(r.uniform(0.3, 0.5), 2)}
    if t == DeviceType.water_tank:
        return {"level_pct": round(r.uniform(60, 85), 1)}
    if t == DeviceType.street_light:
        return {"on": True, "fault": False}
    if t == DeviceType.ebike_charger:
        return {
            "temp_c": round(r.uniform(25, 40), 1),
            "charge_minutes": r.randint(0, 300),
            "power_w": r.randint(80, 400),
        }
    if t == DeviceType.door_magnet:
        return {"open": False}
    if t in (DeviceType.water_meter, DeviceType.power_meter):
        d.state["reading"] = round(d.state.get("reading", 1000.0) + r.uniform(0, 2), 2)
        return {"reading": d.state["reading"]}
    if t == DeviceType.sos_button:
        return {"pressed": False, "battery": r.randint(70, 100)}
    return {"fault": False}


def load_devices(compound_code: str, *, speed: float) -> list[SimDevice]:
    with new_session() as s:
        cid = s.execute(select(Compound.id).where(Compound.code == compound_code)).scalar_one()
        numbers: dict[int | None, str] = dict(
            s.execute(select(Building.id, Building.number).where(Building.compound_id == cid)).all()
        )
        rows = (
            s.execute(select(Device).where(Device.compound_id == cid, Device.active.is_(True)).order_by(Device.id))
            .scalars()
            .all()
        )
        return [
            SimDevice(
                d.device_key,
                d.device_type,
                decrypt(d.secret_enc, context=SECRET_CONTEXT) or "",
                max(1.0, d.heartbeat_seconds * 0.9 / speed),
                numbers.get(d.building_id),
                d.floor,
                d.location or d.name,
            )
            for d in rows
        ]


def script(devices: list[SimDevice], compound_code: str, *, delay: float) -> list[Incident]:
    """The demo's incidents, at run time `delay` + offsets."""
    by_key = {d.key: d for d in devices}

    def smoke_key() -> str | None:
        cands = [d for d in devices if d.device_type == DeviceType.smoke_detector and d.building == "3"]
        if not cands:
            return None
        top = max(c.floor or 0 for c in cands)
        target = min(12, top)
        return next(c.key for c in cands if c.floor == target)

    out: list[Incident] = []
    k = smoke_key()
    if k:
        out.append(Incident(delay, k, {"smoke": 6.8, "alarm": True}, "smoke on building 3, 12th floor", name="smoke"))
    if f"{compound_code}-LEAK-PUMP" in by_key:
        out.append(
            Incident(
                delay + 10, f"{compound_code}-LEAK-PUMP", {"leak": True}, "water leak in the pump room", name="leak"
            )
        )
    lifts = [d.key for d in devices if d.device_type == DeviceType.lift_controller]
    if lifts:
        out.append(
            Incident(
                delay + 20,
                lifts[min(2, len(lifts) - 1)],
                {"trapped": True, "fault": False},
                "passenger trapped in a lift",
                name="lift",
            )
        )
    gas = [d.key for d in devices if d.device_type == DeviceType.gas_detector]
    if gas:
        # Flapping around the 20 %LEL threshold for two minutes: hysteresis keeps it to one alarm.
        for i in range(24):
            out.append(
                Incident(
                    delay + 5 + i * 5,
                    gas[0],
                    {"gas_lel": 23.0 if i % 2 == 0 else 17.0},
                    "flapping gas sensor" if i == 0 else "",
                    repeat_for=0,
                    name="gas",
                )
            )
    lights = [d for d in devices if d.device_type == DeviceType.street_light][:2]
    for d in lights:
        d.silent_after = delay / 2  # these stop reporting: offline after 3 missed heartbeats
    return out


class Sender:
    def __init__(self, transport: str, *, http_url: str | None, mqtt_url: str | None, compound_code: str) -> None:
        self.transport, self.code = transport, compound_code
        self._last: Any = None  # the latest MQTT publish, flushed on close
        if transport == "mqtt":
            import paho.mqtt.client as mqtt
            from paho.mqtt.enums import CallbackAPIVersion

            from anju.devices.gateway import parse_url

            host, port = parse_url(mqtt_url or "mqtt://127.0.0.1:1883")
            self.mqtt = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"anju-sim-{int(time.time())}")
            self.mqtt.max_inflight_messages_set(1000)
            self.mqtt.connect(host, port)
            self.mqtt.loop_start()
        else:
            import httpx

            self.http = httpx.Client(base_url=(http_url or "http://127.0.0.1:8000").rstrip("/"), timeout=10)
            for _ in range(120):  # the demo starts us beside the server: wait until it answers
                try:
                    if self.http.get("/api/v1/health").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.5)

    def send(self, d: SimDevice, kind: str, message: dict[str, Any]) -> bool:
        if self.transport == "mqtt":
            topic = topic_for(self.code, d.key, kind)
            self._last = self.mqtt.publish(topic, sign_mqtt(d.secret, topic, message), qos=1)
            return True
        import httpx

        body = json.dumps({**message, "kind": kind}).encode()
        try:
            r = self.http.post(
                "/api/v1/devices/ingest",
                content=body,
                headers={
                    "content-type": "application/json",
                    "X-Device-Key": d.key,
                    "X-Device-Signature": sign_http(d.secret, body),
                },
            )
        except httpx.HTTPError as e:  # the server may still be starting
            log.warning("push failed: %s", e)
            return False
        return r.status_code == 202

    def close(self) -> None:
        if self.transport == "mqtt":
            if self._last is not None:
                # Messages still queued in the client would die with its loop: let the last one out first.
                self._last.wait_for_publish(timeout=10)
            self.mqtt.loop_stop()
            self.mqtt.disconnect()
        else:
            self.http.close()


def _charger_desk(sender: Sender, devices: list[SimDevice], compound_code: str) -> ChargerDesk | None:
    """Over MQTT the e-bike sockets answer the platform's commands (start_charge, cut_power)."""
    if sender.transport != "mqtt":
        return None
    from anju.devices.config import device_settings

    by_key = {d.key: d for d in devices}
    keys = [d.key for d in devices if d.device_type == DeviceType.ebike_charger]
    if not keys:
        return None
    desk = ChargerDesk(keys, send=lambda key, kind, message: sender.send(by_key[key], kind, message))
    desk.subscribe(sender.mqtt, compound_code, device_settings().mqtt_topic_root)
    return desk


def _message(run_id: str, seq: int, data: dict[str, Any]) -> dict[str, Any]:
    return {"event_id": f"{run_id}-{seq}", "ts": datetime.now(UTC).isoformat(), "data": data}


@dataclass(frozen=True)
class Injected:
    incident: Incident
    device: SimDevice
    sent: int
    failed: int


def inject(
    name: str,
    *,
    compound_code: str,
    transport: str = "http",
    http_url: str | None = None,
    mqtt_url: str | None = None,
    seed: int = 20261121,
) -> Injected:
    """Play one scripted incident now: the device's heartbeat, then its first incident message.

    For drills, demos and end-to-end tests that need "the smoke on building 3" at a moment of
    their choosing rather than `incident_delay` seconds into a full run. Same devices, same
    payloads, same signing as `run`.
    """
    r = random.Random(seed)
    devices = load_devices(compound_code, speed=1.0)
    incident = next((i for i in script(devices, compound_code, delay=0.0) if i.name == name), None)
    if incident is None:
        raise ValueError(f"no incident {name!r} for compound {compound_code}")
    device = next(d for d in devices if d.key == incident.key)
    run_id = f"inject-{name}-{datetime.now(UTC).strftime('%y%m%d%H%M%S%f')}"
    sender = Sender(transport, http_url=http_url, mqtt_url=mqtt_url, compound_code=compound_code)
    try:
        results = [
            sender.send(device, "heartbeat", _message(run_id, 1, normal(device, r))),
            sender.send(device, "event", _message(run_id, 2, {**normal(device, r), **incident.data})),
        ]
    finally:
        sender.close()
    log.info("injected incident: %s (%s)", incident.label, device.location)
    return Injected(incident, device, sent=sum(results), failed=len(results) - sum(results))


def run(
    *,
    compound_code: str,
    transport: str,
    http_url: str | None = None,
    mqtt_url: str | None = None,
    seed: int = 20261121,
    speed: float = 1.0,
    duration: float | None = None,
    max_messages: int | None = None,
    incidents: bool = True,
    incident_delay: float = 20.0,
    on_send: Callable[[str, str, dict[str, Any]], None] | None = None,
    lanes: bool = False,
    power_cut_at: float | None = None,
    power_cut_minutes: float = 5.0,
) -> dict[str, int]:
    """Run the simulation until `duration` seconds or `max_messages`; returns counts.

    `power_cut_at`: seconds into the run, the charging pile loses power for `power_cut_minutes` (its sockets go
    silent, then report the outage; a session that was running resumes on the platform's command). Over MQTT only,
    where the sockets answer commands."""
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per push drowns the incidents
    r = random.Random(seed)
    devices = load_devices(compound_code, speed=speed)
    plan = script(devices, compound_code, delay=incident_delay) if incidents else []
    by_key = {d.key: d for d in devices}
    sender = Sender(transport, http_url=http_url, mqtt_url=mqtt_url, compound_code=compound_code)
    desk = _charger_desk(sender, devices, compound_code)
    run_id = datetime.now(UTC).strftime("%y%m%d%H%M%S")
    seq = 0
    counts = {"sent": 0, "failed": 0, "incidents": 0, "devices": len(devices)}
    start = time.monotonic()
    # Heartbeats first, spread over two seconds, then each device at its own period.
    queue: list[tuple[float, int, str]] = [(r.uniform(0, 2), i, "heartbeat") for i in range(len(devices))]
    queue += [(inc.at, -1 - k, "incident") for k, inc in enumerate(plan)]
    if power_cut_at is not None and desk is not None:
        queue.append((power_cut_at, len(devices), "power_cut"))
        queue.append((power_cut_at + power_cut_minutes * 60 / speed, len(devices) + 1, "power_back"))
    heapq.heapify(queue)
    driver = None
    if lanes:  # the parking lanes' camera traffic (issue 13), over HTTP beside the device messages
        from anju.sim.lane_sim import LaneDriver

        driver = LaneDriver(compound_code=compound_code, http_url=http_url or "http://127.0.0.1:8000", speed=speed)
        driver.start()
    try:
        while queue:
            at, idx, what = heapq.heappop(queue)
            if duration is not None and at > duration:
                break
            if max_messages is not None and counts["sent"] >= max_messages:
                break
            wait = start + at - time.monotonic()
            while wait > 0:  # in short naps, so the piles answer their commands meanwhile
                nap = min(wait, 0.5)
                time.sleep(nap)
                if desk is not None:
                    desk.pump()
                wait -= nap  # the naps, not the wall clock: a replay with sleep skipped (tests) does not spin
            if desk is not None:
                desk.pump()
            if what in ("power_cut", "power_back"):
                assert desk is not None
                if what == "power_cut":
                    desk.power_cut(power_cut_minutes)
                else:
                    counts["sent"] += desk.restore_power()
                continue
            if what == "incident":
                inc = plan[-1 - idx]
                d = by_key[inc.key]
                data = {**normal(d, r), **inc.data}
                kind = "event"
                if inc.label:
                    log.info("incident: %s (%s)", inc.label, d.location)
                    counts["incidents"] += 1
                if inc.repeat_for > 0:
                    inc.repeat_for -= inc.repeat_every
                    heapq.heappush(queue, (at + inc.repeat_every, idx, "incident"))
            else:
                d = devices[idx]
                if d.silent_after is not None and at >= d.silent_after:
                    continue  # dropped offline for good
                if desk is not None and desk.is_down(d.key):  # a socket without power: silent until it is back
                    heapq.heappush(queue, (at + d.period * r.uniform(0.9, 1.1), idx, "telemetry"))
                    continue
                data = (desk.reading(d.key, r) if desk is not None else None) or normal(d, r)
                kind = what
                heapq.heappush(queue, (at + d.period * r.uniform(0.9, 1.1), idx, "telemetry"))
            seq += 1
            message = _message(run_id, seq, data)
            ok = sender.send(d, kind, message)
            counts["sent" if ok else "failed"] += 1
            if on_send is not None:
                on_send(d.key, kind, message)
    finally:
        if desk is not None:
            counts["charger_commands"] = desk.counts["commands"]
            counts["power_cuts"] = desk.counts["power_cuts"]
        sender.close()
        if driver is not None:
            driver.stop()
            driver.join(timeout=10)
            counts["lane_captures"] = driver.counts["captures"]
    return counts
