"""Detectors on real footage (GMDCSA24 falls, OpenCV's vtest.avi, the hand-held bikes clip) and on synthetic
clips built on real frames where no licence-clean real clip exists (thrown objects, fire-lane parking).

Floors, not timings. Frames are sampled at the worker's 5 fps (10 fps for thrown objects, which fall fast) and
clips are cut short so each test stays within a few seconds of CPU.
"""

from __future__ import annotations

import pytest

from anju.video import synth
from anju.video.detectors.base import Zone
from anju.video.detectors.thrown import floor_at
from anju.video.evaluate import fall_windows, hit, run_frames, sample
from tests.video.footage import BIKES, FALLS, VTEST, need

# Pure computation (no database): runs once, in the SQLite pass (scripts/test.sh).
pytestmark = pytest.mark.db_agnostic

FALL = [{"detector": "fall"}]


class TestFalls:
    """Falls (no pose model: mediapipe 0.10.21 needs numpy<2; see detectors/falls.py): rapid descent + stillness."""

    def test_falls_found_within_their_labelled_windows(self):
        windows = fall_windows(need(FALLS))
        found, total = 0, 0
        for clip, w in windows.items():
            if not w:
                continue
            total += 1
            run = run_frames(sample(FALLS / f"{clip}.mp4", fps=5), FALL)
            found += any(hit(d, w) for d in run.detections)
        assert total == 6
        assert found >= 5, f"{found}/6 falls found in their windows"

    def test_no_fall_on_the_everyday_activity_clip(self):
        run = run_frames(sample(need(FALLS / "s2_ADL_23.mp4"), fps=5), FALL)
        assert run.detections == []

    def test_no_fall_among_walking_pedestrians(self):
        run = run_frames(sample(need(VTEST), fps=5, limit_s=40), FALL)
        assert run.detections == []

    def test_no_fall_on_the_moving_camera(self):
        run = run_frames(sample(need(BIKES), fps=5), FALL)
        assert run.detections == []


THROWN = [{"detector": "thrown_object", "params": {"px_per_metre": 18.0, "floor_rows": [[0.05, 18], [0.9, 1]]}}]


class TestThrownObject:
    """高空抛物. SYNTHETIC positives: real vtest.avi frames with a physically modelled falling object (gravity at a
    pixel scale, motion blur, sensor noise), see anju.video.synth. Real negatives: vtest.avi and the hand-held clip."""

    def _clip(self, *, x0: float, y0: float, ppm: float, vx: float, seed: int):
        frames = [f for _, f in sample(need(VTEST), fps=10, limit_s=10)]
        clip, path = synth.thrown_object_clip(
            frames, fps=10, start_s=4.0, x0=x0, y0=y0, px_per_metre=ppm, vx=vx, seed=seed
        )
        return [(i / 10, f) for i, f in enumerate(clip)], path

    @pytest.mark.parametrize(("x0", "y0", "ppm", "vx"), [(100, 20, 18, 0), (420, 40, 18, 25), (560, 10, 18, -15)])
    def test_synthetic_drop_is_found_with_gravity_and_floor(self, x0, y0, ppm, vx):
        frames, path = self._clip(x0=x0, y0=y0, ppm=ppm, vx=vx, seed=int(x0))
        run = run_frames(frames, THROWN)
        assert len(run.detections) == 1
        d = run.detections[0]
        assert 3.0 <= d.details["g_estimate"] <= 12.0
        assert abs(d.started_t - path[0][0]) <= 0.5
        assert d.details["floor"] == floor_at(d.details["start_row"], [(0.05, 18), (0.9, 1)])
        assert d.details["floor"] >= 15  # it started near the top of the facade

    def test_no_thrown_object_on_the_moving_camera(self):
        run = run_frames(sample(need(BIKES), fps=10), THROWN)
        assert run.detections == []

    def test_no_thrown_object_among_pedestrians(self):
        run = run_frames(sample(need(VTEST), fps=10, limit_s=30), THROWN)
        assert run.detections == []

    def test_a_constant_speed_mover_is_not_a_fall(self):
        """A blob sliding down at constant speed (a lift cabin light, a walker far away) fits no gravity."""
        frames = [f for _, f in sample(need(VTEST), fps=10, limit_s=8)]
        import cv2

        out = []
        for i, f in enumerate(frames):
            img = f.copy()
            if i >= 30:
                cv2.circle(img, (300, 20 + (i - 30) * 12), 4, (30, 30, 30), -1)
            out.append((i / 10, img))
        assert run_frames(out, THROWN).detections == []


class TestPeople:
    """HOG people detector (inside opencv-python-headless) gated by motion, tracked; vtest.avi pedestrians."""

    LEFT = {"name": "west", "points": [[0, 0], [0.5, 0], [0.5, 1], [0, 1]]}
    CORNER = {"name": "corner", "points": [[0, 0], [0.04, 0], [0.04, 0.04], [0, 0.04]]}

    def test_intrusion_in_a_walked_zone_and_none_in_an_empty_one(self):
        frames = sample(need(VTEST), fps=5, limit_s=8)
        run = run_frames(frames, [{"detector": "intrusion", "zones": [self.LEFT, self.CORNER]}])
        zones = {d.zone for d in run.detections}
        assert "west" in zones
        assert "corner" not in zones
        # one event per tracked person, not one per frame
        assert len(run.detections) <= 8

    def test_intrusion_only_inside_its_schedule(self):
        frames = sample(need(VTEST), fps=5, limit_s=6)
        day = {"start": "08:00", "end": "18:00"}  # the runner's clock reads 22:00 China time
        from datetime import datetime

        from anju.video.detectors.base import Frame
        from anju.video.evaluate import EPOCH
        from anju.video.pipeline import Pipeline, schedule_active

        pipe = Pipeline(
            [{"detector": "intrusion", "zones": [self.LEFT], "schedule": day}], schedule_active=schedule_active
        )
        found = []
        for t, img in frames:
            found += pipe.feed(Frame(t, img), EPOCH)
        assert found == []
        assert schedule_active({"start": "22:00", "end": "06:00"}, EPOCH)
        assert not schedule_active({"start": "22:00", "end": "06:00"}, datetime(2026, 12, 6, 4, 0, tzinfo=EPOCH.tzinfo))

    def test_loitering_needs_the_dwell_time(self):
        frames = sample(need(VTEST), fps=5, limit_s=8)
        plaza = {"name": "plaza", "points": [[0.3, 0.3], [0.7, 0.3], [0.7, 0.7], [0.3, 0.7]]}
        short = run_frames(frames, [{"detector": "loitering", "zones": [plaza], "params": {"loiter_seconds": 3}}])
        long = run_frames(frames, [{"detector": "loitering", "zones": [plaza], "params": {"loiter_seconds": 60}}])
        assert any(d.details["dwell_seconds"] >= 3 for d in short.detections)
        assert long.detections == []


LANE = {"name": "lane", "points": [[0.25, 0.33], [0.55, 0.33], [0.55, 0.52], [0.25, 0.52]]}
FIRE = [{"detector": "fire_lane_parking", "zones": [LANE], "params": {"limit_seconds": 20}}]


class TestFireLane:
    """SYNTHETIC positive: the van of vtest.avi (real pixels) cut out and driven into a lane zone of the same
    real footage, with pedestrians still walking through. Real negative: the lane zone on vtest.avi itself."""

    def test_a_vehicle_stopping_beyond_the_limit_raises_once(self):
        frames = [f for _, f in sample(need(VTEST), fps=5, limit_s=50)]
        van = frames[0][35:82, 540:605].copy()
        clip = synth.parked_vehicle_clip(frames, fps=5, arrive_s=10, patch=van, at=(220, 175))
        run = run_frames([(i / 5, f) for i, f in enumerate(clip)], FIRE)
        assert len(run.detections) == 1
        d = run.detections[0]
        assert d.zone == "lane"
        assert 30.0 <= d.t <= 36.0  # stopped at ~12 s, limit 20 s

    def test_a_stop_shorter_than_the_limit_raises_nothing(self):
        frames = [f for _, f in sample(need(VTEST), fps=5, limit_s=28)]
        van = frames[0][35:82, 540:605].copy()
        clip = synth.parked_vehicle_clip(frames, fps=5, arrive_s=10, patch=van, at=(220, 175))
        assert run_frames([(i / 5, f) for i, f in enumerate(clip)], FIRE).detections == []

    def test_pedestrians_crossing_the_lane_are_not_parking(self):
        run = run_frames(sample(need(VTEST), fps=5), FIRE)
        assert run.detections == []


def test_zone_geometry_is_resolution_independent():
    z = Zone("z", ((0.1, 0.1), (0.5, 0.1), (0.5, 0.5), (0.1, 0.5)))
    assert z.contains((100, 100), (640, 480))
    assert z.contains((200, 200), (1280, 960))
    assert not z.contains((400, 400), (640, 480))
