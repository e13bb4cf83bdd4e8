"""NLU quality: `rasa test nlu --cross-validation` on nlu_data/, printing intent F1 for English
and Mandarin separately (one model serves both) and entity F1.

    .venv/bin/python -m bench.nlu_quality --folds 3
    .venv/bin/python -m bench.nlu_quality --train-time     # one full training, no cache
    .venv/bin/python -m bench.nlu_quality --quick zh       # the intent classifier alone, seconds
    .venv/bin/python -m bench.nlu_quality --entities       # DIET's entities vs a CRF's, one split

`--quick` cross-validates only `bot/nlu/classifier.py` (its features and model, outside Rasa)
on one language's examples: what to run while writing data; the Rasa figure is the one to report.

Each fold trains a model (≈ 3 min on 2 cores). A message is Mandarin when it has more Chinese
characters than Latin letters (bot/nlu/classifier.py `is_chinese`, the rule the classifier uses
itself). The figures go in docs/quality.md.
"""

from __future__ import annotations

import argparse
import functools
import json
import resource
import subprocess
import tempfile
import time
from pathlib import Path

from sklearn.metrics import f1_score

from bot.infra.supervisor import BIN, RASA_DATA, rasa_env
from bot.nlu.classifier import is_chinese
from bot.settings import ROOT

SUMMARIES = ("micro avg", "macro avg", "weighted avg", "accuracy")


def cross_validate(folds: int) -> None:
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
            str(folds),
            "--successes",  # with the errors: every test-fold prediction, to split by language
            "--out",
            str(out),
        ],
        cwd=ROOT,
        env=rasa_env(),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    intents = json.loads((out / "intent_report.json").read_text())
    print(f"cross-validation, {folds} folds (test folds)")
    print(
        f"intent  all      weighted F1 {intents['weighted avg']['f1-score']:.3f}  "
        f"macro F1 {intents['macro avg']['f1-score']:.3f}  accuracy {intents['accuracy']:.3f}"
    )
    predictions = []
    for name in ("intent_successes.json", "intent_errors.json"):
        if (out / name).exists():
            predictions += json.loads((out / name).read_text())
    for language in ("en", "zh"):
        rows = [p for p in predictions if (language == "zh") == is_chinese(p["text"])]
        if not rows:
            continue
        truth = [p["intent"] for p in rows]
        guess = [p["intent_prediction"]["name"] or "" for p in rows]
        correct = sum(t == g for t, g in zip(truth, guess, strict=True))
        print(
            f"intent  {language:8} weighted F1 {f1_score(truth, guess, average='weighted'):.3f}  "
            f"macro F1 {f1_score(truth, guess, average='macro'):.3f}  "
            f"accuracy {correct / len(rows):.3f}  ({len(rows)} examples)"
        )
        print(f"  weakest {language}: " + ", ".join(_weakest(truth, guess)))
    entities = out / f"{report_name(ENTITIES)}_report.json"
    if entities.exists():
        report = json.loads(entities.read_text())
        print(f"entity  weighted F1 {report['weighted avg']['f1-score']:.3f}")
        for name, row in sorted(report.items()):
            if isinstance(row, dict) and name not in SUMMARIES:
                print(f"  {name:14} F1 {row['f1-score']:.3f}  support {row['support']}")


def _weakest(truth: list[str], guess: list[str], count: int = 5) -> list[str]:
    labels = sorted(set(truth))
    scores = f1_score(truth, guess, labels=labels, average=None)
    return [f"{n} {f:.2f}" for f, n in sorted(zip(scores, labels, strict=True))[:count]]


def quick(language: str, folds: int) -> None:
    """Stratified k-fold of the intent classifier alone on one language's examples."""
    from rasa.shared.nlu.training_data.loading import load_data
    from sklearn.model_selection import StratifiedKFold

    from bot.nlu.classifier import ParaphraseIntentClassifier

    examples = [
        (m.get("text"), m.get("intent"))
        for m in load_data(str(ROOT / "nlu_data")).intent_examples
        if (language == "zh") == is_chinese(m.get("text"))
        and m.get("intent") != "start_conversation"  # sent by the gateway, never typed
    ]
    texts = [t for t, _ in examples]
    intents = [i for _, i in examples]
    truth, guess, missed = [], [], []
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=0).split(texts, intents):
        classifier = ParaphraseIntentClassifier({}, None, None)
        classifier.fit([texts[i] for i in train], [intents[i] for i in train])
        ranked = classifier.rank([texts[i] for i in test])
        for i, intent in zip(test, map(_after_fallback, ranked), strict=True):
            truth.append(intents[i])
            guess.append(intent)
            if intent != intents[i]:
                missed.append(f"  {intents[i]} -> {intent}: {texts[i]}")
    print(
        f"quick {language}: intent weighted F1 {f1_score(truth, guess, average='weighted'):.3f}  "
        f"macro F1 {f1_score(truth, guess, labels=sorted(set(truth)), average='macro'):.3f}  "
        f"({len(texts)} examples, "
        f"{folds} folds, classifier alone)"
    )
    print("  weakest: " + ", ".join(_weakest(truth, guess, count=8)))
    print("\n".join(sorted(missed)))


def _after_fallback(ranking: list[tuple[str, float]]) -> str:
    """What Rasa's FallbackClassifier (config.yml) makes of a ranking: a low or ambiguous top
    intent is nlu_fallback, counted as an error as in Rasa's own cross-validation."""
    fallback = next(c for c in _pipeline() if c["name"] == "FallbackClassifier")
    (best, confidence), (_, second) = ranking[0], ranking[1]
    if confidence < fallback["threshold"] or confidence - second < fallback["ambiguity_threshold"]:
        return "nlu_fallback"
    return best


@functools.cache
def _pipeline() -> list[dict]:
    import yaml

    return yaml.safe_load((ROOT / "config.yml").read_text())["pipeline"]


def train_time() -> None:
    """One training of the whole model (NLU and core) as CI does it: no training cache."""
    out = Path(tempfile.mkdtemp(prefix="nlu-train-"))
    env = {**rasa_env(), "RASA_CACHE_DIRECTORY": str(out / "cache")}
    before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    subprocess.run(
        [str(BIN / "rasa"), "train", "--domain", "bot/domain", "--data", *RASA_DATA]
        + ["--config", "config.yml", "--out", str(out), "--fixed-model-name", "timed"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(f"training (no cache): {wall / 60:.1f} min wall, {cpu / 60:.1f} min CPU")


# config.yml's entity extractor (DIET, bot/nlu/entities.py), and the lighter one it was measured
# against (docs/quality.md): Rasa's CRF.
ENTITIES = "bot.nlu.entities.EntityDIET"
CRF = {"name": "CRFEntityExtractor"}


def report_name(component: str) -> str:
    """Rasa names a report by the class: "bot.nlu.entities.EntityDIET" -> "EntityDIET"."""
    return component.rsplit(".", 1)[-1]


def compare_entities() -> None:
    """config.yml's entity extractor (DIET) against Rasa's CRF on one split of nlu_data (2/3
    train, 1/3 test, seed 42): entity F1 per entity and NLU training time. About 8 minutes."""
    import yaml

    out = Path(tempfile.mkdtemp(prefix="nlu-entities-"))
    rasa = str(BIN / "rasa")
    env = {**rasa_env(), "RASA_CACHE_DIRECTORY": str(out / "cache")}  # time real trainings
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    run = functools.partial(subprocess.run, cwd=ROOT, env=env, check=True, **quiet)
    run(
        [rasa, "data", "split", "nlu", "-u", "nlu_data", "--training-fraction", "0.67"]
        + ["--random-seed", "42", "--out", str(out / "split")]
    )
    config = yaml.safe_load((ROOT / "config.yml").read_text())
    ours = next(c for c in config["pipeline"] if c["name"] == ENTITIES)
    for extractor in (ours, CRF):
        name = extractor["name"]
        pipeline = [extractor if c is ours else c for c in config["pipeline"]]
        (out / f"{name}.yml").write_text(yaml.safe_dump({**config, "pipeline": pipeline}))
        start = time.perf_counter()
        run(
            [rasa, "train", "nlu", "--config", str(out / f"{name}.yml"), "--nlu"]
            + [
                str(out / "split" / "training_data.yml"),
                "--out",
                str(out),
                "--fixed-model-name",
                name,
            ]
        )
        trained = time.perf_counter() - start
        run(
            [rasa, "test", "nlu", "-m", str(out / f"{name}.tar.gz"), "--nlu"]
            + [str(out / "split" / "test_data.yml"), "--out", str(out / name)]
        )
        report = json.loads((out / name / f"{report_name(name)}_report.json").read_text())
        rows = {k: v for k, v in report.items() if isinstance(v, dict)}
        print(f"{name}: NLU training {trained / 60:.1f} min; test third of nlu_data:")
        for entity, row in sorted(rows.items()):
            print(
                f"  {entity:14} F1 {row['f1-score']:.3f}  precision {row['precision']:.3f}  "
                f"recall {row['recall']:.3f}  support {row['support']}"
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--train-time", action="store_true", help="time one training instead")
    parser.add_argument("--quick", choices=("en", "zh"), help="the intent classifier alone")
    parser.add_argument("--entities", action="store_true", help="DIET's entities vs a CRF's")
    args = parser.parse_args()
    if args.entities:
        compare_entities()
    elif args.quick:
        quick(args.quick, args.folds)
    elif args.train_time:
        train_time()
    else:
        cross_validate(args.folds)


if __name__ == "__main__":
    main()
