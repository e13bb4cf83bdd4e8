"""A message delivered twice under one Idempotency-Key (HAProxy replaying it after its gateway
died, a client retrying) is handled once and answered with the first delivery's reply, and a
conversation opened twice under one is opened once (bot/channels/repeats.py). On the real
stack: the transcript, which the action writes, says how many times a message was handled."""

from __future__ import annotations

import time

import pytest

from bot.channels import repeats
from bot.ledger.db import session_scope
from bot.ledger.models import Conversation, Turn
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


# -- a conversation opened under a key ---------------------------------------------------------
def start(running, account_id: str, key: str | None):
    headers = {"Idempotency-Key": key} if key else {}
    return running.api.post("/api/conversations", json={"account_id": account_id}, headers=headers)


def conversations_of(running, account_id: str) -> list[str]:
    with session_scope(running.sql_url) as session:
        rows = session.query(Conversation).filter_by(account_id=account_id)
        return [c.id for c in rows.order_by(Conversation.started_at)]


def test_a_repeated_opening_gets_the_first_conversation_not_a_second(running, tmp_path):
    account = add_account(running, tmp_path)["account_id"]
    first = start(running, account, "open-1")
    again = start(running, account, "open-1")
    assert first.status_code == again.status_code == 201, (first.text, again.text)
    assert again.json() == first.json() and first.json()["messages"]
    assert conversations_of(running, account) == [first.json()["conversation_id"]]
    # The conversation goes on as usual: the repeat left it at its first question.
    cid = first.json()["conversation_id"]
    assert post(running, cid, "yes speaking", None).status_code == 200
    # Another key, or none, is another conversation.
    assert start(running, account, "open-2").json()["conversation_id"] != cid
    assert start(running, account, None).status_code == 201
    assert len(conversations_of(running, account)) == 3


def test_a_key_opens_one_conversation_per_account(running, tmp_path):
    mine, theirs = (add_account(running, tmp_path)["account_id"] for _ in range(2))
    a, b = start(running, mine, "same-key"), start(running, theirs, "same-key")
    assert a.status_code == b.status_code == 201
    assert a.json()["conversation_id"] != b.json()["conversation_id"]
    assert conversations_of(running, theirs) == [b.json()["conversation_id"]]


def test_an_opening_whose_first_delivery_died_before_the_ledger_is_opened(running, tmp_path):
    """The first gateway claimed the key and died before creating the conversation."""
    account = add_account(running, tmp_path)["account_id"]
    running.redis.set(repeats.OPENING.format(account, "died-early"), "", ex=60)
    began = time.monotonic()
    opened = start(running, account, "died-early")
    assert time.monotonic() - began >= repeats.WAIT_S  # it waited for the first delivery
    assert opened.status_code == 201 and opened.json()["messages"], opened.text
    assert conversations_of(running, account) == [opened.json()["conversation_id"]]
    assert start(running, account, "died-early").json() == opened.json()  # now the key's


def test_an_opening_whose_first_delivery_died_before_rasa_is_opened_once(running, tmp_path):
    """The first gateway created the conversation and died before Rasa opened it."""
    from bot.ledger.repo import conversations

    account = add_account(running, tmp_path)["account_id"]
    with session_scope(running.sql_url) as session:
        cid = conversations.open_conversation(session, account, "chat").id
    running.redis.set(repeats.OPENING.format(account, "died-late"), cid, ex=60)
    opened = start(running, account, "died-late")
    assert opened.status_code == 201 and opened.json()["conversation_id"] == cid
    assert opened.json()["messages"], opened.text
    assert conversations_of(running, account) == [cid]
