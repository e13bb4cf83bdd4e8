"""Every request from Twilio is checked against the public URL Twilio called; a bad or missing
signature gets 403 and nothing else happens."""

from __future__ import annotations

import logging

from fastapi import HTTPException, Request

from bot.gateway.deps import SettingsDep
from bot.settings import Settings
from telephony.signatures import is_valid

log = logging.getLogger(__name__)


def public_url(request: Request, settings: Settings) -> str:
    """The URL as Twilio saw it: behind a proxy the gateway's own URL differs."""
    base = settings.effective_public_base_url
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{base}{request.url.path}{query}"


async def twilio_form(request: Request, settings: SettingsDep) -> dict[str, str]:
    form = await request.form()
    params = {key: str(value) for key, value in form.multi_items()}
    signature = request.headers.get("X-Twilio-Signature", "")
    token = settings.twilio_auth_token
    if not signature or not is_valid(public_url(request, settings), params, signature, token):
        log.warning("refused a Twilio request with a bad signature: %s", request.url.path)
        raise HTTPException(403, "invalid Twilio signature")
    return params
