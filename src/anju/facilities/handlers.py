"""facilities: event subscribers and jobs (imported by anju.handlers)."""

from __future__ import annotations

from anju.facilities import tasks as _tasks  # noqa: F401  (register the due-plan job)
