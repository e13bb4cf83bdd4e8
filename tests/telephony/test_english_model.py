"""English speech through an English Vosk model, when one is present.

No English model can be downloaded on the build machines (see `make models`), so in CI this test
says why it did not run; on a machine with the model (VOSK_MODEL_PATH, or var/models after
`make models`) it speaks English through the whole recognition path."""

import asyncio
import os
from pathlib import Path

import pytest

from bot.settings import ROOT
from telephony.asr import StreamingRecognizer, load_model
from telephony.audio import Resampler, mulaw_to_pcm16

DEFAULT = ROOT / "var" / "models" / "vosk-model-small-en-us-0.15"


def english_model() -> Path | None:
    path = Path(os.environ.get("VOSK_MODEL_PATH", DEFAULT))
    is_english = "en" in path.name.split("-") or os.environ.get("VOSK_MODEL_IS_ENGLISH") == "1"
    return path if path.exists() and is_english else None


@pytest.mark.skipif(
    english_model() is None,
    reason="no English Vosk model here: `make models` "
    "needs the internet (set VOSK_MODEL_PATH to an English model to run it)",
)
def test_english_yes_and_digits_are_recognised(speaker):
    model = load_model(str(english_model()))
    for text, grammar in (
        ("yes", ["yes", "no"]),
        (
            "four eight two one",
            ["zero one two three four five six seven " "eight nine", "four", "eight", "two", "one"],
        ),
    ):
        audio = asyncio.run(speaker.synthesize(text))
        recognizer = StreamingRecognizer(model=model, grammar=grammar)
        recognizer.accept(Resampler(from_rate=8000, to_rate=16000).convert(mulaw_to_pcm16(audio)))
        assert recognizer.final() == text
