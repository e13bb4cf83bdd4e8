"""Reaching a customer: a web-chat link, a text, a call, or a conversation in the terminal.

Texts and calls go through the running gateway, so the contact gate decides first."""

from __future__ import annotations

import sys

import typer

from bot.cli.gateway import account_phone, api
from bot.cli.sandbox import (
    account_language,
    require_simulator,
    script_caller,
    text_as_customer,
    watch_call,
)
from bot.settings import get_settings


def chat_link(account_id: str) -> None:
    """Print a signed, expiring web-chat link for an account."""
    from bot.web.security import chat_link as make_link

    account_phone(account_id)
    settings = get_settings()
    typer.echo(make_link(settings, account_id))
    typer.echo(f"(valid for {settings.chat_link_ttl_minutes} minutes)", err=True)


def sms(
    account_id: str,
    reply: str = typer.Option(
        "",
        "--reply",
        help="Sandbox: text this as the customer, from the account's phone, and print the "
        "bot's replies (instead of sending the reminder).",
    ),
) -> None:
    """Send the reminder text to an account (the contact gate decides first)."""
    if reply:
        require_simulator()
        for text in text_as_customer(account_phone(account_id), reply):
            typer.echo(f"bot: {text}")
        return
    body = api("POST", f"/api/accounts/{account_id}/sms")
    typer.echo(
        f"sent: conversation {body['conversation_id']}, messages "
        f"{', '.join(body['message_sids'])}"
    )


def call(
    account_id: str,
    sandbox: bool = typer.Option(False, help="Script the simulated customer and watch the call."),
    digits: str = typer.Option(
        "",
        help="With --sandbox: the keys the customer enters to "
        "verify (the demo account's last 4 digits).",
    ),
    speed: float = typer.Option(
        1.0,
        envvar="SANDBOX_CALL_SPEED",
        help="With --sandbox: how fast the simulated line plays the call (1: real time; 4: in "
        "a quarter of the time, as the tests do; the latencies shown are then not real).",
    ),
) -> None:
    """Place a reminder call (the contact gate decides first)."""
    lang = "en"
    if sandbox:
        require_simulator()
        phone, lang = account_phone(account_id), account_language(account_id)
        script_caller(phone, digits, lang, speed)
    body = api("POST", f"/api/accounts/{account_id}/calls")
    typer.echo(f"calling: {body['call_sid']}")
    if sandbox:
        watch_call(body["call_sid"], lang)


def shell(
    account_id: str,
    channel: str = typer.Option("chat", help="chat or sms: the wording the bot uses."),
) -> None:
    """Hold a conversation for an account in the terminal, through the running stack.

    Each line you type is the customer's message; the bot's replies follow. Ends when the bot
    ends the conversation, at end of input (Ctrl-D), or on Ctrl-C."""
    interactive = sys.stdin.isatty()
    body = api("POST", "/api/conversations", {"account_id": account_id, "channel": channel})
    conversation_id = body["conversation_id"]
    for message in body["messages"]:
        typer.echo(f"bot: {message['text']}")
    ended = False
    while not ended:
        if interactive:
            typer.echo("you: ", nl=False)
        try:
            line = sys.stdin.readline()
        except KeyboardInterrupt:
            break
        if not line:
            break
        if not line.strip():
            continue
        reply = api(
            "POST", f"/api/conversations/{conversation_id}/messages", {"text": line.strip()}
        )
        for message in reply["messages"]:
            typer.echo(f"bot: {message['text']}")
        ended = reply["ended"]
    typer.echo(f"(conversation {conversation_id} {'ended' if ended else 'left open'})")
