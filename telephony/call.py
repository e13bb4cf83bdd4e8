"""One phone call over a Twilio bidirectional Media Stream: audio in, turns out, speech back.

The session knows nothing about what is said: a `CallHandler` answers each caller turn (speech
recognised by Vosk, or keypad digits) with a `Prompt`. The session does the telephone craft:
voice activity and end of turn, barge-in (`clear`), backchannels that must not interrupt the bot,
re-prompts on silence, keypad input, and playback with a `mark` after each utterance so it knows
when the caller has heard everything.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

from telephony.asr import StreamingRecognizer, unknown_words
from telephony.audio import (
    FRAME_BYTES,
    Resampler,
    b64decode,
    b64encode,
    mulaw_to_pcm16,
    split_frames,
)
from telephony.tts import Speaker
from telephony.vad import BargeIn, SpeechStarted, TurnDetector, TurnEnded

log = logging.getLogger(__name__)
ASR_RATE = 16000
# Audio kept from before the VAD decided speech started, so the first syllable reaches ASR.
PRE_ROLL_FRAMES = 20


@dataclass(frozen=True)
class StreamStart:
    stream_sid: str
    call_sid: str
    parameters: dict[str, str]


@dataclass
class Prompt:
    """What the bot says next and how to listen afterwards."""

    texts: list[str]
    grammar: list[str] | None = None  # phrases for grammar-mode recognition of the next turn
    # Also recognise the turn freely, for answers the grammar cannot hold (a date of birth
    # where digits are expected); the handler gets both texts.
    free_fallback: bool = False
    # When the words heard so far are a whole answer, the turn ends after a shorter silence.
    # Default for a grammar turn: the text is one of its phrases. Asked of each text heard so
    # far (the grammar's and, with `free_fallback`, the free recognition's), from the
    # recogniser's partial results while the caller is still speaking or pausing.
    is_complete: Callable[[str], bool] | None = None
    max_digits: int = 4  # keypad digits that complete a turn ('#' completes it earlier)
    hangup: bool = False  # end the call once these have been heard
    # The espeak-ng voice or language these texts are said in ("zh": Mandarin); None: the
    # session's voice.
    voice: str | None = None
    # Once these have been heard, what to say next without waiting for the caller: the handler
    # is waiting for something outside the call (an answering-machine result).
    then: Callable[[], Awaitable[Prompt]] | None = None


class CallHandler(Protocol):
    async def on_start(self, start: StreamStart) -> Prompt: ...
    async def on_turn(self, text: str, *, keypad: bool, free_text: str | None = None) -> Prompt:
        """`free_text`: the free recognition of the turn, for a prompt with `free_fallback`."""
        ...

    async def on_silence(self, count: int) -> Prompt: ...
    async def on_hangup(self) -> None: ...


@dataclass
class VoiceSettings:
    start_ms: int = 200
    end_ms: int = 500  # LiveKit's default minimum end-of-turn delay is 0.5 s too
    # Silence that ends a turn whose text is already a whole phrase of the turn's grammar.
    complete_end_ms: int = 250
    backchannel_ms: int = 400
    silence_s: float = 6.0  # re-prompt after this long without speech
    digit_timeout_s: float = 3.0  # a keypad entry ends this long after the last key
    vad_mode: int = 2


@dataclass
class TurnTiming:
    """One answered caller turn, for the latency benchmark."""

    end_of_turn_at: float  # the session decided the caller had finished
    last_voice_at: float  # wall time of the caller's last voiced frame
    first_audio_at: float | None = None  # first bot frame sent back
    kind: str = "speech"  # "speech" (free recognition), "grammar", "grammar+free" or "keypad"
    wait_ms: int = 0  # the end-of-turn silence waited, in audio time
    # "whole_answer" (the short silence: the words already answered), "silence" or "keypad"
    end_reason: str = "silence"


@dataclass
class Stats:
    turns: list[TurnTiming] = field(default_factory=list)
    barge_ins: int = 0
    backchannels: int = 0


class CallSession:
    def __init__(
        self,
        *,
        send: Callable[[str], Awaitable[None]],
        handler: CallHandler,
        speaker: Speaker,
        model,
        voice: str | None = None,
        settings: VoiceSettings | None = None,
    ):
        self._send_text = send
        self.handler = handler
        self.speaker = speaker
        self.voice = voice
        self.settings = settings or VoiceSettings()
        self.vad = TurnDetector(
            mode=self.settings.vad_mode,
            start_ms=self.settings.start_ms,
            end_ms=self.settings.end_ms,
            backchannel_ms=self.settings.backchannel_ms,
            complete_end_ms=self.settings.complete_end_ms,
        )
        self.recognizer = StreamingRecognizer(model=model, sample_rate=ASR_RATE)
        # The second, free decoding of a grammar turn with `free_fallback` (borrows a pooled
        # decoder only while it is fed).
        self.free_recognizer = StreamingRecognizer(model=model, sample_rate=ASR_RATE)
        self.dual = False
        self.upsample = Resampler(from_rate=8000, to_rate=ASR_RATE)
        # Vosk is CPU-bound and not thread-safe per recogniser: one worker thread per call.
        self.asr_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="asr")
        self.stream_sid = ""
        self.pre_roll: deque[bytes] = deque(maxlen=PRE_ROLL_FRAMES)
        self.frame_times: deque[tuple[int, float]] = deque(maxlen=400)
        self.in_turn = False
        self.speaking_marks: set[str] = set()
        self.mark_seq = 0
        self.hangup_after_playback = False
        self.then: Callable[[], Awaitable[Prompt]] | None = None
        self.max_digits = 4
        self.expected_phrases: set[str] = set()  # the grammar of the turn being listened for
        self.is_complete: Callable[[str], bool] | None = None
        self.digits = ""
        self.digit_timer: asyncio.TimerHandle | None = None
        self.silence_task: asyncio.Task | None = None
        self.tasks: set[asyncio.Task] = set()  # turns answered in the background (see _spawn)
        self.silences = 0
        self.busy = asyncio.Lock()  # one turn at a time
        self.stats = Stats()
        self.closed = False

    # -- wire ---------------------------------------------------------------------------------
    async def _send(self, message: dict) -> None:
        if not self.closed:
            await self._send_text(json.dumps(message))

    @property
    def bot_speaking(self) -> bool:
        return bool(self.speaking_marks)

    async def handle(self, message: dict) -> None:
        """Feed one Twilio Media Streams message."""
        event = message.get("event")
        if self.closed and event != "stop":
            # The bot hung up; Twilio may still send audio or keys until its "stop".
            return
        if event == "start":
            start = message["start"]
            self.stream_sid = start["streamSid"]
            await self._respond(
                self.handler.on_start(
                    StreamStart(
                        self.stream_sid, start.get("callSid", ""), start.get("customParameters", {})
                    )
                )
            )
        elif event == "media":
            await self._audio(b64decode(message["media"]["payload"]))
        elif event == "dtmf":
            self._keypad(message["dtmf"]["digit"])
        elif event == "mark":
            self.speaking_marks.discard(message["mark"]["name"])
            if not self.bot_speaking:
                await self._after_playback()
        elif event == "stop":
            await self.close()

    # -- listening ----------------------------------------------------------------------------
    async def _audio(self, mulaw: bytes) -> None:
        now = time.monotonic()
        pcm = mulaw_to_pcm16(mulaw)
        for event in self.vad.process(pcm, bot_speaking=self.bot_speaking):
            if isinstance(event, SpeechStarted):
                self._cancel_silence()
                self.silences = 0
                self.in_turn = True
                for frame in self.pre_roll:
                    self._feed_asr(frame)
            elif isinstance(event, BargeIn):
                await self._barge_in()
            elif isinstance(event, TurnEnded):
                self.in_turn = False
                self._feed_asr(pcm)
                # Ask for the final text now (the ASR thread keeps the order), answer in a task
                # so the stream keeps being read (barge-in must still be heard).
                final = asyncio.get_running_loop().run_in_executor(self.asr_thread, self._finals)
                self._spawn(self._turn_ended(event, now, final))
                self.pre_roll.clear()
                return
        self.frame_times.append((self.vad.now_ms, now))
        if self.in_turn:
            self._feed_asr(pcm)
        else:
            self.pre_roll.append(pcm)

    def _feed_asr(self, pcm: bytes) -> None:
        chunk = self.upsample.convert(pcm)
        heard = asyncio.get_running_loop().run_in_executor(self.asr_thread, self._accept, chunk)
        heard.add_done_callback(self._heard)

    def _accept(self, chunk: bytes) -> tuple[str | None, str | None]:
        free = self.free_recognizer.accept(chunk) if self.dual else None
        return self.recognizer.accept(chunk), free

    def _finals(self) -> tuple[str, str | None]:
        return self.recognizer.final(), self.free_recognizer.final() if self.dual else None

    def _heard(self, heard: asyncio.Future) -> None:
        """The text so far: a whole phrase of the expected grammar may end the turn early."""
        if heard.cancelled():
            return
        if heard.exception():
            log.warning("speech recognition failed on a frame: %r", heard.exception())
            return
        if not self.in_turn:
            return
        texts = [t.strip() for t in heard.result() if t and t.strip()]
        complete = self.is_complete or self.expected_phrases.__contains__
        self.vad.transcript_complete = any(complete(text) for text in texts)

    async def _barge_in(self) -> None:
        self.stats.barge_ins += 1
        self.speaking_marks.clear()
        await self._send({"event": "clear", "streamSid": self.stream_sid})

    async def _turn_ended(
        self, event: TurnEnded, now: float, final: Awaitable[tuple[str, str | None]]
    ) -> None:
        text, free_text = await final
        if event.backchannel:
            # "uh-huh" while the bot talks: not a turn, the bot keeps talking.
            self.stats.backchannels += 1
            return
        last_voice = self._wall_time(event.last_voiced_at_ms, now)
        kind = "speech" if not self.expected_phrases else "grammar+free" if self.dual else "grammar"
        timing = TurnTiming(
            end_of_turn_at=now,
            last_voice_at=last_voice,
            kind=kind,
            wait_ms=event.at_ms - event.last_voiced_at_ms,
            end_reason=event.reason,
        )
        self.stats.turns.append(timing)
        free_text = free_text.strip() if free_text is not None else None
        await self._respond(
            self.handler.on_turn(text.strip(), keypad=False, free_text=free_text), timing
        )

    def _wall_time(self, at_ms: float, default: float) -> float:
        for frame_ms, wall in reversed(self.frame_times):
            if frame_ms <= at_ms:
                return wall + (at_ms - frame_ms) / 1000
        return default

    def _keypad(self, digit: str) -> None:
        self._cancel_silence()
        if self.digit_timer:
            self.digit_timer.cancel()
        if digit != "#":
            self.digits += digit
        if digit == "#" or len(self.digits) >= self.max_digits:
            self._submit_digits()
        else:
            loop = asyncio.get_running_loop()
            self.digit_timer = loop.call_later(self.settings.digit_timeout_s, self._submit_digits)

    def _submit_digits(self) -> None:
        digits, self.digits = self.digits, ""
        if digits:
            now = time.monotonic()
            timing = TurnTiming(
                end_of_turn_at=now, last_voice_at=now, kind="keypad", end_reason="keypad"
            )
            self.stats.turns.append(timing)
            self._spawn(self._respond(self.handler.on_turn(digits, keypad=True), timing))

    # -- speaking -----------------------------------------------------------------------------
    async def _respond(self, pending: Awaitable[Prompt], timing: TurnTiming | None = None):
        async with self.busy:
            prompt = await pending
            if self.closed:
                return
            self.max_digits = prompt.max_digits
            self.hangup_after_playback = prompt.hangup
            self.then = prompt.then
            self.is_complete = prompt.is_complete
            await asyncio.get_running_loop().run_in_executor(
                self.asr_thread, self._listen_for, prompt.grammar, prompt.free_fallback
            )
            for text in prompt.texts:
                audio = await self.speaker.synthesize(text, voice=prompt.voice or self.voice)
                frames = split_frames(audio, FRAME_BYTES)
                for frame in frames:
                    await self._send(
                        {
                            "event": "media",
                            "streamSid": self.stream_sid,
                            "media": {"payload": b64encode(frame)},
                        }
                    )
                    if timing and timing.first_audio_at is None:
                        timing.first_audio_at = time.monotonic()
                self.mark_seq += 1
                name = f"utterance-{self.mark_seq}"
                self.speaking_marks.add(name)
                await self._send(
                    {"event": "mark", "streamSid": self.stream_sid, "mark": {"name": name}}
                )
            if not prompt.texts:
                await self._after_playback()

    def _listen_for(self, grammar: list[str] | None, free_fallback: bool = False) -> None:
        """Grammar mode with the phrases this model knows; free recognition if it knows none
        (a grammar in another language than the model must not break the call)."""
        if grammar:
            missing = set(unknown_words(self.recognizer.model, grammar))
            grammar = [p for p in grammar if not set(p.split()) & missing] or None
            if missing:
                log.warning("grammar words unknown to the model, left out: %s", sorted(missing))
        self.recognizer.set_grammar(grammar)
        self.free_recognizer.reset()
        self.dual = bool(grammar) and free_fallback
        self.expected_phrases = set(grammar or [])

    async def _after_playback(self) -> None:
        """Everything said has been heard: hang up if asked, else wait for the caller."""
        if self.hangup_after_playback:
            await self.close()
            return
        if self.then is not None:
            then, self.then = self.then, None
            self._spawn(self._respond(then()))
            return
        self._cancel_silence()
        self.silence_task = self._spawn(self._silence_watch())

    async def _silence_watch(self) -> None:
        await asyncio.sleep(self.settings.silence_s)
        if self.in_turn or self.bot_speaking or self.digits:
            return
        self.silences += 1
        await self._respond(self.handler.on_silence(self.silences))

    def _spawn(self, work: Awaitable) -> asyncio.Task:
        """Run `work` beside the stream: the set keeps the task alive until it is done (the loop
        holds only a weak reference), and a failure is logged instead of lost."""
        task = asyncio.ensure_future(work)
        self.tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("call task failed", exc_info=task.exception())

    def _cancel_silence(self) -> None:
        if self.silence_task and not self.silence_task.done():
            self.silence_task.cancel()
        self.silence_task = None

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._cancel_silence()
        if self.digit_timer:
            self.digit_timer.cancel()
        try:
            with contextlib.suppress(Exception):
                await self.handler.on_hangup()
        finally:
            # Queued audio is dropped; the decoders go back to the shared pool.
            self.asr_thread.shutdown(wait=False, cancel_futures=True)
            self._give_back_decoders()

    def _give_back_decoders(self) -> None:
        # After shutdown the worker runs what it had started, then nothing: wait for it in a
        # thread of its own so the event loop is not held, then close the recognisers there.
        def give_back() -> None:
            self.asr_thread.shutdown(wait=True)
            self.recognizer.close()
            self.free_recognizer.close()

        threading.Thread(target=give_back, name="asr-close", daemon=True).start()
