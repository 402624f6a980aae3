"""处置流程 (SOP): the steps an operator follows for an alarm of a kind and severity.

Defaults below, written from the compound's fire and safety practice; a manager overrides them per
compound with the alarm policy's "procedure" key ({"zh": [...], "en": [...]}) for a kind and severity
("*" matches any), so the most specific row wins like every other policy key.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.alarms.models import AlarmPolicy
from anju.alarms.policies import policy_for
from anju.core.auth import Principal
from anju.core.errors import Invalid

Steps = dict[str, list[str]]  # {"zh": [...], "en": [...]}

_FIRE: Steps = {
    "zh": [
        "立即通过视频或派保安到现场核实（3分钟内到场）",
        "确认起火：拨打119，启动消防广播，组织该楼层及上下层疏散",
        "切断相关区域电源/燃气，电梯迫降首层，打开防火通道",
        "联系住户及紧急联系人，确认室内是否有人",
        "消防到场后配合处置，填写处置说明并关闭告警",
    ],
    "en": [
        "Check at once by video or send a guard (on site within 3 minutes)",
        "Fire confirmed: call 119, start the fire broadcast, evacuate this floor and those above and below",
        "Cut power or gas to the area, bring lifts to the ground floor, open the fire exits",
        "Call the household and its emergency contacts: is anyone inside?",
        "Assist the fire brigade, then write the disposal note and resolve the alarm",
    ],
}
DEFAULTS: dict[str, Steps] = {
    "smoke": _FIRE,
    "fire": _FIRE,
    "gas": {
        "zh": [
            "严禁开关电器、严禁明火，通知保安携带检测仪到场",
            "关闭燃气总阀，开窗通风，疏散该户及相邻住户",
            "拨打燃气公司抢修电话；浓度持续升高时拨打119",
            "联系住户确认情况，检测正常后填写处置说明并关闭告警",
        ],
        "en": [
            "No switches and no flames; send a guard with a gas detector",
            "Close the main gas valve, open windows, evacuate the flat and its neighbours",
            "Call the gas company's emergency line; call 119 if the level keeps rising",
            "Call the household; once readings are normal write the disposal note and resolve",
        ],
    },
    "lift_trapped": {
        "zh": [
            "通过电梯对讲安抚被困人员，告知救援已在路上",
            "通知电梯维保单位（30分钟内到场），必要时拨打119",
            "保安到场守候，禁止非专业人员扒门",
            "解困后记录被困时长与人员情况，填写处置说明并关闭告警",
        ],
        "en": [
            "Talk to the passengers over the lift intercom: help is on its way",
            "Call the lift maintenance company (on site within 30 minutes); call 119 if needed",
            "A guard waits on site; nobody untrained forces the doors",
            "Once freed, record how long and who was trapped, write the note and resolve",
        ],
    },
    "water_leak": {
        "zh": [
            "联系住户确认漏水位置，必要时关闭分户水阀",
            "派维修人员到场处理，防止殃及楼下住户",
            "处理完毕后填写处置说明并关闭告警",
        ],
        "en": [
            "Call the household to find the leak; close its water valve if needed",
            "Send a technician before it reaches the flat below",
            "Write the disposal note and resolve when done",
        ],
    },
    "sos": {
        "zh": [
            "立即回拨求助住户电话，确认需要何种帮助",
            "派保安到场；有人身危险时拨打120/110",
            "通知紧急联系人，填写处置说明并关闭告警",
        ],
        "en": [
            "Call the household back at once: what help is needed?",
            "Send a guard; call 120/110 if someone is in danger",
            "Tell the emergency contacts, write the disposal note and resolve",
        ],
    },
}
GENERIC: Steps = {
    "zh": ["通过视频或派人到场核实", "按情况派单或联系相关住户", "处理完毕后填写处置说明与处置结果并关闭告警"],
    "en": [
        "Check it by video or on site",
        "Dispatch someone or call the household as needed",
        "Write the disposal note and outcome, then resolve",
    ],
}
MAX_STEPS = 20
MAX_STEP_CHARS = 200


def procedure_for(session: Session, *, compound_id: int, kind: str, severity: str) -> Steps:
    """The steps for an alarm: the compound's own if a manager set them, else the defaults."""
    own = policy_for(session, compound_id=compound_id, kind=kind, severity=severity).get("procedure")
    if isinstance(own, dict) and (own.get("zh") or own.get("en")):
        zh = [str(s) for s in own.get("zh") or own.get("en") or []]
        en = [str(s) for s in own.get("en") or own.get("zh") or []]
        return {"zh": zh, "en": en}
    return DEFAULTS.get(kind, GENERIC)


def _lines(text: str) -> list[str]:
    return [line.strip()[:MAX_STEP_CHARS] for line in text.splitlines() if line.strip()][:MAX_STEPS]


def set_procedure(
    session: Session, *, by: Principal, compound_id: int, kind: str, severity: str, zh: str, en: str
) -> Steps:
    """A manager writes the compound's steps for a kind and severity (one step a line)."""
    from anju.alarms.exceptions import AlarmNotFound
    from anju.alarms.permissions import AlarmsPerm

    by.require(AlarmsPerm.configure)
    if not by.in_scope(compound_id):
        raise AlarmNotFound(f"compound {compound_id} is not yours")
    steps = {"zh": _lines(zh), "en": _lines(en)}
    if not steps["zh"] and not steps["en"]:
        raise Invalid(
            "a procedure needs at least one step",
            zh="处置流程至少需要一个步骤",
            fields=[{"field": "zh", "message": "required / 必填", "type": "missing"}],
        )
    kind = kind.strip()[:32] or "*"
    severity = severity.strip()[:16] or "*"
    row = session.execute(
        select(AlarmPolicy)
        .where(AlarmPolicy.compound_id == compound_id, AlarmPolicy.kind == kind, AlarmPolicy.severity == severity)
        .with_for_update()
    ).scalar_one_or_none()
    if row is None:
        row = AlarmPolicy(compound_id=compound_id, kind=kind, severity=severity, policy={})
        session.add(row)
    policy: dict[str, Any] = dict(row.policy or {})
    policy["procedure"] = steps
    row.policy = policy
    session.flush()
    return steps
