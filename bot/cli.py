"""`reminderbot`: the command line for operators."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from bot.cli_analytics import audit_app, history_app, payments_app, report, score_app
from bot.settings import ROOT, generate_api_token, get_settings

app = typer.Typer(help="Collections reminder bot.", no_args_is_help=True)
accounts_app = typer.Typer(help="The account portfolio.", no_args_is_help=True)
app.add_typer(accounts_app, name="accounts")
agents_app = typer.Typer(help="Console agents and supervisors.", no_args_is_help=True)
app.add_typer(agents_app, name="agents")
app.add_typer(payments_app, name="payments")
app.add_typer(audit_app, name="audit")
app.add_typer(score_app, name="score")
app.add_typer(history_app, name="history")
app.command("report")(report)

DEMO_PORTFOLIO = ROOT / "bot" / "demo" / "portfolio.csv"


@app.command()
def migrate() -> None:
    """Create or upgrade the ledger schema."""
    from bot.ledger.db import migrate as run_migrations

    run_migrations()
    typer.echo(f"ledger schema is current ({get_settings().sql_url})")


@app.command()
def train(force: bool = typer.Option(False, help="Train even if the model is current.")) -> None:
    """Train the Rasa model if it is missing or older than its data."""
    from bot.stack import model_path
    from bot.stack import train as train_model

    trained = train_model(get_settings(), force=force)
    typer.echo(("trained " if trained else "model is current: ") + str(model_path(get_settings())))


@accounts_app.command("import")
def import_accounts(path: Path = typer.Argument(..., exists=True, dir_okay=False)) -> None:
    """Import or update accounts from a CSV file; nothing is written if any row is bad."""
    from bot.accounts import ImportFailed
    from bot.accounts import import_accounts as do_import
    from bot.ledger.db import migrate as run_migrations

    run_migrations()
    try:
        result = do_import(path)
    except ImportFailed as failed:
        for error in failed.errors:
            typer.echo(error, err=True)
        typer.echo(f"nothing imported: {len(failed.errors)} error(s) in {path}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"imported {path}: {result.created} new, {result.updated} updated")


@agents_app.command("add")
def add_agent(
    username: str,
    name: str = typer.Option(..., "--name", help="The name shown in the console."),
    role: str = typer.Option("agent", help="agent or supervisor"),
    password: str = typer.Option(
        ...,
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        envvar="REMINDERBOT_AGENT_PASSWORD",
        help="Prompted for when not given.",
    ),
) -> None:
    """Create a console login (the password is stored only as an argon2 hash)."""
    from bot.agents import AgentExists
    from bot.agents import add_agent as create
    from bot.ledger.db import migrate as run_migrations

    run_migrations()
    try:
        create(username, password, display_name=name, role=role)
    except (AgentExists, ValueError) as problem:
        typer.echo(f"not created: {problem}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"created {role} {username}")


@app.command("chat-link")
def chat_link(account_id: str) -> None:
    """Print a signed, expiring web-chat link for an account."""
    from bot.ledger.db import session_scope
    from bot.ledger.models import Account
    from bot.web.security import chat_link as make_link

    with session_scope() as session:
        if session.get(Account, account_id) is None:
            typer.echo(f"unknown account {account_id}", err=True)
            raise typer.Exit(1)
    settings = get_settings()
    typer.echo(make_link(settings, account_id))
    typer.echo(f"(valid for {settings.chat_link_ttl_minutes} minutes)", err=True)


def _api(method: str, path: str) -> dict:
    """Ask the running gateway (outbound contact needs Rasa, so the stack must be up)."""
    import httpx

    settings = get_settings()
    if not settings.api_token:
        typer.echo("set REMINDERBOT_API_TOKEN to the token `make run` printed", err=True)
        raise typer.Exit(2)
    try:
        response = httpx.request(
            method,
            settings.gateway_url + path,
            timeout=120,
            headers={"Authorization": f"Bearer {settings.api_token}"},
        )
    except httpx.HTTPError as exc:
        typer.echo(f"the gateway is not reachable at {settings.gateway_url}: {exc}", err=True)
        raise typer.Exit(2) from None
    body = response.json()
    if response.status_code >= 400:
        detail = body.get("detail", body)
        typer.echo(f"refused ({response.status_code}): {detail}", err=True)
        raise typer.Exit(1)
    return body


@app.command()
def sms(account_id: str) -> None:
    """Send the reminder text to an account (the contact gate decides first)."""
    body = _api("POST", f"/api/accounts/{account_id}/sms")
    typer.echo(
        f"sent: conversation {body['conversation_id']}, messages "
        f"{', '.join(body['message_sids'])}"
    )


@app.command()
def serve(name: str = typer.Argument(..., help="redis | rasa | actions | gateway")) -> None:
    """Run one process of the stack in the foreground."""
    from bot.stack import child_env, process_commands

    settings = get_settings()
    commands = process_commands(settings)
    if name not in commands:
        raise typer.BadParameter(f"choose one of {', '.join(commands)}")
    token = settings.api_token or generate_api_token()
    os.chdir(ROOT)
    os.execvpe(commands[name][0], commands[name], child_env(settings, token))


@app.command()
def run(demo: bool = typer.Option(True, help="Load the demo portfolio first.")) -> None:
    """Start the whole stack (Redis, Rasa, actions, gateway) and supervise it."""
    from bot.stack import run_forever
    from bot.stack import train as train_model

    settings = get_settings()
    train_model(settings)
    if demo:
        import_accounts(DEMO_PORTFOLIO)
    run_forever(settings, settings.api_token or generate_api_token())


if __name__ == "__main__":
    app()
