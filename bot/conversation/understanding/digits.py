"""Verification digits, typed or spoken ("1 2 3 4", "one two three four")."""

from __future__ import annotations

import re

from bot.conversation.understanding.words import chinese, clean

_DIGIT_WORDS = dict(
    zip(
        "zero oh o one two three four five six seven eight nine".split(),
        "000123456789",
        strict=True,
    )
)
_LAST_N = re.compile(
    r"\blast\s+(?:\d|one|two|three|four|five|six|seven|eight|nine|ten)\b"
    r"(?:\s+(?:digits?|numbers?))?"
)


def parse_digits(text: str, *, length: int = 4, lang: str = "en") -> str | None:
    """A group of exactly ``length`` digits, typed or spoken ("1 2 3 4", "one two three four").

    Spaced single digits are joined; "oh"/"o" read as zero. "last four" is dropped first so its
    "four" is not taken as a digit. A token of exactly ``length`` digits wins over a joined run.
    ``lang`` "zh…" reads Chinese digits too ("幺九三四", "洞").
    """
    if chinese(lang):
        from bot.conversation.understanding.zh.counts import parse_digits as chinese_digits

        return chinese_digits(text, length=length)
    s = _LAST_N.sub(" ", clean(text))
    runs: list[list[str]] = [[]]
    previous_end = 0
    for m in re.finditer(r"\d+|[a-z]+", s):
        digits = m.group() if m.group().isdigit() else _DIGIT_WORDS.get(m.group())
        if digits is None or not re.fullmatch(r"[\s\-.,]*", s[previous_end : m.start()]):
            runs.append([])
        if digits is not None:
            runs[-1].append(digits)
        previous_end = m.end()
    tokens = [t for run in runs for t in run]
    exact = [t for t in tokens if len(t) == length]
    exact += ["".join(run) for run in runs if len("".join(run)) == length]
    return exact[0] if exact else None
