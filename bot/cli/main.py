"""`reminderbot`: the command line for operators."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from bot.cli.analytics import audit_app, history_app, payments_app, report, score_app
from bot.cli.campaign import campaign_app
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
app.add_typer(campaign_app, name="campaign")
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
    from bot.infra.supervisor import model_path
    from bot.infra.supervisor import train as train_model

    trained = train_model(get_settings(), force=force)
    typer.echo(("trained " if trained else "model is current: ") + str(model_path(get_settings())))


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
    from bot.agents.logins import AgentExists
    from bot.agents.logins import add_agent as create
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
def call(
    account_id: str,
    sandbox: bool = typer.Option(False, help="Script the simulated customer and watch the call."),
    digits: str = typer.Option(
        "",
        help="With --sandbox: the keys the customer enters to "
        "verify (the demo account's last 4 digits).",
    ),
) -> None:
    """Place a reminder call (the contact gate decides first)."""
    if sandbox:
        _script_sandbox_caller(account_id, digits)
    body = _api("POST", f"/api/accounts/{account_id}/calls")
    typer.echo(f"calling: {body['call_sid']}")
    if sandbox:
        _watch_call(account_id, body["call_sid"])


def _script_sandbox_caller(account_id: str, digits: str) -> None:
    import httpx

    from bot.ledger.db import session_scope
    from bot.ledger.models import Account

    settings = get_settings()
    if not settings.uses_simulator:
        typer.echo("--sandbox needs the built-in simulator (no TWILIO_ACCOUNT_SID)", err=True)
        raise typer.Exit(2)
    with session_scope() as session:
        account = session.get(Account, account_id)
        if account is None:
            typer.echo(f"unknown account {account_id}", err=True)
            raise typer.Exit(1)
        phone = account.phone
    wait = {"wait_for_bot_s": 90}
    steps = [
        wait,
        {"say": "yes, speaking"},
        wait,
        {"dtmf": digits or "0000"},
        wait,
        {"dtmf": "1"},
        wait,
        {"dtmf": "1"},
        wait,
        {"dtmf": "2"},
        wait,
        {"hangup": True},
    ]
    httpx.post(
        f"{settings.effective_twilio_api_base}/_sim/expect-call",
        json={"to": phone, "steps": steps},
        timeout=10,
    ).raise_for_status()


def _watch_call(account_id: str, call_sid: str) -> None:
    """Print the conversation as it happens: the bot's words, the caller's, and timings."""
    import time

    import httpx

    from bot.ledger.db import session_scope
    from bot.ledger.models import ContactAttempt, Turn

    settings = get_settings()
    shown, started = 0, time.monotonic()
    while True:
        timeline = httpx.get(
            f"{settings.effective_twilio_api_base}/_sim/calls/{call_sid}", timeout=10
        ).json()
        with session_scope() as session:
            attempt = session.query(ContactAttempt).filter_by(provider_sid=call_sid).first()
            turns = (
                session.query(Turn)
                .filter_by(conversation_id=attempt.conversation_id)
                .order_by(Turn.id)
                .all()
                if attempt and attempt.conversation_id
                else []
            )
            for turn in turns[shown:]:
                who = "bot   " if turn.speaker == "bot" else "caller"
                typer.echo(f"{time.monotonic() - started:6.1f}s {who} {turn.text}")
            shown = len(turns)
        if timeline["ended"]:
            break
        time.sleep(0.5)
    latencies = timeline["response_latencies_s"]
    typer.echo(
        f"call {timeline['status']} ({timeline['answered_by']}); "
        f"bot response latencies (s): {latencies}"
    )


@app.command()
def serve(name: str = typer.Argument(..., help="redis | rasa | actions | gateway")) -> None:
    """Run one process of the stack in the foreground."""
    from bot.infra.supervisor import child_env, process_commands

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
    from bot.infra.supervisor import run_forever
    from bot.infra.supervisor import train as train_model

    settings = get_settings()
    train_model(settings)
    if demo:
        import_accounts(DEMO_PORTFOLIO)
    run_forever(settings, settings.api_token or generate_api_token())


if __name__ == "__main__":
    app()
