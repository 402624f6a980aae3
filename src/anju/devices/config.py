"""Device intake settings (ANJU_MQTT_*, ANJU_DEVICES_*)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class DeviceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ANJU_", extra="ignore")

    mqtt_url: str | None = None  # mqtt://host:1883; unset: the demo simulator pushes over HTTP
    mqtt_client_id: str = "anju-gateway"  # fixed: the broker keeps this persistent session
    mqtt_topic_root: str = "anju"
    # Scale-out (issue 19): gateways that set the same group subscribe as `$share/<group>/...` (MQTT 5 shared
    # subscriptions, Mosquitto 2), so the broker hands each message to one of them; each gateway needs its own
    # ANJU_MQTT_CLIENT_ID (its persistent session). Unset: one gateway takes every message.
    mqtt_share_group: str | None = None
    mqtt_session_expiry_seconds: int = 7 * 24 * 3600
    mqtt_receive_maximum: int = 2000  # un-acked messages the broker may have in flight to us
    gateway_batch_size: int = 500
    gateway_batch_ms: int = 50  # flush a partial batch after this long

    devices_max_payload_bytes: int = 16 * 1024
    devices_max_past_seconds: int = 7 * 24 * 3600  # devices buffer while offline; older is a bad clock
    devices_max_future_seconds: int = 600
    devices_retention_days: int = 90  # telemetry; alarms are kept apart (R-A8)
    devices_dead_letter_retention_days: int = 30
    # Dedupe keys (device, event id) outlive any resend intake still accepts: a resend's device time must lie
    # within max_past of the server's, so a key this much older than max_past + max_future is never hit again.
    devices_dedupe_key_margin_days: int = 1
    # Retention deletes in committed batches until done or out of time, every 10 minutes: the demo writes
    # ~893,000 messages a day (~6,200 per run), a backlog of millions goes in ~20 runs.
    devices_purge_batch: int = 5_000
    devices_purge_budget_seconds: float = 30.0
    devices_command_timeout_seconds: int = 30
    devices_offline_intervals: int = 3  # R-A6: missing 3 heartbeats is offline

    @property
    def devices_dedupe_key_days(self) -> float:
        past = self.devices_max_past_seconds + self.devices_max_future_seconds
        return past / 86400 + self.devices_dedupe_key_margin_days


@lru_cache
def device_settings() -> DeviceSettings:
    return DeviceSettings()
