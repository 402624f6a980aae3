"""Gate decisions over HTTP with several uvicorn worker processes on PostgreSQL: aggregate throughput and
open-loop latency, card/QR/PIN against the bare endpoint of the same app, same server, same run (issue 19).

Run: .venv/bin/python bench/access_http_workers.py --pg URL_OF_EMPTY_DB [--workers 1,2,3,4]
     [--rates 200,500,1000] [--seconds 3] [--rounds 2] [--conns 32]   (about 8 minutes)

For each worker count the app (bench/access_http.py's bench_app: the real app plus /bench/bare, one SELECT)
runs under `uvicorn --workers N` in a subprocess (as `anju serve --workers N`), then:
- Closed loop (capacity): Debian's `wrk` (C, one thread, --conns keep-alive connections) posts back to back,
  in interleaved rounds (bare, bare1, card, QR, PIN, repeated); each ratio is the median over rounds of
  its req/s over a baseline's in the same round: `bare` is one SELECT through the app's session dependencies,
  `bare1` one SELECT with the decision endpoint's own plumbing (one thread hop, its own session). Card and PIN requests are fixed (no record id, no
  nonce: each is a new attempt, logged and published); QR codes open once each (replay protection), so a
  Lua script hands out pre-signed tokens, one per request. The Lua script counts any answer that is not
  200 "allow" as an error.
- Open loop (latency): a separate asyncio process sends at a fixed rate over --conns keep-alive
  connections; each latency counts from the request's scheduled time. Its own CPU is printed.
PIN attempts at one door and for one room hold that door's and room's attempt counters (row locks) until they
commit, by design (wrong PINs count per door and per room, and parallel guesses must not see a stale count): all
connections here type at one door for one room, so PIN's closed-loop figure is that lock's turnover (about one
commit at a time), not CPU; a keypad sends one attempt at a time.
CPU per request is printed for the server (all worker processes), the PostgreSQL backends of the bench
database, and the load generator: on a 2-core box their sum bounds the aggregate rate.
Afterwards every decision made is checked: one log row and one outbox event each, no denial.
Targets (issue 19): decisions >= 0.5x bare per worker; 1,000 req/s with p99 <= 20 ms with several workers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from access_http import PIN, Fixture, _free_port, _wait_healthy, cpu_seconds, prepare  # noqa: E402

KINDS = ("bare", "bare1", "card", "qr", "pin")
DECISIONS = ("card", "qr", "pin")
TICK = os.sysconf("SC_CLK_TCK")

WRK_LUA = r"""
wrk.method = "POST"
local tokens, n, bad = {}, 0, 0
local body_tpl = os.getenv("BENCH_BODY")
local token_file = os.getenv("BENCH_TOKENS")
function init(args)
  if token_file ~= nil and token_file ~= "" then
    for line in io.lines(token_file) do tokens[#tokens + 1] = line end
  end
end
function request()
  if #tokens > 0 then
    n = n + 1
    local t = tokens[n] or tokens[#tokens]  -- past the end: a replay, counted as an error below
    return wrk.format(nil, nil, nil, (body_tpl:gsub("TOKEN", t)))
  end
  return wrk.format(nil, nil, nil, body_tpl)
end
function response(status, headers, body)
  if status ~= 200 or not body:find('"allow"', 1, true) then bad = bad + 1 end
end
function done(summary, latency, requests)
  io.write(string.format("p99_us %d\nnot_allow %d\n", latency:percentile(99), bad))
end
"""


def server(port: int, workers: int) -> None:
    """The child: bench_app under uvicorn with N worker processes (a factory, imported in each)."""
    import uvicorn

    uvicorn.run(
        "access_http:bench_app",
        factory=True,
        workers=workers,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        timeout_keep_alive=120,
    )


def _descendants(pid: int) -> list[int]:
    """The process and all its descendants (uvicorn's supervisor and its spawned workers)."""
    children: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(d.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def _cpu(pids: list[int]) -> dict[int, float]:
    out = {}
    for p in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            out[p] = cpu_seconds(p)
    return out


class Meter:
    """CPU seconds spent by the server's processes and the bench database's PostgreSQL backends."""

    def __init__(self, server_pid: int, dbname: str) -> None:
        self.server_pid, self.dbname = server_pid, dbname

    def _pg_pids(self) -> list[int]:
        from sqlalchemy import text

        from anju.core.db import transaction

        with transaction() as s:
            return list(
                s.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = :d"), {"d": self.dbname}).scalars()
            )

    def snapshot(self) -> tuple[dict[int, float], dict[int, float]]:
        return _cpu(_descendants(self.server_pid)), _cpu(self._pg_pids())

    def since(self, snap: tuple[dict[int, float], dict[int, float]]) -> tuple[float, float]:
        now = self.snapshot()
        return tuple(  # type: ignore[return-value]
            sum(v - before.get(p, 0.0) for p, v in after.items()) for before, after in zip(snap, now, strict=True)
        )


def _body(fx: Fixture, kind: str) -> str:
    from anju.sim.access_demo import LI_CARD

    if kind.startswith("bare"):
        return json.dumps({"access_point_id": fx.gate})
    value = {"card": LI_CARD, "pin": f"3-1-0802#{PIN}", "qr": "TOKEN"}[kind]
    return json.dumps({"access_point_id": fx.gate, "credential": {"kind": kind, "value": value}})


def _headers(kind: str) -> dict[str, str]:
    from anju.sim.access_demo import TERMINAL_SECRET

    h = {"Content-Type": "application/json"}
    if not kind.startswith("bare"):
        h |= {"X-Device-Key": "term_SFXQ_south", "X-Device-Secret": TERMINAL_SECRET}
    return h


def _path(kind: str) -> str:
    return f"/bench/{kind}" if kind.startswith("bare") else "/api/v1/terminals/decisions"


def _token_file(fx: Fixture, k: int, tmp: Path) -> Path:
    f = tmp / "tokens.txt"
    f.write_text("\n".join(fx.tokens(k)) + "\n")
    return f


def run_wrk(port: int, fx: Fixture, kind: str, seconds: float, conns: int, tmp: Path, meter: Meter) -> dict[str, float]:
    lua = tmp / "bench.lua"
    lua.write_text(WRK_LUA)
    env = {**os.environ, "BENCH_BODY": _body(fx, kind), "BENCH_TOKENS": ""}
    if kind == "qr":
        env["BENCH_TOKENS"] = str(_token_file(fx, int(3000 * seconds) + conns, tmp))
    cmd = ["wrk", "-t1", f"-c{conns}", f"-d{max(1, round(seconds))}s", "--timeout", "10s", "-s", str(lua)]
    for k, v in _headers(kind).items():
        cmd += ["-H", f"{k}: {v}"]
    cmd.append(f"http://127.0.0.1:{port}{_path(kind)}")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    snap = meter.snapshot()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    srv, pg = meter.since(snap)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    gen = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p99": int(re.search(r"p99_us (\d+)", out).group(1)) / 1000,  # type: ignore[union-attr]
        "bad": int(re.search(r"not_allow (\d+)", out).group(1)),  # type: ignore[union-attr]
        "n": total,
        "srv_ms": srv / max(1, total) * 1000,
        "pg_ms": pg / max(1, total) * 1000,
        "gen_ms": gen / max(1, total) * 1000,
    }


# --- the open-loop generator (a separate process) ----------------------------------------------------------
async def _open_loop(
    port: int, head: bytes, body_tpl: bytes, tokens: list[bytes], rate: float, seconds: float, conns: int
) -> dict[str, float]:
    free: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(conns):
        free.put_nowait(await asyncio.open_connection("127.0.0.1", port))
    lat: list[float] = []
    bad = 0

    async def one(i: int, due: float) -> None:
        nonlocal bad
        r, w = await free.get()
        body = body_tpl.replace(b"TOKEN", tokens[i]) if tokens else body_tpl
        w.write(head + str(len(body)).encode() + b"\r\n\r\n" + body)
        status = await r.readline()
        length = 0
        while (line := await r.readline()) not in (b"\r\n", b""):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        data = await r.readexactly(length)
        lat.append(time.perf_counter() - due)
        if b" 200 " not in status or b'"allow"' not in data:
            bad += 1
        free.put_nowait((r, w))

    n = int(rate * seconds)
    tasks = []
    start = time.perf_counter() + 0.05
    for i in range(n):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, due)))
    await asyncio.gather(*tasks)
    wall = time.perf_counter() - start
    lat.sort()
    return {
        "rps": n / wall,
        "p50": statistics.median(lat) * 1000,
        "p99": lat[min(len(lat) - 1, math.ceil(0.99 * len(lat)) - 1)] * 1000,
        "bad": bad,
        "n": n,
    }


def load_main(spec_file: str) -> None:
    """The child: one open-loop run described by a JSON file; prints its result (with its own CPU) as JSON."""
    spec = json.loads(Path(spec_file).read_text())
    head = f"POST {spec['path']} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode()
    head += "".join(f"{k}: {v}\r\n" for k, v in spec["headers"].items()).encode() + b"Content-Length: "
    tokens = [t.encode() for t in Path(spec["tokens"]).read_text().split()] if spec["tokens"] else []
    res = asyncio.run(
        _open_loop(spec["port"], head, spec["body"].encode(), tokens, spec["rate"], spec["seconds"], spec["conns"])
    )
    ru = resource.getrusage(resource.RUSAGE_SELF)
    res["gen_cpu_s"] = ru.ru_utime + ru.ru_stime
    print(json.dumps(res))


def run_open(
    port: int, fx: Fixture, kind: str, rate: float, seconds: float, conns: int, tmp: Path, meter: Meter
) -> dict[str, float]:
    spec = {
        "port": port,
        "path": _path(kind),
        "headers": _headers(kind),
        "body": _body(fx, kind),
        "tokens": str(_token_file(fx, int(rate * seconds) + 1, tmp)) if kind == "qr" else "",
        "rate": rate,
        "seconds": seconds,
        "conns": conns,
    }
    f = tmp / "load.json"
    f.write_text(json.dumps(spec))
    snap = meter.snapshot()
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--load", str(f)], capture_output=True, text=True, check=True
    ).stdout
    srv, pg = meter.since(snap)
    res: dict[str, float] = json.loads(out)
    res["srv_ms"] = srv / res["n"] * 1000
    res["pg_ms"] = pg / res["n"] * 1000
    res["gen_ms"] = res["gen_cpu_s"] / res["n"] * 1000
    return res


def _check_every_decision_logged_and_published(fx: Fixture, since_id: int) -> tuple[int, int, int]:
    from sqlalchemy import func, select

    from anju.access.models import AccessLog
    from anju.core.db import transaction
    from anju.core.events import OutboxEvent

    with transaction() as s:
        logs = s.execute(
            select(func.count(), func.count().filter(AccessLog.decision == "deny")).where(AccessLog.id > since_id)
        ).one()
        events = s.execute(
            select(func.count()).where(OutboxEvent.topic.in_(["access.AccessGranted", "access.AccessDenied"]))
        ).scalar_one()
    return int(logs[0]), int(logs[1]), int(events)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pg", required=True, help="URL of an empty PostgreSQL database")
    ap.add_argument("--workers", default="1,2,3,4")
    ap.add_argument("--rates", default="200,500,1000")
    ap.add_argument("--seconds", type=float, default=3)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--conns", type=int, default=32, help="keep-alive connections (terminals)")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (Debian: apt-get install -y wrk)")
    url, fx = prepare(args.pg)
    dbname = url.rsplit("/", 1)[1].split("?")[0]
    workers = [int(x) for x in args.workers.split(",")]
    rates = [float(x) for x in args.rates.split(",")]
    tmp = Path(tempfile.mkdtemp(prefix="anju-gate-"))
    load0 = os.getloadavg()[0]
    print(
        f"wrk -t1 -c{args.conns} (closed loop, {args.rounds} interleaved rounds of {args.seconds:.0f} s per "
        f"endpoint); open loop at {args.rates} req/s for {args.seconds:.0f} s over {args.conns} connections; "
        f"{os.cpu_count()} CPUs, load average {load0:.1f} at start"
    )
    closed: dict[int, dict[str, list[dict[str, float]]]] = {}
    opened: dict[int, dict[tuple[float, str], dict[str, float]]] = {}
    for n in workers:
        port = _free_port()
        ready = Path(tempfile.mkdtemp(prefix="anju-gate-ready-"))
        proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--serve", str(port), str(n)],
            env={**os.environ, "ANJU_DATABASE_URL": url, "BENCH_READY_DIR": str(ready)},
            cwd=BENCH.parent,
        )
        try:
            _wait_healthy(port, proc)
            deadline = time.monotonic() + 180
            while len(list(ready.iterdir())) < n:  # every worker has built its app, not just the first
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise SystemExit(f"{n} workers did not start")
                time.sleep(0.2)
            meter = Meter(proc.pid, dbname)
            for kind in KINDS:  # warm every worker: connections, compiled statements
                run_wrk(port, fx, kind, 1, args.conns, tmp, meter)
            closed[n] = {k: [] for k in KINDS}
            for _ in range(args.rounds):
                for kind in KINDS:
                    closed[n][kind].append(run_wrk(port, fx, kind, args.seconds, args.conns, tmp, meter))
                    if os.environ.get("BENCH_VERBOSE"):
                        print(n, kind, closed[n][kind][-1], flush=True)
            opened[n] = {}
            for rate in rates:
                for kind in KINDS:
                    opened[n][(rate, kind)] = run_open(port, fx, kind, rate, args.seconds, args.conns, tmp, meter)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        report(n, closed[n], opened[n], rates)
    logs, denied, events = _check_every_decision_logged_and_published(fx, 0)
    print(
        f"decisions logged {logs} (denied {denied}), access events in the outbox {events}: "
        f"{'ok' if logs == events and denied == 0 else 'MISMATCH'}; load average {os.getloadavg()[0]:.1f} at end"
    )


def _ratio(runs: list[dict[str, float]], base: list[dict[str, float]]) -> str:
    """Median over rounds of req/s over the baseline's in the same round; a round whose baseline answered too few
    requests to time (a stall of the shared machine) is left out."""
    ok = [r["rps"] / b["rps"] for r, b in zip(runs, base, strict=True) if b["n"] >= 50]
    return f"{statistics.median(ok):.2f}" if ok else "n/a"


def report(
    n: int,
    closed: dict[str, list[dict[str, float]]],
    opened: dict[tuple[float, str], dict[str, float]],
    rates: list[float],
) -> None:
    print(f"\n== {n} web worker(s)")
    for kind in KINDS:
        rs = closed[kind]
        rps = statistics.median(r["rps"] for r in rs)
        ratios = ""
        if kind != "bare":
            ratios = " = " + ", ".join(
                _ratio(rs, closed[base]) + f"x {base}" for base in ("bare", "bare1") if base != kind
            )
        cpu = " / ".join(f"{statistics.median(r[k] for r in rs):.2f}" for k in ("srv_ms", "pg_ms", "gen_ms"))
        bad = sum(int(r["bad"]) for r in rs)
        print(
            f"  closed {kind:5}: {rps:5.0f} req/s{ratios}; p99 {statistics.median(r['p99'] for r in rs):.1f} ms; "
            f"CPU ms/req app / postgres / wrk {cpu}{f'; {bad} NOT ALLOWED' if bad else ''}"
        )
    for rate in rates:
        row = []
        for kind in KINDS:
            o = opened[(rate, kind)]
            errors = f" {int(o['bad'])} bad" if o["bad"] else ""
            row.append(f"{kind} {o['rps']:.0f}/s p99 {o['p99']:.1f}{errors}")
        gen = statistics.median(opened[(rate, k)]["gen_ms"] for k in KINDS)
        per_decision = statistics.median(opened[(rate, k)]["srv_ms"] + opened[(rate, k)]["pg_ms"] for k in DECISIONS)
        ok = "ok" if all(opened[(rate, k)]["p99"] <= 20 and not opened[(rate, k)]["bad"] for k in DECISIONS) else "miss"
        print(
            f"  open {rate:4.0f}/s: " + "; ".join(row) + f" (ms) [decisions p99 <= 20 ms: {ok}; app+postgres CPU "
            f"{per_decision:.2f} ms/decision; generator {gen:.2f} ms CPU/req]"
        )


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--serve":
        server(int(sys.argv[2]), int(sys.argv[3]))
    elif len(sys.argv) == 3 and sys.argv[1] == "--load":
        load_main(sys.argv[2])
    else:
        main()
