"""Alarm dependencies."""

from __future__ import annotations

from anju.alarms.permissions import AlarmsPerm
from anju.analytics.permissions import AnalyticsPerm
from anju.core.auth import requires

AlarmReader = requires(AlarmsPerm.read)
AlarmHandler = requires(AlarmsPerm.handle)
AlarmStats = requires(AnalyticsPerm.read)
