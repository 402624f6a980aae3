"""The edge worker (`anju video-worker`): leases cameras, decodes their streams with OpenCV's FFmpeg backend,
samples them, runs each camera's pipeline and turns detections into alarms with evidence.

The alarm goes out at the detector's decision (with its snapshot); the clip (pre-roll to post-roll) attaches to
the incident when its post-roll has been recorded, so the control room is not kept waiting for the evidence.

One thread per camera: a camera that refuses the connection, drops, sends corrupt frames or changes resolution
is marked down, retried with exponential backoff and never stalls the others. Several workers share the cameras
through leases (compare-and-swap on video_camera.lease_until): a dead worker's cameras move to another once its
lease runs out. Restarts are safe: an incident's key is unique per camera (a replayed file gives the same keys;
a live incident seen again aggregates into its open alarm through the alarm centre's dedupe).

A camera that replays a file (the demo) reads it in real time and loops it; each pass shows the same events, so
an incident's key names the file and the position in it, not the pass: a looping clip records each real event
once. Live decisions of the same camera, detector and zone within the cooldown are one incident (the service).
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

import cv2

from anju.core.db import transaction, utcnow
from anju.video.config import video_settings
from anju.video.detectors.base import Detection, Frame, Image
from anju.video.models import Camera
from anju.video.pipeline import Pipeline, schedule_active
from anju.video.push import DeviceIdentity, HttpPusher, MqttPusher, Pusher, PushFailed, detection_message
from anju.video.repository import VideoRepository
from anju.video.service import LIVE_MARK, Recorded, video_service

log = logging.getLogger("anju.video.worker")


def _is_file(url: str) -> bool:
    return "://" not in url or url.startswith("file://")


class Clock(Protocol):
    """Wall time for pacing a replayed file (tests pass a fake one)."""

    def monotonic(self) -> float: ...
    def sleep(self, seconds: float) -> object: ...


@dataclass
class _RealClock:
    stop: threading.Event

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> object:
        return self.stop.wait(seconds)


def file_tag(url: str) -> str:
    """A file's identity in incident keys (path, size, mtime): another clip on the same camera is other events."""
    path = url.removeprefix("file://")
    try:
        st = os.stat(path)
        ident = f"{os.path.abspath(path)}:{st.st_size}:{int(st.st_mtime)}"
    except OSError:
        ident = path
    return hashlib.sha1(ident.encode()).hexdigest()[:8]


def _either(
    should_stop: Callable[[], bool], run_stop: Callable[[CameraRun], bool] | None, run: CameraRun
) -> Callable[[], bool]:
    if run_stop is None:
        return should_stop
    return lambda: should_stop() or run_stop(run)


class Backoff:
    """Exponential reconnect delays: first, 2·first, 4·first … capped."""

    def __init__(self, first: float, cap: float) -> None:
        self.first, self.cap = first, cap
        self._next = first

    def next(self) -> float:
        d = self._next
        self._next = min(self.cap, self._next * 2)
        return d

    def reset(self) -> None:
        self._next = self.first


def open_capture(url: str) -> cv2.VideoCapture:
    """A file, or a network stream (RTSP, MJPEG over HTTP …) through OpenCV's FFmpeg backend with timeouts, so a
    camera that stops answering is noticed instead of blocking its thread for ever."""
    if _is_file(url):
        return cv2.VideoCapture(url)
    s = video_settings()
    params = [
        cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
        int(s.open_timeout_seconds * 1000),
        cv2.CAP_PROP_READ_TIMEOUT_MSEC,
        int(s.read_timeout_seconds * 1000),
    ]
    return cv2.VideoCapture(url, cv2.CAP_FFMPEG, params)


@dataclass
class _Pending:
    det: Detection
    wall_started: datetime
    wall_detected: datetime
    snapshot: Image
    clip: list[Image]
    clip_start: datetime
    key: str
    announced: bool = False  # the alarm part went out at the decision
    clip_done: bool = False  # the post-roll frames were added
    clip_end: datetime | None = None


@dataclass
class CameraRun:
    """The state of one camera's stream in this worker."""

    camera_id: int
    url: str
    pipeline: Pipeline
    compound_id: int
    loop: int = 0
    recorded: int = 0  # incidents this run created (db mode)
    duplicates: int = 0  # decisions whose incident was already recorded (a replay, a restart)
    attached: int = 0  # clips attached to an incident after its post-roll (db mode)
    pushed: int = 0  # alarm parts delivered at the decision (push mode)
    pushed_clips: int = 0  # clip parts delivered after the post-roll (push mode)
    frames: int = 0
    errors: list[str] = field(default_factory=list)
    identity: DeviceIdentity | None = None  # set when detections go out through device intake (MQTT)
    file_tag: str = ""  # a replayed file's identity in its incident keys


class VideoWorker:
    def __init__(self, worker_id: str | None = None, *, max_cameras: int = 8, pusher: Pusher | None = None) -> None:
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}"
        s = video_settings()
        if pusher is None and s.push == "mqtt":
            pusher = MqttPusher(s.mqtt_url, root=s.mqtt_topic_root)
        elif pusher is None and s.push == "http":
            pusher = HttpPusher(s.http_url)
        self.pusher = pusher
        self.max_cameras = max_cameras
        self.stop = threading.Event()
        self._threads: dict[int, threading.Thread] = {}
        self._held: set[int] = set()

    # --- leases --------------------------------------------------------------------------------------------
    def claim(self) -> list[int]:
        s = video_settings()
        now = utcnow()
        with transaction() as session:
            held = VideoRepository(session).claim(
                self.worker_id, now=now, until=now + timedelta(seconds=s.lease_seconds), limit=self.max_cameras
            )
        self._held = set(held)
        return held

    def release(self) -> None:
        with transaction() as session:
            VideoRepository(session).release(self.worker_id, sorted(self._held))
        self._held = set()

    # --- the loop ------------------------------------------------------------------------------------------
    def run(self, *, until: float | None = None) -> None:
        """Claim, start a thread per camera, renew leases every third of the lease; stop on signal or `until`."""
        s = video_settings()
        deadline = None if until is None else time.monotonic() + until
        try:
            while not self.stop.is_set() and (deadline is None or time.monotonic() < deadline):
                held = set(self.claim())
                for cid in held - set(self._threads):
                    t = threading.Thread(target=self._camera_thread, args=(cid,), name=f"camera-{cid}", daemon=True)
                    self._threads[cid] = t
                    t.start()
                for cid, t in list(self._threads.items()):
                    if not t.is_alive():
                        del self._threads[cid]
                self.stop.wait(max(1.0, s.lease_seconds / 3))
        finally:
            self.stop.set()
            for t in self._threads.values():
                t.join(timeout=5)
            self.release()

    def _camera_thread(self, camera_id: int) -> None:
        self.supervise(camera_id, should_stop=lambda: self.stop.is_set() or camera_id not in self._held)

    def supervise(
        self,
        camera_id: int,
        *,
        should_stop: Callable[[], bool],
        sleep: Callable[[float], object] | None = None,
        run_stop: Callable[[CameraRun], bool] | None = None,
        clock: Clock | None = None,
    ) -> list[float]:
        """Keep one camera's stream open: read it, and after a refusal or a drop wait with exponential backoff
        (1, 2, 4 … seconds up to `retry_max_seconds`; back to 1 s once a stream delivered frames) and reconnect.
        Returns the waits, for tests. `sleep`, `run_stop` and `clock` are the tests' waits, stop condition and
        the clock a replayed file is paced on."""
        s = video_settings()
        wait_fn = sleep or self.stop.wait
        waits: list[float] = []
        backoff = Backoff(s.retry_first_seconds, s.retry_max_seconds)
        while not should_stop():
            run = None
            try:
                run = self.open_run(camera_id)
                if run is None:
                    break  # deactivated or deleted
                ok = self.process(run, stop=_either(should_stop, run_stop, run), replay=True, clock=clock)
                if ok and run_stop is not None and run_stop(run):
                    break
            except Exception as exc:  # never let one camera take the worker down
                log.exception("camera %s failed", camera_id)
                self._health(camera_id, up=False, error=f"{type(exc).__name__}: {exc}"[:255])
            if should_stop():
                break
            if run is not None and run.frames > 0:
                backoff.reset()  # it worked for a while: a fresh drop starts from the first delay
            delay = backoff.next()
            waits.append(delay)
            self._retry_at(camera_id, delay)
            log.info("camera %s: reconnecting in %.0f s", camera_id, delay)
            wait_fn(delay)
        return waits

    def _retry_at(self, camera_id: int, delay: float) -> None:
        try:
            with transaction() as session:
                video_service.note_retry(session, camera_id=camera_id, retry_at=utcnow() + timedelta(seconds=delay))
        except Exception:
            log.exception("camera %s: retry note failed", camera_id)

    def open_run(self, camera_id: int) -> CameraRun | None:
        with transaction() as session:
            cam = session.get(Camera, camera_id)
            if cam is None or not cam.active:
                return None
            url = video_service.stream_url(cam)
            run = CameraRun(camera_id, url, Pipeline(cam.analytics, schedule_active=schedule_active), cam.compound_id)
            if self.pusher is not None:
                run.identity = video_service.device_identity(session, cam)
            return run

    def _health(
        self,
        camera_id: int,
        *,
        up: bool,
        fps: float | None = None,
        error: str | None = None,
        snapshot: Image | None = None,
    ) -> None:
        try:
            with transaction() as session:
                video_service.report_health(
                    session, camera_id=camera_id, up=up, fps=fps, error=error, snapshot=snapshot
                )
        except Exception:
            log.exception("camera %s: health report failed", camera_id)

    def process(
        self,
        run: CameraRun,
        *,
        stop: object = None,
        replay: bool = False,
        pace: bool | None = None,
        clock: Clock | None = None,
    ) -> bool:
        """Read the stream to its end (a file) or until `stop()`; False if it could not be opened or dropped.

        A file replays from the start when `replay` (a camera that plays a clip); each pass is a new `loop`.
        `pace` (default: when replaying, if `replay_realtime`) reads a file at the pace it was filmed, on `clock`.
        """
        s = video_settings()
        should_stop = stop if callable(stop) else (lambda: False)
        cap = open_capture(run.url)
        if not cap.isOpened():
            self._health(run.camera_id, up=False, error="cannot open the stream")
            return False
        is_file = _is_file(run.url)
        paced = is_file and (pace if pace is not None else (replay and s.replay_realtime))
        clock = clock or _RealClock(self.stop)
        if is_file and not run.file_tag:
            run.file_tag = file_tag(run.url)
        pass_start = clock.monotonic()
        last_pos = 0.0
        src_fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
        if not 1.0 <= src_fps <= 120.0:
            src_fps = 25.0
        step = 1.0 / s.sample_fps
        ring: deque[tuple[float, Image]] = deque()
        pending: list[tuple[_Pending, float]] = []
        origin = utcnow()
        next_t = 0.0
        last_health = time.monotonic()
        sampled_since = 0
        bad = 0
        t0 = time.monotonic()
        last_good = t0
        try:
            while not should_stop():
                ok, raw = cap.read()
                if not ok or raw is None:
                    if is_file and ok is False and bad == 0:
                        self._flush(run, pending, ring, final=True)
                        if not replay:
                            return True
                        if paced:  # the pass lasts as long as the footage: its last frame's time too
                            ahead = pass_start + last_pos + 1.0 / src_fps - clock.monotonic()
                            if ahead > 0:
                                clock.sleep(ahead)
                        run.loop += 1
                        cap.release()
                        cap = open_capture(run.url)
                        origin = utcnow()
                        pass_start = clock.monotonic()
                        next_t = 0.0
                        ring.clear()
                        run.pipeline.reset()
                        continue
                    bad += 1
                    # A file: 50 unreadable frames in a row. A live stream: no good frame for `stall_seconds`
                    # (each failed read already waited up to the read timeout).
                    stalled = not is_file and time.monotonic() - last_good >= s.stall_seconds
                    if bad > 50 or stalled:  # the stream dropped
                        self._health(run.camera_id, up=False, error="stream dropped")
                        return False
                    continue
                bad = 0
                last_good = time.monotonic()
                pos = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0 if is_file else time.monotonic() - t0
                last_pos = pos
                if pos + 1e-6 < next_t:
                    continue
                next_t = pos + step * 0.999
                if paced:  # a replayed file at the pace it was filmed: this frame is due `pos` into the pass
                    ahead = pass_start + pos - clock.monotonic()
                    if ahead > 0:
                        clock.sleep(ahead)
                    if should_stop():
                        break
                h, w = raw.shape[:2]
                if w < 32 or h < 32:
                    continue  # a corrupt frame
                aw = s.analysis_width
                img = cv2.resize(raw, (aw, round(h * aw / w)), interpolation=cv2.INTER_AREA) if w != aw else raw
                frame = Frame(pos, img)
                at = origin + timedelta(seconds=pos)
                run.frames += 1
                sampled_since += 1
                ring.append((pos, img))
                while ring and ring[0][0] < pos - (s.pre_seconds + 30.0):
                    ring.popleft()
                for det in run.pipeline.feed(frame, at):
                    p = self._pending(run, det, origin, ring, img, is_file)
                    self._announce(run, p)  # the alarm now, at the decision; the clip after the post-roll
                    pending.append((p, det.t + s.post_seconds))
                if pending:
                    self._flush(run, pending, ring, now_t=pos)
                if time.monotonic() - last_health >= s.health_every_seconds:
                    fps = sampled_since / max(1e-3, time.monotonic() - last_health)
                    self._health(run.camera_id, up=True, fps=fps, snapshot=img)
                    last_health, sampled_since = time.monotonic(), 0
                elif run.frames == 1:
                    self._health(run.camera_id, up=True, fps=None, snapshot=img)
            return True
        finally:
            cap.release()
            if pending:  # stopped or dropped before a post-roll ended: the clip goes with the frames there are
                try:
                    self._flush(run, pending, ring, now_t=next_t, final=True)
                except Exception:
                    log.exception("camera %s: clips of %d incidents not delivered", run.camera_id, len(pending))

    def _pending(
        self,
        run: CameraRun,
        det: Detection,
        origin: datetime,
        ring: deque[tuple[float, Image]],
        img: Image,
        is_file: bool,
    ) -> _Pending:
        s = video_settings()
        started = origin + timedelta(seconds=det.started_t)
        if is_file:  # the file and the position in it: every pass of a looping clip is the same events
            key = f"{det.detector}:{det.zone or '-'}:file{run.file_tag}:{det.key}"
        else:
            bucket = int(started.timestamp()) // s.event_bucket_seconds
            key = f"{det.detector}:{det.zone or '-'}{LIVE_MARK}{bucket}"
        clip_from = max(det.started_t - s.pre_seconds, det.t - s.max_clip_seconds)
        clip = [f for t, f in ring if t >= clip_from]
        return _Pending(
            det,
            started,
            origin + timedelta(seconds=det.t),
            img,
            clip,
            origin + timedelta(seconds=max(0.0, clip_from)),
            key,
        )

    def _announce(self, run: CameraRun, p: _Pending) -> None:
        """Raise the incident's alarm at the decision, with its snapshot; its clip is pending. A failure here is
        logged and not fatal: the clip part after the post-roll carries the whole incident and records it."""
        try:
            if self.pusher is not None and run.identity is not None:
                self._push(run, p, with_clip=False)
                run.pushed += 1
            else:
                rec = self._store(run, p, with_clip=False)
                if rec is not None and rec.created:
                    run.recorded += 1
                    log.info("camera %s: %s %s (alarm %s)", run.camera_id, p.det.detector, p.key, rec.event.alarm_id)
                elif rec is not None:
                    run.duplicates += 1
            p.announced = True
        except PushFailed as exc:
            log.warning(
                "camera %s: alarm of %s not delivered (%s); its clip part will carry it", run.camera_id, p.key, exc
            )
        except Exception:
            log.exception("camera %s: alarm of %s not recorded; its clip part will carry it", run.camera_id, p.key)

    def _store(self, run: CameraRun, p: _Pending, *, with_clip: bool) -> Recorded | None:
        s = video_settings()
        with transaction() as session:
            cam = session.get(Camera, run.camera_id)
            if cam is None:
                return None
            return video_service.record_detection(
                session,
                camera=cam,
                detection=p.det,
                event_key=p.key,
                started_at=p.wall_started,
                detected_at=p.wall_detected,
                snapshot=p.snapshot,
                clip=p.clip if with_clip else None,
                clip_fps=s.sample_fps,
                clip_start=p.clip_start,
                clip_end=p.clip_end,
                zone_place=run.pipeline.zone_places.get((p.det.detector, str(p.det.zone))),
            )

    def _flush(
        self,
        run: CameraRun,
        pending: list[tuple[_Pending, float]],
        ring: deque[tuple[float, Image]],
        *,
        now_t: float = 0.0,
        final: bool = False,
    ) -> None:
        """Incidents whose post-roll is recorded (or whose stream ended): their clips go to the platform."""
        s = video_settings()
        keep: list[tuple[_Pending, float]] = []
        for p, due in pending:
            if not final and now_t < due:
                keep.append((p, due))  # wait for the seconds after the decision
                continue
            if not p.clip_done:
                after = [(t, f) for t, f in ring if p.det.t < t <= max(now_t, p.det.t + s.post_seconds)]
                p.clip = p.clip + [f for _, f in after]
                p.clip_end = p.wall_detected + timedelta(seconds=(after[-1][0] - p.det.t) if after else 0.0)
                p.clip_done = True
            if self.pusher is not None and run.identity is not None:
                try:
                    self._push(run, p, with_clip=True)
                    run.pushed_clips += 1
                except PushFailed as exc:
                    log.warning("camera %s: clip of %s: %s; kept for the next flush", run.camera_id, p.key, exc)
                    if not final:
                        keep.append((p, due))
                continue
            rec = self._store(run, p, with_clip=True)
            if rec is None:
                continue
            if rec.created:  # its alarm did not go out at the decision: recorded now, whole
                run.recorded += 1
                log.info("camera %s: %s %s (alarm %s)", run.camera_id, p.det.detector, p.key, rec.event.alarm_id)
            elif "clip" in rec.attached:
                run.attached += 1
        pending[:] = keep

    def _push(self, run: CameraRun, p: _Pending, *, with_clip: bool) -> None:
        """Deliver through device intake: the platform records it (and dedupes it) when the message arrives."""
        assert self.pusher is not None and run.identity is not None
        s = video_settings()
        message = detection_message(
            p.det,
            event_key=p.key,
            started_at=p.wall_started,
            detected_at=p.wall_detected,
            snapshot=p.snapshot,
            clip=p.clip if with_clip else None,
            clip_fps=s.sample_fps,
            clip_start=p.clip_start,
            clip_end=p.clip_end if with_clip else None,
        )
        self.pusher.send(run.identity, message)
        log.info("camera %s: %s %s pushed as %s", run.camera_id, p.det.detector, p.key, message["event_id"])
