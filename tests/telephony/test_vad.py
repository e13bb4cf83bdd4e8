from __future__ import annotations

import numpy as np
import pytest

from telephony.audio import FRAME_BYTES, mulaw_to_pcm16, split_frames
from telephony.tts import Speaker
from telephony.vad import BargeIn, SpeechStarted, TurnDetector, TurnEnded, TurnEvent

RATE = 8000
PCM_FRAME = 2 * FRAME_BYTES  # 20 ms of 8 kHz PCM16


def voiced(seconds: float) -> np.ndarray:
    """A 150 Hz buzz with 19 harmonics: webrtcvad takes it for a voice at every mode."""
    t = np.arange(int(RATE * seconds)) / RATE
    return sum(np.sin(2 * np.pi * 150 * k * t) / k for k in range(1, 20)) * 0.25


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(RATE * seconds))


def pcm_frames(*parts: np.ndarray) -> list[bytes]:
    pcm = (np.concatenate(parts) * 32767).astype("<i2").tobytes()
    return [pcm[i : i + PCM_FRAME] for i in range(0, len(pcm) - PCM_FRAME + 1, PCM_FRAME)]


def run(
    detector: TurnDetector, frames: list[bytes], *, bot_speaking: bool = False
) -> list[TurnEvent]:
    return [e for f in frames for e in detector.process(f, bot_speaking=bot_speaking)]


def scripted(pattern: str) -> tuple[TurnDetector, list[bytes]]:
    """A detector whose VAD answers from `pattern` ("1" voiced, "0" not), one char a frame."""
    decisions = iter(pattern)
    detector = TurnDetector(classify=lambda _frame: next(decisions) == "1")
    return detector, [bytes(PCM_FRAME)] * len(pattern)


# -- exact timing, from frame counts ---------------------------------------------------------


def test_speech_start_needs_start_ms_of_unbroken_voice() -> None:
    # 9 voiced frames (180 ms) then a gap: a blip. Then 10 voiced frames from frame 15.
    detector, frames = scripted("0" * 5 + "1" * 9 + "0" + "1" * 10 + "0" * 40)
    events = run(detector, frames)
    assert events[0] == SpeechStarted(at_ms=25 * 20, onset_ms=15 * 20)
    assert events[1] == TurnEnded(
        at_ms=25 * 20 + 600, speech_ms=200, last_voiced_at_ms=25 * 20, backchannel=False
    )
    assert len(events) == 2


def test_turn_ends_after_end_ms_of_unbroken_silence() -> None:
    # Voiced 0-400 ms, a 580 ms pause (not enough), voiced again 200 ms, then silence.
    detector, frames = scripted("1" * 20 + "0" * 29 + "1" * 10 + "0" * 31)
    events = run(detector, frames)
    assert [type(e) for e in events] == [SpeechStarted, TurnEnded]
    end = events[1]
    assert end.last_voiced_at_ms == (20 + 29 + 10) * 20
    assert end.at_ms == end.last_voiced_at_ms + 600
    assert end.speech_ms == end.last_voiced_at_ms  # onset at 0, the pause included
    assert not detector.in_speech


def test_a_second_turn_starts_afresh() -> None:
    detector, frames = scripted(("1" * 12 + "0" * 30) * 2)
    events = run(detector, frames)
    assert [type(e) for e in events] == [SpeechStarted, TurnEnded] * 2
    assert events[2] == SpeechStarted(at_ms=(42 + 10) * 20, onset_ms=42 * 20)


def test_backchannel_under_backchannel_ms_is_not_a_barge_in() -> None:
    detector, frames = scripted("1" * 19 + "0" * 30)  # 380 ms
    events = run(detector, frames, bot_speaking=True)
    assert [type(e) for e in events] == [SpeechStarted, TurnEnded]
    assert events[1].backchannel


def test_barge_in_at_exactly_backchannel_ms_over_the_bot() -> None:
    detector, frames = scripted("0" * 3 + "1" * 50 + "0" * 30)
    events = run(detector, frames, bot_speaking=True)
    assert [type(e) for e in events] == [SpeechStarted, BargeIn, TurnEnded]
    assert events[1] == BargeIn(at_ms=3 * 20 + 400)
    assert not events[2].backchannel


def test_no_barge_in_while_the_bot_is_silent() -> None:
    detector, frames = scripted("1" * 50 + "0" * 30)
    events = run(detector, frames, bot_speaking=False)
    assert [type(e) for e in events] == [SpeechStarted, TurnEnded]
    assert not events[1].backchannel


def test_barge_in_counts_only_speech_over_the_bot() -> None:
    # The caller talks 300 ms, then the bot starts: 400 ms more are needed to interrupt it.
    detector, frames = scripted("1" * 60)
    events = run(detector, frames[:15], bot_speaking=False)
    events += run(detector, frames[15:], bot_speaking=True)
    assert [type(e) for e in events] == [SpeechStarted, BargeIn]
    assert events[1].at_ms == 15 * 20 + 400


def test_frames_must_be_20_ms() -> None:
    with pytest.raises(ValueError, match="320-byte"):
        TurnDetector().process(bytes(160))


# -- the real webrtcvad -----------------------------------------------------------------------


def test_webrtcvad_turn_on_a_voice_like_signal() -> None:
    detector = TurnDetector()
    events = run(detector, pcm_frames(silence(0.3), voiced(1.0), silence(1.0)))
    assert [type(e) for e in events] == [SpeechStarted, TurnEnded]
    started, ended = events
    assert started == SpeechStarted(at_ms=300 + 200, onset_ms=300)
    # webrtcvad's hangover keeps a few frames "voiced" after the buzz stops.
    assert 1300 <= ended.last_voiced_at_ms <= 1300 + 200
    assert ended.at_ms == ended.last_voiced_at_ms + 600
    assert ended.speech_ms == ended.last_voiced_at_ms - 300


@pytest.mark.parametrize("mode", [0, 3])
def test_webrtcvad_mode_is_configurable(mode: int) -> None:
    events = run(TurnDetector(mode=mode), pcm_frames(voiced(0.5), silence(1.0)))
    assert [type(e) for e in events] == [SpeechStarted, TurnEnded]


def test_webrtcvad_short_burst_over_the_bot_is_a_backchannel() -> None:
    events = run(TurnDetector(), pcm_frames(voiced(0.2), silence(1.0)), bot_speaking=True)
    assert not any(isinstance(e, BargeIn) for e in events)
    assert isinstance(events[-1], TurnEnded) and events[-1].backchannel


def test_webrtcvad_one_second_over_the_bot_is_a_barge_in() -> None:
    events = run(TurnDetector(), pcm_frames(voiced(1.0), silence(1.0)), bot_speaking=True)
    assert [type(e) for e in events] == [SpeechStarted, BargeIn, TurnEnded]
    assert events[1] == BargeIn(at_ms=400)


def test_silence_and_line_hiss_start_nothing() -> None:
    hiss = np.random.default_rng(7).normal(0, 0.002, RATE * 2)
    assert run(TurnDetector(), pcm_frames(silence(1.0), hiss)) == []


async def test_real_speech_is_one_turn(speaker: Speaker) -> None:
    """espeak-ng speech as it comes off the phone line: mu-law frames, decoded per frame."""
    mulaw = await speaker.synthesize("Yes, I can pay on Friday.")
    frames = split_frames(mulaw) + split_frames(b"\xff" * 8000)  # then 1 s of silence
    detector = TurnDetector()
    events = run(detector, [mulaw_to_pcm16(f) for f in frames])
    assert [type(e) for e in events] == [SpeechStarted, TurnEnded]
    speech_ms = len(mulaw) / 8
    assert 0.6 * speech_ms < events[1].speech_ms <= speech_ms + 200


def test_a_complete_transcript_ends_the_turn_after_the_shorter_wait() -> None:
    decisions = iter("1" * 20 + "0" * 40)
    detector = TurnDetector(
        classify=lambda _frame: next(decisions) == "1", end_ms=600, complete_end_ms=240
    )
    frames = [bytes(PCM_FRAME)] * 60
    events = run(detector, frames[:21])  # speech, then the first silent frame
    detector.transcript_complete = True  # the session heard a whole expected phrase
    events += run(detector, frames[21:])
    ended = events[-1]
    assert isinstance(ended, TurnEnded)
    assert ended.at_ms == ended.last_voiced_at_ms + 240
    assert not detector.transcript_complete  # the next turn waits the full end_ms again


def test_voice_after_a_complete_transcript_needs_the_full_wait_again() -> None:
    # Complete at the first pause, but the caller goes on: the full wait applies again unless
    # the session says the longer text is complete too.
    decisions = iter("1" * 20 + "0" * 5 + "1" * 10 + "0" * 40)
    detector = TurnDetector(
        classify=lambda _frame: next(decisions) == "1", end_ms=600, complete_end_ms=240
    )
    frames = [bytes(PCM_FRAME)] * 75
    run(detector, frames[:21])
    detector.transcript_complete = True
    events = run(detector, frames[21:25])  # 4 more silent frames: still under 240 ms
    assert not events
    events = run(detector, frames[25:26])  # the caller speaks again
    assert not detector.transcript_complete  # what was heard is no longer the whole answer
    events += run(detector, frames[26:])
    assert events[-1].at_ms == events[-1].last_voiced_at_ms + 600
