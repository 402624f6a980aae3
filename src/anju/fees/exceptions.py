"""Fee errors (rendered by the one handler in main.py)."""

from __future__ import annotations

from anju.core.errors import AppError, Conflict, Invalid, NotFound


class BadAmount(Invalid):
    code = "fees_bad_amount"
    message_zh = "金额无效"
    message_en = "Invalid amount"


class BadPeriod(Invalid):
    code = "fees_bad_period"
    message_zh = "账期格式应为 YYYY-MM"
    message_en = "The billing month must look like YYYY-MM"


class NotFiled(Invalid):
    """R-M5: an item or rate that is not in the contract or price filing cannot be charged."""

    code = "fees_not_filed"
    message_zh = "收费项目须注明合同条款或价格备案依据"
    message_en = "A fee item needs its contract clause or price filing reference"


class AgreementRequired(Invalid):
    """R-M2: anything but exclusive area needs the owners' agreed formula on record."""

    code = "fees_agreement_required"
    message_zh = "按户定额等约定分摊方式须注明业主大会决议"
    message_en = "A formula other than exclusive area needs the owners' agreement reference"


class BillNotFound(NotFound):
    code = "fees_bill_not_found"
    message_zh = "账单不存在"
    message_en = "Bill not found"


class BillAlreadyPaid(Conflict):
    code = "fees_bill_paid"
    message_zh = "该账单已缴清"
    message_en = "This bill is already paid"


class Overpayment(Conflict):
    code = "fees_overpayment"
    message_zh = "缴费金额超过欠费金额"
    message_en = "The payment is more than the amount due"


class RefundTooLarge(Conflict):
    code = "fees_refund_too_large"
    message_zh = "退款金额超过已缴金额"
    message_en = "A refund cannot exceed what was paid"


class OrderNotFound(NotFound):
    code = "fees_order_not_found"
    message_zh = "支付订单不存在"
    message_en = "Payment order not found"


class OrderMismatch(Conflict):
    code = "fees_order_mismatch"
    message_zh = "支付通知与订单不符"
    message_en = "The provider's notification does not match the order"


class BadSignature(AppError):
    """The provider could not be authenticated: unknown provider, missing or wrong signature."""

    status_code = 401
    code = "fees_provider_unauthenticated"
    message_zh = "支付通知签名无效"
    message_en = "Invalid provider signature"


class DeadlineTooSoon(Invalid):
    """R-M1: a reminder comes first, with a reasonable deadline."""

    code = "fees_deadline_too_soon"
    message_zh = "催缴期限过短（至少 {days} 天）"
    message_en = "The reminder deadline is too soon"


class RepairShareTooSmall(Invalid):
    """R-M3 (Shanghai): where common income mainly funds repairs, more than half must move."""

    code = "fees_repair_share_too_small"
    message_zh = "转入维修资金的比例须超过 50%（上海规定 第51条）"
    message_en = "The repair-fund share must be more than 50 %"


class BadQuarter(Invalid):
    code = "fees_bad_quarter"
    message_zh = "季度格式应为 YYYYQn，且须已结束"
    message_en = "The quarter must look like YYYYQn and be over"


class OnlinePaymentOff(Conflict):
    """No real online provider is configured (the simulated one never runs in a deployment)."""

    code = "fees_online_payment_off"
    message_zh = "暂未开通线上缴费，请到物业服务中心柜台缴纳"
    message_en = "Online payment is off; pay at the service counter"


class InsufficientBalance(Conflict):
    """A wallet never goes below zero (issue 18: e-bike charging is prepaid)."""

    code = "fees_insufficient_balance"
    message_zh = "余额不足，请先充值"
    message_en = "Not enough balance: top up first"


class DeductionTooLarge(Invalid):
    code = "fees_deduction_too_large"
    message_zh = "扣款合计不能超过押金"
    message_en = "Deductions cannot exceed the deposit"


class RefundRefused(Conflict):
    code = "fees_refund_refused"
    message_zh = "支付机构拒绝了该退款"
    message_en = "the payment provider refused the refund"
