"""Device dependencies (people); devices themselves authenticate per message (see intake_service)."""

from __future__ import annotations

from anju.core.auth import requires
from anju.devices.permissions import DevicesPerm

DeviceReader = requires(DevicesPerm.read)
DeviceWriter = requires(DevicesPerm.manage)
DeviceCommander = requires(DevicesPerm.command)
