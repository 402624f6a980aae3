"""Gate decisions on SQLite under parallel load: with the terminal write turn vs without it, same run.

Run: .venv/bin/python bench/access_sqlite_load.py [--threads 32] [--per-thread 15] [--rounds 2]

Many threads post card decisions at once through the in-process ASGI client (the server's thread
pool runs them in parallel). "ungated" is the same endpoint with the write turn bypassed (the code
before issue 20 item 14a): every thread contends through SQLite's own busy handler. Prints answers
per second, the share of 503 busy answers and of errors, and the gated/ungated throughput ratio.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import fresh_demo_db


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=32)
    ap.add_argument("--per-thread", type=int, default=15)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    _, build_s = fresh_demo_db(None, full=False)
    print(f"demo build: {build_s:.1f} s on sqlite")

    from fastapi.testclient import TestClient
    from sqlalchemy import select

    from anju.access import terminal_endpoints
    from anju.access.models import AccessPoint
    from anju.core.db import transaction
    from anju.main import create_app
    from anju.sim.access_demo import LI_CARD, TERMINAL_SECRET

    with transaction() as s:
        gate = s.execute(select(AccessPoint.id).where(AccessPoint.name == "南门人行")).scalars().first()
    headers = {"X-Device-Key": "term_SFXQ_south", "X-Device-Secret": TERMINAL_SECRET}
    gated = terminal_endpoints.in_write_turn

    def ungated(session, work):  # type: ignore[no-untyped-def]
        return work()  # the request boundary commits, as before the write turn

    def run(client: TestClient) -> tuple[float, Counter[str]]:
        tally: Counter[str] = Counter()
        lock = threading.Lock()
        barrier = threading.Barrier(args.threads)

        def worker() -> None:
            barrier.wait()
            for _ in range(args.per_thread):
                body = {"access_point_id": gate, "credential": {"kind": "card", "value": LI_CARD}}
                r = client.post("/api/v1/terminals/decisions", headers=headers, json=body)
                key = "ok" if r.status_code == 200 else "busy" if r.status_code == 503 else f"error {r.status_code}"
                with lock:
                    tally[key] += 1

        threads = [threading.Thread(target=worker) for _ in range(args.threads)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return sum(tally.values()) / (time.perf_counter() - started), tally

    with TestClient(create_app(), raise_server_exceptions=False) as client:
        client.post("/api/v1/terminals/decisions", headers=headers, json={})  # device-key cache
        rates: dict[str, list[float]] = {"gated": [], "ungated": []}
        for _ in range(args.rounds):  # interleaved: a shared machine's load drifts
            for name, fn in (("ungated", ungated), ("gated", gated)):
                terminal_endpoints.in_write_turn = fn  # type: ignore[assignment]
                rate, tally = run(client)
                rates[name].append(rate)
                total = sum(tally.values())
                print(
                    f"{name:8}: {rate:6.0f} answers/s, ok {tally['ok'] / total:.0%}, busy {tally['busy'] / total:.0%}, "
                    f"errors {sum(v for k, v in tally.items() if k.startswith('error')) / total:.0%} {dict(tally)}"
                )
        terminal_endpoints.in_write_turn = gated
    ratio = sum(rates["gated"]) / max(sum(rates["ungated"]), 1e-9)
    print(f"gated / ungated answers per second: {ratio:.2f}x ({args.threads} threads)")


if __name__ == "__main__":
    main()
