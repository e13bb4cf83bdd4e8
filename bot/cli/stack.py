"""Running the product: the ledger schema, the Rasa model, one process or the whole stack."""

from __future__ import annotations

import os

import typer

from bot.settings import ROOT, generate_api_token, get_settings


def migrate() -> None:
    """Create or upgrade the ledger schema."""
    from bot.ledger.db import migrate as run_migrations

    run_migrations()
    typer.echo(f"ledger schema is current ({get_settings().sql_url})")


def train(force: bool = typer.Option(False, help="Train even if the model is current.")) -> None:
    """Train the Rasa model if it is missing or older than its data."""
    from bot.infra.supervisor import model_path
    from bot.infra.supervisor import train as train_model

    trained = train_model(get_settings(), force=force)
    typer.echo(("trained " if trained else "model is current: ") + str(model_path(get_settings())))


def serve(name: str = typer.Argument(..., help="redis | rasa | actions | gateway")) -> None:
    """Run one process of the stack in the foreground."""
    from bot.infra.supervisor import child_env, process_commands, process_env

    settings = get_settings()
    commands = process_commands(settings)
    if name not in commands:
        raise typer.BadParameter(f"choose one of {', '.join(commands)}")
    token = settings.api_token or generate_api_token()
    os.chdir(ROOT)
    os.execvpe(commands[name][0], commands[name], process_env(name, child_env(settings, token)))


def run(
    demo: bool = typer.Option(True, help="Load the demo portfolio first."),
    replicas: int = typer.Option(
        None, min=1, help="N gateways, Rasa and action servers behind HAProxy (or REPLICAS=N)."
    ),
) -> None:
    """Start the whole stack (Redis, Rasa, actions, gateway) and supervise it."""
    from bot.cli.accounts import DEMO_PORTFOLIO, import_accounts
    from bot.infra.guards import StackRefused
    from bot.infra.replicas import refuse_without_shared_state
    from bot.infra.supervisor import run_forever
    from bot.infra.supervisor import train as train_model

    settings = get_settings()
    if replicas is not None:
        settings = settings.copy(update={"replicas": replicas})
    try:  # before training or importing anything
        refuse_without_shared_state(settings)
    except StackRefused as refused:
        raise SystemExit(f"!! {refused}") from None
    train_model(settings)
    if demo:
        import_accounts(DEMO_PORTFOLIO)
    run_forever(settings, settings.api_token or generate_api_token())
