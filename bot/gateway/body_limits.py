"""A cap on what an unauthenticated caller can make the gateway read: Twilio's webhooks are
small form posts, but their signature can only be checked once the form is parsed. So before
any parsing, a request to /twilio/* must say it is a form (else 415) and be at most 64 KiB
(else 413). A declared length over the cap is refused before a byte of the body is read; a
body without a length (chunked) is read only up to the cap.

A pure ASGI middleware: the routes' dependencies (form parsing, the signature check) see the
body only after it passed here."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

TWILIO_BODY_LIMIT = 64 * 1024
FORM = "application/x-www-form-urlencoded"
BODY_METHODS = {"POST", "PUT", "PATCH"}


class TwilioBodyGuard:
    def __init__(self, app: ASGIApp, *, prefix: str = "/twilio/", limit: int = TWILIO_BODY_LIMIT):
        self.app = app
        self.prefix = prefix
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in BODY_METHODS
            or not (scope["path"] + "/").startswith(self.prefix)
        ):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        kind = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if kind != FORM:
            await _refuse(415, "Twilio webhooks are form posts", scope, receive, send)
            return
        declared = headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await _refuse(413, "request body too large", scope, receive, send)
            return
        body = await _read_capped(receive, self.limit)
        if body is None:
            await _refuse(413, "request body too large", scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)


async def _read_capped(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or None as soon as more than `limit` bytes have arrived."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)  # the client went away; the app sees an empty body
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: the disconnect, as the server reports it

    return replayed


async def _refuse(status: int, detail: str, scope: Scope, receive: Receive, send: Send) -> None:
    # Connection: close, so the server does not keep reading an unwanted body for the next
    # request on this connection.
    response = JSONResponse({"detail": detail}, status_code=status, headers={"Connection": "close"})
    await response(scope, receive, send)
