"""Attack: the development Twilio token is published in the code, so anyone can sign with it.
While it is in force, a Twilio request is refused unless the gateway listens on loopback, its
public URL is loopback and the request came in on a loopback address."""

import asyncio
from typing import Annotated

import httpx
from fastapi import Depends, FastAPI

from bot.gateway import deps
from bot.gateway.twilio_auth import development_token_misplaced, twilio_form
from bot.settings import SANDBOX_TWILIO_AUTH_TOKEN, Settings
from telephony.signatures import SIGNATURE_HEADER, sign

PARAMS = {"From": "+14155550101", "Body": "STOP"}


def app_for(settings: Settings) -> FastAPI:
    app = FastAPI()

    @app.post("/twilio/hook")
    async def hook(params: Annotated[dict, Depends(twilio_form)]):
        return params

    app.dependency_overrides[deps.settings] = lambda: settings
    return app


def post(settings: Settings, arrived_on: str, token: str = SANDBOX_TWILIO_AUTH_TOKEN) -> int:
    url = settings.effective_public_base_url + "/twilio/hook"
    headers = {SIGNATURE_HEADER: sign(url, PARAMS, token)}

    async def go():
        transport = httpx.ASGITransport(app=app_for(settings))
        async with httpx.AsyncClient(transport=transport, base_url=arrived_on) as client:
            return (await client.post("/twilio/hook", data=PARAMS, headers=headers)).status_code

    return asyncio.run(go())


def test_the_development_token_works_on_loopback_only():
    local = Settings(gateway_host="127.0.0.1")
    assert not development_token_misplaced(local)
    assert post(local, "http://127.0.0.1:8000") == 200
    # Signed with the published token, arriving on a network interface (uvicorn --host 0.0.0.0).
    assert post(local, "http://10.1.2.3:8000") == 403


def test_the_development_token_is_refused_on_a_gateway_configured_for_a_network():
    for settings in (
        Settings(gateway_host="0.0.0.0"),  # noqa: S104 - the attack: a gateway on every interface
        Settings(public_base_url="https://bank.example.com"),
    ):
        assert development_token_misplaced(settings)
        assert post(settings, "http://127.0.0.1:8000") == 403


def test_a_real_token_is_checked_wherever_the_gateway_listens():
    real = Settings(gateway_host="0.0.0.0", twilio_auth_token="a-real-secret")  # noqa: S104
    assert not development_token_misplaced(real)
    assert post(real, "http://10.1.2.3:8000", token="a-real-secret") == 200
    assert post(real, "http://10.1.2.3:8000") == 403  # the development token: a bad signature
