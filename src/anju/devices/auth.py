"""Device dependencies (people); devices themselves authenticate per message (see intake_service)."""

from __future__ import annotations

from typing import Annotated

from anju.core.auth import Principal, requires
from anju.devices.permissions import DevicesPerm

DeviceReader = Annotated[Principal, requires(DevicesPerm.read)]
DeviceWriter = Annotated[Principal, requires(DevicesPerm.manage)]
DeviceCommander = Annotated[Principal, requires(DevicesPerm.command)]
