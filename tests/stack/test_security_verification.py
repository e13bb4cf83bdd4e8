"""Issue #11 items 1, 2, 5 and the chat links of 9, attacked through the running stack: the action
server refuses a caller without the secret; a code cannot be guessed by opening conversation
after conversation (the lock holds across conversations until an agent lifts it); after a failed
verification the wrong code is nowhere (Redis, trackers and streams included, the ledger and
its audit chain, the logs); a chat link is bound to its one conversation, revocable and
rate-limited."""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import subprocess

import httpx
import websockets

from bot.settings import ROOT
from bot.web.security import chat_link
from tests.stack.conftest import Conversation, add_account, cli_env

REMINDERBOT = str(ROOT / ".venv" / "bin" / "reminderbot")
WRONG = "9137"
ALONE = re.compile(rf"(?<![0-9A-Za-z]){WRONG}(?![0-9A-Za-z])")


def test_the_action_server_refuses_a_caller_without_the_secret(running):
    url = f"http://127.0.0.1:{running.settings.actions_port}/webhook"
    forged = {
        "next_action": "action_answer_question",
        "sender_id": "forged",
        "tracker": {
            "sender_id": "forged",
            "slots": {"dialogue_state": {"phase": "verified", "account_id": "CC-1001"}},
            "latest_message": {"text": "how much do I owe", "intent": {"name": "ask"}},
            "events": [],
        },
        "domain": {},
    }
    answer = httpx.post(url, json=forged, timeout=30)
    assert answer.status_code == 403 and "1,240.50" not in answer.text
    # Rasa itself gets through: the stack still talks (its endpoints carry the secret).
    chat = Conversation(running.api, "CC-1001")
    assert "Jane" in chat.bot[0]


def _fail_three_times(running, account_id: str) -> Conversation:
    chat = Conversation(running.api, account_id)
    chat.say("yes it's me")
    for _ in range(3):
        if chat.ended:
            break
        chat.say(WRONG)
    assert chat.ended
    return chat


def test_three_times_three_wrong_codes_then_the_right_one_is_refused_until_unlocked(
    running, tmp_path
):
    row = add_account(running, tmp_path)
    account_id, right = row["account_id"], row["verification_last4"]
    for _ in range(3):
        _fail_three_times(running, account_id)
    fourth = Conversation(running.api, account_id)
    reply = fourth.say("yes it's me")  # locked: the bot no longer asks for the code at all
    if not fourth.ended:
        reply += " " + fourth.say(right)
    assert "call you back" in reply and "balance" not in reply.lower()
    assert fourth.ended
    record = running.api.get(f"/api/accounts/{account_id}").json()
    summaries = [
        e["summary"] for e in record["escalations"] if e["reason"] == "verification_failed"
    ]
    assert any("locked" in s for s in summaries)

    result = subprocess.run(
        [REMINDERBOT, "agents", "unlock", account_id, "--agent", "alice"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=cli_env(running),
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 verification lock(s) lifted" in result.stdout
    fifth = Conversation(running.api, account_id)
    fifth.say("yes it's me")
    assert "overdue balance" in fifth.say(right)


def _redis_dump(running) -> str:
    client = running.redis
    parts = []
    for key in client.scan_iter(count=1000):
        kind = client.type(key).decode()
        parts.append(key.decode(errors="replace"))
        if kind == "string":
            parts.append(client.get(key).decode(errors="replace"))
        elif kind == "hash":
            parts += [f"{k!r}={v!r}" for k, v in client.hgetall(key).items()]
        elif kind == "list":
            parts += [v.decode(errors="replace") for v in client.lrange(key, 0, -1)]
        elif kind == "set":
            parts += [v.decode(errors="replace") for v in client.smembers(key)]
        elif kind == "zset":
            parts += [v.decode(errors="replace") for v in client.zrange(key, 0, -1)]
        elif kind == "stream":
            parts += [repr(fields) for _, fields in client.xrange(key)]
    return "\n".join(parts)


def test_a_failed_verification_leaves_the_wrong_code_nowhere(running, tmp_path):
    row = add_account(running, tmp_path)
    chat = _fail_three_times(running, row["account_id"])
    live = Conversation(running.api, "CC-1002")
    live.say("yes")
    # A live conversation's tracker expires; an ended one's is gone.
    assert running.redis.ttl(f"tracker:tracker:{live.id}") > 0
    assert not running.redis.exists(f"tracker:tracker:{chat.id}")

    assert not ALONE.search(_redis_dump(running)), "the wrong code is in Redis"
    ledger = running.settings.sql_url.split("///", 1)[1]
    dump = "\n".join(sqlite3.connect(ledger).iterdump())  # every table, the audit chain too
    assert not ALONE.search(dump), "the wrong code is in the ledger"
    for log in (running.settings.var_dir / "logs").glob("*.log"):
        assert not ALONE.search(log.read_text(errors="replace")), log.name
    record = running.api.get(f"/api/accounts/{row['account_id']}").json()
    assert not ALONE.search(json.dumps(record)), "the wrong code is in the account's record"


async def _open(url: str, conversation_id: str | None = None):
    socket = await websockets.connect(url)
    await socket.send(json.dumps({"type": "hello", "conversation_id": conversation_id}))
    while True:
        message = json.loads(await socket.recv())
        if message["type"] == "history":
            return socket, message


async def _say(socket, message_id: str, text: str) -> dict:
    await socket.send(json.dumps({"type": "message", "id": message_id, "text": text}))
    while True:
        message = json.loads(await socket.recv())
        if message["type"] == "reply":
            return message


def test_a_chat_link_is_bound_to_one_conversation_revocable_and_rate_limited(running, tmp_path):
    row = add_account(running, tmp_path)
    link = chat_link(running.settings, row["account_id"])
    ws = link.replace("http://", "ws://") + "/ws"

    async def scenario():
        first, history = await _open(ws)
        bound = history["conversation_id"]
        await _say(first, "m1", "yes it's me")
        await first.close()
        # Opened again (another tab, another device, a forged conversation id): the same
        # conversation, never a fresh one with fresh tries.
        again, history = await _open(ws, "someone-elses-conversation")
        assert history["conversation_id"] == bound
        await _say(again, "m2", "wrong number")  # ends it: later messages answer at once
        # Past the per-minute limit, messages are refused before they reach the bot (45 of
        # them: even split across two minutes, one minute holds more than the limit of 20).
        replies = [await _say(again, f"n{i}", "hello") for i in range(45)]
        assert any("faster than I can answer" in " ".join(r["messages"]) for r in replies)
        await again.close()
        return bound

    bound = asyncio.run(scenario())
    with sqlite3.connect(running.settings.sql_url.split("///", 1)[1]) as db:
        opened = db.execute(
            "SELECT COUNT(*) FROM conversations WHERE account_id = ? AND channel = 'chat'",
            (row["account_id"],),
        ).fetchone()[0]
    assert opened == 1 and bound

    result = subprocess.run(
        [REMINDERBOT, "agents", "revoke-chat-links", row["account_id"]],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=cli_env(running),
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    page = httpx.get(link, timeout=30)
    assert page.status_code == 410 and row["customer_name"] not in page.text


def test_a_live_conversations_tracker_holds_no_verification_answer(running):
    """While the conversation goes on, Rasa's tracker keeps its messages: the verification
    answers in it are redacted (bot/infra/tracker_store.py), the rest is kept."""
    chat = Conversation(running.api, "CC-1001")
    chat.say("yes it's me")
    chat.say(WRONG)  # a wrong try, then the right one
    chat.say("4821")
    assert not chat.ended
    tracker = json.loads(running.redis.get(f"tracker:tracker:{chat.id}"))
    # What a customer typed can only be held as a string or a whole number; event times and
    # intent scores are floats whose digits hold any four-digit run ("6.7454131488482e-05").
    texts = [value for value in _leaves(tracker) if isinstance(value, str)]
    numbers = {value for value in _leaves(tracker) if isinstance(value, int)}
    assert not any(ALONE.search(text) or "4821" in text for text in texts)
    assert not numbers & {4821, int(WRONG)}
    assert "[redacted]" in texts and "yes it's me" in texts


def _leaves(value):
    """Every scalar in a JSON document."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    else:
        yield value
