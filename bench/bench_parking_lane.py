"""Lane decisions over HTTP (issue 13): plate-string captures (with a guard's token, and as the lane camera signing
as a device) against a bare endpoint in the same run, p99 at a fixed 50 requests/s, and image captures end to end
(decode, read the plate, decide, record with the photo, command the barrier).

Run: .venv/bin/python bench/bench_parking_lane.py [--pg postgresql+psycopg://...EMPTY_DB] [--seconds 10]
The bare endpoint does one SELECT and one INSERT through the same session factory, without auth, scoping,
schemas, plate grammar, decision or events. Both go through the same in-process ASGI client. Every capture has a
new event id (a retry would return the stored decision and cost less).
"""

from __future__ import annotations

import argparse
import base64
import itertools
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import fixed_rate, fresh_demo_db

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "plates"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pg", help="PostgreSQL URL of an EMPTY database to use instead of SQLite")
    ap.add_argument("-n", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=10.0)
    args = ap.parse_args()
    url, build_s = fresh_demo_db(args.pg, full=False)
    print(f"demo build: {build_s:.1f} s on {url.split(':')[0]}")

    from fastapi import FastAPI
    from fastapi.testclient import TestClient
    from sqlalchemy import select, text

    from anju.core.db import new_session
    from anju.main import create_app
    from anju.parking.models import ParkingLane
    from anju.sim.demo import DEMO_PASSWORD

    with new_session() as s:
        lane = s.execute(select(ParkingLane).where(ParkingLane.name == "南门入口")).scalars().first()
        plates = [p for (p,) in s.execute(text("SELECT plate FROM vehicle WHERE compound_id = 1 LIMIT 50")).all()]
        s.execute(text("CREATE TABLE bench_row (plate VARCHAR(16))"))
        s.commit()
    assert lane is not None and plates
    app, bare = create_app(), FastAPI()

    @bare.post("/capture")
    def bare_capture(body: dict[str, str]) -> dict[str, object]:
        with new_session() as s:
            s.execute(text("SELECT id FROM vehicle WHERE plate = :p"), {"p": body["plate"]}).first()
            s.execute(text("INSERT INTO bench_row (plate) VALUES (:p)"), {"p": body["plate"]})
            s.commit()
        return {"ok": True}

    ours, base = TestClient(app), TestClient(bare)
    token = ours.post("/api/v1/auth/token", json={"username": "guard_chen", "password": DEMO_PASSWORD}).json()
    h = {"Authorization": f"Bearer {token['access_token']}"}
    ids = itertools.count()
    plate_cycle = itertools.cycle(plates)

    def ours_call() -> None:
        r = ours.post(
            f"/api/v1/parking/lanes/{lane.id}/captures",
            json={"event_id": f"b-{next(ids)}", "plate": next(plate_cycle)},
            headers=h,
        )
        assert r.status_code == 200, r.text

    def bare_call() -> None:
        assert base.post("/capture", json={"plate": next(plate_cycle)}).status_code == 200

    def timed(fn) -> list[float]:  # type: ignore[no-untyped-def]
        fn()
        out = []
        for _ in range(args.n):
            t = time.perf_counter()
            fn()
            out.append((time.perf_counter() - t) * 1000)
        return out

    from anju.sim.lane_sim import capture_body, load_lanes, post_capture

    cam = next(ln for ln in load_lanes("SFXQ") if ln.id == lane.id)

    def camera_call() -> None:  # the lane's camera, authenticated as a device (HMAC of the body)
        body = capture_body(next(plate_cycle), None, event_id=f"c-{next(ids)}")
        r = post_capture(ours, cam, body)
        assert r.status_code == 200, r.text

    a, b, c = timed(ours_call), timed(bare_call), timed(camera_call)
    ma, mb, mc = statistics.median(a), statistics.median(b), statistics.median(c)
    print(f"plate-string capture: median {ma:.2f} ms vs bare {mb:.2f} ms, ratio {ma / mb:.2f}x")
    print(f"signed camera capture: median {mc:.2f} ms, ratio {mc / mb:.2f}x bare")
    p50, p99 = fixed_rate(ours_call, 50, args.seconds)
    print(f"plate-string capture at 50 req/s for {args.seconds:.0f} s: p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    if (DATA / "ds_7.jpg").exists():
        img = base64.b64encode((DATA / "ds_7.jpg").read_bytes()).decode()

        def image_call() -> None:
            r = ours.post(
                f"/api/v1/parking/lanes/{lane.id}/captures",
                json={"event_id": f"i-{next(ids)}", "image_b64": img},
                headers=h,
            )
            assert r.status_code == 200 and r.json()["event"]["plate"] == "新H33327", r.text

        image_call()
        lat = []
        for _ in range(30):
            t = time.perf_counter()
            image_call()
            lat.append((time.perf_counter() - t) * 1000)
        lat.sort()
        print(
            f"image capture (ds_7.jpg, 1 plate) end to end: median {statistics.median(lat):.0f} ms, p99 {lat[-1]:.0f} ms"
        )


if __name__ == "__main__":
    main()
