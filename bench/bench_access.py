"""Gate decision endpoint vs a bare endpoint of the same app, same run; p50/p99 at a fixed rate.

Run: .venv/bin/python bench/bench_access.py [--pg URL_OF_EMPTY_DB] [-n 300] [--rate 50 --seconds 10]
Throughput: sequential requests through the in-process ASGI client. Latency: an open-loop
schedule at a fixed rate; each latency counts from the request's scheduled time.
Targets (issue 3): throughput ≥ 0.5× the bare endpoint, p99 ≤ 20 ms.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import fixed_rate, fresh_demo_db


def throughput(fn: Callable[[], object], n: int) -> float:
    fn()
    t = time.perf_counter()
    for _ in range(n):
        fn()
    return n / (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pg")
    ap.add_argument("-n", type=int, default=300)
    ap.add_argument("--rate", type=float, default=50)
    ap.add_argument("--seconds", type=float, default=8)
    args = ap.parse_args()
    url, build_s = fresh_demo_db(args.pg)
    print(f"demo build: {build_s:.1f} s on {url.split(':')[0]}")

    from fastapi.testclient import TestClient
    from sqlalchemy import select, text

    from anju.access.config import access_settings
    from anju.access.credential_service import pin_digest
    from anju.access.enums import CredentialKind
    from anju.access.models import AccessCredential, AccessPoint
    from anju.access.signing import resident_body, sign
    from anju.accounts.models import User
    from anju.core.db import new_session, transaction
    from anju.main import create_app
    from anju.sim.access_demo import LI_CARD, TERMINAL_SECRET

    app = create_app()

    @app.post("/bench/bare")
    def bare() -> dict[str, str]:
        with new_session() as s:
            s.execute(text("SELECT 1"))
        return {"decision": "allow"}

    with transaction() as s:
        cid = s.execute(text("SELECT id FROM compound WHERE code = 'SFXQ'")).scalar_one()
        gate = s.execute(select(AccessPoint.id).where(AccessPoint.name == "南门人行")).scalar_one()
        li = s.execute(select(User.person_id).where(User.username == "resident_li")).scalar_one()
        qr = AccessCredential(compound_id=cid, kind=CredentialKind.qr, person_id=li)
        s.add_all(
            [
                qr,
                AccessCredential(
                    compound_id=cid,
                    kind=CredentialKind.pin,
                    person_id=li,
                    pin_digest=pin_digest(cid, None, "482916", li),
                ),
            ]
        )
        s.flush()
        qr_id = qr.id

    def tokens(k: int) -> list[str]:
        w = math.floor(time.time() / access_settings().qr_window_seconds)
        with transaction() as s:
            return [sign(s, cid, resident_body(cid, qr_id, w)) for _ in range(k)]

    c = TestClient(app)
    h = {"X-Device-Key": "term_SFXQ_south", "X-Device-Secret": TERMINAL_SECRET}

    def post(kind: str, value: str) -> None:
        r = c.post(
            "/api/v1/terminals/decisions",
            headers=h,
            json={"access_point_id": gate, "credential": {"kind": kind, "value": value}},
        )
        assert r.status_code == 200 and r.json()["decision"] == "allow", r.text

    def bare_call() -> None:
        assert c.post("/bench/bare", json={"access_point_id": gate}).status_code == 200

    t_bare = throughput(bare_call, args.n)
    print(f"bare endpoint (same app, one SELECT): {t_bare:.0f} req/s")
    for kind in ("card", "qr", "pin"):
        if kind == "qr":
            pool = [iter(tokens(args.n + 1))]  # refilled below: each code opens once (replay protection)
            fn: Callable[[], None] = lambda p=pool: post("qr", next(p[0]))  # type: ignore[misc]  # noqa: E731
        else:
            value = LI_CARD if kind == "card" else "3-1-0802#482916"  # room#PIN: PINs are per person
            fn = lambda v=value, k=kind: post(k, v)  # type: ignore[misc]  # noqa: E731
        t = throughput(fn, args.n)
        if kind == "qr":
            pool[0] = iter(tokens(int(args.rate * args.seconds) + 1))
        p50, p99 = fixed_rate(fn, args.rate, args.seconds)
        print(
            f"decision {kind:4}: {t:.0f} req/s = {t / t_bare:.2f}x bare; at {args.rate:.0f} req/s "
            f"p50 {p50:.1f} ms, p99 {p99:.1f} ms"
        )
    bp50, bp99 = fixed_rate(bare_call, args.rate, args.seconds)
    print(f"bare at {args.rate:.0f} req/s: p50 {bp50:.1f} ms, p99 {bp99:.1f} ms")


if __name__ == "__main__":
    main()
