"""E-bike charging rules (issue 18).

- A socket is a device of type ebike_charger; its QR holds its device key. A resident starts a session by
  scanning it (or by swiping a registered card at the pile): a number of hours, or "until full" up to the
  tariff's cap. The whole planned time is prepaid from the resident's wallet in the fees ledger; at the end
  the minutes actually used are kept and the rest is credited back (money in fen, one entry per key).
- One live session per socket: the unique `live_device_id` decides between two residents scanning at once.
  A socket that is offline or reports a fault is refused.
- The leased job (`tasks.py`) reads the piles' messages after a cursor (compare-and-set, so two workers never
  act twice) and ends sessions at the paid time (cutting the power), when the pile reports full, a fault or
  that it switched itself off (the devices' over-temperature and overload rules cut it and raise the alarm).
- A power cut the pile reports (`power_lost`, then `power_restored`, or `power_restored` with
  `outage_seconds`) pauses the countdown; when power is back the same session resumes with its remaining
  time (a start command to the pile), unless it stayed off longer than `MAX_PAUSE`.
"""

from __future__ import annotations

import logging
import math
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anju.charging.config import charging_settings
from anju.charging.enums import LIVE, EndReason, PayMethod, SessionStatus, StartMode, StartVia
from anju.charging.exceptions import (
    BadDuration,
    CardTaken,
    CardUnknown,
    SessionNotFound,
    SocketBusy,
    SocketFaulty,
    SocketNotFound,
)
from anju.charging.models import ChargingCard, ChargingSession, ChargingTariff
from anju.charging.permissions import ChargingPerm
from anju.charging.repository import ChargingQuery
from anju.charging.schemas import TariffIn
from anju.core.auth import Principal
from anju.core.errors import AppError, Forbidden, Invalid, NotFound
from anju.core.kit.china_time import china_date
from anju.core.kit.money import yuan
from anju.devices.enums import DeviceStatus
from anju.devices.models import Device
from anju.fees.accounts import wallet_service

log = logging.getLogger("anju.charging")

MAX_HOURS = 12
MAX_PAUSE = timedelta(hours=12)  # a pile without power for longer ends its session (the minutes used are paid)
BATCH = 500


def require_online(en: str, zh: str) -> None:
    """Money taken in the app needs online payment; only the simulated provider settles at once (development and
    the demo). With online payment off this is a 409 and the service counter is the way."""
    from anju.fees.exceptions import OnlinePaymentOff
    from anju.fees.providers import online_provider, simulated_provider

    if online_provider() is not simulated_provider:
        raise OnlinePaymentOff(en, zh=zh)


END_ZH = {
    EndReason.time_up: "时间到",
    EndReason.full: "已充满",
    EndReason.stopped: "用户结束",
    EndReason.device_cut: "设备自动断电",
    EndReason.fault: "设备故障",
    EndReason.power_cut: "停电未恢复",
}


def reason_zh(reason: EndReason) -> str:
    return END_ZH.get(reason, reason.value)


def prepay_fen(minutes: int, fen_per_hour: int) -> int:
    return math.ceil(minutes * fen_per_hour / 60)


def cost_fen(used_seconds: float, fen_per_hour: int, cap_fen: int) -> int:
    """What the minutes used cost: per started minute, never more than was prepaid."""
    minutes = math.ceil(max(0.0, used_seconds) / 60)
    return min(cap_fen, math.ceil(minutes * fen_per_hour / 60))


class Tariff:
    def __init__(self, fen_per_hour: int, full_max_minutes: int, to_common_income: bool, rule_ref: str) -> None:
        self.fen_per_hour = fen_per_hour
        self.full_max_minutes = full_max_minutes
        self.to_common_income = to_common_income
        self.rule_ref = rule_ref


def remaining_seconds(s: ChargingSession, now: datetime) -> int:
    """The countdown: paid time left (frozen while the power is off)."""
    if s.status == SessionStatus.ended:
        return 0
    at = s.paused_at if s.status == SessionStatus.paused and s.paused_at is not None else now
    return max(0, int((s.ends_at - at).total_seconds()))


class ChargingService:
    # --- tariff --------------------------------------------------------------------------------------------
    def tariff(self, session: Session, compound_id: int) -> Tariff:
        row = ChargingQuery(session).tariff(compound_id)
        if row is None:
            st = charging_settings()
            return Tariff(st.fen_per_hour, st.full_max_minutes, False, "")
        return Tariff(row.fen_per_hour, row.full_max_minutes, row.to_common_income, row.rule_ref)

    def set_tariff(self, session: Session, *, who: Principal, compound_id: int, data: TariffIn) -> ChargingTariff:
        who.require(ChargingPerm.manage)
        if not who.is_staff or not who.in_scope(compound_id):
            raise NotFound("compound not found", zh="未找到该小区")
        row = ChargingQuery(session).tariff(compound_id)
        if row is None:
            row = ChargingTariff(compound_id=compound_id, fen_per_hour=data.fen_per_hour)
            session.add(row)
        row.fen_per_hour = data.fen_per_hour
        row.full_max_minutes = data.full_max_minutes
        row.to_common_income = data.to_common_income
        row.rule_ref = data.rule_ref.strip()
        session.flush()
        return row

    # --- sockets -------------------------------------------------------------------------------------------
    def socket(self, session: Session, *, who: Principal, device_key: str) -> Device:
        """A socket of one of the caller's compounds (another compound's: 404)."""
        d = ChargingQuery(session).socket_by_key(device_key)
        if d is None or not d.active or d.compound_id not in who.compound_ids:
            raise SocketNotFound()
        return d

    def socket_state(self, session: Session, device: Device) -> str:
        """free | busy | fault | offline: what a resident sees before starting."""
        q = ChargingQuery(session)
        if q.live_on(device.id) is not None:
            return "busy"
        st = q.state(device.id)
        if st is None or st.status == DeviceStatus.offline:
            return "offline"
        if (st.values or {}).get("state") == "fault" or (st.values or {}).get("fault") is True:
            return "fault"
        return "free"

    def board(self, session: Session, *, who: Principal, compound_id: int) -> list[dict[str, Any]]:
        """The console's view: every socket with its state, live session and latest readings."""
        who.require(ChargingPerm.read)
        if not who.is_staff or not who.in_scope(compound_id):
            raise NotFound("compound not found", zh="未找到该小区")
        q = ChargingQuery(session)
        sockets = q.sockets(compound_id)
        live = q.live_on_many([d.id for d, _ in sockets])
        out = []
        for d, st in sockets:
            values = (st.values if st is not None else None) or {}
            state = "busy" if d.id in live else self.socket_state(session, d)
            out.append({"device": d, "state": state, "session": live.get(d.id), "values": values})
        return out

    # --- sessions ------------------------------------------------------------------------------------------
    def start(
        self,
        session: Session,
        *,
        who: Principal,
        device_key: str,
        mode: StartMode,
        hours: int | None,
        now: datetime,
        pay: PayMethod = PayMethod.wallet,
        request_key: str | None = None,
    ) -> ChargingSession:
        """Scan-to-charge: prepay from the wallet (or pay for this session alone), switch the socket on, start
        the countdown. A pay-per-session start retried with the same request key is the same session, paid once."""
        if who.is_staff or who.user_id is None:
            raise Forbidden("residents charge their own e-bikes", zh="仅住户可扫码充电")
        device = self.socket(session, who=who, device_key=device_key)
        pay_ref = None
        if pay == PayMethod.single:
            pay_ref = f"S{who.user_id}:{(request_key or secrets.token_hex(8))[:24]}"
            prior = ChargingQuery(session).by_pay_ref(pay_ref)
            if prior is not None:
                return prior  # a retried start: the session and its one payment stand
        return self._start(
            session,
            device=device,
            user_id=who.user_id,
            mode=mode,
            hours=hours,
            via=StartVia.scan,
            now=now,
            pay_ref=pay_ref,
        )

    def _start(
        self,
        session: Session,
        *,
        device: Device,
        user_id: int,
        mode: StartMode,
        hours: int | None,
        via: StartVia,
        now: datetime,
        pay_ref: str | None = None,
    ) -> ChargingSession:
        state = self.socket_state(session, device)
        if pay_ref is not None:
            require_online(
                "paying per session needs online payment: top up the wallet at the service counter",
                "单次支付需开通线上支付，请到物业服务中心柜台为钱包充值",
            )
        if state == "busy":
            raise SocketBusy()
        if state in ("fault", "offline"):
            raise SocketFaulty()
        tariff = self.tariff(session, device.compound_id)
        if mode == StartMode.duration:
            if hours is None or not 1 <= hours <= MAX_HOURS:
                raise BadDuration(fields=[{"field": "hours", "message": f"1..{MAX_HOURS}"}])
            minutes = hours * 60
        else:
            minutes = tariff.full_max_minutes
        s = ChargingSession(
            compound_id=device.compound_id,
            device_id=device.id,
            live_device_id=device.id,
            user_id=user_id,
            via=via.value,
            mode=mode.value,
            planned_minutes=minutes,
            fen_per_hour=tariff.fen_per_hour,
            status=SessionStatus.running.value,
            started_at=now,
            ends_at=now + timedelta(minutes=minutes),
            prepaid_fen=prepay_fen(minutes, tariff.fen_per_hour),
            pay_method=(PayMethod.single if pay_ref is not None else PayMethod.wallet).value,
            pay_ref=pay_ref,
        )
        try:
            with session.begin_nested():
                session.add(s)
                session.flush()
        except IntegrityError:
            if pay_ref is not None and (prior := ChargingQuery(session).by_pay_ref(pay_ref)) is not None:
                return prior  # the same start twice at once: one session, one payment
            raise SocketBusy() from None
        if s.prepaid_fen > 0 and pay_ref is None:
            # InsufficientBalance (409) propagates: the caller's transaction, the session row with it, rolls back.
            wallet_service.debit(
                session,
                compound_id=s.compound_id,
                user_id=user_id,
                amount_fen=s.prepaid_fen,
                source_key=f"charging:{s.id}:prepay",
                reason=f"电动车充电预付（{device.location or device.name}）",
            )
        self._command(session, s, "start_charge", {"minutes": minutes, "session": s.id}, "charging start", now)
        return s

    def stop(self, session: Session, *, who: Principal, session_id: int, now: datetime) -> ChargingSession:
        s = self.get(session, who=who, session_id=session_id)
        if s.user_id != who.user_id:
            raise SessionNotFound()
        self._end(session, s, EndReason.stopped, now)
        return s

    def get(self, session: Session, *, who: Principal, session_id: int) -> ChargingSession:
        s = session.get(ChargingSession, session_id)
        if s is None:
            raise SessionNotFound()
        if who.is_staff:
            if not who.in_scope(s.compound_id) or not who.can(ChargingPerm.read):
                raise SessionNotFound()
        elif s.user_id != who.user_id:
            raise SessionNotFound()
        return s

    def refund_of(self, session: Session, s: ChargingSession) -> Any:
        """The provider refund of a session paid on its own (pending until the provider confirmed it), or None."""
        if s.pay_ref is None:
            return None
        from anju.fees.provider_refunds import provider_refund_service

        return provider_refund_service.by_source(session, f"charging:{s.id}:refund")

    def mine(self, session: Session, *, who: Principal) -> list[ChargingSession]:
        return ChargingQuery(session).of_user(who.user_id) if who.user_id is not None else []

    def balance(self, session: Session, *, who: Principal, compound_id: int) -> int:
        return wallet_service.balance(session, compound_id=compound_id, user_id=who.user_id or 0)

    def top_up(self, session: Session, *, who: Principal, compound_id: int, amount_fen: int) -> Any:
        """Online top-up of my wallet (see `require_online`)."""
        if who.is_staff or who.user_id is None or compound_id not in who.compound_ids:
            raise NotFound("compound not found", zh="未找到该小区")
        require_online(
            "online top-up is off: top up at the service counter", "线上充值未开通，请到物业服务中心柜台充值"
        )
        return wallet_service.top_up(
            session,
            compound_id=compound_id,
            user_id=who.user_id,
            amount_fen=amount_fen,
            source_key=f"sim:{secrets.token_hex(12)}",
            by=who.user_id,
        )

    def counter_top_up(
        self, session: Session, *, who: Principal, compound_id: int, card_uid: str, amount_fen: int, request_key: str
    ) -> tuple[Any, ChargingCard]:
        """The staffed counter (R-M7: the app is never the only way): staff swipe or type the resident's charging
        card and take cash or card; the wallet entry is the receipt. Keyed by the form's request key, so a
        double submit or a retry tops up once (the same receipt comes back)."""
        from anju.fees.permissions import FeesPerm

        who.require(FeesPerm.collect)
        if not who.is_staff or not who.in_scope(compound_id):
            raise NotFound("compound not found", zh="未找到该小区")
        card = ChargingQuery(session).card(compound_id, card_uid.strip().upper())
        if card is None:
            raise CardUnknown()
        key = request_key.strip()[:32]
        if len(key) < 8:
            raise Invalid("a counter top-up needs its form's request key", zh="请刷新页面后重新提交")
        entry = wallet_service.top_up(
            session,
            compound_id=compound_id,
            user_id=card.user_id,
            amount_fen=amount_fen,
            source_key=f"counter:{compound_id}:{key}",
            by=who.user_id,
        )
        return entry, card

    # --- cards ---------------------------------------------------------------------------------------------
    def add_card(self, session: Session, *, who: Principal, compound_id: int, card_uid: str) -> ChargingCard:
        if who.is_staff or who.user_id is None or compound_id not in who.compound_ids:
            raise NotFound("compound not found", zh="未找到该小区")
        uid = card_uid.strip().upper()
        if ChargingQuery(session).card(compound_id, uid) is not None:
            raise CardTaken()
        card = ChargingCard(compound_id=compound_id, card_uid=uid, user_id=who.user_id)
        try:
            with session.begin_nested():
                session.add(card)
                session.flush()
        except IntegrityError:
            raise CardTaken() from None
        return card

    def cards(self, session: Session, *, who: Principal) -> list[ChargingCard]:
        return ChargingQuery(session).cards_of(who.user_id) if who.user_id is not None else []

    def start_by_card(self, session: Session, *, device: Device, card_uid: str, now: datetime) -> ChargingSession:
        """A card swiped at the pile: "until full", paid from the card holder's wallet."""
        card = ChargingQuery(session).card(device.compound_id, str(card_uid).strip().upper())
        if card is None:
            raise CardUnknown()
        return self._start(
            session, device=device, user_id=card.user_id, mode=StartMode.full, hours=None, via=StartVia.card, now=now
        )

    # --- the job -------------------------------------------------------------------------------------------
    def tick(self, session: Session, *, now: datetime) -> dict[str, int]:
        """One run of the leased job: the piles' reports, then the clock. Safe to run twice at once."""
        done = {"messages": 0, "ended": 0, "resumed": 0}
        q = ChargingQuery(session)
        old = q.cursor()
        start = old if old is not None else q.first_cursor(now, timedelta(minutes=5))
        batch = q.pile_messages(start, BATCH)
        if batch or old is None:
            new = batch[-1][0].id if batch else start
            if not q.advance_cursor(old, new, now):
                return done  # another worker is reading the same messages: it acts on them
            for m, device in batch:
                done["messages"] += 1
                try:
                    with session.begin_nested():
                        r = self._on_report(session, device, m.data or {}, m.device_at, now)
                except AppError as exc:  # a card that is unknown or short of money: nothing starts
                    log.info("pile %s report %s not acted on: %s", device.device_key, m.event_id, exc)
                    continue
                done["ended"] += r == "ended"
                done["resumed"] += r == "resumed"
        grace = timedelta(seconds=charging_settings().start_grace_seconds)
        for sid, reason in (
            *((i, EndReason.time_up) for i in q.due(now)),
            *((i, EndReason.fault) for i in q.unconfirmed_since(now - grace)),
            *((i, EndReason.power_cut) for i in q.paused_since(now - MAX_PAUSE)),
        ):
            s = session.get(ChargingSession, sid)
            if s is not None and self._end(session, s, reason, now):
                done["ended"] += 1
        return done

    def _on_report(self, session: Session, device: Device, data: dict[str, Any], at: datetime, now: datetime) -> str:
        q = ChargingQuery(session)
        if data.get("card"):
            if q.live_on(device.id) is None:
                self.start_by_card(session, device=device, card_uid=str(data["card"])[:32], now=now)
            return "started"
        s = q.live_on(device.id)
        if s is None:
            return ""
        if isinstance(data.get("energy_wh"), int | float) and not isinstance(data.get("energy_wh"), bool):
            s.energy_wh = int(data["energy_wh"])
        if data.get("power_lost") is True and s.status == SessionStatus.running:
            if q.cas_status(s.id, {SessionStatus.running}, status=SessionStatus.paused.value, paused_at=at):
                session.refresh(s)
            return "paused"
        if data.get("power_restored") is True:
            return "resumed" if self._resume(session, s, data, at, now) else ""
        state = data.get("state")
        if state == "charging" and s.confirmed_at is None:
            s.confirmed_at = at
        elif state == "full":
            return "ended" if self._end(session, s, EndReason.full, now) else ""
        elif state == "fault" or data.get("fault") is True:
            return "ended" if self._end(session, s, EndReason.fault, now) else ""
        elif (
            state == "idle" and s.confirmed_at is not None and s.status == SessionStatus.running and at > s.confirmed_at
        ):
            # the pile's own timer ran out (it says so) or it switched off for its own reasons (heat, load, unplugged)
            reason = EndReason.time_up if data.get("cut_off") == "timer" else EndReason.device_cut
            return "ended" if self._end(session, s, reason, now) else ""
        session.flush()
        return ""

    def _resume(self, session: Session, s: ChargingSession, data: dict[str, Any], at: datetime, now: datetime) -> bool:
        """Power is back: the paused time is added to the end, and the same session switches the socket on again."""
        if s.status == SessionStatus.paused and s.paused_at is not None:
            off = max(0.0, (at - s.paused_at).total_seconds())
        else:
            raw = data.get("outage_seconds")
            if isinstance(raw, bool) or not isinstance(raw, int | float) or raw <= 0:
                return False
            off = min(float(raw), max(0.0, (at - s.started_at).total_seconds()))  # never more than has passed
        ends_at = s.ends_at + timedelta(seconds=off)
        if not q_move(session, s, ends_at, int(off)):
            return False
        left = remaining_seconds(s, now)
        if left <= 0:
            self._end(session, s, EndReason.time_up, now)
            return False
        minutes = math.ceil(left / 60)
        self._command(session, s, "start_charge", {"minutes": minutes, "session": s.id, "resume": True}, "resume", now)
        return True

    def _end(self, session: Session, s: ChargingSession, reason: EndReason, now: datetime) -> bool:
        """End a live session once: switch the socket off, keep the minutes used, credit back the rest."""
        paused_extra = 0.0
        if s.status == SessionStatus.paused and s.paused_at is not None:
            paused_extra = max(0.0, (now - s.paused_at).total_seconds())
        if not ChargingQuery(session).cas_status(
            s.id, LIVE, status=SessionStatus.ended.value, live_device_id=None, ended_at=now, end_reason=reason.value
        ):
            return False
        session.refresh(s)
        used = (min(now, s.ends_at + timedelta(seconds=paused_extra)) - s.started_at).total_seconds()
        used -= s.paused_seconds + paused_extra
        charged = 0 if s.confirmed_at is None else cost_fen(used, s.fen_per_hour, s.prepaid_fen)
        s.charged_fen, s.refunded_fen = charged, s.prepaid_fen - charged
        if s.pay_method == PayMethod.wallet:
            wallet_service.credit(
                session,
                compound_id=s.compound_id,
                user_id=s.user_id,
                amount_fen=s.refunded_fen,
                source_key=f"charging:{s.id}:refund",
                reason="电动车充电未用部分退回",
            )
        elif s.pay_ref is not None:
            # A session paid on its own: the unused part goes back to the payer through the payment provider's
            # refund. Recorded here once (under the status compare-and-set, and unique by its source key); the
            # provider is called after the commit by fees.send_refunds, with one refund number however often retried.
            from anju.fees.provider_refunds import provider_refund_service

            provider_refund_service.request(
                session,
                compound_id=s.compound_id,
                source_key=f"charging:{s.id}:refund",
                txn_id=s.pay_ref,
                amount_fen=s.refunded_fen,
                user_id=s.user_id,
                reason=f"电动车充电未用部分退款（{reason_zh(reason)}）",
            )
        if reason not in (EndReason.full, EndReason.fault, EndReason.device_cut):
            self._command(session, s, "cut_power", {"session": s.id}, f"charging {reason.value}", now)
        if charged and self.tariff(session, s.compound_id).to_common_income:
            self._income(session, s, now)
        session.flush()
        return True

    def _income(self, session: Session, s: ChargingSession, now: datetime) -> None:
        """R-M3: where the compound says so, the takings are the owners' common income."""
        from anju.fees.enums import IncomeKind
        from anju.fees.schemas import IncomeCreate
        from anju.fees.service import fee_service

        fee_service.add_income(
            session,
            by=None,
            data=IncomeCreate(
                compound_id=s.compound_id,
                occurred_on=china_date(now),
                kind=IncomeKind.other,
                description=f"电动车充电收入（充电记录 {s.id}）",
                gross=yuan(s.charged_fen),
            ),
        )

    @staticmethod
    def _command(
        session: Session, s: ChargingSession, command: str, params: dict[str, Any], reason: str, now: datetime
    ) -> None:
        from anju.devices.command_service import command_service

        command_service.issue_automatic(
            session,
            device_id=s.device_id,
            compound_id=s.compound_id,
            command=command,
            reason=reason,
            now=now,
            params=params,
        )


def q_move(session: Session, s: ChargingSession, ends_at: datetime, off_seconds: int) -> bool:
    """Resume: running again, the end moved by the time without power (compare-and-set on the status)."""
    ok = ChargingQuery(session).cas_status(
        s.id,
        LIVE,
        status=SessionStatus.running.value,
        ends_at=ends_at,
        paused_at=None,
        paused_seconds=s.paused_seconds + off_seconds,
        resumes=s.resumes + 1,
    )
    if ok:
        session.refresh(s)
    return ok


charging_service = ChargingService()
