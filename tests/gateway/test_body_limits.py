"""Attack: a 6 MB unsigned body, or a body of the wrong type, posted to a Twilio webhook. It is
refused (413/415) before anything parses it or checks its signature, without reading the rest."""

import asyncio

import httpx
from fastapi import FastAPI, Request

from bot.gateway.body_limits import TWILIO_BODY_LIMIT, TwilioBodyGuard

SIX_MB = b"Body=" + b"x" * (6 * 1024 * 1024)
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def guarded_app():
    app = FastAPI()
    parsed = []

    @app.post("/twilio/sms")
    async def sms(request: Request):
        parsed.append(dict(await request.form()))
        return {"ok": True}

    @app.post("/api/echo")
    async def echo(request: Request):
        return {"size": len(await request.body())}

    app.add_middleware(TwilioBodyGuard)
    return app, parsed


async def post(app, path, **kwargs):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        return await client.post(path, **kwargs)


def test_a_six_megabyte_unsigned_body_is_413_and_never_parsed():
    app, parsed = guarded_app()
    response = asyncio.run(post(app, "/twilio/sms", content=SIX_MB, headers=FORM))
    assert response.status_code == 413
    assert parsed == []


def test_a_body_that_is_not_a_form_is_415_and_never_parsed():
    app, parsed = guarded_app()
    for kind in ("application/json", "multipart/form-data; boundary=x", "text/plain"):
        response = asyncio.run(
            post(app, "/twilio/sms", content=b'{"Body": "STOP"}', headers={"Content-Type": kind})
        )
        assert response.status_code == 415, kind
    assert asyncio.run(post(app, "/twilio/sms", content=b"Body=hi")).status_code == 415
    assert parsed == []


def test_a_small_form_passes_through_and_other_paths_are_not_capped():
    app, parsed = guarded_app()
    ok = asyncio.run(post(app, "/twilio/sms", data={"Body": "hello"}))
    assert ok.status_code == 200 and parsed == [{"Body": "hello"}]
    big = asyncio.run(post(app, "/api/echo", content=b"x" * (TWILIO_BODY_LIMIT + 1)))
    assert big.json() == {"size": TWILIO_BODY_LIMIT + 1}


class Wire:
    """An ASGI client that counts how much of the body the server pulled."""

    def __init__(self, chunks: int, declared: int | None):
        self.left, self.pulled, self.sent = chunks, 0, []
        headers = [(b"content-type", b"application/x-www-form-urlencoded")]
        if declared is not None:
            headers.append((b"content-length", str(declared).encode()))
        self.scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "path": "/twilio/sms",
            "raw_path": b"/twilio/sms",
            "query_string": b"",
            "headers": headers,
            "client": ("127.0.0.1", 1),
            "server": ("127.0.0.1", 8000),
            "scheme": "http",
        }

    async def receive(self):
        self.pulled += 1
        self.left -= 1
        return {"type": "http.request", "body": b"x" * 65536, "more_body": self.left > 0}

    async def send(self, message):
        self.sent.append(message)


def run_wire(wire: Wire) -> int:
    app, parsed = guarded_app()
    asyncio.run(app(wire.scope, wire.receive, wire.send))
    assert parsed == []
    return wire.sent[0]["status"]


def test_a_declared_length_over_the_cap_is_refused_without_reading_a_byte():
    wire = Wire(chunks=96, declared=96 * 65536)  # 6 MiB
    assert run_wire(wire) == 413
    assert wire.pulled == 0


def test_a_chunked_body_is_read_only_up_to_the_cap():
    wire = Wire(chunks=96, declared=None)
    assert run_wire(wire) == 413
    assert wire.pulled * 65536 <= TWILIO_BODY_LIMIT + 65536


def test_over_the_network_the_413_comes_before_the_body_is_sent():
    """A real server: the client announces 6 MB and sends none of it; the answer is already
    there (the gateway never waited for the body)."""
    from telephony.twilio_sim.run import serve_app

    async def attack() -> bytes:
        app, _ = guarded_app()
        async with serve_app(app) as base:
            host, port = base.removeprefix("http://").split(":")
            reader, writer = await asyncio.open_connection(host, int(port))
            writer.write(
                b"POST /twilio/sms HTTP/1.1\r\nHost: x\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n"
                + f"Content-Length: {len(SIX_MB)}\r\n\r\n".encode()
            )
            await writer.drain()
            status = await asyncio.wait_for(reader.readline(), timeout=5)
            writer.close()
            return status

    assert b" 413 " in asyncio.run(attack())
