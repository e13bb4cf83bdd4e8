"""Issue #12: chat, the text API and voice transcripts honour an opt-out before Rasa, and on the
failure path (Rasa or the action server down) too; a written refusal to pay pauses the account
whatever Rasa answers."""

from __future__ import annotations

import asyncio

from tests.channels.conftest import (
    ended,
    escalation_reasons,
    open_conversation,
    opt_out_channels,
    paused,
)


def said(turns, conversation_id: str, words: str):
    return asyncio.run(turns.send(conversation_id, words))


def test_stop_calling_me_in_chat_while_rasa_is_down_is_recorded(turns, rasa):
    rasa.down = True
    conversation = open_conversation("A1", "chat")
    reply = said(turns, conversation, "Please stop calling me")
    assert reply.ended and not reply.failed and "by phone" in reply.messages[0]
    assert opt_out_channels("A1") == ["voice"] and ended(conversation) == "opted_out"
    assert rasa.sent == []


def test_a_voice_transcript_naming_texts_closes_texts(turns, rasa):
    conversation = open_conversation("A1", "voice")
    reply = said(turns, conversation, "and stop texting me")
    assert reply.ended and opt_out_channels("A1") == ["sms"] and rasa.sent == []
    # Spoken, not written: §1006.6(c) does not pause the account for a call.
    assert paused("A1") is None


def test_unclear_on_a_call_closes_calls_and_says_how_to_stop_texts(turns):
    conversation = open_conversation("A1", "voice")
    reply = said(turns, conversation, "just leave me alone")
    assert reply.ended and "reply STOP" in reply.messages[0]
    assert opt_out_channels("A1") == ["voice"]


def test_unclear_in_chat_keeps_the_chat_open_for_one_answer(turns, rasa):
    conversation = open_conversation("A1", "chat")
    asked = said(turns, conversation, "leave me alone")
    assert not asked.ended and "CALLS, TEXTS or BOTH" in asked.messages[0]
    assert opt_out_channels("A1") == ["chat"]
    answered = said(turns, conversation, "both")
    assert answered.ended and opt_out_channels("A1") == ["all", "chat"]
    assert rasa.sent == []


def test_a_chat_cease_request_pauses_and_escalates(turns):
    conversation = open_conversation("A1", "chat")
    said(turns, conversation, "do not contact me again")
    assert opt_out_channels("A1") == ["all"]
    assert paused("A1") == "cease_request" and escalation_reasons("A1") == ["cease_request"]


def test_a_refusal_in_chat_goes_on_to_rasa_and_pauses_even_when_rasa_is_down(turns, rasa):
    rasa.down = True
    conversation = open_conversation("A1", "chat")
    reply = said(turns, conversation, "I'm not paying")
    assert reply.failed and rasa.sent == ["I'm not paying"]
    assert paused("A1") == "refused_to_pay"
    assert sorted(escalation_reasons("A1")) == ["refusal", "technical_failure"]


def test_i_wont_pay_until_friday_is_no_refusal(turns):
    conversation = open_conversation("A1", "chat")
    said(turns, conversation, "I won't pay until Friday")
    assert paused("A1") is None and escalation_reasons("A1") == []


def test_ordinary_words_go_to_rasa_and_record_nothing(turns, rasa):
    conversation = open_conversation("A1", "voice")
    said(turns, conversation, "I'll call you back after I stop by the branch")
    assert rasa.sent and opt_out_channels("A1") == []
