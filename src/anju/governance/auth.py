"""Governance dependencies."""

from __future__ import annotations

from anju.accounts.permissions import AccountsPerm
from anju.core.auth import requires
from anju.governance.permissions import VotesPerm

VoteReader = requires(VotesPerm.read)
VoteManager = requires(VotesPerm.manage)
Owner = requires(AccountsPerm.self_service)
