"""Issue 19: the outbox relay on a 3-node NATS JetStream cluster (started here, on free local ports), the stream
kept with 3 replicas; the stream's leader node is killed mid-run: no event lost, none doubled.

Needs the nats-server binary (Debian's, v2.9); skipped without it unless ANJU_REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import update

from anju.core import bus
from anju.core import db as core_db
from anju.core.events import OutboxEvent
from tests.conftest import service_unavailable
from tests.core.databases import dedicated_database
from tests.core.test_bus import _publish_and_deliver


def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


class Cluster:
    def __init__(self, root: Path) -> None:
        exe = shutil.which("nats-server") or "/usr/sbin/nats-server"
        if not Path(exe).exists():
            service_unavailable("nats-server binary")
        ports = _free_ports(6)
        self.client, routes = ports[:3], ports[3:]
        self.names = [f"n{i + 1}" for i in range(3)]
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        route_urls = ", ".join(f"nats-route://127.0.0.1:{p}" for p in routes)
        for name, cport, rport in zip(self.names, self.client, routes, strict=True):
            conf = root / f"{name}.conf"
            conf.write_text(
                f'server_name: {name}\nlisten: "127.0.0.1:{cport}"\n'
                f'jetstream {{ store_dir: "{root / name}", max_mem: 32M, max_file: 128M }}\n'
                f'cluster {{ name: anjutest, listen: "127.0.0.1:{rport}", routes: [{route_urls}] }}\n'
            )
            self.procs[name] = subprocess.Popen(
                [exe, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=(root / f"{name}.log").open("wb")
            )

    @property
    def url(self) -> str:
        return ",".join(f"nats://127.0.0.1:{p}" for p in self.client)

    def kill(self, name: str) -> None:
        self.procs[name].kill()
        self.procs[name].wait(5)

    def stop(self) -> None:
        for p in self.procs.values():
            if p.poll() is None:
                p.terminate()
        for p in self.procs.values():
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    c = Cluster(tmp_path)
    try:
        yield c
    finally:
        c.stop()


async def _until_ready(settings: bus.BusSettings, within: float = 10.0) -> None:
    """The cluster has a JetStream meta leader and the replicated stream exists."""
    deadline = time.monotonic() + within
    while True:
        try:
            nc = await bus.connect(settings.nats_url or "", connect_timeout=1, allow_reconnect=False)
            try:
                js = nc.jetstream(timeout=2)
                await js.account_info()
                await bus.ensure_stream(js, settings)
                return
            finally:
                await nc.close()
        except Exception:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


async def _leader(settings: bus.BusSettings) -> tuple[str, int]:
    nc = await bus.connect(settings.nats_url or "", allow_reconnect=False)
    info = await nc.jetstream(timeout=2).stream_info(settings.nats_stream)
    await nc.close()
    assert info.cluster is not None and info.cluster.leader
    return info.cluster.leader, int(info.config.num_replicas or 1)


async def _relay_until_caught_up(settings: bus.BusSettings, within: float = 15.0) -> int:
    relay = bus.Relay(settings)

    async def caught_up() -> bool:
        return True  # asked only once a batch came back empty

    await asyncio.wait_for(relay.run(until=caught_up), within)
    return relay.published


async def _stored_ids(settings: bus.BusSettings) -> list[int]:
    nc = await bus.connect(settings.nats_url or "", allow_reconnect=False)
    js = nc.jetstream(timeout=5)
    info = await js.stream_info(settings.nats_stream)
    out = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        out.append(json.loads((await js.get_msg(settings.nats_stream, seq)).data or b"{}")["id"])
    await nc.close()
    assert info.state.messages == len(out)
    return out


def test_relay_on_a_three_node_cluster_survives_the_stream_leader_being_killed(tmp_path, cluster):
    tag = uuid.uuid4().hex[:8]
    settings = bus.BusSettings(
        nats_url=cluster.url, nats_stream=f"ANJUCL_{tag}", nats_prefix=f"anjucl{tag}", nats_replicas=3
    )
    asyncio.run(_until_ready(settings))
    leader, replicas = asyncio.run(_leader(settings))
    assert replicas == 3
    with dedicated_database(tmp_path, "bus_cluster"):
        first = _publish_and_deliver([(n, 7 + n % 3) for n in range(30)])
        assert asyncio.run(_relay_until_caught_up(settings)) == 30
        cluster.kill(leader)  # SIGKILL: no goodbye to the cluster
        second = _publish_and_deliver([(n, 7 + n % 3) for n in range(30, 60)])
        with core_db.transaction() as s:  # a relay that died after the ack, before marking: these go out again
            s.execute(update(OutboxEvent).where(OutboxEvent.id.in_(first[-10:])).values(relayed_at=None))
        assert asyncio.run(_relay_until_caught_up(settings)) == 40  # on the two nodes left
        assert asyncio.run(_stored_ids(settings)) == first + second  # each once, in order
        new_leader, _ = asyncio.run(_leader(settings))
        assert new_leader != leader
