"""`reminderbot agents ...`: console logins, claiming a case, and the supervisor's view."""

from __future__ import annotations

import typer

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


@agents_app.command("deactivate")
def deactivate_agent(username: str) -> None:
    """Deactivate a console login: no more logins, and every open session ends at once."""
    import redis

    from bot.agents.logins import deactivate
    from bot.infra.redis_client import default_redis
    from bot.ledger.db import migrate
    from bot.web.security import Sessions

    migrate()
    if not deactivate(username):
        typer.echo(f"no active agent {username}", err=True)
        raise typer.Exit(1)
    try:
        ended = Sessions(default_redis()).end_all(username)
    except redis.RedisError as exc:
        # The console checks the ledger on every request too: the sessions are refused anyway.
        typer.echo(f"deactivated {username}; their sessions stay in Redis until expiry ({exc})")
        return
    typer.echo(f"deactivated {username}; {ended} open session(s) ended")


@agents_app.command("claim")
def claim_next(username: str) -> None:
    """Claim the next waiting escalation for an agent (the oldest of the highest priority).

    Claimed in the agent's own name through the queue, as the console does: the API records its
    token holder ("api") as the claimer, whatever name a body gives."""
    from bot.agents.escalations import EscalationQueue
    from bot.infra.redis_client import default_redis
    from bot.ledger.db import migrate, session_scope
    from bot.ledger.repo import agents as agent_rows
    from bot.settings import get_settings

    migrate()
    with session_scope() as session:
        if agent_rows.active_agent(session, username) is None:
            typer.echo(
                f"no active agent {username!r}: add one with `reminderbot agents add`", err=True
            )
            raise typer.Exit(1)
        queue = EscalationQueue(default_redis(), get_settings().escalation_stream)
        claim = queue.claim_next(session, username)
    if claim is None:
        typer.echo("refused (404): the queue is empty", err=True)
        raise typer.Exit(1)
    typer.echo(
        f"{username} claimed escalation {claim.escalation_id}: {claim.reason} "
        f"for account {claim.account_id}"
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
    wait = stats["claim_wait"]
    waits = ", ".join(
        f"{q} {'-' if wait[q] is None else f'{wait[q]:.0f} s'}" for q in ("mean", "p50", "p90")
    )
    typer.echo(f"wait before an agent claimed the case ({wait['claimed']} claimed): {waits}")
    still = stats["open_cases"]
    oldest = "" if still["oldest_s"] is None else f", the oldest for {still['oldest_s']} s"
    typer.echo(f"open cases: {still['count']}{oldest}")
    typer.echo("agents (claimed now, resolved today):")
    for agent in stats["load"]:
        typer.echo(
            f"  {agent['username']} ({agent['name']}): {agent['claimed']}, "
            f"{agent['resolved_today']}"
        )


@agents_app.command("unlock")
def unlock_verification(
    account_id: str,
    agent: str = typer.Option(..., "--agent", help="The agent lifting the lock (audited)."),
) -> None:
    """Lift an account's verification lock (too many failed answers) once a person has verified
    the customer; its counted failures are cleared too."""
    from bot.compliance import audit
    from bot.conversation.lockout import unlock
    from bot.ledger.db import migrate, session_scope

    migrate()
    with session_scope() as session:
        lifted = unlock(session, account_id, by=agent)
        audit.append(
            session,
            kind="agent_action",
            account_id=account_id,
            actor=f"agent:{agent}",
            data={"action": "verification_unlock", "locks_lifted": lifted},
        )
    typer.echo(f"{account_id}: {lifted} verification lock(s) lifted by {agent}")


@agents_app.command("revoke-chat-links")
def revoke_chat_links(account_id: str) -> None:
    """Every chat link sent to the account so far stops working (a new one can be sent)."""
    from bot.channels.webchat import revoke_account_links
    from bot.infra.redis_client import default_redis
    from bot.settings import get_settings

    ttl = get_settings().chat_link_ttl_minutes * 60 + 60
    revoke_account_links(default_redis(), account_id, ttl)
    typer.echo(f"{account_id}: chat links revoked")
