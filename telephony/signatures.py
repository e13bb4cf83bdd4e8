"""Twilio webhook signatures (X-Twilio-Signature).

Twilio signs every webhook with HMAC-SHA1(auth token, full URL + POST params sorted by name),
base64-encoded. Both sides here (the gateway checking, the simulator signing) go through the SDK's
own ``RequestValidator`` so that a pass in tests means a pass against real Twilio.
"""

from __future__ import annotations

from collections.abc import Mapping

from twilio.request_validator import RequestValidator

SIGNATURE_HEADER = "X-Twilio-Signature"


def sign(url: str, params: Mapping[str, str], auth_token: str) -> str:
    """The signature Twilio would send for a POST of ``params`` to ``url``."""
    return RequestValidator(auth_token).compute_signature(url, params)


def is_valid(url: str, params: Mapping[str, str], signature: str | None, auth_token: str) -> bool:
    """True when ``signature`` matches; ``url`` must be the public URL Twilio requested.

    ``params`` may be a plain dict or a multi-dict (Starlette's ``FormData``): repeated fields are
    then all signed, as Twilio does. The SDK also accepts the URL with or without the default port,
    as Twilio itself signs inconsistently there.
    """
    if not signature:
        return False
    return RequestValidator(auth_token).validate(url, params, signature)
