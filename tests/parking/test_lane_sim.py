"""The demo simulator's lane traffic (issue 13 item 9): the south gate's camera posts signed captures as a device;
the day's script has both peaks, visitors, a van, a blacklisted plate, a zombie car and real photos."""

from __future__ import annotations

from anju.sim.lane_sim import SHARED_DATA, capture_body, day_script, load_lanes, post_capture, report_fire_lane_stop


def test_the_script_covers_the_day_and_its_captures_are_decided_as_the_camera(client, session):
    lanes = {ln.direction: ln for ln in load_lanes("SFXQ")}
    assert set(lanes) == {"entry", "exit"} and lanes["entry"].camera_secret
    trips = day_script("SFXQ")
    labels = " ".join(t.label for t in trips)
    for what in ("早高峰", "晚高峰", "访客", "送货面包车", "黑名单", "僵尸车"):
        assert what in labels, what
    if (SHARED_DATA / "plates" / "labels.csv").exists():
        assert sum(1 for t in trips if t.plate is None and t.image is not None) >= 2  # real photos, read by Anju

    decided = {}
    for t in trips:
        if t.image is not None and t.plate is None:
            continue  # photo reads are covered by the lane tests; keep this one fast
        r = post_capture(client, lanes[t.direction], capture_body(t.plate, None))
        assert r.status_code == 200, (t.label, r.text)
        decided[t.label] = (r.json()["event"]["decision"], r.json()["event"]["reason"])
    assert next(v for k, v in decided.items() if "黑名单" in k) == ("deny", "blacklist")
    assert next(v for k, v in decided.items() if "晚高峰" in k)[0] == "open"
    assert next(v for k, v in decided.items() if "访客车辆" in k) == ("open", "visitor")
    assert next(v for k, v in decided.items() if "送货面包车入场" in k) == ("open", "temporary")

    stop = report_fire_lane_stop(client, lanes["entry"], "SFXQ")
    assert stop.status_code == 201 and stop.json()["source"].startswith("camera:")
