"""Work-order dependencies: who may read, dispatch and work orders."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from anju.accounts.permissions import AccountsPerm
from anju.core.auth import CurrentPrincipal, Principal, requires
from anju.workorders.permissions import WorkOrdersPerm


def _reader(who: CurrentPrincipal) -> Principal:
    """Staff with workorders.read, or a resident (their own orders only; the repository scopes)."""
    if not (who.can(WorkOrdersPerm.read) or who.can(AccountsPerm.self_service)):
        who.require(WorkOrdersPerm.read)
    return who


OrderReader = Annotated[Principal, Depends(_reader)]
OrderDispatcher = Annotated[Principal, requires(WorkOrdersPerm.dispatch)]
OrderWorker = Annotated[Principal, requires(WorkOrdersPerm.work)]
