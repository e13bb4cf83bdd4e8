"""Rasa over HTTP (the REST channel): one text turn in, the bot's messages out."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from bot.infra.metrics import timed_stage


class RasaUnavailable(Exception):
    pass


@dataclass(frozen=True)
class RasaReply:
    texts: list[str]
    meta: dict | None  # None: no action completed the turn (e.g. the action server is down)


class RasaClient:
    def __init__(
        self, base_url: str, *, timeout: float = 30.0, client: httpx.AsyncClient | None = None
    ):
        self.base_url = base_url.rstrip("/")
        self.http = client or httpx.AsyncClient(timeout=timeout)

    @timed_stage("rasa")
    async def send(self, sender: str, message: str) -> RasaReply:
        try:
            response = await self.http.post(
                f"{self.base_url}/webhooks/rest/webhook",
                json={"sender": sender, "message": message},
            )
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise RasaUnavailable(str(exc)) from exc
        texts: list[str] = []
        meta = None
        for item in response.json():
            if "text" in item:
                texts.append(item["text"])
            custom = item.get("custom")
            if isinstance(custom, dict) and "meta" in custom:
                meta = custom["meta"]
        return RasaReply(texts, meta)

    async def healthy(self) -> bool:
        try:
            response = await self.http.get(f"{self.base_url}/", timeout=3)
            return response.status_code == 200
        except httpx.HTTPError:
            return False

    async def aclose(self) -> None:
        await self.http.aclose()
