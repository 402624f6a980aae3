"""Visitor passes that reach the visitor (issue 18): a signed share link, the link by SMS, arrival and walk-in
notices to the host.

The share link is `/h5/visit/<pass>.<expires>.<mac>`: an HMAC under a key derived from the deployment secret
over the pass id, the expiry and the pass's nonce. Anyone holding the link sees the QR without signing in, so
the page shows only what the visitor needs: the compound, the gates, the window and the visitor's first name
(R-F12); never the host's name, house or phone. Revoking the pass kills the link (the page re-reads the pass),
and the link dies with the pass's window.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from anju.access.config import access_settings
from anju.access.enums import DELIVERY_KINDS, GATE_KINDS, AccessPointKind, PassStatus
from anju.access.exceptions import NoVisitorPhone, PassNotUsable, ShareLinkExpired, ShareLinkInvalid, ShareSmsLimited
from anju.access.models import AccessPoint, VisitorPass
from anju.access.permissions import AccessPerm
from anju.access.policy import pass_may_pass
from anju.access.repository import HolderQuery, VisitorQuery
from anju.access.visitor_service import visitor_pass_service
from anju.core.auth import Principal
from anju.core.config import get_settings
from anju.core.crypto import decrypt, mask_name
from anju.core.kit.china_time import china_text
from anju.notify.service import notify_service
from anju.registry.models import Compound, House

SHARE_PATH = "/h5/visit/"
_USABLE = (PassStatus.active, PassStatus.pending)


def _key() -> bytes:
    secret = get_settings().secret_key.get_secret_value().encode()
    return hashlib.sha256(b"anju-visitor-share|" + secret).digest()


def _mac(pass_id: int, expires: int, nonce: str) -> str:
    raw = hmac.new(_key(), f"visit|{pass_id}|{expires}|{nonce}".encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def share_token(vp: VisitorPass) -> str:
    """The pass's share token; it expires with the pass's window."""
    expires = int(vp.valid_until.timestamp())
    return f"{vp.id}.{expires}.{_mac(vp.id, expires, vp.nonce)}"


def first_name(name: str | None) -> str | None:
    """What the visitor's page may show of the name: the first word of a spaced name, else the masked name."""
    if not name:
        return None
    name = name.strip()
    if " " in name:
        return name.split()[0]
    return mask_name(name)


@dataclass(frozen=True)
class ShareLink:
    path: str
    url: str
    expires_at: datetime


@dataclass(frozen=True)
class VisitorView:
    """Everything the public visitor page shows; nothing else leaves the database."""

    compound: str
    visitor: str | None
    courier: bool
    gates: list[str]
    valid_from: datetime
    valid_until: datetime
    state: str  # active | pending | used_up | revoked | expired
    qr: str | None  # only while the pass can open a gate


class VisitorShareService:
    def link(self, session: Session, *, who: Principal, pass_id: int, now: datetime) -> ShareLink:
        """The share link of a pass the caller hosts (or manages at the desk)."""
        vp = self._own(session, who=who, pass_id=pass_id, now=now)
        path = SHARE_PATH + share_token(vp)
        return ShareLink(path=path, url=access_settings().public_url.rstrip("/") + path, expires_at=vp.valid_until)

    def send_sms(self, session: Session, *, who: Principal, pass_id: int, now: datetime) -> VisitorPass:
        """Text the share link to the visitor's phone through the notify provider (sent after commit)."""
        vp = self._own(session, who=who, pass_id=pass_id, now=now)
        if not vp.visitor_phone_enc:
            raise NoVisitorPhone()
        limit = access_settings().share_sms_max
        # Compare-and-swap on the counter: two taps on "send" never exceed the limit.
        res = session.execute(
            update(VisitorPass)
            .where(VisitorPass.id == vp.id, VisitorPass.sms_sent < limit)
            .values(sms_sent=VisitorPass.sms_sent + 1)
            .execution_options(synchronize_session=False)
        )
        if res.rowcount != 1:  # type: ignore[attr-defined]
            raise ShareSmsLimited()
        session.refresh(vp)
        compound = session.get(Compound, vp.compound_id)
        link = self.link(session, who=who, pass_id=pass_id, now=now)
        who_sent = "物业门岗为您签发快递员班次通行证" if vp.host_house_id is None else "住户邀请您来访"
        text = (
            f"【{compound.name if compound else '安居'}】{who_sent}，"
            f"{china_text(vp.valid_from, '%m-%d %H:%M')} 至 {china_text(vp.valid_until, '%m-%d %H:%M')} 有效。"
            f"到达大门时出示通行码：{link.url}"
        )
        notify_service.queue_phone(
            session,
            compound_id=vp.compound_id,
            channel="sms",
            recipient_ref=f"visitor:{vp.id}",
            recipient_masked=vp.visitor_phone_masked,
            purpose="visitor pass link",
            text=text,
        )
        return vp

    def view(self, session: Session, *, token: str, now: datetime) -> VisitorView:
        """The public page of a share link: a tampered link is not found, an old one has expired."""
        vp, expires = self._verify(session, token)
        if now >= min(expires, vp.valid_until):
            raise ShareLinkExpired()
        compound = session.get(Compound, vp.compound_id)
        wanted = {AccessPointKind.gate_pedestrian} | ({AccessPointKind.locker} if vp.kind in DELIVERY_KINDS else set())
        holders = HolderQuery(session)
        gates = [
            ap.name
            for ap in VisitorQuery(session).entry_points(vp.compound_id)
            if ap.kind in wanted and pass_may_pass(holders, ap, vp).ok
        ]
        return VisitorView(
            compound=compound.name if compound else "",
            visitor=first_name(vp.visitor_name),
            courier=vp.kind in DELIVERY_KINDS,
            gates=gates,
            valid_from=vp.valid_from,
            valid_until=vp.valid_until,
            state=vp.status.value,
            qr=visitor_pass_service.qr(session, vp) if vp.status == PassStatus.active else None,
        )

    def _verify(self, session: Session, token: str) -> tuple[VisitorPass, datetime]:
        """The pass a link names and the link's signed expiry; a wrong MAC or an unknown pass is not found."""
        parts = token.strip().split(".")
        if (
            len(parts) != 3
            or not parts[0].isdigit()
            or not parts[1].isdigit()
            or len(parts[0]) > 9
            or len(parts[1]) > 12
        ):
            raise ShareLinkInvalid()
        pass_id, expires = int(parts[0]), int(parts[1])
        vp = session.get(VisitorPass, pass_id)
        if vp is None or not hmac.compare_digest(parts[2].encode(), _mac(pass_id, expires, vp.nonce).encode()):
            raise ShareLinkInvalid()
        # A pass shortened after the link was sent ends the link too: view() takes the earlier of the two.
        return vp, datetime.fromtimestamp(expires, UTC)

    def _own(self, session: Session, *, who: Principal, pass_id: int, now: datetime) -> VisitorPass:
        vp = visitor_pass_service.get(session, who=who, pass_id=pass_id)
        if who.is_staff:
            who.require(AccessPerm.visitors_manage)
        if vp.status not in _USABLE or now >= vp.valid_until:
            raise PassNotUsable()
        return vp

    # --- the host hears of their visitors ---------------------------------------------------------------------
    def tell_arrival(
        self, session: Session, *, pass_id: int, log_id: int, access_point_id: int | None, at: datetime
    ) -> bool:
        """A visitor entered at a gate: tell the host once per entry (the outbox may deliver an event twice)."""
        ap = session.get(AccessPoint, access_point_id) if access_point_id else None
        if ap is None or ap.kind not in GATE_KINDS:
            return False  # inner doors are the same visit
        vp = session.get(VisitorPass, pass_id)
        if vp is None or vp.host_house_id is None:
            return False  # a courier's shift pass has no host to tell
        res = session.execute(
            update(VisitorPass)
            .where(
                VisitorPass.id == pass_id,
                or_(VisitorPass.arrival_log_id.is_(None), VisitorPass.arrival_log_id < log_id),
            )
            .values(arrival_log_id=log_id, arrived_at=at)
            .execution_options(synchronize_session=False)
        )
        if res.rowcount != 1:  # type: ignore[attr-defined]
            return False  # this entry (or a later one) was told already
        users = VisitorQuery(session).household_users(vp.host_house_id, vp.host_person_id)
        who = mask_name(vp.visitor_name) or vp.visitor_phone_masked or ""
        kind = "快递/外卖人员" if vp.kind in DELIVERY_KINDS else "访客"
        notify_service.inbox(
            session,
            user_ids=users,
            compound_id=vp.compound_id,
            category="visitor_arrived",
            title=f"{kind}已到达",
            body=f"您的{kind} {who} 已于 {china_text(at, '%H:%M')} 从{ap.name}进入小区。",
        )
        return True

    def tell_walk_in(self, session: Session, *, vp: VisitorPass) -> int:
        """The guard desk registered a walk-in for the house: its household may confirm it on H5."""
        if vp.host_house_id is None:
            return 0
        house = session.get(House, vp.host_house_id)
        users = VisitorQuery(session).household_users(vp.host_house_id, None)
        who = mask_name(vp.visitor_name) or vp.visitor_phone_masked or ""
        return notify_service.inbox(
            session,
            user_ids=users,
            compound_id=vp.compound_id,
            category="visitor_walk_in",
            title="门岗有访客等待您确认",
            body=(
                f"{who} 来访 {house.label if house else ''}，正在门岗等候。"
                "请在「我的家 → 门禁通行 → 我的访客」中同意或拒绝。"
            ),
        )


def visitor_phone(session: Session, pass_id: int) -> str | None:
    """The notify worker's resolver for "visitor:<id>": the phone, decrypted only at send time."""
    vp = session.get(VisitorPass, pass_id)
    if vp is None or not vp.visitor_phone_enc or vp.status not in _USABLE:
        return None
    return decrypt(vp.visitor_phone_enc, context="visitor.phone")


visitor_share_service = VisitorShareService()
