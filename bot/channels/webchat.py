"""The customer's web chat: a signed, expiring link opens a page that holds the conversation over
a WebSocket and survives network drops (the page resends unacknowledged messages on reconnect;
the server answers a repeated message id with the reply it already gave)."""

from __future__ import annotations

import asyncio
import json
import logging

from fastapi import APIRouter, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import HTMLResponse

from bot.channels.turns import ConversationEnded
from bot.conversation.messages import text as message_text
from bot.gateway.deps import ConversationsDep, RedisDep, SettingsDep
from bot.ledger.db import session_scope
from bot.ledger.repo import conversations as ledger_conversations
from bot.web.security import LinkInvalid, read_chat_token
from bot.web.templating import templates

router = APIRouter(tags=["web chat"])
log = logging.getLogger(__name__)
REPLY_TTL_S = 24 * 3600


@router.get("/chat/{token}", response_class=HTMLResponse)
async def chat_page(request: Request, token: str, settings: SettingsDep):
    try:
        read_chat_token(settings, token)
    except LinkInvalid as bad:
        expired, invalid = message_text("chat.link_expired"), message_text("chat.link_invalid")
        message = expired if bad.expired else invalid
        return templates.TemplateResponse(
            request,
            "link_invalid.html",
            {"message": message, "bank": settings.bank_name, "phone": settings.bank_phone},
            status_code=410 if bad.expired else 404,
        )
    return templates.TemplateResponse(
        request, "chat.html", {"token": token, "bank": settings.bank_name}
    )


def _history(account_id: str, conversation_id: str | None):
    """The conversation to resume (this account's, not ended) and its transcript."""
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
    await websocket.accept()
    try:
        hello = await websocket.receive_json()
        conversation_id, messages, ended = await asyncio.to_thread(
            _history, account_id, hello.get("conversation_id")
        )
        if conversation_id is None:
            await websocket.send_json({"type": "typing"})
            opened = await conversations.start(account_id, "chat")
            conversation_id, ended = opened.conversation_id, opened.ended
            messages = [{"from": "bot", "text": t} for t in opened.messages]
        # Message ids already answered: their turns are in the history, so the page must not
        # send them again after a reconnect.
        answered = await asyncio.to_thread(redis.hkeys, f"chat:replies:{conversation_id}")
        await websocket.send_json(
            {
                "type": "history",
                "conversation_id": conversation_id,
                "messages": messages,
                "ended": ended,
                "answered_ids": [a.decode() for a in answered],
            }
        )
        while True:
            incoming = await websocket.receive_json()
            if incoming.get("type") != "message":
                continue
            key = f"chat:replies:{conversation_id}"
            message_id = str(incoming.get("id", ""))[:64]
            cached = await asyncio.to_thread(redis.hget, key, message_id)
            if cached:
                await websocket.send_text(cached.decode())
                continue
            await websocket.send_json({"type": "typing"})
            try:
                reply = await conversations.send(conversation_id, str(incoming.get("text", "")))
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
                    "messages": [message_text("chat.ended")],
                }
            text = json.dumps(payload)
            await asyncio.to_thread(_remember, redis, key, message_id, text)
            await websocket.send_text(text)
    except WebSocketDisconnect:
        return


def _remember(redis, key: str, message_id: str, text: str) -> None:
    redis.hset(key, message_id, text)
    redis.expire(key, REPLY_TTL_S)
