"""Alarm dependencies."""

from __future__ import annotations

from anju.core.auth import requires
from anju.core.rbac import Perm

AlarmReader = requires(Perm.alarms_read)
AlarmHandler = requires(Perm.alarms_handle)
AlarmStats = requires(Perm.analytics_read)
