"""The Whisper engine (faster-whisper on CTranslate2): each caller turn's audio, as the VAD gated
it, transcribed whole; grammar turns mapped onto their phrases (telephony/asr/grammar.py).

Whisper is not a streaming recogniser: it reads a whole utterance (its encoder always looks at a
30 s window, so a short turn costs about as much as a long one). So the recogniser buffers the
turn and decodes it when the caller pauses (`pause_ms` of silence after speech, before the VAD's
end of turn); if no more speech follows, the end of the turn reuses that text, so it is ready
when the turn ends instead of starting then. That early text is also the turn's "partial",
which lets a yes/no turn end after the short silence as on Vosk.

A model is loaded once per path and language and shared by every call (CTranslate2 queues
concurrent requests itself). The two recognisers of a grammar turn with free fallback see the
same audio: the model keeps the last few transcriptions by audio and prompt, so the same
decoding is never run twice.

A model may be given a `prompt` (Whisper's initial prompt: the text it takes as what came
before, e.g. a hint of the script to write in), `grammar_prompt` (a grammar turn's phrases
become the prompt, so a short answer is written as one of them rather than as a homophone: the
multilingual base model hears espeak-ng's "shi4 wo3" as 鼻窩 unprompted, as 是我 with the
phrases) and `lead_ms` of silence before each turn (a clip that starts on its first syllable
loses that syllable more often).
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections import OrderedDict

import numpy as np
import webrtcvad

from telephony.asr.grammar import map_to_grammar

FRAME_MS = 20


class WhisperModelMissing(RuntimeError):
    """No usable Whisper (CTranslate2) model at the configured place."""

    def __init__(self, path: str, why: str = "") -> None:
        super().__init__(
            f"no Whisper model at {path}{': ' + why if why else ''}; set WHISPER_MODEL_PATH "
            "to a CTranslate2 Whisper model folder"
        )
        self.path = path


class WhisperModel:
    """A loaded Whisper model for one language, with its transcription cache (thread-safe)."""

    def __init__(
        self,
        path: str,
        *,
        language: str | None = "en",
        threads: int = 2,
        compute_type: str = "int8",
        beam_size: int = 1,
        prompt: str | None = None,
        grammar_prompt: bool = False,
        lead_ms: int = 0,
    ) -> None:
        from faster_whisper import WhisperModel as _Whisper  # heavy: only when an engine loads

        self.path = path
        self.language = language
        self.beam_size = beam_size
        self.prompt = prompt
        self.grammar_prompt = grammar_prompt
        self.lead = b"\x00\x00" * (16 * lead_ms)  # 16 samples a millisecond at 16 kHz
        started = time.perf_counter()
        try:
            self._model = _Whisper(
                path, device="cpu", compute_type=compute_type, cpu_threads=threads
            )
        except (RuntimeError, ValueError, OSError) as exc:
            raise WhisperModelMissing(path, str(exc)) from exc
        self.load_s = time.perf_counter() - started
        self._cache: OrderedDict[bytes, str] = OrderedDict()
        self._lock = threading.Lock()
        self.decodes = 0  # transcriptions actually run (not answered from the cache)
        self.decode_s = 0.0

    def prompt_for(self, phrases: list[str] | None) -> str | None:
        """The initial prompt of a turn: the grammar's phrases (if this model is prompted with
        them) as a list in the model's language, or the model's own prompt."""
        if not (phrases and self.grammar_prompt):
            return self.prompt
        comma, stop = ("，", "。") if self.language in ("zh", "ja") else (", ", ".")
        return comma.join(phrases) + stop

    def transcribe(
        self, pcm16: bytes, sample_rate: int = 16000, *, phrases: list[str] | None = None
    ) -> str:
        """The text of one utterance of 16 kHz PCM16 ("" for none); `phrases`: the grammar the
        turn listens for (a prompt, on a model with `grammar_prompt`)."""
        if sample_rate != 16000:
            raise ValueError("Whisper reads 16 kHz audio: upsample with audio.Resampler first")
        if not pcm16:
            return ""
        prompt = self.prompt_for(phrases)
        key = hashlib.blake2b(pcm16 + (prompt or "").encode(), digest_size=16).digest()
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        samples = np.frombuffer(self.lead + pcm16, dtype=np.int16).astype(np.float32) / 32768.0
        started = time.perf_counter()
        segments, _ = self._model.transcribe(
            samples,
            language=self.language,
            beam_size=self.beam_size,
            vad_filter=False,  # our VAD already gated the turn
            without_timestamps=True,
            condition_on_previous_text=False,
            # Greedy only: faster-whisper's default falls back to sampling at higher temperatures
            # when a decoding looks poor, which made a turn's text change from run to run (and
            # costs a second decoding on the line).
            temperature=0.0,
            initial_prompt=prompt,
        )
        text = " ".join(s.text.strip() for s in segments).strip()
        if self.prompt and _bare(text) == _bare(self.prompt):
            text = ""  # the prompt written back: Whisper's guess for speech it could not read
        with self._lock:
            self.decodes += 1
            self.decode_s += time.perf_counter() - started
            self._cache[key] = text
            while len(self._cache) > 8:
                self._cache.popitem(last=False)
        return text

    def warm(self, utterances: list[bytes]) -> None:
        """Decode some speech once: CTranslate2's first run allocates its buffers."""
        for pcm in utterances:
            self.transcribe(pcm + b"\x00\x02")  # never a cache hit: each warm-up decodes


def _bare(text: str) -> str:
    return "".join(c for c in text if c.isalnum()).lower()


_models: dict[tuple, WhisperModel] = {}
_models_lock = threading.Lock()


def load_whisper(
    path: str,
    *,
    language: str | None = "en",
    threads: int = 2,
    beam_size: int = 1,
    prompt: str | None = None,
    grammar_prompt: bool = False,
    lead_ms: int = 0,
) -> WhisperModel:
    """Load (once per path, language and prompting) the CTranslate2 Whisper model in folder
    `path`."""
    # One instance per path and language, however it is prompted: the first load's prompting
    # holds for the process (the gateway loads each language once, through models.load). Keyed
    # by the prompting too, the English model's transcriptions in the test process changed with
    # the tests that ran before them: not understood yet.
    key = (os.path.realpath(path), language)
    with _models_lock:
        model = _models.get(key)
        if model is None:
            if not os.path.isfile(os.path.join(key[0], "model.bin")):
                raise WhisperModelMissing(path)
            model = _models[key] = WhisperModel(
                key[0],
                language=language,
                threads=threads,
                beam_size=beam_size,
                prompt=prompt,
                grammar_prompt=grammar_prompt,
                lead_ms=lead_ms,
            )
        return model


class WhisperRecognizer:
    """One caller's turns on a Whisper model, with the StreamingRecognizer interface: feed
    PCM16 chunks with `accept`, read the text with `final`; `set_grammar` for grammar turns."""

    def __init__(
        self,
        *,
        model: WhisperModel,
        sample_rate: int = 16000,
        grammar: list[str] | None = None,
        pause_ms: int = 200,
        vad_mode: int = 2,
    ) -> None:
        self._model = model
        self.sample_rate = sample_rate
        self.pause_ms = pause_ms
        self._vad = webrtcvad.Vad(vad_mode)
        self._frame_bytes = sample_rate * FRAME_MS // 1000 * 2
        self._grammar: list[str] | None = None
        self.early = 0  # turns whose final text was the pause's decoding (for tests, benches)
        self.reset()
        self.set_grammar(grammar)

    @property
    def model(self) -> WhisperModel:
        return self._model

    @property
    def grammar(self) -> list[str] | None:
        return None if self._grammar is None else list(self._grammar)

    def accept(self, pcm16: bytes) -> str | None:
        """Buffer a chunk; at a pause after new speech, decode the turn so far. Returns the
        turn's text as of its last decoding (mapped onto the grammar), or None."""
        self._audio += pcm16
        self._rest += pcm16
        while len(self._rest) >= self._frame_bytes:
            frame, self._rest = self._rest[: self._frame_bytes], self._rest[self._frame_bytes :]
            if self._vad.is_speech(frame, self.sample_rate):
                self._quiet_ms, self._voiced_end, self._new_speech = 0, len(self._audio), True
            else:
                self._quiet_ms += FRAME_MS
        if self._new_speech and self._quiet_ms >= self.pause_ms:
            self._decode()
        return self._mapped() or None

    def final(self) -> str:
        """The whole turn's text; the recogniser is then ready for the next turn."""
        if self._new_speech or (self._text is None and self._audio):
            self._decode()
        else:
            self.early += self._text is not None
        text = self._mapped()
        self.reset()
        return text

    def reset(self) -> None:
        """Drop the turn in progress."""
        self._audio = b""
        self._rest = b""
        self._quiet_ms = 0
        self._voiced_end = 0
        self._new_speech = False
        self._text: str | None = None

    def close(self) -> None:
        self.reset()

    def set_grammar(self, grammar: list[str] | None) -> None:
        """Map the next turns onto these phrases, or keep free text with None; discards the
        turn in progress (as Vosk's does)."""
        if grammar is not None:
            grammar = [p.strip() for p in grammar if p.strip() and p.strip() != "[unk]"]
            if not grammar:
                raise ValueError("empty grammar; pass None for free recognition")
        self.reset()
        self._grammar = grammar

    def _decode(self) -> None:
        # Up to the pause, plus 100 ms of it: decoding the same audio again later is a cache hit.
        # (Our VAD found no speech in a turn the session's VAD ended: decode all of it.)
        end = self._voiced_end + self._frame_bytes * 5 if self._voiced_end else len(self._audio)
        self._text = self._model.transcribe(self._audio[:end], phrases=self._grammar)
        self._new_speech = False

    def _mapped(self) -> str:
        if not self._text:
            return ""
        return map_to_grammar(self._text, self._grammar) if self._grammar else self._text
