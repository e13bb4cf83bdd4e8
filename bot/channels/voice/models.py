"""`make models`: fetch the English Vosk model once, where the internet is reachable."""

from __future__ import annotations

import sys
import tempfile
import urllib.request
import zipfile
from pathlib import Path

from bot.settings import get_settings

MODEL = "vosk-model-small-en-us-0.15"
URL = f"https://alphacephei.com/vosk/models/{MODEL}.zip"


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
            "VOSK_MODEL_PATH to its folder. Without a model the voice channel stays off; the "
            "rest of the stack runs.",
            file=sys.stderr,
        )
        return 1
    print(f"the Vosk model is at {target}")
    return 0


if __name__ == "__main__":
    sys.exit(fetch(get_settings().effective_vosk_model_path))
