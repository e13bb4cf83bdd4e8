"""Audio plumbing for the phone line: codecs, resampling, framing and payload encoding.

Twilio Media Streams carry 8 kHz mono G.711 mu-law, base64-encoded in JSON, in 20 ms frames of
160 bytes. Everything else in the pipeline (VAD, ASR, TTS) works on 16-bit little-endian PCM,
so this module is the single place where the two meet.
"""

from __future__ import annotations

import audioop  # stdlib up to 3.12; Rasa 3.6 pins us to Python 3.10
import base64
import io
import os
import wave

TWILIO_RATE = 8000
FRAME_MS = 20
FRAME_BYTES = TWILIO_RATE * FRAME_MS // 1000  # one mu-law byte per sample: 160
MULAW_SILENCE = 0xFF  # mu-law encodes 0 as 0xFF (0x7F is "negative zero"); pad with this
SAMPLE_WIDTH = 2  # PCM16


def mulaw_to_pcm16(data: bytes) -> bytes:
    """Decode G.711 mu-law to 16-bit little-endian PCM (twice as many bytes)."""
    return audioop.ulaw2lin(data, SAMPLE_WIDTH)


def pcm16_to_mulaw(data: bytes) -> bytes:
    """Encode 16-bit little-endian PCM to G.711 mu-law (half as many bytes)."""
    return audioop.lin2ulaw(data, SAMPLE_WIDTH)


class Resampler:
    """Mono PCM16 sample-rate converter for a *stream* of chunks.

    audioop.ratecv carries interpolation state from one call to the next; keeping that state
    here means audio converted 20 ms at a time is the same as audio converted in one go, with
    no click at each chunk boundary. Use one Resampler per direction per call.
    """

    def __init__(self, *, from_rate: int, to_rate: int) -> None:
        if from_rate <= 0 or to_rate <= 0:
            raise ValueError(f"sample rates must be positive, got {from_rate} -> {to_rate}")
        self.from_rate = from_rate
        self.to_rate = to_rate
        self._state: tuple[object, ...] | None = None

    def convert(self, pcm: bytes) -> bytes:
        if len(pcm) % SAMPLE_WIDTH:
            raise ValueError("PCM16 chunk has an odd number of bytes")
        if self.from_rate == self.to_rate or not pcm:
            return pcm
        out, self._state = audioop.ratecv(
            pcm, SAMPLE_WIDTH, 1, self.from_rate, self.to_rate, self._state
        )
        return out

    def reset(self) -> None:
        """Forget the carried state, e.g. between two unrelated streams."""
        self._state = None


def split_frames(mulaw: bytes, size: int = FRAME_BYTES) -> list[bytes]:
    """Cut mu-law audio into fixed-size frames; the last one is padded with mu-law silence.

    Twilio plays whatever it is sent, but a short trailing frame makes pacing (one frame per
    20 ms) and "mark" bookkeeping uneven, so every frame is made full-size.
    """
    if size <= 0:
        raise ValueError(f"frame size must be positive, got {size}")
    frames = [mulaw[i : i + size] for i in range(0, len(mulaw), size)]
    if frames and len(frames[-1]) < size:
        frames[-1] = frames[-1] + bytes([MULAW_SILENCE]) * (size - len(frames[-1]))
    return frames


def wav_to_pcm16(source: str | os.PathLike[str] | bytes) -> tuple[bytes, int]:
    """Read a 16-bit mono WAV (a path or the file's bytes); return (pcm, sample_rate)."""
    handle = io.BytesIO(source) if isinstance(source, bytes | bytearray) else os.fspath(source)
    with wave.open(handle, "rb") as wav:
        if wav.getsampwidth() != SAMPLE_WIDTH or wav.getnchannels() != 1:
            raise ValueError(
                f"expected 16-bit mono WAV, got {8 * wav.getsampwidth()}-bit "
                f"with {wav.getnchannels()} channels"
            )
        return wav.readframes(wav.getnframes()), wav.getframerate()


def pcm16_duration_ms(pcm: bytes, rate: int) -> float:
    """Duration of mono PCM16 audio in milliseconds."""
    return len(pcm) / SAMPLE_WIDTH / rate * 1000.0


def b64encode(data: bytes) -> str:
    """Audio bytes -> the base64 text Twilio expects in a media message's "payload"."""
    return base64.b64encode(data).decode("ascii")


def b64decode(payload: str) -> bytes:
    """A media message's base64 "payload" -> audio bytes (rejects non-base64 input)."""
    return base64.b64decode(payload, validate=True)
