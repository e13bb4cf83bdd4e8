from __future__ import annotations

import asyncio
import logging
import sys

import numpy as np
import pytest

from telephony.audio import mulaw_to_pcm16
from telephony.speakable import speakable
from telephony.tts import Speaker


def seconds(mulaw: bytes) -> float:
    return len(mulaw) / 8000


def loudness(mulaw: bytes) -> float:
    return float(np.sqrt(np.mean(np.frombuffer(mulaw_to_pcm16(mulaw), "<i2") ** 2.0)))


async def test_a_sentence_is_phone_audio_of_plausible_length(speaker: Speaker, capsys) -> None:
    audio = await speaker.synthesize("Hello, this is a reminder about your account.")
    assert isinstance(audio, bytes)
    assert 1.5 < seconds(audio) < 6.0  # 8 words at 175 words a minute, plus pauses
    assert loudness(audio) > 500  # speech, not silence
    assert capsys.readouterr().out == ""  # pyttsx3's "Audio saved to ..." print is silenced


async def test_speakable_is_applied_first(speaker: Speaker, monkeypatch) -> None:
    import telephony.tts

    seen: list[str] = []

    def spy(text: str) -> str:
        seen.append(text)
        return speakable(text)

    monkeypatch.setattr(telephony.tts, "speakable", spy)
    audio = await speaker.synthesize("Ref 6250A4F5 for $5")
    assert seen == ["Ref 6250A4F5 for $5"]
    assert seconds(audio) > 2  # eight characters spelled out, then "5 dollars"


async def test_repeat_is_a_cache_hit_with_identical_bytes(speaker: Speaker) -> None:
    first = await speaker.synthesize("Thank you for your time.")
    before = speaker.cache_stats
    second = await speaker.synthesize("Thank you for your time.")
    after = speaker.cache_stats
    assert second == first
    assert (after.hits, after.misses) == (before.hits + 1, before.misses)


async def test_voice_and_rate_are_part_of_the_cache_key(speaker: Speaker) -> None:
    before = speaker.cache_stats
    await speaker.synthesize("Goodbye.")
    await speaker.synthesize("Goodbye.", rate=120)
    await speaker.synthesize("Goodbye.", voice="en-gb")
    assert speaker.cache_stats.misses == before.misses + 3


async def test_rate_changes_take_effect_every_time(speaker: Speaker) -> None:
    """pyttsx3 used to drop rate changes at random (espeak_Cancel on its queued command)."""
    text = "one two three four five six"
    for round_ in range(3):
        slow = await speaker.synthesize(text, rate=100 + round_)
        fast = await speaker.synthesize(text, rate=300 + round_)
        assert seconds(slow) > 2 * seconds(fast)


async def test_an_utterance_the_driver_cancels_is_redone(speaker: Speaker, monkeypatch, caplog):
    """espeak-ng looks busy for an instant when it closes an idle stream, and pyttsx3's driver
    then cancels the utterance it is starting. Make it cancel ours, once, before espeak has
    produced anything (the driver's loop checks its stop flag right after starting)."""
    from pyttsx3.drivers.espeak import EspeakDriver

    text = "This one is cancelled once, then said in full."
    uncancelled = seconds(await speaker.synthesize(text, rate=176))
    real_start = EspeakDriver._start_synthesis
    cancelled = []

    def start_or_cancel(driver, what):
        if cancelled or _called_from("_settle"):  # not the idle loop that settles the driver
            real_start(driver, what)
            return
        cancelled.append(True)
        driver._proxy.setBusy(True)
        driver._stopping = True  # what the driver's stop() sets when espeak looks busy

    monkeypatch.setattr(EspeakDriver, "_start_synthesis", start_or_cancel)
    with caplog.at_level(logging.WARNING, logger="telephony.tts"):
        audio = await speaker.synthesize(text)
    assert cancelled
    assert "cancelled the utterance (attempt 1 of 3)" in caplog.text
    assert seconds(audio) == pytest.approx(uncancelled, rel=0.05)


def _called_from(name: str) -> bool:
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == name:
            return True
        frame = frame.f_back
    return False


async def test_concurrent_calls_from_several_tasks(speaker: Speaker) -> None:
    # Lengths at least 25 % apart, so that swapped results would show.
    texts = [
        "One.",
        "This sentence is a good deal longer than any of the others here.",
        "Two words, then more.",
        "This one is longer still, with a great many more words in it, on and on and on.",
        "Three, four.",
        "Five, six, seven, and eight.",
    ]
    before = speaker.cache_stats
    results = await asyncio.gather(*(speaker.synthesize(t) for t in texts + texts[:2]))
    assert all(seconds(audio) > 0.3 for audio in results)
    assert results[6] == results[0] and results[7] == results[1]
    after = speaker.cache_stats
    assert after.misses == before.misses + 6  # the duplicates joined the jobs in flight
    assert after.hits == before.hits + 2
    # Each result belongs to its own text: a second Speaker (sharing espeak-ng with the first,
    # with its own cache) says the texts one at a time. espeak-ng carries some state from one
    # utterance to the next (pitch, it seems), so lengths agree within ~10 %, not exactly.
    other = Speaker()
    try:
        alone = [seconds(await other.synthesize(t)) for t in texts]
    finally:
        other.close()
    assert alone == pytest.approx([seconds(a) for a in results[:6]], rel=0.15)


async def test_korean_voice(speaker: Speaker) -> None:
    audio = await speaker.synthesize("금요일", voice="ko")
    assert 0.3 < seconds(audio) < 2.0
    assert loudness(audio) > 500


async def test_unknown_voice_is_an_error_and_the_speaker_goes_on(speaker: Speaker) -> None:
    with pytest.raises(ValueError, match="no-such-voice"):
        await speaker.synthesize("Hello.", voice="no-such-voice")
    assert seconds(await speaker.synthesize("Still here.")) > 0.3


async def test_empty_text_is_no_audio(speaker: Speaker) -> None:
    assert await speaker.synthesize("  ") == b""


async def test_lru_evicts_the_oldest() -> None:
    speaker = Speaker(cache_size=2)
    try:
        for text in ("one", "two", "one", "three"):  # "two" is the least recently used
            await speaker.synthesize(text)
        await speaker.synthesize("one")
        assert speaker.cache_stats.size == 2
        assert speaker.cache_stats.hits == 2
        await speaker.synthesize("two")
        assert speaker.cache_stats.misses == 4
    finally:
        speaker.close()


async def test_closed_speaker_refuses_work() -> None:
    speaker = Speaker()
    await speaker.synthesize("Hi.")
    speaker.close()
    speaker.close()  # idempotent
    with pytest.raises(RuntimeError, match="closed"):
        await speaker.synthesize("Hi.")
