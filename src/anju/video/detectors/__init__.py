"""Edge video detectors: small, pure modules (numpy/OpenCV only, no database), each fed one sampled frame at a time.

Every detector takes `Frame`s in time order and returns `Detection`s; thresholds come from its config dataclass,
so a camera's analytics settings (JSON) map onto them one to one. The worker (`anju.video.worker`) decodes the
stream, samples it, runs the motion gate, and calls only the detectors a camera has switched on.
"""
