"""Video events: the video domain raises alarms through the alarm centre's contract (`anju.alarms.events`);
it publishes nothing of its own yet (an incident is an alarm with evidence, not a second event stream)."""

from __future__ import annotations

from anju.alarms.events import AlarmRequested

__all__ = ["AlarmRequested"]
