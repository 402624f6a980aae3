"""Charging API: residents scan a socket, start, follow the countdown and stop; staff see the board."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import Field

from anju.accounts.permissions import AccountsPerm
from anju.charging.exceptions import BadDuration, CardUnknown, SessionNotFound, SocketBusy, SocketFaulty, SocketNotFound
from anju.charging.models import ChargingSession
from anju.charging.permissions import ChargingPerm
from anju.charging.schemas import CardIn, CounterTopUpIn, SessionRead, SocketRead, StartIn, TariffIn
from anju.charging.service import charging_service, remaining_seconds
from anju.core.auth import CurrentPrincipal, Principal
from anju.core.db import utcnow
from anju.core.deps import ReadSession, WriteSession
from anju.core.errors import Forbidden
from anju.core.schemas import InSchema
from anju.fees.exceptions import InsufficientBalance

router = APIRouter(prefix="/charging", tags=["charging"])


def _user(who: CurrentPrincipal) -> Principal:
    if not (who.can(AccountsPerm.self_service) or who.can(ChargingPerm.read)):
        raise Forbidden("not for this role", zh="该角色无权使用充电服务")
    return who


ChargingUser = Annotated[Principal, Depends(_user)]


def _read(s: ChargingSession) -> SessionRead:
    return SessionRead.model_validate(s).model_copy(update={"remaining_seconds": remaining_seconds(s, utcnow())})


@router.get("/sockets/{socket}", response_model=SocketRead, responses={404: SocketNotFound.doc()})
def socket(socket: str, who: ChargingUser, session: ReadSession) -> SocketRead:
    """What the socket's QR opens: its state, the tariff and my balance."""
    d = charging_service.socket(session, who=who, device_key=socket)
    t = charging_service.tariff(session, d.compound_id)
    return SocketRead(
        device_key=d.device_key,
        name=d.name,
        location=d.location,
        state=charging_service.socket_state(session, d),
        fen_per_hour=t.fen_per_hour,
        full_max_minutes=t.full_max_minutes,
        balance_fen=charging_service.balance(session, who=who, compound_id=d.compound_id),
    )


@router.post(
    "/sessions",
    response_model=SessionRead,
    status_code=201,
    responses={
        404: SocketNotFound.doc(),
        409: SocketBusy.doc(),
        422: BadDuration.doc(),
    },
)
def start(body: StartIn, who: ChargingUser, session: WriteSession) -> SessionRead:
    """Start charging: the planned time is prepaid from my wallet; the unused part comes back at the end.
    409 when the socket is busy or faulty, or the balance is short."""
    _ = (SocketFaulty, InsufficientBalance)  # documented above: both are 409s
    s = charging_service.start(
        session,
        who=who,
        device_key=body.socket,
        mode=body.mode,
        hours=body.hours,
        now=utcnow(),
        pay=body.pay,
        request_key=body.request_key,
    )
    return _read(s)


@router.get("/sessions", response_model=list[SessionRead])
def mine(who: ChargingUser, session: ReadSession) -> list[SessionRead]:
    return [_read(s) for s in charging_service.mine(session, who=who)]


@router.get("/sessions/{session_id}", response_model=SessionRead, responses={404: SessionNotFound.doc()})
def get_session(session_id: int, who: ChargingUser, session: ReadSession) -> SessionRead:
    """One session with its countdown (seconds of paid time left)."""
    return _read(charging_service.get(session, who=who, session_id=session_id))


@router.post("/sessions/{session_id}/stop", response_model=SessionRead, responses={404: SessionNotFound.doc()})
def stop(session_id: int, who: ChargingUser, session: WriteSession) -> SessionRead:
    """Stop early: the socket is switched off and the unused time refunded."""
    return _read(charging_service.stop(session, who=who, session_id=session_id, now=utcnow()))


@router.post("/cards", status_code=201)
def add_card(body: CardIn, who: ChargingUser, session: WriteSession) -> dict[str, Any]:
    """Register a charging card: swiping it at a pile starts "until full", paid from my wallet."""
    card = charging_service.add_card(session, who=who, compound_id=body.compound_id, card_uid=body.card_uid)
    return {"id": card.id, "card_uid": card.card_uid}


@router.put("/tariff/{compound_id}")
def set_tariff(compound_id: int, body: TariffIn, who: ChargingUser, session: WriteSession) -> dict[str, Any]:
    """The compound's tariff (fen per hour), the "until full" cap, and whether takings are common income."""
    row = charging_service.set_tariff(session, who=who, compound_id=compound_id, data=body)
    return {"fen_per_hour": row.fen_per_hour, "full_max_minutes": row.full_max_minutes}


class TopUpIn(InSchema):
    compound_id: int
    amount_fen: int = Field(gt=0, le=100_000)


@router.post("/wallet/top-up", status_code=201, responses={409: InsufficientBalance.doc()})
def top_up(body: TopUpIn, who: ChargingUser, session: WriteSession) -> dict[str, Any]:
    """Top up my charging wallet through the online provider (only the simulated one exists so far: 409 when
    online payment is off; the counter is the other way)."""
    entry = charging_service.top_up(session, who=who, compound_id=body.compound_id, amount_fen=body.amount_fen)
    return {
        "receipt_no": entry.receipt_no,
        "balance_fen": charging_service.balance(session, who=who, compound_id=body.compound_id),
    }


@router.post("/counter/top-up", status_code=201, responses={404: CardUnknown.doc()})
def counter_top_up(body: CounterTopUpIn, who: ChargingUser, session: WriteSession) -> dict[str, Any]:
    """The staffed counter: top up a resident's wallet by their charging card (cash or card at the desk). The
    same request_key twice tops up once and returns the same receipt."""
    entry, card = charging_service.counter_top_up(
        session,
        who=who,
        compound_id=body.compound_id,
        card_uid=body.card_uid,
        amount_fen=body.amount_fen,
        request_key=body.request_key,
    )
    return {"receipt_no": entry.receipt_no, "amount_fen": entry.amount_fen, "card_uid": card.card_uid}
