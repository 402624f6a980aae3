"""E-bike charging pages (issue 18): the resident scans a socket's QR, starts, follows the countdown and stops on
H5; the console shows every socket's state. Every rule lives in charging.service."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import Response

from anju.accounts.permissions import AccountsPerm
from anju.charging.enums import PayMethod, StartMode
from anju.charging.models import ChargingSession
from anju.charging.permissions import ChargingPerm
from anju.charging.service import charging_service, remaining_seconds
from anju.core.auth import Principal
from anju.core.db import utcnow
from anju.core.deps import ReadSession, WriteSession
from anju.core.errors import AppError, NotFound
from anju.core.kit.money import parse_yuan, yuan
from anju.fees.permissions import FeesPerm
from anju.web.deps import ConsolePage, console_guard, page_guard
from anju.web.forms import go_back, outcome, refused
from anju.web.i18n import Translator, lang_of
from anju.web.render import render

router = APIRouter(include_in_schema=False)
ResidentPage = Annotated[Principal, Depends(page_guard(AccountsPerm.self_service))]
ChargingDesk = Annotated[ConsolePage, Depends(console_guard(ChargingPerm.read))]
H5 = "/h5/charging"
CONSOLE = "/console/charging"
HOURS = (1, 2, 3, 4, 6, 8, 12)


def _compound(who: Principal) -> int | None:
    return min(who.compound_ids) if who.compound_ids else None


def _view(s: ChargingSession) -> dict[str, Any]:
    return {"s": s, "left": remaining_seconds(s, utcnow()), "until_ms": int(s.ends_at.timestamp() * 1000)}


@router.get(H5)
def my_charging(request: Request, who: ResidentPage, session: ReadSession, socket: str = "") -> Response:
    """My wallet, my charging now and before, and the way to a socket (scan its QR or type its code)."""
    if socket.strip():
        return go_back(request, f"{H5}/s/{socket.strip()}")
    cid = _compound(who)
    sessions = charging_service.mine(session, who=who)
    return render(
        request,
        "charging/h5.html",
        {
            "who": who,
            "balance": charging_service.balance(session, who=who, compound_id=cid) if cid else 0,
            "live": [_view(s) for s in sessions if s.status != "ended"],
            "past": [s for s in sessions if s.status == "ended"][:10],
            "cards": charging_service.cards(session, who=who),
            "yuan": yuan,
            **outcome(request),
        },
    )


@router.get(H5 + "/s/{socket}")
def socket_page(request: Request, socket: str, who: ResidentPage, session: ReadSession) -> Response:
    """What a socket's QR opens: its state, the tariff, my balance and the start form."""
    t = Translator(lang_of(request))
    try:
        d = charging_service.socket(session, who=who, device_key=socket)
    except AppError:
        return go_back(request, H5, err=t("chg.err.socket"))
    tariff = charging_service.tariff(session, d.compound_id)
    return render(
        request,
        "charging/socket.html",
        {
            "who": who,
            "d": d,
            "state": charging_service.socket_state(session, d),
            "tariff": tariff,
            "balance": charging_service.balance(session, who=who, compound_id=d.compound_id),
            "hours": HOURS,
            "yuan": yuan,
            "request_key": secrets.token_hex(8),  # a double tap on "start" pays once
            **outcome(request),
        },
    )


@router.post(H5 + "/start")
def start(
    request: Request,
    who: ResidentPage,
    session: WriteSession,
    socket: Annotated[str, Form(max_length=64)],
    choice: Annotated[str, Form(max_length=8)] = "2",
    pay: Annotated[str, Form(max_length=8)] = "wallet",
    request_key: Annotated[str, Form(max_length=24)] = "",
) -> Response:
    try:
        mode = StartMode.full if choice == "full" else StartMode.duration
        hours = int(choice) if choice.isdigit() and len(choice) <= 2 else None
        s = charging_service.start(
            session,
            who=who,
            device_key=socket,
            mode=mode,
            hours=hours,
            now=utcnow(),
            pay=PayMethod.single if pay == "single" else PayMethod.wallet,
            request_key=request_key if request_key.isascii() and request_key.isalnum() else None,
        )
    except AppError as exc:
        return refused(request, session, f"{H5}/s/{socket}", exc)
    return go_back(request, f"{H5}/session/{s.id}")


@router.get(H5 + "/session/{session_id}")
def session_page(request: Request, session_id: int, who: ResidentPage, session: ReadSession) -> Response:
    """The countdown of one of my sessions (the page refreshes itself; the server's clock is the truth)."""
    t = Translator(lang_of(request))
    try:
        s = charging_service.get(session, who=who, session_id=session_id)
    except AppError:
        return go_back(request, H5, err=t("chg.err.session"))
    refund = charging_service.refund_of(session, s) if s.status == "ended" else None
    return render(
        request,
        "charging/session.html",
        {"who": who, "v": _view(s), "yuan": yuan, "refund": refund, **outcome(request)},
    )


@router.post(H5 + "/session/{session_id}/stop")
def stop(request: Request, session_id: int, who: ResidentPage, session: WriteSession) -> Response:
    t = Translator(lang_of(request))
    try:
        charging_service.stop(session, who=who, session_id=session_id, now=utcnow())
    except AppError as exc:
        return refused(request, session, f"{H5}/session/{session_id}", exc)
    return go_back(request, f"{H5}/session/{session_id}", ok=t("chg.ok.stopped"))


@router.post(H5 + "/top-up")
def top_up(
    request: Request, who: ResidentPage, session: WriteSession, amount: Annotated[str, Form(max_length=12)] = ""
) -> Response:
    t = Translator(lang_of(request))
    cid = _compound(who)
    back = H5
    try:
        if cid is None:
            raise NotFound("compound not found", zh="未找到该小区")
        entry = charging_service.top_up(
            session, who=who, compound_id=cid, amount_fen=parse_yuan(amount, field="amount")
        )
    except AppError as exc:
        return refused(request, session, back, exc)
    return go_back(request, back, ok=t("chg.ok.topped_up", amount=yuan(entry.amount_fen)))


@router.post(H5 + "/cards")
def add_card(
    request: Request, who: ResidentPage, session: WriteSession, card_uid: Annotated[str, Form(max_length=32)] = ""
) -> Response:
    t = Translator(lang_of(request))
    cid = _compound(who)
    uid = card_uid.strip()
    if cid is None or not (4 <= len(uid) <= 32 and uid.isascii() and uid.isalnum()):
        return go_back(request, H5, err=t("chg.err.card"))
    try:
        charging_service.add_card(session, who=who, compound_id=cid, card_uid=uid)
    except AppError as exc:
        return refused(request, session, H5, exc)
    return go_back(request, H5, ok=t("chg.ok.card"))


@router.get(CONSOLE)
def charging_board(request: Request, ctx: ChargingDesk, session: ReadSession) -> Response:
    """Every socket of the compound: free, charging (with its countdown), faulty or offline; readings."""
    rows = charging_service.board(session, who=ctx.who, compound_id=ctx.compound_id) if ctx.compound_id else []
    tariff = charging_service.tariff(session, ctx.compound_id) if ctx.compound_id else None
    now = utcnow()
    return render(
        request,
        "charging/console.html",
        ctx.context(
            "nav.charging",
            rows=[{**r, "left": remaining_seconds(r["session"], now) if r["session"] else 0} for r in rows],
            counts={k: sum(1 for r in rows if r["state"] == k) for k in ("free", "busy", "fault", "offline")},
            tariff=tariff,
            yuan=yuan,
            can_collect=ctx.who.can(FeesPerm.collect),
            request_key=secrets.token_hex(8),  # one counter receipt per form, however often it is submitted
            **outcome(request),
        ),
    )


@router.post(CONSOLE + "/counter-top-up")
def counter_top_up(
    request: Request,
    ctx: ChargingDesk,
    session: WriteSession,
    card_uid: Annotated[str, Form(max_length=32)] = "",
    amount: Annotated[str, Form(max_length=12)] = "",
    request_key: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """The staffed counter: a resident's wallet topped up by their charging card; the receipt number comes back."""
    t = Translator(lang_of(request))
    try:
        entry, card = charging_service.counter_top_up(
            session,
            who=ctx.who,
            compound_id=ctx.compound_id or 0,
            card_uid=card_uid,
            amount_fen=parse_yuan(amount, field="amount"),
            request_key=request_key,
        )
    except AppError as exc:
        return refused(request, session, CONSOLE, exc)
    return go_back(
        request,
        CONSOLE,
        ok=t("chg.ok.counter", amount=yuan(entry.amount_fen), card=card.card_uid, receipt=entry.receipt_no),
    )
