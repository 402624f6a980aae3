"""`anju audit verify`: recompute the audit hash chains, one per compound, from the command line."""

from __future__ import annotations

import os
from typing import Annotated, Optional

import typer

audit_app = typer.Typer(help="Audit records: verification of the hash chains")


@audit_app.command("verify")
def verify(
    compound: Annotated[Optional[int], typer.Option("--compound", help="one compound's chains only")] = None,  # noqa: UP045
    database_url: Annotated[Optional[str], typer.Option("--database-url")] = None,  # noqa: UP045
) -> None:
    """Recompute the PII-read and change-record chains of every compound; exit 1 naming each tampered row."""
    if database_url:
        os.environ["ANJU_DATABASE_URL"] = database_url
    from sqlalchemy import func, select

    from anju.core.audit import LEGACY, AuditChainCut, ObjectChange, PiiAccess, verify_anchors, verify_chains
    from anju.core.config import reset_settings
    from anju.core.db import new_session

    reset_settings()
    ok = True
    with new_session() as session:
        scope: int | str = "all" if compound is None else compound
        for reports in (
            verify_chains(session, PiiAccess, compound_id=scope),
            verify_chains(session, ObjectChange, compound_id=scope),
        ):
            for key in sorted(reports, key=lambda k: (k == LEGACY, k is not None, k if isinstance(k, int) else 0)):
                r = reports[key]
                name = {None: "platform", LEGACY: "legacy (before the split)"}.get(key, f"compound {key}")  # type: ignore[arg-type]
                state = "intact" if r.intact else f"TAMPERED at rows {r.broken_at}"
                typer.echo(f"{r.table} {name}: {r.rows} rows, {state}")
                ok = ok and r.intact
        cuts, upto = session.execute(select(func.count(), func.max(AuditChainCut.upto))).one()
        if cuts:
            typer.echo(
                f"retention: months before {upto:%Y-%m-%d} dropped; {cuts} chain cuts, each chain verified from its cut"
            )
        anchors, problems = verify_anchors(session, compound_id=scope)
        for p in problems:
            where = "the anchor itself" if p.what == "anchor" else f"{p.what} row {p.row_id}"
            who = "" if p.compound_id is None else f" (compound {p.compound_id})"
            typer.echo(f"anchor {p.anchor_id}: {where}{who} no longer matches")
        typer.echo(f"anchors: {anchors} checked, {'intact' if not problems else 'TAMPERED'}")
        ok = ok and not problems
    typer.echo("OK" if ok else "TAMPERING DETECTED")
    raise typer.Exit(0 if ok else 1)
