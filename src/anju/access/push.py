"""MQTT publishing of terminal notices (paho-mqtt, Mosquitto at ANJU_ACCESS_MQTT_HOST:PORT).

Only "sync now" notices and door commands travel over MQTT, never personal data:
the terminal fetches its list over HTTPS with its device credential.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from anju.access.config import access_settings

log = logging.getLogger("anju.access.push")


def publish_many(messages: list[tuple[str, dict[str, Any]]]) -> tuple[bool, str | None]:
    """Publish each (topic, body) with QoS 1 over one connection; (ok, error)."""
    import paho.mqtt.client as mqtt

    s = access_settings()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="", clean_session=True)
    client.connect_timeout = s.mqtt_timeout_seconds
    try:
        client.connect(s.mqtt_host, s.mqtt_port, keepalive=30)
        client.loop_start()
        try:
            infos = [client.publish(topic, json.dumps(body, default=str), qos=1) for topic, body in messages]
            for info in infos:
                info.wait_for_publish(timeout=s.mqtt_timeout_seconds)
                if not info.is_published():
                    return False, "publish not acknowledged in time"
        finally:
            client.disconnect()
            client.loop_stop()
    except (OSError, ValueError, RuntimeError) as e:
        log.warning("MQTT push failed: %s", e)
        return False, f"{type(e).__name__}: {e}"
    return True, None
