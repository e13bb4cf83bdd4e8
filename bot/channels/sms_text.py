"""SMS wording rules: keywords, the opt-out line and message splitting (plain, unit-tested)."""

from __future__ import annotations

import re

from bot.compliance.revocation import revocation

# Opt-out wording is bot/compliance/revocation.py's, for every channel; these answer in the SMS
# channel's terms (carrier keywords STOP / START / HELP).
START_WORDS = {"start", "unstop", "yes start", "resume"}
HELP_WORDS = {"help", "info"}
SEGMENT = 160


def keyword(body: str) -> str | None:
    """ "stop", "start" or "help" when the whole message is such a keyword."""
    found = revocation(body)
    if found is not None and found.keyword:
        return "stop"
    words = re.sub(r"[^a-z\s-]", "", body.lower()).strip()
    words = re.sub(r"^please\s+|\s+please$", "", words)
    if words in START_WORDS:
        return "start"
    if words in HELP_WORDS:
        return "help"
    return None


def is_plain_opt_out(body: str) -> bool:
    """A request in the customer's own words ("please stop texting me"), not a keyword."""
    found = revocation(body)
    return found is not None and not found.keyword


def opt_out_channel(body: str) -> str:
    """The ledger channel a text opt-out closes first: STOPALL and "stop contacting me" every
    channel, "stop calling me" calls, any other stop texts (the channel it came on)."""
    found = revocation(body)
    if found is None:
        return "sms"
    return found.ledger_channels("sms")[0]


def compose(
    messages: list[str], *, opt_out_line: str, opening: str = "", limit: int = SEGMENT
) -> list[str]:
    """The texts of one reply: `opening` (the later disclosure, Reg F §1006.18(e)(2)) before the
    first message and the opt-out line (Reg F §1006.6(e); CTIA) after the last, every text
    within one segment. The line is never cut: it goes in a text of its own if it must."""
    body = [m for m in messages if m.strip()] or [""]
    if opening:
        body[0] = f"{opening} {body[0]}".strip()
    texts = split_for_sms(body, limit)
    if opt_out_line and not any(opt_out_line in t for t in texts[-1:]):
        if texts and len(texts[-1]) + 1 + len(opt_out_line) <= limit:
            texts[-1] = f"{texts[-1]} {opt_out_line}"
        else:
            texts.append(opt_out_line)
    return texts


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
