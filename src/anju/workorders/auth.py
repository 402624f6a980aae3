"""Work-order dependencies: who may read, dispatch and work orders."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from anju.core.auth import CurrentPrincipal, Principal, requires
from anju.core.rbac import Perm


def _reader(who: CurrentPrincipal) -> Principal:
    """Staff with workorders.read, or a resident (their own orders only; the repository scopes)."""
    if not (who.can(Perm.workorders_read) or who.can(Perm.self_service)):
        who.require(Perm.workorders_read)
    return who


OrderReader = Annotated[Principal, Depends(_reader)]
OrderDispatcher = requires(Perm.workorders_dispatch)
OrderWorker = requires(Perm.workorders_work)
