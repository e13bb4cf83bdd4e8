"""NLU quality: `rasa test nlu --cross-validation` on nlu_data/, printing intent and entity F1.

    .venv/bin/python -m bench.nlu_quality --folds 3

Each fold trains a model (≈ 1.5 min on 2 cores). The figures go in docs/quality.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from pathlib import Path

from bot.infra.supervisor import BIN, rasa_env
from bot.settings import ROOT


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--folds", type=int, default=3)
    args = parser.parse_args()
    out = Path(tempfile.mkdtemp(prefix="nlu-cv-"))
    subprocess.run(
        [
            str(BIN / "rasa"),
            "test",
            "nlu",
            "--nlu",
            "nlu_data",
            "--config",
            "config.yml",
            "--cross-validation",
            "--folds",
            str(args.folds),
            "--out",
            str(out),
        ],
        cwd=ROOT,
        env=rasa_env(),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    intents = json.loads((out / "intent_report.json").read_text())
    print(f"cross-validation, {args.folds} folds (test folds)")
    print(
        f"intent  weighted F1 {intents['weighted avg']['f1-score']:.3f}  "
        f"macro F1 {intents['macro avg']['f1-score']:.3f}  accuracy {intents['accuracy']:.3f}"
    )
    entities = out / "DIETClassifier_report.json"
    if entities.exists():
        report = json.loads(entities.read_text())
        print(f"entity  weighted F1 {report['weighted avg']['f1-score']:.3f}")
        for name, row in sorted(report.items()):
            if isinstance(row, dict) and name not in ("micro avg", "macro avg", "weighted avg"):
                print(f"  {name:14} F1 {row['f1-score']:.3f}  support {row['support']}")
    worst = sorted(
        (row["f1-score"], name)
        for name, row in intents.items()
        if isinstance(row, dict)
        and "f1-score" in row
        and name not in ("micro avg", "macro avg", "weighted avg")
    )[:5]
    print("weakest intents: " + ", ".join(f"{n} {f:.2f}" for f, n in worst))


if __name__ == "__main__":
    main()
