"""`anju votes ...`: verify a vote's ballots and tally from the command line."""

from __future__ import annotations

import json
import os
from typing import Annotated, Optional

import typer

votes_app = typer.Typer(help="Owner votes: verification of ballots and tallies")


@votes_app.command("verify")
def verify(
    vote_id: int,
    database_url: Annotated[Optional[str], typer.Option("--database-url")] = None,  # noqa: UP045
    as_json: Annotated[bool, typer.Option("--json", help="print the full report as JSON")] = False,
) -> None:
    """Recompute the ballot and event hash chains, the electorate and the tally; exit 1 if anything was tampered."""
    if database_url:
        os.environ["ANJU_DATABASE_URL"] = database_url
    from anju.core.config import reset_settings
    from anju.core.db import new_session
    from anju.governance.models import Vote
    from anju.governance.service import vote_service

    reset_settings()
    with new_session() as session:
        vote = session.get(Vote, vote_id)
        if vote is None:
            typer.echo(f"vote {vote_id} not found", err=True)
            raise typer.Exit(2)
        r = vote_service.verify(session, vote)
    if as_json:
        typer.echo(json.dumps({**r.__dict__, "ok": r.ok}, ensure_ascii=False, default=str, indent=2))
    else:
        typer.echo(f"vote {vote_id} «{vote.title}»: {r.ballots} ballots, {r.events} events")
        typer.echo(f"  ballot chain: {'intact' if not r.tampered_ballots else f'TAMPERED rows {r.tampered_ballots}'}")
        typer.echo(f"  event chain:  {'intact' if not r.tampered_events else f'TAMPERED rows {r.tampered_events}'}")
        typer.echo(f"  electorate:   {'as published' if r.electorate_intact else 'CHANGED since publication'}")
        typer.echo(
            f"  tally:        {({None: 'not tallied yet', True: 'matches a recount'}).get(r.tally_matches, 'DIFFERS from a recount')}"
        )
        for p in r.problems:
            typer.echo(f"  problem: {p}")
        for item in r.recount:
            typer.echo(
                f"  item {item['position']}: {item['official']} (participants {item['participating']['owners']}"
                f"/{item['total']['owners']}, yes {item['yes']['owners']})"
            )
        typer.echo("OK" if r.ok else "TAMPERING DETECTED")
    raise typer.Exit(0 if r.ok else 1)
