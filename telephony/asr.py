"""Streaming speech recognition with Vosk (Kaldi), one recogniser per call.

The model is large (the small Korean one is ~250 MB and takes seconds to load), so it is
loaded once per path and shared; recognisers are cheap and hold one caller's decoding state.
Vosk's small models are 16 kHz: upsample 8 kHz phone audio with `audio.Resampler` first.

Decoding is CPU-bound (grammar mode runs far faster than free recognition): a server should
call `accept` from a worker thread rather than on the event loop.
"""

from __future__ import annotations

import json
import os
import threading

import vosk

UNKNOWN_WORD = "[unk]"  # Vosk's catch-all for speech outside the grammar, if the model has it


class ModelMissing(RuntimeError):
    """No usable Vosk model at the configured place."""

    def __init__(self, path: str) -> None:
        super().__init__(f"no Vosk model at {path}; set VOSK_MODEL_PATH or run `make models`")
        self.path = path


_models: dict[str, vosk.Model] = {}
_models_lock = threading.Lock()  # loading takes seconds: two callers must not both load


def load_model(path: str | None = None) -> vosk.Model:
    """Load (once per path) the Vosk model at `path`, else at $VOSK_MODEL_PATH."""
    where = path or os.environ.get("VOSK_MODEL_PATH")
    if not where:
        raise ModelMissing("<unset>")
    key = os.path.realpath(where)
    with _models_lock:
        model = _models.get(key)
        if model is None:
            if not os.path.isdir(key):
                raise ModelMissing(where)
            vosk.SetLogLevel(-1)  # Kaldi logs every model part it loads to stderr otherwise
            try:
                model = vosk.Model(key)
            except Exception as exc:  # vosk raises a bare Exception on a bad model folder
                raise ModelMissing(where) from exc
            _models[key] = model
        return model


def unknown_words(model: vosk.Model, phrases: list[str]) -> list[str]:
    """The words of `phrases` that the model's vocabulary lacks (Vosk would drop them)."""
    words = {word for phrase in phrases for word in phrase.split()}
    return sorted(w for w in words if w != UNKNOWN_WORD and model.vosk_model_find_word(w) < 0)


class StreamingRecognizer:
    """Feed PCM16 chunks of one caller turn; read partial text as it grows, then the final text.

    Vosk may detect an endpoint by itself inside what our VAD still calls one turn; the text of
    such segments is kept and joined, so `final()` always returns the whole turn.
    """

    def __init__(
        self, *, model: vosk.Model, sample_rate: int = 16000, grammar: list[str] | None = None
    ) -> None:
        self._model = model
        self.sample_rate = sample_rate
        self._segments: list[str] = []
        self._grammar, spec = self._compile(grammar)
        # Built with the grammar up front: a free recogniser would first compose the model's
        # whole language-model graph only to throw it away.
        if spec is None:
            self._rec = vosk.KaldiRecognizer(model, float(sample_rate))
        else:
            self._rec = vosk.KaldiRecognizer(model, float(sample_rate), spec)

    @property
    def model(self) -> vosk.Model:
        return self._model

    @property
    def grammar(self) -> list[str] | None:
        return None if self._grammar is None else list(self._grammar)

    def accept(self, pcm16: bytes) -> str | None:
        """Decode a chunk; return the turn's text so far, or None while there is none."""
        if self._rec.AcceptWaveform(pcm16):
            self._keep(json.loads(self._rec.Result()).get("text", ""))
            partial = ""
        else:
            partial = json.loads(self._rec.PartialResult()).get("partial", "")
        text = " ".join([*self._segments, partial]).strip()
        return text or None

    def final(self) -> str:
        """Finish the turn: return its whole text and get ready for the next turn."""
        self._keep(json.loads(self._rec.FinalResult()).get("text", ""))
        text = " ".join(self._segments)
        self._segments = []
        return text

    def reset(self) -> None:
        """Drop the current turn's audio and text."""
        self._rec.Reset()
        self._segments = []

    def set_grammar(self, grammar: list[str] | None) -> None:
        """Restrict recognition to these phrases, or return to free recognition with None.

        Takes effect from the next audio and discards the turn in progress: Vosk aborts the
        whole process (an uncaught C++ KaldiFatalError) if the grammar changes while it is
        decoding, so the recogniser is reset first.
        """
        phrases, spec = self._compile(grammar)
        self.reset()
        self._rec.SetGrammar(spec or "[]")  # "[]": Vosk goes back to the model's own LM graph
        self._grammar = phrases

    def _compile(self, grammar: list[str] | None) -> tuple[list[str] | None, str | None]:
        """Check a grammar against the vocabulary; return (phrases, Vosk JSON) or (None, None)."""
        if grammar is None:
            return None, None
        phrases = [p.strip() for p in grammar if p.strip() and p.strip() != UNKNOWN_WORD]
        if not phrases:
            raise ValueError("empty grammar; pass None for free recognition")
        missing = unknown_words(self._model, phrases)
        if missing:
            # Vosk would silently drop them, and the phrase would never be recognised.
            raise ValueError(f"words missing from the model's vocabulary: {missing}")
        # "[unk]" lets out-of-grammar speech come out as "[unk]" instead of the nearest phrase;
        # some models (the small Korean one) lack it, and Vosk would only log a warning.
        if self._model.vosk_model_find_word(UNKNOWN_WORD) >= 0:
            phrases.append(UNKNOWN_WORD)
        return phrases, json.dumps(phrases, ensure_ascii=False)

    def _keep(self, text: str) -> None:
        if text.strip():
            self._segments.append(text.strip())
