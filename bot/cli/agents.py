"""`reminderbot agents ...`: console logins, claiming a case, and the supervisor's view."""

from __future__ import annotations

import typer

from bot.cli.gateway import api

agents_app = typer.Typer(help="Console agents and supervisors.", no_args_is_help=True)


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


@agents_app.command("claim")
def claim_next(username: str) -> None:
    """Claim the next waiting escalation for an agent (the oldest of the highest priority)."""
    body = api("POST", "/api/escalations/claim-next", {"agent": username})
    typer.echo(
        f"{username} claimed escalation {body['id']}: {body['reason']} "
        f"for account {body['account_id']}"
    )


@agents_app.command("supervisor")
def supervisor_view() -> None:
    """What the console's supervisor page shows: cases by reason, waiting times, agents' load."""
    from bot.agents import console_data
    from bot.ledger.db import migrate, session_scope

    migrate()
    with session_scope() as session:
        stats = console_data.supervisor(session)
    typer.echo("escalations by reason (open / claimed / resolved):")
    for reason, counts in stats["counts"].items():
        typer.echo(f"  {reason}: {counts['open']} / {counts['claimed']} / {counts['resolved']}")
    waits = ", ".join(
        f"{q} {'-' if s is None else f'{s:.0f} s'}" for q, s in stats["waiting"].items()
    )
    typer.echo(f"waiting time: {waits}")
    typer.echo("agents (claimed now, resolved today):")
    for agent in stats["load"]:
        typer.echo(
            f"  {agent['username']} ({agent['name']}): {agent['claimed']}, "
            f"{agent['resolved_today']}"
        )
