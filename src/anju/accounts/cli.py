"""`anju users ...`: create, grant and disable accounts for scripted installs (acting as the platform)."""

from __future__ import annotations

import os
from typing import Annotated, Optional

import typer

users_app = typer.Typer(help="Staff accounts for scripted installs: create, grant, disable, reset")
DbOpt = Annotated[Optional[str], typer.Option("--database-url", help="overrides ANJU_DATABASE_URL")]  # noqa: UP045


def _setup(database_url: str | None) -> None:
    if database_url:
        os.environ["ANJU_DATABASE_URL"] = database_url
        from anju.core.config import reset_settings

        reset_settings()


def _compound_ids(session: object, codes: list[str]) -> list[int]:
    from sqlalchemy import select

    from anju.registry.models import Compound

    ids = []
    for code in codes:
        cid = session.execute(select(Compound.id).where(Compound.code == code)).scalar_one_or_none()  # type: ignore[attr-defined]
        if cid is None:
            raise typer.BadParameter(f"no compound with code {code}")
        ids.append(int(cid))
    return ids


def _fail(e: Exception) -> typer.Exit:
    from anju.core.errors import AppError

    message = e.detail if isinstance(e, AppError) and e.detail else str(e)
    typer.echo(f"refused: {message}", err=True)
    return typer.Exit(2)


@users_app.command("create")
def create(
    username: str,
    role: Annotated[str, typer.Option(help="platform_admin, property_manager, property_staff, guard, grid_worker")],
    compound: Annotated[Optional[list[str]], typer.Option(help="compound code; repeat for several")] = None,  # noqa: UP045
    name: Annotated[str, typer.Option(help="display name")] = "",
    password: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            envvar="ANJU_NEW_USER_PASSWORD",
            help="a temporary password (changed at first sign-in); omitted: one is generated and printed",
            show_default=False,
        ),
    ] = None,
    invite: Annotated[bool, typer.Option(help="print a one-time link instead of a password")] = False,
    database_url: DbOpt = None,
) -> None:
    """Create an account; it must change its password at first sign-in."""
    _setup(database_url)
    from anju.accounts.user_admin_service import user_admin_service
    from anju.core.db import transaction
    from anju.core.errors import AppError
    from anju.core.rbac import Role

    try:
        wanted = Role(role)
    except ValueError:
        raise typer.BadParameter(f"unknown role {role}") from None
    try:
        with transaction() as session:
            issued = user_admin_service.create(
                session,
                who=None,
                username=username,
                display_name=name,
                role=wanted,
                compound_ids=_compound_ids(session, compound or []),
                invite=invite,
                password=password,
            )
            user_id = issued.user.id
    except AppError as e:
        raise _fail(e) from None
    typer.echo(f"created {username} (id {user_id}, {wanted.value})")
    if issued.link_path:
        typer.echo(f"one-time link: {issued.link_path}")
    elif issued.temporary_password and not password:
        typer.echo(f"temporary password: {issued.temporary_password}")


@users_app.command("grant")
def grant(
    username: str,
    compound: Annotated[list[str], typer.Option(help="compound code; repeat for several")],
    database_url: DbOpt = None,
) -> None:
    """Grant an account one or more compounds (keeps its other grants)."""
    _setup(database_url)
    from anju.accounts.user_admin_service import grants_of, user_admin_service
    from anju.core.db import transaction
    from anju.core.errors import AppError

    try:
        with transaction() as session:
            user = user_admin_service.by_username(session, username)
            wanted = sorted(grants_of(session, user.id) | set(_compound_ids(session, compound)))
            user_admin_service.set_compounds(session, who=None, user_id=user.id, compound_ids=wanted)
    except AppError as e:
        raise _fail(e) from None
    typer.echo(f"{username}: compounds {', '.join(compound)} granted")


@users_app.command("disable")
def disable(username: str, database_url: DbOpt = None) -> None:
    """Disable an account; its sessions and tokens end at once."""
    _setup(database_url)
    from anju.accounts.user_admin_service import user_admin_service
    from anju.core.db import transaction
    from anju.core.errors import AppError

    try:
        with transaction() as session:
            user = user_admin_service.by_username(session, username)
            user_admin_service.set_active(session, who=None, user_id=user.id, active=False)
    except AppError as e:
        raise _fail(e) from None
    typer.echo(f"{username}: disabled, sessions revoked")


@users_app.command("reset-password")
def reset_password(
    username: str,
    link: Annotated[bool, typer.Option(help="print a one-time link instead of a temporary password")] = False,
    database_url: DbOpt = None,
) -> None:
    """A new temporary password (or a one-time link); the account's sessions end."""
    _setup(database_url)
    from anju.accounts.user_admin_service import user_admin_service
    from anju.core.db import transaction
    from anju.core.errors import AppError

    try:
        with transaction() as session:
            user = user_admin_service.by_username(session, username)
            issued = user_admin_service.reset_password(session, who=None, user_id=user.id, link=link)
    except AppError as e:
        raise _fail(e) from None
    typer.echo(f"one-time link: {issued.link_path}" if link else f"temporary password: {issued.temporary_password}")
