"""Demo data for the fees domain, built after the registry, accounts, devices and access demo.

Fee items for 示范小区, bills for last month (mostly paid, some in arrears) and this month
(open), a few common-income lines, two notices (a planned water outage and a general one)
and one open, anonymous satisfaction survey. Bulk inserts only: it runs per test worker.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from anju.core.kit.china_time import china_date
from anju.fees.enums import BillStatus, FeeBasis, FeeKind, IncomeKind, PayChannel
from anju.fees.models import Bill, Payment
from anju.fees.schemas import FeeItemCreate, IncomeCreate
from anju.fees.service import fee_service, period_of, previous_period
from anju.notices.enums import NoticeKind, OutageKind, QuestionKind, RespondentUnit
from anju.notices.schemas import NoticeCreate, QuestionIn, SurveyCreate
from anju.notices.service import notice_service, survey_service
from anju.registry.models import Building, House

LI_HOUSE = "3-1-0802"

ITEMS = (
    FeeItemCreate(
        compound_id=0,
        code="PROP",
        name="物业服务费",
        kind=FeeKind.property,
        basis=FeeBasis.per_area,
        rate="2.35",
        filing_ref="物业服务合同 第五条；朝价备〔2024〕018 号",
    ),
    FeeItemCreate(
        compound_id=0,
        code="PARK",
        name="地下车位管理费",
        kind=FeeKind.parking,
        basis=FeeBasis.per_vehicle,
        rate="150",
        filing_ref="停车服务协议 第三条",
    ),
    FeeItemCreate(
        compound_id=0,
        code="WASTE",
        name="生活垃圾清运费",
        kind=FeeKind.other,
        basis=FeeBasis.per_house,
        rate="8",
        filing_ref="物业服务合同 第七条",
    ),
)


def build_fees_demo(session: Session, *, compound_id: int, li_person_id: int, committee_person_id: int) -> None:
    """Seed this domain's demo rows for compound `compound_id`. Caller commits."""
    for item in ITEMS:
        fee_service.create_item(session, by=None, data=item.model_copy(update={"compound_id": compound_id}))
    this = period_of(china_date())
    last = previous_period(this)
    for period in (last, this):
        fee_service.run_billing(session, by=None, compound_id=compound_id, period=period)
    _pay_most_of(session, compound_id=compound_id, period=last)
    _common_income(session, compound_id)
    _notices_and_survey(session, compound_id)


def _pay_most_of(session: Session, *, compound_id: int, period: str) -> None:
    """Last month: every owner bill paid except roughly one house in seven (the demo's arrears)."""
    li = session.execute(select(House.id).where(House.compound_id == compound_id, House.label == LI_HOUSE)).scalar()
    rows = session.execute(
        select(Bill.id, Bill.house_id, Bill.amount_fen).where(
            Bill.compound_id == compound_id, Bill.period == period, Bill.payer_kind == "owner"
        )
    ).all()
    paid = [(bid, amount) for bid, hid, amount in rows if hid == li or hid % 7 != 3]
    if not paid:
        return
    at = datetime.now(UTC) - timedelta(days=10)
    session.execute(
        Payment.__table__.insert(),
        [
            {
                "compound_id": compound_id,
                "bill_id": bid,
                "amount_fen": amount,
                "channel": (PayChannel.online if k % 3 else PayChannel.counter_cash).value,
                "provider": "sim" if k % 3 else "counter",
                "provider_txn": f"DEMO{period}{bid}",
                "receipt_no": f"RDEMO{period.replace('-', '')}-{bid}",
                "user_id": None,
                "created_at": at,
            }
            for k, (bid, amount) in enumerate(paid)
        ],
    )
    session.execute(
        update(Bill)
        .where(Bill.id.in_([b for b, _ in paid]))
        .values(paid_fen=Bill.amount_fen, status=BillStatus.paid.value, paid_at=at)
        .execution_options(synchronize_session=False)
    )


def _common_income(session: Session, compound_id: int) -> None:
    today = china_date()
    for days, kind, text, gross, cost, doc in (
        (40, IncomeKind.ads, "电梯轿厢广告（季度）", "18000", "1800", "广告代理合同 GG-2026-03 服务费发票"),
        (25, IncomeKind.parking_common_road, "地面共有道路临时停车费", "6420.50", "0", None),
        (12, IncomeKind.venue, "东侧广场快递柜场地使用费", "2400", "0", None),
    ):
        fee_service.add_income(
            session,
            by=None,
            data=IncomeCreate(
                compound_id=compound_id,
                occurred_on=today - timedelta(days=days),
                kind=kind,
                description=text,
                gross=gross,
                cost=cost,
                cost_doc=doc,
            ),
        )


def _notices_and_survey(session: Session, compound_id: int) -> None:
    buildings = list(
        session.execute(select(Building.id).where(Building.compound_id == compound_id).order_by(Building.id)).scalars()
    )
    start = (datetime.now(UTC) + timedelta(days=2)).replace(hour=1, minute=0, second=0, microsecond=0)
    notice_service.publish(
        session,
        by=None,
        data=NoticeCreate(
            compound_id=compound_id,
            kind=NoticeKind.outage,
            title="计划停水通知",
            body="因二次供水水箱清洗，受影响楼栋将暂停供水，请提前储水。给您带来不便，敬请谅解。",
            outage_kind=OutageKind.water,
            outage_buildings=buildings[:2],
            window_start=start,
            window_end=start + timedelta(hours=8),
        ),
    )
    notice_service.publish(
        session,
        by=None,
        data=NoticeCreate(
            compound_id=compound_id,
            kind=NoticeKind.general,
            title="关于开展秋季消防安全检查的通知",
            body="本周六上午物业将联合社区对各楼栋消防通道进行检查，请勿在楼道堆放杂物、停放电动车。",
        ),
    )
    survey_service.create(
        session,
        by=None,
        data=SurveyCreate(
            compound_id=compound_id,
            title="2026 年度物业服务满意度调查",
            anonymous=True,
            respondent_unit=RespondentUnit.household,
            description="匿名问卷：结果只按楼栋汇总，不记录答卷人。",
            questions=[
                QuestionIn(kind=QuestionKind.rating, text="总体满意度（1–5 分）"),
                QuestionIn(kind=QuestionKind.rating, text="保洁与绿化（1–5 分）"),
                QuestionIn(kind=QuestionKind.single, text="报修响应是否及时？", options=["及时", "一般", "不及时"]),
                QuestionIn(kind=QuestionKind.text, text="意见与建议"),
            ],
        ),
    )
