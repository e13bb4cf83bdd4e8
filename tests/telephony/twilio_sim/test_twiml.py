"""TwiML: parsing every verb the simulator executes, and the builders the gateway answers with."""

import pytest

from telephony import twiml


def test_parse_each_verb():
    doc = """<?xml version="1.0" encoding="UTF-8"?>
    <Response>
      <Say voice="Polly.Joanna" language="en-US">Hello there</Say>
      <Play loop="2">https://example.com/a.mp3</Play>
      <Pause length="3"/>
      <Dial callerId="+15550000000" action="/dial-done"><Number>+15551234567</Number></Dial>
      <Dial>+15559999999</Dial>
      <Connect action="/after"><Stream url="wss://gw.example/media" name="s1">
        <Parameter name="campaign" value="c-1"/><Parameter name="debtor" value="d-42"/>
      </Stream></Connect>
      <Redirect method="POST">/next</Redirect>
      <Gather input="dtmf" numDigits="1" action="/gathered" timeout="4"><Say>Press 1</Say></Gather>
      <Hangup/>
      <Reject/>
    </Response>"""
    verbs = twiml.parse(doc)
    assert verbs == [
        twiml.Say("Hello there", "Polly.Joanna", "en-US"),
        twiml.Play("https://example.com/a.mp3", loop=2),
        twiml.Pause(3.0),
        twiml.Dial("+15551234567", caller_id="+15550000000", action="/dial-done"),
        twiml.Dial("+15559999999"),
        twiml.Connect(
            twiml.Stream("wss://gw.example/media", "s1", {"campaign": "c-1", "debtor": "d-42"}),
            action="/after",
        ),
        twiml.Redirect("/next"),
        twiml.Gather(action="/gathered", timeout=4, num_digits=1, children=(twiml.Say("Press 1"),)),
        twiml.Hangup(),
        twiml.Unsupported("Reject"),
    ]


def test_parse_messages():
    doc = (
        '<Response><Message to="+1555">One</Message><Message><Body>Two</Body></Message></Response>'
    )
    assert twiml.parse(doc) == [twiml.Message("One", to="+1555"), twiml.Message("Two")]


@pytest.mark.parametrize(
    "doc",
    ["<Response><Say>unclosed</Response>", "not xml at all", "", "<Response><Dial/></Response>"],
)
def test_malformed_twiml_raises(doc):
    with pytest.raises(twiml.TwiMLError):
        twiml.parse(doc)


def test_root_must_be_response():
    with pytest.raises(twiml.TwiMLError, match="Response"):
        twiml.parse("<Reply><Say>hi</Say></Reply>")


def test_connect_stream_builder_round_trips():
    doc = twiml.connect_stream("wss://gw/media", {"a": "1", "b": "x&y"})
    assert twiml.parse(doc) == [
        twiml.Connect(twiml.Stream("wss://gw/media", None, {"a": "1", "b": "x&y"}))
    ]


def test_say_and_hangup_builder():
    assert twiml.parse(twiml.say_and_hangup("Bye <now>", voice="alice")) == [
        twiml.Say("Bye <now>", "alice"),
        twiml.Hangup(),
    ]
    assert twiml.parse(twiml.say_and_hangup("Bye")) == [twiml.Say("Bye"), twiml.Hangup()]
    # Twilio's voice reads Chinese only when told the language (a Mandarin voicemail).
    assert twiml.parse(twiml.say_and_hangup("您好", language="zh-CN")) == [
        twiml.Say("您好", language="zh-CN"),
        twiml.Hangup(),
    ]


def test_dial_builder():
    assert twiml.parse(twiml.dial("+15551234567", "Transferring you")) == [
        twiml.Say("Transferring you"),
        twiml.Dial("+15551234567"),
    ]
    assert twiml.parse(twiml.dial("+1555", None, caller_id="+1666")) == [
        twiml.Dial("+1555", caller_id="+1666")
    ]


def test_messages_and_empty_builders():
    assert twiml.parse(twiml.messages(["One", "Two"])) == [
        twiml.Message("One"),
        twiml.Message("Two"),
    ]
    assert twiml.parse(twiml.messages([])) == []
    assert twiml.parse(twiml.empty()) == []
