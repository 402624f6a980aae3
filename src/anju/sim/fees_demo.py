"""Demo data for the fees domain, built after the registry, accounts, devices and access demo."""

from __future__ import annotations

from sqlalchemy.orm import Session


def build_fees_demo(session: Session, *, compound_id: int, li_person_id: int, committee_person_id: int) -> None:
    """Seed this domain's demo rows for compound `compound_id`. Caller commits."""
