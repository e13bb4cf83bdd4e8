"""Issue #16, outages: the embedded Redis killed with -9 mid-conversation. Every channel still
answers the customer (the safe reply, never a 5xx to a customer or to Twilio), the failed turn
is kept in the ledger with a technical_failure escalation (streamed to the agents' queue once
Redis is back), a STOP is still honoured, and the conversation goes on after the supervisor has
restarted Redis. A stack of its own: the shared one must not lose its Redis."""

import os
import signal
import time
import uuid

import httpx
import pytest

from bot.channels.turns import SAFE_REPLY
from bot.ledger.db import session_scope
from bot.ledger.models import Escalation, OptOut
from telephony.signatures import SIGNATURE_HEADER, sign
from tests.stack.conftest import Conversation, add_account, start_stack, stop_stack


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    running = start_stack(tmp_path_factory.mktemp("outage"))
    yield running
    stop_stack(running)


def kill(running, name: str) -> None:
    proc = running.stack.find(name)
    os.kill(proc.popen.pid, signal.SIGKILL)
    proc.popen.wait()


def text_in(running, sender: str, body: str) -> httpx.Response:
    url = running.settings.gateway_url + "/twilio/sms"
    params = {
        "From": sender,
        "To": running.settings.twilio_from_number,
        "Body": body,
        "MessageSid": "SM" + uuid.uuid4().hex,
    }
    signature = sign(url, params, running.settings.twilio_auth_token)
    return httpx.post(url, data=params, headers={SIGNATURE_HEADER: signature}, timeout=60)


def escalations(running, conversation_id: str) -> list[Escalation]:
    with session_scope(running.sql_url) as session:
        rows = session.query(Escalation).filter_by(conversation_id=conversation_id).all()
        session.expunge_all()
        return rows


def test_redis_killed_mid_conversation(stack, tmp_path):
    chat_customer = add_account(stack, tmp_path, verification_last4="2580")
    sms_customer = add_account(stack, tmp_path)
    stop_customer = add_account(stack, tmp_path)
    chat = Conversation(stack.api, chat_customer["account_id"])
    chat.say("yes")
    kill(stack, "redis")

    # Chat: the safe reply, the turn kept (its length only: it may be a secret), a case queued.
    assert chat.say("2580") == SAFE_REPLY and not chat.ended
    [case] = escalations(stack, chat.id)
    assert case.reason == "technical_failure"
    # SMS: Twilio gets TwiML with the safe reply and the opt-out line, never a 5xx.
    reply = text_in(stack, sms_customer["phone"], "hello")
    assert reply.status_code == 200 and SAFE_REPLY in reply.text and "STOP" in reply.text
    # A STOP is honoured without Redis.
    reply = text_in(stack, stop_customer["phone"], "STOP")
    assert reply.status_code == 200 and "unsubscribed" in reply.text
    with session_scope(stack.sql_url) as session:
        [opt_out] = session.query(OptOut).filter_by(account_id=stop_customer["account_id"]).all()
        assert opt_out.channel == "sms"

    # The supervisor restarts Redis; the case reaches the agents' stream; the chat goes on.
    health = stack.settings.gateway_url + "/health"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        stack.stack.supervise_once()
        if httpx.get(health).status_code == 200 and escalations(stack, chat.id)[0].stream_id:
            break
        time.sleep(1)
    assert escalations(stack, chat.id)[0].stream_id, "the case never reached the agents' queue"
    assert "minimum" in chat.say("2580")
