"""`anju gateway`: the MQTT consumer. QoS 1, persistent session, acknowledge only after commit.

MQTT v5 with a fixed client id, clean_start=False and a session expiry: the broker keeps our
subscriptions and queues messages while we are away. Several gateways split one broker's load with a shared
subscription (ANJU_MQTT_SHARE_GROUP, each with its own ANJU_MQTT_CLIENT_ID); a message redelivered to another
gateway after a crash is stored once all the same (the telemetry key). Messages are acknowledged manually after
the batch that stored them has committed, so a crash at any point means redelivery (stored
once, thanks to UNIQUE(device_id, event_id)), never loss. Receive Maximum lets the broker keep
a whole batch in flight (MQTT 3.1.1 brokers default to 20 un-acked messages per client).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from sqlalchemy.exc import OperationalError

from anju.core.db import transaction, utcnow
from anju.devices.command_service import command_service
from anju.devices.config import device_settings
from anju.devices.intake_service import Rejection, intake_service
from anju.devices.service import device_service

log = logging.getLogger("anju.gateway")
KINDS = ("telemetry", "event", "heartbeat", "reply")
Item = tuple[int, int, str, bytes]  # (connection generation, mid, topic, payload)


@dataclass
class GatewayStats:
    received: int = 0
    inserted: int = 0
    duplicates: int = 0
    rejected: int = 0
    batches: int = 0
    alarms: int = 0
    commands_sent: int = 0
    errors: int = 0
    connects: int = 0
    session_losses: int = 0  # connects where the broker had lost our persistent session (metric, item 12)
    started: float = field(default_factory=time.monotonic)


def parse_url(url: str) -> tuple[str, int]:
    u = urlparse(url if "://" in url else f"mqtt://{url}")
    return u.hostname or "127.0.0.1", u.port or 1883


class Gateway:
    def __init__(
        self,
        *,
        url: str,
        client_id: str | None = None,
        topic_root: str | None = None,
        batch_size: int | None = None,
        batch_ms: int | None = None,
        share_group: str | None = None,
    ) -> None:
        s = device_settings()
        self.host, self.port = parse_url(url)
        self.client_id = client_id or s.mqtt_client_id
        self.root = topic_root or s.mqtt_topic_root
        group = share_group or s.mqtt_share_group
        # With a share group the broker gives each message to one gateway of the group (scale-out, issue 19).
        self.filter_prefix = f"$share/{group}/" if group else ""
        self.batch_size = batch_size or s.gateway_batch_size
        self.batch_wait = (batch_ms if batch_ms is not None else s.gateway_batch_ms) / 1000
        self.stats = GatewayStats()
        self._queue: deque[tuple[int, int, str, bytes]] = deque()  # (generation, mid, topic, payload)
        self._cv = threading.Condition()
        self._gen = 0
        self._stop = threading.Event()
        self.connected = threading.Event()
        self._thread: threading.Thread | None = None
        self._connects: deque[bool] = deque()  # session_present of each connect, handled by the processing thread
        self._last_seen_write = 0.0
        c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=self.client_id, protocol=mqtt.MQTTv5, manual_ack=True)
        c.on_connect = self._on_connect
        c.on_message = self._on_message
        c.on_disconnect = self._on_disconnect
        c.on_subscribe = self._on_subscribe
        c.reconnect_delay_set(min_delay=1, max_delay=10)
        c.max_inflight_messages_set(1000)
        c.max_queued_messages_set(0)
        self.client = c

    # --- MQTT callbacks (network thread) ------------------------------------------------------
    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if getattr(reason, "is_failure", False):
            log.warning("broker refused the connection: %s", reason)
            return
        with self._cv:
            # Anything received on the old connection will be redelivered; its mids mean nothing now.
            self._gen += 1
            self._queue.clear()
            self._connects.append(bool(getattr(flags, "session_present", False)))
            self._cv.notify()
        client.subscribe([(f"{self.filter_prefix}{self.root}/+/devices/+/{k}", 1) for k in KINDS])
        log.info(
            "connected to %s:%s as %s (session present: %s)",
            self.host,
            self.port,
            self.client_id,
            getattr(flags, "session_present", None),
        )

    def _on_subscribe(self, client: mqtt.Client, userdata: Any, mid: int, reasons: Any, props: Any) -> None:
        log.info("subscribed to %s%s/+/devices/+/{%s}", self.filter_prefix, self.root, ",".join(KINDS))
        self.connected.set()  # subscribed: from here on the broker keeps everything for us

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        self.connected.clear()
        log.warning("disconnected from broker: %s", reason)

    def _on_message(self, client: mqtt.Client, userdata: Any, m: mqtt.MQTTMessage) -> None:
        try:
            topic = m.topic
        except UnicodeDecodeError:  # brokers should refuse such topics; if one does not, it is a bad_topic
            topic = m._topic.decode("utf-8", "replace")
        with self._cv:
            self._queue.append((self._gen, m.mid, topic, bytes(m.payload)))
            if len(self._queue) >= self.batch_size:
                self._cv.notify()

    # --- processing thread ----------------------------------------------------------------------
    def handle_connect(self, session_present: bool) -> None:
        """Record a connect in the database; a lost persistent session raises an alarm (processing thread)."""
        self.stats.connects += 1
        with transaction() as session:
            alarms = device_service.gateway_connected(
                session,
                client_id=self.client_id,
                broker=f"{self.host}:{self.port}",
                session_present=session_present,
                now=utcnow(),
            )
        if alarms:
            self.stats.session_losses += 1
            self.stats.alarms += len(alarms)
            log.warning(
                "broker %s:%s lost the persistent session of %s (session present: False): messages queued while "
                "the gateway was away may be lost; alarm raised in %d compounds (session losses: %d)",
                self.host,
                self.port,
                self.client_id,
                len(alarms),
                self.stats.session_losses,
            )

    def _handle_connects(self) -> None:
        while self._connects:
            present = self._connects[0]
            self.handle_connect(present)  # an OperationalError leaves it queued: retried with the batch
            self._connects.popleft()
        if self.connected.is_set() and time.monotonic() - self._last_seen_write > 60:
            self._last_seen_write = time.monotonic()
            with transaction() as session:
                device_service.gateway_seen(session, client_id=self.client_id, now=utcnow())

    def _take(self) -> list[tuple[int, int, str, bytes]]:
        with self._cv:
            if len(self._queue) < self.batch_size:
                self._cv.wait(self.batch_wait)
            n = min(len(self._queue), self.batch_size)
            return [self._queue.popleft() for _ in range(n)]

    def _ack(self, items: list[tuple[int, int, str, bytes]]) -> None:
        gen = self._gen
        for g, mid, _, _ in items:
            if g == gen:
                self.client.ack(mid, 1)

    def _store(self, items: list[tuple[int, int, str, bytes]]) -> None:
        now = utcnow()
        with transaction() as session:
            acc, rej = intake_service.parse_mqtt(session, [(t, p) for _, _, t, p in items], now=now, root=self.root)
            accepted = [a for a in acc if a is not None]
            rejected = [r for r in rej if r is not None]
            out = intake_service.store(session, accepted, rejected, now=now)
        self.stats.inserted += out.inserted
        self.stats.duplicates += out.duplicates
        self.stats.rejected += out.rejected
        self.stats.alarms += len(out.alarms_raised)

    def process_batch(self, items: list[Item]) -> None:
        """Store a batch and acknowledge it; a poison message is isolated and dead-lettered, never fatal.

        Validation gives every malformed message its reason, so a batch failing to store is a bug, not
        input. Even then the batch is split in halves, not replayed one transaction per message: k poison
        messages cost about 2·k·log2(n) transactions, and the good ones are stored once.
        """
        if not items:
            return
        self.stats.received += len(items)
        self._store_or_split(items, first=True)
        self.stats.batches += 1
        self._ack(items)

    def _store_or_split(self, items: list[Item], *, first: bool = False) -> None:
        try:
            self._store(items)
        except OperationalError:
            raise  # the database is away: keep the messages un-acked and retry
        except Exception as e:
            if len(items) == 1:
                self.stats.errors += 1
                log.exception("message on %r failed; dead-lettered", items[0][2])
                self._dead_letter(items[0], e)
                return
            if first:
                log.exception("batch of %d failed; splitting it to isolate the bad message", len(items))
            half = len(items) // 2
            self._store_or_split(items[:half])
            self._store_or_split(items[half:])

    def _dead_letter(self, item: Item, e: Exception) -> None:
        with transaction() as session:
            intake_service.store(
                session, [], [Rejection("mqtt", "internal_error", repr(e)[:300], item[3], topic=item[2])]
            )

    def _pump_commands(self) -> None:
        with transaction() as session:
            out = command_service.claim_to_send(session, now=utcnow(), root=self.root)
        for topic, payload in out:
            self.client.publish(topic, payload, qos=1)
            self.stats.commands_sent += 1

    def _run(self) -> None:
        last_pump = 0.0
        pending: list[tuple[int, int, str, bytes]] = []
        while not self._stop.is_set():
            try:
                if self._connects or self.connected.is_set():
                    self._handle_connects()
                if not pending:
                    pending = self._take()
                self.process_batch(pending)
                pending = []
                if time.monotonic() - last_pump > 0.5 and self.connected.is_set():
                    last_pump = time.monotonic()
                    self._pump_commands()
            except OperationalError:
                log.exception("database unavailable; retrying in 2 s")
                self._stop.wait(2)
            except Exception:
                log.exception("gateway loop error")
                self._stop.wait(0.5)

    # --- lifecycle --------------------------------------------------------------------------------
    def start(self) -> None:
        s = device_settings()
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = s.mqtt_session_expiry_seconds
        props.ReceiveMaximum = s.mqtt_receive_maximum
        self.client.connect_async(self.host, self.port, keepalive=30, clean_start=False, properties=props)
        self.client.loop_start()
        self._thread = threading.Thread(target=self._run, name="anju-gateway", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        with self._cv:
            self._cv.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.client.disconnect()
        self.client.loop_stop()

    def run_forever(self) -> None:
        import signal

        def _term(*_: Any) -> None:
            self._stop.set()

        signal.signal(signal.SIGTERM, _term)
        self.start()
        try:
            while not self._stop.is_set():
                self._stop.wait(10)
                st = self.stats
                log.info(
                    "received=%d inserted=%d duplicates=%d rejected=%d alarms=%d errors=%d session_losses=%d",
                    st.received,
                    st.inserted,
                    st.duplicates,
                    st.rejected,
                    st.alarms,
                    st.errors,
                    st.session_losses,
                )
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()
