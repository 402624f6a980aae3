"""Privacy errors: each refusal names its reason and the rule, in Chinese and English."""

from __future__ import annotations

from anju.core.errors import Conflict, Forbidden, Invalid, NotFound


class BreachNotFound(NotFound):
    code = "breach_not_found"
    message_zh = "未找到该安全事件"
    message_en = "Breach incident not found"


class BreachStateConflict(Conflict):
    code = "breach_state_conflict"
    message_zh = "该安全事件当前状态不允许此操作"
    message_en = "The breach incident's state does not allow this"


class SharingConsentMissing(Forbidden):
    """R-P8: providing data to a third party needs the person's separate consent naming it."""

    code = "sharing_consent_missing"
    message_zh = "未取得个人对向该第三方、为该目的提供这些信息的单独同意"
    message_en = "No separate consent to provide this data to this recipient for this purpose"


class ThirdPartyNotFound(NotFound):
    code = "third_party_not_found"
    message_zh = "未找到该第三方"
    message_en = "Third party not found"


class VendorContractNotFound(NotFound):
    code = "vendor_contract_not_found"
    message_zh = "未找到该委托处理合同"
    message_en = "Processor agreement not found"


class VendorContractState(Conflict):
    code = "vendor_contract_state"
    message_zh = "该委托处理合同当前状态不允许此操作"
    message_en = "The processor agreement's state does not allow this"


class DeletionCannotBeRefused(Conflict):
    """R-F6 / SPC 人脸 第12条: a breach of the face-data terms entitles deletion."""

    code = "face_deletion_cannot_be_refused"
    message_zh = "处理者违反人脸信息处理约定时，个人请求删除的应予支持（合同未约定删除亦同）"
    message_en = (
        "Where the face-data terms were breached, a deletion request must be granted, even if the contract is silent"
    )


class BadPrivacyInput(Invalid):
    code = "privacy_bad_input"
    message_zh = "输入无效"
    message_en = "Invalid input"
