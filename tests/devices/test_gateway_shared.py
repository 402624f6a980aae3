"""Issue 19: two gateways split one broker's load with an MQTT shared subscription, storing every message once.

Against the real Mosquitto (127.0.0.1:1883), with their own database (gateway threads commit for real). Topics,
client ids and the share group carry a uuid: safe against other runs on the shared broker.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select, text

from anju.core.db import transaction
from anju.devices.enums import DeviceType
from anju.devices.gateway import Gateway
from anju.devices.models import DeviceMessage
from anju.devices.protocol import sign_mqtt, topic_for
from tests.conftest import port_open, service_unavailable
from tests.devices.helpers import DedicatedDatabase, make_device
from tests.devices.test_gateway_mqtt import BROKER, Publisher, message, wait_until


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    if not port_open("127.0.0.1", 1883):
        service_unavailable("Mosquitto on 127.0.0.1:1883")
    d = DedicatedDatabase(tmp_path_factory.mktemp("gw_shared"), "gwshared")
    yield d
    d.close()


def _stored(dev_ids: list[int]) -> int:
    with transaction() as s:
        return int(
            s.execute(
                select(func.count()).select_from(DeviceMessage).where(DeviceMessage.device_id.in_(dev_ids))
            ).scalar_one()
        )


def test_two_gateways_in_a_share_group_split_the_messages_and_store_each_once(db):
    root, group = f"anjut{uuid.uuid4().hex[:10]}", f"g{uuid.uuid4().hex[:8]}"
    with transaction() as s:
        cid = s.execute(text("SELECT id FROM compound WHERE code='SFXQ'")).scalar_one()
        devices = [make_device(s, cid, DeviceType.smoke_detector, floor=3 + i) for i in range(4)]
    gateways = [
        Gateway(url=BROKER, client_id=f"gw-{group}-{i}", topic_root=root, batch_ms=20, share_group=group)
        for i in range(2)
    ]
    for g in gateways:
        assert g.filter_prefix == f"$share/{group}/"
        g.start()
        assert g.connected.wait(10)
    pub = Publisher()
    try:
        n = 0
        for i in range(100):
            for _dev_id, key, secret in devices:
                topic = topic_for("SFXQ", key, "telemetry", root)
                body = sign_mqtt(secret, topic, message(f"s{i}", {"smoke": 0.1}))
                pub.send(topic, body)
                n += 1
                if i % 10 == 0:  # a device's resend of the same message: must not be stored twice
                    pub.send(topic, body)
        ids = [d for d, _, _ in devices]
        assert wait_until(lambda: _stored(ids) == n and sum(g.stats.received for g in gateways) >= n + 40)
        received = [g.stats.received for g in gateways]
        assert all(r > 0 for r in received), received  # the broker handed messages to both
        assert sum(received) == n + 40  # each message to one gateway only
        assert sum(g.stats.inserted for g in gateways) == n
        assert sum(g.stats.duplicates for g in gateways) == 40
        assert _stored(ids) == n
    finally:
        pub.close()
        for g in gateways:
            g.stop()
