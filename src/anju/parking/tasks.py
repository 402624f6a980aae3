"""Parking jobs: fire-lane time limits, zombie cars, retention of captures."""

from __future__ import annotations

from datetime import timedelta

from anju.core.db import transaction, utcnow
from anju.core.jobs import job
from anju.parking.lane_service import lane_service


@job("parking.check_fire_lanes", every=timedelta(seconds=60))
def check_fire_lanes() -> None:
    """A car in a fire-lane zone past the limit raises `fire_lane_parking` once per stop."""
    with transaction() as session:
        lane_service.check_fire_lanes(session, now=utcnow())


@job("parking.check_zombies", every=timedelta(hours=1))
def check_zombies() -> None:
    """防止僵尸车占用公共资源: non-resident cars inside longer than the car park's zombie_days."""
    with transaction() as session:
        lane_service.check_zombies(session, now=utcnow())


@job("parking.purge", every=timedelta(hours=6))
def purge() -> None:
    """Captures and closed stays past the retention period are deleted."""
    with transaction() as session:
        lane_service.purge(session, now=utcnow())
