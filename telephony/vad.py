"""Caller turn detection on the inbound phone audio, one detector per call.

Feed every 20 ms frame of 8 kHz PCM16 as it arrives with `process(frame, bot_speaking=...)`;
it returns the events that frame caused (usually none):

- `SpeechStarted` once the caller has been voiced for `start_ms` in a row (shorter blips
  and clicks never start a turn);
- `BargeIn` once per turn, when the caller has been voiced for `backchannel_ms` in a row while
  `bot_speaking` was true: the bot should stop talking. Shorter bursts ("uh-huh", "yes") are
  backchannels and let the bot go on;
- `TurnEnded` after `end_ms` of unbroken silence following the speech, or after only
  `complete_end_ms` once the session has said the transcript is already a whole answer
  (`transcript_complete`: a phrase of the grammar the turn expects, all the digits asked for,
  or free speech that already answers the question, such as an amount and a date): a "yes"
  needs no long wait to be sure the caller has finished. This is a rule-based cousin of the
  semantic end-of-turn detectors (LiveKit's turn model, Pipecat's smart-turn). `reason` says
  which silence fired.

Time is audio time (frames seen x frame length), never the wall clock, so the same audio always
gives the same events, and jitter in packet arrival changes nothing. webrtcvad marks a few
frames after the end of speech as voiced (its hangover, about 100 ms in mode 2): times are
those of its decisions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import webrtcvad


@dataclass(frozen=True, slots=True)
class SpeechStarted:
    at_ms: int  # when the start was confirmed (audio time of the end of this frame)
    onset_ms: int  # where the voiced run began: keep audio from here for the recogniser


@dataclass(frozen=True, slots=True)
class BargeIn:
    at_ms: int


@dataclass(frozen=True, slots=True)
class TurnEnded:
    at_ms: int  # when the trailing silence reached end_ms
    speech_ms: int  # from the onset to the end of the last voiced frame, pauses included
    last_voiced_at_ms: int  # end of the last voiced frame
    # The bot was talking during the turn and the caller never barged in: an "uh-huh" that
    # the dialogue should usually ignore.
    backchannel: bool = False
    # Which silence ended it: the short one, the words being a whole answer already, or the
    # full end_ms.
    whole_answer: bool = False

    @property
    def reason(self) -> str:
        return "whole_answer" if self.whole_answer else "silence"


TurnEvent = SpeechStarted | BargeIn | TurnEnded


class TurnDetector:
    """Speech start, barge-in and end-of-turn from per-frame voice activity decisions."""

    def __init__(
        self,
        *,
        mode: int = 2,
        sample_rate: int = 8000,
        frame_ms: int = 20,
        start_ms: int = 200,
        end_ms: int = 600,
        backchannel_ms: int = 400,
        complete_end_ms: int | None = None,
        classify: Callable[[bytes], bool] | None = None,
    ) -> None:
        """`classify(frame) -> is speech` replaces webrtcvad (tests, or another VAD)."""
        if frame_ms not in (10, 20, 30):
            raise ValueError(f"webrtcvad takes 10, 20 or 30 ms frames, not {frame_ms}")
        self.frame_ms = frame_ms
        self.frame_bytes = sample_rate * frame_ms // 1000 * 2
        self.start_ms = start_ms
        self.end_ms = end_ms
        self.backchannel_ms = backchannel_ms
        self.complete_end_ms = end_ms if complete_end_ms is None else min(complete_end_ms, end_ms)
        self.transcript_complete = False  # set by the session from the recogniser's text
        self._classify = classify or _webrtc_classifier(mode, sample_rate)
        self.now_ms = 0  # audio time at the end of the last frame processed
        self._run_ms = 0  # length of the current unbroken voiced run
        self._overlap_ms = 0  # ... of it spent while the bot was speaking
        self._silence_ms = 0  # length of the current unbroken silence
        self._in_speech = False
        self._onset_ms = 0
        self._last_voiced_ms = 0
        self._bot_overlap = False
        self._barged_in = False

    @property
    def in_speech(self) -> bool:
        """True between SpeechStarted and TurnEnded."""
        return self._in_speech

    def process(self, frame: bytes, *, bot_speaking: bool = False) -> list[TurnEvent]:
        """Classify one frame and return the events it caused, in order."""
        if len(frame) != self.frame_bytes:
            raise ValueError(f"expected a {self.frame_bytes}-byte frame, got {len(frame)}")
        self.now_ms += self.frame_ms
        events: list[TurnEvent] = []
        if self._classify(frame):
            if self._silence_ms:
                # Speech again after a pause: the words so far are no longer the whole answer.
                self.transcript_complete = False
            self._run_ms += self.frame_ms
            self._silence_ms = 0
            self._last_voiced_ms = self.now_ms
            if not self._in_speech and self._run_ms >= self.start_ms:
                self._in_speech = True
                self._onset_ms = self.now_ms - self._run_ms
                self._bot_overlap = False
                self._barged_in = False
                self.transcript_complete = False
                events.append(SpeechStarted(at_ms=self.now_ms, onset_ms=self._onset_ms))
            # Only speech *over* the bot counts towards a barge-in: a caller already talking
            # when a prompt starts needs backchannel_ms more to interrupt it.
            self._overlap_ms = self._overlap_ms + self.frame_ms if bot_speaking else 0
            if self._in_speech and bot_speaking:
                self._bot_overlap = True
                if not self._barged_in and self._overlap_ms >= self.backchannel_ms:
                    self._barged_in = True
                    events.append(BargeIn(at_ms=self.now_ms))
        else:
            self._run_ms = self._overlap_ms = 0
            self._silence_ms += self.frame_ms
            wait = self.complete_end_ms if self.transcript_complete else self.end_ms
            if self._in_speech and self._silence_ms >= wait:
                self._in_speech = False
                # A whole answer only if that is what cut the wait short (a text that became
                # complete only after end_ms of silence ended on the silence alone).
                whole = self.transcript_complete and self._silence_ms < self.end_ms
                self.transcript_complete = False
                events.append(
                    TurnEnded(
                        at_ms=self.now_ms,
                        speech_ms=self._last_voiced_ms - self._onset_ms,
                        last_voiced_at_ms=self._last_voiced_ms,
                        backchannel=self._bot_overlap and not self._barged_in,
                        whole_answer=whole,
                    )
                )
        return events


def _webrtc_classifier(mode: int, sample_rate: int) -> Callable[[bytes], bool]:
    vad = webrtcvad.Vad(mode)  # raises on a mode outside 0..3

    def classify(frame: bytes) -> bool:
        return vad.is_speech(frame, sample_rate)

    return classify
