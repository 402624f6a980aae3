"""The demo shows decoration applications (issue 18): one approved with workers' passes, one waiting."""

from sqlalchemy import select

from anju.decoration.models import DecorationApplication, DecorationWorker


def test_demo_has_an_approved_and_a_waiting_application(session, ids):
    apps = list(
        session.execute(select(DecorationApplication).where(DecorationApplication.compound_id == ids["A"])).scalars()
    )
    assert sorted(a.status for a in apps) == ["approved", "submitted"]
    assert all(a.house_id != ids["li_house"] for a in apps)
    approved = next(a for a in apps if a.status == "approved")
    workers = session.execute(select(DecorationWorker).where(DecorationWorker.application_id == approved.id)).scalars()
    assert all(w.visitor_pass_id for w in workers)
