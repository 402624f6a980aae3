"""Gate decisions: a terminal presents a credential, the platform answers allow/deny with a reason.

Every attempt is logged (server time and device time), denied ones too; a
record_id from the terminal makes retries and offline replays idempotent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from anju.access import events as access_events
from anju.access.config import access_settings
from anju.access.credential_service import card_bidx, pin_digests
from anju.access.enums import GATE_KINDS, CredentialKind, CredentialStatus, Decision, Method, PassStatus
from anju.access.models import AccessCredential, AccessHourly, AccessLog, AccessPoint, Terminal, VisitorPass
from anju.access.permissions import AccessPerm
from anju.access.policy import face_threshold_for, holder_may_pass, in_window, local, pass_may_pass
from anju.access.repository import CredentialQuery, HolderQuery, LogQuery, PointQuery
from anju.access.schemas import DecisionRead, DecisionRequest, OfflineBatch, ReplayResult
from anju.access.signing import ResidentQr, VisitorQr, parse, token_digest, verify_for
from anju.access.sync_service import terminal_sync_service
from anju.accounts.service import Limit, attempt_limiter
from anju.core import events
from anju.core.auth import Principal
from anju.core.errors import Forbidden, NotFound
from anju.vision.face import FaceImageRejected, find_faces
from anju.vision.index import DIM
from anju.vision.service import MODEL_ID, face_template_service

# reason → (screen text, voice text); all in Chinese for the terminal.
TEXTS: dict[str, tuple[str, str]] = {
    "ok": ("欢迎回家", "欢迎回家"),
    "visitor_ok": ("欢迎来访", "欢迎来访"),
    "remote_ok": ("远程开门", "门已打开"),
    "fail_open": ("紧急疏散，门已常开", "紧急疏散，请有序离开"),
    "unknown_credential": ("无效凭证", "无效凭证"),
    "credential_revoked": ("凭证已失效", "凭证已失效，请联系物业"),
    "credential_expired": ("凭证已过期", "凭证已过期，请联系物业"),
    "not_permitted": ("无权通行此门", "无权通行"),
    "not_resident": ("非本小区在住人员", "无权通行，请到门岗登记"),
    "outside_time_window": ("不在开放时段", "不在开放时段"),
    "outside_shift": ("不在当班时段", "不在当班时段"),
    "blacklisted": ("请到门岗登记", "请到门岗登记"),  # neutral text: a person is reviewed by a guard (R-A4)
    "qr_invalid": ("二维码无效", "二维码无效"),
    "qr_expired": ("二维码已过期，请刷新", "二维码已过期"),
    "qr_replayed": ("二维码已使用，请刷新", "二维码已使用"),
    "pass_used_up": ("通行次数已用完", "通行次数已用完"),
    "pass_not_yet_valid": ("通行证未到生效时间", "通行证未生效"),
    "pass_expired": ("通行证已过期", "通行证已过期"),
    "pass_pending_approval": ("待业主确认", "请等待业主确认"),
    "pass_revoked": ("通行证已取消", "通行证已取消"),
    "courier_gates_only": ("快递人员仅限大门及快递柜", "快递人员请走大门"),
    "anti_passback": ("请勿重复进入", "请勿重复进入"),
    "face_no_match": ("未识别，请使用其他方式", "未识别，请刷卡或扫码"),
    "no_face": ("未检测到人脸", "请正对摄像头"),
    "multiple_faces": ("请单人通行", "请单人通行"),
    "not_an_image": ("图像无效", "图像无效"),
    "bad_embedding": ("特征数据无效", "识别失败"),
    "face_disabled": ("本门未启用人脸识别", "请刷卡或扫码"),
    "face_model_mismatch": ("人脸模型版本不符，请刷卡或扫码", "请刷卡或扫码"),
    "liveness_required": ("活体检测未通过，请刷卡或扫码", "请刷卡或扫码"),
    "too_many_pixels": ("图像无效", "图像无效"),
    "door_not_controlled": ("终端无权控制此门", "设备配置错误"),
    "point_inactive": ("门禁点已停用", "门禁点已停用"),
    "too_many_attempts": ("尝试次数过多，请稍后再试", "尝试次数过多"),
}

_METHODS = {"card": Method.card, "pin": Method.pin, "qr": Method.qr, "face_embedding": Method.face}


@dataclass
class _Outcome:
    decision: Decision
    reason: str
    method: Method
    person_id: int | None = None
    user_id: int | None = None
    credential_id: int | None = None
    pass_id: int | None = None
    floors: list[int] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)
    blacklist_entry: int | None = None


def _deny(reason: str, method: Method, **kw: Any) -> _Outcome:
    return _Outcome(Decision.deny, reason, method, **kw)


class DecisionService:
    # --- entry points ------------------------------------------------------------------------
    def decide(self, session: Session, *, terminal: Terminal, req: DecisionRequest, now: datetime) -> DecisionRead:
        """Decide one presented credential (card, PIN, QR, face embedding)."""
        q = LogQuery(session)
        if req.record_id:
            prior = q.log_by_record(terminal.id, req.record_id)
            if prior is not None:
                return self._read(prior)
        method = _METHODS[req.credential.kind]
        value = req.credential.value
        ap, out = self._point(session, terminal, req.access_point_id, method, now)
        if out is None and ap is not None:
            if method == Method.card and isinstance(value, str):
                out = self._card(session, ap, value, req.direction, now)
            elif method == Method.pin and isinstance(value, str):
                out = self._pin(session, ap, value, req.direction, now)
            elif method == Method.qr and isinstance(value, str):
                out = self._qr(session, ap, value, req.direction, now)
            elif method == Method.face and isinstance(value, list) and len(value) == DIM:
                if req.credential.model != MODEL_ID:  # a vector of another model is never compared (issue 12)
                    out = _deny("face_model_mismatch", Method.face, detail={"model": req.credential.model})
                else:
                    out = self._face(session, ap, np.asarray(value, dtype=np.float32), req.direction, now, req.liveness)
            else:
                out = _deny("bad_embedding" if method == Method.face else "unknown_credential", method)
        assert out is not None
        return self._finish(
            session,
            terminal=terminal,
            ap=ap,
            out=out,
            direction=req.direction,
            now=now,
            device_time=req.device_time,
            record_id=req.record_id,
            requested_point=req.access_point_id,
        )

    def decide_face_image(
        self,
        session: Session,
        *,
        terminal: Terminal,
        access_point_id: int,
        image: bytes,
        direction: str,
        device_time: datetime | None,
        record_id: str | None,
        now: datetime,
        liveness: bool | None = None,
    ) -> DecisionRead:
        """Decide from a camera frame: exactly one face, identified 1:N in the compound.

        `liveness` is the terminal's own liveness verdict (the server does not judge liveness); a point
        configured to require it refuses face-only entry without a positive flag, before any decoding."""
        if record_id:
            prior = LogQuery(session).log_by_record(terminal.id, record_id)
            if prior is not None:
                return self._read(prior)
        ap, out = self._point(session, terminal, access_point_id, Method.face, now)
        if out is None and ap is not None:
            if not ap.face_enabled:
                out = _deny("face_disabled", Method.face)
            elif ap.face_liveness_required and liveness is not True:
                out = _deny("liveness_required", Method.face, detail={"liveness": liveness})
            else:
                try:
                    faces = find_faces(image)
                except FaceImageRejected as e:
                    faces, out = [], _deny(e.reason, Method.face)
                if out is None:
                    if not faces:
                        out = _deny("no_face", Method.face)
                    elif len(faces) > 1:
                        # Tailgating risk: one face, one person per opening.
                        out = _deny("multiple_faces", Method.face, detail={"faces": len(faces)})
                    else:
                        out = self._face(session, ap, faces[0].embedding, direction, now, liveness)
        assert out is not None
        return self._finish(
            session,
            terminal=terminal,
            ap=ap,
            out=out,
            direction=direction,
            now=now,
            device_time=device_time,
            record_id=record_id,
            requested_point=access_point_id,
        )

    # --- steps ---------------------------------------------------------------------------------
    def _point(
        self, session: Session, terminal: Terminal, access_point_id: int, method: Method, now: datetime
    ) -> tuple[AccessPoint | None, _Outcome | None]:
        ap = PointQuery(session).controlled_point(terminal.id, access_point_id)
        if ap is None or ap.compound_id != terminal.compound_id:
            return None, _deny("door_not_controlled", method)
        if ap.fail_open_since is not None:
            return ap, _Outcome(Decision.allow, "fail_open", Method.fail_open, detail={"cause": ap.fail_open_cause})
        if not ap.active:
            return ap, _deny("point_inactive", method)
        return ap, None

    def _holder(
        self,
        session: Session,
        ap: AccessPoint,
        c: AccessCredential,
        method: Method,
        direction: str,
        now: datetime,
        detail: dict[str, Any] | None = None,
        card: str | None = None,
    ) -> _Outcome:
        """Checks shared by every credential: status, expiry, blacklist, who-may-pass, anti-passback."""
        kw: dict[str, Any] = {
            "person_id": c.person_id,
            "user_id": c.user_id,
            "credential_id": c.id,
            "detail": detail or {},
        }
        if c.status != CredentialStatus.active:
            return _deny("credential_revoked", method, **kw)
        if c.valid_until is not None and now >= c.valid_until:
            return _deny("credential_expired", method, **kw)
        q = HolderQuery(session)
        facts = None
        if c.person_id is not None:  # the blacklist, the person's state and homes: one query
            facts = q.gate_facts(c.person_id, ap.compound_id, local(now).date(), card_bidx=card)
            if facts.blacklist_id is not None:
                return _deny("blacklisted", method, blacklist_entry=facts.blacklist_id, **kw)
        elif card is not None:
            hit = q.blacklisted(ap.compound_id, person_id=None, card_bidx=card)
            if hit is not None:
                return _deny("blacklisted", method, blacklist_entry=hit.id, **kw)
        verdict = holder_may_pass(q, ap, person_id=c.person_id, user_id=c.user_id, now=now, facts=facts)
        if not verdict.ok:
            return _deny(verdict.reason, method, **kw)
        if (
            ap.anti_passback
            and c.person_id is not None
            and ap.kind in GATE_KINDS
            and LogQuery(session).last_direction(
                ap.compound_id,
                c.person_id,
                since=now - timedelta(seconds=access_settings().anti_passback_window_seconds),
            )
            == direction
        ):
            return _deny("anti_passback", method, **kw)
        return _Outcome(Decision.allow, "ok", method, floors=verdict.floors, **kw)

    def _card(self, session: Session, ap: AccessPoint, number: str, direction: str, now: datetime) -> _Outcome:
        bidx = card_bidx(number)
        c = CredentialQuery(session).card(ap.compound_id, bidx)
        if c is None:
            hit = HolderQuery(session).blacklisted(ap.compound_id, person_id=None, card_bidx=bidx)
            if hit is not None:
                return _deny("blacklisted", Method.card, blacklist_entry=hit.id, person_id=hit.person_id)
            return _deny("unknown_credential", Method.card)
        # One blacklist query covers the card and its holder.
        return self._holder(session, ap, c, Method.card, direction, now, card=bidx)

    def _pin(self, session: Session, ap: AccessPoint, value: str, direction: str, now: datetime) -> _Outcome:
        """A PIN is looked up only among the people it can belong to: the occupants of the room typed
        before it ("3-1-0802#482916", or "0802#482916" at a door of that unit), or at a unit door or
        lift, that unit's residents. At other doors a bare PIN identifies no one.

        Wrong PINs count per door and per target (house or unit), on counter rows locked for the
        attempt, so parallel or door-hopping guesses are all counted; reaching the limit raises an alarm.
        """
        s = access_settings()
        q = HolderQuery(session)
        room, has_room, pin = value.strip().rpartition("#")
        today = local(now).date()
        house_id, unit_id, target = None, None, None
        candidates: list[AccessCredential] | None = None
        if has_room:
            # The house and its occupants' active PINs in one query; matched only once the limits are held.
            house_id, candidates = q.room_pins(ap.compound_id, room.strip()[:32], unit_id=ap.unit_id, today=today)
            target = f"pin:house:{house_id}" if house_id is not None else None
        elif ap.unit_id is not None:
            unit_id = ap.unit_id
            target = f"pin:unit:{unit_id}"
        window = timedelta(seconds=s.pin_failure_window_seconds)
        limits = [Limit(f"pin:door:{ap.id}", s.pin_max_failures, window)]
        if target is not None:
            limits.append(Limit(target, s.pin_max_failures, window))
        held = attempt_limiter.hold(session, limits, now=now)
        if held.blocked is not None:
            return _deny("too_many_attempts", Method.pin, detail={"limit": held.blocked.key})
        creds: list[AccessCredential] = []
        if (house_id is not None or unit_id is not None) and pin.isascii() and pin.isdigit():
            if candidates is None:  # a unit's door: the PIN alone, among that unit's residents
                holders = q.pin_holders(ap.compound_id, house_id=None, unit_id=unit_id, today=today)
                digests = pin_digests(ap.compound_id, ap.id, pin, holders)
                creds = CredentialQuery(session).pins_of(ap.compound_id, sorted(digests), holders) if holders else []
            else:
                digests = pin_digests(ap.compound_id, ap.id, pin, {c.person_id for c in candidates})
                creds = [c for c in candidates if c.pin_digest in digests]
        if not creds:
            for lim in attempt_limiter.fail(session, held):
                if attempt_limiter.claim_alarm(session, held, lim):
                    self._pin_alarm(session, ap, lim, now)
            return _deny("unknown_credential", Method.pin, detail={"room": bool(has_room)})
        # A door-scoped PIN before an all-doors one; two people of a room with the same PIN: the first who may pass.
        creds.sort(key=lambda c: (c.scope_access_point_id is None, c.id))
        detail = {"pin_holders": len({c.person_id for c in creds})} if len(creds) > 1 else None
        outcomes = [self._holder(session, ap, c, Method.pin, direction, now, detail) for c in creds]
        return next((o for o in outcomes if o.decision == Decision.allow), outcomes[0])

    @staticmethod
    def _pin_alarm(session: Session, ap: AccessPoint, limit: Limit, now: datetime) -> None:
        """Wrong PINs reached the limit at a door or against a room/unit: someone may be guessing."""
        from anju.alarms.events import AlarmRequested

        events.publish(
            session,
            AlarmRequested(
                compound_id=ap.compound_id,
                kind="pin_enumeration",
                severity="major",
                source=f"access:point:{ap.id}",
                dedupe_key=limit.key,
                title=f"{ap.name}：门禁密码多次输入错误，疑似猜测密码",
                building_id=ap.building_id,
                unit_id=ap.unit_id,
                evidence={"limit": limit.key, "failures": limit.max_failures, "access_point_id": ap.id},
                occurred_at=now.isoformat(),
            ),
            compound_id=ap.compound_id,
        )

    def _qr(self, session: Session, ap: AccessPoint, token: str, direction: str, now: datetime) -> _Outcome:
        tok = parse(token)
        if tok is None or tok.compound_id != ap.compound_id:
            return _deny("qr_invalid", Method.qr)
        body = verify_for(session, ap.compound_id, token.strip())
        if body is None:
            return _deny(
                "qr_invalid", Method.qr if isinstance(tok, ResidentQr) else Method.visitor_qr, detail={"forged": True}
            )
        if isinstance(tok, VisitorQr):
            return self._visitor(session, ap, tok, direction, now)
        s = access_settings()
        current = math.floor(now.timestamp() / s.qr_window_seconds)
        if tok.window > current:
            return _deny("qr_invalid", Method.qr, detail={"future_window": tok.window - current})
        if tok.window < current - s.qr_grace_windows:
            return _deny("qr_expired", Method.qr, credential_id=tok.credential_id)
        c = session.get(AccessCredential, tok.credential_id)
        if c is None or c.kind != CredentialKind.qr or c.compound_id != ap.compound_id:
            return _deny("qr_invalid", Method.qr)
        # Keyed on the signed content, not on how the token was spelled (issue 20 item 3).
        if not LogQuery(session).use_qr_token(token_digest(body), ap.id, now):
            return _deny("qr_replayed", Method.qr, person_id=c.person_id, credential_id=c.id)
        return self._holder(session, ap, c, Method.qr, direction, now)

    def _visitor(self, session: Session, ap: AccessPoint, tok: VisitorQr, direction: str, now: datetime) -> _Outcome:
        m = Method.visitor_qr
        vp = session.get(VisitorPass, tok.pass_id)
        if vp is None or vp.nonce != tok.nonce or vp.compound_id != ap.compound_id:
            return _deny("qr_invalid", m)
        kw: dict[str, Any] = {"pass_id": vp.id}
        if vp.status == PassStatus.pending:
            return _deny("pass_pending_approval", m, **kw)
        if vp.status in (PassStatus.revoked, PassStatus.rejected):
            return _deny("pass_revoked", m, **kw)
        if now < vp.valid_from:
            return _deny("pass_not_yet_valid", m, **kw)
        if now >= vp.valid_until:
            return _deny("pass_expired", m, **kw)
        if not in_window(local(now).time().replace(tzinfo=None), vp.daily_from, vp.daily_until):
            return _deny("outside_time_window", m, **kw)  # issue 18: a worker outside the approved hours
        verdict = pass_may_pass(HolderQuery(session), ap, vp)
        if not verdict.ok:
            return _deny(verdict.reason, m, **kw)
        if ap.kind in GATE_KINDS and direction == "in":
            # Compare-and-swap: two gates scanning the last entry at once; only one wins.
            res = session.execute(
                update(VisitorPass)
                .where(
                    VisitorPass.id == vp.id,
                    VisitorPass.status == PassStatus.active,
                    VisitorPass.entries_used < VisitorPass.entries_allowed,
                )
                .values(
                    entries_used=VisitorPass.entries_used + 1,
                    status=case(
                        (VisitorPass.entries_used + 1 >= VisitorPass.entries_allowed, PassStatus.used_up.value),
                        else_=PassStatus.active.value,
                    ),
                )
                .execution_options(synchronize_session=False)
            )
            if res.rowcount != 1:  # type: ignore[attr-defined]
                return _deny("pass_used_up", m, **kw)
            session.refresh(vp)
            if vp.status == PassStatus.used_up:
                terminal_sync_service.refresh_pass(session, vp)
        return _Outcome(Decision.allow, "visitor_ok", m, floors=verdict.floors, **kw)

    def _face(
        self,
        session: Session,
        ap: AccessPoint,
        vector: np.ndarray,
        direction: str,
        now: datetime,
        liveness: bool | None = None,
    ) -> _Outcome:
        if not ap.face_enabled:
            return _deny("face_disabled", Method.face)
        if ap.face_liveness_required and liveness is not True:
            return _deny("liveness_required", Method.face, detail={"liveness": liveness})
        if not np.all(np.isfinite(vector)) or not np.any(vector):
            return _deny("bad_embedding", Method.face)
        threshold = face_threshold_for(ap)
        match, nearest = face_template_service.identify(
            session, compound_id=ap.compound_id, vector=vector, threshold=threshold
        )
        detail = {
            "score": round(nearest.score, 4) if nearest else None,
            "threshold": threshold,
            "model": MODEL_ID,
            "liveness": liveness,
        }
        if match is None:
            return _deny("face_no_match", Method.face, detail=detail)
        c = CredentialQuery(session).by_subject(ap.compound_id, match.subject_ref)
        if c is None:
            return _deny("face_no_match", Method.face, detail=detail)
        return self._holder(session, ap, c, Method.face, direction, now, detail)

    # --- logging ---------------------------------------------------------------------------------
    def _finish(
        self,
        session: Session,
        *,
        terminal: Terminal | None,
        ap: AccessPoint | None,
        out: _Outcome,
        direction: str,
        now: datetime,
        device_time: datetime | None,
        record_id: str | None,
        requested_point: int | None = None,
        source: str = "online",
    ) -> DecisionRead:
        s = access_settings()
        skew = round((device_time - now).total_seconds()) if device_time is not None else None
        flagged = skew is not None and abs(skew) > s.clock_skew_flag_seconds
        detail = dict(out.detail)
        if ap is None and requested_point is not None:
            detail["requested_access_point_id"] = requested_point
        compound_id = ap.compound_id if ap is not None else (terminal.compound_id if terminal else 0)
        row = AccessLog(
            compound_id=compound_id,
            access_point_id=ap.id if ap else None,
            terminal_id=terminal.id if terminal else None,
            record_id=record_id,
            method=out.method,
            decision=out.decision,
            reason=out.reason,
            direction=direction,
            person_id=out.person_id,
            user_id=out.user_id,
            credential_id=out.credential_id,
            visitor_pass_id=out.pass_id,
            source=source,
            server_at=now,
            device_at=device_time,
            clock_skew_s=skew,
            skew_flagged=flagged,
            detail=detail or None,
        )
        if not LogQuery(session).add_log(row):  # the same record raced in: answer as the first time
            prior = LogQuery(session).log_by_record(terminal.id if terminal else 0, record_id or "")
            assert prior is not None
            return self._read(prior)
        self._publish(session, row)
        if out.blacklist_entry is not None:
            self._blacklist_alarm(session, row, out.blacklist_entry)
        return self._read(row, floors=out.floors)

    @staticmethod
    def _publish(session: Session, row: AccessLog) -> None:
        at = (row.device_at if row.source == "offline" and row.device_at else row.server_at).isoformat()
        if row.decision == Decision.allow:
            ev: access_events.AccessGranted | access_events.AccessDenied = access_events.AccessGranted(
                log_id=row.id,
                compound_id=row.compound_id,
                access_point_id=row.access_point_id,
                method=row.method.value,
                reason=row.reason,
                direction=row.direction,
                person_id=row.person_id,
                visitor_pass_id=row.visitor_pass_id,
                at=at,
            )
        else:
            ev = access_events.AccessDenied(
                log_id=row.id,
                compound_id=row.compound_id,
                access_point_id=row.access_point_id,
                method=row.method.value,
                reason=row.reason,
                person_id=row.person_id,
                at=at,
            )
        events.publish(session, ev, compound_id=row.compound_id)

    @staticmethod
    def _blacklist_alarm(session: Session, row: AccessLog, entry_id: int) -> None:
        """A blacklist hit goes to a guard for review (R-A4); the door simply stays closed."""
        from anju.alarms.events import AlarmRequested

        events.publish(
            session,
            AlarmRequested(
                compound_id=row.compound_id,
                kind="blacklist_hit",
                severity="major",
                source=f"access:point:{row.access_point_id}",
                dedupe_key=f"blacklist:{entry_id}:{row.access_point_id}",
                title="黑名单人员尝试通行，请人工核实",
                person_id=row.person_id,
                evidence={"access_log_id": row.id, "method": row.method.value, "blacklist_entry_id": entry_id},
                occurred_at=row.server_at.isoformat(),
            ),
            compound_id=row.compound_id,
        )

    @staticmethod
    def _read(row: AccessLog, floors: list[int] | None = None) -> DecisionRead:
        display, voice = TEXTS.get(row.reason, (row.reason, row.reason))
        return DecisionRead(
            decision=row.decision.value,
            reason=row.reason,
            display=display,
            voice=voice,
            log_id=row.id,
            open_seconds=5 if row.decision == Decision.allow else 0,
            floors=floors or [],
            clock_skew_s=row.clock_skew_s,
            skew_flagged=row.skew_flagged,
        )

    # --- remote opening ---------------------------------------------------------------------------
    def remote_open(
        self, session: Session, *, who: Principal, access_point_id: int, reason: str, now: datetime
    ) -> DecisionRead:
        """Open a door from the console or the resident H5 page; logged with operator and reason."""
        ap = session.get(AccessPoint, access_point_id)
        if ap is None:
            raise NotFound("access point not found", zh="未找到该门禁点")
        q = PointQuery(session)
        if who.is_staff:
            if not who.in_scope(ap.compound_id):
                raise NotFound("access point not found", zh="未找到该门禁点")
            who.require(AccessPerm.remote_open)
        else:
            if who.person_id is None or ap.compound_id not in self._resident_compounds(session, who):
                raise NotFound("access point not found", zh="未找到该门禁点")
            verdict = holder_may_pass(HolderQuery(session), ap, person_id=who.person_id, user_id=None, now=now)
            if not verdict.ok:
                raise Forbidden("you may open only your own doors", zh="只能打开本人有权通行的门")
        out = _Outcome(
            Decision.allow,
            "remote_ok",
            Method.remote,
            person_id=who.person_id,
            user_id=who.user_id,
            detail={"reason": reason, "operator": who.username},
        )
        read = self._finish(
            session,
            terminal=None,
            ap=ap,
            out=out,
            direction="in",
            now=now,
            device_time=None,
            record_id=None,
            source="remote",
        )
        tids = q.terminal_ids_for_point(ap.id)
        terminal_sync_service.queue_pushes(
            session, terminal_ids=tids, kind="open", body={"open": ap.id, "seconds": 5, "log_id": read.log_id}
        )
        events.publish(
            session,
            access_events.RemoteOpened(
                compound_id=ap.compound_id, access_point_id=ap.id, user_id=who.user_id, reason=reason, terminal_ids=tids
            ),
            compound_id=ap.compound_id,
        )
        return read

    @staticmethod
    def _resident_compounds(session: Session, who: Principal) -> set[int]:
        from anju.registry.models import House

        return {h.compound_id for h in (session.get(House, i) for i in who.house_ids) if h is not None}

    def my_doors(self, session: Session, *, who: Principal, now: datetime) -> list[AccessPoint]:
        if who.person_id is None:
            return []
        from sqlalchemy import select

        q = HolderQuery(session)
        out = []
        for cid in sorted(self._resident_compounds(session, who)):
            for ap in session.execute(
                select(AccessPoint)
                .where(AccessPoint.compound_id == cid, AccessPoint.active.is_(True))
                .order_by(AccessPoint.id)
            ).scalars():
                if holder_may_pass(q, ap, person_id=who.person_id, user_id=None, now=now).ok:
                    out.append(ap)
        return out

    # --- offline replay -----------------------------------------------------------------------------
    def replay(self, session: Session, *, terminal: Terminal, batch: OfflineBatch, now: datetime) -> ReplayResult:
        """Store records a terminal decided while offline; the (terminal, record_id) key drops repeats."""
        q = PointQuery(session)
        inserted, duplicates, rejected = 0, 0, []
        for r in batch.records:
            ap = session.get(AccessPoint, r.access_point_id)
            if ap is None or ap.compound_id != terminal.compound_id or not q.controls(terminal.id, ap.id):
                rejected.append({"record_id": r.record_id, "reason": "door_not_controlled"})
                continue
            cred = session.get(AccessCredential, r.credential_id) if r.credential_id else None
            if cred is not None and cred.compound_id != terminal.compound_id:
                cred = None
            vp = session.get(VisitorPass, r.visitor_pass_id) if r.visitor_pass_id else None
            if vp is not None and vp.compound_id != terminal.compound_id:
                vp = None
            row = AccessLog(
                compound_id=terminal.compound_id,
                access_point_id=ap.id,
                terminal_id=terminal.id,
                record_id=r.record_id,
                method=Method(r.method),
                decision=Decision(r.decision),
                reason=r.reason,
                direction=r.direction,
                person_id=cred.person_id if cred else None,
                user_id=cred.user_id if cred else None,
                credential_id=cred.id if cred else None,
                visitor_pass_id=vp.id if vp else None,
                source="offline",
                server_at=now,
                device_at=r.device_time,
            )
            if not LogQuery(session).add_log(row):  # the terminal sent this record before
                duplicates += 1
                continue
            inserted += 1
            if vp is not None and r.decision == "allow" and ap.kind in GATE_KINDS and r.direction == "in":
                session.execute(
                    update(VisitorPass)
                    .where(VisitorPass.id == vp.id, VisitorPass.entries_used < VisitorPass.entries_allowed)
                    .values(entries_used=VisitorPass.entries_used + 1)
                    .execution_options(synchronize_session=False)
                )
            self._publish(session, row)
        session.flush()
        return ReplayResult(inserted=inserted, duplicates=duplicates, rejected=rejected)


decision_service = DecisionService()


@dataclass(frozen=True)
class PassageCount:
    """Passages through one access point in a time range, by direction, decision and method (counts only)."""

    compound_id: int
    access_point_id: int | None
    point_name: str | None
    point_kind: str | None
    building_id: int | None
    direction: str
    decision: str
    method: str
    visitor: bool
    count: int


# compound, point id, point name, point kind, building, direction, decision, method, visitor
PassageKey = tuple[int, int | None, str | None, str | None, int | None, str, str, str, bool]


def passage_counts(
    session: Session, *, compound_ids: list[int], since: datetime, until: datetime | None = None
) -> list[PassageCount]:
    """Access-log counts of some compounds in [since, until), grouped by point, direction, decision and method.

    Closed hours come from the hourly rollup (`anju.access.rollups`), the rest from the log itself (issue 19)."""
    from anju.access.rollups import NAME
    from anju.core.rollup import split

    plan = split(session, NAME, since, until)
    totals: dict[PassageKey, int] = {}
    parts = [_raw_passage_counts(session, compound_ids, a, b) for a, b in plan.raw]
    if plan.rolled is not None:
        parts.append(_rolled_passage_counts(session, compound_ids, *plan.rolled))
    for part in parts:
        for key, n in part:
            totals[key] = totals.get(key, 0) + n
    return [PassageCount(*key, n) for key, n in totals.items() if n]


def _point_cols() -> tuple[Any, ...]:
    return (AccessPoint.name, AccessPoint.kind, AccessPoint.building_id)


def _rolled_passage_counts(
    session: Session, compound_ids: list[int], start: datetime, end: datetime
) -> list[tuple[PassageKey, int]]:
    h = AccessHourly
    cols = (h.compound_id, h.access_point_id, *_point_cols(), h.direction, h.decision, h.method, h.visitor)
    stmt = (
        select(*cols, func.sum(h.n))
        .outerjoin(AccessPoint, AccessPoint.id == h.access_point_id)
        .where(h.compound_id.in_(compound_ids), h.hour >= start, h.hour < end)
        .group_by(*cols)
    )
    return [
        ((c, ap or None, name, str(kind) if kind is not None else None, b, d, str(dec), str(m), bool(v)), int(n))
        for c, ap, name, kind, b, d, dec, m, v, n in session.execute(stmt)
    ]


def _raw_passage_counts(
    session: Session, compound_ids: list[int], since: datetime, until: datetime | None
) -> list[tuple[PassageKey, int]]:
    visitor = AccessLog.visitor_pass_id.is_not(None)
    stmt = (
        select(
            AccessLog.compound_id,
            AccessLog.access_point_id,
            AccessPoint.name,
            AccessPoint.kind,
            AccessPoint.building_id,
            AccessLog.direction,
            AccessLog.decision,
            AccessLog.method,
            visitor,
            func.count(),
        )
        .outerjoin(AccessPoint, AccessPoint.id == AccessLog.access_point_id)
        .where(AccessLog.compound_id.in_(compound_ids), AccessLog.server_at >= since)
        .group_by(
            AccessLog.compound_id,
            AccessLog.access_point_id,
            AccessPoint.name,
            AccessPoint.kind,
            AccessPoint.building_id,
            AccessLog.direction,
            AccessLog.decision,
            AccessLog.method,
            visitor,
        )
    )
    if until is not None:
        stmt = stmt.where(AccessLog.server_at < until)
    return [
        ((c, ap, name, str(kind) if kind is not None else None, b, d, str(dec), str(m), bool(v)), int(n))
        for c, ap, name, kind, b, d, dec, m, v, n in session.execute(stmt)
    ]


def latest_passage_id(session: Session, *, compound_ids: list[int]) -> int:
    """The newest access-log id of some compounds (a cheap change cursor for live pages)."""
    return int(
        session.execute(select(func.max(AccessLog.id)).where(AccessLog.compound_id.in_(compound_ids))).scalar_one() or 0
    )
