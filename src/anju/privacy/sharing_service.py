"""R-P8 (PIPL 21, 23): providing data to a named third party, and processor agreements with vendors.

- Providing a person's data to a third party (a merchant, an insurer) needs that person's separate
  consent naming the recipient, the purpose and the data types (PIPL 23). `share()` refuses without
  one that covers all three and records each provision under the consent that allowed it.
- A vendor processing data for us (委托处理, PIPL 21) works under a processor agreement that says
  whether the data is returned or deleted at its end. When it ends, the return or deletion is due
  within the agreement's days and is recorded with its evidence; the job flags what is overdue.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.core.auth import Principal
from anju.core.db import utcnow
from anju.core.errors import Conflict, NotFound
from anju.privacy.exceptions import (
    BadPrivacyInput,
    SharingConsentMissing,
    ThirdPartyNotFound,
    VendorContractNotFound,
    VendorContractState,
)
from anju.privacy.models import SharingConsent, SharingRecord, ThirdParty, VendorContract
from anju.privacy.permissions import PrivacyPerm
from anju.privacy.schemas import (
    ShareCreate,
    SharingConsentCreate,
    ThirdPartyCreate,
    VendorContractCreate,
    VendorDisposal,
)
from anju.registry.models import Person


class SharingService:
    # --- recipients --------------------------------------------------------------------------------
    def add_third_party(self, session: Session, *, who: Principal, data: ThirdPartyCreate) -> ThirdParty:
        who.require(PrivacyPerm.manage)
        if not who.in_scope(data.compound_id):
            raise NotFound("compound not found", zh="小区不存在")
        tp = ThirdParty(compound_id=data.compound_id, name=data.name, kind=data.kind, contact=data.contact)
        session.add(tp)
        session.flush()
        return tp

    def third_parties(self, session: Session, *, who: Principal, compound_id: int) -> list[ThirdParty]:
        if not who.in_scope(compound_id):
            return []
        return list(
            session.execute(
                select(ThirdParty).where(ThirdParty.compound_id == compound_id).order_by(ThirdParty.name)
            ).scalars()
        )

    def _recipient(self, session: Session, recipient_id: int, compound_id: int) -> ThirdParty:
        tp = session.get(ThirdParty, recipient_id)
        if tp is None or tp.compound_id != compound_id or not tp.active:
            raise ThirdPartyNotFound()
        return tp

    def _person(self, session: Session, *, who: Principal, person_id: int) -> Person:
        """The person themselves, or staff with privacy.manage in the person's compound."""
        p = session.get(Person, person_id)
        if p is None:
            raise NotFound("person not found", zh="人员不存在")
        if who.person_id == p.id:
            return p
        if who.is_staff and who.can(PrivacyPerm.manage) and who.in_scope(p.compound_id):
            return p
        raise NotFound("person not found", zh="人员不存在")

    # --- consents ----------------------------------------------------------------------------------
    def give_consent(self, session: Session, *, who: Principal, data: SharingConsentCreate) -> SharingConsent:
        """A separate consent naming recipient, purpose and data types; staff enter a signed paper form."""
        p = self._person(session, who=who, person_id=data.person_id)
        tp = self._recipient(session, data.recipient_id, p.compound_id)
        given_by = "self" if who.person_id == p.id else "paper"  # staff record a form the person signed
        c = SharingConsent(
            compound_id=p.compound_id,
            person_id=p.id,
            recipient_id=tp.id,
            purpose=data.purpose,
            data_types=sorted(set(data.data_types)),
            notice_version=data.notice_version,
            given_by=given_by,
            given_at=utcnow(),
        )
        session.add(c)
        session.flush()
        return c

    def withdraw_consent(self, session: Session, *, who: Principal, consent_id: int) -> SharingConsent:
        c = session.get(SharingConsent, consent_id)
        if c is None:
            raise NotFound("consent not found", zh="未找到该同意记录")
        self._person(session, who=who, person_id=c.person_id)
        if c.withdrawn_at is not None:
            raise Conflict("consent already withdrawn", zh="已撤回")
        c.withdrawn_at = utcnow()
        session.flush()
        return c

    def consents_of(self, session: Session, *, who: Principal, person_id: int) -> list[SharingConsent]:
        p = self._person(session, who=who, person_id=person_id)
        return list(
            session.execute(
                select(SharingConsent).where(SharingConsent.person_id == p.id).order_by(SharingConsent.id)
            ).scalars()
        )

    def covering_consent(
        self, session: Session, *, person_id: int, recipient_id: int, purpose: str, data_types: list[str]
    ) -> SharingConsent | None:
        """The active consent naming this recipient and purpose and covering every data type, if any."""
        wanted = set(data_types)
        for c in session.execute(
            select(SharingConsent)
            .where(
                SharingConsent.person_id == person_id,
                SharingConsent.recipient_id == recipient_id,
                SharingConsent.purpose == purpose,
                SharingConsent.withdrawn_at.is_(None),
            )
            .order_by(SharingConsent.id.desc())
        ).scalars():
            if wanted <= set(c.data_types):
                return c
        return None

    def share(self, session: Session, *, who: Principal, data: ShareCreate) -> SharingRecord:
        """Provide a person's data to a third party: refused without the separate consent (R-P8)."""
        who.require(PrivacyPerm.manage)
        p = self._person(session, who=who, person_id=data.person_id)
        tp = self._recipient(session, data.recipient_id, p.compound_id)
        consent = self.covering_consent(
            session, person_id=p.id, recipient_id=tp.id, purpose=data.purpose, data_types=data.data_types
        )
        if consent is None:
            raise SharingConsentMissing(
                fields=[
                    {"field": "recipient_id", "value": tp.id},
                    {"field": "purpose", "value": data.purpose},
                    {"field": "data_types", "value": sorted(data.data_types)},
                ]
            )
        rec = SharingRecord(
            compound_id=p.compound_id,
            person_id=p.id,
            recipient_id=tp.id,
            consent_id=consent.id,
            purpose=data.purpose,
            data_types=sorted(set(data.data_types)),
            shared_by=who.user_id,
            shared_at=utcnow(),
        )
        session.add(rec)
        session.flush()
        return rec

    # --- processor agreements ----------------------------------------------------------------------
    def add_contract(self, session: Session, *, who: Principal, data: VendorContractCreate) -> VendorContract:
        who.require(PrivacyPerm.manage)
        if not who.in_scope(data.compound_id):
            raise NotFound("compound not found", zh="小区不存在")
        if data.ends_on <= data.starts_on:
            raise BadPrivacyInput("the agreement must end after it starts", zh="合同结束日须晚于开始日")
        c = VendorContract(
            compound_id=data.compound_id,
            vendor=data.vendor,
            purpose=data.purpose,
            data_types=sorted(set(data.data_types)),
            starts_on=data.starts_on,
            ends_on=data.ends_on,
            at_end=data.at_end,
            disposal_days=data.disposal_days,
            status="active",
        )
        session.add(c)
        session.flush()
        return c

    def _contract(self, session: Session, *, who: Principal, contract_id: int) -> VendorContract:
        who.require(PrivacyPerm.manage)
        c = session.get(VendorContract, contract_id)
        if c is None or not who.in_scope(c.compound_id):
            raise VendorContractNotFound()
        return c

    def contracts(self, session: Session, *, who: Principal) -> list[VendorContract]:
        who.require(PrivacyPerm.manage)
        return list(
            session.execute(
                select(VendorContract)
                .where(VendorContract.compound_id.in_(who.compound_ids))
                .order_by(VendorContract.ends_on)
            ).scalars()
        )

    @staticmethod
    def _end(c: VendorContract, on: date) -> None:
        c.status, c.ended_on = "ended", on
        c.disposal_due_on = on + timedelta(days=c.disposal_days)

    def end_contract(self, session: Session, *, who: Principal, contract_id: int, on: date) -> VendorContract:
        """Terminate early (or confirm the end): the return or deletion becomes due."""
        c = self._contract(session, who=who, contract_id=contract_id)
        if c.status != "active":
            raise VendorContractState()
        self._end(c, on)
        session.flush()
        return c

    def record_disposal(
        self, session: Session, *, who: Principal, contract_id: int, data: VendorDisposal
    ) -> VendorContract:
        """Record that the vendor returned or deleted the data, with the evidence (a certificate, a log)."""
        c = self._contract(session, who=who, contract_id=contract_id)
        if c.status != "ended":
            raise VendorContractState(
                "record the return or deletion once the agreement has ended", zh="合同终止后才能登记返还或删除"
            )
        expected = "returned" if c.at_end == "return" else "deleted"
        if data.method != expected:
            raise BadPrivacyInput(
                f"the agreement requires the data to be {expected}",
                zh="处置方式须与合同约定一致（返还或删除）",
                fields=[{"field": "method", "expected": expected}],
            )
        c.status, c.disposed_on = "disposed", data.on
        c.disposal_method, c.disposal_evidence, c.disposal_recorded_by = data.method, data.evidence, who.user_id
        c.disposal_overdue = False
        session.flush()
        return c

    def sweep_contracts(self, session: Session, *, today: date) -> tuple[int, int]:
        """Daily: agreements past their end date end (disposal due); disposals past due are flagged."""
        ended = 0
        for c in session.execute(
            select(VendorContract).where(VendorContract.status == "active", VendorContract.ends_on < today)
        ).scalars():
            self._end(c, c.ends_on)
            ended += 1
        flagged = 0
        for c in session.execute(
            select(VendorContract).where(
                VendorContract.status == "ended",
                VendorContract.disposal_overdue.is_(False),
                VendorContract.disposal_due_on < today,
            )
        ).scalars():
            c.disposal_overdue = True
            flagged += 1
        session.flush()
        return ended, flagged


sharing_service = SharingService()
