"""Access-control settings (ANJU_ACCESS_*)."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal, Self

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIN_LOG_RETENTION_DAYS = 180  # R-A9 default floor


class AccessSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ANJU_ACCESS_", extra="ignore")

    qr_window_seconds: int = 30  # the resident QR rotates every window
    qr_grace_windows: int = 1  # the previous window is still accepted (scan latency)
    # Cosine similarity of SFace embeddings (issue 12), accepted at or above the threshold; an access point may
    # set its own. 0.363 is the SFace authors' 1:1 threshold (LFW); on held-out faces it gave 0.09 % false
    # accepts / 0.64 % false rejects. Perimeter gates (anyone from the street can try them) default stricter:
    # on the shared faces the lowest genuine best match is 0.50 and the highest impostor pair 0.36, and 0.45
    # keeps every probe right with a 0.09 margin over the worst impostor (bench/bench_face.py).
    face_threshold: float = 0.363
    face_threshold_perimeter: float = 0.45
    # R-F4: where face data is processed. "edge": the Anju server runs on the compound's own network, so photos
    # and templates travel only between the compound's phones, server and terminals. "cloud": the server is
    # reached over the internet, so an enrolment upload or a template pushed to a terminal leaves the edge and
    # needs the person's separate cloud-sync consent (privacy.consent_service.may_sync_face_off_edge).
    face_hosting: Literal["edge", "cloud"] = "edge"
    face_reenrol_deadline_days: int = 90  # stale (old-model) templates are deleted by then at the latest
    face_delete_deadline_hours: int = 24  # R-F5: every terminal list must drop a withdrawn template
    face_warn_people: int = 90_000  # R-F8 warning
    face_filing_people: int = 100_000  # R-F8 filing threshold
    face_filing_working_days: int = 30
    face_notice_version: str = "face-2026-11"
    visitor_retention_days: int = 30  # R-F12: visitor records are deleted after this
    courier_minutes: int = 30
    # Issue 18: where links sent to visitors point (the resident H5's public address), and how often one pass's
    # link may be texted.
    public_url: str = "http://127.0.0.1:8000"
    share_sms_max: int = 3
    # Defaults of a compound's delivery rule (issue 18; access_delivery_rule overrides them per compound).
    rider_minutes: int = 45
    courier_shift_hours: int = 12
    log_retention_days: int = MIN_LOG_RETENTION_DAYS  # R-A9
    log_retention_reason: str | None = None  # required to go below 180 days
    clock_skew_flag_seconds: int = 300
    # Wrong PINs in pin_failure_window_seconds, counted per door AND per target (the room typed
    # before the PIN, or the unit of a unit door): guesses spread over doors still hit the target's limit.
    pin_max_failures: int = 5
    pin_failure_window_seconds: int = 300
    pin_changes_max: int = 5  # PIN changes per person in pin_changes_window_seconds (then 429 + alarm)
    pin_changes_window_seconds: int = 3600
    # Anti-passback compares with the person's last passage within this window only; older ones
    # are forgotten (a resident who left by an unmonitored exit is not locked out for ever).
    anti_passback_window_seconds: int = 12 * 3600
    feed_streams_per_user: int = 3  # open live-feed streams per user (a 4th is 429)
    # SQLite only: a gate decision waits at most this long for this process's write turn, then
    # answers 503 (the terminal decides from its offline list) instead of queueing until timeouts.
    sqlite_write_wait_seconds: float = 2.0
    mqtt_host: str = "127.0.0.1"
    mqtt_port: int = 1883
    mqtt_timeout_seconds: float = 3.0
    push_max_attempts: int = 20

    @model_validator(mode="after")
    def _retention_floor(self) -> Self:
        if self.log_retention_days < MIN_LOG_RETENTION_DAYS and not self.log_retention_reason:
            raise ValueError("ANJU_ACCESS_LOG_RETENTION_DAYS below 180 needs ANJU_ACCESS_LOG_RETENTION_REASON (R-A9)")
        return self


@lru_cache
def access_settings() -> AccessSettings:
    return AccessSettings()
