"""Access dependencies: terminals authenticate with their device key; people by role."""

from __future__ import annotations

import hashlib
import threading
import time
from typing import Annotated

from fastapi import Depends, Header

from anju.access.exceptions import DeviceNotTerminal
from anju.access.models import Terminal
from anju.access.permissions import AccessPerm
from anju.access.repository import AccessQuery
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


def current_terminal(
    session: WriteSession,
    x_device_key: Annotated[str | None, Header()] = None,
    x_device_secret: Annotated[str | None, Header()] = None,
) -> Terminal:
    if not x_device_key or not x_device_secret:
        raise Unauthenticated("device key and secret required", zh="需要设备认证")
    digest = hashlib.sha256(x_device_secret.encode()).hexdigest()
    k = (x_device_key, digest)
    now = time.monotonic()
    if _verified.get(k, 0.0) > now:
        # One query on the hot path: the terminal of an active device credential.
        terminal = AccessQuery(session).terminal_by_key(x_device_key)
        if terminal is None:
            raise Unauthenticated("unknown device or wrong secret", zh="设备认证失败")
    else:
        cred = account_service.authenticate_device(session, key_id=x_device_key, secret=x_device_secret)
        with _lock:
            _verified[k] = now + _VERIFIED_TTL
        terminal = AccessQuery(session).terminal_by_device(cred.id)
    if terminal is None or not terminal.active:
        raise DeviceNotTerminal()
    return terminal


CurrentTerminal = Annotated[Terminal, Depends(current_terminal)]
AccessReader = Annotated[Principal, requires(AccessPerm.read)]
AccessManager = Annotated[Principal, requires(AccessPerm.manage)]
VisitorDesk = Annotated[Principal, requires(AccessPerm.visitors_manage)]


def _self_or_staff(who: CurrentPrincipal) -> Principal:
    if not (who.can(AccountsPerm.self_service) or who.can(AccessPerm.read)):
        raise Forbidden("not for this role", zh="该角色无权使用门禁功能")
    return who


AccessUser = Annotated[Principal, Depends(_self_or_staff)]
