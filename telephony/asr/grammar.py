"""Grammar turns for an engine that always hears free text (Whisper): its words mapped onto the
phrases the turn expects, so a yes/no or digits turn comes out the same whatever the engine.

Vosk's grammar mode can only output the grammar's phrases (any sequence of them). Whisper writes
what it heard the way a person would ("Yes, speaking.", "4-3-2-1."), so the text is normalised
and mapped:

1. a turn of only numerals ("4-3-2-1.", "4321") is spelled digit by digit, when the grammar
   holds the English digit words;
2. the whole text is a phrase, or a sequence of the grammar's phrases → those phrases;
3. phrases found inside the text, as whole words ("yes that's me") → those phrases, in order;
4. the text close to one phrase (a misheard "nope") → that phrase;
5. otherwise the text as heard: a free-speech engine keeps a caller's question or date of
   birth instead of forcing it onto the nearest phrase (Vosk outputs "[unk]" or a wrong phrase
   there), and whoever reads the turn falls back to free understanding.
"""

from __future__ import annotations

import difflib
import re

SPELLED = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_NUMERALS_ONLY = re.compile(r"^[\d\s.,\-–]+$")  # "4-3-2-1.", "43 21", "4321."
_PUNCTUATION = re.compile(r"[^\w\s']+")
CLOSE_ENOUGH = 0.75  # difflib ratio of the whole text to a phrase for rule 4


def normalise(text: str) -> list[str]:
    """Lower-case words without punctuation ("Yes, speaking." → ["yes", "speaking"])."""
    return _PUNCTUATION.sub(" ", text.lower().replace("-", " ")).split()


def map_to_grammar(heard: str, phrases: list[str]) -> str:
    """What a grammar-mode decoder would have output for `heard` (see the module's rules)."""
    heard = heard.strip()
    grammar = [p.strip().lower() for p in phrases if p.strip()]
    if not heard or not grammar:
        return heard
    if _NUMERALS_ONLY.match(heard) and set(SPELLED) <= set(grammar):
        return " ".join(SPELLED[int(d)] for d in heard if d.isdigit())
    words = normalise(heard)
    found = _phrases_in(words, grammar)
    if found:  # rules 2 and 3
        return " ".join(found)
    close = difflib.get_close_matches(" ".join(words), grammar, n=1, cutoff=CLOSE_ENOUGH)
    return close[0] if close else heard


def _phrases_in(words: list[str], grammar: list[str]) -> list[str]:
    """The grammar's phrases that occur in `words` as whole words, left to right, the longest
    phrase first where two start at the same word."""
    by_length = sorted({tuple(p.split()) for p in grammar}, key=len, reverse=True)
    found, i = [], 0
    while i < len(words):
        for phrase in by_length:
            if tuple(words[i : i + len(phrase)]) == phrase:
                found.append(" ".join(phrase))
                i += len(phrase)
                break
        else:
            i += 1
    return found
