"""Who may pass which access point, when: residents, tenants, staff on shift, visitors, couriers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time

from anju.access.enums import DELIVERY_KINDS, GATE_KINDS, AccessPointKind, DeliveryReach, PassKind
from anju.access.models import AccessGrant, AccessPoint, VisitorPass
from anju.access.repository import GateFacts, HolderQuery
from anju.core.kit.china_time import to_china
from anju.registry.enums import PersonStatus


def face_threshold_for(ap: AccessPoint) -> float:
    """The point's own cosine threshold, else the default for its kind (stricter at perimeter gates, issue 12)."""
    from anju.access.config import access_settings

    if ap.face_threshold is not None:
        return float(ap.face_threshold)
    s = access_settings()
    return s.face_threshold_perimeter if ap.kind in GATE_KINDS else s.face_threshold


def local(now: datetime) -> datetime:
    """Opening hours and schedules are China wall-clock time."""
    return to_china(now)


def in_window(t: time, start: time | None, end: time | None) -> bool:
    """Is local time t inside [start, end)? A window may wrap past midnight (22:00–06:00)."""
    if start is None or end is None:
        return True
    if start <= end:
        return start <= t < end
    return t >= start or t < end


@dataclass
class Verdict:
    ok: bool
    reason: str
    floors: list[int] = field(default_factory=list)


def point_open_now(ap: AccessPoint, now: datetime) -> bool:
    return in_window(local(now).time().replace(tzinfo=None), ap.open_from, ap.open_until)


def _grant_matches(g: AccessGrant, ap: AccessPoint, now: datetime) -> bool:
    if g.access_point_id is not None and g.access_point_id != ap.id:
        return False
    if g.access_point_id is None and ap.kind.value not in (g.kinds or []):
        return False
    if g.valid_from is not None and now < g.valid_from:
        return False
    if g.valid_until is not None and now >= g.valid_until:
        return False
    loc = local(now)
    if g.weekdays is not None and loc.weekday() not in g.weekdays:
        return False
    return in_window(loc.time().replace(tzinfo=None), g.shift_start, g.shift_end)


def holder_may_pass(
    q: HolderQuery,
    ap: AccessPoint,
    *,
    person_id: int | None,
    user_id: int | None,
    now: datetime,
    facts: GateFacts | None = None,
) -> Verdict:
    """Residents: gates, own unit door, own lift floors; tenants until lease end; others by grant.

    `facts`: the person's state and homes when the caller has read them already (HolderQuery.gate_facts)."""
    homes: list[tuple[int, int, int, int]] = []
    if person_id is not None:
        found = facts.person if facts is not None else q.person_homes(person_id, ap.compound_id, local(now).date())
        if found is None or found[0][0] == PersonStatus.erased or found[0][1] is not None:
            return Verdict(False, "credential_revoked")
        homes = found[1]
        if homes:
            unit_ids = {u for _, _, u, _ in homes}
            ok = False
            floors: list[int] = []
            if ap.kind in GATE_KINDS or ap.kind == AccessPointKind.locker:
                ok = True
            elif ap.kind == AccessPointKind.unit_door:
                ok = ap.unit_id in unit_ids or (ap.unit_id is None and ap.building_id in {b for _, b, _, _ in homes})
            elif ap.kind == AccessPointKind.lift:
                floors = sorted({f for _, _, u, f in homes if u == ap.unit_id} | {1}) if ap.unit_id in unit_ids else []
                ok = bool(floors)
            if ok:
                if not point_open_now(ap, now):
                    return Verdict(False, "outside_time_window")
                return Verdict(True, "ok", floors)
    grants = q.grants(ap.compound_id, person_id=person_id, user_id=user_id)
    if any(_grant_matches(g, ap, now) for g in grants):
        return Verdict(True, "ok")
    if any(
        g.access_point_id == ap.id or (g.access_point_id is None and ap.kind.value in (g.kinds or [])) for g in grants
    ):
        return Verdict(False, "outside_shift")
    if person_id is not None and not homes:
        return Verdict(False, "not_resident")
    return Verdict(False, "not_permitted")


def delivery_reach(q: HolderQuery, vp: VisitorPass) -> DeliveryReach:
    """How far a courier or rider goes (issue 18): the compound's rule; a per-shift pass never past the lockers."""
    if vp.host_house_id is None:
        return DeliveryReach.lockers
    rule = q.delivery_rule(vp.compound_id)
    if vp.kind == PassKind.courier:
        return rule.courier_reach if rule else DeliveryReach.lockers
    return rule.rider_reach if rule else DeliveryReach.lobby


def pass_may_pass(q: HolderQuery, ap: AccessPoint, vp: VisitorPass) -> Verdict:
    """Visitors: gates plus the host's unit door and floor; couriers and riders: pedestrian gates and lockers,
    and as far as the compound's delivery rule says (the host's lobby door, or up to their floor)."""
    delivery = vp.kind in DELIVERY_KINDS
    if ap.kind in GATE_KINDS:
        if delivery and ap.kind != AccessPointKind.gate_pedestrian:
            return Verdict(False, "courier_gates_only")
        return Verdict(True, "ok")
    if ap.kind == AccessPointKind.locker:
        return Verdict(True, "ok")
    reach = delivery_reach(q, vp) if delivery else DeliveryReach.door
    if reach == DeliveryReach.lockers or vp.host_house_id is None:
        return Verdict(False, "courier_gates_only")
    house = q.house(vp.host_house_id)
    if house is None:
        return Verdict(False, "not_permitted")
    if ap.kind == AccessPointKind.unit_door and (
        ap.unit_id == house.unit_id or (ap.unit_id is None and ap.building_id == house.building_id)
    ):
        return Verdict(True, "ok")
    if ap.kind == AccessPointKind.lift and ap.unit_id == house.unit_id and reach == DeliveryReach.door:
        return Verdict(True, "ok", sorted({1, house.floor}))
    return Verdict(False, "not_permitted")
