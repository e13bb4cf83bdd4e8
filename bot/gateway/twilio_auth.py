"""Every request from Twilio is checked against the public URL Twilio called; a bad or missing
signature gets 403 and nothing else happens. (Body size and type were checked before this, by
bot/gateway/body_limits.py, so an unsigned body is never parsed beyond 64 KiB.)

The development token (the built-in simulator's, published in the code) signs nothing outside
this machine: while it is in force, a Twilio request is refused unless the gateway listens on
loopback, its public URL is a loopback one, and the request arrived on a loopback address."""

from __future__ import annotations

import ipaddress
import logging
from urllib.parse import urlsplit

from fastapi import HTTPException, Request
from fastapi.requests import HTTPConnection

from bot.gateway.deps import SettingsDep
from bot.infra.metrics import signature_failure
from bot.settings import SANDBOX_TWILIO_AUTH_TOKEN, Settings
from telephony.signatures import is_valid

log = logging.getLogger(__name__)


def public_url(request: Request, settings: Settings) -> str:
    """The URL as Twilio saw it: behind a proxy the gateway's own URL differs."""
    base = settings.effective_public_base_url
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{base}{request.url.path}{query}"


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def development_token_misplaced(settings: Settings) -> bool:
    """The published development token is in force on a gateway others can reach."""
    if settings.twilio_auth_token != SANDBOX_TWILIO_AUTH_TOKEN:
        return False
    public_host = urlsplit(settings.effective_public_base_url).hostname
    return not (is_loopback(settings.gateway_host) and is_loopback(public_host))


def token_usable_for(conn: HTTPConnection, settings: Settings) -> bool:
    """False when the development token would have to vouch for a request it must not: the
    gateway is configured for a network, or the request came in on a non-loopback address
    (uvicorn started with --host 0.0.0.0 by hand). A server name that is not an address (an
    in-process test client) is not a network interface, so it is not refused here."""
    if settings.twilio_auth_token != SANDBOX_TWILIO_AUTH_TOKEN:
        return True
    if development_token_misplaced(settings):
        return False
    server = conn.scope.get("server") or (None, None)
    try:
        return ipaddress.ip_address(str(server[0]).strip("[]")).is_loopback
    except ValueError:
        return True


async def twilio_form(request: Request, settings: SettingsDep) -> dict[str, str]:
    if not token_usable_for(request, settings):
        log.error("refused a Twilio request: the development token is in force off loopback")
        raise HTTPException(403, "the development Twilio token is refused off loopback")
    form = await request.form()
    params = {key: str(value) for key, value in form.multi_items()}
    signature = request.headers.get("X-Twilio-Signature", "")
    token = settings.twilio_auth_token
    if not signature or not is_valid(public_url(request, settings), params, signature, token):
        log.warning("refused a Twilio request with a bad signature: %s", request.url.path)
        signature_failure(getattr(request.scope.get("route"), "path", "unknown"))
        raise HTTPException(403, "invalid Twilio signature")
    return params
