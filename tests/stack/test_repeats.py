"""A message delivered twice under one Idempotency-Key (HAProxy replaying it after its gateway
died, a client retrying) is handled once and answered with the first delivery's reply
(bot/channels/repeats.py). On the real stack: the transcript, which the action writes, says how
many times a message was handled."""

from __future__ import annotations

import time

import pytest

from bot.channels import repeats
from bot.ledger.db import session_scope
from bot.ledger.models import Turn
from tests.stack.conftest import add_account

pytestmark = pytest.mark.stack


def post(running, cid: str, text: str, key: str | None):
    headers = {"Idempotency-Key": key} if key else {}
    return running.api.post(
        f"/api/conversations/{cid}/messages", json={"text": text}, headers=headers
    )


def customer_turns(running, cid: str) -> list[str]:
    with session_scope(running.sql_url) as session:
        turns = session.query(Turn).filter_by(conversation_id=cid, speaker="customer")
        return [t.text for t in turns.order_by(Turn.id)]


def open_chat(running, tmp_path) -> str:
    account = add_account(running, tmp_path, verification_last4="6613")
    started = running.api.post("/api/conversations", json={"account_id": account["account_id"]})
    assert started.status_code == 201, started.text
    return started.json()["conversation_id"]


def test_a_repeat_gets_the_first_reply_and_is_not_handled_again(running, tmp_path):
    cid = open_chat(running, tmp_path)
    steps = [("yes speaking", "k-identity"), ("6613", "k-digits"), ("how much do i owe", "k-owe")]
    for text, key in steps:
        first = post(running, cid, text, key)
        again = post(running, cid, text, key)
        assert first.status_code == again.status_code == 200, (first.text, again.text)
        assert again.json() == first.json() and first.json()["messages"]
    # Each message is in the transcript once (the digits redacted): handled once. Handled twice,
    # the second "6613" would have been read as the answer to the next question.
    said = customer_turns(running, cid)
    assert len(said) == 3 and said[0] == "yes speaking" and said[2] == "how much do i owe"
    # A new key is a new message, handled as such.
    assert post(running, cid, "how much do i owe", "k-owe-2").status_code == 200
    assert len(customer_turns(running, cid)) == 4


def test_the_repeat_of_a_message_that_ended_the_conversation_gets_its_goodbye(running, tmp_path):
    cid = open_chat(running, tmp_path)
    for text in ["yes speaking", "6613"]:
        assert post(running, cid, text, None).status_code == 200
    last = post(running, cid, "stop contacting me", "k-stop")
    assert last.status_code == 200 and last.json()["ended"], last.text
    again = post(running, cid, "stop contacting me", "k-stop")
    # Not the 409 of an ended conversation: the reply the first delivery got.
    assert again.status_code == 200 and again.json() == last.json()
    # Without the key it is a message to an ended conversation.
    assert post(running, cid, "stop contacting me", None).status_code == 409


def test_a_repeat_whose_first_delivery_never_got_an_answer_is_handled(running, tmp_path):
    """The gateway claimed the key and died before Rasa answered: nothing in the transcript.
    The repeat waits for the first delivery's turn, then handles the message itself."""
    cid = open_chat(running, tmp_path)
    running.redis.set(repeats.CLAIM.format(cid, "k-lost"), repr(time.time()), ex=60)
    began = time.monotonic()
    reply = post(running, cid, "yes speaking", "k-lost")
    waited = time.monotonic() - began
    assert reply.status_code == 200 and reply.json()["messages"], reply.text
    assert waited >= repeats.WAIT_S  # it waited for a first delivery that never came
    assert customer_turns(running, cid) == ["yes speaking"]
    # The answer is the one the message gets: the bot went on to the next step.
    digits = post(running, cid, "6613", None)
    assert digits.status_code == 200 and customer_turns(running, cid)[-1] != "6613"


def test_the_same_key_in_another_conversation_is_another_message(running, tmp_path):
    one, two = open_chat(running, tmp_path), open_chat(running, tmp_path)
    for cid in (one, two):
        assert post(running, cid, "yes speaking", "k-shared").status_code == 200
        assert customer_turns(running, cid) == ["yes speaking"]
