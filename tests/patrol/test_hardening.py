"""Issue 20 in patrol: an empty NFC tag used twice (item 13) and a handover to another compound's user (item 7)."""

from __future__ import annotations

from sqlalchemy import select

from anju.accounts.models import User

API = "/api/v1/patrol"


def _route(compound_id, *tags):
    return {
        "compound_id": compound_id,
        "name": "空标签路线",
        "windows": [],
        "checkpoints": [{"name": f"点{i}", "nfc_tag": t} for i, t in enumerate(tags)],
    }


class TestEmptyNfcTag:
    def test_unhandled_500_empty_nfc_tag_used_twice_is_no_tag(self, client, login, ids):
        m = login("manager_wang")
        r = client.post(f"{API}/routes", json=_route(ids["A"], "", "  "), headers=m)
        assert r.status_code == 201, r.text
        again = client.post(f"{API}/routes", json=_route(ids["A"], ""), headers=m)
        assert again.status_code == 201, again.text
        points = client.get(f"{API}/routes/{r.json()['id']}/checkpoints", headers=m).json()
        assert [p["nfc_tag"] for p in points] == [None, None]
        scan = client.post(f"{API}/checkins", json={"nfc_tag": ""}, headers=login("guard_chen"))
        assert scan.status_code == 422

    def test_unhandled_500_padded_nfc_tag_reused_is_409(self, client, login, ids):
        m = login("manager_wang")
        assert client.post(f"{API}/routes", json=_route(ids["A"], "NFC-PAD-1"), headers=m).status_code == 201
        r = client.post(f"{API}/routes", json=_route(ids["A"], " NFC-PAD-1 "), headers=m)
        assert r.status_code == 409 and r.json()["error"]["code"] == "patrol_nfc_tag_taken"


class TestHandover:
    def test_references_into_another_compound_handover_to_outsider_is_404(self, client, login, ids, session):
        outsider = session.execute(select(User.id).where(User.username == "outsider_zhao")).scalar_one()
        g = login("guard_chen")
        r = client.post(
            f"{API}/handovers", json={"compound_id": ids["A"], "to_user_id": outsider, "note": "交班"}, headers=g
        )
        assert r.status_code == 404, r.text
        r = client.post(
            f"{API}/handovers", json={"compound_id": ids["A"], "to_user_id": 2**31 - 1, "note": "交班"}, headers=g
        )
        assert r.status_code == 404
        colleague = session.execute(select(User.id).where(User.username == "manager_wang")).scalar_one()
        ok = client.post(
            f"{API}/handovers", json={"compound_id": ids["A"], "to_user_id": colleague, "note": "交班"}, headers=g
        )
        assert ok.status_code == 201, ok.text
