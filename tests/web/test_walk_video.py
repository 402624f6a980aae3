"""The video analytics walk in a real browser (issue 14): a manager registers a camera that replays a real fall clip,
the product's video worker analyses it and records a 跌倒 incident with evidence, and the guard on duty finds it in
the review queue, opens its evidence (the reason is asked and logged, R-A2), confirms it (R-A4: a person decides)
and sees its alarm in the alarm centre.

The worker runs as its own process beside the shared live server, on the same database and evidence folder, the
way `anju video-worker` does, but on the walk's camera only (other walks' cameras are not touched). The walk waits
for its own camera's event and alarm ids, never for "the first row".
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from typing import Any

import pytest

from tests.web.browser import DESKTOP, LIVE_DATABASES, ROOT, shot, sign_in

pytestmark = pytest.mark.browser

FALLS = ROOT.parent / "shared" / "data" / "video" / "falls"
if not FALLS.exists():
    FALLS = ROOT / ".." / "shared" / "data" / "video" / "falls"
CLIP = FALLS / "s1_Fall_13.mp4"  # a real fall, recorded by the fall detector tests too

# One pass of the product's worker over the walk's camera: lease-free (the camera is the walk's own), the same
# open_run/process path `anju video-worker` runs per camera thread, writing through the platform's services.
WORKER = """
import sys
from tests.conftest import attach
attach(sys.argv[1])
from anju.startup import register_all
register_all()
from anju.video.worker import VideoWorker
w = VideoWorker("walk-video")
run = w.open_run(int(sys.argv[2]))
assert run is not None, "camera not active"
ok = w.process(run, replay=False)
print("RESULT", ok, run.frames, run.recorded, run.duplicates)
"""


def api(page: Any, base: str, method: str, url: str, body: dict[str, Any]) -> Any:
    r = page.request.fetch(
        url, method=method, data=json.dumps(body), headers={"content-type": "application/json", "Origin": base}
    )
    assert r.ok, (url, r.status, r.text())
    return r.json()


def run_worker(base: str, camera_id: int) -> str:
    url = LIVE_DATABASES[base]
    env = {**os.environ, "ANJU_DATABASE_URL": url, "ANJU_VIDEO_PUSH": "db"}
    env.pop("ANJU_VIDEO_EVIDENCE_DIR", None)  # the server's default folder (both run in the checkout)
    done = subprocess.run(
        [sys.executable, "-c", WORKER, url, str(camera_id)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_a_detected_fall_is_reviewed_with_its_evidence_and_raises_its_alarm(browser, live_server):
    if not CLIP.exists():
        pytest.skip(f"shared footage missing: {CLIP}")
    run = uuid.uuid4().hex[:6]
    manager = sign_in(browser, live_server, "manager_wang", DESKTOP)
    guard = sign_in(browser, live_server, "guard_chen", DESKTOP)
    try:
        # The manager registers a camera that replays the fall clip, with the fall detector on.
        compound = manager.request.get("/api/v1/parking/car-parks").json()[0]["compound_id"]
        cam = api(
            manager,
            live_server,
            "POST",
            "/api/v1/video/cameras",
            {
                "compound_id": compound,
                "device_key": f"walk-cam-{run}",
                "name": f"楼道摄像机{run}",
                "url": str(CLIP.resolve()),
                "location": "2号楼一层楼道",
                "public_area": True,
                "retention_days": 30,
                "signage_installed": True,
                "analytics": [{"detector": "fall"}],
            },
        )
        api(manager, live_server, "PATCH", f"/api/v1/video/cameras/{cam['id']}", {"active": True})

        # The product's worker watches it: one real fall incident, recorded with its evidence.
        out = run_worker(live_server, cam["id"])
        assert "RESULT True" in out, out
        events = manager.request.get(f"/api/v1/video/events?camera_id={cam['id']}").json()
        assert [e["detector"] for e in events] == ["fall"], events
        ev = events[0]
        assert ev["alarm_id"] is not None and ev["review"] is None
        assert {f["kind"] for f in ev["evidence"]} == {"snapshot", "clip"}

        # The guard's review queue shows the walk's incident (others' may be there too), in words.
        assert guard.goto("/console/video").status == 200
        row = guard.wait_for_selector(f'[data-testid="video-queue"] tr[data-event="{ev["id"]}"]')
        text = row.inner_text()
        assert cam["name"] in text and "跌倒" in text and "fall" not in text
        shot(guard, "guard_chen_video_queue")

        # Evidence: opening it asks for a reason (logged, R-A2); the snapshot loads and the clip's frames follow.
        row.query_selector(f'a[href="/console/video/events/{ev["id"]}"]').click()
        guard.wait_for_selector('[data-testid="view-form"]')
        assert guard.locator('[data-testid="evidence-snapshot"]').count() == 0  # nothing shown before a reason
        guard.fill('[data-testid="view-form"] input[name=reason]', f"核实跌倒告警{run}")
        with guard.expect_navigation():
            guard.click('[data-testid="view-form"] button[value=playback]')
        img = guard.wait_for_selector('img[data-testid="evidence-snapshot"]')
        guard.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img, timeout=30_000)
        clip = guard.locator('[data-testid="evidence-clip"] img')
        assert clip.count() >= 2
        first = clip.first.element_handle()
        first.scroll_into_view_if_needed()
        guard.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=first, timeout=30_000)
        shot(guard, "guard_chen_video_evidence")
        log = manager.request.get("/api/v1/video/access-log").json()
        assert any(entry.get("reason") == f"核实跌倒告警{run}" for entry in log)

        # The guard confirms it: the event is reviewed, and its alarm is in the alarm centre.
        guard.fill('[data-testid="review-form"] input[name=reason]', "画面中有人跌倒，已派人查看")
        with guard.expect_navigation():
            guard.click('[data-testid="review-form"] button[value=confirmed]')
        guard.wait_for_selector('[data-testid="video-ok"]')
        after = manager.request.get(f"/api/v1/video/events/{ev['id']}").json()
        assert after["review"] == "confirmed"

        assert guard.goto(f"/console/alarms?alarm={ev['alarm_id']}&state=all").status == 200
        panel = guard.wait_for_selector(f'[data-testid="alarm-detail"][data-alarm-id="{ev["alarm_id"]}"]')
        assert panel.get_attribute("data-status") != "pending_review"
        assert "跌倒" in panel.inner_text()
        guard.wait_for_selector(f'[data-testid="alarm-row"][data-alarm-id="{ev["alarm_id"]}"]', timeout=30_000)
        shot(guard, "guard_chen_video_alarm")
    finally:
        guard.context.close()
        manager.context.close()
