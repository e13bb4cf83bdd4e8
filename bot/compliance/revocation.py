"""Is this message a request to stop contacting the customer, and which channels does it name?

One deterministic check, run on every inbound customer message (SMS in bot/channels/sms.py; chat,
the text API and voice transcripts in bot/channels/turns.py) before Rasa sees it, so an opt-out
never depends on a classifier, nor on Rasa or the action server being up.

TCPA: consent may be revoked "by any reasonable means" (FCC 24-24, 2024 order; 47 CFR
64.1200(a)(10)); a revocation on one channel that is unclear about the others may get one
clarifying question (47 CFR 64.1200(a)(12)). Reg F §1006.6(e): every electronic communication
offers a way to opt out. Reg F §1006.6(c): a written refusal to pay or request to cease stops
collection communication (`refuses_to_pay`, and an "all" revocation in writing).

Pure: text in, an answer out. The words of each language are data (`WORDINGS`): a language adds
its entry (the Mandarin work adds "zh") and every channel understands it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Named = Literal["calls", "texts", "all", "unclear"]

# Ledger channel codes (bot.ledger.models.OptOut.channel) for what a revocation names.
LEDGER_CHANNELS: dict[str, tuple[str, ...]] = {
    "calls": ("voice",),
    "texts": ("sms",),
    "all": ("all",),
}
# The outbound channels a customer can be asked about, per channel a message came on.
OTHER_CHANNELS = {"sms": ("calls",), "voice": ("texts",), "chat": ("calls", "texts")}


@dataclass(frozen=True)
class Revocation:
    named: Named
    keyword: bool = False  # a whole-message carrier keyword (STOP): settled, nothing to ask

    @property
    def asks_which_others(self) -> bool:
        """Unclear wording closes the channel it came on and asks once about the others."""
        return self.named == "unclear" and not self.keyword

    def ledger_channels(self, came_on: str) -> tuple[str, ...]:
        """The OptOut.channel codes to record: the named ones, else the channel it came on."""
        return LEDGER_CHANNELS.get(self.named, (came_on,))


@dataclass(frozen=True)
class Wording:
    """One language's words. Patterns are matched case-insensitively on the whole message."""

    keywords: frozenset[str]  # a whole message that is only this: stop (the channel it came on)
    all_keywords: frozenset[str]  # a whole message that is only this: stop everything
    stop: re.Pattern  # a request to stop contact; its clause is read for the channels named
    calls: re.Pattern  # names phone calls
    texts: re.Pattern  # names text messages
    everything: re.Pattern  # names every kind of contact
    refusal: re.Pattern  # refuses to pay (Reg F §1006.6(c)(1))
    answers: dict[str, Named]  # a bare reply to "which others?" -> what it names
    clause_end: re.Pattern  # where the stop request's clause ends ("stop texting, call me")


def _words(*alternatives: str) -> str:
    return "|".join(alternatives)


_EN_CONTACT = _words(
    r"call(?:s|ing)?",
    r"phon(?:e|es|ing)",
    r"ring(?:ing)?",
    r"text(?:s|ing)?",
    r"messag(?:e|es|ing)",
    r"sms",
    r"contact(?:s|ing)?",
    r"communicat\w*",
    r"bother(?:ing)?",
    r"harass(?:ing)?",
    r"email(?:s|ing)?",
    r"reach(?:ing)? out",
)
# Words that may sit between "stop"/"don't" and the contact verb ("don't ever call").
_EN_FILLER = (
    r"(?:(?:ever|even|again|please|all|the|your|those|these|any|with|me|us|more|bloody|damn)"
    r"\s+){0,3}"
)

ENGLISH = Wording(
    keywords=frozenset(
        {"stop", "unsubscribe", "cancel", "end", "quit", "revoke", "optout", "opt out", "opt-out"}
    ),
    all_keywords=frozenset({"stopall", "stop all"}),
    stop=re.compile(
        rf"\b(?:stop|quit|cease|don'?t|do\s+not|never|no\s+more|no)\s+{_EN_FILLER}(?:{_EN_CONTACT})\b"
        r"|\b(?:stop|quit)\s+sending\b|\bleave\s+me\s+alone\b|\bunsubscribe\b|\bopt\s*(?:me\s+)?out\b"
        r"|\bremove\s+(?:me|my\s+number)\b|\btake\s+me\s+off\b|\blose\s+my\s+number\b",
        re.IGNORECASE,
    ),
    calls=re.compile(r"\b(?:call(?:s|ing|ed)?|phon(?:e|es|ing)|ring(?:ing)?|voice)\b", re.I),
    texts=re.compile(r"\b(?:text(?:s|ing)?|messag(?:e|es|ing)|sms|send(?:ing)?)\b", re.I),
    everything=re.compile(
        r"\b(?:contact(?:s|ing)?|communicat\w*|anything|everything|reach(?:ing)? out)\b",
        re.I,
    ),
    refusal=re.compile(
        r"\b(?:i\s+)?(?:refuse|won'?t|will\s+not|am\s+not|i'?m\s+not|never\s+going)\s+(?:to\s+)?"
        r"(?:(?:ever|going\s+to|gonna)\s+)?pay(?:ing)?\b"
        # "I won't pay until Friday" is a date, not a refusal
        r"(?!\s+(?:until|till|before|today|tomorrow|now|this\s+(?:month|week|time)|yet|right|the\s+full|in\s+full|all|more|that\s+much|it\s+all))",
        re.IGNORECASE,
    ),
    answers={
        "yes": "all",
        "both": "all",
        "all": "all",
        "everything": "all",
        "calls": "calls",
        "call": "calls",
        "calls too": "calls",
        "stop calls": "calls",
        "texts": "texts",
        "text": "texts",
        "texts too": "texts",
        "stop texts": "texts",
    },
    clause_end=re.compile(r"[.;!?]|,|\b(?:but|instead|however|though)\b", re.IGNORECASE),
)

WORDINGS: dict[str, Wording] = {"en": ENGLISH}


def _bare(text: str) -> str:
    """The message as a keyword would be written: lower case, letters, spaces and dashes, a
    leading or trailing "please" dropped ("stop please" is STOP)."""
    words = re.sub(r"[^\w\s-]", "", text.lower()).strip()
    words = re.sub(r"\s+", " ", words)
    return re.sub(r"^please\s+|\s+please$", "", words)


def _wordings(languages: tuple[str, ...]) -> list[Wording]:
    return [WORDINGS[lang] for lang in dict.fromkeys(("en", *languages)) if lang in WORDINGS]


def revocation(text: str, languages: tuple[str, ...] = ()) -> Revocation | None:
    """The opt-out `text` asks for, or None when it asks for none. English is always read (the
    carrier keywords are English everywhere); `languages` adds the customer's own."""
    bare = _bare(text)
    for wording in _wordings(languages):
        if bare in wording.all_keywords:
            return Revocation("all", keyword=True)
        if bare in wording.keywords:
            return Revocation("unclear", keyword=True)
    for wording in _wordings(languages):
        found = wording.stop.search(text)
        if found:
            return Revocation(_named(wording, _clause(wording, text, found.start())))
    return None


def _clause(wording: Wording, text: str, start: int) -> str:
    """The stop request's own clause: from its first word to the next clause end, so that
    "stop texting me, call me instead" names texts only."""
    rest = text[start:]
    first_word = re.match(r"\S+\s*", rest)
    skip = first_word.end() if first_word else 0
    end = wording.clause_end.search(rest, skip)
    return rest[: end.start()] if end else rest


def _named(wording: Wording, clause: str) -> Named:
    calls, texts = bool(wording.calls.search(clause)), bool(wording.texts.search(clause))
    if wording.everything.search(clause) or (calls and texts):
        return "all"
    if calls:
        return "calls"
    if texts:
        return "texts"
    return "unclear"


def answer(text: str, languages: tuple[str, ...] = ()) -> Named | None:
    """A bare reply to the one "which others?" question ("calls", "yes", "both"), or None."""
    bare = _bare(text)
    for wording in _wordings(languages):
        if bare in wording.answers:
            return wording.answers[bare]
    return None


def refuses_to_pay(text: str, languages: tuple[str, ...] = ()) -> bool:
    """A refusal to pay (Reg F §1006.6(c)(1)): in writing, it stops collection contact."""
    return any(w.refusal.search(text) for w in _wordings(languages))


def is_cease_request(found: Revocation | None) -> bool:
    """A request to stop every communication (Reg F §1006.6(c)(1)) rather than one channel's."""
    return found is not None and found.named == "all"
