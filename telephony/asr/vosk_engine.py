"""The Vosk (Kaldi) engine: streaming recognition with partials and grammar mode, one
recogniser per call.

The model is large (the small Korean one is ~250 MB and takes seconds to load), so it is
loaded once per path and shared; recognisers are cheap and hold one caller's decoding state.
Vosk's small models are 16 kHz: upsample 8 kHz phone audio with `audio.Resampler` first.

Decoding is CPU-bound (grammar mode runs far faster than free recognition): a server should
call `accept` from a worker thread rather than on the event loop.

Why free recognition borrows its decoder from a pool: the small Vosk models are "lookahead"
models (HCLr + Gr composed on the fly), and each Kaldi recogniser caches the part of that
composition it has explored. A fresh recogniser spends 0.5-0.8 s of CPU on its first second of
speech building the cache; a warm one decodes the same speech in 20-70 ms. Switching a
recogniser to a grammar throws the cache away. So free recognition borrows a warm recogniser
for one caller turn and gives it back, and grammar turns use small grammar recognisers of their
own (those cost almost nothing to build or to run).
"""

from __future__ import annotations

import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor

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


class RecognizerPool:
    """Warm free-recognition decoders of one model, shared by every call (thread-safe)."""

    def __init__(self, model: vosk.Model, sample_rate: int = 16000, max_idle: int = 8) -> None:
        self.model = model
        self.sample_rate = sample_rate
        self.max_idle = max_idle  # each warm decoder holds tens of MB of graph cache
        self._idle: list[vosk.KaldiRecognizer] = []
        self._lock = threading.Lock()
        self.created = 0

    def acquire(self) -> vosk.KaldiRecognizer:
        with self._lock:
            if self._idle:
                return self._idle.pop()  # the most recently used: the warmest
            self.created += 1
        return vosk.KaldiRecognizer(self.model, float(self.sample_rate))

    def release(self, rec: vosk.KaldiRecognizer) -> None:
        # FinalResult ends the utterance and drops the feature pipeline's state (a bare Reset
        # mid-utterance would let the next caller inherit this one's audio and adaptation);
        # the graph cache, the point of the pool, survives both.
        rec.FinalResult()
        rec.Reset()
        with self._lock:
            if len(self._idle) < self.max_idle:
                self._idle.append(rec)

    @property
    def idle(self) -> int:
        return len(self._idle)

    def warm(self, utterances: list[bytes], count: int, threads: int | None = None) -> None:
        """Decode some speech (PCM16 at the pool's rate) on `count` decoders and keep them (up to
        max_idle), so the first callers do not pay for building the graph cache. Decoders are
        warmed `threads` at a time (default: one per CPU)."""

        def warm_one(rec: vosk.KaldiRecognizer) -> None:
            for pcm in utterances:
                for start in range(0, len(pcm), 3200):
                    rec.AcceptWaveform(pcm[start : start + 3200])
                rec.FinalResult()

        recs = [self.acquire() for _ in range(count)]
        with ThreadPoolExecutor(max_workers=threads or os.cpu_count() or 1) as workers:
            list(workers.map(warm_one, recs))
        for rec in recs:
            self.release(rec)


_pools: dict[tuple[int, int], RecognizerPool] = {}


def pools() -> list[RecognizerPool]:
    """Every pool of this process (for the metrics of recogniser use)."""
    with _models_lock:
        return list(_pools.values())


def pool_for(model: vosk.Model, sample_rate: int = 16000) -> RecognizerPool:
    """The process-wide pool of free decoders for this model and rate."""
    key = (id(model), sample_rate)
    with _models_lock:
        pool = _pools.get(key)
        if pool is None or pool.model is not model:
            pool = _pools[key] = RecognizerPool(model, sample_rate)
        return pool


class VoskRecognizer:
    """Feed PCM16 chunks of one caller turn; read partial text as it grows, then the final text.

    Vosk may detect an endpoint by itself inside what our VAD still calls one turn; the text of
    such segments is kept and joined, so `final()` always returns the whole turn.
    """

    def __init__(
        self,
        *,
        model: vosk.Model,
        sample_rate: int = 16000,
        grammar: list[str] | None = None,
        pool: RecognizerPool | None = None,
    ) -> None:
        self._model = model
        self.sample_rate = sample_rate
        self._pool = pool or pool_for(model, sample_rate)
        self._segments: list[str] = []
        self._free: vosk.KaldiRecognizer | None = None  # borrowed for the turn in progress
        self._grammars: dict[str, vosk.KaldiRecognizer] = {}  # this caller's grammar decoders
        self._grammar: list[str] | None = None
        self._spec: str | None = None
        self.set_grammar(grammar)

    @property
    def model(self) -> vosk.Model:
        return self._model

    @property
    def grammar(self) -> list[str] | None:
        return None if self._grammar is None else list(self._grammar)

    def _decoder(self) -> vosk.KaldiRecognizer:
        if self._spec is not None:
            return self._grammars[self._spec]
        if self._free is None:
            self._free = self._pool.acquire()
        return self._free

    def accept(self, pcm16: bytes) -> str | None:
        """Decode a chunk; return the turn's text so far, or None while there is none."""
        rec = self._decoder()
        if rec.AcceptWaveform(pcm16):
            self._keep(json.loads(rec.Result()).get("text", ""))
            partial = ""
        else:
            partial = json.loads(rec.PartialResult()).get("partial", "")
        text = " ".join([*self._segments, partial]).strip()
        return text or None

    def final(self) -> str:
        """Finish the turn: return its whole text and get ready for the next turn."""
        if self._spec is not None or self._free is not None:
            self._keep(json.loads(self._decoder().FinalResult()).get("text", ""))
        self._give_back()
        text = " ".join(self._segments)
        self._segments = []
        return text

    def reset(self) -> None:
        """Drop the current turn's audio and text."""
        if self._spec is not None:
            self._grammars[self._spec].Reset()
        self._give_back()
        self._segments = []

    def close(self) -> None:
        """Give a borrowed decoder back (a call that hangs up mid-turn)."""
        self.reset()

    def _give_back(self) -> None:
        if self._free is not None:
            self._pool.release(self._free)
            self._free = None

    def set_grammar(self, grammar: list[str] | None) -> None:
        """Restrict recognition to these phrases, or return to free recognition with None.

        Takes effect from the next audio and discards the turn in progress. A grammar gets a
        decoder of its own rather than `SetGrammar` on a shared one: Vosk aborts the whole
        process (an uncaught C++ KaldiFatalError) if a grammar changes mid-decoding, and the
        change would throw away a free decoder's warm graph cache.
        """
        phrases, spec = self._compile(grammar)
        self.reset()
        if spec is not None and spec not in self._grammars:
            self._grammars[spec] = vosk.KaldiRecognizer(self._model, float(self.sample_rate), spec)
        self._grammar, self._spec = phrases, spec

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
