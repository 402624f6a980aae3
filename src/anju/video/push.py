"""Edge push: the video worker delivers a detection the way a device does, through the platform's authenticated
device intake (MQTT here, the same topic, signature and event_id rules as every device; docs/mqtt.md), so the
edge can run inside the compound and the platform elsewhere.

The message carries the decision (detector, zone, score, times, box) and the sha256 of each evidence file; the
files themselves go to the evidence store (a local folder in the demo, an S3-compatible bucket in production)
under their sha256, because a broker is no place for video and intake accepts only short flat fields. The
platform checks every file against its sha256 when it records the incident (VideoService.record_pushed).

An incident goes out in two messages: `video_part=alarm` at the detector's decision (the snapshot; the alarm is
raised now) and `video_part=clip` when the clip's post-roll has been recorded (the same decision with the clip).
Each part's event_id is derived from the incident key, so a restarted worker replaying the same clip sends the
same event_ids and intake stores each once (UNIQUE device, event_id); the platform records the incident from
whichever part comes first and attaches the other. QoS 1 with a wait for the broker's ack (or HTTP 202) means a
message is either delivered or the worker knows it was not (and retries it on the next flush).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import httpx
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from anju.devices.gateway import parse_url
from anju.devices.protocol import sign_mqtt, topic_for
from anju.video.detectors.base import Detection, Image
from anju.video.evidence import evidence_store, sha256
from anju.video.service import encode_evidence, pushed_key

log = logging.getLogger("anju.video.push")


@dataclass(frozen=True)
class DeviceIdentity:
    """What the edge needs to speak for a camera: its compound code, device key and device secret."""

    compound_code: str
    device_key: str
    secret: str


class PushFailed(Exception):
    pass


class Pusher(Protocol):
    def send(self, who: DeviceIdentity, message: dict[str, Any]) -> None: ...
    def close(self) -> None: ...


def event_id_for(event_key: str, part: str = "alarm") -> str:
    """The intake event_id of one part of an incident (stable across replays and restarts)."""
    return "v-" + hashlib.sha256((event_key if part == "alarm" else f"{event_key}#{part}").encode()).hexdigest()[:40]


def detection_message(
    det: Detection,
    *,
    event_key: str,
    started_at: datetime,
    detected_at: datetime,
    snapshot: Image,
    clip: list[Image] | None,
    clip_fps: float,
    clip_start: datetime,
    clip_end: datetime | None = None,
) -> dict[str, Any]:
    """Store the evidence files under their sha256 and build the intake message that refers to them: the alarm
    part (no clip: it is pending) or the clip part (`clip` given: the whole incident again, with its clip)."""
    store = evidence_store()
    part = "clip" if clip else "alarm"
    data: dict[str, Any] = {
        "video_part": part,
        "video_detector": det.detector,
        "video_key": event_key[:160],
        "zone": det.zone,
        "score": round(float(det.score), 4),
        "started_at": started_at.isoformat(),
        "detected_at": detected_at.isoformat(),
        "clip_start": clip_start.isoformat(),
        "box": ",".join(str(int(v)) for v in det.box),
    }
    if clip_end is not None:
        data["clip_end"] = clip_end.isoformat()
    for f in encode_evidence(det, snapshot, clip, clip_fps, clip_start, detected_at, clip_end):
        digest = sha256(f.data)
        store.put(pushed_key(digest, f.ext), f.data)
        data[f.kind.value] = digest
        if f.kind.value == "clip":
            data["clip_frames"] = f.frames
    if det.details:
        blob = json.dumps(det.details, ensure_ascii=False, default=_plain).encode()
        digest = sha256(blob)
        store.put(pushed_key(digest, "json"), blob)
        data["details"] = digest
    return {"event_id": event_id_for(event_key, part), "ts": detected_at.isoformat(), "data": data}


def _plain(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else str(v)


class MqttPusher:
    """One MQTT connection per worker; publish waits for the broker's PUBACK (QoS 1)."""

    def __init__(self, url: str, *, root: str = "anju", timeout: float = 10.0) -> None:
        self.host, self.port = parse_url(url)
        self.root = root
        self.timeout = timeout
        self._lock = threading.Lock()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"anju-video-{uuid.uuid4().hex[:12]}")
        self.client.reconnect_delay_set(1, 30)
        self._started = False

    def _ensure(self) -> None:
        if not self._started:
            self.client.connect(self.host, self.port, keepalive=30)
            self.client.loop_start()
            self._started = True

    def send(self, who: DeviceIdentity, message: dict[str, Any]) -> None:
        topic = topic_for(who.compound_code, who.device_key, "event", self.root)
        payload = sign_mqtt(who.secret, topic, message)
        with self._lock:
            try:
                self._ensure()
                info = self.client.publish(topic, payload, qos=1)
                info.wait_for_publish(self.timeout)
            except (OSError, RuntimeError, ValueError) as exc:
                raise PushFailed(f"MQTT publish to {self.host}:{self.port} failed: {exc}") from exc
            if not info.is_published():
                raise PushFailed(f"MQTT publish to {self.host}:{self.port} not acknowledged")

    def close(self) -> None:
        if self._started:
            self.client.loop_stop()
            self.client.disconnect()
            self._started = False


class HttpPusher:
    """Device push over HTTP (`POST /api/v1/devices/ingest`, signed with the camera's device secret): for an edge
    that reaches the platform's API but not its broker. 202 with the message inserted or counted as a duplicate
    is delivered; anything else is not (kept for the next flush)."""

    def __init__(self, url: str, *, client: httpx.Client | None = None, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/") + "/api/v1/devices/ingest" if client is None else "/api/v1/devices/ingest"
        self._own = client is None
        self.client = client or httpx.Client(timeout=timeout)

    def send(self, who: DeviceIdentity, message: dict[str, Any]) -> None:
        body = json.dumps({**message, "kind": "event"}, separators=(",", ":"), ensure_ascii=False).encode()
        sig = hmac.new(who.secret.encode(), body, hashlib.sha256).hexdigest()
        headers = {
            "Content-Type": "application/json",
            "X-Device-Key": who.device_key,
            "X-Device-Signature": f"sha256={sig}",
        }
        try:
            r = self.client.post(self.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise PushFailed(f"HTTP push to {self.url} failed: {exc}") from exc
        if r.status_code != 202:
            raise PushFailed(f"HTTP push to {self.url} refused: {r.status_code} {r.text[:200]}")
        out = r.json()
        if out.get("rejected"):
            raise PushFailed(f"HTTP push to {self.url}: message rejected: {out['rejected']}")

    def close(self) -> None:
        if self._own:
            self.client.close()
