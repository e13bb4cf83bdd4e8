"""Talking to the running gateway from a command: outbound contact and the text API need Rasa,
so these commands ask the stack `make run` started rather than the ledger directly."""

from __future__ import annotations

import typer

from bot.settings import get_settings


def api(method: str, path: str, json: dict | None = None) -> dict:
    """One authorised request to the gateway; a refusal or an unreachable gateway exits."""
    import httpx

    settings = get_settings()
    if not settings.api_token:
        typer.echo("set REMINDERBOT_API_TOKEN to the token `make run` printed", err=True)
        raise typer.Exit(2)
    try:
        response = httpx.request(
            method,
            settings.gateway_url + path,
            json=json,
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


def account_phone(account_id: str) -> str:
    """The account's phone number, or exit 1 naming the unknown id."""
    from bot.ledger.db import session_scope
    from bot.ledger.repo import accounts

    with session_scope() as session:
        account = accounts.account(session, account_id)
        if account is None:
            typer.echo(f"unknown account {account_id}", err=True)
            raise typer.Exit(1)
        return account.phone
