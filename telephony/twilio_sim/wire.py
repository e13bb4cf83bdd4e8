"""Twilio's wire shapes: SIDs, dates, REST JSON bodies and webhook form fields.

Kept in one place so every part of the simulator emits the same field names, spelled as Twilio
spells them (REST JSON in snake_case, webhooks in PascalCase, dates in RFC 2822).
"""

from __future__ import annotations

import math
import secrets
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from telephony.twilio_sim.state import SimCall, SimMessage

API_VERSION = "2010-04-01"


def new_sid(prefix: str) -> str:
    """Two letters and 32 hex digits, like every Twilio SID (CA calls, SM messages, MZ streams)."""
    return prefix + secrets.token_hex(16)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def rfc2822(moment: datetime | None) -> str | None:
    """Twilio's REST and callback date format: ``Tue, 31 Aug 2010 20:36:28 +0000``."""
    return format_datetime(moment) if moment else None


def error_body(status: int, code: int, message: str) -> dict[str, Any]:
    """Twilio's REST error JSON (the SDK turns it into TwilioRestException with this code)."""
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def call_json(call: SimCall) -> dict[str, Any]:
    base = f"/{API_VERSION}/Accounts/{call.account_sid}/Calls/{call.sid}"
    return {
        "sid": call.sid,
        "account_sid": call.account_sid,
        "parent_call_sid": None,
        "to": call.to,
        "to_formatted": call.to,
        "from": call.from_,
        "from_formatted": call.from_,
        "phone_number_sid": None,
        "status": call.status,
        "start_time": rfc2822(call.start_time),
        "end_time": rfc2822(call.end_time),
        "duration": str(call.duration) if call.duration is not None else None,
        "price": None,
        "price_unit": "USD",
        "direction": call.direction,
        "answered_by": call.answered_by,
        "api_version": API_VERSION,
        "forwarded_from": None,
        "group_sid": None,
        "caller_name": None,
        "queue_time": "0",
        "trunk_sid": None,
        "annotation": None,
        "date_created": rfc2822(call.date_created),
        "date_updated": rfc2822(call.date_updated),
        "uri": base + ".json",
        "subresource_uris": {
            name: f"{base}/{name.title().replace('_', '')}.json"
            for name in ("notifications", "recordings", "events", "streams")
        },
    }


def message_json(message: SimMessage) -> dict[str, Any]:
    base = f"/{API_VERSION}/Accounts/{message.account_sid}/Messages/{message.sid}"
    return {
        "sid": message.sid,
        "account_sid": message.account_sid,
        "messaging_service_sid": None,
        "to": message.to,
        "from": message.from_,
        "body": message.body,
        "status": message.status,
        "direction": message.direction,
        "num_segments": str(num_segments(message.body)),
        "num_media": "0",
        "error_code": message.error_code,
        "error_message": message.error_message,
        "price": None,
        "price_unit": "USD",
        "api_version": API_VERSION,
        "date_created": rfc2822(message.date_created),
        "date_updated": rfc2822(message.date_updated),
        "date_sent": rfc2822(message.date_sent),
        "uri": base + ".json",
        "subresource_uris": {"media": f"{base}/Media.json", "feedback": f"{base}/Feedback.json"},
    }


def num_segments(body: str) -> int:
    """SMS segments: 160/153 chars in GSM-7 (approximated as ASCII), 70/67 in UCS-2."""
    single, multi = (160, 153) if body.isascii() else (70, 67)
    return 1 if len(body) <= single else math.ceil(len(body) / multi)


def voice_webhook_fields(call: SimCall) -> dict[str, str]:
    """What Twilio POSTs to the voice Url (and to <Redirect>, Dial actions ...)."""
    fields = {
        "CallSid": call.sid,
        "AccountSid": call.account_sid,
        "From": call.from_,
        "To": call.to,
        "Caller": call.from_,
        "Called": call.to,
        "CallStatus": call.status,
        "Direction": call.direction,
        "ApiVersion": API_VERSION,
    }
    if call.answered_by and not call.async_amd:
        fields["AnsweredBy"] = call.answered_by  # synchronous AMD reports on the Url request
    return fields


def status_callback_fields(call: SimCall, call_status: str, sequence: int) -> dict[str, str]:
    fields = {
        "CallSid": call.sid,
        "AccountSid": call.account_sid,
        "From": call.from_,
        "To": call.to,
        "Caller": call.from_,
        "Called": call.to,
        "CallStatus": call_status,
        "Direction": call.direction,
        "ApiVersion": API_VERSION,
        "Timestamp": rfc2822(utcnow()) or "",
        "SequenceNumber": str(sequence),
        "CallbackSource": "call-progress-events",
    }
    if call_status in {"completed", "busy", "no-answer", "failed", "canceled"}:
        fields["CallDuration"] = str(call.duration or 0)
    return fields


def amd_fields(call: SimCall, answered_by: str, detection_ms: int) -> dict[str, str]:
    return {
        "CallSid": call.sid,
        "AccountSid": call.account_sid,
        "AnsweredBy": answered_by,
        "MachineDetectionDuration": str(detection_ms),
    }


def inbound_sms_fields(message: SimMessage) -> dict[str, str]:
    return {
        "MessageSid": message.sid,
        "SmsSid": message.sid,
        "SmsMessageSid": message.sid,
        "AccountSid": message.account_sid,
        "From": message.from_,
        "To": message.to,
        "Body": message.body,
        "NumMedia": "0",
        "NumSegments": str(num_segments(message.body)),
        "SmsStatus": "received",
        "ApiVersion": API_VERSION,
    }


def message_status_fields(message: SimMessage, status: str) -> dict[str, str]:
    fields = {
        "MessageSid": message.sid,
        "SmsSid": message.sid,
        "MessageStatus": status,
        "SmsStatus": status,
        "AccountSid": message.account_sid,
        "From": message.from_,
        "To": message.to,
        "ApiVersion": API_VERSION,
    }
    if status in {"failed", "undelivered"} and message.error_code is not None:
        fields["ErrorCode"] = str(message.error_code)
    return fields
