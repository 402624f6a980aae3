"""Run Alembic programmatically (`anju db upgrade`, tests)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from anju.core.config import get_settings
from anju.core.db import transaction
from anju.core.ids import apply_cell

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("file_template", "%%(year)d-%%(month).2d-%%(day).2d_%%(slug)s")
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(connection: Connection | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(connection), revision)


PostUpgradeHook = Callable[[Session], None]
_post_upgrade_hooks: list[PostUpgradeHook] = []


def on_post_upgrade(hook: PostUpgradeHook) -> None:
    """Register reference data a domain keeps in code, written after every upgrade (privacy does)."""
    if hook not in _post_upgrade_hooks:
        _post_upgrade_hooks.append(hook)


def post_upgrade() -> None:
    """Write the reference data the domains registered (call `anju.startup.register_all()` first)."""
    if not _post_upgrade_hooks:
        raise RuntimeError("no post-upgrade hooks registered: call anju.startup.register_all() first")
    with transaction() as session:
        apply_cell(session, get_settings().cell)  # the global ids' cell (issue 19 item 4)
        for hook in _post_upgrade_hooks:
            hook(session)
