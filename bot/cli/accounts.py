"""`reminderbot accounts ...`: the account portfolio."""

from __future__ import annotations

from pathlib import Path

import typer

from bot.settings import ROOT

accounts_app = typer.Typer(help="The account portfolio.", no_args_is_help=True)
DEMO_PORTFOLIO = ROOT / "bot" / "demo" / "portfolio.csv"


@accounts_app.command("import")
def import_accounts(path: Path = typer.Argument(..., exists=True, dir_okay=False)) -> None:
    """Import or update accounts from a CSV file; nothing is written if any row is bad."""
    from bot.ledger.db import migrate as run_migrations
    from bot.ledger.portfolio import ImportFailed
    from bot.ledger.portfolio import import_accounts as do_import

    run_migrations()
    try:
        result = do_import(path)
    except ImportFailed as failed:
        for error in failed.errors:
            typer.echo(error, err=True)
        typer.echo(f"nothing imported: {len(failed.errors)} error(s) in {path}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"imported {path}: {result.created} new, {result.updated} updated")
