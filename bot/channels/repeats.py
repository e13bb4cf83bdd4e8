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
percentile, docs/performance.md)."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timezone

from redis.exceptions import RedisError

from bot.channels.turns import BotReply, ConversationNotFound, Conversations
from bot.ledger.db import session_scope
from bot.ledger.repo import conversations as stored

log = logging.getLogger(__name__)

CLAIM = "message-key:{}:{}"  # conversation id, Idempotency-Key
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


def first_reply(conversation_id: str, since: datetime) -> tuple[list[str], bool] | None:
    """The bot turns that answered the first customer turn written since `since`, and whether
    the conversation has ended; None while that turn is not in the transcript."""
    with session_scope() as session:
        turns = stored.turns_since(session, conversation_id, since)
        conversation = stored.conversation(session, conversation_id)
        if conversation is None:
            raise ConversationNotFound(conversation_id)
        ended = conversation.ended_at is not None
    speakers = [t.speaker for t in turns]
    if "customer" not in speakers:
        return None
    start = speakers.index("customer") + 1
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
