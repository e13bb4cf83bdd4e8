"""A no in the customer's own words, for when Rasa cannot place it: "no, I can't commit to
anything" was "not understood" (issue #14), and a decline must be heard as one."""

from __future__ import annotations

import re

from bot.conversation.understanding.words import chinese, clean

_DECLINE = re.compile(
    r"^(?:no+|nope|nah|not\s+really|not\s+(?:now|today|possible)|i\s+can'?t|i\s+cannot"
    r"|can'?t|cannot|unable|i'?m\s+unable|i\s+won'?t|no\s+way)\b"
    r"|\b(?:can'?t|cannot|won'?t\s+be\s+able\s+to)\s+(?:commit|afford|manage|do\s+(?:that|it|this))\b"
)


def is_decline(text: str, *, lang: str = "en") -> bool:
    """The message says no: it starts with a no ("no", "nope", "i can't") or says it cannot
    commit to, afford or manage what was offered. ``lang`` "zh…" reads Chinese."""
    if chinese(lang):
        from bot.conversation.understanding.zh.answers import is_decline as chinese_decline

        return chinese_decline(text)
    return bool(_DECLINE.search(clean(text)))
