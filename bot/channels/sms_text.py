"""SMS wording rules: keywords, the opt-out line and message splitting (plain, unit-tested)."""

from __future__ import annotations

import re

from bot.compliance.revocation import revocation

# Opt-out wording is bot/compliance/revocation.py's, for every channel; these answer in the SMS
# channel's terms (carrier keywords STOP / START / HELP).
START_WORDS = {"start", "unstop", "yes start", "resume"}
HELP_WORDS = {"help", "info"}

# SMS segments (3GPP TS 23.038 / 23.040): a text all in the GSM-7 alphabet takes 160 characters
# in one segment, 153 in each part of a concatenated one (the rest is the part header); the
# extension characters are sent as an escape and a character, so they count 2. Any character
# outside GSM-7 (Chinese, an emoji) makes the whole text UCS-2: 70 characters single, 67 a part,
# counted in UTF-16 code units (a character beyond the BMP, e.g. most emoji, counts 2).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
SINGLE = {"gsm7": 160, "ucs2": 70}
PART = {"gsm7": 153, "ucs2": 67}
SEGMENT = SINGLE["gsm7"]
# Where a text may be cut: after a sentence, else at a pause, else anywhere. Chinese has no
# spaces: its full stops and commas are the boundaries.
SENTENCE_ENDS = (". ", "? ", "! ", "。", "？", "！", "；")
PAUSES = (" ", "，", "、", "：")


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


def encoding(text: str) -> str:
    """ "gsm7" when every character is in the GSM-7 alphabet (its extension included), else
    "ucs2"."""
    ok = all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)
    return "gsm7" if ok else "ucs2"


def _unit_sizes(text: str) -> list[int]:
    if encoding(text) == "gsm7":
        return [2 if c in GSM7_EXTENSION else 1 for c in text]
    return [2 if ord(c) > 0xFFFF else 1 for c in text]


def units(text: str) -> int:
    """The text's length as the carrier counts it: septets in GSM-7, UTF-16 code units in UCS-2."""
    return sum(_unit_sizes(text))


def segments(text: str) -> int:
    """How many SMS segments the text takes. A concatenated message's parts are filled in order
    and a two-unit character (an escape pair, a surrogate pair) is never split between parts."""
    sizes, kind = _unit_sizes(text), encoding(text)
    if sum(sizes) <= SINGLE[kind]:
        return 1
    parts, used = 1, 0
    for size in sizes:
        if used + size > PART[kind]:
            parts, used = parts + 1, 0
        used += size
    return parts


def fits(text: str, max_segments: int = 1) -> bool:
    return segments(text) <= max_segments


def _wide(char: str) -> bool:
    """A CJK character or full-width punctuation: no space is written next to it."""
    return ord(char) >= 0x2E80


def join(first: str, second: str) -> str:
    """Two pieces of one text: a space between English words, none next to Chinese."""
    if not first or not second:
        return first or second
    glue = "" if _wide(first[-1]) or _wide(second[0]) else " "
    return f"{first}{glue}{second}"


def compose(
    messages: list[str],
    *,
    opt_out_line: str,
    opening: str = "",
    signature: str = "",
    max_segments: int = 1,
) -> list[str]:
    """The texts of one reply: `opening` (the later disclosure, Reg F §1006.18(e)(2)) before the
    first message and the opt-out line (Reg F §1006.6(e); CTIA; "回复TD退订" in Chinese) after
    the last; each text starts with the bank's `signature` where the jurisdiction requires one
    (China's carriers: 【浦发银行】) and takes at most `max_segments` segments, the signature and
    the line counted. The line is never cut: it goes in a text of its own if it must."""
    body = [m for m in messages if m.strip()] or [""]
    if opening:
        body[0] = join(opening, body[0].strip())
    texts = split_for_sms(body, max_segments, prefix=signature)
    if opt_out_line and not any(opt_out_line in t for t in texts[-1:]):
        last = join(texts[-1], opt_out_line) if texts else opt_out_line
        if texts and fits(signature + last, max_segments):
            texts[-1] = last
        else:
            texts.append(opt_out_line)
    return [signature + t for t in texts]


def split_for_sms(messages: list[str], max_segments: int = 1, prefix: str = "") -> list[str]:
    """Each bot message as its own text, long ones split at sentence (else pause, else any)
    boundaries so that every text, after `prefix`, takes at most `max_segments` segments in
    its own encoding."""
    out: list[str] = []
    for message in messages:
        text = " ".join(message.split())
        while text and not fits(prefix + text, max_segments):
            room = _room(text, prefix, max_segments)
            cut = _cut(text, room)
            out.append(text[:cut].strip())
            text = text[cut:].strip()
        if text:
            out.append(text)
    return out


def _room(text: str, prefix: str, max_segments: int) -> int:
    """The longest start of `text` that fits (at least one character): a longer start never
    fits where a shorter one does not, so a binary search finds it."""
    low, high = 1, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if fits(prefix + text[:middle], max_segments):
            low = middle
        else:
            high = middle - 1
    return low


def _cut(text: str, room: int) -> int:
    """Where to cut within the first `room` characters: after the last sentence end, else at
    the last pause, else at `room`. A trailing space of a mark may sit just past the room."""
    cut = 0
    for mark in SENTENCE_ENDS:
        kept = mark.rstrip()  # the part of the mark that stays in the first text
        at = text.rfind(mark, 0, room + len(mark) - len(kept))
        if at > 0:
            cut = max(cut, at + len(kept))
    if cut == 0:
        for mark in PAUSES:
            kept = mark.strip()
            at = text.rfind(mark, 0, room + len(mark) - len(kept))
            if at > 0:
                cut = max(cut, at + len(kept))
    return cut or room
