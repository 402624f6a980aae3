"""Privacy jobs: overdue data-subject requests, erasure, breach deadlines, vendor disposal, R-P10."""

from __future__ import annotations

from datetime import timedelta

from anju.core.db import transaction, utcnow
from anju.core.jobs import job
from anju.core.kit.china_time import china_date
from anju.privacy.breach_service import breach_service
from anju.privacy.compliance_service import compliance_service
from anju.privacy.retention import retention_service
from anju.privacy.service import privacy_service
from anju.privacy.sharing_service import sharing_service


@job("privacy.flag_overdue_requests", every=timedelta(hours=1))
def flag_overdue_requests() -> None:
    with transaction() as session:
        privacy_service.flag_overdue(session, today=china_date())


@job("privacy.erase_departed", every=timedelta(hours=6))
def erase_departed() -> None:
    """Erase personal data of people gone longer than the retention period (R-P4)."""
    with transaction() as session:
        retention_service.erase_departed(session, today=china_date())


@job("privacy.breach_deadlines", every=timedelta(minutes=15))
def breach_deadlines() -> None:
    """R-P7: flag breaches whose regulator or individual notice is past its deadline."""
    with transaction() as session:
        breach_service.flag_overdue(session, now=utcnow())


@job("privacy.vendor_contracts", every=timedelta(hours=6))
def vendor_contracts() -> None:
    """R-P8: end agreements past their end date and flag returns or deletions past due."""
    with transaction() as session:
        sharing_service.sweep_contracts(session, today=china_date())


@job("privacy.compliance_check", every=timedelta(days=1))
def compliance_check() -> None:
    """R-P10: count people platform-wide; raise the audit reminder and the important-data checklist."""
    with transaction() as session:
        compliance_service.check(session, today=china_date())
