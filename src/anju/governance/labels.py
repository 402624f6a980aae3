"""Labels of vote matters and outcomes: the one home the console, the H5 and the notices read.

key -> (zh-CN, en). The legal terms are the Civil Code's (民法典 278, 279). The web catalogue exposes
them as gov.matter.* and gov.outcome.*; the notices domain writes its notices from the same pairs.
"""

from __future__ import annotations

MATTER_LABELS: dict[str, tuple[str, str]] = {
    "rules_of_procedure": ("制定和修改业主大会议事规则", "Rules of procedure"),
    "management_statute": ("制定和修改管理规约", "Management statute"),
    "elect_committee": ("选举或更换业主委员会成员", "Elect the owners' committee"),
    "hire_property_company": ("选聘和解聘物业服务企业", "Hire or dismiss the property company"),
    "use_repair_fund": ("使用专项维修资金", "Use the repair fund"),
    "other_major": ("其他重大事项", "Other major matter"),
    "raise_repair_fund": ("筹集专项维修资金", "Raise the repair fund"),
    "rebuild": ("改建、重建建筑物及附属设施", "Rebuild buildings or facilities"),
    "change_common_use": ("改变共有部分用途或利用共有部分经营", "Change the use of common parts"),
    "residence_to_business": ("住宅改变为经营性用房", "Turn a home into business premises"),
}

OUTCOME_LABELS: dict[str, tuple[str, str]] = {
    "passed": ("通过", "Passed"),
    "rejected": ("未通过", "Rejected"),
    "invalid_quorum": ("无效（参与未达三分之二）", "Not valid (quorum)"),
}
