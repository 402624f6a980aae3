"""Who may receive a dispatched alarm: one rule (accounts.staff_of + alarms.dispatch_roles) for service and page."""

from __future__ import annotations

from sqlalchemy import text

from anju.accounts.service import staff_of
from anju.alarms.service import dispatch_roles
from anju.core.rbac import Role
from anju.web.alarms_pages import dispatch_targets
from tests.alarms.test_alarm_centre import raise_


def _user(session, username: str) -> int:
    return session.execute(text("SELECT id FROM app_user WHERE username=:u"), {"u": username}).scalar_one()


class TestDispatchTargets:
    def test_staff_of_one_home_page_and_service_agree(self, client, login, session, ids):
        """The control room offers exactly the people the alarm service accepts (they used to disagree)."""
        offered = {uid for uid, _name, _role in dispatch_targets(session, ids["A"])}
        staff = {u.id for u in staff_of(session, ids["A"])}
        for uid in staff:
            a = raise_(session, ids)
            r = client.post(f"/api/v1/alarms/{a}/dispatch", json={"user_id": uid}, headers=login("guard_chen"))
            assert (r.status_code == 200) == (uid in offered), (uid, r.text)

    def test_grid_worker_without_alarms_handle_is_not_a_dispatch_target(self, client, login, session, ids):
        assert Role.grid_worker not in dispatch_roles()
        a = raise_(session, ids)
        zhou = _user(session, "grid_zhou")
        assert zhou not in {uid for uid, _n, _r in dispatch_targets(session, ids["A"])}
        r = client.post(f"/api/v1/alarms/{a}/dispatch", json={"user_id": zhou}, headers=login("guard_chen"))
        assert r.status_code == 422

    def test_inactive_staff_is_not_offered(self, session, ids):
        liu = _user(session, "staff_liu")
        assert liu in {u.id for u in staff_of(session, ids["A"], [Role.property_staff])}
        session.execute(text("UPDATE app_user SET active = :f WHERE id = :i"), {"f": False, "i": liu})
        assert liu not in {u.id for u in staff_of(session, ids["A"], [Role.property_staff])}
