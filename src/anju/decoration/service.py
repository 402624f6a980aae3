"""Decoration rules (住宅室内装饰装修管理办法, 建设部令第110号, as the workflow enforces it).

- 第13条: the application is filed before work starts; no pass exists until the property company approves.
- 第14条: a non-owner user (family, tenant) needs the owner's written consent.
- 第5条: changing the main structure or load-bearing walls is refused outright.
- 第15条: the approval records the prohibited acts and conditions the applicant was told.
- 第17条: the property company inspects on site; a failed inspection opens a work order.
- One live application per house and period (overlaps are refused, under a row lock on the house).
- The deposit lives in the fees ledger: approval asks it to charge the deposit (decoration.DepositDue), the
  final inspection (or a withdrawal) to settle it with the deductions recorded there, each with its reason
  (decoration.DepositReleased); the fees domain's answers move `deposit_status` on (handlers.py).
Workers get temporary passes (access domain) valid on the approved dates and only within the daily hours;
completion (the final inspection passed) or cancellation revokes them and marks the deposit for refund.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from anju.access.visitor_service import visitor_pass_service
from anju.core import events
from anju.core.auth import Principal
from anju.core.crypto import encrypt, mask_phone
from anju.core.errors import Forbidden, Invalid
from anju.core.kit.china_time import china_date, china_datetime
from anju.core.kit.money import yuan
from anju.decoration.config import decoration_settings
from anju.decoration.enums import DecorationStatus, DepositStatus, InspectionKind
from anju.decoration.events import DepositDeduction, DepositDue, DepositReleased
from anju.decoration.exceptions import (
    ApplicationNotFound,
    LoadBearingChange,
    NotBeforeStart,
    Overlapping,
    OwnerConsentRequired,
    WrongState,
)
from anju.decoration.models import DecorationApplication, DecorationInspection, DecorationWorker
from anju.decoration.permissions import DecorationPerm
from anju.decoration.repository import DecorationQuery, readable
from anju.decoration.schemas import DecorationApprove, DecorationCreate, DecorationReject, InspectionCreate
from anju.notify.service import notify_service
from anju.registry.enums import OccupancyRole

# 第5条 prohibited acts, told to the applicant and the contractor with every approval (第15条).
STANDARD_CONDITIONS = (
    "不得未经原设计单位或者具有相应资质等级的设计单位提出设计方案，变动建筑主体和承重结构",
    "不得将没有防水要求的房间或者阳台改为卫生间、厨房间",
    "不得扩大承重墙上原有的门窗尺寸，拆除连接阳台的砖、混凝土墙体",
    "不得损坏房屋原有节能设施，降低节能效果",
)


ERASED = "—"  # what is left of a worker's name and phone after the retention period


def _source(app_id: int) -> str:
    return f"decoration:{app_id}"


class DecorationService:
    # --- reading --------------------------------------------------------------------------------------------
    def get(self, session: Session, *, who: Principal, application_id: int) -> DecorationApplication:
        app = session.execute(readable(who).where(DecorationApplication.id == application_id)).scalar_one_or_none()
        if app is None:
            raise ApplicationNotFound()
        return app

    def search(self, session: Session, *, who: Principal, limit: int = 100) -> list[DecorationApplication]:
        stmt = readable(who).order_by(DecorationApplication.id.desc()).limit(limit)
        return list(session.execute(stmt).scalars())

    def workers(self, session: Session, *, application_id: int) -> list[DecorationWorker]:
        return DecorationQuery(session).workers(application_id)

    def inspections(self, session: Session, *, application_id: int) -> list[DecorationInspection]:
        return DecorationQuery(session).inspections(application_id)

    # --- the owner ------------------------------------------------------------------------------------------
    def apply(
        self, session: Session, *, who: Principal, data: DecorationCreate, now: datetime
    ) -> DecorationApplication:
        """The owner (or a user with the owner's consent) files before the work starts."""
        if who.is_staff or who.person_id is None or data.house_id not in who.house_ids:
            raise ApplicationNotFound("house not found", zh="未找到该房屋")
        q = DecorationQuery(session)
        house = q.lock_house(data.house_id)
        if house is None:
            raise ApplicationNotFound("house not found", zh="未找到该房屋")
        role = q.role_in(who.person_id, house.id)
        if role is None:
            raise ApplicationNotFound("house not found", zh="未找到该房屋")
        if role not in (OccupancyRole.owner, OccupancyRole.co_owner) and not data.owner_consent:
            raise OwnerConsentRequired()
        if data.start_date < china_date(now):
            raise NotBeforeStart()
        if data.touches_load_bearing:
            raise LoadBearingChange()
        if q.overlapping(house.id, data.start_date, data.end_date) is not None:
            raise Overlapping()
        app = DecorationApplication(
            compound_id=house.compound_id,
            house_id=house.id,
            applicant_person_id=who.person_id,
            start_date=data.start_date,
            end_date=data.end_date,
            scope=data.scope.strip(),
            touches_load_bearing=False,
            owner_consent=data.owner_consent,
            contractor=data.contractor.strip(),
            contractor_phone_enc=encrypt(data.contractor_phone, context="decoration.contractor_phone"),
            contractor_phone_masked=mask_phone(data.contractor_phone),
            daily_from=data.daily_from,
            daily_until=data.daily_until,
            deposit_fen=data.deposit_fen,
            status=DecorationStatus.submitted,
            conditions=[],
        )
        session.add(app)
        session.flush()
        for w in data.workers:
            session.add(
                DecorationWorker(
                    compound_id=app.compound_id,
                    application_id=app.id,
                    name=w.name.strip(),
                    phone_enc=encrypt(w.phone, context="decoration.worker_phone"),
                    phone_masked=mask_phone(w.phone),
                )
            )
        session.flush()
        return app

    def cancel(self, session: Session, *, who: Principal, application_id: int) -> DecorationApplication:
        """The applicant withdraws; any workers' passes stop at once."""
        app = self.get(session, who=who, application_id=application_id)
        if who.is_staff:
            raise Forbidden("the applicant cancels", zh="由申请人撤回")
        self._move(session, app, DecorationStatus.submitted, DecorationStatus.cancelled, also=DecorationStatus.approved)
        visitor_pass_service.revoke_source(session, source=_source(app.id))
        self._release_deposit(session, app, deductions=[], user_id=None)
        return app

    # --- the property company -------------------------------------------------------------------------------
    def approve(
        self, session: Session, *, who: Principal, application_id: int, data: DecorationApprove, now: datetime
    ) -> DecorationApplication:
        """Approve with conditions; each worker gets a pass for the dates, only within the daily hours."""
        app = self._staff_get(session, who=who, application_id=application_id)
        daily_from = data.daily_from or app.daily_from
        daily_until = data.daily_until or app.daily_until
        if daily_until <= daily_from:
            raise Invalid("daily hours must end after they start", zh="每日施工时段有误")
        if app.end_date < china_date(now):
            raise Invalid("the works' dates are over", zh="申请的工期已过，请重新申请")
        self._move(session, app, DecorationStatus.submitted, DecorationStatus.approved)
        hours = f"施工时间每日 {daily_from.strftime('%H:%M')}–{daily_until.strftime('%H:%M')}，其他时段工人门禁不可用"
        app.conditions = [*STANDARD_CONDITIONS, hours, *[c.strip() for c in data.conditions if c.strip()]]
        app.daily_from, app.daily_until = daily_from, daily_until
        app.decided_by, app.decided_at = who.user_id, now
        if app.deposit_fen > 0:
            app.deposit_status = DepositStatus.due
            events.publish(
                session,
                DepositDue(
                    application_id=app.id,
                    compound_id=app.compound_id,
                    house_id=app.house_id,
                    amount_fen=app.deposit_fen,
                ),
                compound_id=app.compound_id,
            )
        else:
            app.deposit_status = DepositStatus.none
        start = max(now, china_datetime(app.start_date))
        until = china_datetime(app.end_date + timedelta(days=1))
        workers = DecorationQuery(session).workers(app.id)
        from anju.core.crypto import decrypt

        passes = visitor_pass_service.issue_worker_passes(
            session,
            compound_id=app.compound_id,
            house_id=app.house_id,
            workers=[(w.name, decrypt(w.phone_enc, context="decoration.worker_phone")) for w in workers],
            valid_from=start,
            valid_until=until,
            daily_from=daily_from,
            daily_until=daily_until,
            source=_source(app.id),
        )
        for w, vp in zip(workers, passes, strict=True):
            w.visitor_pass_id = vp.id
        session.flush()
        self._tell(
            session, app, "装修申请已批准", f"装修申请（{app.start_date}–{app.end_date}）已批准，请遵守审批条件。"
        )
        return app

    def reject(
        self, session: Session, *, who: Principal, application_id: int, data: DecorationReject, now: datetime
    ) -> DecorationApplication:
        app = self._staff_get(session, who=who, application_id=application_id)
        self._move(session, app, DecorationStatus.submitted, DecorationStatus.rejected)
        app.reject_reason, app.decided_by, app.decided_at = data.reason.strip(), who.user_id, now
        session.flush()
        self._tell(session, app, "装修申请未通过", f"装修申请未通过：{app.reject_reason}")
        return app

    def inspect(
        self, session: Session, *, who: Principal, application_id: int, data: InspectionCreate, now: datetime
    ) -> DecorationInspection:
        """A site inspection (第17条): a failure opens a work order; a passed final one completes the work."""
        app = self._staff_get(session, who=who, application_id=application_id)
        if app.status != DecorationStatus.approved:
            raise WrongState()
        if data.deductions and not (data.passed and data.kind == InspectionKind.final):
            raise Invalid("deductions are settled at a passed final inspection", zh="押金扣款仅在竣工检查合格时结算")
        if sum(d.amount_fen for d in data.deductions) > app.deposit_fen:
            raise Invalid("deductions exceed the deposit", zh="扣款合计不能超过押金")
        insp = DecorationInspection(
            compound_id=app.compound_id,
            application_id=app.id,
            kind=data.kind,
            passed=data.passed,
            note=data.note.strip(),
            inspector_user_id=who.user_id,
            at=now,
        )
        session.add(insp)
        session.flush()
        if not data.passed:
            insp.work_order_id = self._violation_order(session, who=who, app=app, note=insp.note, now=now)
        elif data.kind == InspectionKind.final:
            self._move(session, app, DecorationStatus.approved, DecorationStatus.completed)
            app.completed_at = now
            self._release_deposit(
                session,
                app,
                deductions=[
                    DepositDeduction(amount_fen=d.amount_fen, reason=d.reason.strip()) for d in data.deductions
                ],
                user_id=who.user_id,
            )
            visitor_pass_service.revoke_source(session, source=_source(app.id))
            self._tell(session, app, "装修已验收", "装修竣工检查合格，工人临时通行证已停用；押金将按约定退还。")
        session.flush()
        return insp

    # --- retention ------------------------------------------------------------------------------------------
    def purge_contacts(self, session: Session, *, now: datetime) -> int:
        """Erase workers' names and phones and the contractor's phone of works that ended long enough ago."""
        cutoff = china_date(now) - timedelta(days=decoration_settings().worker_retention_days)
        ids = DecorationQuery(session).ended_before(cutoff)
        if not ids:
            return 0
        session.execute(
            update(DecorationWorker)
            .where(DecorationWorker.application_id.in_(ids), DecorationWorker.phone_masked.is_distinct_from(ERASED))
            .values(name=ERASED, phone_enc=None, phone_masked=ERASED)
            .execution_options(synchronize_session=False)
        )
        session.execute(
            update(DecorationApplication)
            .where(DecorationApplication.id.in_(ids))
            .values(contractor_phone_enc=None, contractor_phone_masked=None)
            .execution_options(synchronize_session=False)
        )
        return len(ids)

    # --- the deposit (fees ledger) ----------------------------------------------------------------------------
    def _release_deposit(
        self,
        session: Session,
        app: DecorationApplication,
        *,
        deductions: list[DepositDeduction],
        user_id: int | None,
    ) -> None:
        """Ask the fees ledger to settle a charged deposit: deductions kept with their reasons, the rest refunded."""
        if app.deposit_status not in (DepositStatus.due, DepositStatus.held):
            return
        app.deposit_status = DepositStatus.refund_due
        app.deposit_deductions = [d.model_dump(mode="json") for d in deductions]
        events.publish(
            session,
            DepositReleased(application_id=app.id, compound_id=app.compound_id, deductions=deductions, user_id=user_id),
            compound_id=app.compound_id,
        )

    def deposit_charged(self, session: Session, *, application_id: int) -> None:
        """The fees ledger holds the deposit (fees.DepositCharged)."""
        session.execute(
            update(DecorationApplication)
            .where(
                DecorationApplication.id == application_id, DecorationApplication.deposit_status == DepositStatus.due
            )
            .values(deposit_status=DepositStatus.held)
            .execution_options(synchronize_session=False)
        )

    def deposit_settled(self, session: Session, *, application_id: int, deducted_fen: int, refunded_fen: int) -> None:
        """The fees ledger settled the deposit (fees.DepositSettled): tell the applicant what came back."""
        res = session.execute(
            update(DecorationApplication)
            .where(
                DecorationApplication.id == application_id,
                DecorationApplication.deposit_status != DepositStatus.refunded,
            )
            .values(
                deposit_status=DepositStatus.refunded,
                deposit_deducted_fen=deducted_fen,
                deposit_refunded_fen=refunded_fen,
            )
            .execution_options(synchronize_session=False)
        )
        app = session.get(DecorationApplication, application_id)
        if res.rowcount != 1 or app is None:  # type: ignore[attr-defined]
            return
        session.refresh(app)
        body = f"装修押金已结算：退还 {yuan(refunded_fen)} 元"
        if deducted_fen:
            reasons = "；".join(
                f"{d.get('reason')} {yuan(int(str(d.get('amount_fen', 0))))} 元" for d in app.deposit_deductions
            )
            body += f"，扣除 {yuan(deducted_fen)} 元（{reasons}）"
        self._tell(session, app, "装修押金已结算", body + "。")

    # --- helpers ---------------------------------------------------------------------------------------------
    def _staff_get(self, session: Session, *, who: Principal, application_id: int) -> DecorationApplication:
        app = self.get(session, who=who, application_id=application_id)
        if not who.is_staff:
            raise Forbidden()
        who.require(DecorationPerm.manage)
        return app

    @staticmethod
    def _move(
        session: Session,
        app: DecorationApplication,
        old: DecorationStatus,
        new: DecorationStatus,
        also: DecorationStatus | None = None,
    ) -> None:
        """Compare-and-swap the status: two staff deciding at once, only the first wins."""
        olds = [old] if also is None else [old, also]
        res = session.execute(
            update(DecorationApplication)
            .where(DecorationApplication.id == app.id, DecorationApplication.status.in_(olds))
            .values(status=new)
            .execution_options(synchronize_session=False)
        )
        if res.rowcount != 1:  # type: ignore[attr-defined]
            raise WrongState()
        session.refresh(app)

    def _violation_order(
        self, session: Session, *, who: Principal, app: DecorationApplication, note: str, now: datetime
    ) -> int:
        from anju.workorders.enums import OrderKind, OrderSource, Priority
        from anju.workorders.schemas import OrderCreate
        from anju.workorders.service import work_order_service

        order = work_order_service.open(
            session,
            by=who,
            data=OrderCreate(
                compound_id=app.compound_id,
                kind=OrderKind.inspection,
                category="decoration",
                priority=Priority.urgent,
                title=f"装修违规整改（申请 {app.id}）",
                description=note or "装修现场检查不合格",
                house_id=app.house_id,
            ),
            source=OrderSource.inspection,
            now=now,
        )
        return order.id

    def _tell(self, session: Session, app: DecorationApplication, title: str, body: str) -> None:
        users = DecorationQuery(session).users_of(app.applicant_person_id)
        if users:
            notify_service.inbox(
                session, user_ids=users, compound_id=app.compound_id, category="decoration", title=title, body=body
            )


decoration_service = DecorationService()
