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


# The demo customer's answers, spoken by espeak-ng (the simulator sends them as 8 kHz mu-law),
# in words Whisper tiny.en hears right through the phone line (bench/asr_accuracy.py).
SPOKEN = {
    "identity": "yes it is",  # Am I speaking with ...?
    "offer": "yes I can",  # Can you pay the minimum of ... today?
    "confirm": "yes",  # Just to confirm: you'll pay ... Is that right?
    "anything_else": "no",  # Is there anything else I can help you with?
}


def caller_steps(digits: str, voice: str = "en-us") -> list[dict]:
    """The demo customer: speaks every answer, and uses the keypad only where the bot asks for
    keys, the verification question (the last 4 digits, or a date of birth that the demo does
    not know); each answer only once the bot has asked and gone quiet. Identity: "yes it is" ·
    verification: the digits on the keypad · the offer: "yes I can" (the minimum, today) · the
    read-back: "yes" · anything else: "no" · hang up."""
    wait = {"wait_for_bot_s": 90}
    said = [{"say": SPOKEN[k], "voice": voice} for k in SPOKEN]
    answers = [said[0], {"dtmf": digits or "0000"}, *said[1:]]
    steps = [wait]
    for answer in answers:
        steps += [answer, wait]
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
    """Print the conversation as it happens: the bot's words, the caller's (as the recogniser
    heard them), and how long the bot took to answer each caller turn."""
    import httpx

    from bot.channels.voice.models import choose
    from bot.ledger.db import session_scope
    from bot.ledger.repo import attempts, conversations

    settings = get_settings()
    typer.echo(f"speech recognition: {choose(settings).describe()}")
    shown, heard, started = 0, 0, time.monotonic()
    while True:
        timeline = httpx.get(
            f"{settings.effective_twilio_api_base}/_sim/calls/{call_sid}", timeout=10
        ).json()
        latencies = timeline["response_latencies_s"]
        with session_scope() as session:
            attempt = attempts.attempt_by_sid(session, call_sid)
            turns = (
                conversations.transcript(session, attempt.conversation_id)
                if attempt and attempt.conversation_id
                else []
            )
            for i, turn in enumerate(turns[shown:], start=shown):
                if turn.speaker != "bot":
                    heard += 1
                    who, after = "caller", ""
                else:
                    who, after = "bot   ", ""
                    answers_caller = i > 0 and turns[i - 1].speaker != "bot"
                    if answers_caller and 0 < heard <= len(latencies):
                        after = f"   [answered in {latencies[heard - 1]:.2f} s]"
                typer.echo(f"{time.monotonic() - started:6.1f}s {who} {turn.text}{after}")
            shown = len(turns)
        if timeline["ended"]:
            break
        time.sleep(0.5)
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
