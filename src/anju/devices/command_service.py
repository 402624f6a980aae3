"""Commands to devices: a row with a correlation id, published by the gateway, acknowledged on the reply topic."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from anju.core.auth import Principal
from anju.core.db import utcnow
from anju.devices.config import device_settings
from anju.devices.enums import COMMANDS, CommandName, CommandStatus
from anju.devices.exceptions import CommandNotSupported
from anju.devices.models import Device, DeviceCommand
from anju.devices.repository import DeviceRepository
from anju.devices.service import device_service


def command_topic(compound_code: str, device_key: str, root: str | None = None) -> str:
    return f"{root or device_settings().mqtt_topic_root}/{compound_code}/devices/{device_key}/command"


class CommandService:
    def issue(
        self,
        session: Session,
        *,
        by: Principal,
        device_id: int,
        command: CommandName,
        params: dict[str, Any],
        reason: str | None,
        now: datetime | None = None,
    ) -> DeviceCommand:
        """A person sends a command (mute, cut power, open a door)."""
        device = device_service.get(session, by=by, device_id=device_id)
        if command not in COMMANDS.get(device.device_type, frozenset()):
            raise CommandNotSupported(f"{device.device_type.value} does not take {command.value}")
        return self._add(
            session,
            device_id=device.id,
            compound_id=device.compound_id,
            command=command,
            params=params,
            by=by.user_id,
            reason=reason,
            now=now or utcnow(),
        )

    def issue_automatic(
        self,
        session: Session,
        *,
        device_id: int,
        compound_id: int,
        command: str,
        reason: str,
        now: datetime,
        params: dict[str, Any] | None = None,
    ) -> int | None:
        """A rule's (or another domain's automation's) command; at most one open command of a kind per device,
        except a charging start, which always carries the session's newest remaining time (issue 18)."""
        if (
            command != CommandName.start_charge
            and DeviceRepository(session).open_command(device_id, command) is not None
        ):
            return None
        return self._add(
            session,
            device_id=device_id,
            compound_id=compound_id,
            command=CommandName(command),
            params=params or {},
            by=None,
            reason=reason,
            now=now,
        ).id

    def _add(
        self,
        session: Session,
        *,
        device_id: int,
        compound_id: int,
        command: CommandName,
        params: dict[str, Any],
        by: int | None,
        reason: str | None,
        now: datetime,
    ) -> DeviceCommand:
        cmd = DeviceCommand(
            compound_id=compound_id,
            device_id=device_id,
            correlation_id=uuid.uuid4().hex,
            command=command,
            params=params,
            requested_by=by,
            reason=reason,
            created_at=now,
            expires_at=now + timedelta(seconds=device_settings().devices_command_timeout_seconds),
        )
        session.add(cmd)
        session.flush()
        return cmd

    def claim_to_send(
        self, session: Session, *, now: datetime, limit: int = 100, root: str | None = None
    ) -> list[tuple[str, bytes]]:
        """The gateway takes queued commands (CAS queued → sent) and gets (topic, payload) to publish."""
        from anju.registry.models import Compound

        repo = DeviceRepository(session)
        out: list[tuple[str, bytes]] = []
        for cmd in repo.commands_to_send(limit):
            if not repo.cas_command(
                cmd.id, expected=(CommandStatus.queued,), values={"status": CommandStatus.sent, "sent_at": now}
            ):
                continue
            device = session.get(Device, cmd.device_id)
            code = session.get(Compound, cmd.compound_id)
            if device is None or code is None:
                continue
            body = {
                "correlation_id": cmd.correlation_id,
                "command": cmd.command.value,
                "params": cmd.params,
                "ts": now.isoformat(),
                "expires_at": cmd.expires_at.isoformat(),
            }
            out.append((command_topic(code.code, device.device_key, root), json.dumps(body).encode()))
        return out

    def expire(self, session: Session, *, now: datetime | None = None) -> int:
        """Commands nobody acknowledged in time become timed_out."""
        return DeviceRepository(session).expire_commands(now=now or utcnow())


command_service = CommandService()
