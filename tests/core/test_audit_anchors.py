"""Chain-head anchors (issue 19): every audit chain's head in a Merkle root, anchors chained, verify names the row.

A compound's chain rewritten consistently from a row to its end (every hash recomputed) passes its own
verification; the anchor taken before still holds the old head, so `verify_anchors` and `anju audit verify` name
the table, the compound and the row, while the other compound stays clean (R-P5).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from anju.core.audit import (
    AuditAnchor,
    ObjectChange,
    _digest,
    _payload,
    anchor_heads,
    chain_heads,
    merkle_root,
    verify_anchors,
    verify_chains,
)
from tests.core.test_audit_chains import _chain, _change, _drop_guard

AT = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


@pytest.mark.db_agnostic
def test_merkle_root_pairs_an_odd_leaf_with_itself():
    import hashlib

    h = lambda a, b: hashlib.sha256((a + b).encode()).hexdigest()  # noqa: E731
    assert merkle_root([]) == "" and merkle_root(["x"]) == "x"
    assert merkle_root(["a", "b", "c"]) == h(h("a", "b"), h("c", "c"))


class TestAnchors:
    def test_r_p5_an_anchor_holds_every_chains_head_and_links_to_the_last(self, session, ids):
        a, b = ids["A"], ids["B"]
        _change(session, a, 1)
        _change(session, b, 1)
        first = anchor_heads(session, at=AT)
        assert first is not None
        heads = {(t, c): (i, h) for t, c, i, h in first.heads}
        head_a = _chain(session, ObjectChange, a)[-1]
        assert heads[("object_change", a)] == (head_a.id, head_a.row_hash)
        assert anchor_heads(session, at=AT) is None  # nothing moved: no new anchor
        _change(session, a, 2)
        second = anchor_heads(session, at=AT)
        assert second is not None and second.prev_hash == first.anchor_hash
        assert second.heads == chain_heads(session)
        n, problems = verify_anchors(session)
        assert n >= 2 and problems == []

    def test_r_p5_a_chain_rewritten_to_its_end_passes_its_own_check_but_not_the_anchor(self, session, ids):
        a, b = ids["A"], ids["B"]
        for k in range(3):
            _change(session, a, k)
            _change(session, b, k)
        anchor_heads(session, at=AT)
        last = _chain(session, ObjectChange, a)[-1]
        _drop_guard(session, "object_change")
        session.execute(text("UPDATE object_change SET entity_id = 999 WHERE id = :id"), {"id": last.id})
        session.expire_all()
        row = session.get(ObjectChange, last.id)
        forged = _digest(row.prev_hash, _payload(row))  # the forger recomputes the hash: the chain stays whole
        session.execute(text("UPDATE object_change SET row_hash = :h WHERE id = :id"), {"h": forged, "id": last.id})
        session.expire_all()
        assert verify_chains(session, ObjectChange, compound_id=a)[a].intact
        _, problems = verify_anchors(session)
        assert [(p.what, p.compound_id, p.row_id) for p in problems] == [("object_change", a, last.id)]
        assert verify_anchors(session, compound_id=b)[1] == []

        from typer.testing import CliRunner

        from anju.cli import app

        session.flush()
        out = CliRunner().invoke(app, ["audit", "verify"])
        assert out.exit_code == 1
        assert f"object_change row {last.id} (compound {a}) no longer matches" in out.output

    def test_two_anchors_cannot_extend_the_same_predecessor(self, session, ids):
        _change(session, ids["A"], 1)
        first = anchor_heads(session, at=AT)
        assert first is not None
        with pytest.raises(IntegrityError), session.begin_nested():
            session.add(AuditAnchor(at=AT, heads=[], root="", prev_hash=first.prev_hash, anchor_hash="rival"))
            session.flush()
        assert session.execute(select(AuditAnchor.id).where(AuditAnchor.anchor_hash == "rival")).first() is None
