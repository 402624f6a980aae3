"""fees: event subscribers and jobs (imported by anju.handlers)."""

from __future__ import annotations

from anju.fees import tasks as _tasks  # noqa: F401  (registers the monthly billing job)
