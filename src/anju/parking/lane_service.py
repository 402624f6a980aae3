"""Lane decisions, temporary-parking fees and the parking timers.

A capture is recorded first (UNIQUE(lane, event id)): a retried camera post, or two posts racing, find the
row and return its decision, so one car never makes two sessions. Plate matching is exact, except that a
resident's own registered plate also matches a read one character off (OCR confusions such as 8/B, 0/D);
the blacklist and visitor authorisations match exactly only.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anju.core import events
from anju.core.auth import Principal
from anju.core.db import utcnow
from anju.core.errors import Invalid, TooLarge
from anju.core.kit.china_time import china_date
from anju.core.kit.money import yuan
from anju.parking.config import parking_settings
from anju.parking.enums import (
    Decision,
    DecisionReason,
    LaneDirection,
    PaidVia,
    SessionCategory,
    SpaceKind,
    UnknownPolicy,
)
from anju.parking.events import LaneDecided, ParkingFeePaid
from anju.parking.exceptions import (
    AlreadyDecided,
    CouponNotFound,
    CouponUnusable,
    LaneEventNotFound,
    LaneNotFound,
    LanePhotoNotFound,
    NothingToPay,
    ParkingSessionNotFound,
    SpaceNotFound,
)
from anju.parking.models import (
    CarPark,
    FireLaneStop,
    LaneEvent,
    LanePhoto,
    ParkingCoupon,
    ParkingLane,
    ParkingSession,
)
from anju.parking.repository import ParkingRepository
from anju.parking.schemas import CaptureIn, FireLaneStopIn, PayIn, RedeemIn, ReleaseIn
from anju.parking.service import parking_service
from anju.parking.tariff import Reduction, Tariff, fee_fen
from anju.vision.plates import plate_kind

# Who pays the temporary tariff at the exit: temporary cars and residents' visitors (whose short visits the free
# minutes cover); residents' own cars leave free.
PAYING = (SessionCategory.temporary, SessionCategory.visitor)
NO_PLATE = "无牌车"  # the plate column of a stay without a plate (never matches a read: it breaks the grammar)
FIRE_LANE_ALARM = "fire_lane_parking"  # one alarm kind, shared with the video domain's camera rule (issue 14)


def fire_lane_dedupe_key(space_id: int) -> str:
    """One open alarm per fire-lane place, whoever (lane timer or video rule) raises it."""
    return f"{FIRE_LANE_ALARM}:parking_space:{space_id}"


def one_off(a: str, b: str) -> bool:
    """Same length and exactly one character different."""
    return len(a) == len(b) and sum(x != y for x, y in zip(a, b, strict=True)) == 1


@dataclass
class _Verdict:
    decision: Decision
    reason: DecisionReason
    category: SessionCategory | None = None
    vehicle_id: int | None = None
    visitor_car_id: int | None = None
    house_id: int | None = None
    plate: str | None = None  # the registered plate a fuzzy read matched


DISPLAY: dict[DecisionReason, tuple[str, str]] = {
    DecisionReason.resident_pass: ("{plate} 月卡车 欢迎回家", "{plate} pass holder, welcome home"),
    DecisionReason.registered_vehicle: ("{plate} 业主车辆 欢迎回家", "{plate} resident vehicle, welcome home"),
    DecisionReason.visitor: ("{plate} 访客车辆 欢迎光临", "{plate} visitor, welcome"),
    DecisionReason.visitor_cap: ("{plate} 访客车位已满 请稍候", "{plate} visitor places full, please wait"),
    DecisionReason.temporary: ("{plate} 临时车 欢迎光临", "{plate} temporary parking, welcome"),
    DecisionReason.unknown: ("{plate} 未登记车辆 请稍候", "{plate} unregistered, please wait"),
    DecisionReason.blacklist: ("{plate} 禁止通行", "{plate} entry refused"),
    DecisionReason.unreadable: ("未识别车牌 请稍候", "Plate not read, please wait"),
    DecisionReason.fee_due: ("{plate} 请缴费 {fee} 元", "{plate} please pay {fee} yuan"),
    DecisionReason.fee_paid: ("{plate} 已缴费 一路顺风", "{plate} paid, goodbye"),
    DecisionReason.free_exit: ("{plate} 一路顺风", "{plate} goodbye"),
    DecisionReason.no_entry: ("{plate} 无入场记录 请稍候", "{plate} no entry record, please wait"),
    DecisionReason.released: ("{plate} 人工放行", "{plate} opened by the guard"),
    DecisionReason.no_plate: ("无牌车 扫码通行", "Car without plate, QR scanned"),
}


def display(ev: LaneEvent) -> tuple[str, str]:
    zh, en = DISPLAY[ev.reason]
    kw = {"plate": ev.plate or "", "fee": yuan(ev.fee_fen)}
    return zh.format(**kw).strip(), en.format(**kw).strip()


class LaneService:
    # --- captures ---------------------------------------------------------------------------------------
    def capture(
        self, session: Session, *, by: Principal, lane_id: int, data: CaptureIn, now: datetime | None = None
    ) -> LaneEvent:
        """Decide on one capture; a repeat of an event id returns the first decision unchanged."""
        return self._capture(session, lane=parking_service.lane(session, by=by, lane_id=lane_id), data=data, now=now)

    def capture_from_camera(
        self, session: Session, *, device_id: int, lane_id: int, data: CaptureIn, now: datetime | None = None
    ) -> LaneEvent:
        """A capture posted by the lane's own camera (authenticated as that device); another device's lane is 404."""
        lane = session.get(ParkingLane, lane_id)
        if lane is None or lane.camera_device_id != device_id:
            raise LaneNotFound(f"lane {lane_id} of this camera")
        return self._capture(session, lane=lane, data=data, now=now)

    def _capture(self, session: Session, *, lane: ParkingLane, data: CaptureIn, now: datetime | None) -> LaneEvent:
        repo = ParkingRepository(session)
        existing = repo.lane_event(lane.id, data.event_id)
        if existing is not None:
            return existing
        now = now or utcnow()
        plate, confidence, photo = self._plate(data)
        ev = LaneEvent(
            compound_id=lane.compound_id,
            lane_id=lane.id,
            event_id=data.event_id,
            at=data.at or now,
            plate=plate,
            camera_plate=data.plate,
            read_confidence=confidence,
            had_image=data.image_b64 is not None,
            decision=Decision.hold,
            reason=DecisionReason.unreadable,
        )
        try:
            with session.begin_nested():  # the retry that lost the race returns the winner's row
                session.add(ev)
                session.flush()
        except IntegrityError:
            again = repo.lane_event(lane.id, data.event_id)
            assert again is not None
            return again
        if photo is not None:
            session.add(LanePhoto(lane_event_id=ev.id, compound_id=lane.compound_id, **photo))
        cp = session.get(CarPark, lane.car_park_id)
        assert cp is not None
        if plate is not None:
            if lane.direction == LaneDirection.entry:
                self._entry(session, cp=cp, lane=lane, ev=ev, plate=plate, now=now)
            else:
                self._exit(session, cp=cp, lane=lane, ev=ev, plate=plate, now=now)
        else:
            self._remind(session, lane=lane, ev=ev, kind="vehicle_unreadable", now=now)
        session.flush()
        self._decided(session, lane=lane, ev=ev, now=now)
        return ev

    def _plate(self, data: CaptureIn) -> tuple[str | None, float | None, dict[str, Any] | None]:
        """The plate to decide on (Anju's read wins over the camera's string at or above read_wins_at), its
        confidence, and the photo to keep with the decision (checked by content; the plate boxes for masking)."""
        if data.image_b64 is None:
            return data.plate, None, None
        settings = parking_settings()
        if len(data.image_b64) > settings.max_image_bytes * 4 // 3 + 4:
            raise TooLarge(
                f"capture image over {settings.max_image_bytes // (1024 * 1024)} MB",
                zh=f"抓拍图片超过 {settings.max_image_bytes // (1024 * 1024)} MB",
            )
        try:
            raw = base64.b64decode(data.image_b64, validate=True)
        except (binascii.Error, ValueError) as e:
            raise Invalid(
                "image_b64 is not base64",
                zh="抓拍图片不是有效的 base64 编码",
                fields=[{"field": "image_b64", "message": "not base64", "type": "not_base64"}],
            ) from e
        from anju.vision.plates import read_plates

        reads = read_plates(raw)  # PlateImageRejected (422) for a non-image or a huge one
        photo = self._photo(raw)
        if not reads:
            return data.plate, None, photo
        # Two plates in a lane picture: the car in the lane is the nearest, i.e. the biggest plate.
        best = max(reads, key=lambda r: (r.box[2] - r.box[0]) * (r.box[3] - r.box[1]))
        scale = photo["width"] / max(photo.get("_read_width", photo["width"]), 1)
        photo.pop("_read_width", None)
        photo["keep_box"] = [round(v * scale) for v in best.box]
        photo["other_boxes"] = [[round(v * scale) for v in r.box] for r in reads if r is not best] or None
        if data.plate is None or best.confidence >= parking_settings().read_wins_at:
            return best.text, best.confidence, photo
        return data.plate, best.confidence, photo

    @staticmethod
    def _photo(raw: bytes) -> dict[str, Any]:
        """The capture as a photo row: its type decided by decoding the header (JPEG, PNG or WebP only)."""
        import hashlib

        from anju.core.images import check_pixels
        from anju.vision.plates import MAX_SIDE, PlateImageRejected

        fmt, w, h = check_pixels(raw)
        types = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
        if fmt not in types:
            raise PlateImageRejected("format", f"image format {fmt} not accepted", f"不支持的图片格式：{fmt}")
        return {
            "content_type": types[fmt],
            "size": len(raw),
            "width": w,
            "height": h,
            "sha256": hashlib.sha256(raw).hexdigest(),
            "data": raw,
            "_read_width": w if max(w, h) <= MAX_SIDE else round(w * MAX_SIDE / max(w, h)),
        }

    def _who(self, session: Session, *, cp: CarPark, plate: str, now: datetime) -> _Verdict:
        repo = ParkingRepository(session)
        if repo.blacklisted(cp.compound_id, plate) is not None:
            return _Verdict(Decision.deny, DecisionReason.blacklist)
        vehicle = repo.vehicle_by_plate(cp.compound_id, plate)
        if vehicle is None:
            near = [v for v in repo.vehicles(cp.compound_id) if one_off(v.plate, plate)]
            vehicle = near[0] if len(near) == 1 else None  # two near plates: no guess
        if vehicle is not None:
            has_pass = repo.valid_pass(vehicle.id, cp.id, china_date(now)) is not None
            return _Verdict(
                Decision.open,
                DecisionReason.resident_pass if has_pass else DecisionReason.registered_vehicle,
                SessionCategory.resident,
                vehicle_id=vehicle.id,
                house_id=vehicle.house_id,
                plate=vehicle.plate,
            )
        visitor = repo.visitor_car(cp.compound_id, plate, now)
        if visitor is not None:
            if repo.visitors_inside(visitor.house_id) >= cp.visitor_cap_per_house:
                return _Verdict(Decision.hold, DecisionReason.visitor_cap, house_id=visitor.house_id)
            return _Verdict(
                Decision.open,
                DecisionReason.visitor,
                SessionCategory.visitor,
                visitor_car_id=visitor.id,
                house_id=visitor.house_id,
            )
        if cp.unknown_policy == UnknownPolicy.temporary:
            return _Verdict(Decision.open, DecisionReason.temporary, SessionCategory.temporary)
        return _Verdict(Decision.hold, DecisionReason.unknown)

    def _entry(
        self, session: Session, *, cp: CarPark, lane: ParkingLane, ev: LaneEvent, plate: str, now: datetime
    ) -> None:
        v = self._who(session, cp=cp, plate=plate, now=now)
        ev.decision, ev.reason = v.decision, v.reason
        if v.plate is not None:
            ev.plate = v.plate  # a one-off read of a resident's plate is that resident's car
        if v.reason == DecisionReason.blacklist:
            self._blacklist_alarm(session, lane=lane, ev=ev, now=now)
        elif v.reason in (DecisionReason.temporary, DecisionReason.unknown):
            # "当系统识别到未登记车辆进入社区时,可自动向物业发送提醒"
            self._remind(session, lane=lane, ev=ev, kind="vehicle_unregistered", now=now)
        if v.decision == Decision.open and v.category is not None:
            ev.session_id = self._start(session, cp=cp, plate=ev.plate or plate, v=v, now=now).id

    def _start(self, session: Session, *, cp: CarPark, plate: str, v: _Verdict, now: datetime) -> ParkingSession:
        repo = ParkingRepository(session)
        stale = repo.open_session(cp.id, plate)
        if stale is not None:  # entered twice without an exit: the first stay ends here, its exit missed
            repo.cas(
                ParkingSession,
                stale.id,
                where=[ParkingSession.exited_at.is_(None)],
                values={"exited_at": now, "exit_missed": True},
            )
        s = ParkingSession(
            compound_id=cp.compound_id,
            car_park_id=cp.id,
            plate=plate,
            category=v.category or SessionCategory.temporary,
            vehicle_id=v.vehicle_id,
            visitor_car_id=v.visitor_car_id,
            house_id=v.house_id if v.category == SessionCategory.visitor else None,
            entered_at=now,
        )
        session.add(s)
        session.flush()
        return s

    def _exit(
        self, session: Session, *, cp: CarPark, lane: ParkingLane, ev: LaneEvent, plate: str, now: datetime
    ) -> None:
        repo = ParkingRepository(session)
        s = repo.open_session(cp.id, plate)
        if s is None:
            v = self._who(session, cp=cp, plate=plate, now=now)
            if v.plate is not None and v.plate != plate:
                ev.plate = v.plate
                s = repo.open_session(cp.id, v.plate)
            if s is None:
                resident = v.category == SessionCategory.resident
                ev.decision = Decision.open if resident else Decision.hold
                ev.reason = DecisionReason.no_entry
                return
        ev.session_id = s.id
        if s.category not in PAYING:
            self._close(session, s, now)
            ev.decision, ev.reason = Decision.open, DecisionReason.free_exit
            return
        due = self.fee_of(session, cp, s, now)
        paid_in_time = s.paid_at is not None and now - s.paid_at <= timedelta(minutes=cp.exit_grace_minutes)
        if due == 0 or paid_in_time:
            self._close(session, s, now)
            s.fee_fen = max(due, s.paid_fen) if paid_in_time else 0
            ev.decision = Decision.open
            ev.reason = DecisionReason.fee_paid if paid_in_time else DecisionReason.free_exit
            return
        s.fee_fen = due - s.paid_fen if s.paid_at is not None else due
        ev.decision, ev.reason, ev.fee_fen = Decision.hold, DecisionReason.fee_due, s.fee_fen

    @staticmethod
    def fee_of(session: Session, cp: CarPark, s: ParkingSession, now: datetime) -> int:
        """The stay's fee under its car park's tariff: night hours, a green plate's discount, a merchant coupon."""
        tariff = Tariff(
            free_minutes=cp.free_minutes,
            per_hour_fen=cp.per_hour_fen,
            day_cap_fen=cp.day_cap_fen,
            night_per_hour_fen=cp.night_per_hour_fen,
            night_from_minute=cp.night_from_minute,
            night_until_minute=cp.night_until_minute,
            new_energy_percent_off=cp.new_energy_percent_off,
        )
        coupon = ParkingRepository(session).coupon_of_session(s.id)
        return fee_fen(
            tariff,
            entered_at=s.entered_at,
            exited_at=s.exited_at or now,
            new_energy=plate_kind(s.plate) == "new_energy",
            coupon=Reduction(minutes=coupon.minutes, fen=coupon.fen) if coupon is not None else None,
        )

    @staticmethod
    def _close(session: Session, s: ParkingSession, now: datetime) -> None:
        ParkingRepository(session).cas(
            ParkingSession, s.id, where=[ParkingSession.exited_at.is_(None)], values={"exited_at": now}
        )
        session.refresh(s)

    def _decided(self, session: Session, *, lane: ParkingLane, ev: LaneEvent, now: datetime) -> None:
        if ev.decision == Decision.open and lane.barrier_device_id is not None:
            from anju.devices.command_service import command_service

            ev.command_id = command_service.issue_automatic(
                session,
                device_id=lane.barrier_device_id,
                compound_id=lane.compound_id,
                command="open_door",
                reason=f"parking lane {lane.id}: {ev.reason.value}",
                now=now,
            )
        events.publish(
            session,
            LaneDecided(
                lane_event_id=ev.id,
                compound_id=ev.compound_id,
                lane_id=lane.id,
                plate=ev.plate,
                decision=ev.decision.value,
                reason=ev.reason.value,
            ),
            compound_id=ev.compound_id,
        )
        session.flush()

    # --- alarms and reminders ------------------------------------------------------------------------
    def _blacklist_alarm(self, session: Session, *, lane: ParkingLane, ev: LaneEvent, now: datetime) -> None:
        from anju.alarms.events import AlarmRequested

        events.publish(
            session,
            AlarmRequested(
                compound_id=lane.compound_id,
                kind="vehicle_blacklist",
                severity="major",
                source=f"parking:lane:{lane.id}",
                dedupe_key=f"vehicle_blacklist:{ev.plate}",
                title=f"{lane.name}：黑名单车辆 {ev.plate} 被拒绝入场",
                evidence={"lane_event_id": ev.id, "plate": ev.plate, "lane_id": lane.id},
                occurred_at=now.isoformat(),
            ),
            compound_id=lane.compound_id,
        )

    def _remind(self, session: Session, *, lane: ParkingLane, ev: LaneEvent, kind: str, now: datetime) -> None:
        """A note to the guard desk (alarm centre, severity info): an unregistered or unread car at a lane."""
        from anju.alarms.events import AlarmRequested

        what = "未登记车辆" if kind == "vehicle_unregistered" else "未识别车牌的车辆"
        events.publish(
            session,
            AlarmRequested(
                compound_id=lane.compound_id,
                kind=kind,
                severity="info",
                source=f"parking:lane:{lane.id}",
                dedupe_key=f"{kind}:lane:{lane.id}:{ev.plate or ev.event_id}",
                title=f"{lane.name}：{what} {ev.plate or ''}".strip(),
                evidence={"lane_event_id": ev.id, "plate": ev.plate, "lane_id": lane.id},
                occurred_at=now.isoformat(),
            ),
            compound_id=lane.compound_id,
        )

    # --- the guard ---------------------------------------------------------------------------------------
    def event(self, session: Session, *, by: Principal, event_id: int) -> LaneEvent:
        ev = session.get(LaneEvent, event_id)
        if ev is None or not by.in_scope(ev.compound_id):
            raise LaneEventNotFound(f"lane event {event_id}")
        return ev

    def release(
        self, session: Session, *, by: Principal, event_id: int, data: ReleaseIn, now: datetime | None = None
    ) -> LaneEvent:
        """The guard opens a held (or denied) lane with a reason, optionally correcting the plate read."""
        now = now or utcnow()
        ev = self.event(session, by=by, event_id=event_id)
        repo = ParkingRepository(session)
        won = repo.cas(
            LaneEvent,
            ev.id,
            where=[LaneEvent.decision.in_((Decision.hold, Decision.deny))],
            values={
                "decision": Decision.open,
                "reason": DecisionReason.released,
                "released_by": by.user_id,
                "release_reason": data.reason,
                "plate": data.plate or ev.plate,
            },
        )
        if not won:
            raise AlreadyDecided(f"lane event {event_id} is already open")
        session.refresh(ev)
        lane = session.get(ParkingLane, ev.lane_id)
        cp = session.get(CarPark, lane.car_park_id) if lane else None
        assert lane is not None and cp is not None
        if ev.plate is not None:
            if lane.direction == LaneDirection.entry:
                v = self._who(session, cp=cp, plate=ev.plate, now=now)
                v.category = v.category or SessionCategory.temporary
                if v.reason == DecisionReason.visitor_cap:
                    v.category = SessionCategory.visitor
                ev.session_id = self._start(session, cp=cp, plate=v.plate or ev.plate, v=v, now=now).id
            else:
                s = repo.open_session(cp.id, ev.plate)
                if s is not None:  # a manual open leaves any fee recorded as unpaid on the session
                    if s.category in PAYING and s.paid_at is None:
                        s.fee_fen = self.fee_of(session, cp, s, now)
                    self._close(session, s, now)
                    ev.session_id = s.id
        session.flush()
        self._decided(session, lane=lane, ev=ev, now=now)
        return ev

    def pay(
        self, session: Session, *, by: Principal, session_id: int, data: PayIn, now: datetime | None = None
    ) -> ParkingSession:
        """Pay a temporary stay (booth or QR callback); a replayed payment reference changes nothing."""
        now = now or utcnow()
        s = session.get(ParkingSession, session_id)
        if s is None or not by.in_scope(s.compound_id):
            raise ParkingSessionNotFound(f"parking session {session_id}")
        return self._pay(session, s, data, now)

    def _pay(self, session: Session, s: ParkingSession, data: PayIn, now: datetime) -> ParkingSession:
        if s.payment_ref == data.payment_ref:
            return s  # the same callback again
        session_id = s.id
        cp = session.get(CarPark, s.car_park_id)
        assert cp is not None
        due = self.fee_of(session, cp, s, now)
        if s.category not in PAYING or s.paid_at is not None or due == 0:
            raise NothingToPay(f"parking session {session_id}")
        repo = ParkingRepository(session)
        try:
            with session.begin_nested():
                won = repo.cas(
                    ParkingSession,
                    s.id,
                    where=[ParkingSession.paid_at.is_(None)],
                    values={
                        "paid_fen": due,
                        "fee_fen": due,
                        "paid_at": now,
                        "paid_via": data.paid_via,
                        "payment_ref": data.payment_ref,
                    },
                )
        except IntegrityError as e:  # the reference already paid another stay
            raise NothingToPay(f"payment reference {data.payment_ref} already used") from e
        session.refresh(s)
        if not won:
            if s.payment_ref == data.payment_ref:
                return s
            raise NothingToPay(f"parking session {session_id} is already paid")
        events.publish(
            session,
            ParkingFeePaid(
                session_id=s.id,
                compound_id=s.compound_id,
                amount_fen=due,
                paid_via=data.paid_via.value,
                payment_ref=data.payment_ref,
                plate=s.plate,
                paid_at=now,
            ),
            compound_id=s.compound_id,
        )
        self._open_held_exit(session, s=s, now=now)
        return s

    def _open_held_exit(self, session: Session, *, s: ParkingSession, now: datetime) -> None:
        """The car waiting at the exit for this payment leaves now."""
        from sqlalchemy import select

        held = (
            session.execute(
                select(LaneEvent)
                .where(
                    LaneEvent.session_id == s.id,
                    LaneEvent.decision == Decision.hold,
                    LaneEvent.reason == DecisionReason.fee_due,
                )
                .order_by(LaneEvent.id.desc())
            )
            .scalars()
            .first()
        )
        if held is None:
            return
        repo = ParkingRepository(session)
        if repo.cas(
            LaneEvent,
            held.id,
            where=[LaneEvent.decision == Decision.hold],
            values={"decision": Decision.open, "reason": DecisionReason.fee_paid},
        ):
            session.refresh(held)
            self._close(session, s, now)
            lane = session.get(ParkingLane, held.lane_id)
            assert lane is not None
            self._decided(session, lane=lane, ev=held, now=now)

    # --- photos and coupons ------------------------------------------------------------------------------
    def masked_photo(self, session: Session, *, by: Principal, event_id: int) -> bytes:
        """The capture photo as people see it (R-A3): faces and other cars' plates pixelated, JPEG."""
        from anju.video.evidence import masked_jpeg

        ev = self.event(session, by=by, event_id=event_id)
        photo = ParkingRepository(session).photo_of(ev.id)
        if photo is None:
            raise LanePhotoNotFound(f"lane event {event_id} has no photo")

        def xywh(b: list[int]) -> tuple[int, int, int, int]:
            return (b[0], b[1], max(b[2] - b[0], 1), max(b[3] - b[1], 1))

        return masked_jpeg(
            photo.data,
            extra=[xywh(b) for b in photo.other_boxes or []],
            keep=[xywh(photo.keep_box)] if photo.keep_box else None,
        )

    def redeem_coupon(
        self, session: Session, *, by: Principal, session_id: int, data: RedeemIn, now: datetime | None = None
    ) -> ParkingSession:
        """A merchant coupon on a temporary stay still inside and unpaid; one coupon per stay, each coupon once."""
        now = now or utcnow()
        s = session.get(ParkingSession, session_id)
        if s is None or not by.in_scope(s.compound_id):
            raise ParkingSessionNotFound(f"parking session {session_id}")
        repo = ParkingRepository(session)
        coupon = repo.coupon_by_code(s.compound_id, data.code.strip())
        if coupon is None or coupon.car_park_id != s.car_park_id:
            raise CouponNotFound(f"coupon {data.code}")
        if coupon.session_id == s.id:
            return s  # the same redemption again
        if s.category not in PAYING or s.paid_at is not None or s.exited_at is not None or coupon.valid_until < now:
            raise CouponUnusable(f"coupon {data.code} cannot be used on session {session_id}")
        try:
            with session.begin_nested():
                won = repo.cas(
                    ParkingCoupon,
                    coupon.id,
                    where=[ParkingCoupon.session_id.is_(None)],
                    values={"session_id": s.id, "redeemed_at": now},
                )
        except IntegrityError as e:  # this stay already carries another coupon
            raise CouponUnusable(f"session {session_id} already has a coupon") from e
        if not won:
            raise CouponUnusable(f"coupon {data.code} is used")
        session.refresh(coupon)
        return s

    # --- 无牌车: cars without a plate scan the lane's QR -------------------------------------------------------
    @staticmethod
    def lane_qr_token(lane_id: int) -> str:
        """The token printed in a lane's QR (keyed digest of the lane id: lane URLs cannot be guessed)."""
        from anju.core.crypto import blind_index

        token = blind_index(str(lane_id), context="parking.lane_qr")
        assert token is not None
        return token

    def qr_lane(self, session: Session, *, lane_id: int, token: str) -> ParkingLane:
        import hmac

        lane = session.get(ParkingLane, lane_id)
        if lane is None or not hmac.compare_digest(token.encode(), self.lane_qr_token(lane_id).encode()):
            raise LaneNotFound(f"lane {lane_id}")
        return lane

    def no_plate_entry(
        self, session: Session, *, lane: ParkingLane, car_token: str | None, now: datetime | None = None
    ) -> tuple[LaneEvent, ParkingSession]:
        """A car without a plate enters by scanning the entry lane's QR; its stay is keyed to a token kept on the
        phone. Scanning again with the same token (a reload, a retry) returns the same stay and decision."""
        import secrets

        now = now or utcnow()
        if lane.direction != LaneDirection.entry:
            raise Invalid("not an entry lane", zh="请扫描入口车道的二维码")
        repo = ParkingRepository(session)
        if car_token:
            s = repo.session_by_token(car_token)
            if s is not None and s.exited_at is None and s.car_park_id == lane.car_park_id:
                ev = repo.lane_event(lane.id, f"np-in-{s.id}")
                if ev is not None:
                    return ev, s
        cp = session.get(CarPark, lane.car_park_id)
        assert cp is not None
        s = ParkingSession(
            compound_id=cp.compound_id,
            car_park_id=cp.id,
            plate=NO_PLATE,
            category=SessionCategory.temporary,
            entered_at=now,
            no_plate_token=secrets.token_urlsafe(18)[:24],
        )
        session.add(s)
        session.flush()
        hold = cp.unknown_policy == UnknownPolicy.hold
        ev = LaneEvent(
            compound_id=lane.compound_id,
            lane_id=lane.id,
            event_id=f"np-in-{s.id}",
            at=now,
            plate=None,
            decision=Decision.hold if hold else Decision.open,
            reason=DecisionReason.no_plate,
            session_id=s.id,
        )
        session.add(ev)
        session.flush()
        if hold:
            self._remind(session, lane=lane, ev=ev, kind="vehicle_unregistered", now=now)
        self._decided(session, lane=lane, ev=ev, now=now)
        return ev, s

    def no_plate_stay(self, session: Session, *, lane: ParkingLane, car_token: str | None) -> ParkingSession:
        """The open stay of the phone's token in the lane's car park (404 when there is none)."""
        s = ParkingRepository(session).session_by_token(car_token) if car_token else None
        if s is None or s.car_park_id != lane.car_park_id or s.exited_at is not None:
            raise ParkingSessionNotFound("no stay without a plate for this phone")
        return s

    def no_plate_fee(self, session: Session, *, lane: ParkingLane, s: ParkingSession, now: datetime) -> int:
        cp = session.get(CarPark, lane.car_park_id)
        assert cp is not None
        if s.paid_at is not None and now - s.paid_at <= timedelta(minutes=cp.exit_grace_minutes):
            return 0
        return self.fee_of(session, cp, s, now) - (s.paid_fen if s.paid_at is not None else 0)

    def no_plate_exit(
        self,
        session: Session,
        *,
        lane: ParkingLane,
        car_token: str | None,
        payment_ref: str | None = None,
        now: datetime | None = None,
    ) -> LaneEvent:
        """Leave by scanning the exit lane's QR: free (or paid) stays open the barrier; a fee is paid on the phone
        first (the simulated provider; `payment_ref` makes a repeated submit pay once)."""
        now = now or utcnow()
        if lane.direction != LaneDirection.exit:
            raise Invalid("not an exit lane", zh="请扫描出口车道的二维码")
        s = self.no_plate_stay(session, lane=lane, car_token=car_token)
        due = self.no_plate_fee(session, lane=lane, s=s, now=now)
        if due > 0:
            if payment_ref is None:
                raise NothingToPay("the fee is due first", zh=f"请先缴纳停车费 {yuan(due)} 元")
            self._pay(session, s, PayIn(paid_via=PaidVia.qr, payment_ref=payment_ref), now)
        repo = ParkingRepository(session)
        ev = LaneEvent(
            compound_id=lane.compound_id,
            lane_id=lane.id,
            event_id=f"np-out-{s.id}",
            at=now,
            plate=None,
            decision=Decision.open,
            reason=DecisionReason.fee_paid if s.paid_at is not None else DecisionReason.free_exit,
            session_id=s.id,
        )
        try:
            with session.begin_nested():
                session.add(ev)
                session.flush()
        except IntegrityError:
            again = repo.lane_event(lane.id, f"np-out-{s.id}")
            assert again is not None
            return again
        self._close(session, s, now)
        s.fee_fen = max(s.paid_fen, 0)
        self._decided(session, lane=lane, ev=ev, now=now)
        return ev

    # --- the household's stays on H5 (issue 13 items 4 and 8) -------------------------------------------------
    def my_stays(
        self, session: Session, *, by: Principal, now: datetime | None = None, limit: int = 20
    ) -> list[dict[str, Any]]:
        """The stays of the caller's household (its vehicles' and the visitor cars it hosts), newest first, each
        with its car park, the fee due now (0 when free, paid, or paid and still inside the grace window) and
        whether the phone may pre-pay it (inside, unpaid, a fee due)."""
        now = now or utcnow()
        rows = ParkingRepository(session).household_sessions(
            sorted(by.compound_ids),
            vehicle_ids=[v.id for v in parking_service.household_vehicles(session, by=by)],
            house_ids=sorted(by.house_ids),
            limit=limit,
        )
        out = []
        for s, cp in rows:
            due = self.due_now(session, cp, s, now)
            out.append(
                {
                    "stay": s,
                    "car_park": cp.name,
                    "inside": s.exited_at is None,
                    "due_fen": due,
                    "grace_minutes": cp.exit_grace_minutes,
                    "payable": s.exited_at is None and s.paid_at is None and due > 0,
                }
            )
        return out

    def my_stay(self, session: Session, *, by: Principal, session_id: int) -> ParkingSession:
        """One stay of the caller's household; any other stay (another house's, a stranger's) is a 404."""
        s = session.get(ParkingSession, session_id)
        if s is None or not by.in_scope(s.compound_id):
            raise ParkingSessionNotFound(f"parking session {session_id}")
        vehicle_ids = {v.id for v in parking_service.household_vehicles(session, by=by)}
        hosted = s.house_id is not None and s.house_id in by.house_ids
        if not hosted and (s.vehicle_id is None or s.vehicle_id not in vehicle_ids):
            raise ParkingSessionNotFound(f"parking session {session_id}")
        return s

    def due_now(self, session: Session, cp: CarPark, s: ParkingSession, now: datetime) -> int:
        """The fee still due on a stay (fen): free categories and paid stays owe nothing; a stay paid and still
        inside the exit grace window owes nothing; past the window, the time since is due (as at the exit)."""
        if s.category not in PAYING:
            return 0
        if s.exited_at is not None:
            return 0 if s.paid_at is not None else s.fee_fen
        if s.paid_at is not None and now - s.paid_at <= timedelta(minutes=cp.exit_grace_minutes):
            return 0
        return max(self.fee_of(session, cp, s, now) - (s.paid_fen if s.paid_at is not None else 0), 0)

    def prepay(
        self, session: Session, *, by: Principal, session_id: int, payment_ref: str, now: datetime | None = None
    ) -> ParkingSession:
        """预付 on H5: the household pays a stay still inside through the simulated QR provider (the exit's own
        payment path: one payment reference pays once and is booked once); the exit then opens within the grace
        window."""
        now = now or utcnow()
        s = self.my_stay(session, by=by, session_id=session_id)
        if s.payment_ref == payment_ref:
            return s  # the same submit again
        if s.exited_at is not None:
            raise NothingToPay(f"parking session {session_id} has left", zh="车辆已离场，请在出口或岗亭缴费")
        return self._pay(session, s, PayIn(paid_via=PaidVia.qr, payment_ref=payment_ref), now)

    # --- lists ---------------------------------------------------------------------------------------------
    def lane_events(
        self, session: Session, *, by: Principal, lane_id: int | None = None, limit: int = 50
    ) -> list[LaneEvent]:
        if lane_id is not None:
            parking_service.lane(session, by=by, lane_id=lane_id)
        return ParkingRepository(session).lane_events(sorted(by.compound_ids), lane_id=lane_id, limit=limit)

    def sessions(
        self, session: Session, *, by: Principal, inside: bool | None = None, limit: int = 100
    ) -> list[ParkingSession]:
        return ParkingRepository(session).sessions(sorted(by.compound_ids), inside=inside, limit=limit)

    def zombies(self, session: Session, *, by: Principal) -> list[ParkingSession]:
        return ParkingRepository(session).zombies(sorted(by.compound_ids))

    def desk(
        self, session: Session, *, by: Principal, car_park_id: int | None, now: datetime | None = None
    ) -> dict[str, Any]:
        """The lane desk of one car park (the first of the caller's if none is named): lanes, latest captures,
        cars inside, today's entries and exits (China date), zombie cars and open fire-lane stops."""
        from sqlalchemy import func, select

        from anju.core.kit.china_time import china_datetime
        from anju.parking.models import ParkingSpace

        now = now or utcnow()
        parks = parking_service.car_parks(session, by=by)
        if not parks:
            return {"car_parks": [], "car_park": None}
        cp = parking_service.car_park(session, by=by, car_park_id=car_park_id) if car_park_id else parks[0]
        lanes = parking_service.lanes(session, by=by, car_park_id=cp.id)
        lane_ids = [lane.id for lane in lanes]
        events = (
            list(
                session.execute(
                    select(LaneEvent).where(LaneEvent.lane_id.in_(lane_ids)).order_by(LaneEvent.id.desc()).limit(30)
                ).scalars()
            )
            if lane_ids
            else []
        )
        start = china_datetime(china_date(now))
        inside = session.scalar(
            select(func.count(ParkingSession.id)).where(
                ParkingSession.car_park_id == cp.id, ParkingSession.exited_at.is_(None)
            )
        )
        entered = session.scalar(
            select(func.count(ParkingSession.id)).where(
                ParkingSession.car_park_id == cp.id, ParkingSession.entered_at >= start
            )
        )
        left = session.scalar(
            select(func.count(ParkingSession.id)).where(
                ParkingSession.car_park_id == cp.id, ParkingSession.exited_at >= start
            )
        )
        stops = list(
            session.execute(
                select(FireLaneStop, ParkingSpace)
                .join(ParkingSpace, ParkingSpace.id == FireLaneStop.space_id)
                .where(ParkingSpace.car_park_id == cp.id, FireLaneStop.ended_at.is_(None))
                .order_by(FireLaneStop.started_at)
            ).tuples()
        )
        return {
            "car_parks": parks,
            "car_park": cp,
            "lanes": {lane.id: lane for lane in lanes},
            "events": events,
            "inside": int(inside or 0),
            "entered_today": int(entered or 0),
            "left_today": int(left or 0),
            "photos": ParkingRepository(session).events_with_photo([e.id for e in events]),
            # The guard sees the visitor cars expected for the rest of today (China date), not yet inside.
            "expected": ParkingRepository(session).expected_visitor_cars(
                cp.compound_id, now=now, until=china_datetime(china_date(now) + timedelta(days=1))
            ),
            "zombies": [z for z in self.zombies(session, by=by) if z.car_park_id == cp.id],
            "fire_stops": stops,
            "spaces": parking_service.spaces(session, by=by, car_park_id=cp.id),
        }

    # --- fire lanes ------------------------------------------------------------------------------------------
    def report_fire_lane_stop(
        self, session: Session, *, by: Principal, data: FireLaneStopIn, now: datetime | None = None
    ) -> FireLaneStop:
        """A car seen standing in a fire-lane zone (camera event or patrol); one open stop per zone."""
        return self._report_stop(
            session, sp=parking_service.space(session, by=by, space_id=data.space_id), data=data, now=now
        )

    def fire_lane_stop_from_camera(
        self, session: Session, *, compound_id: int, data: FireLaneStopIn, now: datetime | None = None
    ) -> FireLaneStop:
        """A camera of the compound (authenticated as a device) sees a car standing in a fire-lane zone."""
        from anju.parking.models import ParkingSpace

        sp = session.get(ParkingSpace, data.space_id)
        if sp is None or sp.compound_id != compound_id:
            raise SpaceNotFound(f"space {data.space_id}")
        return self._report_stop(session, sp=sp, data=data, now=now)

    def _report_stop(self, session: Session, *, sp: Any, data: FireLaneStopIn, now: datetime | None) -> FireLaneStop:
        now = now or utcnow()
        if sp.kind != SpaceKind.fire_lane:
            raise Invalid(
                "the space is not a fire-lane zone",
                zh="该位置不是消防通道禁停区",
                fields=[{"field": "space_id", "message": "not a fire-lane zone", "type": "space_kind"}],
            )
        existing = ParkingRepository(session).open_fire_lane_stop(sp.id)
        if existing is not None:
            return existing
        stop = FireLaneStop(
            compound_id=sp.compound_id,
            space_id=sp.id,
            plate=data.plate,
            source=data.source,
            started_at=data.started_at or now,
        )
        session.add(stop)
        session.flush()
        return stop

    def end_fire_lane_stop(
        self, session: Session, *, by: Principal, stop_id: int, now: datetime | None = None
    ) -> FireLaneStop:
        stop = session.get(FireLaneStop, stop_id)
        if stop is None or not by.in_scope(stop.compound_id):
            raise LaneEventNotFound(f"fire-lane stop {stop_id}")
        ParkingRepository(session).cas(
            FireLaneStop, stop.id, where=[FireLaneStop.ended_at.is_(None)], values={"ended_at": now or utcnow()}
        )
        session.refresh(stop)
        return stop

    # --- timers (jobs) ---------------------------------------------------------------------------------------
    def check_fire_lanes(self, session: Session, *, now: datetime) -> int:
        """Alarm each stop past its car park's limit, once (CAS on alarmed_at; safe with several workers)."""
        from anju.alarms.events import AlarmRequested

        repo = ParkingRepository(session)
        raised = 0
        for stop, sp, cp in repo.fire_lane_due():
            if now - stop.started_at <= timedelta(minutes=cp.fire_lane_minutes):  # 超过: the limit itself is allowed
                continue
            if not repo.cas(
                FireLaneStop, stop.id, where=[FireLaneStop.alarmed_at.is_(None)], values={"alarmed_at": now}
            ):
                continue
            minutes = int((now - stop.started_at).total_seconds() // 60)
            events.publish(
                session,
                AlarmRequested(
                    compound_id=stop.compound_id,
                    kind=FIRE_LANE_ALARM,
                    severity="major",
                    source=f"parking:space:{sp.id}",
                    dedupe_key=fire_lane_dedupe_key(sp.id),
                    title=f"{cp.name} {sp.code}：车辆占用消防通道超过 {cp.fire_lane_minutes} 分钟",
                    evidence={
                        "fire_lane_stop_id": stop.id,
                        "space_id": sp.id,
                        "plate": stop.plate,
                        "source": stop.source,
                        "minutes": minutes,
                        "plan_x": sp.plan_x,
                        "plan_y": sp.plan_y,
                    },
                    occurred_at=stop.started_at.isoformat(),
                ),
                compound_id=stop.compound_id,
            )
            raised += 1
        return raised

    def check_zombies(self, session: Session, *, now: datetime) -> int:
        """Flag (once) and report each non-resident car inside for longer than its car park's zombie_days."""
        from anju.alarms.events import AlarmRequested

        repo = ParkingRepository(session)
        flagged = 0
        for s, cp in repo.zombie_candidates(now):
            if not repo.cas(
                ParkingSession,
                s.id,
                where=[ParkingSession.zombie_flagged_at.is_(None), ParkingSession.exited_at.is_(None)],
                values={"zombie_flagged_at": now},
            ):
                continue
            events.publish(
                session,
                AlarmRequested(
                    compound_id=s.compound_id,
                    kind="zombie_vehicle",
                    severity="minor",
                    source=f"parking:session:{s.id}",
                    dedupe_key=f"zombie_vehicle:{cp.id}:{s.plate}",
                    title=f"{cp.name}：疑似僵尸车 {s.plate}，入场超过 {cp.zombie_days} 天未离开",
                    evidence={"session_id": s.id, "plate": s.plate, "entered_at": s.entered_at.isoformat()},
                    occurred_at=now.isoformat(),
                ),
                compound_id=s.compound_id,
            )
            flagged += 1
        return flagged

    def purge(self, session: Session, *, now: datetime) -> tuple[int, int]:
        """Delete captures and closed stays past the retention period (plates are personal data, R-P4)."""
        return ParkingRepository(session).purge_before(now - timedelta(days=parking_settings().retention_days))


lane_service = LaneService()


def capture_summary(ev: LaneEvent) -> dict[str, Any]:
    zh, en = display(ev)
    return {"event": ev, "display": zh, "display_en": en}
