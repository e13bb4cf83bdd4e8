"""The text API: what a bank's app, the web chat and the tests use."""

from __future__ import annotations

import asyncio
from typing import Annotated, Literal

from fastapi import APIRouter, Header, HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from bot.agents.account_view import account_record, escalation_json
from bot.agents.escalations import NotClaimable
from bot.channels import outage, repeats
from bot.channels.outreach import CarrierRefused, ContactBusy, ContactDenied, ContactUncertain
from bot.channels.turns import AccountNotFound, ConversationEnded, ConversationNotFound
from bot.gateway.deps import (
    Authorized,
    CallerDep,
    ConversationsDep,
    LedgerDep,
    OutreachDep,
    QueueDep,
    VoiceDep,
    VoiceProblemDep,
)
from bot.infra import webhook_events
from bot.ledger.repo import attempts, escalations

router = APIRouter(prefix="/api", dependencies=[Authorized], tags=["text API"])


class NewConversation(BaseModel):
    account_id: str = Field(..., min_length=1, max_length=64)
    channel: Literal["chat", "sms", "voice"] = "chat"


IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)]


class CustomerMessage(BaseModel):
    text: str = Field(..., min_length=1, max_length=2000)


class Message(BaseModel):
    text: str


class ConversationStarted(BaseModel):
    conversation_id: str
    messages: list[Message]
    ended: bool


class BotMessages(BaseModel):
    messages: list[Message]
    ended: bool


class EndedConversation(BotMessages):
    detail: str


@router.post("/conversations", status_code=201, response_model=ConversationStarted)
async def start_conversation(
    body: NewConversation, conversations: ConversationsDep, idempotency_key: IdempotencyKey = None
):
    try:
        # A repeat under the same Idempotency-Key (a replay by HAProxy, a client's retry) gets
        # the first delivery's conversation, not a second one (bot/channels/repeats.py).
        reply = await repeats.start_once(
            conversations, body.account_id, body.channel, idempotency_key
        )
    except AccountNotFound:
        raise HTTPException(404, f"unknown account {body.account_id}") from None
    return {
        "conversation_id": reply.conversation_id,
        "messages": [{"text": t} for t in reply.messages],
        "ended": reply.ended,
    }


@router.post(
    "/conversations/{conversation_id}/messages",
    response_model=BotMessages,
    responses={409: {"model": EndedConversation, "description": "the conversation has ended"}},
)
async def post_message(
    conversation_id: str,
    body: CustomerMessage,
    conversations: ConversationsDep,
    idempotency_key: IdempotencyKey = None,
):
    try:
        # With the ledger down the message is kept and the customer gets the safe reply; a
        # repeat under the same Idempotency-Key (a replay by HAProxy, a client's retry) gets the
        # first delivery's reply (bot/channels/repeats.py).
        reply = await outage.send_or_keep(
            conversations, conversation_id, body.text, key=idempotency_key
        )
    except ConversationNotFound:
        raise HTTPException(404, f"unknown conversation {conversation_id}") from None
    except ConversationEnded:
        # Words for the customer, as the web chat's socket gives (bot/channels/turns.py).
        words = await asyncio.to_thread(conversations.ended_reply, conversation_id)
        ended = {"detail": "this conversation has ended", "ended": True}
        return JSONResponse(
            status_code=409, content={**ended, "messages": [{"text": w} for w in words]}
        )
    return {"messages": [{"text": t} for t in reply.messages], "ended": reply.ended}


def _refusal(error: str, reason: str, detail: str = "") -> dict:
    return {"detail": {"error": error, "reason": reason, "detail": detail}}


async def _contact(
    account_id: str, channel: str, idempotency_key: str | None, send
) -> JSONResponse:
    """Run one outbound contact (the gate decides inside `send`). With an Idempotency-Key, a
    retried request (a dialer worker reclaiming a job) gets the first answer, never a second
    contact: while the first is still in flight the retry gets 409 "in progress" at once, and a
    first that died after the carrier accepted leaves its key claimed (409 too) and its attempt
    counted (bot/channels/outreach.py)."""
    kind = f"api_{channel}"
    key = f"{account_id}:{idempotency_key}" if idempotency_key else None
    if key and not await asyncio.to_thread(webhook_events.claim, kind, key):
        first = await asyncio.to_thread(webhook_events.first_response, kind, key, wait_s=0)
        if first is None:
            body = _refusal("request in progress", "in_progress", "retry later")
            return JSONResponse(body, status_code=409)
        return JSONResponse(first["body"], status_code=first["status"])
    try:
        status, body = 201, await send()
    except AccountNotFound:
        status, body = 404, {"detail": f"unknown account {account_id}"}
    except ContactDenied as denied:
        reason, detail = denied.decision.reason, denied.decision.detail
        status, body = 409, _refusal("contact not allowed", reason, detail)
    except ContactUncertain:
        # Answered the same way to every retry: the customer may have been contacted.
        status, body = 502, {"detail": "the carrier accepted; the outcome was not recorded"}
    except (ContactBusy, CarrierRefused) as failed:
        # Nothing was sent: the key is released and a retry is processed afresh.
        if key:
            await asyncio.to_thread(webhook_events.forget, kind, key)
        if isinstance(failed, ContactBusy):
            body = _refusal("another contact is being decided", "in_progress", "retry later")
            return JSONResponse(body, status_code=409)
        return JSONResponse({"detail": "the carrier refused the contact"}, status_code=502)
    except Exception:
        if key:
            await asyncio.to_thread(webhook_events.forget, kind, key)
        raise
    if key:
        await asyncio.to_thread(
            webhook_events.remember, kind, key, {"status": status, "body": body}
        )
    return JSONResponse(body, status_code=status)


@router.post("/accounts/{account_id}/sms", status_code=201)
async def send_sms(account_id: str, outreach: OutreachDep, idempotency_key: IdempotencyKey = None):
    """Send the reminder text (the contact gate decides first)."""

    async def send() -> dict:
        sent = await outreach.send_sms_reminder(account_id)
        return {"conversation_id": sent.conversation_id, "message_sids": sent.message_sids}

    return await _contact(account_id, "sms", idempotency_key, send)


@router.post("/accounts/{account_id}/calls", status_code=201)
async def place_call(
    account_id: str,
    voice: VoiceDep,
    voice_problem: VoiceProblemDep,
    idempotency_key: IdempotencyKey = None,
):
    """Place a reminder call (the contact gate decides first)."""
    if voice is None:
        raise HTTPException(503, "the voice channel is not available: " f"{voice_problem}")

    async def send() -> dict:
        return {"call_sid": await voice.place_call(account_id), "status": "queued"}

    return await _contact(account_id, "voice", idempotency_key, send)


def _call_json(session, call_sid: str) -> dict | None:
    attempt = attempts.attempt_by_sid(session, call_sid)
    if attempt is None:
        return None
    return {
        "call_sid": call_sid,
        "status": attempt.status,
        "answered_by": attempt.answered_by,
        "disposition": attempt.disposition,
    }


@router.get("/calls/{call_sid}")
async def call_status(call_sid: str, ledger: LedgerDep):
    """A placed call's latest status (dialer workers poll it to retry no-answer and busy)."""
    found = await ledger.run(_call_json, call_sid)
    if found is None:
        raise HTTPException(404, f"unknown call {call_sid}")
    return found


@router.get("/accounts/{account_id}")
async def get_account(account_id: str, ledger: LedgerDep):
    record = await ledger.run(account_record, account_id)
    if record is None:
        raise HTTPException(404, f"unknown account {account_id}")
    return record


class AgentAction(BaseModel):
    # Accepted for older clients and ignored: the actor recorded is the authenticated caller
    # (bot/gateway/deps.py), never a name a request brings.
    agent: str | None = Field(None, max_length=64, deprecated=True)


class Resolution(AgentAction):
    disposition: str = Field(..., min_length=1, max_length=32)
    note: str = Field("", max_length=4000)


@router.get("/escalations")
async def list_escalations(
    ledger: LedgerDep, status: Literal["open", "claimed", "resolved"] = "open"
):
    def load(session):
        return [escalation_json(e) for e in escalations.by_status(session, status)]

    return {"escalations": await ledger.run(load)}


@router.post("/escalations/claim-next")
async def claim_next(
    queue: QueueDep, ledger: LedgerDep, caller: CallerDep, body: AgentAction | None = None
):
    def work(session):
        claim = queue.claim_next(session, caller)
        if claim is None:
            return None
        return escalation_json(escalations.escalation(session, claim.escalation_id))

    claimed = await ledger.run(work)
    if claimed is None:
        raise HTTPException(404, "the queue is empty")
    return claimed


def _agent_step(session, queue, escalation_id: str, caller: str, body, step: str) -> dict:
    if step == "claim":
        queue.claim(session, escalation_id, caller)
    elif step == "release":
        queue.release(session, escalation_id, caller)
    else:
        queue.resolve(session, escalation_id, caller, disposition=body.disposition, note=body.note)
    return escalation_json(escalations.escalation(session, escalation_id))


async def _run_step(ledger, queue, escalation_id: str, caller: str, body, step: str) -> dict:
    try:
        return await ledger.run(_agent_step, queue, escalation_id, caller, body, step)
    except NotClaimable:
        raise HTTPException(
            409, f"escalation {escalation_id} cannot be {step}d by {caller} now"
        ) from None


@router.post("/escalations/{escalation_id}/claim")
async def claim(
    escalation_id: str,
    queue: QueueDep,
    ledger: LedgerDep,
    caller: CallerDep,
    body: AgentAction | None = None,
):
    return await _run_step(ledger, queue, escalation_id, caller, body, "claim")


@router.post("/escalations/{escalation_id}/release")
async def release(
    escalation_id: str,
    queue: QueueDep,
    ledger: LedgerDep,
    caller: CallerDep,
    body: AgentAction | None = None,
):
    return await _run_step(ledger, queue, escalation_id, caller, body, "release")


@router.post("/escalations/{escalation_id}/resolve")
async def resolve(
    escalation_id: str, body: Resolution, queue: QueueDep, ledger: LedgerDep, caller: CallerDep
):
    return await _run_step(ledger, queue, escalation_id, caller, body, "resolve")
