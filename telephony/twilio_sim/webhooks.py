"""Signed webhook delivery: how the simulator calls the app, exactly as Twilio would.

Every request is a form-encoded POST carrying ``X-Twilio-Signature`` computed with the account's
auth token over the exact URL requested plus the posted fields. Each delivery is recorded;
``duplicates`` > 1 re-sends identical requests, as Twilio's retries do, to test idempotency.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import httpx

from telephony.signatures import SIGNATURE_HEADER, sign
from telephony.twilio_sim.state import WebhookDelivery

log = logging.getLogger(__name__)
USER_AGENT = "TwilioProxy/1.1"


class WebhookSender:
    def __init__(
        self,
        auth_token: str,
        *,
        timeout_s: float = 15.0,
        on_delivery: Callable[[WebhookDelivery], None] | None = None,
    ) -> None:
        self.auth_token = auth_token
        self.timeout_s = timeout_s
        self.on_delivery = on_delivery
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        # Created lazily, inside the running loop, and never at import time.
        if self._client is None:
            # A new connection per webhook, as Twilio makes them: a kept-alive one that the
            # server closes while idle (uvicorn: after 5 s) races the next webhook on it, which
            # then fails on the simulator's side, not the server's.
            self._client = httpx.AsyncClient(
                timeout=self.timeout_s,
                trust_env=False,
                limits=httpx.Limits(max_keepalive_connections=0),
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def post(
        self, kind: str, url: str, params: dict[str, str], *, copies: int = 1
    ) -> list[WebhookDelivery]:
        """POST ``params`` to ``url`` ``copies`` times, one after the other; all deliveries."""
        return [await self._post_once(kind, url, params) for _ in range(max(1, copies))]

    async def _post_once(self, kind: str, url: str, params: dict[str, str]) -> WebhookDelivery:
        signature = sign(url, params, self.auth_token)
        delivery = WebhookDelivery(kind, url, dict(params), signature, time.monotonic())
        headers = {
            SIGNATURE_HEADER: signature,
            "User-Agent": USER_AGENT,
            "Accept": "*/*",
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
        }
        try:
            response = await self._http().post(url, data=params, headers=headers)
            delivery.status_code = response.status_code
            delivery.body = response.text
        except httpx.HTTPError as exc:
            delivery.error = repr(exc)
            log.warning("webhook %s to %s failed: %r", kind, url, exc)
        if self.on_delivery is not None:
            self.on_delivery(delivery)
        return delivery
