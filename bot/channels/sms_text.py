"""SMS wording rules: opt-out keywords and message splitting (plain, unit-tested)."""

from __future__ import annotations

import re

# Twilio's own opt-out keywords (it blocks further texts after them on long codes) plus the
# carrier-standard ones; the bot must still record the opt-out itself.
STOP_WORDS = {
    "stop",
    "stopall",
    "unsubscribe",
    "cancel",
    "end",
    "quit",
    "revoke",
    "optout",
    "opt out",
    "opt-out",
    "stop all",
}
START_WORDS = {"start", "unstop", "yes start", "resume"}
HELP_WORDS = {"help", "info"}
# Plain-language opt-outs that must never depend on the classifier getting them right.
PLAIN_STOP = re.compile(
    r"\b(stop|quit|cease)\s+(texting|messaging|contacting|sending|calling|bothering)\b"
    r"|\b(don'?t|do not|never)\s+(text|message|contact|sms)\b"
    r"|\bunsubscribe\b|\bopt\s*me\s*out\b|\bremove\s+(me|my number)\b",
    re.IGNORECASE,
)
SEGMENT = 160


def keyword(body: str) -> str | None:
    """ "stop", "start" or "help" when the whole message is such a keyword."""
    words = re.sub(r"[^a-z\s-]", "", body.lower()).strip()
    words = re.sub(r"^please\s+|\s+please$", "", words)
    if words in STOP_WORDS:
        return "stop"
    if words in START_WORDS:
        return "start"
    if words in HELP_WORDS:
        return "help"
    return None


def is_plain_opt_out(body: str) -> bool:
    return bool(PLAIN_STOP.search(body))


def opt_out_channel(body: str) -> str:
    """STOPALL and "stop all" mean every channel; any other stop means texts."""
    return "all" if re.sub(r"[^a-z]", "", body.lower()) in ("stopall",) else "sms"


def split_for_sms(messages: list[str], limit: int = SEGMENT) -> list[str]:
    """Each bot message as its own text, long ones split at sentence (else word) boundaries so
    every text fits one SMS segment."""
    out: list[str] = []
    for message in messages:
        text = " ".join(message.split())
        while len(text) > limit:
            cut = max(text.rfind(". ", 0, limit), text.rfind("? ", 0, limit))
            cut = cut + 1 if cut > 0 else text.rfind(" ", 0, limit)
            if cut <= 0:
                cut = limit
            out.append(text[:cut].strip())
            text = text[cut:].strip()
        if text:
            out.append(text)
    return out
