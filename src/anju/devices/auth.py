"""Device dependencies (people); devices themselves authenticate per message (see intake_service)."""

from __future__ import annotations

from anju.core.auth import requires
from anju.core.rbac import Perm

DeviceReader = requires(Perm.devices_read)
DeviceWriter = requires(Perm.devices_manage)
DeviceCommander = requires(Perm.devices_command)
