"""The simulator end to end, against a tiny fake customer app and the real twilio SDK client.

The fake app below is what a Twilio customer writes: it checks X-Twilio-Signature on every
webhook (403 otherwise), answers the voice webhook with <Connect><Stream>, and on the Media
Stream plays a little audio with a mark after each caller turn, sending ``clear`` when the caller
talks over it. Everything runs on loopback in the test's event loop.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI, Request, WebSocket
from fastapi.responses import Response
from twilio.base.exceptions import TwilioRestException

from telephony import twiml
from telephony.signatures import SIGNATURE_HEADER, is_valid
from telephony.twilio_client import (
    create_call,
    end_call,
    fetch_call,
    make_client,
    redirect_call,
    send_sms,
)
from telephony.twilio_sim import (
    Audio,
    BargeIn,
    CallScenario,
    Dtmf,
    Hangup,
    MessageScenario,
    Say,
    Silence,
    WaitForBot,
    WebhookRejected,
    running_simulator,
    serve_app,
)
from telephony.twilio_sim.audio import FRAME_BYTES, SILENCE_FRAME, synthesize, tone

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "sim-auth-token"
CUSTOMER = "+15550001111"
OUR_NUMBER = "+15557770000"
AGENT = "+15553334444"
STREAM_PARAMS = {"campaign": "c-1", "attempt": "a-42"}
SPEED = 2.0  # media time runs twice as fast as the wall clock in these tests
BOT_AUDIO = tone(200, freq=300)  # 10 frames of bot "speech"


class FakeCustomerApp:
    def __init__(self, auth_token: str, *, greeting_frames: int = 10) -> None:
        self.auth_token = auth_token
        self.greeting_frames = greeting_frames
        self.base_url = ""
        self.webhooks: list[tuple[str, dict[str, str]]] = []
        self.rejected: list[str] = []
        self.stream_messages: list[dict[str, Any]] = []
        self.ws_signature_ok: bool | None = None
        # Each call's <Stream> URL carries its own token, as the gateway's does: the simulator
        # must open exactly that URL and sign it.
        self.issued_tokens: list[str] = []
        self.streamed_tokens: list[str] = []
        self.dtmf: list[str] = []
        self.marks_sent: dict[str, float] = {}
        self.marks_echoed: dict[str, float] = {}
        self.clears_sent: list[float] = []
        self.sms_replies = ["Got it", "Reply STOP to opt out"]
        self.docs: dict[str, str] = {}  # TwiML served at /twilio/doc/{name}
        self.close_after_greeting = False
        self.app = self._build()

    def posted(self, path: str) -> list[dict[str, str]]:
        return [form for p, form in self.webhooks if p == path]

    def _build(self) -> FastAPI:
        app = FastAPI()

        async def checked(request: Request) -> dict[str, str] | None:
            form = {k: str(v) for k, v in (await request.form()).items()}
            url = self.base_url + request.url.path
            if not is_valid(url, form, request.headers.get(SIGNATURE_HEADER), self.auth_token):
                self.rejected.append(request.url.path)
                return None
            self.webhooks.append((request.url.path, form))
            return form

        def xml(doc: str) -> Response:
            return Response(doc, media_type="application/xml")

        @app.post("/twilio/voice")
        async def voice(request: Request) -> Response:
            if await checked(request) is None:
                return Response(status_code=403)
            token = secrets.token_urlsafe(16)
            self.issued_tokens.append(token)
            ws_url = self.base_url.replace("http://", "wss://") + f"/twilio/media/{token}"
            return xml(twiml.connect_stream(ws_url, STREAM_PARAMS))

        @app.post("/twilio/doc/{name}")
        async def doc(name: str, request: Request) -> Response:
            if await checked(request) is None:
                return Response(status_code=403)
            return xml(self.docs[name])

        @app.post("/twilio/sms")
        async def sms(request: Request) -> Response:
            if await checked(request) is None:
                return Response(status_code=403)
            return xml(twiml.messages(self.sms_replies))

        @app.post("/twilio/{kind}")
        async def callback(kind: str, request: Request) -> Response:
            if await checked(request) is None:
                return Response(status_code=403)
            return Response(status_code=204)

        @app.websocket("/twilio/media/{token}")
        async def media(ws: WebSocket, token: str) -> None:
            self.streamed_tokens.append(token)
            public = self.base_url.replace("http://", "wss://") + f"/twilio/media/{token}"
            signature = ws.headers.get(SIGNATURE_HEADER.lower())
            self.ws_signature_ok = is_valid(public, {}, signature, self.auth_token)
            await ws.accept()
            await self._converse(ws)

        return app

    async def _converse(self, ws: WebSocket) -> None:
        stream_sid = ""
        voiced, turns, talking = 0, 0, None

        async def speak(name: str, frames: int) -> str:
            audio = (BOT_AUDIO * (frames // 10 + 1))[: frames * FRAME_BYTES]
            for i in range(0, len(audio), FRAME_BYTES):
                chunk = base64.b64encode(audio[i : i + FRAME_BYTES]).decode()
                message = {"event": "media", "streamSid": stream_sid, "media": {"payload": chunk}}
                await ws.send_text(json.dumps(message))
            await ws.send_text(
                json.dumps({"event": "mark", "streamSid": stream_sid, "mark": {"name": name}})
            )
            self.marks_sent[name] = time.monotonic()
            return name

        while True:
            message = json.loads(await ws.receive_text())
            self.stream_messages.append(message)
            event = message["event"]
            if event == "start":
                stream_sid = message["start"]["streamSid"]
                talking = await speak("greeting", self.greeting_frames)
            elif event == "media":
                if base64.b64decode(message["media"]["payload"]) != SILENCE_FRAME:
                    voiced += 1
                    if talking and voiced >= 3:  # the caller talks over us: stop our audio
                        await ws.send_text(json.dumps({"event": "clear", "streamSid": stream_sid}))
                        self.clears_sent.append(time.monotonic())
                        talking = None
                elif voiced >= 5:  # the caller finished a turn: answer it
                    voiced, turns = 0, turns + 1
                    talking = await speak(f"reply-{turns}", 10)
                else:
                    voiced = 0
            elif event == "dtmf":
                digit = message["dtmf"]["digit"]
                self.dtmf.append(digit)
                talking = await speak(f"dtmf-{digit}", 10)
            elif event == "mark":
                self.marks_echoed[message["mark"]["name"]] = time.monotonic()
                if self.close_after_greeting:
                    await ws.close()
                    return
                if message["mark"]["name"] == talking:
                    talking = None
            elif event == "stop":
                return


@dataclass
class Env:
    app: FakeCustomerApp
    sim: Any
    client: Any

    def url(self, path: str) -> str:
        return self.app.base_url + path


async def until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)


@pytest.fixture
async def env():
    yield_env = None
    app = FakeCustomerApp(AUTH_TOKEN)
    async with serve_app(app.app) as app_base:
        app.base_url = app_base
        async with running_simulator(
            account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, webhook_base=app_base
        ) as sim:
            client = make_client(ACCOUNT_SID, AUTH_TOKEN, api_base=sim.base_url)
            yield_env = Env(app, sim, client)
            yield yield_env


async def place_call(env: Env) -> str:
    return await create_call(
        env.client,
        to=CUSTOMER,
        from_=OUR_NUMBER,
        url=env.url("/twilio/voice"),
        status_callback=env.url("/twilio/status"),
        async_amd_status_callback=env.url("/twilio/amd"),
    )


async def test_outbound_call_end_to_end(env: Env):
    steps = [WaitForBot(), Dtmf("1"), WaitForBot(), Audio(tone(200)), WaitForBot(), Hangup()]
    env.sim.expect_call(CUSTOMER, CallScenario(answered_by="human", steps=steps, speed=SPEED))

    call_sid = await place_call(env)
    assert call_sid.startswith("CA") and len(call_sid) == 34
    call = await env.sim.wait_for_call(call_sid, timeout=15)

    assert env.app.rejected == []
    assert call.status == "completed", call.errors
    assert call.stream.end_reason == "caller_hangup"

    statuses = env.app.posted("/twilio/status")
    assert [s["CallStatus"] for s in statuses] == [
        "initiated",
        "ringing",
        "in-progress",
        "completed",
    ]
    assert [s["SequenceNumber"] for s in statuses] == ["0", "1", "2", "3"]
    for s in statuses:
        assert s["CallSid"] == call_sid and s["AccountSid"] == ACCOUNT_SID
        assert (s["From"], s["To"]) == (OUR_NUMBER, CUSTOMER)
        assert s["Direction"] == "outbound-api" and s["ApiVersion"] == "2010-04-01"
        assert s["CallbackSource"] == "call-progress-events" and s["Timestamp"].endswith("+0000")
    assert "CallDuration" in statuses[-1]

    [voice] = env.app.posted("/twilio/voice")
    assert voice["CallStatus"] == "in-progress" and voice["Direction"] == "outbound-api"
    assert (voice["Caller"], voice["Called"]) == (OUR_NUMBER, CUSTOMER)

    [amd] = env.app.posted("/twilio/amd")
    assert amd["AnsweredBy"] == "human" and amd["CallSid"] == call_sid
    assert int(amd["MachineDetectionDuration"]) > 0

    connected, start = env.app.stream_messages[:2]
    assert connected == {"event": "connected", "protocol": "Call", "version": "1.0.0"}
    assert start["start"]["customParameters"] == STREAM_PARAMS
    assert start["start"]["callSid"] == call_sid and start["start"]["accountSid"] == ACCOUNT_SID
    assert start["start"]["tracks"] == ["inbound"]
    assert start["start"]["mediaFormat"] == {
        "encoding": "audio/x-mulaw",
        "sampleRate": 8000,
        "channels": 1,
    }
    assert start["streamSid"].startswith("MZ") and start["sequenceNumber"] == "1"
    media = [m for m in env.app.stream_messages if m["event"] == "media"]
    assert [int(m["media"]["chunk"]) for m in media[:3]] == [1, 2, 3]
    assert media[1]["media"]["timestamp"] == "20" and media[0]["media"]["track"] == "inbound"
    assert len(base64.b64decode(media[0]["media"]["payload"])) == 160
    assert env.app.stream_messages[-1]["event"] == "stop"
    assert env.app.ws_signature_ok is True
    assert env.app.streamed_tokens == env.app.issued_tokens and len(env.app.issued_tokens) == 1

    assert env.app.dtmf == ["1"]
    # Marks come back only once the audio before them has played (10 frames = 200 ms / SPEED).
    for name in ("greeting", "dtmf-1", "reply-1"):
        played = env.app.marks_echoed[name] - env.app.marks_sent[name]
        assert played >= 0.2 / SPEED - 0.02, (name, played)

    recording = call.stream
    assert [t.kind for t in recording.turns] == ["dtmf", "audio"]
    assert len(recording.latencies()) == 2 and all(0 <= x < 1.0 for x in recording.latencies())
    assert recording.errors == []
    assert len(recording.bot_audio()) == 30 * FRAME_BYTES

    fetched = await fetch_call(env.client, call_sid)
    assert fetched["status"] == "completed" and fetched["answered_by"] == "human"
    assert fetched["from"] == OUR_NUMBER and fetched["direction"] == "outbound-api"


async def test_clear_drops_queued_audio_and_echoes_marks_at_once(env: Env):
    env.app.greeting_frames = 150  # a 3 s greeting the caller will interrupt
    steps = [BargeIn(audio=tone(200), after_ms=300), WaitForBot(), Hangup()]
    env.sim.expect_call(CUSTOMER, CallScenario(steps=steps, speed=SPEED))

    call = await env.sim.wait_for_call(await place_call(env), timeout=15)

    recording = call.stream
    assert len(env.app.clears_sent) == 1 and len(recording.clears) == 1
    greeting = next(m for m in recording.marks if m.name == "greeting")
    assert greeting.cleared
    assert greeting.echoed_at - recording.clears[0] < 0.1  # echoed on the clear ...
    assert greeting.echoed_at - greeting.received_at < 3.0 / SPEED - 0.5  # ... not after 3 s
    assert recording.utterances[0].interrupted_at is not None
    barge = recording.turns[0]
    assert barge.kind == "barge_in"
    assert barge.started_at - recording.utterances[0].playback_started_at >= 0.3 / SPEED - 0.02
    assert "reply-1" in env.app.marks_echoed  # the bot answered the interruption


async def test_end_call_completes_a_live_stream(env: Env):
    env.sim.expect_call(CUSTOMER, CallScenario(speed=SPEED))  # caller just listens
    call_sid = await place_call(env)
    await until(lambda: "greeting" in env.app.marks_echoed)

    assert await end_call(env.client, call_sid) == "completed"
    call = await env.sim.wait_for_call(call_sid)

    assert call.stream.end_reason == "call_ended"
    await until(lambda: env.app.stream_messages[-1]["event"] == "stop")
    assert env.app.posted("/twilio/status")[-1]["CallStatus"] == "completed"
    assert call.duration is not None


async def test_redirect_with_twiml_transfers_the_call(env: Env):
    env.sim.expect_call(CUSTOMER, CallScenario(speed=4.0))
    call_sid = await place_call(env)
    await until(lambda: "greeting" in env.app.marks_echoed)

    await redirect_call(env.client, call_sid, twiml.dial(AGENT, "Transferring you now"))
    call = await env.sim.wait_for_call(call_sid)

    assert call.transfers == [AGENT]
    assert [type(p.verb).__name__ for p in call.played] == ["Connect", "Say", "Dial"]
    assert call.status == "completed"
    await until(lambda: env.app.stream_messages[-1]["event"] == "stop")


async def test_duplicate_callbacks_send_each_status_twice(env: Env):
    env.sim.duplicate_callbacks = True
    env.sim.expect_call(CUSTOMER, CallScenario(outcome="no-answer"))
    call = await env.sim.wait_for_call(await place_call(env))

    assert call.status == "no-answer"
    seen = [(s["CallStatus"], s["SequenceNumber"]) for s in env.app.posted("/twilio/status")]
    assert seen == [("initiated", "0")] * 2 + [("ringing", "1")] * 2 + [("no-answer", "2")] * 2
    assert env.app.posted("/twilio/voice") == []  # never answered, never asked for TwiML


async def test_busy_call(env: Env):
    env.sim.expect_call(CUSTOMER, CallScenario(outcome="busy"))
    call = await env.sim.wait_for_call(await place_call(env))
    assert [s["CallStatus"] for s in env.app.posted("/twilio/status")] == ["initiated", "busy"]
    assert env.app.posted("/twilio/status")[-1]["CallDuration"] == "0"
    assert call.duration == 0


async def test_webhooks_signed_with_the_wrong_token_are_refused(env: Env):
    app = FakeCustomerApp("the-real-token")
    async with serve_app(app.app) as base:
        app.base_url = base
        async with running_simulator(
            account_sid=ACCOUNT_SID, auth_token="a-leaked-old-token", webhook_base=base
        ) as sim:
            call = await sim.inbound_call(CUSTOMER, OUR_NUMBER)
            await sim.wait_for_call(call.sid)
            with pytest.raises(WebhookRejected) as rejected:
                await sim.inbound_sms(CUSTOMER, OUR_NUMBER, "hello")
    assert rejected.value.status_code == 403
    assert app.rejected == ["/twilio/voice", "/twilio/sms"]
    assert call.callbacks[0].status_code == 403 and call.streams == []
    assert any(e.startswith("11200") for e in call.errors)


async def test_rest_api_requires_basic_auth(env: Env):
    wrong = make_client(ACCOUNT_SID, "not-the-token", api_base=env.sim.base_url)
    with pytest.raises(TwilioRestException) as error:
        await send_sms(wrong, to=CUSTOMER, from_=OUR_NUMBER, body="hi")
    assert error.value.status == 401 and error.value.code == 20003
    with pytest.raises(TwilioRestException) as missing:
        await fetch_call(env.client, "CA" + "0" * 32)
    assert missing.value.status == 404


async def test_inbound_call_with_espeak_speech(env: Env):
    steps = [WaitForBot(), Say("yes this is me"), WaitForBot(), Silence(100), Hangup()]
    call = await env.sim.inbound_call(CUSTOMER, OUR_NUMBER, CallScenario(steps=steps, speed=SPEED))
    await env.sim.wait_for_call(call.sid, timeout=15)

    [voice] = env.app.posted("/twilio/voice")
    assert voice["Direction"] == "inbound" and voice["CallStatus"] == "ringing"
    assert (voice["From"], voice["To"]) == (CUSTOMER, OUR_NUMBER)
    assert call.status == "completed" and call.stream.end_reason == "caller_hangup"
    [turn] = call.stream.turns
    assert turn.kind == "say" and turn.frames > 20  # about a second of speech
    assert turn.response_latency_s is not None and turn.response_latency_s >= 0
    assert "reply-1" in env.app.marks_echoed


def test_espeak_synthesis_is_voiced_mulaw_and_cached():
    speech = synthesize("hello")
    assert len(speech) > 1600 and speech != SILENCE_FRAME * (len(speech) // FRAME_BYTES)
    assert synthesize("hello") is speech


async def test_inbound_sms_returns_the_reply_bodies(env: Env):
    replies = await env.sim.inbound_sms(CUSTOMER, OUR_NUMBER, "PAY 50", message_sid="SM" + "1" * 32)
    again = await env.sim.inbound_sms(CUSTOMER, OUR_NUMBER, "PAY 50", message_sid="SM" + "1" * 32)

    assert replies == again == ["Got it", "Reply STOP to opt out"]
    first, second = env.app.posted("/twilio/sms")
    assert first == second
    assert first["MessageSid"] == first["SmsSid"] == "SM" + "1" * 32
    assert first["Body"] == "PAY 50" and first["NumMedia"] == "0" and first["NumSegments"] == "1"
    assert (first["From"], first["To"], first["AccountSid"]) == (CUSTOMER, OUR_NUMBER, ACCOUNT_SID)
    assert "MessagingServiceSid" not in first
    env.app.sms_replies = []
    assert await env.sim.inbound_sms(CUSTOMER, OUR_NUMBER, "thanks") == []


async def test_outbound_sms_status_callbacks(env: Env):
    sid = await send_sms(
        env.client,
        to=CUSTOMER,
        from_=OUR_NUMBER,
        body="Your payment is due",
        status_callback=env.url("/twilio/sms-status"),
    )
    assert sid.startswith("SM") and len(sid) == 34
    await env.sim.wait_for_message(sid, "delivered")
    callbacks = env.app.posted("/twilio/sms-status")
    assert [c["MessageStatus"] for c in callbacks] == ["queued", "sent", "delivered"]
    assert all(c["MessageSid"] == c["SmsSid"] == sid for c in callbacks)
    assert all(c["SmsStatus"] == c["MessageStatus"] and "ErrorCode" not in c for c in callbacks)
    assert env.sim.messages[sid].body == "Your payment is due"


async def test_outbound_sms_undelivered(env: Env):
    env.sim.expect_message(CUSTOMER, MessageScenario(outcome="undelivered", error_code=30005))
    sid = await send_sms(
        env.client, to=CUSTOMER, from_=OUR_NUMBER, body="hi", status_callback=env.url("/twilio/s2")
    )
    await env.sim.wait_for_message(sid, "undelivered")
    callbacks = env.app.posted("/twilio/s2")
    assert [c["MessageStatus"] for c in callbacks] == ["queued", "sent", "undelivered"]
    assert callbacks[-1]["ErrorCode"] == "30005"


async def test_a_text_queued_past_its_validity_period_fails_unsent(env: Env):
    env.sim.expect_message(CUSTOMER, MessageScenario(queued_s=2.0))
    sid = await send_sms(
        env.client,
        to=CUSTOMER,
        from_=OUR_NUMBER,
        body="hi",
        status_callback=env.url("/twilio/s3"),
        validity_period=1,
    )
    await env.sim.wait_for_message(sid, "failed")
    callbacks = env.app.posted("/twilio/s3")
    assert [c["MessageStatus"] for c in callbacks] == ["queued", "failed"]
    assert callbacks[-1]["ErrorCode"] == "30036"
    assert env.sim.messages[sid].date_sent is None


async def test_a_text_sent_within_its_validity_period_is_delivered(env: Env):
    env.sim.expect_message(CUSTOMER, MessageScenario(queued_s=0.2))
    sid = await send_sms(env.client, to=CUSTOMER, from_=OUR_NUMBER, body="hi", validity_period=60)
    message = await env.sim.wait_for_message(sid, "delivered")
    assert message.validity_period == 60


@pytest.mark.parametrize("validity", [0, 14_401])
async def test_a_validity_period_out_of_range_is_refused(env: Env, validity: int):
    with pytest.raises(TwilioRestException) as refused:
        await send_sms(
            env.client, to=CUSTOMER, from_=OUR_NUMBER, body="hi", validity_period=validity
        )
    assert refused.value.code == 21624
    assert not env.sim.messages


async def test_twiml_verbs_redirect_gather_and_dial_action(env: Env):
    env.app.docs = {
        "first": '<Response><Say>Hello</Say><Pause length="1"/>'
        "<Redirect>/twilio/doc/second</Redirect><Say>never</Say></Response>",
        "second": '<Response><Gather numDigits="1" action="/twilio/doc/gathered">'
        "<Say>Press 1</Say></Gather></Response>",
        "gathered": f'<Response><Dial action="/twilio/doc/after">{AGENT}</Dial></Response>',
        "after": "<Response><Play>https://example.com/bye.mp3</Play><Hangup/><Say>no</Say></Response>",
    }
    scenario = CallScenario(answered_by="machine_end_beep", gather_digits="1", speed=20.0)
    env.sim.expect_call(CUSTOMER, scenario)
    call_sid = await create_call(
        env.client,
        to=CUSTOMER,
        from_=OUR_NUMBER,
        url=env.url("/twilio/doc/first"),
        status_callback=env.url("/twilio/status"),
        async_amd=False,  # synchronous AMD: AnsweredBy comes with the TwiML request
    )
    call = await env.sim.wait_for_call(call_sid)

    assert call.errors == [] and call.status == "completed"
    played = [p.verb for p in call.played]
    assert played == [
        twiml.Say("Hello"),
        twiml.Pause(1.0),
        twiml.Redirect("/twilio/doc/second"),
        twiml.Gather(action="/twilio/doc/gathered", num_digits=1, children=(twiml.Say("Press 1"),)),
        twiml.Say("Press 1"),
        twiml.Dial(AGENT, action="/twilio/doc/after"),
        twiml.Play("https://example.com/bye.mp3"),
        twiml.Hangup(),
    ]
    assert call.transfers == [AGENT]
    [first] = env.app.posted("/twilio/doc/first")
    assert first["AnsweredBy"] == "machine_end_beep"
    [gathered] = env.app.posted("/twilio/doc/gathered")
    assert gathered["Digits"] == "1"
    [after] = env.app.posted("/twilio/doc/after")
    assert after["DialCallStatus"] == "completed" and after["DialCallSid"].startswith("CA")
    assert env.app.posted("/twilio/amd") == []


async def test_bot_closing_the_stream_continues_the_twiml(env: Env):
    stream_url = env.app.base_url.replace("http://", "ws://") + "/twilio/media/doc-token"
    env.app.docs["stream"] = twiml.connect_stream(stream_url).replace(
        "</Response>", "<Say>after the stream</Say></Response>"
    )
    env.app.close_after_greeting = True
    env.sim.expect_call(CUSTOMER, CallScenario(speed=10.0))
    call_sid = await create_call(
        env.client,
        to=CUSTOMER,
        from_=OUR_NUMBER,
        url=env.url("/twilio/doc/stream"),
        status_callback=env.url("/twilio/status"),
        machine_detection=None,
    )
    call = await env.sim.wait_for_call(call_sid)

    assert call.stream.end_reason == "bot_closed"
    assert call.played[-1].verb == twiml.Say("after the stream")
    assert call.status == "completed"
    assert "stop" not in [m["event"] for m in env.app.stream_messages]


async def test_wait_for_bot_timeout_ends_the_call_with_an_error(env: Env):
    env.app.greeting_frames = 0  # the bot never says anything
    env.sim.expect_call(CUSTOMER, CallScenario(steps=[WaitForBot(timeout_s=0.3)], speed=SPEED))
    call = await env.sim.wait_for_call(await place_call(env))

    assert call.stream.end_reason == "script_error"
    assert "WaitForBot" in call.stream.errors[-1]
    assert call.status == "completed"
    assert env.app.stream_messages[-1]["event"] == "stop"
