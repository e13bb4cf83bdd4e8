"""Kill -9 the action server mid-conversation: the customer gets a safe reply, a person gets a
technical_failure escalation, the supervisor restarts the process and the conversation goes on."""

import os
import signal
import time

import httpx

from bot.channels.turns import SAFE_REPLY


def test_action_server_killed_mid_conversation(running, talk, account):
    chat = talk("CC-1004")
    chat.say("yes")
    chat.say("3390")
    actions = running.stack.find("actions")
    os.kill(actions.popen.pid, signal.SIGKILL)
    actions.popen.wait()
    reply = chat.say("i can pay 500 tomorrow")
    assert reply == SAFE_REPLY and not chat.ended
    reasons = [
        e["reason"] for e in account("CC-1004")["escalations"] if e["conversation_id"] == chat.id
    ]
    assert reasons == ["technical_failure"]

    health = running.settings.gateway_url + "/health"
    assert httpx.get(health).status_code == 503
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        running.stack.supervise_once()
        if httpx.get(health).status_code == 200:
            break
        time.sleep(1)
    assert httpx.get(health).status_code == 200
    assert actions.restarts == 1

    # The turn that failed left no half state: the customer simply says it again.
    assert "$500.00" in chat.say("i can pay 500 tomorrow")
    chat.say("yes")
    promises = [p for p in account("CC-1004")["promises"] if p["conversation_id"] == chat.id]
    assert [p["amount"] for p in promises] == ["500.00"]
