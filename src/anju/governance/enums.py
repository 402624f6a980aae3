"""Governance enumerations (stored as strings)."""

from enum import StrEnum


class MatterType(StrEnum):
    """What a vote decides; each maps to one threshold set (民法典 278, 279)."""

    # 278 (一)–(五), (九): double majority of participants (R-V1, R-V3)
    rules_of_procedure = "rules_of_procedure"  # 制定和修改业主大会议事规则
    management_statute = "management_statute"  # 制定和修改管理规约
    elect_committee = "elect_committee"  # 选举业主委员会或者更换业主委员会成员
    hire_property_company = "hire_property_company"  # 选聘和解聘物业服务企业
    use_repair_fund = "use_repair_fund"  # 使用建筑物及其附属设施的维修资金 (R-V3)
    other_major = "other_major"  # 有关共有和共同管理权利的其他重大事项
    # 278 (六)–(八): three quarters of participants (R-V2)
    raise_repair_fund = "raise_repair_fund"  # 筹集建筑物及其附属设施的维修资金
    rebuild = "rebuild"  # 改建、重建建筑物及其附属设施
    change_common_use = "change_common_use"  # 改变共有部分的用途或者利用共有部分从事经营活动
    # 279: unanimous consent of the interested owners (R-V10)
    residence_to_business = "residence_to_business"  # 住宅改变为经营性用房


class Threshold(StrEnum):
    majority = "majority"
    three_quarters = "three_quarters"
    unanimity = "unanimity"


THRESHOLD_OF: dict[MatterType, Threshold] = {
    **dict.fromkeys(
        (
            MatterType.rules_of_procedure,
            MatterType.management_statute,
            MatterType.elect_committee,
            MatterType.hire_property_company,
            MatterType.use_repair_fund,
            MatterType.other_major,
        ),
        Threshold.majority,
    ),
    **dict.fromkeys(
        (MatterType.raise_repair_fund, MatterType.rebuild, MatterType.change_common_use), Threshold.three_quarters
    ),
    MatterType.residence_to_business: Threshold.unanimity,
}


class VoteState(StrEnum):
    draft = "draft"
    published = "published"  # agenda published and frozen, electorate snapshotted
    open = "open"
    closed = "closed"
    tallied = "tallied"
    announced = "announced"  # results publicly posted (公示)


class Choice(StrEnum):
    yes = "yes"
    no = "no"
    abstain = "abstain"


class Channel(StrEnum):
    online = "online"
    paper = "paper"


class Outcome(StrEnum):
    passed = "passed"
    rejected = "rejected"
    invalid_quorum = "invalid_quorum"  # not valid: quorum missed (R-V4), not "rejected"


class EventKind(StrEnum):
    published = "published"
    opened = "opened"
    closed = "closed"
    tallied = "tallied"
    announced = "announced"
