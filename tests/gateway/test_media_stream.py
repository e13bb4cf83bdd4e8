"""Attacks on the Media Stream: a replayed stream token, the token of another call, a second
stream for a call. Each is refused at the handshake (or at `start`) before the bot says a word;
the gateway's own check of Twilio's handshake signature still applies to the tokenised URL."""

import json

import pytest
import redis as redis_lib
from fastapi import FastAPI
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from bot.channels.voice.registry import CallRegistry
from bot.gateway import deps
from bot.gateway.twilio_media import REFUSED
from bot.gateway.twilio_media import router as media_router
from bot.settings import Settings
from telephony.signatures import SIGNATURE_HEADER, sign

TOKEN = "test-auth-token"  # noqa: S105 - a test's Twilio auth token
PUBLIC = "wss://gw.example.com"


class StubVoice:
    """The parts of VoiceService the stream route uses; no call ever gets a session here."""

    def __init__(self, registry: CallRegistry):
        self.registry = registry

    def stream_url(self, token: str) -> str:
        return f"{PUBLIC}/twilio/media/{token}"


@pytest.fixture
def gateway(embedded_redis_url):
    redis = redis_lib.Redis.from_url(embedded_redis_url)
    registry = CallRegistry(redis)
    voice = StubVoice(registry)
    settings = Settings(twilio_auth_token=TOKEN, public_base_url="https://gw.example.com")
    app = FastAPI()
    app.include_router(media_router)
    overrides = {
        deps.settings: lambda: settings,
        deps.voice: lambda: voice,
        deps.speaker: lambda: None,
        deps.vosk_model: lambda: None,
        deps.redis: lambda: redis,
    }
    app.dependency_overrides.update(overrides)
    with TestClient(app) as client:
        yield client, registry


def call(registry: CallRegistry, sid: str) -> str:
    registry.add(sid, "A1", "outbound")
    return registry.issue_stream_token(sid)


def connect(client, token: str):
    signature = sign(f"{PUBLIC}/twilio/media/{token}", {}, TOKEN)
    return client.websocket_connect(f"/twilio/media/{token}", headers={SIGNATURE_HEADER: signature})


def refused(client, token: str) -> int:
    with pytest.raises(WebSocketDisconnect) as closed, connect(client, token):
        pass
    return closed.value.code


def test_a_replayed_stream_token_is_refused(gateway):
    client, registry = gateway
    token = call(registry, "CA" + "1" * 32)
    with connect(client, token):
        pass  # Twilio's own stream: admitted, the token consumed
    assert refused(client, token) == REFUSED


def test_the_token_of_another_call_is_refused_at_start(gateway):
    client, registry = gateway
    mine, victim = "CA" + "2" * 32, "CA" + "3" * 32
    token = call(registry, mine)
    call(registry, victim)
    with connect(client, token) as ws:
        ws.send_text(json.dumps({"event": "start", "start": {"callSid": victim}}))
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text()
    assert closed.value.code == REFUSED


def test_a_second_stream_for_a_call_is_refused(gateway):
    client, registry = gateway
    sid = "CA" + "4" * 32
    first = call(registry, sid)
    second = registry.issue_stream_token(sid)  # the voice webhook fetched twice
    with connect(client, first):
        assert refused(client, second) == REFUSED


def test_a_made_up_token_and_a_bad_signature_are_refused(gateway):
    client, registry = gateway
    assert refused(client, "not-a-token") == REFUSED
    token = call(registry, "CA" + "5" * 32)
    with (
        pytest.raises(WebSocketDisconnect),
        client.websocket_connect(
            f"/twilio/media/{token}", headers={SIGNATURE_HEADER: sign(f"{PUBLIC}/x", {}, TOKEN)}
        ),
    ):
        pass
    with connect(client, token):
        pass  # the refused handshake did not use the token up


def test_the_token_is_kept_only_as_a_hash(gateway, embedded_redis_url):
    _, registry = gateway
    token = call(registry, "CA" + "6" * 32)
    redis = redis_lib.Redis.from_url(embedded_redis_url)
    keys = [k.decode() for k in redis.scan_iter("voice:stream-token:*")]
    assert keys and all(token not in k for k in keys)
    assert all(token.encode() not in (redis.get(k) or b"") for k in keys)
