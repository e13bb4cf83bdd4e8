"""What a phone caller's words and keys mean at each turn (bot/voice_menu.py, bot/voice.py)."""

import asyncio
from types import SimpleNamespace

import pytest

from bot.channels.voice.media import VoiceCall
from bot.channels.voice.menu import digit_words, keypad_text, menu_for, spoken_digits
from bot.settings import Settings

KOREAN = digit_words("영|공,일,이,삼,사,오,육,칠,팔,구")


def test_digit_words_map_every_alternative():
    words = digit_words("zero|oh,one,two,three,four,five,six,seven,eight,nine")
    assert words["zero"] == words["oh"] == "0" and words["nine"] == "9"
    assert KOREAN["공"] == KOREAN["영"] == "0" and KOREAN["사"] == "4"


def test_digit_words_need_ten_entries():
    with pytest.raises(ValueError, match="10 entries"):
        digit_words("zero,one,two")


@pytest.mark.parametrize(
    ("heard", "digits"),
    [("사 삼 이 일", "4321"), ("공 오", "05"), ("", None), ("사 금요일", None), ("네", None)],
)
def test_spoken_digits(heard, digits):
    assert spoken_digits(heard, KOREAN) == digits


def test_verification_listens_for_digits():
    menu = menu_for("verification", 0)
    assert menu.digits and menu.max_digits == 4
    assert not menu_for("identity", 0).digits


class Conversations:
    """Records what the call hands to the conversation."""

    def __init__(self):
        self.sent = []

    async def send(self, conversation_id, text):
        self.sent.append(text)
        return SimpleNamespace(
            messages=["ok"], meta={"awaiting": "verification"}, ended=False, failed=False
        )


def verification_call() -> tuple[VoiceCall, Conversations]:
    conversations = Conversations()
    service = SimpleNamespace(
        conversations=conversations,
        digit_words_for=lambda _lang: KOREAN,
        yes=["네"],
        no=["아니요"],
    )
    call = VoiceCall(service, "CA1")
    call.conversation_id = "c1"
    call.menu = menu_for("verification", 0)
    return call, conversations


def test_four_spoken_digits_go_to_the_conversation_as_digits():
    call, conversations = verification_call()
    prompt = asyncio.run(call.on_turn("사 삼 이 일", keypad=False, free_text="사상 이일"))
    assert conversations.sent == ["4321"]
    # The next verification turn again listens for digits, with free speech beside them,
    # and is a whole answer once four digits are heard.
    assert prompt.free_fallback and set(prompt.grammar) == set(KOREAN)
    assert prompt.is_complete("일 이 삼 사") and not prompt.is_complete("일 이")


def test_anything_else_goes_as_free_speech():
    call, conversations = verification_call()
    asyncio.run(call.on_turn("이 이", keypad=False, free_text="march third nineteen eighty"))
    assert conversations.sent == ["march third nineteen eighty"]


def test_a_digits_turn_is_complete_at_exactly_the_digits_asked_for():
    call, _ = verification_call()
    complete = call._prompt(["ok"], {"awaiting": "verification"}, False).is_complete
    assert complete("일 이 삼 사")
    assert not complete("일 이 삼") and not complete("일 이 삼 사 오")  # a date read as digits


def test_a_mandarin_calls_keys_mean_mandarin_words_and_its_hint_is_mandarin():
    """A key press must not read as a switch to English in a Mandarin call."""
    menu = menu_for("identity", 0, "zh")
    assert keypad_text(menu, "1") == "是的" and keypad_text(menu, "2") == "不是"
    assert not any("a" <= ch.lower() <= "z" for ch in menu.hint.replace("TD", ""))
    assert keypad_text(menu_for("identity", 0), "1") == "yes"


@pytest.mark.parametrize(
    ("lang", "heard", "sent"),
    [
        ("zh", "不是的", "不是"),
        ("zh", "是的是我", "是的"),
        ("zh", "对", "是的"),
        ("en", "yes", "yes"),
    ],
)
def test_a_yes_no_turn_reaches_the_conversation_in_the_calls_language(lang, heard, sent):
    from bot.channels.voice.service import VoiceService
    from bot.settings import Settings

    conversations = Conversations()
    call = VoiceCall(VoiceService(Settings(), conversations, None, None), "CA1")
    call.conversation_id, call.lang = "c1", lang
    call.menu = menu_for("identity", 0, lang)
    assert set(call._grammar()) >= ({"是", "不是"} if lang == "zh" else {"yes", "no"})
    asyncio.run(call.on_turn(heard, keypad=False))
    assert conversations.sent == [sent]


def test_mandarin_digits_are_read_unspaced_and_with_the_phone_words():
    words = digit_words(Settings().voice_digit_words_zh)
    assert spoken_digits("幺三五七", words) == "1357"
    assert spoken_digits("一九 八五", words) == "1985"
    assert spoken_digits("洞两四八", words) == "0248"
    assert spoken_digits("6021", words) == "6021"  # the recogniser wrote figures
    assert spoken_digits("我不知道", words) is None
