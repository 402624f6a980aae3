"""Rules: defaults per type, durations, hysteresis, flapping, per-compound overrides, charger cut-off, R-A6."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from anju.alarms.models import Alarm
from anju.core.db import utcnow
from anju.devices.enums import CommandStatus, DeviceType
from anju.devices.intake_service import directory, intake_service
from anju.devices.models import DeviceCommand, DeviceState
from anju.devices.rules import DEFAULT_RULES, Phase, merge_rules, step
from anju.devices.service import device_service
from tests.devices.helpers import make_device


def feed(session, key: str, points: list[tuple[float, dict]], start=None):
    """Run messages through the shared pipeline at device times start + offset seconds."""
    start = start or utcnow() - timedelta(minutes=30)
    info = directory.lookup_many(session, {key})[key]
    outs = []
    for offset, data in points:
        at = start + timedelta(seconds=offset)
        a = intake_service.validate(
            info, "telemetry", {"event_id": f"e{offset}-{len(outs)}", "ts": at.isoformat(), "data": data}, now=utcnow()
        )
        outs.append(intake_service.store(session, [a], [], now=at))
    return outs


def alarms_of(session, dev_id):
    return session.execute(select(Alarm).where(Alarm.device_id == dev_id).order_by(Alarm.id)).scalars().all()


class TestStepMachine:
    rule = DEFAULT_RULES[DeviceType.ebike_charger][0]  # temp > 60 for 30 s, clear below 50

    def test_fires_only_after_duration(self):
        t0 = utcnow()
        p, act = step(self.rule, 65, t0, None)
        assert p.phase == "pending" and act is None
        p, act = step(self.rule, 66, t0 + timedelta(seconds=29), p)
        assert act is None
        p, act = step(self.rule, 66, t0 + timedelta(seconds=30), p)
        assert p.phase == "active" and act == "fire"

    def test_a_dip_resets_the_duration(self):
        t0 = utcnow()
        p, _ = step(self.rule, 65, t0, None)
        p, act = step(self.rule, 55, t0 + timedelta(seconds=20), p)
        assert p is None and act is None

    def test_hysteresis_holds_until_below_clear_threshold(self):
        t0 = utcnow()
        p = Phase("active", t0)
        p, act = step(self.rule, 55, t0 + timedelta(seconds=1), p)  # under 60 but above 50: still active
        assert p.phase == "active" and act is None
        p, act = step(self.rule, 45, t0 + timedelta(seconds=2), p)
        assert p is None and act == "clear"

    def test_overrides_merge_by_key(self):
        rules = merge_rules(
            DEFAULT_RULES[DeviceType.smoke_detector],
            [{"key": "smoke_high", "threshold": 2.5}, {"key": "tamper", "enabled": False}],
        )
        assert {r.key: r.threshold for r in rules} == {"smoke_high": 2.5, "smoke_alarm": True}


class TestRulesInIntake:
    def test_smoke_over_threshold_is_critical(self, session, ids):
        dev, key, _ = make_device(session, ids["A"], floor=12, location="3号楼12层")
        feed(session, key, [(0, {"smoke": 0.5}), (10, {"smoke": 6.0})])
        [a] = alarms_of(session, dev)
        assert (a.kind, a.severity, a.status, a.floor) == ("smoke", "critical", "new", 12)
        assert a.evidence["value"] == 6.0 and "3号楼12层" in a.title

    @pytest.mark.parametrize(
        "dtype,data,kind,severity",
        [
            (DeviceType.water_leak, {"leak": True}, "water_leak", "major"),
            (DeviceType.manhole_cover, {"tilt_deg": 30.0}, "manhole_open", "major"),
            (DeviceType.water_pump, {"fault": True}, "pump_fault", "major"),
            (DeviceType.water_tank, {"level_pct": 5.0}, "tank_level", "major"),
            (DeviceType.lift_controller, {"trapped": True}, "lift_trapped", "critical"),
            (DeviceType.gas_detector, {"gas_lel": 35.0}, "gas", "critical"),
            (DeviceType.sos_button, {"pressed": True}, "sos", "critical"),
        ],
    )
    def test_type_defaults(self, session, ids, dtype, data, kind, severity):
        dev, key, _ = make_device(session, ids["A"], dtype)
        feed(session, key, [(0, data)])
        [a] = alarms_of(session, dev)
        assert (a.kind, a.severity) == (kind, severity)

    def test_flapping_sensor_raises_one_alarm(self, session, ids):
        dev, key, _ = make_device(session, ids["A"])
        points = [(i * 5, {"smoke": 4.5 if i % 2 == 0 else 3.0}) for i in range(40)]  # around 4, never below 2
        feed(session, key, points)
        [a] = alarms_of(session, dev)
        assert a.occurrences == 1 and not a.cleared_by_device

    def test_cleared_by_device_after_hysteresis_and_hold(self, session, ids):
        dev, key, _ = make_device(session, ids["A"])
        feed(session, key, [(0, {"smoke": 5.0}), (5, {"smoke": 1.0}), (40, {"smoke": 1.0})])
        [a] = alarms_of(session, dev)
        session.refresh(a)
        assert a.cleared_by_device and a.status == "new"  # cleared, but a person still closes it

    def test_repeat_inside_window_counts_not_new(self, session, ids):
        dev, key, _ = make_device(session, ids["A"])
        feed(session, key, [(0, {"alarm": True}), (5, {"alarm": False}), (40, {"alarm": False}), (60, {"alarm": True})])
        [a] = alarms_of(session, dev)
        session.refresh(a)
        assert a.occurrences == 2 and not a.cleared_by_device

    def test_compound_override_changes_threshold(self, session, ids, persona):
        mgr = persona("manager_wang").who  # the property manager of compound A
        device_service.set_rules(
            session,
            by=mgr,
            compound_id=ids["A"],
            device_type=DeviceType.water_tank,
            rules=[{"key": "tank_low", "threshold": 50.0, "clear_threshold": 55.0}],
        )
        dev, key, _ = make_device(session, ids["A"], DeviceType.water_tank)
        feed(session, key, [(0, {"level_pct": 40.0})])
        assert len(alarms_of(session, dev)) == 1

    def test_out_of_order_message_does_not_drive_rules(self, session, ids):
        dev, key, _ = make_device(session, ids["A"])
        start = utcnow() - timedelta(minutes=10)
        feed(session, key, [(60, {"smoke": 0.1})], start=start)
        feed(session, key, [(0, {"smoke": 9.0})], start=start)  # older than what we know
        assert alarms_of(session, dev) == []
        assert session.get(DeviceState, dev).values["smoke"] == 0.1

    def test_charger_overheat_commands_cut_off(self, session, ids):
        dev, key, _ = make_device(session, ids["A"], DeviceType.ebike_charger)
        feed(
            session,
            key,
            [(0, {"temp_c": 70.0}), (20, {"temp_c": 72.0}), (31, {"temp_c": 75.0}), (40, {"temp_c": 76.0})],
        )
        cmds = session.execute(select(DeviceCommand).where(DeviceCommand.device_id == dev)).scalars().all()
        assert [(c.command, c.status) for c in cmds] == [("cut_power", CommandStatus.queued)]
        assert [a.kind for a in alarms_of(session, dev)] == ["charger_overheat"]


class TestHeartbeat:
    def test_r_a6_offline_after_three_missed_heartbeats_and_cleared_on_return(self, session, ids):
        dev, key, _ = make_device(session, ids["A"], DeviceType.water_leak, heartbeat_seconds=60)
        t0 = utcnow() - timedelta(hours=1)
        feed(session, key, [(0, {"leak": False})], start=t0)
        assert device_service.mark_offline_overdue(session, now=t0 + timedelta(seconds=179)) == []
        assert dev in device_service.mark_offline_overdue(session, now=t0 + timedelta(seconds=180))
        assert dev not in device_service.mark_offline_overdue(session, now=t0 + timedelta(seconds=400))  # once
        st = session.get(DeviceState, dev)
        session.refresh(st)
        assert st.status == "offline"
        [a] = alarms_of(session, dev)
        assert a.kind == "device_offline" and a.evidence["missed"] == 3
        feed(session, key, [(500, {"leak": False})], start=t0)
        session.refresh(st)
        session.refresh(a)
        assert st.status == "online" and a.cleared_by_device
