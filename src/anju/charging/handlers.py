"""Charging: jobs (imported by anju.handlers). The piles' reports are read by the job after a cursor."""

from anju.charging import tasks as _tasks  # noqa: F401
