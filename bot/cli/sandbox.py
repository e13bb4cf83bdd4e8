"""The sandbox carrier from the operator's side: script the simulated customer of a call and
watch it, or text the bot as the customer. Only with the built-in simulator (no Twilio account)."""

from __future__ import annotations

import time

import typer

from bot.settings import get_settings


def require_simulator() -> None:
    if not get_settings().uses_simulator:
        typer.echo("--sandbox needs the built-in simulator (no TWILIO_ACCOUNT_SID)", err=True)
        raise typer.Exit(2)


def caller_steps(digits: str) -> list[dict]:
    """The demo customer: every answer on the keypad, so any speech model (or none that knows
    English) hears it the same; each key is pressed only after the bot has asked and gone quiet.
    Identity: 1 (yes) · verification: the digits · the offer: 1 (pay the minimum) · the read-back:
    1 (yes) · anything else: 2 (no) · hang up."""
    wait = {"wait_for_bot_s": 90}
    steps = [wait]
    for keys in ("1", digits or "0000", "1", "1", "2"):
        steps += [{"dtmf": keys}, wait]
    return [*steps, {"hangup": True}]


def script_caller(phone: str, digits: str) -> None:
    import httpx

    settings = get_settings()
    httpx.post(
        f"{settings.effective_twilio_api_base}/_sim/expect-call",
        json={"to": phone, "steps": caller_steps(digits)},
        timeout=10,
    ).raise_for_status()


def watch_call(call_sid: str) -> None:
    """Print the conversation as it happens: the bot's words, the caller's, and timings."""
    import httpx

    from bot.ledger.db import session_scope
    from bot.ledger.repo import attempts, conversations

    settings = get_settings()
    shown, started = 0, time.monotonic()
    while True:
        timeline = httpx.get(
            f"{settings.effective_twilio_api_base}/_sim/calls/{call_sid}", timeout=10
        ).json()
        with session_scope() as session:
            attempt = attempts.attempt_by_sid(session, call_sid)
            turns = (
                conversations.transcript(session, attempt.conversation_id)
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


def text_as_customer(phone: str, text: str) -> list[str]:
    """Text the bot from the customer's number through the simulator; the bot's replies."""
    import httpx

    settings = get_settings()
    response = httpx.post(
        f"{settings.effective_twilio_api_base}/_sim/inbound-sms",
        json={"from": phone, "to": settings.twilio_from_number, "body": text},
        timeout=120,
    )
    response.raise_for_status()
    return response.json()["replies"]
