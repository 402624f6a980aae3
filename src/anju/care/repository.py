"""Every query of the care domain (device and access reads are read-only views of their tables)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from anju.care.models import CareConsent, CareContact, CareLadderStep, CareProfile, CareSilenceEpisode, CareVisit
from anju.registry.models import EmergencyContact, House, Person

# Device types whose typed readings (telemetry or events, never heartbeats) count as a person's activity.
ACTIVITY_DEVICE_TYPES = ("door_magnet", "motion_sensor", "water_meter", "power_meter", "sos_button", "fall_wristband")


class CareRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def profile(self, profile_id: int) -> CareProfile | None:
        return self.session.get(CareProfile, profile_id)

    def profile_of_person(self, person_id: int) -> CareProfile | None:
        return self.session.execute(select(CareProfile).where(CareProfile.person_id == person_id)).scalar_one_or_none()

    def profiles(self, compound_ids: Iterable[int], *, active_only: bool = False) -> list[CareProfile]:
        stmt = select(CareProfile).where(CareProfile.compound_id.in_(list(compound_ids))).order_by(CareProfile.id)
        if active_only:
            stmt = stmt.where(CareProfile.active.is_(True))
        return list(self.session.execute(stmt).scalars())

    def watched_profiles(self) -> list[CareProfile]:
        """Active profiles of people living alone: the silence check's population."""
        stmt = (
            select(CareProfile)
            .where(CareProfile.active.is_(True), CareProfile.living_alone.is_(True))
            .order_by(CareProfile.id)
        )
        return list(self.session.execute(stmt).scalars())

    def names(self, person_ids: Iterable[int]) -> dict[int, str]:
        ids = list(person_ids) or [-1]
        return dict(self.session.execute(select(Person.id, Person.name).where(Person.id.in_(ids))).tuples().all())

    def house_labels(self, house_ids: Iterable[int | None]) -> dict[int, str]:
        ids = [h for h in house_ids if h is not None] or [-1]
        return dict(self.session.execute(select(House.id, House.label).where(House.id.in_(ids))).tuples().all())

    def house(self, house_id: int) -> House | None:
        return self.session.get(House, house_id)

    def contacts(self, profile_id: int) -> list[tuple[CareContact, EmergencyContact]]:
        stmt = (
            select(CareContact, EmergencyContact)
            .join(EmergencyContact, EmergencyContact.id == CareContact.contact_id)
            .where(CareContact.profile_id == profile_id)
            .order_by(CareContact.position)
        )
        return [(c, e) for c, e in self.session.execute(stmt).tuples()]

    def consents(self, profile_id: int) -> list[CareConsent]:
        stmt = select(CareConsent).where(CareConsent.profile_id == profile_id).order_by(CareConsent.id)
        return list(self.session.execute(stmt).scalars())

    def active_consent(self, profile_id: int, scope: str) -> CareConsent | None:
        stmt = (
            select(CareConsent)
            .where(CareConsent.profile_id == profile_id, CareConsent.scope == scope, CareConsent.withdrawn_at.is_(None))
            .order_by(CareConsent.id.desc())
            .limit(1)
        )
        return self.session.execute(stmt).scalar_one_or_none()

    def device_activity(self, house_ids: list[int], *, since: datetime) -> dict[int, datetime]:
        """Newest typed reading per house from its activity sensors (heartbeats are not activity)."""
        from anju.devices.models import Device, DeviceMessage

        if not house_ids:
            return {}
        stmt = (
            select(Device.house_id, func.max(DeviceMessage.device_at))
            .join(DeviceMessage, DeviceMessage.device_id == Device.id)
            .where(
                Device.house_id.in_(house_ids),
                Device.device_type.in_(ACTIVITY_DEVICE_TYPES),
                Device.active.is_(True),
                DeviceMessage.kind.in_(("telemetry", "event")),
                DeviceMessage.received_at >= since,
            )
            .group_by(Device.house_id)
        )
        return {int(h): at for h, at in self.session.execute(stmt).tuples() if h is not None and at is not None}

    def activity_history(
        self, *, person_id: int, house_id: int | None, since: datetime, until: datetime
    ) -> list[datetime]:
        """Times of the typed activity of one home (the learned rule's history): the person's allowed passages and
        the home's activity-sensor readings (telemetry or events; never heartbeats), oldest first."""
        from anju.access.enums import Decision
        from anju.access.models import AccessLog
        from anju.devices.models import Device, DeviceMessage

        times = list(
            self.session.execute(
                select(AccessLog.server_at).where(
                    AccessLog.person_id == person_id,
                    AccessLog.decision == Decision.allow,
                    AccessLog.server_at >= since,
                    AccessLog.server_at < until,
                )
            ).scalars()
        )
        if house_id is not None:
            times += [
                t
                for t in self.session.execute(
                    select(DeviceMessage.device_at)
                    .join(Device, Device.id == DeviceMessage.device_id)
                    .where(
                        Device.house_id == house_id,
                        Device.device_type.in_(ACTIVITY_DEVICE_TYPES),
                        DeviceMessage.kind.in_(("telemetry", "event")),
                        DeviceMessage.received_at >= since,
                        DeviceMessage.device_at < until,
                    )
                ).scalars()
                if t is not None
            ]
        return sorted(times)

    def offline_sensor_houses(self, house_ids: list[int]) -> set[int]:
        """Houses with an activity sensor that is offline: silence there is a device fault, not an inactive person."""
        from anju.devices.models import Device, DeviceState

        if not house_ids:
            return set()
        stmt = (
            select(Device.house_id)
            .join(DeviceState, DeviceState.device_id == Device.id)
            .where(
                Device.house_id.in_(house_ids),
                Device.device_type.in_(ACTIVITY_DEVICE_TYPES),
                Device.active.is_(True),
                DeviceState.status == "offline",
            )
        )
        return {int(h) for h in self.session.execute(stmt).scalars() if h is not None}

    def visit(self, visit_id: int) -> CareVisit | None:
        return self.session.get(CareVisit, visit_id)

    def visits(
        self,
        compound_ids: Iterable[int],
        *,
        status: str | None = None,
        assigned_user_id: int | None = None,
        due_before: date | None = None,
        limit: int = 200,
    ) -> list[CareVisit]:
        stmt = select(CareVisit).where(CareVisit.compound_id.in_(list(compound_ids)))
        if status is not None:
            stmt = stmt.where(CareVisit.status == status)
        if assigned_user_id is not None:
            stmt = stmt.where(CareVisit.assigned_user_id == assigned_user_id)
        if due_before is not None:
            stmt = stmt.where(CareVisit.due_on < due_before)
        stmt = stmt.order_by(CareVisit.due_on, CareVisit.id).limit(limit)
        return list(self.session.execute(stmt).scalars())

    def done_months(self, profile_ids: list[int], *, start: datetime, end: datetime) -> set[tuple[int, str]]:
        """(profile, "YYYY-MM" in China time) pairs with at least one done visit or contact."""
        from anju.core.kit.china_time import to_china

        if not profile_ids:
            return set()
        stmt = select(CareVisit.profile_id, CareVisit.visited_at).where(
            CareVisit.profile_id.in_(profile_ids),
            CareVisit.status == "done",
            CareVisit.visited_at >= start,
            CareVisit.visited_at < end,
        )
        return {(p, to_china(at).strftime("%Y-%m")) for p, at in self.session.execute(stmt).tuples() if at}

    def episodes(self, profile_id: int, limit: int = 20) -> list[CareSilenceEpisode]:
        stmt = (
            select(CareSilenceEpisode)
            .where(CareSilenceEpisode.profile_id == profile_id)
            .order_by(CareSilenceEpisode.id.desc())
            .limit(limit)
        )
        return list(self.session.execute(stmt).scalars())

    def due_steps(self, now: datetime, *, limit: int = 200) -> list[tuple[CareLadderStep, CareSilenceEpisode]]:
        """Pending ladder rungs due by `now`, oldest first, with their episode."""
        stmt = (
            select(CareLadderStep, CareSilenceEpisode)
            .join(CareSilenceEpisode, CareSilenceEpisode.id == CareLadderStep.episode_id)
            .where(CareLadderStep.status == "pending", CareLadderStep.due_at <= now)
            .order_by(CareLadderStep.due_at, CareLadderStep.episode_id, CareLadderStep.rung)
            .limit(limit)
        )
        return [(a, b) for a, b in self.session.execute(stmt).tuples()]

    def steps(self, episode_id: int) -> list[CareLadderStep]:
        stmt = select(CareLadderStep).where(CareLadderStep.episode_id == episode_id).order_by(CareLadderStep.rung)
        return list(self.session.execute(stmt).scalars())

    def open_episodes(self, compound_id: int, limit: int = 100) -> list[CareSilenceEpisode]:
        stmt = (
            select(CareSilenceEpisode)
            .where(CareSilenceEpisode.compound_id == compound_id, CareSilenceEpisode.closed_at.is_(None))
            .order_by(CareSilenceEpisode.raised_at.desc())
            .limit(limit)
        )
        return list(self.session.execute(stmt).scalars())
