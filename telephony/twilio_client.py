"""How the app talks to Twilio's REST API: the real SDK client, optionally aimed at the simulator.

The SDK is blocking (``requests``), so every call here runs in a worker thread; async code can
``await`` them without stalling the event loop. Pointing ``api_base`` at the simulator swaps only
the host: request paths, form fields, auth and response parsing stay the SDK's own, which is what
makes the simulator a faithful stand-in.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

TWILIO_API = "https://api.twilio.com"
DEFAULT_CALL_EVENTS = ("initiated", "ringing", "answered", "completed")


class RedirectingHttpClient(TwilioHttpClient):
    """A TwilioHttpClient that sends ``https://api.twilio.com/...`` requests to another base URL."""

    def __init__(self, api_base: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.api_base = api_base.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        if url.startswith(TWILIO_API):
            url = self.api_base + url[len(TWILIO_API) :]
        return super().request(method, url, *args, **kwargs)


def make_client(
    account_sid: str, auth_token: str, *, api_base: str | None = None, timeout: float = 15.0
) -> Client:
    """A real ``twilio.rest.Client``; ``api_base`` None means Twilio, a URL means the simulator."""
    if api_base is None:
        http_client = TwilioHttpClient(timeout=timeout)
    else:
        http_client = RedirectingHttpClient(api_base, timeout=timeout)
    return Client(account_sid, auth_token, http_client=http_client)


async def create_call(
    client: Client,
    *,
    to: str,
    from_: str,
    url: str,
    status_callback: str,
    status_callback_event: Sequence[str] = DEFAULT_CALL_EVENTS,
    machine_detection: str | None = "DetectMessageEnd",
    async_amd: bool = True,
    async_amd_status_callback: str | None = None,
) -> str:
    """Place an outbound call; returns its CallSid. Status events default to the full lifecycle."""
    kwargs: dict[str, Any] = {
        "to": to,
        "from_": from_,
        "url": url,
        "status_callback": status_callback,
        "status_callback_event": list(status_callback_event),
    }
    if machine_detection:
        kwargs["machine_detection"] = machine_detection
        kwargs["async_amd"] = "true" if async_amd else "false"
        if async_amd_status_callback:
            kwargs["async_amd_status_callback"] = async_amd_status_callback
    call = await asyncio.to_thread(client.calls.create, **kwargs)
    return call.sid


async def end_call(client: Client, call_sid: str) -> str:
    """Hang up a live call (Status=completed); returns the status Twilio reports."""
    call = await asyncio.to_thread(client.calls(call_sid).update, status="completed")
    return call.status


async def cancel_call(client: Client, call_sid: str) -> str:
    """Cancel a call that is queued or ringing (Status=canceled); an answered call is ended."""
    call = await asyncio.to_thread(client.calls(call_sid).update, status="canceled")
    return call.status


async def redirect_call(client: Client, call_sid: str, twiml: str) -> str:
    """Replace what a live call is doing with ``twiml`` (a transfer <Dial>, a voicemail <Say>)."""
    call = await asyncio.to_thread(client.calls(call_sid).update, twiml=twiml)
    return call.status


_CALL_FIELDS = (
    "sid",
    "account_sid",
    "to",
    "from",
    "status",
    "direction",
    "duration",
    "answered_by",
    "start_time",
    "end_time",
    "date_created",
    "date_updated",
    "parent_call_sid",
    "api_version",
    "uri",
)


async def fetch_call(client: Client, call_sid: str) -> dict[str, Any]:
    """The Call resource as a plain dict keyed by Twilio's JSON names (``from``, not ``from_``)."""
    call = await asyncio.to_thread(client.calls(call_sid).fetch)
    # The SDK stores "from" as ``_from`` (a keyword in Python).
    return {name: getattr(call, "_from" if name == "from" else name, None) for name in _CALL_FIELDS}


async def send_sms(
    client: Client,
    *,
    to: str,
    from_: str,
    body: str,
    status_callback: str | None = None,
    validity_period: int | None = None,
) -> str:
    """Send an SMS; returns its MessageSid. Delivery is reported later to ``status_callback``.
    ``validity_period`` (seconds, 1-36,000): Twilio drops the message rather than send it after
    it has waited that long in its queue."""
    kwargs: dict[str, Any] = {"to": to, "from_": from_, "body": body}
    if status_callback:
        kwargs["status_callback"] = status_callback
    if validity_period is not None:
        kwargs["validity_period"] = validity_period
    message = await asyncio.to_thread(client.messages.create, **kwargs)
    return message.sid
