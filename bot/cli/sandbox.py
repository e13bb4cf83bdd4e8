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


# The Mandarin demo customer (a zh account, e.g. CN-4001): its Chinese said as the bot says
# Chinese, tone-numbered pinyin in espeak-ng's Mandarin voice. The Whisper base model hears the
# short yes/no answers right (their grammar prompts it), not free speech such as "是的" to the
# offer, so the offer is answered with the key its menu offers ("今天还最低还款额请按1").
SPOKEN_ZH = {
    "identity": "是的",  # 请问您是王芳本人吗？
    "offer": None,  # key 1: the minimum, today
    "confirm": "对",  # 跟您确认一下……对吗？
    "anything_else": "没有",  # 请问还有其他需要帮您的吗？
}
PINYIN_VOICE = "cmn-latn-pinyin"


def caller_steps(digits: str, voice: str = "en-us", lang: str = "en") -> list[dict]:
    """The demo customer: speaks its answers, and uses the keypad only where the bot asks for
    keys, the verification question (the last 4 digits, or a date of birth that the demo does
    not know); each answer only once the bot has asked and gone quiet. Identity: "yes it is" ·
    verification: the digits on the keypad · the offer: "yes I can" (the minimum, today) · the
    read-back: "yes" · anything else: "no" · hang up. In Mandarin (`lang` "zh"): 是的 · the
    digits · key 1 at the offer · 对 · 没有 · hang up."""
    wait = {"wait_for_bot_s": 90}
    if lang == "zh":
        from telephony.speakable_zh import speakable_zh

        said = [
            {"say": speakable_zh(v), "voice": PINYIN_VOICE} if v else {"dtmf": "1"}
            for v in SPOKEN_ZH.values()
        ]
    else:
        said = [{"say": SPOKEN[k], "voice": voice} for k in SPOKEN]
    answers = [said[0], {"dtmf": digits or "0000"}, *said[1:]]
    steps = [wait]
    for answer in answers:
        steps += [answer, wait]
    return [*steps, {"hangup": True}]


def account_language(account_id: str) -> str:
    """The language the bot speaks with the account ("en", "zh")."""
    from bot.conversation.language import normalise
    from bot.ledger.db import session_scope
    from bot.ledger.repo import accounts

    with session_scope() as session:
        return normalise(accounts.account(session, account_id).language)


def script_caller(phone: str, digits: str, lang: str = "en", speed: float = 1.0) -> None:
    import httpx

    settings = get_settings()
    httpx.post(
        f"{settings.effective_twilio_api_base}/_sim/expect-call",
        # The whole script, however long the bot speaks: a Mandarin call takes over 2 minutes.
        json={
            "to": phone,
            "steps": caller_steps(digits, lang=lang),
            "max_duration_s": 400,
            "speed": speed,
        },
        timeout=10,
    ).raise_for_status()


def watch_call(call_sid: str, lang: str = "en") -> None:
    """Print the conversation as it happens: the bot's words, the caller's (as the recogniser
    heard them), and how long the bot took to answer each caller turn."""
    import httpx

    from bot.channels.voice.models import choose
    from bot.ledger.db import session_scope
    from bot.ledger.repo import attempts, conversations

    settings = get_settings()
    typer.echo(f"speech recognition: {choose(settings, lang).describe()}")
    shown, heard, started = 0, 0, time.monotonic()
    last_pass = False
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
        if last_pass:
            break
        # Once the call has ended, one more look: the last turn is written as the line closes.
        last_pass = timeline["ended"]
        time.sleep(1.0 if last_pass else 0.5)
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
