"""TwiML: the builders our gateway answers Twilio with, and a parser into typed verbs.

Building goes through the SDK (``twilio.twiml``) so escaping and attribute names are Twilio's own.
Parsing exists for the simulator and for tests: they need to read what the gateway answered and
act on it verb by verb, the way Twilio does.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: S405 - parses TwiML from our own gateway, see parse()
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import Connect as _Connect
from twilio.twiml.voice_response import VoiceResponse


class TwiMLError(ValueError):
    """The document is not TwiML we can execute (malformed XML or no <Response> root)."""


@dataclass(frozen=True)
class Say:
    text: str
    voice: str | None = None
    language: str | None = None
    loop: int = 1


@dataclass(frozen=True)
class Play:
    url: str
    loop: int = 1
    digits: str | None = None


@dataclass(frozen=True)
class Pause:
    length: float = 1.0


@dataclass(frozen=True)
class Dial:
    number: str
    caller_id: str | None = None
    action: str | None = None
    method: str = "POST"
    timeout: int = 30


@dataclass(frozen=True)
class Hangup:
    pass


@dataclass(frozen=True)
class Stream:
    url: str
    name: str | None = None
    parameters: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Connect:
    stream: Stream | None = None
    action: str | None = None
    method: str = "POST"


@dataclass(frozen=True)
class Message:
    body: str
    to: str | None = None
    from_: str | None = None


@dataclass(frozen=True)
class Redirect:
    url: str
    method: str = "POST"


@dataclass(frozen=True)
class Gather:
    """Minimal <Gather>: enough to record it and post collected digits to ``action``."""

    input: str = "dtmf"
    action: str | None = None
    method: str = "POST"
    timeout: int = 5
    num_digits: int | None = None
    finish_on_key: str = "#"
    children: tuple[Say | Play | Pause, ...] = ()


@dataclass(frozen=True)
class Unsupported:
    """A verb the simulator does not model; kept so callers can see it was there."""

    name: str
    attributes: dict[str, str] = field(default_factory=dict)
    text: str = ""


Verb = Say | Play | Pause | Dial | Hangup | Connect | Message | Redirect | Gather | Unsupported


def parse(xml: str | bytes) -> list[Verb]:
    """The verbs of a TwiML document, in order.

    Uses the standard library parser: the input is TwiML produced by our own gateway (or a test),
    and expat does not resolve external entities, so defusedxml is not needed here.
    """
    try:
        root = ET.fromstring(xml)  # noqa: S314 - see docstring
    except ET.ParseError as exc:
        raise TwiMLError(f"malformed TwiML: {exc}") from exc
    if root.tag != "Response":
        raise TwiMLError(f"TwiML root must be <Response>, got <{root.tag}>")
    return [_verb(element) for element in root]


def _text(element: ET.Element) -> str:
    return (element.text or "").strip()


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError as exc:
        raise TwiMLError(f"not an integer: {value!r}") from exc


def _verb(element: ET.Element) -> Verb:
    a = element.attrib
    tag = element.tag
    if tag == "Say":
        return Say(_text(element), a.get("voice"), a.get("language"), _int(a.get("loop"), 1))
    if tag == "Play":
        return Play(_text(element), _int(a.get("loop"), 1), a.get("digits"))
    if tag == "Pause":
        return Pause(float(a.get("length", "1")))
    if tag == "Hangup":
        return Hangup()
    if tag == "Redirect":
        return Redirect(_text(element), a.get("method", "POST"))
    if tag == "Dial":
        return _dial(element)
    if tag == "Connect":
        return _connect(element)
    if tag == "Message":
        body = element.find("Body")
        text = _text(body) if body is not None else _text(element)
        return Message(text, a.get("to"), a.get("from"))
    if tag == "Gather":
        return _gather(element)
    return Unsupported(tag, dict(a), _text(element))


def _dial(element: ET.Element) -> Dial:
    a = element.attrib
    number = element.find("Number")
    target = _text(number) if number is not None else _text(element)
    if not target:
        raise TwiMLError("<Dial> without a number")
    return Dial(
        number=target,
        caller_id=a.get("callerId"),
        action=a.get("action"),
        method=a.get("method", "POST"),
        timeout=_int(a.get("timeout"), 30),
    )


def _connect(element: ET.Element) -> Connect:
    stream_el = element.find("Stream")
    stream = None
    if stream_el is not None:
        url = stream_el.get("url")
        if not url:
            raise TwiMLError("<Stream> without a url")
        params = {p.get("name", ""): p.get("value", "") for p in stream_el.findall("Parameter")}
        stream = Stream(url, stream_el.get("name"), params)
    return Connect(stream, element.get("action"), element.get("method", "POST"))


def _gather(element: ET.Element) -> Gather:
    a = element.attrib
    children = tuple(
        child for child in (_verb(e) for e in element) if isinstance(child, Say | Play | Pause)
    )
    num = a.get("numDigits")
    return Gather(
        input=a.get("input", "dtmf"),
        action=a.get("action"),
        method=a.get("method", "POST"),
        timeout=_int(a.get("timeout"), 5),
        num_digits=_int(num, 0) if num is not None else None,
        finish_on_key=a.get("finishOnKey", "#"),
        children=children,
    )


# --- builders ---------------------------------------------------------------------------------


def connect_stream(url: str, parameters: Mapping[str, str] | None = None) -> str:
    """<Connect><Stream>: a bidirectional Media Stream; parameters reach us in the `start` event."""
    response = VoiceResponse()
    connect = _Connect()
    stream = connect.stream(url=url)
    for name, value in (parameters or {}).items():
        stream.parameter(name=name, value=value)
    response.append(connect)
    return response.to_xml()


def say_and_hangup(text: str, voice: str | None = None, language: str | None = None) -> str:
    """Speak with Twilio's TTS, then end the call (voicemail drops, refusals). `language` (a
    BCP-47 tag such as zh-CN) makes Twilio read the text in that language's voice."""
    response = VoiceResponse()
    attributes = {k: v for k, v in (("voice", voice), ("language", language)) if v}
    response.say(text, **attributes)
    response.hangup()
    return response.to_xml()


def dial(
    number: str,
    say_first: str | None = None,
    *,
    caller_id: str | None = None,
    action: str | None = None,
) -> str:
    """Transfer the live call to ``number`` (an agent), optionally announcing it first."""
    response = VoiceResponse()
    if say_first:
        response.say(say_first)
    kwargs = {k: v for k, v in {"caller_id": caller_id, "action": action}.items() if v}
    response.dial(number, **kwargs)
    return response.to_xml()


def messages(bodies: Iterable[str]) -> str:
    """A MessagingResponse replying with one <Message> per body."""
    response = MessagingResponse()
    for body in bodies:
        response.message(body)
    return response.to_xml()


def empty() -> str:
    """<Response/>: for SMS, no reply; for voice, nothing more to do (the call ends)."""
    return VoiceResponse().to_xml()
