"""Issue #12, opt-out and revocation by text: the customer's words, not a classifier, close the
channels they name; "stop calling me" by text stops calls; a STOP from a number stops every
account at it; every reply carries the opt-out line, and after verification the later
disclosure."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest

from bot.compliance.gate import check_contact
from bot.ledger.db import session_scope
from tests.channels.conftest import (
    PHONE,
    ended,
    escalation_reasons,
    open_conversation,
    opt_out_channels,
    paused,
)

NOON_NY = datetime(2026, 11, 27, 17, 0, tzinfo=timezone.utc)  # inside the calling window
OPT_OUT_LINE = "Reply STOP to opt out."


def texted(sms, body: str, sender: str = PHONE) -> list[str]:
    return asyncio.run(sms._reply(sender, body))


def gate(account_id: str, channel: str) -> str:
    with session_scope() as s:
        return check_contact(s, account_id, channel, now=NOON_NY).reason


def test_stop_calling_me_by_text_refuses_the_next_call(sms, rasa):
    conversation = open_conversation("A1", "sms")
    [reply] = texted(sms, "please stop calling me")
    assert "will not call you" in reply
    assert opt_out_channels("A1") == ["voice"]
    assert gate("A1", "voice") == "opted_out"
    assert gate("A1", "sms") != "opted_out"  # texts were not named: they stay open
    assert ended(conversation) == "opted_out"
    assert rasa.sent == []  # decided before Rasa


@pytest.mark.parametrize(
    ("body", "closed"),
    [
        ("STOP", ["sms"]),
        ("stop please", ["sms"]),
        ("STOPALL", ["all"]),
        ("quit texting me", ["sms"]),
        ("don't call me anymore", ["voice"]),
        ("Stop calling and texting me.", ["all"]),
        ("stop contacting me", ["all"]),
    ],
)
def test_each_wording_closes_what_it_names(sms, body, closed):
    texted(sms, body)
    assert opt_out_channels("A1") == closed


def test_a_stop_from_a_number_stops_every_account_at_it(sms):
    texted(sms, "STOP")
    assert opt_out_channels("A1") == ["sms"] and opt_out_channels("A2") == []
    assert gate("A2", "sms") == "opted_out"  # recorded on A1, held for the number
    assert gate("B1", "sms") != "opted_out"  # another number
    assert "subscribed again" in texted(sms, "START")[0]
    assert gate("A2", "sms") != "opted_out"


def test_unclear_wording_closes_texts_and_asks_once_about_calls(sms, rasa):
    [reply] = texted(sms, "leave me alone")
    assert "stop calling you" in reply and opt_out_channels("A1") == ["sms"]
    assert gate("A1", "voice") != "opted_out"
    [answer] = texted(sms, "CALLS")
    assert "will not call you" in answer
    assert opt_out_channels("A1") == ["sms", "voice"] and gate("A1", "voice") == "opted_out"
    # Asked once: a second "calls" is no answer to anything, it goes to the conversation.
    texted(sms, "calls")
    assert rasa.sent[-1] == "calls"


def test_no_answer_leaves_the_question_and_other_channels_alone(sms, rasa):
    texted(sms, "remove my number")
    open_conversation("A1", "sms")
    texted(sms, "what do I owe?")
    assert rasa.sent == ["what do I owe?"] and opt_out_channels("A1") == ["sms"]


def test_a_written_cease_request_pauses_collection_and_escalates(sms):
    texted(sms, "Stop contacting me.")
    assert paused("A1") == "cease_request"
    assert escalation_reasons("A1") == ["cease_request"]
    assert gate("A1", "voice") in ("opted_out", "paused")


def test_a_written_refusal_to_pay_pauses_and_escalates(sms):
    open_conversation("A1", "sms")
    texted(sms, "I refuse to pay this")
    assert paused("A1") == "refused_to_pay" and escalation_reasons("A1") == ["refusal"]
    assert gate("A1", "sms") == "paused"


def test_an_unknown_number_is_answered_and_nothing_is_recorded(sms):
    assert "unsubscribed" in texted(sms, "STOP", sender="+15005550000")[0]


def test_a_reply_after_verification_carries_the_opt_out_line_and_later_disclosure(sms, rasa):
    rasa.texts = ["Your overdue balance is $1,000.00, and the minimum payment is $100.00."]
    open_conversation("A1", "sms", verified=True)
    replies = texted(sms, "how much do i owe")
    assert replies[0].startswith("This is SPD Bank, a debt collector.")
    assert replies[-1].endswith(OPT_OUT_LINE)
    assert all(len(r) <= 160 for r in replies)


def test_a_reply_before_verification_carries_the_opt_out_line_only(sms):
    open_conversation("A1", "sms")
    replies = texted(sms, "hello")
    assert replies[-1].endswith(OPT_OUT_LINE) and "debt collector" not in " ".join(replies)


def test_the_failure_reply_carries_the_opt_out_line_too(sms, rasa):
    rasa.down = True
    open_conversation("A1", "sms")
    replies = texted(sms, "hello")
    assert "went wrong" in replies[0] and replies[-1].endswith(OPT_OUT_LINE)
