"""Governance dependencies."""

from __future__ import annotations

from anju.core.auth import requires
from anju.core.rbac import Perm

VoteReader = requires(Perm.votes_read)
VoteManager = requires(Perm.votes_manage)
Owner = requires(Perm.self_service)
