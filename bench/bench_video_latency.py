"""Decision → alarm: how long after the detector decides is the alarm in the alarm centre (issue 14 target: ≤ 2 s)?

    .venv/bin/python bench/bench_video_latency.py      # builds the demo into a temporary SQLite file (~1-2 min)

The demo's stairwell camera replays the real GMDCSA24 fall clip at the pace it was filmed (as `anju video-worker`
does in the demo); the worker writes through the database (push = db). Measured in wall time, per run:
  ours      - the decision to the alarm committed (the alarm part, with the snapshot, at the decision);
  baseline  - the decision to the clip committed, which is when the previous design raised the alarm (it waited
              for the clip's post-roll of ANJU_VIDEO_POST_SECONDS).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def main(runs: int = 3) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="anju-latency-"))
    os.environ["ANJU_DATABASE_URL"] = f"sqlite:///{tmp / 'demo.db'}"
    os.environ["ANJU_VIDEO_EVIDENCE_DIR"] = str(tmp / "evidence")
    os.environ.setdefault("ANJU_ENV", "development")
    os.environ["ANJU_VIDEO_INCIDENT_COOLDOWN_SECONDS"] = "0"  # each run is its own incident
    subprocess.run([str(ROOT / ".venv" / "bin" / "anju"), "demo"], check=True, stdout=subprocess.DEVNULL)

    from sqlalchemy import select

    from anju.alarms.models import Alarm
    from anju.core.config import reset_settings
    from anju.core.db import transaction
    from anju.startup import register_all
    from anju.video.config import video_settings
    from anju.video.models import Camera, VideoEvent
    from anju.video.worker import VideoWorker

    reset_settings()
    video_settings.cache_clear()
    register_all()
    with transaction() as s:
        cid = s.scalars(select(Camera.id).where(Camera.name == "2号楼一层楼道")).one()
    print("== decision -> alarm committed (demo stairwell camera, real fall clip replayed in real time) ==")
    ours: list[float] = []
    base: list[float] = []
    for i in range(runs):
        w = VideoWorker(f"bench-{i}")
        run = w.open_run(cid)
        assert run is not None
        run.file_tag = f"bench{i}"  # a fresh incident each run (otherwise the replay is, rightly, a duplicate)
        decided: list[float] = []
        stored: dict[bool, float] = {}
        feed, store = run.pipeline.feed, w._store

        def timed_feed(frame, at, feed=feed, decided=decided):  # type: ignore[no-untyped-def]
            out = feed(frame, at)
            if out:
                decided.append(time.monotonic())
            return out

        def timed_store(r, p, *, with_clip, store=store, stored=stored):  # type: ignore[no-untyped-def]
            rec = store(r, p, with_clip=with_clip)  # returns after its transaction committed
            stored.setdefault(with_clip, time.monotonic())
            return rec

        run.pipeline.feed = timed_feed  # type: ignore[method-assign]
        w._store = timed_store  # type: ignore[method-assign]
        w.process(run, replay=False, pace=True)
        with transaction() as s:
            ev = s.scalars(select(VideoEvent).where(VideoEvent.camera_id == cid).order_by(VideoEvent.id.desc())).first()
            assert ev is not None and s.get(Alarm, ev.alarm_id) is not None
        ours.append(stored[False] - decided[0])
        base.append(stored[True] - decided[0])
        print(f"  run {i + 1}: alarm {1000 * ours[-1]:.0f} ms after the decision; clip {base[-1]:.2f} s after it")
    o, b = sorted(ours)[len(ours) // 2], sorted(base)[len(base) // 2]
    print(
        f"  median: ours {1000 * o:.0f} ms, baseline (alarm with the clip, previous design) {b:.2f} s"
        f" -> {b / o:.0f}x sooner; target <= 2 s: {'met' if o <= 2.0 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
