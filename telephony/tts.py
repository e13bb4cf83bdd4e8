"""Text to phone audio: pyttsx3 (espeak-ng driver) in one worker thread, with an LRU cache.

`await speaker.synthesize(text)` returns 8 kHz mu-law bytes ready for Twilio. Prompts repeat a
lot (greetings, confirmations), so results are cached per (text, voice, rate), and identical
requests already in progress are shared rather than synthesised twice.

Why one thread: pyttsx3 engines are not thread-safe, and espeak-ng is a process-global C
library (one voice, one audio callback), so every synthesis in the process is also serialised
by a module lock, even across Speakers.

pyttsx3 2.99's espeak driver needs these work-arounds, all in `_Engine`:

1. espeak-ng runs in AUDIO_OUTPUT_RETRIEVAL mode, which is asynchronous: `runAndWait()` can
   return while espeak's own thread is still synthesising, before the WAV file exists or while
   it is half written. We wait for the driver's "finished-utterance" notification, which comes
   after the file is closed.
2. The driver's end of loop calls `espeak_Cancel()` whenever `espeak_IsPlaying()` is true. That
   dropped a just-queued rate change (rates came out at random), and since a fresh driver
   starts "busy" and defers the first job's properties to exactly that moment, it cut short or
   emptied the first utterances in about one run in ten. So a fresh driver is flushed once,
   and before each utterance the properties are applied and espeak is left to go idle; an
   utterance the driver still reports cancelled (espeak also looks busy for an instant when it
   closes an idle stream) is redone.
3. The driver `print()`s "Audio saved to ..." on every file; that goes to our debug log.

Also: espeak-ng carries some state from one utterance to the next, so the same text said twice
in one process differs slightly (lengths within a few percent); the cache makes a repeated
prompt byte-identical. A language code ("en-gb") is mapped to an espeak-ng voice file.

Mandarin ("zh", "zh-cn", "cmn") is said by espeak-ng's `cmn-latn-pinyin` voice from
tone-numbered pinyin (`speakable_zh`): its `cmn` voice reads most Chinese characters as English
letter names.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import queue
import shutil
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from telephony.audio import Resampler, pcm16_to_mulaw, wav_to_pcm16
from telephony.speakable import speakable
from telephony.speakable_zh import speakable_zh

log = logging.getLogger(__name__)

PHONE_RATE = 8000
_ESPEAK_LOCK = threading.Lock()  # espeak-ng has one global state per process
_ATTEMPTS = 3

Key = tuple[str, str, int]

PINYIN_VOICE = "cmn-latn-pinyin"
# Said from pinyin by PINYIN_VOICE, whichever of these names the caller uses.
MANDARIN = frozenset({"zh", "zh-cn", "zh-hans", "zh-cmn", "cmn", "cmn-hans", PINYIN_VOICE})


def is_mandarin(voice: str) -> bool:
    return voice.lower() in MANDARIN


@dataclass(frozen=True, slots=True)
class CacheStats:
    hits: int  # answered from the cache, or by joining the same request in progress
    misses: int  # synthesised
    size: int
    maxsize: int


@dataclass(frozen=True, slots=True)
class _Job:
    key: Key
    future: concurrent.futures.Future[bytes]


class Speaker:
    """Async text-to-speech for the phone line; `close()` it when done."""

    def __init__(
        self,
        *,
        voice: str = "en-us",
        rate: int = 175,
        cache_size: int = 512,
        timeout_s: float = 30.0,
    ) -> None:
        """`voice`: an espeak-ng voice or language ("en-us", "ko", "zh"); `rate`: words (for
        Mandarin, syllables) per minute."""
        self.voice = voice
        self.rate = rate
        self._timeout_s = timeout_s
        self._maxsize = cache_size
        self._cache: OrderedDict[Key, bytes] = OrderedDict()
        self._pending: dict[Key, concurrent.futures.Future[bytes]] = {}
        self._lock = threading.Lock()  # cache, pending and stats: callers may be on any thread
        self._hits = 0
        self._misses = 0
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None  # started by the first synthesis
        self._closed = False

    async def synthesize(
        self, text: str, *, voice: str | None = None, rate: int | None = None
    ) -> bytes:
        """Speak `text` (made speakable first); return 8 kHz mono mu-law audio."""
        key: Key = (text, voice or self.voice, rate or self.rate)
        if not text.strip():
            return b""
        with self._lock:
            if self._closed:
                raise RuntimeError("Speaker is closed")
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                self._hits += 1
                return cached
            future = self._pending.get(key)
            if future is not None:
                self._hits += 1
            else:
                self._misses += 1
                future = concurrent.futures.Future()
                self._pending[key] = future
                self._start()
                self._jobs.put(_Job(key, future))
        # Shielded: one caller giving up must not cancel a result others are waiting for.
        return await asyncio.shield(asyncio.wrap_future(future))

    @property
    def cache_stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(self._hits, self._misses, len(self._cache), self._maxsize)

    def close(self) -> None:
        """Finish the queued jobs, then stop the worker thread."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            thread = self._thread
        if thread is not None:
            self._jobs.put(None)
            thread.join(self._timeout_s)

    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="speaker", daemon=True)
            self._thread.start()

    def _work(self) -> None:
        engine: _Engine | None = None
        try:
            while (job := self._jobs.get()) is not None:
                try:
                    engine = engine or _Engine(timeout_s=self._timeout_s)
                    audio = engine.render(*job.key)
                except Exception as exc:  # the awaiting caller gets it
                    with self._lock:
                        del self._pending[job.key]
                    job.future.set_exception(exc)
                else:
                    self._store(job.key, audio)
                    job.future.set_result(audio)
        finally:
            if engine is not None:
                engine.close()

    def _store(self, key: Key, audio: bytes) -> None:
        with self._lock:
            del self._pending[key]
            self._cache[key] = audio
            while len(self._cache) > self._maxsize:
                self._cache.popitem(last=False)


class _Engine:
    """The pyttsx3 engine, owned by one worker thread."""

    def __init__(self, *, timeout_s: float) -> None:
        import pyttsx3  # here, not at import time: it loads libespeak-ng
        import pyttsx3.drivers.espeak as espeak_driver
        from pyttsx3.drivers import _espeak

        # Work-around 3: the driver's print() finds this module global before the builtin.
        espeak_driver.print = _driver_print  # type: ignore[attr-defined]
        self._espeak = _espeak
        self._timeout_s = timeout_s
        self._finished = threading.Event()
        self._cancelled = False
        self._errors: list[BaseException] = []
        self._dir = tempfile.mkdtemp(prefix="speaker-")
        with _ESPEAK_LOCK:
            # pyttsx3 hands out one shared engine per driver while one is alive.
            self._engine = pyttsx3.init("espeak")
            self._tokens = [
                self._engine.connect("finished-utterance", self._on_finished),
                self._engine.connect("error", self._on_error),
            ]
            # espeak-ng finds a voice by its name or file ("ko", "en-us", "gmw/en"), not by
            # its language ("en-gb" is the file gmw/en): map languages to voice files too.
            self._by_language: dict[str, str] = {}
            for found in self._engine.getProperty("voices"):
                for language in found.languages:
                    self._by_language.setdefault(language.lower(), found.id)
            self._settle()

    def render(self, text: str, voice: str, rate: int) -> bytes:
        """Synthesise one utterance; return it as 8 kHz mu-law."""
        if is_mandarin(voice):
            text, voice = speakable_zh(text), PINYIN_VOICE
        else:
            text = speakable(text)
        with _ESPEAK_LOCK:
            pcm, wav_rate = self._synthesize(text, voice, rate)
        return pcm16_to_mulaw(Resampler(from_rate=wav_rate, to_rate=PHONE_RATE).convert(pcm))

    def close(self) -> None:
        with _ESPEAK_LOCK:
            for token in self._tokens:
                self._engine.disconnect(token)
        shutil.rmtree(self._dir, ignore_errors=True)

    def _synthesize(self, text: str, voice: str, rate: int) -> tuple[bytes, int]:
        path = os.path.join(self._dir, "speech.wav")
        for attempt in range(1, _ATTEMPTS + 1):
            self._settle()
            self._errors.clear()
            self._engine.setProperty("voice", self._by_language.get(voice.lower(), voice))
            self._engine.setProperty("rate", rate)
            if self._errors:  # pyttsx3 reports a bad property as a notification, not a raise
                raise ValueError(f"espeak-ng rejected voice {voice!r} or rate {rate!r}")
            self._wait_idle()  # work-around 2: espeak has applied the rate; nothing to cancel
            self._finished.clear()
            self._cancelled = False
            self._engine.save_to_file(text, path)
            # pyttsx3's loop ends when espeak reports the end of the utterance; should that
            # never come, the watchdog ends the loop rather than leave the worker hung.
            watchdog = threading.Timer(self._timeout_s, self._abort)
            watchdog.start()
            try:
                self._engine.runAndWait()
            finally:
                watchdog.cancel()
            # Work-around 1: the WAV is complete once the driver says the utterance finished.
            finished = self._finished.wait(self._timeout_s)
            self._wait_idle()  # the last callbacks of a cancelled utterance land before we look
            if not self._cancelled:
                break
            # espeak-ng flags itself busy for an instant when it closes an idle stream; if the
            # driver looks just then, it cancels our utterance. Rare, and safe to redo.
            log.warning("pyttsx3 cancelled the utterance (attempt %d of %d)", attempt, _ATTEMPTS)
        else:
            raise RuntimeError(f"espeak-ng kept cancelling {text[:40]!r}")
        if not finished:
            raise RuntimeError(f"espeak-ng did not finish {text[:40]!r} ({self._errors})")
        pcm_and_rate = wav_to_pcm16(path)
        os.remove(path)
        return pcm_and_rate

    def _settle(self) -> None:
        """Bring pyttsx3 to the state `_synthesize` relies on: espeak idle, driver not busy.

        A fresh pyttsx3 driver starts out "busy", which defers the first job's properties until
        runAndWait, right where the driver cancels whatever espeak is doing: the first
        utterances came out cut or empty about one run in six. An empty run of its loop clears
        the flag.
        """
        self._wait_idle()
        if self._engine.isBusy():
            self._engine.runAndWait()
            self._wait_idle()

    def _wait_idle(self) -> None:
        deadline = time.monotonic() + self._timeout_s
        while self._espeak.IsPlaying():
            if time.monotonic() > deadline:
                raise TimeoutError("espeak-ng stayed busy")
            time.sleep(0.001)

    def _abort(self) -> None:
        log.error("espeak-ng did not finish within %s s; ending pyttsx3's loop", self._timeout_s)
        with contextlib.suppress(RuntimeError):  # the loop ended meanwhile
            self._engine.endLoop()

    def _on_finished(self, *, completed: bool = True, **_: Any) -> None:
        if not completed:  # only the driver's cancel path reports an incomplete utterance
            self._cancelled = True
        self._finished.set()

    def _on_error(self, *, exception: BaseException, **_: Any) -> None:
        self._errors.append(exception)


def _driver_print(*args: object, **_: object) -> None:
    log.debug("pyttsx3: %s", " ".join(map(str, args)))
