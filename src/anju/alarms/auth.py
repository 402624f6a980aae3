"""Alarm dependencies."""

from __future__ import annotations

from typing import Annotated

from anju.alarms.permissions import AlarmsPerm
from anju.analytics.permissions import AnalyticsPerm
from anju.core.auth import Principal, requires

AlarmReader = Annotated[Principal, requires(AlarmsPerm.read)]
AlarmHandler = Annotated[Principal, requires(AlarmsPerm.handle)]
AlarmStats = Annotated[Principal, requires(AnalyticsPerm.read)]
