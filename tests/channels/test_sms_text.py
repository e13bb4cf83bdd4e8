import pytest

from bot.channels.sms_text import is_plain_opt_out, keyword, opt_out_channel, split_for_sms


@pytest.mark.parametrize(
    "body",
    [
        "STOP",
        "stop",
        " Stop. ",
        "STOPALL",
        "UNSUBSCRIBE",
        "CANCEL",
        "END",
        "QUIT",
        "REVOKE",
        "OPTOUT",
        "opt out",
        "stop please",
    ],
)
def test_every_stop_keyword(body):
    assert keyword(body) == "stop"


@pytest.mark.parametrize("body", ["START", "unstop"])
def test_start_keywords(body):
    assert keyword(body) == "start"


def test_help_and_ordinary_text():
    assert keyword("HELP") == "help"
    assert keyword("I want to cancel my card") is None
    assert keyword("end of the month") is None


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("please stop texting me", True),
        ("don't text me again", True),
        ("unsubscribe me", True),
        ("remove my number", True),
        ("i can pay at the end of the month", False),
        ("stop by the branch?", False),
    ],
)
def test_plain_language_opt_outs(body, expected):
    assert is_plain_opt_out(body) is expected


def test_stopall_means_every_channel():
    assert opt_out_channel("STOPALL") == "all" and opt_out_channel("stop") == "sms"


def test_long_messages_split_at_sentences_within_one_segment():
    long = (
        "This is SPD Bank. This is an attempt to collect a debt, and any information "
        "obtained will be used for that purpose. This conversation may be recorded. "
        "Your credit card has an overdue balance of $1,240.50."
    )
    parts = split_for_sms(["Hi.", long])
    assert parts[0] == "Hi."
    assert all(len(p) <= 160 for p in parts)
    assert " ".join(parts[1:]) == long
    assert parts[1].endswith(".")


def test_a_word_longer_than_a_segment_is_cut():
    parts = split_for_sms(["x" * 400])
    assert [len(p) for p in parts] == [160, 160, 80]
