"""patrol: event subscribers and jobs (imported by anju.handlers)."""

from __future__ import annotations

from anju.patrol import tasks as _tasks  # noqa: F401  (register the patrol watch job)
