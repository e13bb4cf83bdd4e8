"""Grammar turns for a free-text engine: what Whisper writes, mapped onto the turn's phrases the
way Vosk's grammar mode would output them (telephony/asr/grammar.py)."""

import pytest

from telephony.asr import map_to_grammar

YES_NO = ["yes", "yeah", "yep", "correct", "sure", "that's right", "no", "nope", "not really"]
DIGITS = ["zero", "oh", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


@pytest.mark.parametrize(
    ("heard", "grammar", "mapped"),
    [
        ("Yes.", YES_NO, "yes"),
        ("Yes, speaking.", YES_NO, "yes"),
        ("Yeah, that's right.", YES_NO, "yeah that's right"),
        ("No, not really.", YES_NO, "no not really"),
        ("Nop.", YES_NO, "nope"),  # close to one phrase
        ("4-3-2-1.", DIGITS, "four three two one"),
        ("4321", DIGITS, "four three two one"),
        ("Four, three, two, one.", DIGITS, "four three two one"),
        ("Oh, six, two, one.", DIGITS, "oh six two one"),
        # Nothing of the grammar: the text as heard, for free understanding.
        ("What is my balance?", YES_NO, "What is my balance?"),
        ("March 3rd, 1985.", DIGITS, "March 3rd, 1985."),
        ("", YES_NO, ""),
    ],
)
def test_engine_text_maps_onto_the_grammar(heard, grammar, mapped) -> None:
    assert map_to_grammar(heard, grammar) == mapped


def test_numerals_are_spelled_only_for_a_grammar_of_digit_words() -> None:
    assert map_to_grammar("1 2", ["yes", "no"]) == "1 2"
    # Inside a sentence a number is not a code: "1985" in a date stays as said.
    assert map_to_grammar("born in 1985", DIGITS) == "born in 1985"


def test_a_korean_grammar_maps_the_same_way() -> None:
    assert map_to_grammar("네, 맞아요.", ["네", "아니요"]) == "네"
