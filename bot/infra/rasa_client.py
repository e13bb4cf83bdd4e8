"""Rasa over HTTP (the REST channel): one text turn in, the bot's messages out.

On aiohttp (Rasa's own HTTP client, already installed) rather than httpx, which the rest of the
gateway uses: this is the one request of every customer turn, and httpx spent ~2 ms of the
gateway's CPU on each against ~0.3 ms for aiohttp (docs/performance.md).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import aiohttp

from bot.infra.metrics import timed_stage


class RasaUnavailable(Exception):
    pass


@dataclass(frozen=True)
class RasaReply:
    texts: list[str]
    meta: dict | None  # None: no action completed the turn (e.g. the action server is down)


class RasaClient:
    def __init__(self, base_url: str, *, timeout: float = 30.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _http(self) -> aiohttp.ClientSession:
        # A session belongs to the event loop it was made in: made on first use in the running
        # loop, and again if a caller comes from another one (tests run several loops).
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._loop is not loop:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
            self._loop = loop
        return self._session

    @timed_stage("rasa")
    async def send(self, sender: str, message: str) -> RasaReply:
        try:
            async with self._http().post(
                f"{self.base_url}/webhooks/rest/webhook",
                json={"sender": sender, "message": message},
            ) as response:
                response.raise_for_status()
                items = await response.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            raise RasaUnavailable(str(exc) or type(exc).__name__) from exc
        texts: list[str] = []
        meta = None
        for item in items if isinstance(items, list) else []:
            if "text" in item:
                texts.append(item["text"])
            custom = item.get("custom")
            if isinstance(custom, dict) and "meta" in custom:
                meta = custom["meta"]
        return RasaReply(texts, meta)

    async def healthy(self) -> bool:
        try:
            async with self._http().get(
                f"{self.base_url}/", timeout=aiohttp.ClientTimeout(total=3)
            ) as response:
                return response.status == 200
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return False

    async def aclose(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
