"""Access dependencies: terminals authenticate with their device key; people by role."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Header

from anju.access.config import access_settings
from anju.access.exceptions import DeviceNotTerminal, TooManyStreams
from anju.access.models import Terminal
from anju.access.permissions import AccessPerm
from anju.access.repository import PointQuery
from anju.accounts.permissions import AccountsPerm
from anju.accounts.service import account_service
from anju.core.auth import CurrentPrincipal, Principal, requires
from anju.core.deps import WriteSession
from anju.core.errors import Forbidden, Unauthenticated

# argon2 costs tens of milliseconds; a gate decision must answer in a few. A verified
# (key, secret digest) is remembered briefly; the credential row is still read on every
# request, so deactivating a device takes effect at once.
_VERIFIED_TTL = 300.0
_verified: dict[tuple[str, str], float] = {}
_lock = threading.Lock()


def device_headers(
    x_device_key: Annotated[str | None, Header()] = None,
    x_device_secret: Annotated[str | None, Header()] = None,
) -> tuple[str, str]:
    """A terminal's key and secret as sent (401 without them); nothing checked against the database yet.

    As a dependency it answers 401 before the body is validated, for endpoints that check the credential
    later (`terminal_endpoints.terminal_write`)."""
    if not x_device_key or not x_device_secret:
        raise Unauthenticated("device key and secret required", zh="需要设备认证")
    return x_device_key, x_device_secret


DeviceHeaders = Annotated[tuple[str, str], Depends(device_headers)]


def current_terminal(
    session: WriteSession,
    x_device_key: Annotated[str | None, Header()] = None,
    x_device_secret: Annotated[str | None, Header()] = None,
) -> Terminal:
    x_device_key, x_device_secret = device_headers(x_device_key, x_device_secret)
    digest = hashlib.sha256(x_device_secret.encode()).hexdigest()
    k = (x_device_key, digest)
    now = time.monotonic()
    if _verified.get(k, 0.0) > now:
        # One query on the hot path: the terminal of an active device credential.
        terminal = PointQuery(session).terminal_by_key(x_device_key)
        if terminal is None:
            raise Unauthenticated("unknown device or wrong secret", zh="设备认证失败")
    else:
        cred = account_service.authenticate_device(session, key_id=x_device_key, secret=x_device_secret)
        with _lock:
            _verified[k] = now + _VERIFIED_TTL
        terminal = PointQuery(session).terminal_by_device(cred.id)
    if terminal is None or not terminal.active:
        raise DeviceNotTerminal()
    return terminal


CurrentTerminal = Annotated[Terminal, Depends(current_terminal)]


class StreamSlots:
    """Open live streams per user in this process: each holds a connection and a poll per second."""

    def __init__(self) -> None:
        self._open: dict[int, int] = {}
        self._lock = threading.Lock()

    def acquire(self, user_id: int) -> Callable[[], None]:
        """Take a slot (429 too_many_streams if the user has the maximum open); returns its release."""
        cap = access_settings().feed_streams_per_user
        with self._lock:
            if self._open.get(user_id, 0) >= cap:
                raise TooManyStreams(f"at most {cap} live feeds per user", zh=f"每个用户最多同时打开 {cap} 个实时记录")
            self._open[user_id] = self._open.get(user_id, 0) + 1
        released = False

        def release() -> None:
            nonlocal released
            with self._lock:
                if not released:
                    released = True
                    left = self._open.get(user_id, 1) - 1
                    if left > 0:
                        self._open[user_id] = left
                    else:
                        self._open.pop(user_id, None)

        return release

    def open_for(self, user_id: int) -> int:
        return self._open.get(user_id, 0)


feed_streams = StreamSlots()
AccessReader = Annotated[Principal, requires(AccessPerm.read)]
AccessManager = Annotated[Principal, requires(AccessPerm.manage)]
VisitorDesk = Annotated[Principal, requires(AccessPerm.visitors_manage)]


def _self_or_staff(who: CurrentPrincipal) -> Principal:
    if not (who.can(AccountsPerm.self_service) or who.can(AccessPerm.read)):
        raise Forbidden("not for this role", zh="该角色无权使用门禁功能")
    return who


AccessUser = Annotated[Principal, Depends(_self_or_staff)]
