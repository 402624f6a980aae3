"""Issue 11 item 5: resident self-registration (phone code, house claim, verification by staff or the owner)."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from anju.accounts.models import User
from anju.accounts.onboarding_models import HouseClaim
from anju.core.kit.china_time import china_date
from anju.notify.providers import phone_provider
from anju.registry.enums import OccupancyRole
from anju.registry.models import Occupancy, Person

PHONE = "13912345678"


def _last_code(phone: str) -> str:
    sent = phone_provider("logging").sent  # type: ignore[attr-defined]
    tail = phone[-4:]
    for s in reversed(sent):
        if s.phone_masked and s.phone_masked.endswith(tail):
            m = re.search(r"\b(\d{6})\b", s.text)
            assert m, s.text
            return m.group(1)
    raise AssertionError("no code sent")


def _sign_in(client, phone: str = PHONE) -> dict[str, str]:
    r = client.post("/api/v1/register/code", json={"phone": phone})
    assert r.status_code == 202, r.text
    r = client.post("/api/v1/register/verify", json={"phone": phone, "code": _last_code(phone)})
    assert r.status_code == 200, r.text
    assert r.json()["role"] == "resident"
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


class TestCodes:
    def test_self_registration_code_is_logged_in_development_and_signs_in(self, client, session):
        h = _sign_in(client)
        me = client.get("/api/v1/me", headers=h).json()
        assert me["role"] == "resident" and me["house_ids"] == [] and me["compound_ids"] == []
        user = session.get(User, me["user_id"])
        assert user.phone_masked and user.phone_bidx and "13912345678" not in (user.phone_enc or "")
        # A second sign-in with the same phone reaches the same account.
        h2 = _sign_in(client)
        assert client.get("/api/v1/me", headers=h2).json()["user_id"] == me["user_id"]

    def test_self_registration_wrong_or_reused_code_is_refused(self, client):
        client.post("/api/v1/register/code", json={"phone": PHONE})
        code = _last_code(PHONE)
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        r = client.post("/api/v1/register/verify", json={"phone": PHONE, "code": wrong})
        assert r.status_code == 422 and r.json()["error"]["fields"][0]["message"] == "wrong"
        assert client.post("/api/v1/register/verify", json={"phone": PHONE, "code": code}).status_code == 200
        r = client.post("/api/v1/register/verify", json={"phone": PHONE, "code": code})
        assert r.status_code == 422 and r.json()["error"]["fields"][0]["message"] == "expired"

    def test_self_registration_code_stops_after_too_many_wrong_attempts(self, client):
        client.post("/api/v1/register/code", json={"phone": "13912340001"})
        code = _last_code("13912340001")
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        for _ in range(5):
            client.post("/api/v1/register/verify", json={"phone": "13912340001", "code": wrong})
        r = client.post("/api/v1/register/verify", json={"phone": "13912340001", "code": code})
        assert r.status_code == 422  # the code is spent; a new one must be requested

    def test_self_registration_code_requests_are_rate_limited_per_phone(self, client):
        statuses = [client.post("/api/v1/register/code", json={"phone": "13912340002"}).status_code for _ in range(6)]
        assert statuses == [202] * 5 + [429]

    def test_self_registration_code_checks_are_rate_limited_per_phone(self, client):
        for _ in range(10):
            client.post("/api/v1/register/verify", json={"phone": "13912340003", "code": "000000"})
        client.post("/api/v1/register/code", json={"phone": "13912340003"})
        r = client.post("/api/v1/register/verify", json={"phone": "13912340003", "code": _last_code("13912340003")})
        assert r.status_code == 429

    def test_self_registration_bad_phone_is_422(self, client):
        assert client.post("/api/v1/register/code", json={"phone": "12345"}).status_code == 422

    def test_self_registration_needs_a_real_sms_provider_in_a_deployment(self, client, monkeypatch):
        """In a deployment the logging provider is off (notify settings): no code is sent, a clear 503."""
        from anju.accounts import registration_service

        class Deployed:
            phone_provider_name = None  # what NotifySettings gives in a deployment without a provider

        monkeypatch.setattr(registration_service, "notify_settings", lambda: Deployed())
        r = client.post("/api/v1/register/code", json={"phone": "13912340004"})
        assert r.status_code == 503 and r.json()["error"]["code"] == "sms_unavailable"


class TestClaims:
    def _claim(self, client, h, ids, **over):
        body = {"compound_id": ids["A"], "house_label": "3-1-0802", "name": "李小明", "role": "family", **over}
        return client.post("/api/v1/me/claims", json=body, headers=h)

    def test_self_registration_claim_for_a_missing_house_is_404(self, client, ids):
        h = _sign_in(client)
        r = self._claim(client, h, ids, house_label="99-9-9999")
        assert r.status_code == 404 and r.json()["error"]["fields"][0]["field"] == "house_label"

    def test_self_registration_same_house_claimed_twice_is_409(self, client, ids):
        h = _sign_in(client)
        assert self._claim(client, h, ids).status_code == 201
        assert self._claim(client, h, ids).status_code == 409

    def test_self_registration_tenant_needs_a_lease_end(self, client, ids):
        h = _sign_in(client)
        assert self._claim(client, h, ids, role="tenant").status_code == 422

    def test_self_registration_sees_nothing_until_staff_verify_then_moves_in(self, client, login, ids, session):
        h = _sign_in(client)
        claim = self._claim(client, h, ids).json()
        assert claim["status"] == "pending"
        assert client.get("/api/v1/me/household", headers=h).json() == []
        assert client.get(f"/api/v1/houses/{ids['li_house']}", headers=h).status_code == 404
        # Staff see the claim beside the house's roster.
        staff = login("staff_liu")
        queue = client.get("/api/v1/claims", params={"compound_id": ids["A"]}, headers=staff).json()
        mine = next(c for c in queue if c["id"] == claim["id"])
        assert mine["roster"] and not any(r["same_phone"] for r in mine["roster"])
        # Another compound's manager cannot see or decide it.
        outsider = login("outsider_zhao")
        assert client.post(f"/api/v1/claims/{claim['id']}/verify", headers=outsider).status_code == 404
        r = client.post(f"/api/v1/claims/{claim['id']}/verify", headers=staff)
        assert r.status_code == 200 and r.json()["status"] == "verified"
        households = client.get("/api/v1/me/household", headers=h).json()
        assert [hh["house"]["id"] for hh in households] == [ids["li_house"]]
        row = session.get(HouseClaim, claim["id"])
        occ = session.execute(
            select(Occupancy).where(Occupancy.person_id == row.person_id, Occupancy.ended_on.is_(None))
        ).scalar_one()
        assert occ.house_id == ids["li_house"] and occ.role.value == "family"
        assert client.post(f"/api/v1/claims/{claim['id']}/verify", headers=staff).status_code == 409

    def test_self_registration_links_to_the_roster_person_with_the_same_phone(self, client, login, ids, session):
        from anju.registry.service import set_phone

        li = session.get(Person, ids["li_person"])
        set_phone(li, "13912340099")
        session.flush()
        h = _sign_in(client, "13912340099")
        claim = self._claim(client, h, ids, role="owner", name="李明").json()
        staff = login("manager_wang")
        queue = client.get("/api/v1/claims", params={"compound_id": ids["A"]}, headers=staff).json()
        assert any(r["same_phone"] for r in next(c for c in queue if c["id"] == claim["id"])["roster"])
        occupancies_before = session.execute(select(Occupancy.id).where(Occupancy.person_id == li.id)).all()
        assert client.post(f"/api/v1/claims/{claim['id']}/verify", headers=staff).status_code == 200
        me = client.get("/api/v1/me", headers=h).json()
        assert me["person_id"] == li.id and ids["li_house"] in me["house_ids"]
        assert session.execute(select(Occupancy.id).where(Occupancy.person_id == li.id)).all() == occupancies_before

    def test_self_registration_owner_approves_a_tenant(self, client, login, ids, session):
        h = _sign_in(client, "13912340077")
        lease = (china_date() + timedelta(days=365)).isoformat()
        claim = self._claim(client, h, ids, role="tenant", name="租客张", lease_end=lease).json()
        owner = login("resident_li")
        waiting = client.get("/api/v1/me/house-claims", headers=owner).json()
        assert [c["id"] for c in waiting] == [claim["id"]]
        # Someone who does not own the house cannot approve it.
        other = _sign_in(client, "13912340066")
        assert client.post(f"/api/v1/me/house-claims/{claim['id']}/approve", headers=other).status_code == 404
        r = client.post(f"/api/v1/me/house-claims/{claim['id']}/approve", headers=owner)
        assert r.status_code == 200 and r.json()["decided_as"] == "owner"
        assert ids["li_house"] in client.get("/api/v1/me", headers=h).json()["house_ids"]

    def test_self_registration_owner_cannot_approve_another_owner(self, client, login, ids):
        h = _sign_in(client, "13912340055")
        claim = self._claim(client, h, ids, role="owner").json()
        owner = login("resident_li")
        assert client.get("/api/v1/me/house-claims", headers=owner).json() == []
        r = client.post(f"/api/v1/me/house-claims/{claim['id']}/approve", headers=owner)
        assert r.status_code == 403

    def test_self_registration_staff_reject_with_a_reason(self, client, login, ids):
        h = _sign_in(client, "13912340044")
        claim = self._claim(client, h, ids).json()
        r = client.post(
            f"/api/v1/claims/{claim['id']}/reject", json={"reason": "名册无此人"}, headers=login("staff_liu")
        )
        assert r.status_code == 200 and r.json()["status"] == "rejected"
        mine = client.get("/api/v1/me/claims", headers=h).json()
        assert mine[0]["status"] == "rejected" and mine[0]["reason"] == "名册无此人"
        # A rejected claim may be filed again.
        assert self._claim(client, h, ids).status_code == 201

    def test_self_registration_guard_cannot_verify_claims(self, client, login, ids):
        h = _sign_in(client, "13912340033")
        claim = self._claim(client, h, ids).json()
        assert client.post(f"/api/v1/claims/{claim['id']}/verify", headers=login("guard_chen")).status_code == 403


def test_self_registration_code_limits_hold_under_parallel_requests(tmp_path):
    """20 parallel code requests for one phone: exactly the limit get a code, the rest 429 (counted atomically)."""
    from collections import Counter

    from anju.accounts.registration_service import registration_service, registration_settings
    from anju.core import db as core_db
    from anju.core.errors import RateLimited
    from tests.access.test_limits import _parallel
    from tests.core.databases import dedicated_database

    limit = registration_settings().code_requests_per_phone
    with dedicated_database(tmp_path, "regcode_race", seed=False) as (_, engine):

        def attempt(i: int) -> str:
            with core_db.new_session() as s:
                try:
                    registration_service.request_code(s, phone="13912347777", ip=f"10.1.0.{i}")
                    s.commit()
                except RateLimited:
                    return "429"
                return "202"

        tally = _parallel(20, attempt)
        assert tally == Counter({"202": limit, "429": 20 - limit}), tally
        engine.dispose()


def test_self_registration_parallel_claims_of_one_house_make_one_claim(tmp_path):
    """Two parallel claims of the same house by one account: one is filed, the other is a 409."""
    from collections import Counter

    from anju.accounts.registration_service import registration_service
    from anju.accounts.service import account_service
    from anju.core import db as core_db
    from anju.core.errors import Conflict
    from anju.registry.models import Compound
    from tests.access.test_limits import _parallel
    from tests.core.databases import dedicated_database

    with dedicated_database(tmp_path, "claim_race", seed=True) as (_, engine):
        with core_db.new_session() as s:
            a = s.execute(select(Compound.id).where(Compound.code == "SFXQ")).scalar_one()
            user = User(username="m_race", display_name="race", password_hash="x", role="resident")
            s.add(user)
            s.commit()
            who = account_service.principal(s, user)

        def attempt(i: int) -> str:
            with core_db.new_session() as s:
                try:
                    registration_service.claim(
                        s, who=who, compound_id=a, house_label="3-1-0802", name="并发", role=OccupancyRole.family
                    )
                    s.commit()
                except Conflict:
                    return "409"
                return "201"

        tally = _parallel(4, attempt)
        assert tally == Counter({"201": 1, "409": 3}), tally
        with core_db.new_session() as s:
            assert len(list(s.execute(select(HouseClaim).where(HouseClaim.user_id == who.user_id)).scalars())) == 1
        engine.dispose()
