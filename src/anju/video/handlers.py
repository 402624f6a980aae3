"""Video subscribers and jobs (imported by anju.handlers): the retention job."""

from __future__ import annotations

from anju.video import tasks as _tasks  # noqa: F401
