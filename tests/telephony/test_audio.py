from __future__ import annotations

import binascii
import io
import wave

import numpy as np
import pytest

from telephony.audio import (
    FRAME_BYTES,
    MULAW_SILENCE,
    Resampler,
    b64decode,
    b64encode,
    mulaw_to_pcm16,
    pcm16_duration_ms,
    pcm16_to_mulaw,
    split_frames,
    wav_to_pcm16,
)


def sine(freq: float, seconds: float, rate: int, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (amplitude * 32767 * np.sin(2 * np.pi * freq * t)).astype("<i2")


def samples(pcm: bytes) -> np.ndarray:
    return np.frombuffer(pcm, dtype="<i2").astype(np.int32)


def test_mulaw_round_trip_keeps_a_sine_wave() -> None:
    original = sine(440, 0.5, 8000)
    mulaw = pcm16_to_mulaw(original.tobytes())
    assert len(mulaw) == len(original)  # one byte per sample
    decoded = samples(mulaw_to_pcm16(mulaw))
    error = decoded - original.astype(np.int32)
    snr_db = 10 * np.log10(np.sum(original.astype(np.float64) ** 2) / np.sum(error**2.0))
    assert snr_db > 30  # G.711 mu-law gives about 38 dB on a loud sine
    assert np.max(np.abs(error)) < 0.04 * 32767 * 0.5


def test_mulaw_silence_byte_decodes_to_zero() -> None:
    assert samples(mulaw_to_pcm16(bytes([MULAW_SILENCE]) * 4)).tolist() == [0, 0, 0, 0]


def test_resampler_doubles_8k_to_16k() -> None:
    pcm = sine(300, 1.0, 8000).tobytes()
    out = Resampler(from_rate=8000, to_rate=16000).convert(pcm)
    assert abs(len(out) - 2 * len(pcm)) <= 2


def test_resampler_chunked_equals_whole() -> None:
    pcm = sine(300, 1.0, 8000).tobytes()
    whole = samples(Resampler(from_rate=8000, to_rate=16000).convert(pcm))
    chunked_resampler = Resampler(from_rate=8000, to_rate=16000)
    chunks = [chunked_resampler.convert(pcm[i : i + 320]) for i in range(0, len(pcm), 320)]
    chunked = samples(b"".join(chunks))
    assert abs(len(chunked) - len(whole)) <= 1
    n = min(len(chunked), len(whole))
    assert np.max(np.abs(chunked[:n] - whole[:n])) <= 2


def test_resampler_without_state_would_click() -> None:
    """Why Resampler keeps state: converting each 20 ms chunk afresh drops and shifts samples."""
    pcm = sine(300, 1.0, 8000).tobytes()
    whole = samples(Resampler(from_rate=8000, to_rate=16000).convert(pcm))
    stateless = samples(
        b"".join(
            Resampler(from_rate=8000, to_rate=16000).convert(pcm[i : i + 320])
            for i in range(0, len(pcm), 320)
        )
    )
    assert len(whole) - len(stateless) > 40  # about one sample lost per chunk
    n = min(len(whole), len(stateless))
    assert np.max(np.abs(stateless[:n] - whole[:n])) > 1000


def test_resampler_rejects_odd_byte_counts() -> None:
    with pytest.raises(ValueError, match="odd"):
        Resampler(from_rate=8000, to_rate=16000).convert(b"\x00\x01\x02")


def test_split_frames_pads_the_last_frame_with_mulaw_silence() -> None:
    data = bytes(range(256)) + bytes(144)  # 400 bytes: 2.5 frames
    frames = split_frames(data)
    assert [len(f) for f in frames] == [FRAME_BYTES] * 3
    assert b"".join(frames)[:400] == data
    assert frames[-1][80:] == bytes([MULAW_SILENCE]) * 80


def test_split_frames_exact_multiple_and_empty() -> None:
    assert split_frames(b"\x01" * 320) == [b"\x01" * 160, b"\x01" * 160]
    assert split_frames(b"") == []
    assert split_frames(b"\x01" * 5, size=4) == [b"\x01" * 4, b"\x01\xff\xff\xff"]


def wav_bytes(pcm: bytes, rate: int, channels: int = 1) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm)
    return buffer.getvalue()


def test_wav_to_pcm16_from_bytes_and_path(tmp_path) -> None:
    pcm = sine(440, 0.1, 22050).tobytes()
    data = wav_bytes(pcm, 22050)
    assert wav_to_pcm16(data) == (pcm, 22050)
    path = tmp_path / "speech.wav"
    path.write_bytes(data)
    assert wav_to_pcm16(path) == (pcm, 22050)
    assert wav_to_pcm16(str(path)) == (pcm, 22050)


def test_wav_to_pcm16_rejects_stereo() -> None:
    with pytest.raises(ValueError, match="mono"):
        wav_to_pcm16(wav_bytes(b"\x00\x00" * 20, 8000, channels=2))


def test_pcm16_duration_ms() -> None:
    assert pcm16_duration_ms(b"\x00\x00" * 8000, 8000) == 1000.0
    assert pcm16_duration_ms(b"\x00\x00" * 320, 16000) == 20.0


def test_base64_payload_round_trip() -> None:
    frame = bytes(range(160))
    payload = b64encode(frame)
    assert isinstance(payload, str)
    assert b64decode(payload) == frame
    with pytest.raises(binascii.Error):
        b64decode("not base64!")
