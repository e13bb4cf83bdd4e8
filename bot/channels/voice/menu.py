"""What a phone caller can say or press at each point of the conversation: keypad options
(DTMF is a first-class input) and the grammar for yes/no and digits turns."""

from __future__ import annotations

from dataclasses import dataclass

from bot.conversation.awaiting import Awaiting
from bot.conversation.messages import text

YES_NO_STATES = {
    Awaiting.IDENTITY,
    Awaiting.PROMISE_CONFIRM,
    Awaiting.INSTALMENT_CONFIRM,
    Awaiting.INSTALMENT_OFFER,
    Awaiting.HUMAN_OFFER,
    Awaiting.ANYTHING_ELSE,
    Awaiting.COUNTER_OFFER,
}


@dataclass(frozen=True)
class Menu:
    hint: str  # appended to what the bot says, on the phone only
    keys: dict[str, str]  # key -> what it means, as text the conversation understands
    yes_no: bool = False  # grammar-mode recognition for this turn
    max_digits: int = 1
    # Spoken digits in grammar mode (with free recognition beside it, for a date of birth).
    digits: bool = False


# The keys' meanings are customer text for the conversation to understand, not words said: in
# the call's language, so a key press never reads as a switch of language.
MEANINGS = {
    "en": {
        "yes": "yes",
        "no": "no",
        "plan": "can i pay in instalments",
        "person": "i want to talk to a person",
    },
    "zh": {"yes": "是的", "no": "不是", "plan": "我想分期还款", "person": "转人工"},
}


def menu_for(awaiting: Awaiting | str | None, misunderstood: int, lang: str = "en") -> Menu:
    """The keypad menu for a turn, its hint in the call's language; after two failed
    recognitions the full menu is offered. `awaiting` may be the plain string of the meta."""
    awaiting = Awaiting.read(awaiting)
    said = MEANINGS["zh" if lang.startswith("zh") else "en"]
    if awaiting in YES_NO_STATES:
        keys = {"1": said["yes"], "2": said["no"]}
        return Menu(text("voice.menu.yes_no", lang), keys, yes_no=True)
    if awaiting is Awaiting.OFFER or (misunderstood >= 2 and awaiting is not Awaiting.VERIFICATION):
        keys = {"1": said["yes"], "2": said["plan"], "3": said["person"]}
        return Menu(text("voice.menu.offer", lang), keys)
    if awaiting is Awaiting.VERIFICATION:
        return Menu(text("voice.menu.digits", lang), {}, max_digits=4, digits=True)
    if awaiting is Awaiting.INSTALMENT_MONTHS:
        return Menu(text("voice.menu.months", lang), {}, max_digits=2)
    return Menu(text("voice.menu.human", lang), {"0": said["person"]})


def keypad_text(menu: Menu, digits: str) -> str:
    """What pressed keys mean: a menu choice, or the digits themselves (a code, a number)."""
    if digits in menu.keys:
        return menu.keys[digits]
    if menu.max_digits == 2:
        return f"{digits} months"
    return digits


def digit_words(spec: str) -> dict[str, str]:
    """ "zero|oh,one,...,nine" -> {"zero": "0", "oh": "0", "one": "1", ...}."""
    entries = [entry.strip() for entry in spec.split(",")]
    if len(entries) != 10:
        raise ValueError(f"VOICE_DIGIT_WORDS needs 10 entries (0-9), got {len(entries)}")
    return {
        word.strip().lower(): str(digit)
        for digit, entry in enumerate(entries)
        for word in entry.split("|")
        if word.strip()
    }


def spoken_digits(heard: str, words: dict[str, str]) -> str | None:
    """The digits of a turn heard in the digits grammar, or None if anything else was heard.
    A recogniser may write them as figures ("4821"), or, in Chinese, unspaced ("一九八五")."""
    tokens = []
    for token in heard.lower().replace("，", " ").replace(",", " ").split():
        if token in words:
            tokens.append(words[token])
        elif all(c in words or c.isdigit() for c in token):
            tokens += [words.get(c, c) for c in token]
        else:
            return None
    return "".join(tokens) or None


def say_language(lang: str) -> str | None:
    """The language Twilio's own voice reads a <Say> in (its default is English)."""
    return "zh-CN" if lang == "zh" else None
