"""SMS both ways: delivery-status callbacks for messages the app sends, and inbound texts.

Outbound: queued -> sent -> delivered (or -> undelivered, or -> failed), each a signed
StatusCallback with Twilio's fields. Inbound: the signed SMS webhook, whose TwiML reply's
<Message> bodies are what the customer's phone would receive.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from telephony import twiml
from telephony.twilio_sim.state import SimMessage
from telephony.twilio_sim.wire import inbound_sms_fields, message_status_fields, new_sid, utcnow

if TYPE_CHECKING:
    from telephony.twilio_sim.server import Simulator

DEFAULT_ERRORS = {
    "undelivered": (30003, "Unreachable destination handset"),
    "failed": (30008, "Unknown error"),
    "expired": (30036, "Validity Period Expired"),
}
MAX_VALIDITY_S = 14_400  # the range Twilio's Messages API accepts: 1 to 14,400 seconds


class WebhookRejected(RuntimeError):
    """The app answered a webhook with a non-2xx status (or could not be reached)."""

    def __init__(self, url: str, status_code: int | None, body: str) -> None:
        super().__init__(f"{url} answered {status_code}: {body[:200]}")
        self.url = url
        self.status_code = status_code
        self.body = body


async def deliver(sim: Simulator, message: SimMessage) -> None:
    """Walk an outbound message through its statuses, posting each to its StatusCallback."""
    scenario = message.scenario
    outcome = scenario.outcome if scenario else "delivered"
    delay = scenario.step_delay_s if scenario else 0.02
    queued = scenario.queued_s if scenario else 0.0
    if message.validity_period is not None and queued > message.validity_period:
        outcome = "expired"  # dropped in the queue, never sent
    path = {
        "delivered": ["queued", "sent", "delivered"],
        "undelivered": ["queued", "sent", "undelivered"],
        "failed": ["queued", "failed"],
        "expired": ["queued", "failed"],
    }[outcome]
    # The time in the queue, cut short where the validity period ends it.
    waiting = min(queued, message.validity_period) if outcome == "expired" else queued
    if outcome in DEFAULT_ERRORS:
        code, text = DEFAULT_ERRORS[outcome]
        message.error_code = scenario.error_code if scenario and scenario.error_code else code
        message.error_message = text
    for step, status in enumerate(path):
        await asyncio.sleep(delay + (waiting if step == 1 else 0.0))
        message.status = status
        message.date_updated = utcnow()
        if status == "sent":
            message.date_sent = message.date_updated
        sim.log(f"message-{status}", message.sid, to=message.to)
        if message.status_callback:
            params = message_status_fields(message, status)
            copies = 2 if sim.duplicate_callbacks else 1
            url = message.status_callback
            message.callbacks.extend(
                await sim.webhooks.post("message-status", url, params, copies=copies)
            )


async def receive(
    sim: Simulator, from_number: str, to_number: str, body: str, message_sid: str | None
) -> list[str]:
    """Post an inbound SMS to ``{webhook_base}/twilio/sms``; the bodies of the TwiML reply."""
    sid = message_sid or new_sid("SM")
    message = sim.messages.get(sid)
    if message is None:
        message = SimMessage(sid, sim.account_sid, to_number, from_number, body, "inbound")
        message.status = "received"
        sim.messages[sid] = message
    url = f"{sim.webhook_base}/twilio/sms"
    sim.log("sms-inbound", sid, from_=from_number, body=body)
    [delivery] = await sim.webhooks.post("sms", url, inbound_sms_fields(message))
    message.callbacks.append(delivery)
    if delivery.error or delivery.status_code is None or not 200 <= delivery.status_code < 300:
        raise WebhookRejected(url, delivery.status_code, delivery.error or delivery.body)
    if not delivery.body.strip():
        return []
    replies = [v for v in twiml.parse(delivery.body) if isinstance(v, twiml.Message)]
    for reply in replies:
        sent = SimMessage(
            new_sid("SM"),
            sim.account_sid,
            reply.to or from_number,
            reply.from_ or to_number,
            reply.body,
            "outbound-reply",
            status="delivered",
        )
        sim.messages[sent.sid] = sent
        sim.log("sms-reply", sent.sid, in_reply_to=sid, body=reply.body)
    return [reply.body for reply in replies]
