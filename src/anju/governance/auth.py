"""Governance dependencies."""

from __future__ import annotations

from typing import Annotated

from anju.accounts.permissions import AccountsPerm
from anju.core.auth import Principal, requires
from anju.governance.permissions import VotesPerm

VoteReader = Annotated[Principal, requires(VotesPerm.read)]
VoteManager = Annotated[Principal, requires(VotesPerm.manage)]
Owner = Annotated[Principal, requires(AccountsPerm.self_service)]
