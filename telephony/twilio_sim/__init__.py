"""A local stand-in for Twilio ("sandbox carrier") that speaks Twilio's real wire formats.

REST subset (Calls, Messages) at the real paths with Basic auth, signed webhooks and status
callbacks, async AMD, and Media Streams driven by a scripted caller. Nothing here knows about
the app using it. Typical use::

    async with running_simulator(account_sid=..., auth_token=..., webhook_base=...) as sim:
        sim.expect_call("+15550001111", CallScenario(steps=[WaitForBot(), Say("yes"), Hangup()]))
        client = make_client(account_sid, auth_token, api_base=sim.base_url)
        call = await sim.wait_for_call(await create_call(client, ...))
        call.stream.latencies()  # seconds from the caller's last voiced frame to the bot's reply

Script steps (``scenario``): Say, Audio, Dtmf, Silence, WaitForBot, BargeIn, Hangup. Timing
(``recording``): every bot media frame, mark, echo and clear carries ``time.monotonic()``;
``CallerTurn.response_latency_s`` and ``BotUtterance`` give per-turn / per-utterance figures.
Webhooks are always POSTs; ``wss://`` stream URLs are opened as ``ws://`` unless
``wss_to_ws=False``. ``python -m telephony.twilio_sim`` runs it standalone.
"""

from telephony.twilio_sim.messages import WebhookRejected
from telephony.twilio_sim.recording import CallerRecording, CallerTurn
from telephony.twilio_sim.run import running_simulator, serve_app
from telephony.twilio_sim.scenario import (
    Audio,
    BargeIn,
    CallScenario,
    Dtmf,
    Hangup,
    MessageScenario,
    Say,
    Silence,
    WaitForBot,
)
from telephony.twilio_sim.server import Simulator, create_sim_app

__all__ = [
    "Audio",
    "BargeIn",
    "CallScenario",
    "CallerRecording",
    "CallerTurn",
    "Dtmf",
    "Hangup",
    "MessageScenario",
    "Say",
    "Silence",
    "Simulator",
    "WaitForBot",
    "WebhookRejected",
    "create_sim_app",
    "running_simulator",
    "serve_app",
]
