"""The sandbox call's scripted customer: speaks its answers (espeak-ng through the simulator's
8 kHz mu-law), uses the keypad only at the verification question, and answers each question only
once the bot has asked and gone quiet. The spoken demo call itself runs on the real English
Whisper model in tests/stack/test_voice_spoken_en.py::test_the_sandbox_demo_caller."""

from bot.cli.sandbox import caller_steps


def test_the_demo_caller_speaks_and_keys_only_the_verification_digits():
    steps = caller_steps("6021")
    answers = [s for s in steps if "say" in s or "dtmf" in s]
    assert [s.get("say") or s["dtmf"] for s in answers] == [
        "yes it is",  # identity
        "6021",  # verification, on the keypad
        "yes I can",  # the offer: the minimum, today
        "yes",  # the read-back
        "no",  # anything else
    ]
    assert [s for s in answers if "dtmf" in s] == [{"dtmf": "6021"}]
    assert all(s["voice"] == "en-us" for s in answers if "say" in s)
    for i, step in enumerate(steps):
        if "say" in step or "dtmf" in step:
            assert "wait_for_bot_s" in steps[i - 1]  # only once the bot has asked
    assert steps[-1] == {"hangup": True}


def test_without_digits_the_caller_still_answers_the_keypad_question():
    keys = [s["dtmf"] for s in caller_steps("") if "dtmf" in s]
    assert keys == ["0000"]
