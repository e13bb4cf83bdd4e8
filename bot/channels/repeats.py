"""A customer's message delivered twice under one Idempotency-Key is handled once.

Who delivers twice: HAProxy, which replays a message on another gateway when the gateway handling
it dies inside it (bot/infra/replicas.py; it gives every message to the text API a key when the
client did not), and a bank's app retrying after a network error with its own key.

The first delivery claims the key (Redis, an hour) with the time it arrived. A repeat is not sent
to Rasa again: handled twice, a "yes" could confirm the next question. It is answered from the
transcript, which the action writes with the turn's records (bot/conversation/records.py): the
bot turns that followed the message, the first delivery's reply, which the dead gateway never
sent. The first may still be inside Rasa (the conversation's lock holds the repeat back there
too), so the transcript is read for a few seconds. A message whose turn is not there by then
never got that far (the gateway died before Rasa answered it) and is handled as usual: opt-outs,
an ended conversation and a failing turn's safe reply included. It is handled twice only if the
first delivery is still inside Rasa after those seconds (a turn takes ~70 ms at the 95th
percentile, docs/performance.md).

A conversation opened under a key (POST /api/conversations) is opened once, the same way: the
key is claimed per account, the conversation's id is written beside it as soon as the ledger has
the conversation, and a repeat gets that conversation and its opening from the transcript. Opened
twice, the second would be an empty conversation counted in the day's figures."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import datetime, timezone

from redis.exceptions import RedisError

from bot.channels.turns import BotReply, ConversationNotFound, Conversations
from bot.infra import metrics
from bot.ledger.db import session_scope
from bot.ledger.repo import conversations as stored

log = logging.getLogger(__name__)

CLAIM = "message-key:{}:{}"  # conversation id, Idempotency-Key
OPENING = "opening-key:{}:{}"  # account id, Idempotency-Key -> the conversation it opened
CLAIM_TTL_S = 3600
# How long a repeat waits for the first delivery's turn to reach the transcript: a turn takes
# well under a second, and one held behind the conversation's lock in Rasa a little longer.
WAIT_S = 5.0


def claim(redis, conversation_id: str, key: str) -> datetime | None:
    """None when this is the first delivery of the key (it is now claimed); otherwise when the
    first delivery arrived. With Redis down the message is handled: twice is better than never."""
    now = time.time()
    name = CLAIM.format(conversation_id, key)
    try:
        if redis.set(name, repr(now), nx=True, ex=CLAIM_TTL_S):
            return None
        first = redis.get(name)
    except RedisError:
        log.warning("Redis is down: the message's Idempotency-Key is not checked")
        return None
    return datetime.fromtimestamp(float(first) if first else now, tz=timezone.utc)


def first_reply(conversation_id: str, since: datetime | None) -> tuple[list[str], bool] | None:
    """The bot turns that answered the first customer turn written since `since` (with None:
    the opening, the bot turns before any customer turn), and whether the conversation has
    ended; None while that turn is not in the transcript."""
    with session_scope() as session:
        if since is None:
            turns = stored.transcript(session, conversation_id)
        else:
            turns = stored.turns_since(session, conversation_id, since)
        conversation = stored.conversation(session, conversation_id)
        if conversation is None:
            raise ConversationNotFound(conversation_id)
        ended = conversation.ended_at is not None
    speakers = [t.speaker for t in turns]
    if since is None:
        start = 0
    elif "customer" in speakers:
        start = speakers.index("customer") + 1
    else:
        return None
    reply = []
    for turn in turns[start:]:
        if turn.speaker != "bot":
            break
        reply.append(turn.text)
    return (reply, ended) if reply else None


async def answer_repeat(
    conversations: Conversations, conversation_id: str, text: str, first: datetime
) -> BotReply:
    deadline = time.monotonic() + WAIT_S
    while True:
        found = await asyncio.to_thread(first_reply, conversation_id, first)
        if found is not None:
            messages, ended = found
            log.info("a repeated message was answered with its first delivery's reply")
            return BotReply(conversation_id, messages, ended=ended)
        if time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    log.warning("a repeated message found no reply to its first delivery: handled now")
    return await conversations.send(conversation_id, text)


async def start_once(
    conversations: Conversations, account_id: str, channel: str, key: str | None
) -> BotReply:
    """A conversation opened under an Idempotency-Key is opened once (the module's docstring)."""
    if not key:
        return await _open(conversations, account_id, channel)
    redis, name = conversations.queue.redis, OPENING.format(account_id, key)
    try:
        first = await asyncio.to_thread(_claim_opening, redis, name)
    except RedisError:
        log.warning("Redis is down: the opening's Idempotency-Key is not checked")
        return await _open(conversations, account_id, channel)
    if first is None:
        return await _open(conversations, account_id, channel, claim=(redis, name))
    return await _answer_opening_repeat(conversations, (redis, name), first, account_id, channel)


async def _answer_opening_repeat(conversations, claim, first: str, account_id, channel):
    redis, name = claim
    deadline = time.monotonic() + WAIT_S
    try:
        while not first and time.monotonic() < deadline:  # the first may not have created it
            await asyncio.sleep(0.2)
            first = await asyncio.to_thread(_opened, redis, name)
    except RedisError:
        log.warning("Redis is down: a repeated opening is opened as a new conversation")
        return await _open(conversations, account_id, channel)
    if not first:
        log.warning("a repeated opening found no conversation of its first delivery: opened now")
        return await _open(conversations, account_id, channel, claim=claim, owned=False)
    deadline = time.monotonic() + WAIT_S  # its opening may still be inside Rasa
    while True:
        try:
            found = await asyncio.to_thread(first_reply, first, None)
        except ConversationNotFound:
            log.warning("a repeated opening's conversation is not in the ledger: opened anew")
            return await _open(conversations, account_id, channel)
        if found is not None:
            log.info("a repeated opening was answered with its first delivery's conversation")
            messages, ended = found
            return BotReply(first, messages, ended=ended)
        if time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    log.warning("a repeated opening found its conversation never opened: opened now")
    return await _open(conversations, account_id, channel, opening=first)


def _claim_opening(redis, name: str) -> str | None:
    """None when this delivery claimed the key; otherwise the conversation it opened ("" while
    the first delivery has not created it yet)."""
    if redis.set(name, "", nx=True, ex=CLAIM_TTL_S):
        return None
    return _opened(redis, name)


def _opened(redis, name: str) -> str:
    value = redis.get(name) or ""
    return value.decode() if isinstance(value, bytes) else value


@metrics.timed_turn  # a turn handled here (a repeat answered from the transcript is not one)
async def _open(
    conversations: Conversations, account_id, channel, claim=None, owned=True, opening=None
):
    """A new conversation and its opening (or the `opening` of one already created); under
    `claim` its id is written beside the key (a claim this delivery `owned` is released if
    nothing could be created)."""
    if opening is not None:
        return await conversations.open(opening, account_id, channel)
    try:
        conversation_id = await asyncio.to_thread(conversations.create, account_id, channel)
    except BaseException:
        if claim is not None and owned:
            await asyncio.to_thread(_release, *claim)
        raise
    if claim is not None:
        redis, name = claim
        try:
            await asyncio.to_thread(redis.set, name, conversation_id, ex=CLAIM_TTL_S)
        except RedisError:
            log.warning("Redis is down: a repeat of this opening would open another conversation")
    return await conversations.open(conversation_id, account_id, channel)


def _release(redis, name: str) -> None:
    with contextlib.suppress(RedisError):  # it expires anyway
        redis.delete(name)
