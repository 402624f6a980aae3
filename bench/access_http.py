"""Gate decisions over real HTTP: card/QR/PIN vs a bare endpoint of the same app, same server, same run.

Run: .venv/bin/python bench/access_http.py [--pg URL_OF_EMPTY_DB] [-n 500 --rounds 5] [--rate 50 --seconds 8]

The app runs under uvicorn in a subprocess (one worker, as deployed per core);
the client keeps one HTTP/1.1 connection alive, as a gate terminal does.
Throughput: back-to-back requests on that connection, in interleaved rounds (bare,
card, QR, PIN, repeated), each ratio the median of the rounds'; the server
process's CPU time per request is printed too, as it shifts less with other
load on the machine. Latency: an open-loop
schedule at a fixed rate, each latency counted from the request's scheduled
time (so a slow answer also delays the ones queued behind it).
Two baselines: `bare` (one SELECT through the app's session dependencies, as every endpoint) and `bare1`
(one SELECT with the decision endpoint's own plumbing: one thread hop, its own session; see
terminal_endpoints.terminal_write). Targets (issues 3, 19): decision throughput ≥ 0.5× the bare endpoint,
p99 ≤ 20 ms. Several workers: bench/access_http_workers.py.
"""

import argparse
import http.client
import json
import math
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from _common import fixed_rate, fresh_demo_db  # noqa: E402  (after sys.path)

PIN = "482916"


def bench_app() -> Any:
    """The real app plus one bare endpoint (one SELECT, same session machinery): the baseline of every ratio.

    A factory, so that uvicorn can start it in each of several worker processes (bench/access_http_workers.py)."""
    from sqlalchemy import text
    from starlette.concurrency import run_in_threadpool

    from anju.core.db import new_session
    from anju.core.deps import ReadSession
    from anju.main import create_app

    app = create_app()

    @app.post("/bench/bare")
    def bare(session: ReadSession) -> dict[str, str]:
        session.execute(text("SELECT 1"))
        return {"decision": "allow"}

    def one_select() -> dict[str, str]:
        with new_session() as session:
            session.execute(text("SELECT 1"))
            session.commit()
        return {"decision": "allow"}

    @app.post("/bench/bare1")
    async def bare1() -> dict[str, str]:
        """The decision endpoint's own plumbing (terminal_endpoints.terminal_write): one thread hop, own session."""
        return await run_in_threadpool(one_select)

    ready = os.environ.get("BENCH_READY_DIR")
    if ready:  # several workers: the parent waits until each has built its app
        Path(ready, str(os.getpid())).touch()
    return app


def serve(port: int) -> None:
    """The child: bench_app() under uvicorn, one worker."""
    import uvicorn

    # Terminals hold their connection open between attempts; uvicorn's default drops it after 5 idle seconds.
    uvicorn.run(bench_app(), host="127.0.0.1", port=port, log_level="warning", access_log=False, timeout_keep_alive=120)


@dataclass
class Fixture:
    """What the decisions need: the compound, the gate of the demo's south terminal, Li's QR credential."""

    compound_id: int
    gate: int
    qr_id: int

    def tokens(self, k: int) -> list[str]:
        """Distinct resident QR codes of the current window (each code opens once: replay protection)."""
        from anju.access.config import access_settings
        from anju.access.signing import resident_body, sign
        from anju.core.db import transaction

        w = math.floor(time.time() / access_settings().qr_window_seconds)
        with transaction() as s:
            return [sign(s, self.compound_id, resident_body(self.compound_id, self.qr_id, w)) for _ in range(k)]


def prepare(pg_url: str | None) -> tuple[str, Fixture]:
    """A fresh demo database (compound SFXQ) with a QR and a PIN credential for resident Li."""
    # Parent and child must derive the same keys: card blind indexes and QR signatures depend on them.
    os.environ.setdefault("ANJU_ENV", "development")
    os.environ.setdefault("ANJU_SECRET_KEY", "bench-access-http")
    url, build_s = fresh_demo_db(pg_url, full=False)
    print(f"demo build: {build_s:.1f} s on {url.split(':')[0]}")

    from sqlalchemy import select, text

    from anju.access.credential_service import pin_digest
    from anju.access.enums import CredentialKind
    from anju.access.models import AccessCredential, AccessPoint
    from anju.accounts.models import User
    from anju.core.db import transaction

    with transaction() as s:
        cid = s.execute(text("SELECT id FROM compound WHERE code = 'SFXQ'")).scalar_one()
        gate = s.execute(
            select(AccessPoint.id).where(AccessPoint.compound_id == cid, AccessPoint.name == "南门人行")
        ).scalar_one()
        li = s.execute(select(User.person_id).where(User.username == "resident_li")).scalar_one()
        qr = AccessCredential(compound_id=cid, kind=CredentialKind.qr, person_id=li)
        s.add_all(
            [
                qr,
                AccessCredential(
                    compound_id=cid, kind=CredentialKind.pin, person_id=li, pin_digest=pin_digest(cid, None, PIN, li)
                ),
            ]
        )
        s.flush()
        return url, Fixture(cid, gate, qr.id)


class Client:
    """One keep-alive connection, JSON in and out."""

    def __init__(self, port: int, headers: dict[str, str]) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {"Content-Type": "application/json", **headers}

    def post(self, path: str, body: dict[str, object]) -> dict[str, object]:
        try:
            self.conn.request("POST", path, body=json.dumps(body), headers=self.headers)
            r = self.conn.getresponse()
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            self.conn.close()  # the server closed an idle connection: open a new one, as a terminal would
            self.conn.request("POST", path, body=json.dumps(body), headers=self.headers)
            r = self.conn.getresponse()
        data = r.read()
        assert r.status == 200, data
        return dict(json.loads(data))


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux): immune to other load on the machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def throughput(fn: Callable[[], object], n: int, pid: int) -> tuple[float, float]:
    """Requests per second back to back, and the server's CPU milliseconds per request."""
    for _ in range(5):
        fn()
    cpu, t = cpu_seconds(pid), time.perf_counter()
    for _ in range(n):
        fn()
    return n / (time.perf_counter() - t), (cpu_seconds(pid) - cpu) / n * 1000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/api/v1/health")
            if c.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("server did not become healthy")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pg")
    ap.add_argument("-n", type=int, default=500, help="requests per endpoint for throughput, over all rounds")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--rate", type=float, default=50)
    ap.add_argument("--seconds", type=float, default=8)
    args = ap.parse_args()
    from anju.sim.access_demo import LI_CARD, TERMINAL_SECRET

    url, fx = prepare(args.pg)
    gate, tokens = fx.gate, fx.tokens

    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--serve", str(port)],
        env={**os.environ, "ANJU_DATABASE_URL": url},
        cwd=BENCH.parent,
    )
    try:
        _wait_healthy(port, proc)
        terminal = Client(port, {"X-Device-Key": "term_SFXQ_south", "X-Device-Secret": TERMINAL_SECRET})
        plain = Client(port, {})

        def decide(kind: str, value: str) -> None:
            out = terminal.post(
                "/api/v1/terminals/decisions", {"access_point_id": gate, "credential": {"kind": kind, "value": value}}
            )
            assert out["decision"] == "allow", out

        def bare_call() -> None:
            plain.post("/bench/bare", {"access_point_id": gate})

        def bare1_call() -> None:
            plain.post("/bench/bare1", {"access_point_id": gate})

        pool: list[str] = []  # resident QR codes open once each (replay protection): a fresh one per request

        def caller(kind: str) -> Callable[[], None]:
            if kind == "bare":
                return bare_call
            if kind == "bare1":
                return bare1_call
            value = LI_CARD if kind == "card" else f"3-1-0802#{PIN}"  # room#PIN: PINs are per person
            return lambda: decide(kind, pool.pop() if kind == "qr" else value)

        kinds = ("bare", "bare1", "card", "qr", "pin")
        # Interleaved rounds: on a shared, busy machine the load drifts; each round measures the bare
        # endpoint and the decisions within seconds of each other, and the ratios are per round.
        per_round = max(20, args.n // args.rounds)
        rates: dict[str, list[float]] = {k: [] for k in kinds}
        cpus: dict[str, list[float]] = {k: [] for k in kinds}
        for _ in range(args.rounds):
            for kind in kinds:
                pool[:] = tokens(per_round + 6) if kind == "qr" else []
                t, cpu = throughput(caller(kind), per_round, proc.pid)
                rates[kind].append(t)
                cpus[kind].append(cpu)
        lat: dict[str, tuple[float, float]] = {}
        for kind in kinds:
            pool[:] = tokens(int(args.rate * args.seconds) + 1) if kind == "qr" else []
            lat[kind] = fixed_rate(caller(kind), args.rate, args.seconds)
        print(
            f"uvicorn subprocess, one keep-alive connection; {args.rounds} interleaved rounds of {per_round} "
            f"requests per endpoint; fixed rate {args.rate:.0f} req/s for {args.seconds:.0f} s; load average "
            f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
        )
        print(
            f"bare endpoint (same app, one SELECT): {statistics.median(rates['bare']):.0f} req/s, server CPU "
            f"{statistics.median(cpus['bare']):.2f} ms/req; p50 {lat['bare'][0]:.1f} ms, p99 {lat['bare'][1]:.1f} ms"
        )
        for kind in kinds[1:]:
            ratio = statistics.median(r / b for r, b in zip(rates[kind], rates["bare"], strict=True))
            ratio1 = statistics.median(r / b for r, b in zip(rates[kind], rates["bare1"], strict=True))
            cpu_ratio = statistics.median(b / c for c, b in zip(cpus[kind], cpus["bare"], strict=True))
            p50, p99 = lat[kind]
            what = "baseline" if kind == "bare1" else "decision"
            ok = "" if kind == "bare1" else " [ok]" if ratio >= 0.5 and p99 <= 20 else " [MISSES: >=0.5x, p99 <=20 ms]"
            print(
                f"{what} {kind:5}: {statistics.median(rates[kind]):.0f} req/s = {ratio:.2f}x bare, {ratio1:.2f}x bare1 "
                f"(median of rounds; server CPU {statistics.median(cpus[kind]):.2f} ms/req = {cpu_ratio:.2f}x bare's); "
                f"p50 {p50:.1f} ms, p99 {p99:.1f} ms{ok}"
            )
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--serve":
        serve(int(sys.argv[2]))
    else:
        main()
