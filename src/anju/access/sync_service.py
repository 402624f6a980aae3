"""Terminals' offline allow-lists: materialised per terminal, versioned, pushed over MQTT.

Each terminal has a counter `list_version`; every change bumps it with one
conditional UPDATE (the row lock orders concurrent writers, so once version V is
visible every lower version of that terminal is committed too) and stamps the
changed entries with it. A terminal asks for `since=N` and receives every entry
changed after N, tombstones included. After commit, an outbox event makes the
worker publish "sync now" on MQTT; failed publishes stay in `terminal_push` and
are retried by a job, and terminals that miss the push still poll.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from anju.access import events as access_events
from anju.access.config import access_settings
from anju.access.enums import GATE_KINDS, AccessPointKind, CredentialKind, CredentialStatus, PassStatus
from anju.access.models import (
    AccessCredential,
    AccessGrant,
    AccessPoint,
    Terminal,
    TerminalListEntry,
    TerminalPush,
    VisitorPass,
)
from anju.access.policy import face_threshold_for, pass_may_pass
from anju.access.repository import CredentialQuery, HolderQuery, PointQuery, TerminalListQuery, VisitorQuery
from anju.access.signing import current_key, signing_keys
from anju.core import events
from anju.core.crypto import decrypt
from anju.core.db import utcnow
from anju.core.kit.china_time import china_date
from anju.privacy.consent_service import may_sync_face_off_edge
from anju.registry.enums import PersonStatus
from anju.registry.models import Compound
from anju.vision.service import MODEL_ID, encode_vector, face_template_service

log = logging.getLogger("anju.access.sync")
Payload = dict[str, Any] | None


def card_salt(session: Session, compound_id: int) -> str:
    """Terminals match cards by sha256(salt:card) — the salt is public per compound."""
    return "card:" + current_key(session, compound_id).public_b64[:16]


def card_hash(salt: str, card_number: str) -> str:
    return hashlib.sha256(f"{salt}:{card_number.strip().upper()}".encode()).hexdigest()[:32]


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt is not None else None


class _Builder:
    """Computes desired list entries for a set of terminals (structural rights; time is checked on the device)."""

    def __init__(self, session: Session, compound_id: int, terminals: list[Terminal]) -> None:
        self.session = session
        self.q = HolderQuery(session)
        self.compound_id = compound_id
        self.terminals = terminals
        points = PointQuery(session)
        self.points = {t.id: points.points_of_terminal(t.id) for t in terminals}
        self._homes: dict[int, list[tuple[int, int, int, int]]] = {}
        self._grants: dict[tuple[int | None, int | None], list[AccessGrant]] = {}
        self._salt: str | None = None
        self.today = china_date()
        self.cloud = access_settings().face_hosting == "cloud"

    def homes(self, person_id: int) -> list[tuple[int, int, int, int]]:
        if person_id not in self._homes:
            self._homes[person_id] = self.q.homes(person_id, self.compound_id, self.today)
        return self._homes[person_id]

    def grants(self, person_id: int | None, user_id: int | None) -> list[AccessGrant]:
        k = (person_id, user_id)
        if k not in self._grants:
            self._grants[k] = self.q.grants(self.compound_id, person_id=person_id, user_id=user_id)
        return self._grants[k]

    def salt(self) -> str:
        if self._salt is None:
            self._salt = card_salt(self.session, self.compound_id)
        return self._salt

    def _points_for(
        self, c: AccessCredential, aps: list[AccessPoint]
    ) -> tuple[list[int], dict[str, list[int]], list[dict[str, Any]]]:
        allowed: list[int] = []
        floors: dict[str, list[int]] = {}
        shifts: list[dict[str, Any]] = []
        homes = self.homes(c.person_id) if c.person_id is not None else []
        units = {u for _, _, u, _ in homes}
        for ap in aps:
            if c.scope_access_point_id is not None and c.scope_access_point_id != ap.id:
                continue
            ok = False
            if homes:
                if ap.kind in GATE_KINDS or ap.kind == AccessPointKind.locker:
                    ok = True
                elif ap.kind == AccessPointKind.unit_door:
                    ok = ap.unit_id in units or (ap.unit_id is None and ap.building_id in {b for _, b, _, _ in homes})
                elif ap.kind == AccessPointKind.lift and ap.unit_id in units:
                    ok = True
                    floors[str(ap.id)] = sorted({f for _, _, u, f in homes if u == ap.unit_id} | {1})
            if not ok:
                for g in self.grants(c.person_id, c.user_id):
                    if g.access_point_id == ap.id or (g.access_point_id is None and ap.kind.value in (g.kinds or [])):
                        ok = True
                        shifts.append(
                            {
                                "point": ap.id,
                                "start": g.shift_start.isoformat() if g.shift_start else None,
                                "end": g.shift_end.isoformat() if g.shift_end else None,
                                "weekdays": g.weekdays,
                                "until": _iso(g.valid_until),
                            }
                        )
            if ok:
                allowed.append(ap.id)
        return allowed, floors, shifts

    def credential(self, c: AccessCredential, terminal: Terminal) -> Payload:
        if c.status != CredentialStatus.active or c.kind == CredentialKind.pin:
            return None  # PINs are checked online only: their digest needs the server key
        if c.person_id is not None:
            p = self.q.person(c.person_id)
            if p is None or p.status == PersonStatus.erased or p.frozen_at is not None:
                return None
            if self.q.blacklisted(self.compound_id, person_id=c.person_id, card_bidx=None):
                return None
        if c.kind == CredentialKind.card and self.q.blacklisted(
            self.compound_id, person_id=None, card_bidx=c.card_bidx
        ):
            return None
        if c.kind == CredentialKind.face and not terminal.face_capable:
            return None
        points, floors, shifts = self._points_for(c, self.points[terminal.id])
        if not points:
            return None
        body: dict[str, Any] = {
            "kind": c.kind.value,
            "credential_id": c.id,
            "points": points,
            "valid_until": _iso(c.valid_until),
        }
        lease = list(self.homes(c.person_id)) if c.person_id is not None else []
        if lease:
            body["holder"] = "resident"
        if floors:
            body["floors"] = floors
        if shifts:
            body["shifts"] = shifts
        if c.kind == CredentialKind.card:
            body["card_hash"] = card_hash(self.salt(), decrypt(c.card_enc, context="access.card") or "")
        if c.kind == CredentialKind.face and c.subject_ref:
            if self.cloud and (c.person_id is None or not may_sync_face_off_edge(self.session, c.person_id)):
                return None  # R-F4: a template leaves a cloud-hosted server only with the cloud-sync consent
            vecs = face_template_service.vectors_of(
                self.session, compound_id=self.compound_id, subject_ref=c.subject_ref
            )
            if not vecs:
                return None
            body["subject_ref"] = c.subject_ref
            body["model"] = MODEL_ID  # terminals compare only vectors of this model
            body["templates"] = [encode_vector(v) for v in vecs]
        return body

    def visitor_pass(self, vp: VisitorPass, terminal: Terminal) -> Payload:
        if vp.status != PassStatus.active or vp.valid_until <= utcnow():
            return None
        # The one rule the online decision uses (visitors, couriers, riders and the compound's delivery rule).
        points = [ap.id for ap in self.points[terminal.id] if pass_may_pass(self.q, ap, vp).ok]
        if not points:
            return None
        return {
            "kind": "pass",
            "pass_id": vp.id,
            "nonce": vp.nonce,
            "points": points,
            "valid_from": _iso(vp.valid_from),
            "valid_until": _iso(vp.valid_until),
            "entries_allowed": vp.entries_allowed,
            "entries_used": vp.entries_used,
            # China wall-clock hours a decoration worker's pass opens each day (issue 18); None = any time.
            "daily_from": vp.daily_from.strftime("%H:%M") if vp.daily_from else None,
            "daily_until": vp.daily_until.strftime("%H:%M") if vp.daily_until else None,
        }

    @staticmethod
    def point(ap: AccessPoint) -> Payload:
        return {
            "kind": "point",
            "point_id": ap.id,
            "access_kind": ap.kind.value,
            "fail_open": ap.fail_open_since is not None,
            "open_from": ap.open_from.isoformat() if ap.open_from else None,
            "open_until": ap.open_until.isoformat() if ap.open_until else None,
            "anti_passback": ap.anti_passback,
            "face_enabled": ap.face_enabled,
            "face_threshold": face_threshold_for(ap),  # cosine, for the model named in face entries
            "face_liveness_required": ap.face_liveness_required,
            "active": ap.active,
        }


def _cred_key(c: AccessCredential) -> str:
    return f"face:{c.subject_ref}" if c.kind == CredentialKind.face else f"cred:{c.id}"


class TerminalSyncService:
    def _apply(self, session: Session, compound_id: int, desired: dict[tuple[int, str], Payload]) -> list[int]:
        """Write the differences between desired and stored entries; returns terminals that changed."""
        if not desired:
            return []
        q = TerminalListQuery(session)
        terminal_ids = sorted({t for t, _ in desired})
        keys = sorted({k for _, k in desired})
        existing = q.list_entries_for_keys(terminal_ids, keys)
        changes: dict[int, list[tuple[str, Payload, TerminalListEntry | None]]] = {}
        for (tid, key), payload in desired.items():
            cur = existing.get((tid, key))
            if cur is None and payload is None:
                continue
            if cur is not None and payload is None and cur.deleted:
                continue
            if (
                cur is not None
                and payload is not None
                and not cur.deleted
                and json.dumps(cur.payload, sort_keys=True) == json.dumps(payload, sort_keys=True)
            ):
                continue
            changes.setdefault(tid, []).append((key, payload, cur))
        now = utcnow()
        for tid, items in changes.items():
            version = session.execute(
                update(Terminal)
                .where(Terminal.id == tid)
                .values(list_version=Terminal.list_version + 1)
                .returning(Terminal.list_version)
            ).scalar_one()
            for key, payload, cur in items:
                if cur is None:
                    session.add(
                        TerminalListEntry(
                            terminal_id=tid,
                            entry_key=key,
                            version=version,
                            deleted=payload is None,
                            payload=payload,
                            changed_at=now,
                        )
                    )
                else:
                    cur.version, cur.deleted, cur.payload, cur.changed_at = version, payload is None, payload, now
        session.flush()
        if changes:
            events.publish(
                session,
                access_events.TerminalListsChanged(compound_id=compound_id, terminal_ids=sorted(changes)),
                compound_id=compound_id,
            )
        return sorted(changes)

    def refresh_credentials(
        self,
        session: Session,
        compound_id: int,
        creds: list[AccessCredential],
        extra_face_refs: list[str] | None = None,
    ) -> list[int]:
        """Recompute these credentials' entries on every terminal of the compound."""
        terminals = PointQuery(session).terminals_of_compound(compound_id)
        if not terminals:
            return []
        b = _Builder(session, compound_id, terminals)
        desired: dict[tuple[int, str], Payload] = {}
        for t in terminals:
            for c in creds:
                desired[(t.id, _cred_key(c))] = b.credential(c, t)
            for ref in extra_face_refs or []:
                desired.setdefault((t.id, f"face:{ref}"), None)
        return self._apply(session, compound_id, desired)

    def refresh_holder(
        self, session: Session, compound_id: int, *, person_id: int | None = None, user_id: int | None = None
    ) -> list[int]:
        creds = CredentialQuery(session).credentials_of(person_id=person_id, user_id=user_id, active_only=False)
        return self.refresh_credentials(session, compound_id, [c for c in creds if c.compound_id == compound_id])

    def refresh_pass(self, session: Session, vp: VisitorPass) -> list[int]:
        terminals = PointQuery(session).terminals_of_compound(vp.compound_id)
        b = _Builder(session, vp.compound_id, terminals)
        return self._apply(session, vp.compound_id, {(t.id, f"pass:{vp.id}"): b.visitor_pass(vp, t) for t in terminals})

    def refresh_points(self, session: Session, points: list[AccessPoint]) -> list[int]:
        if not points:
            return []
        q = PointQuery(session)
        desired: dict[tuple[int, str], Payload] = {}
        for ap in points:
            for tid in q.terminal_ids_for_point(ap.id):
                desired[(tid, f"point:{ap.id}")] = _Builder.point(ap)
        return self._apply(session, points[0].compound_id, desired)

    def rebuild(self, session: Session, terminal: Terminal) -> list[int]:
        """Recompute a terminal's whole list (after its access points changed)."""
        b = _Builder(session, terminal.compound_id, [terminal])
        listed = TerminalListQuery(session).list_entries(terminal.id)
        desired: dict[tuple[int, str], Payload] = {(terminal.id, k): None for k in listed}
        for ap in b.points[terminal.id]:
            desired[(terminal.id, f"point:{ap.id}")] = _Builder.point(ap)
        for c in CredentialQuery(session).active_credentials(terminal.compound_id):
            desired[(terminal.id, _cred_key(c))] = b.credential(c, terminal)
        for vp in VisitorQuery(session).pass_ids_for_terminals(terminal.compound_id, utcnow()):
            desired[(terminal.id, f"pass:{vp.id}")] = b.visitor_pass(vp, terminal)
        return self._apply(session, terminal.compound_id, desired)

    def changes(self, session: Session, *, terminal: Terminal, since: int, limit: int = 2000) -> dict[str, Any]:
        """Entries changed after `since` (the terminal's cursor, which also acknowledges it)."""
        q = TerminalListQuery(session)
        rows = q.changes_since(terminal.id, since, limit + 1)
        more = len(rows) > limit
        if more:
            # Never cut a version in half: stop before the last, partial version.
            cut = rows[limit].version
            rows = [r for r in rows if r.version < cut] or [r for r in rows if r.version == cut]
        version = rows[-1].version if more and rows else terminal.list_version
        now = utcnow()
        if since > terminal.acked_version and since <= terminal.list_version:
            terminal.acked_version = since
        terminal.last_sync_at = terminal.last_seen_at = now
        return {
            "terminal_id": terminal.id,
            "since": since,
            "version": version,
            "more": more,
            "full": since == 0,
            "server_time": now,
            "public_keys": [k.public_b64 for k in signing_keys(session, terminal.compound_id)]
            or [current_key(session, terminal.compound_id).public_b64],
            "card_salt": card_salt(session, terminal.compound_id),
            "qr_window_seconds": access_settings().qr_window_seconds,
            "entries": [
                {"key": r.entry_key, "version": r.version, "deleted": r.deleted, "payload": r.payload} for r in rows
            ],
        }

    # --- push ---------------------------------------------------------------------
    def queue_pushes(
        self, session: Session, *, terminal_ids: list[int], kind: str = "sync", body: dict[str, Any] | None = None
    ) -> list[TerminalPush]:
        rows = []
        for tid in terminal_ids:
            t = session.get(Terminal, tid)
            if t is None or not t.active:
                continue
            rows.append(TerminalPush(terminal_id=tid, version=t.list_version, kind=kind, body=body))
        session.add_all(rows)
        session.flush()
        return rows

    def send(self, session: Session, pushes: list[TerminalPush]) -> int:
        """Publish pushes over MQTT; record each outcome. Returns how many were sent."""
        from anju.access.push import publish_many

        if not pushes:
            return 0
        msgs = []
        for p in pushes:
            t = session.get(Terminal, p.terminal_id)
            assert t is not None
            code = session.execute(select(Compound.code).where(Compound.id == t.compound_id)).scalar_one()
            topic = f"anju/{code}/terminals/{t.key_id}/{'sync' if p.kind == 'sync' else 'command'}"
            msgs.append((topic, {"kind": p.kind, "version": t.list_version, **(p.body or {})}))
        ok, error = publish_many(msgs)
        now = utcnow()
        s = access_settings()
        for p in pushes:
            p.attempts += 1
            if ok:
                p.status, p.sent_at, p.last_error = "sent", now, None
            else:
                p.last_error = (error or "")[:255]
                p.status = "dead" if p.attempts >= s.push_max_attempts else "failed"
                p.next_try_at = now + timedelta(seconds=min(60, 2**p.attempts))
        session.flush()
        return len(pushes) if ok else 0

    def retry_due(self, session: Session, *, now: datetime) -> int:
        """Retry failed pushes; a newer sync push supersedes older ones, a stale open command is dropped."""
        todo: list[TerminalPush] = []
        seen: set[int] = set()
        for p in sorted(TerminalListQuery(session).due_pushes(now), key=lambda p: -p.id):
            if p.kind == "open" and now - p.created_at > timedelta(seconds=30):
                p.status, p.last_error = "dead", "too late to open a door"
            elif p.kind == "sync" and p.terminal_id in seen:
                p.status, p.last_error = "dead", "superseded by a newer push"
            else:
                if p.kind == "sync":
                    seen.add(p.terminal_id)
                todo.append(p)
        session.flush()
        return self.send(session, todo)


terminal_sync_service = TerminalSyncService()
