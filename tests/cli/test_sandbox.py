"""The sandbox call's scripted customer: keypad only, each key after the bot has asked, so the
verification digits arrive at the verification question whatever the speech model hears."""

from bot.cli.sandbox import caller_steps


def test_the_demo_caller_answers_each_question_on_the_keypad_in_turn():
    steps = caller_steps("6021")
    keys = [s["dtmf"] for s in steps if "dtmf" in s]
    assert keys == ["1", "6021", "1", "1", "2"]  # identity, verification, offer, confirm, done
    assert not any("say" in s for s in steps)
    for i, step in enumerate(steps):
        if "dtmf" in step:
            assert "wait_for_bot_s" in steps[i - 1]  # only once the bot has asked
    assert steps[-1] == {"hangup": True}
