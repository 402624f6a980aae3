"""Fee vocabularies (stored as short strings)."""

from __future__ import annotations

from enum import StrEnum


class FeeKind(StrEnum):
    property = "property"  # 物业服务费
    parking = "parking"  # 停车费
    other = "other"  # other fixed items in the contract (e.g. 垃圾清运费)


class FeeBasis(StrEnum):
    """How a monthly amount is computed (R-M2: by exclusive area unless an agreed formula says otherwise)."""

    per_area = "per_area"  # rate × the house's exclusive area (registered > surveyed > contract)
    per_house = "per_house"  # a fixed amount per house: an agreed formula, needs its agreement reference
    per_vehicle = "per_vehicle"  # rate × the house's active registered vehicles (monthly parking)


class PayerKind(StrEnum):
    owner = "owner"
    developer = "developer"  # unsold / undelivered units (R-M4)


class BillStatus(StrEnum):
    open = "open"
    paid = "paid"


class PayChannel(StrEnum):
    online = "online"  # through a payment provider
    counter_cash = "counter_cash"  # staffed counter: cash (R-M7)
    counter_card = "counter_card"  # staffed counter: bank card / POS
    counter_assisted = "counter_assisted"  # staff-assisted transfer for elderly residents


COUNTER_CHANNELS = frozenset({PayChannel.counter_cash, PayChannel.counter_card, PayChannel.counter_assisted})


class IntentStatus(StrEnum):
    pending = "pending"
    succeeded = "succeeded"
    failed = "failed"


class IncomeKind(StrEnum):
    ads = "ads"  # 电梯/道闸广告
    parking_common_road = "parking_common_road"  # 占用共有道路停车
    venue = "venue"  # 共有场地租赁
    other = "other"


class DepositState(StrEnum):
    held = "held"  # charged when the decoration was approved
    settled = "settled"  # deductions recorded, the rest refunded


class DepositEntryKind(StrEnum):
    charge = "charge"
    deduction = "deduction"
    refund = "refund"


class WalletEntryKind(StrEnum):
    topup = "topup"  # money in (counter or online)
    debit = "debit"  # a charging session's prepayment
    credit = "credit"  # the unused part of a prepayment returned


class ProviderRefundStatus(StrEnum):
    pending = "pending"  # owed: recorded with the change that owes it, sent by the job after the commit
    done = "done"  # the provider confirmed it (its refund id is kept)
