"""Issue #16, outages, on the production ledger (the machine's PostgreSQL) with the embedded
Redis: every channel still answers the customer (the safe reply, never a 5xx to a customer or
to Twilio), nothing the customer sent is lost (the ledger, or the local spool while the ledger
itself is down, replayed once it is back), a STOP is still honoured. A stack of its own: the
shared one must not lose its parts.

- Redis killed with -9 mid-conversation: the failed turn is kept in the ledger with a
  technical_failure escalation (streamed to the agents' queue once Redis is back).
- The database made unreachable (ALLOW_CONNECTIONS false, every connection terminated): chat,
  SMS and a call's webhook answered safely, the messages and the STOP kept in the spool and in
  the ledger after recovery.
- The action server killed: an SMS and a call's turn answered safely, each with a case.
- Redis killed, the database made unreachable, in the middle of a call (after its greeting):
  the safe message by TwiML, the turn kept (the ledger; the spool, replayed), a case.
- The web chat socket on its own, the database then Redis down under an open socket.
- Rasa killed during a call: the caller hears the safe message, the call gets an escalation.
Each test gives the part back (restarted, reopened) so the next runs on a healthy stack;
Rasa's is the last (its model takes a minute to load).
The matrix of parts and channels: docs/operations.md, "Outages"."""

import asyncio
import json
import os
import signal
import time
import uuid

import httpx
import pytest
import websockets
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from bot.channels.turns import SAFE_REPLY
from bot.ledger import models
from bot.ledger.db import session_scope
from bot.ledger.models import Escalation, OptOut
from bot.web.security import chat_link
from telephony.signatures import SIGNATURE_HEADER, sign
from telephony.twilio_sim.scenario import CallScenario, Dtmf, Silence, WaitForBot
from tests.stack.conftest import Conversation, add_account, start_stack, stop_stack

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"  # as tests/conftest.py

# A verification answer: kept nowhere in clear, during an outage or after (only its length).
BIRTHDAY = "my birthday is 1980-01-01"
NOT_KEPT = "with a date or digits, not kept"


@pytest.fixture(scope="module")
def stack(tmp_path_factory, postgres_url):
    running = start_stack(tmp_path_factory.mktemp("outage"), database_url=postgres_url)
    yield running
    allow_connections(postgres_url, True)  # a failed test must not leave the ledger blocked
    stop_stack(running)


def kill(running, name: str) -> None:
    proc = running.stack.find(name)
    os.kill(proc.popen.pid, signal.SIGKILL)
    proc.popen.wait()


def twilio_post(running, path: str, params: dict) -> httpx.Response:
    """A webhook signed as Twilio signs it."""
    url = running.settings.gateway_url + path
    signature = sign(url, params, running.settings.twilio_auth_token)
    return httpx.post(url, data=params, headers={SIGNATURE_HEADER: signature}, timeout=60)


def text_in(running, sender: str, body: str, sid: str | None = None) -> httpx.Response:
    params = {
        "From": sender,
        "To": running.settings.twilio_from_number,
        "Body": body,
        "MessageSid": sid or "SM" + uuid.uuid4().hex,
    }
    return twilio_post(running, "/twilio/sms", params)


def allow_connections(url: str, allowed: bool) -> None:
    """Open or close the ledger's database to every client, as a failover or an operator
    would: closing it also ends every connection already open (the gateway's pool too)."""
    base, name = os.environ.get("TEST_DATABASE_URL", DEFAULT_ADMIN_URL), url.rsplit("/", 1)[1]
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allowed).lower()}'))
            if not allowed:
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": name},
                )
    finally:
        admin.dispose()


def wait_for(what: str, check, timeout_s: float = 90):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            found = check()
        except OperationalError:  # our own pool's connections were cut with the gateway's
            found = None
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"{what}: not within {timeout_s} s")


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
    # A call answered without Redis (which holds the calls the gateway knows): the safe message.
    call = {"CallSid": "CA" + uuid.uuid4().hex, "From": sms_customer["phone"]}
    answered = twilio_post(stack, "/twilio/voice", {**call, "Direction": "inbound"})
    assert answered.status_code == 200 and SAFE_REPLY in answered.text

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


def cases_for(running, account_id: str) -> list[Escalation]:
    with session_scope(running.sql_url) as session:
        rows = session.query(Escalation).filter_by(account_id=account_id).all()
        session.expunge_all()
        return rows


def transcript(running, conversation_id: str) -> list[str]:
    with session_scope(running.sql_url) as session:
        turns = session.query(models.Turn).filter_by(conversation_id=conversation_id)
        return [t.text for t in turns.order_by(models.Turn.id)]


def test_database_down_every_channel_answers_and_nothing_is_lost(stack, tmp_path, postgres_url):
    chat_customer = add_account(stack, tmp_path, verification_last4="2580")
    sms_customer = add_account(stack, tmp_path)
    stop_customer = add_account(stack, tmp_path)
    chat = Conversation(stack.api, chat_customer["account_id"])
    spool = stack.settings.var_dir / "spool"
    allow_connections(postgres_url, False)
    try:
        assert stack.api.get("/health").json()["parts"]["database"] == "down"
        # Chat: the safe reply, 200; the message (a date of birth in it) kept, masked.
        assert chat.say(BIRTHDAY) == SAFE_REPLY and not chat.ended
        # SMS: TwiML 200 with the safe reply and the opt-out line; Twilio's retry of the same
        # MessageSid answered the same way.
        sid = "SM" + uuid.uuid4().hex
        for _ in range(2):
            reply = text_in(stack, sms_customer["phone"], "I lost my job, can I pay later", sid)
            assert reply.status_code == 200 and SAFE_REPLY in reply.text and "STOP" in reply.text
        # STOP: confirmed at once, recorded once the ledger is back.
        reply = text_in(stack, stop_customer["phone"], "STOP")
        assert reply.status_code == 200 and "unsubscribed" in reply.text
        # A call answered while the ledger is down: the safe message, never a 5xx.
        call = {"CallSid": "CA" + uuid.uuid4().hex, "From": sms_customer["phone"]}
        answered = twilio_post(stack, "/twilio/voice", {**call, "Direction": "inbound"})
        assert answered.status_code == 200 and SAFE_REPLY in answered.text
        status = twilio_post(stack, "/twilio/voice/status", {**call, "CallStatus": "completed"})
        assert status.status_code == 200
        kept = (spool / "inbound.jsonl").read_text()
        # The chat turn, the text and its retry, the STOP, the call and its status.
        assert len(kept.splitlines()) == 6 and "1980-01-01" not in kept and NOT_KEPT in kept
        assert (spool / "inbound.jsonl").stat().st_mode & 0o077 == 0
    finally:
        allow_connections(postgres_url, True)

    # The ledger is back: a reminder text to the customer who sent STOP is refused at once,
    # replayer's timer or not (the gate replays what is kept before it reads the ledger).
    refused = stack.api.post(f"/api/accounts/{stop_customer['account_id']}/sms")
    assert refused.status_code == 409 and "opt" in refused.text, refused.text

    # The gateway replays the spool: the STOP is an opt-out, each message a case, once.
    def opted_out():
        with session_scope(stack.sql_url) as session:
            return session.query(OptOut).filter_by(account_id=stop_customer["account_id"]).all()

    [opt_out] = wait_for("the STOP recorded", opted_out)
    assert opt_out.channel == "sms"
    [case] = wait_for("the chat's case", lambda: escalations(stack, chat.id))
    assert case.reason == "technical_failure"
    said = transcript(stack, chat.id)
    assert (
        f"[kept during a ledger outage] [message of {len(BIRTHDAY)} characters {NOT_KEPT}]" in said
    )
    assert not any("1980-01-01" in line for line in said)
    [case] = wait_for("the SMS's case", lambda: cases_for(stack, sms_customer["account_id"]))
    assert case.reason == "technical_failure" and "I lost my job" in case.summary
    assert "Then they called" in case.summary  # the call answered safely: the same case
    assert cases_for(stack, stop_customer["account_id"]) == []  # an opt-out is no case
    wait_for("the spool emptied", lambda: not list(spool.glob("*.jsonl")))
    # After the outage the conversation simply goes on.
    assert "minimum" in chat.say("yes") + chat.say("2580")


def restore(running, name: str) -> None:
    """The supervisor restarts the killed part; the next test runs on a healthy stack."""
    health = running.settings.gateway_url + "/health"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        running.stack.supervise_once()
        if httpx.get(health).status_code == 200:
            return
        time.sleep(1)
    raise AssertionError(f"{name} did not come back: {httpx.get(health).text}")


def call_until_greeted(running, account: dict) -> tuple[str, str]:
    """An outbound call answered by a person who, once greeted, waits, presses 1 (a turn) and
    then stays silent. Returns the call's SID and its conversation once the greeting is in the
    ledger: the part can then be taken down before the caller's turn."""
    steps = [WaitForBot(timeout_s=60), Silence(4_000), Dtmf("1"), Silence(20_000)]
    running.carrier.sim.expect_call(
        account["phone"], CallScenario(answered_by="human", steps=steps, speed=4.0)
    )
    placed = running.api.post(f"/api/accounts/{account['account_id']}/calls")
    assert placed.status_code == 201, placed.text

    def greeted():  # the opening turn is done: its bot turn is in the ledger
        with session_scope(running.sql_url) as session:
            conversation = (
                session.query(models.Conversation)
                .filter_by(account_id=account["account_id"], channel="voice")
                .first()
            )
            return conversation and transcript(running, conversation.id) and conversation.id

    return placed.json()["call_sid"], wait_for("the call's greeting", greeted, timeout_s=120)


def finish(running, sid: str):
    """The call played out; the caller must have heard the safe message (TwiML `<Say>`, by the
    redirect the gateway made) and every webhook of the call must have been answered 200."""
    carrier = running.carrier
    finished = carrier.run(carrier.sim.wait_for_call(sid, timeout=120), timeout=140)
    said = [p.verb.text for p in finished.played if hasattr(p.verb, "text")]
    assert SAFE_REPLY in said, said
    answers = [d.status_code for d in carrier.sim.deliveries if d.params.get("CallSid") == sid]
    assert answers and all(code == 200 for code in answers), answers
    return finished


def test_action_server_killed_sms_and_mid_call(stack, tmp_path):
    sms_customer = add_account(stack, tmp_path)
    caller = add_account(stack, tmp_path)
    sid, call_conversation = call_until_greeted(stack, caller)
    kill(stack, "actions")
    try:
        # The caller's next turn has no action to answer it: the safe message, a case.
        finish(stack, sid)
        [case] = escalations(stack, call_conversation)
        assert case.reason == "technical_failure"
        # What the caller keyed is kept (its length only, as every failed turn's).
        assert any("not processed" in line for line in transcript(stack, call_conversation))

        # SMS: TwiML 200 with the safe reply and the opt-out line; the text's turn kept with
        # a case on the SMS conversation it opened.
        reply = text_in(stack, sms_customer["phone"], "I can pay 50 on Friday")
        assert reply.status_code == 200 and SAFE_REPLY in reply.text and "STOP" in reply.text
        [case] = cases_for(stack, sms_customer["account_id"])
        assert case.reason == "technical_failure" and case.conversation_id
        said = transcript(stack, case.conversation_id)
        assert "[not processed] I can pay 50 on Friday" in said
    finally:
        restore(stack, "actions")
    assert stack.stack.find("actions").restarts == 1


def test_redis_killed_mid_call(stack, tmp_path):
    caller = add_account(stack, tmp_path)
    sid, conversation_id = call_until_greeted(stack, caller)
    kill(stack, "redis")  # Rasa's trackers and locks, the calls the gateway knows
    try:
        finish(stack, sid)
        [case] = escalations(stack, conversation_id)
        assert case.reason == "technical_failure"
        assert any("not processed" in line for line in transcript(stack, conversation_id))
        # The call's ending is written all the same (the calls the gateway knows are in Redis).
        with session_scope(stack.sql_url) as session:
            attempt = session.query(models.ContactAttempt).filter_by(provider_sid=sid).one()
            assert attempt.disposition == "technical_failure"
    finally:
        restore(stack, "redis")
    # The case reaches the agents' queue once Redis is back.
    wait_for("the case streamed", lambda: escalations(stack, conversation_id)[0].stream_id)


def test_database_down_mid_call(stack, tmp_path, postgres_url):
    caller = add_account(stack, tmp_path)
    spool = stack.settings.var_dir / "spool"
    sid, conversation_id = call_until_greeted(stack, caller)
    allow_connections(postgres_url, False)
    try:
        # The caller's turn cannot be loaded: the safe message all the same, the turn kept.
        finish(stack, sid)
        # In the open file or one the replayer took (it tries every 5 s, outage or not).
        kept = "".join(path.read_text() for path in spool.glob("*.jsonl"))
        assert conversation_id in kept
    finally:
        allow_connections(postgres_url, True)
    # Replayed: the caller's turn in the transcript and a case for a person to call back.
    [case] = wait_for("the call's case", lambda: escalations(stack, conversation_id))
    assert case.reason == "technical_failure"
    assert any(
        line.startswith("[kept during a ledger outage]")
        for line in transcript(stack, conversation_id)
    )
    wait_for("the spool emptied", lambda: not list(spool.glob("*.jsonl")))
    # The caller hung up during the outage: the attempt's ending is replayed too.
    with session_scope(stack.sql_url) as session:
        attempt = session.query(models.ContactAttempt).filter_by(provider_sid=sid).one()
        conversation = session.get(models.Conversation, conversation_id)
        assert attempt.disposition == conversation.disposition == "technical_failure"
        assert conversation.ended_at is not None and attempt.ended_at is not None


async def open_chat(url: str):
    """The web chat page's socket: its hello, then the conversation's history."""
    socket = await websockets.connect(url)
    await socket.send(json.dumps({"type": "hello", "conversation_id": None}))
    while json.loads(await socket.recv())["type"] != "history":
        pass
    return socket


async def chat_says(socket, message_id: str, text: str) -> dict:
    await socket.send(json.dumps({"type": "message", "id": message_id, "text": text}))
    while True:
        message = json.loads(await socket.recv())
        if message["type"] == "reply":
            return message


def test_web_chat_socket_with_the_database_then_redis_down(stack, tmp_path, postgres_url):
    """The web chat's socket on its own: its messages answered safely on the open socket, kept
    (the spool, then the transcript; the ledger's turn while Redis is down), each with a case."""
    customer = add_account(stack, tmp_path)
    ws = chat_link(stack.settings, customer["account_id"]).replace("http://", "ws://") + "/ws"
    spool = stack.settings.var_dir / "spool"

    async def with_the_database_down() -> None:
        socket = await open_chat(ws)
        allow_connections(postgres_url, False)
        try:
            reply = await chat_says(socket, "m1", BIRTHDAY)
            assert reply["messages"] == [SAFE_REPLY] and not reply["ended"]
        finally:
            allow_connections(postgres_url, True)
        await socket.close()

    asyncio.run(with_the_database_down())
    [case] = wait_for("the chat's case", lambda: cases_for(stack, customer["account_id"]))
    assert case.reason == "technical_failure"
    conversation_id = case.conversation_id
    assert (
        f"[kept during a ledger outage] [message of {len(BIRTHDAY)} characters {NOT_KEPT}]"
        in transcript(stack, conversation_id)
    )
    wait_for("the spool emptied", lambda: not list(spool.glob("*.jsonl")))

    async def with_redis_down() -> None:
        socket = await open_chat(ws)  # the same conversation: the link is bound to it
        kill(stack, "redis")
        try:
            reply = await chat_says(socket, "m2", "I can pay 50 on Friday")
            assert reply["messages"] == [SAFE_REPLY] and not reply["ended"]
        finally:
            await socket.close()

    try:
        asyncio.run(with_redis_down())
        said = transcript(stack, conversation_id)
        assert "[not processed] I can pay 50 on Friday" in said
        assert [c.reason for c in escalations(stack, conversation_id)] == ["technical_failure"]
    finally:
        restore(stack, "redis")


async def history_and_reply(url: str, text: str) -> tuple[dict, dict]:
    """Open the chat (the page's hello), take its history, send one message, take the reply."""
    async with websockets.connect(url) as socket:
        await socket.send(json.dumps({"type": "hello", "conversation_id": None}))
        while (history := json.loads(await socket.recv()))["type"] != "history":
            pass
        return history, await chat_says(socket, "m1", text)


def test_web_chat_opened_with_the_database_then_redis_down(stack, tmp_path, postgres_url):
    """A chat link opened while a part is down: the page loads (200), its socket stays open
    with the safe message, what the customer then writes is answered safely and kept with one
    case for the account (no conversation could be held)."""
    customer = add_account(stack, tmp_path)
    link = chat_link(stack.settings, customer["account_id"])
    ws = link.replace("http://", "ws://") + "/ws"
    spool = stack.settings.var_dir / "spool"
    safe = [{"from": "bot", "text": SAFE_REPLY}]

    allow_connections(postgres_url, False)
    try:
        page = httpx.get(link, timeout=30)
        assert page.status_code == 200 and "<form" in page.text
        history, reply = asyncio.run(history_and_reply(ws, "I can pay 50 on Friday"))
        assert history["messages"] == safe and not history["ended"]
        assert reply["messages"] == [SAFE_REPLY] and not reply["ended"]
    finally:
        allow_connections(postgres_url, True)
    [case] = wait_for("the chat's case", lambda: cases_for(stack, customer["account_id"]))
    assert case.reason == "technical_failure" and case.conversation_id is None
    assert "opened the web chat" in case.summary and "I can pay 50 on Friday" in case.summary
    wait_for("the spool emptied", lambda: not list(spool.glob("*.jsonl")))

    kill(stack, "redis")  # the link's binding and revocation cannot be read
    try:
        page = httpx.get(link, timeout=30)
        assert page.status_code == 200 and "<form" in page.text
        history, reply = asyncio.run(history_and_reply(ws, "STOP"))
        assert history["messages"] == safe and reply["messages"] == [SAFE_REPLY]
        # Written at once (the ledger is up): the STOP honoured, the case not doubled.
        with session_scope(stack.sql_url) as session:
            opt_outs = session.query(OptOut).filter_by(account_id=customer["account_id"]).all()
            assert [o.channel for o in opt_outs] == ["chat"]
        assert len(cases_for(stack, customer["account_id"])) == 1
    finally:
        restore(stack, "redis")


def test_rasa_killed_during_a_call(stack, tmp_path):
    """The last test of the module: Rasa is not restarted (its model takes a minute to load)."""
    account = add_account(stack, tmp_path)
    sid, conversation_id = call_until_greeted(stack, account)
    kill(stack, "rasa")
    finish(stack, sid)
    [case] = escalations(stack, conversation_id)
    assert case.reason == "technical_failure"
    # The other channels while Rasa is down: the safe reply too, never a 5xx.
    chat_customer, sms_customer = add_account(stack, tmp_path), add_account(stack, tmp_path)
    assert Conversation(stack.api, chat_customer["account_id"]).bot == [SAFE_REPLY]
    reply = text_in(stack, sms_customer["phone"], "hello")
    assert reply.status_code == 200 and SAFE_REPLY in reply.text and "STOP" in reply.text
