"""Caller audio for the simulator: espeak-ng speech as 8 kHz mu-law, in 20 ms frames.

Twilio's Media Streams carry 8 kHz mono mu-law in 160-byte (20 ms) frames; everything the
scripted caller says is turned into exactly that. Synthesis is cached per (text, voice) because
scripts repeat phrases across calls and benchmark runs.
"""

from __future__ import annotations

import audioop
import math
import shutil
import subprocess
import tempfile
import threading
import wave
from pathlib import Path

SAMPLE_RATE = 8000
FRAME_BYTES = 160  # 20 ms of 8 kHz mu-law
FRAME_MS = 20
SILENCE_BYTE = b"\xff"  # mu-law for zero amplitude
SILENCE_FRAME = SILENCE_BYTE * FRAME_BYTES
# RMS (16-bit linear) below which a frame counts as silence; espeak's quiet tails sit well under.
VOICED_RMS = 300

_cache: dict[tuple[str, str], bytes] = {}
_cache_lock = threading.Lock()


class SpeechError(RuntimeError):
    """espeak-ng is missing or failed."""


def frames(mulaw: bytes) -> list[bytes]:
    """Split into 160-byte frames, padding the last one with silence."""
    out = [mulaw[i : i + FRAME_BYTES] for i in range(0, len(mulaw), FRAME_BYTES)]
    if out and len(out[-1]) < FRAME_BYTES:
        out[-1] = out[-1] + SILENCE_BYTE * (FRAME_BYTES - len(out[-1]))
    return out


def is_voiced(frame: bytes) -> bool:
    return audioop.rms(audioop.ulaw2lin(frame, 2), 2) >= VOICED_RMS


def trim_silence(mulaw: bytes) -> bytes:
    """Drop silent frames at both ends, so a turn's last frame is its last voiced one."""
    chunks = frames(mulaw)
    voiced = [i for i, frame in enumerate(chunks) if is_voiced(frame)]
    if not voiced:
        return b""
    return b"".join(chunks[voiced[0] : voiced[-1] + 1])


def pcm_to_mulaw(pcm: bytes, sample_width: int, rate: int, channels: int = 1) -> bytes:
    if channels == 2:
        pcm = audioop.tomono(pcm, sample_width, 0.5, 0.5)
    if sample_width != 2:
        pcm = audioop.lin2lin(pcm, sample_width, 2)
    if rate != SAMPLE_RATE:
        pcm, _ = audioop.ratecv(pcm, 2, 1, rate, SAMPLE_RATE, None)
    return audioop.lin2ulaw(pcm, 2)


def tone(ms: int, freq: float = 440.0, amplitude: int = 8000) -> bytes:
    """A sine tone as mu-law: voiced audio for tests that need no speech engine."""
    n = SAMPLE_RATE * ms // 1000
    samples = (int(amplitude * math.sin(2 * math.pi * freq * i / SAMPLE_RATE)) for i in range(n))
    pcm = b"".join(s.to_bytes(2, "little", signed=True) for s in samples)
    return audioop.lin2ulaw(pcm, 2)


def synthesize(text: str, voice: str = "en") -> bytes:
    """espeak-ng speech for ``text`` as trimmed 8 kHz mu-law (blocking; cached)."""
    key = (text, voice)
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise SpeechError("espeak-ng is not installed (Debian package espeak-ng)")
    with tempfile.TemporaryDirectory(prefix="twilio-sim-") as tmp:
        out = Path(tmp) / "out.wav"
        result = subprocess.run(  # noqa: S603 - fixed executable, text passed as one argument
            [exe, "-v", voice, "-w", str(out), "--", text],
            capture_output=True,
            timeout=30,
            check=False,
        )
        if result.returncode != 0 or not out.exists():
            raise SpeechError(f"espeak-ng failed: {result.stderr.decode(errors='replace')}")
        with wave.open(str(out), "rb") as wav:
            pcm = wav.readframes(wav.getnframes())
            mulaw = pcm_to_mulaw(pcm, wav.getsampwidth(), wav.getframerate(), wav.getnchannels())
    mulaw = trim_silence(mulaw)
    with _cache_lock:
        _cache[key] = mulaw
    return mulaw
