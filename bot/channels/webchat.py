"""The customer's web chat: a signed, expiring link opens a page that holds the conversation over
a WebSocket and survives network drops (the page resends unacknowledged messages on reconnect;
the server answers a repeated message id with the reply it already gave).

A link is bound to the one conversation it opened (opening it again resumes that conversation,
never a fresh one with fresh verification tries), can be revoked (one link, or every link of an
account: `reminderbot agents revoke-chat-links ACCOUNT`), is rate-limited (messages per minute)
and keeps a bounded cache of its replies. Redis holds the link's hash, never the link."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time

from fastapi import APIRouter, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import HTMLResponse
from itsdangerous import URLSafeSerializer
from itsdangerous.encoding import base64_decode, bytes_to_int

from bot.channels import outage
from bot.channels.outage import REDIS_DOWN
from bot.channels.rate_limits import allow
from bot.channels.turns import ConversationEnded, customer_words
from bot.conversation.language import normalise
from bot.conversation.messages import text as message_text
from bot.gateway.deps import ConversationsDep, RedisDep, SettingsDep
from bot.ledger.db import LEDGER_DOWN, session_scope
from bot.ledger.repo import accounts as ledger_accounts
from bot.ledger.repo import conversations as ledger_conversations
from bot.web.security import LinkInvalid, read_chat_token
from bot.web.templating import templates

router = APIRouter(tags=["web chat"])
log = logging.getLogger(__name__)
REPLY_TTL_S = 24 * 3600
# Replies kept per conversation for resent message ids; older ones are dropped first.
MAX_CACHED_REPLIES = 100


def link_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:32]


def _issued_at(token: str) -> int:
    """The link's signing time (itsdangerous: payload.timestamp.signature); read after the
    signature was checked."""
    try:
        return bytes_to_int(base64_decode(token.rsplit(".", 2)[1]))
    except (IndexError, ValueError):
        return 0


def revoke_link(redis, token: str, ttl_s: int) -> None:
    redis.set(f"chat:revoked:{link_id(token)}", "1", ex=ttl_s)


def revoke_account_links(redis, account_id: str, ttl_s: int) -> None:
    """Every link of the account signed until now stops working."""
    redis.set(f"chat:revoked-before:{account_id}", str(int(time.time())), ex=ttl_s)


def is_revoked(redis, token: str, account_id: str) -> bool:
    if redis.exists(f"chat:revoked:{link_id(token)}"):
        return True
    before = redis.get(f"chat:revoked-before:{account_id}")
    return before is not None and _issued_at(token) <= int(before)


# The page's `lang` attribute per catalog language (BCP 47: simplified Chinese as in China).
HTML_LANG = {"en": "en", "zh": "zh-CN"}


def bank_name(settings, lang: str) -> str:
    return settings.bank_name_zh if lang == "zh" else settings.bank_name


def page_strings(settings, lang: str) -> dict[str, str]:
    """Every word of the chat pages in `lang`, from the catalog (bot/conversation/messages/):
    the templates and chat.js take them from here, so a language is one catalog file."""
    bank, phone = bank_name(settings, lang), settings.bank_phone
    return {
        "title": message_text("chat.page.title", lang, bank=bank),
        "heading": message_text("chat.page.heading", lang, bank=bank),
        "connecting": message_text("chat.page.connecting", lang),
        "connected": message_text("chat.page.connected", lang),
        "reconnecting": message_text("chat.page.reconnecting", lang),
        "ended": message_text("chat.page.status_ended", lang),
        "log_label": message_text("chat.page.log_label", lang),
        "typing": message_text("chat.page.typing", lang),
        "input_label": message_text("chat.page.input_label", lang),
        "placeholder": message_text("chat.page.placeholder", lang),
        "send": message_text("chat.page.send", lang),
        "from_bot": message_text("chat.page.from_bot", lang),
        "from_me": message_text("chat.page.from_me", lang),
        "link_title": message_text("chat.page.link_title", lang, bank=bank),
        "new_link": message_text("chat.page.new_link", lang, bank_phone=phone),
        "expired": message_text("chat.link_expired", lang),
        "invalid": message_text("chat.link_invalid", lang),
        "used": message_text("chat.link_used", lang, bank_phone=phone),
    }


def account_language(account_id: str | None) -> str:
    """The language the account's customer is served in ("zh-CN" in a portfolio is "zh")."""
    if not account_id:
        return "en"
    with session_scope() as session:
        account = ledger_accounts.account(session, account_id)
        return normalise(account.language if account else None)


def _expired_account(token: str) -> str | None:
    """The account of a link whose signature was checked and found only too old: its payload
    is the bank's own, so the page that says so can be in the customer's language."""
    try:
        data = URLSafeSerializer("").load_payload(token.rsplit(".", 2)[0].encode())
    except Exception:  # noqa: BLE001 - any unreadable payload: no language, English
        return None
    return data.get("account_id") if isinstance(data, dict) else None


def browser_language(request: Request) -> str:
    """For a link that tells nothing (tampered): the browser's first choice if it is one of
    ours, else English."""
    first = request.headers.get("accept-language", "").split(",")[0].split(";")[0].strip()
    return normalise(first) if first.lower().startswith("zh") else "en"


def _page(request: Request, name: str, settings, lang: str, status: int = 200, **context):
    strings = page_strings(settings, lang)
    return templates.TemplateResponse(
        request,
        name,
        {"lang": HTML_LANG.get(lang, lang), "strings": strings, **context},
        status_code=status,
    )


@router.get("/chat/{token}", response_class=HTMLResponse)
async def chat_page(request: Request, token: str, settings: SettingsDep, redis: RedisDep):
    try:
        account_id = read_chat_token(settings, token)
    except LinkInvalid as bad:
        known = _expired_account(token) if bad.expired else None
        lang = await asyncio.to_thread(account_language, known) if known else None
        lang = lang or browser_language(request)
        key, status = ("expired", 410) if bad.expired else ("invalid", 404)
        return _page(request, "link_invalid.html", settings, lang, status, reason=key)
    try:
        lang = await asyncio.to_thread(account_language, account_id)
    except LEDGER_DOWN:  # the page holds nothing of the account: the browser's language will do
        lang = browser_language(request)
    try:
        revoked = await asyncio.to_thread(is_revoked, redis, token, account_id)
    except REDIS_DOWN:  # the socket checks again before it opens the conversation
        revoked = False
    if revoked:
        return _page(request, "link_invalid.html", settings, lang, 410, reason="used")
    return _page(request, "chat.html", settings, lang, token=token)


def _history(account_id: str, conversation_id: str | None):
    """The conversation to resume (this account's, chat) and its transcript."""
    with session_scope() as session:
        conversation = (
            ledger_conversations.conversation(session, conversation_id) if conversation_id else None
        )
        if (
            conversation is None
            or conversation.account_id != account_id
            or conversation.channel != "chat"
        ):
            return None, [], False
        turns = ledger_conversations.transcript(session, conversation.id)
        messages = [{"from": "bot" if t.speaker == "bot" else "me", "text": t.text} for t in turns]
        return conversation.id, messages, conversation.ended_at is not None


def _bound(redis, link: str) -> str | None:
    value = redis.get(f"chat:link:{link}")
    return value.decode() if value else None


def _bind(redis, link: str, conversation_id: str, ttl_s: int) -> str:
    """Bind the link to its conversation; if another tab bound it first, that one wins."""
    if redis.set(f"chat:link:{link}", conversation_id, nx=True, ex=ttl_s):
        return conversation_id
    return _bound(redis, link) or conversation_id


@router.websocket("/chat/{token}/ws")
async def chat_socket(
    websocket: WebSocket,
    token: str,
    settings: SettingsDep,
    conversations: ConversationsDep,
    redis: RedisDep,
):
    try:
        account_id = read_chat_token(settings, token)
    except LinkInvalid:
        await websocket.close(code=4403)
        return
    lang = browser_language(websocket)
    try:
        lang = await asyncio.to_thread(account_language, account_id)
        revoked = await asyncio.to_thread(is_revoked, redis, token, account_id)
    except (*LEDGER_DOWN, *REDIS_DOWN) as exc:
        await websocket.accept()
        await _cannot_hold(websocket, conversations, account_id, lang, exc)
        return
    if revoked:
        await websocket.close(code=4403)
        return
    link, link_ttl = link_id(token), settings.chat_link_ttl_minutes * 60
    await websocket.accept()
    try:
        try:
            await websocket.receive_json()  # the page's hello; its conversation id is not trusted
            opened = await _resume_or_open(
                websocket, conversations, redis, account_id, link, link_ttl
            )
        except (*LEDGER_DOWN, *REDIS_DOWN) as exc:
            await _cannot_hold(websocket, conversations, account_id, lang, exc, greeted=True)
            return
        conversation_id, messages, ended, answered = opened
        await websocket.send_json(
            {
                "type": "history",
                "conversation_id": conversation_id,
                "messages": messages,
                "ended": ended,
                "answered_ids": answered,
            }
        )
        while True:
            incoming = await websocket.receive_json()
            if incoming.get("type") != "message":
                continue
            key = f"chat:replies:{conversation_id}"
            message_id = str(incoming.get("id", ""))[:64]
            said = str(incoming.get("text", ""))
            try:
                cached = await asyncio.to_thread(redis.hget, key, message_id)
                allowed = cached or await asyncio.to_thread(
                    allow, redis, f"chat:{link}", settings.chat_messages_per_minute, 60
                )
            except REDIS_DOWN as exc:
                # No reply cache, no rate limit, no Rasa tracker: the turn cannot be answered.
                # The safe reply on the open socket, the message kept with a case (as any
                # failed turn), rather than a socket that dies with the message unanswered.
                log.error("redis is down (%s): the chat message failed safe", type(exc).__name__)
                await asyncio.to_thread(_failed_turn, conversations, conversation_id, said)
                safe = message_text("failure.safe_reply", lang)
                await websocket.send_json(
                    {"type": "reply", "id": message_id, "messages": [safe], "ended": False}
                )
                continue
            if cached:
                await websocket.send_text(cached.decode())
                continue
            if not allowed:
                # Not cached: the same message may be sent again once the minute is over.
                slow = message_text("chat.too_many_messages", lang)
                await websocket.send_json(
                    {"type": "reply", "id": message_id, "messages": [slow], "ended": False}
                )
                continue
            await websocket.send_json({"type": "typing"})
            try:
                # A message the page sends again after its socket (or gateway) died in the
                # turn is answered from the transcript, not handled twice (repeats.py).
                reply = await outage.send_or_keep(
                    conversations, conversation_id, said, key=message_id or None
                )
                payload = {
                    "type": "reply",
                    "id": message_id,
                    "messages": reply.messages,
                    "ended": reply.ended,
                }
            except ConversationEnded:
                payload = {
                    "type": "reply",
                    "id": message_id,
                    "ended": True,
                    "messages": [message_text("chat.ended", lang)],
                }
            text = json.dumps(payload)
            try:
                await asyncio.to_thread(_remember, redis, conversation_id, message_id, text)
            except REDIS_DOWN:  # Redis went down during the turn: the reply is sent uncached
                log.warning("could not cache a chat reply: redis is down")
            await websocket.send_text(text)
    except WebSocketDisconnect:
        return


async def _resume_or_open(websocket, conversations, redis, account_id, link, link_ttl):
    """The link's conversation (resumed with its transcript) or a new one; and the message ids
    already answered, whose turns are in the history (the page must not send them again)."""
    bound = await asyncio.to_thread(_bound, redis, link)
    conversation_id, messages, ended = await asyncio.to_thread(_history, account_id, bound)
    if conversation_id is None:
        await websocket.send_json({"type": "typing"})
        opened = await conversations.start(account_id, "chat")
        try:
            conversation_id = await asyncio.to_thread(
                _bind, redis, link, opened.conversation_id, link_ttl
            )
        except REDIS_DOWN:  # opened, and answered: the link stays unbound (a reload opens anew)
            conversation_id = opened.conversation_id
        if conversation_id == opened.conversation_id:
            ended = opened.ended
            messages = [{"from": "bot", "text": t} for t in opened.messages]
        else:
            conversation_id, messages, ended = await asyncio.to_thread(
                _history, account_id, conversation_id
            )
    try:
        answered = await asyncio.to_thread(redis.hkeys, f"chat:replies:{conversation_id}")
    except REDIS_DOWN:  # the messages then sent again meet the same outage in the turn
        answered = []
    return conversation_id, messages, ended, [a.decode() for a in answered]


async def _cannot_hold(websocket, conversations, account_id, lang, exc, greeted=False) -> None:
    """Redis or the ledger is down as the chat opens, so no conversation can be held: the page
    stays open with the safe message, and what the customer sends (the messages the page kept
    while it reconnected included) is answered with it and kept with a case, never dropped."""
    log.error("the chat cannot open (%s): it answers safely", type(exc).__name__)
    safe = message_text("failure.safe_reply", lang)
    queue = conversations.queue
    try:
        if not greeted:
            await websocket.receive_json()  # the page's hello
        await asyncio.to_thread(outage.reached_us, queue, account_id, "chat", None)
        await websocket.send_json(
            {
                "type": "history",
                "conversation_id": None,
                "messages": [{"from": "bot", "text": safe}],
                "ended": False,
                "answered_ids": [],
            }
        )
        while True:
            incoming = await websocket.receive_json()
            if incoming.get("type") != "message":
                continue
            said = str(incoming.get("text", ""))
            await asyncio.to_thread(outage.reached_us, queue, account_id, "chat", said)
            reply = {"type": "reply", "id": str(incoming.get("id", ""))[:64], "messages": [safe]}
            await websocket.send_json({**reply, "ended": False})
    except WebSocketDisconnect:
        return


def _failed_turn(conversations, conversation_id: str, said: str) -> None:
    try:
        conversations.record_failure(conversation_id, customer_words(said))
    except LEDGER_DOWN:  # both down: the spool keeps it (replayed with its case)
        outage.keep_turn(conversation_id, said)


def _remember(redis, conversation_id: str, message_id: str, text: str) -> None:
    """Cache a reply for its message id, keeping only the newest MAX_CACHED_REPLIES."""
    replies, order = f"chat:replies:{conversation_id}", f"chat:reply-order:{conversation_id}"
    with redis.pipeline() as pipe:
        pipe.hset(replies, message_id, text)
        pipe.rpush(order, message_id)
        pipe.expire(replies, REPLY_TTL_S)
        pipe.expire(order, REPLY_TTL_S)
        pipe.execute()
    while redis.llen(order) > MAX_CACHED_REPLIES:
        oldest = redis.lpop(order)
        if oldest is None:
            break
        redis.hdel(replies, oldest)
