"""governance: event subscribers and jobs (imported by anju.handlers)."""

from __future__ import annotations

from anju.governance import tasks as _tasks  # noqa: F401  (registers the jobs)
