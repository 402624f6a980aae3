"""Demo access control: gates, unit doors, a lift and terminals with known keys; no face embeddings."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.access.credential_service import card_bidx, mask_card
from anju.access.enums import AccessPointKind, CredentialKind, LocationType
from anju.access.models import AccessCredential, AccessPoint, FacePia, Terminal, TerminalAccessPoint
from anju.access.sync_service import terminal_sync_service
from anju.accounts.models import DeviceCredential
from anju.core.auth import hash_password
from anju.core.crypto import encrypt
from anju.registry.models import Building, Compound, House, Unit
from anju.vision.face import MODEL_NAME

TERMINAL_SECRET = "anju2026!terminal"  # demo only; real terminals get a random secret once
LI_CARD = "A1B2C3D4"


def build_access_demo(session: Session, *, compound_id: int, li_person_id: int | None = None) -> dict[str, int]:
    """Add access points, terminals (key term_<code>_<name>, secret TERMINAL_SECRET) and a card for 李."""
    code = session.execute(select(Compound.code).where(Compound.id == compound_id)).scalar_one()
    li_house = session.execute(
        select(House).where(House.compound_id == compound_id, House.label == "3-1-0802")
    ).scalar_one_or_none()
    session.add(
        FacePia(
            compound_id=compound_id,
            assessed_on=date(2026, 10, 15),
            purpose="居民人脸识别通行",
            method=MODEL_NAME,
            scope="小区大门人脸通行，模板仅存本地服务器与门口终端",
            risks="模板泄露；误识；未成年人信息",
            measures="单独同意；加密存储；撤回即删除；非人脸方式始终可用",
            retention_note="门禁记录保存 180 天，访客记录 30 天",
            keep_until=date(2029, 10, 15),
        )
    )
    south = AccessPoint(
        compound_id=compound_id,
        name="南门人行",
        kind=AccessPointKind.gate_pedestrian,
        location_type=LocationType.entrance,
        location="南门岗亭东侧",
        plan_x=400,
        plan_y=0,
        evacuation_route=True,
        face_capable=True,
        signage_installed=True,
        face_enabled=True,
    )
    south_car = AccessPoint(
        compound_id=compound_id,
        name="南门车行",
        kind=AccessPointKind.gate_vehicle,
        location_type=LocationType.entrance,
        location="南门车道",
        plan_x=440,
        plan_y=0,
    )
    east = AccessPoint(
        compound_id=compound_id,
        name="东门人行",
        kind=AccessPointKind.gate_pedestrian,
        location_type=LocationType.entrance,
        location="东门",
        plan_x=960,
        plan_y=250,
        evacuation_route=True,
        open_from=None,
        open_until=None,
    )
    garage = AccessPoint(
        compound_id=compound_id,
        name="地库入口",
        kind=AccessPointKind.garage_door,
        location_type=LocationType.garage,
        location="南门内西侧地库坡道",
        plan_x=330,
        plan_y=30,
    )
    locker = AccessPoint(
        compound_id=compound_id,
        name="快递柜",
        kind=AccessPointKind.locker,
        location_type=LocationType.outdoor,
        location="南门内广场",
        plan_x=400,
        plan_y=40,
    )
    points = [south, south_car, east, garage, locker]
    unit_door = lift = None
    if li_house is not None:
        unit = session.get(Unit, li_house.unit_id)
        building = session.get(Building, li_house.building_id)
        assert unit is not None and building is not None
        label = f"{building.number}号楼{unit.number}单元"
        unit_door = AccessPoint(
            compound_id=compound_id,
            name=f"{label}门",
            kind=AccessPointKind.unit_door,
            location_type=LocationType.lobby,
            location=f"{label}一层门厅",
            building_id=building.id,
            unit_id=unit.id,
            evacuation_route=True,
        )
        lift = AccessPoint(
            compound_id=compound_id,
            name=f"{label}电梯",
            kind=AccessPointKind.lift,
            location_type=LocationType.lift_car,
            building_id=building.id,
            unit_id=unit.id,
        )
        points += [unit_door, lift]
    session.add_all(points)
    session.flush()
    secret_hash = hash_password(TERMINAL_SECRET)
    layout = [
        ("south", "南门闸机", True, [south, south_car]),
        ("east", "东门闸机", False, [east, locker]),
        ("garage", "地库道闸", False, [garage]),
    ]
    if unit_door is not None and lift is not None:
        layout.append(("unit", "单元门禁", False, [unit_door, lift]))
    terminals = []
    for key, name, face, aps in layout:
        dev = DeviceCredential(
            compound_id=compound_id,
            key_id=f"term_{code}_{key}",
            secret_hash=secret_hash,
            name=name,
            device_kind="access_terminal",
        )
        session.add(dev)
        session.flush()
        t = Terminal(
            compound_id=compound_id, name=name, device_credential_id=dev.id, key_id=dev.key_id, face_capable=face
        )
        session.add(t)
        session.flush()
        session.add_all([TerminalAccessPoint(terminal_id=t.id, access_point_id=ap.id) for ap in aps])
        terminals.append(t)
    if li_person_id is not None:
        session.add(
            AccessCredential(
                compound_id=compound_id,
                kind=CredentialKind.card,
                person_id=li_person_id,
                card_enc=encrypt(LI_CARD, context="access.card"),
                card_bidx=card_bidx(LI_CARD),
                card_masked=mask_card(LI_CARD),
            )
        )
    session.flush()
    for t in terminals:
        terminal_sync_service.rebuild(session, t)
    return {"access_points": len(points), "terminals": len(terminals)}
