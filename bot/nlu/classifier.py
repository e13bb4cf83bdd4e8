"""The intent classifier: logistic regression over word and character n-grams plus a pretrained
sentence embedding (all-MiniLM-L6-v2, `bot/nlu/minilm.py`).

Why not DIET for intents: on our data (about 2,700 examples over 27 intents) DIET sized for two
CPU cores reached 0.85 weighted F1 in cross-validation, with or without the embedding as a
feature. Customers paraphrase with words no example has ("pound sand", "i'm between jobs"); the
embedding puts such paraphrases next to the examples, and a linear model over it and the
n-grams generalises best here (0.95). DIET still extracts the entities (config.yml).

Mandarin (docs/quality.md, "one model for both languages"): the English embedding means
nothing for Chinese, so a message mostly in Chinese gets a zero embedding and is classified on
its n-grams: jieba's words (1-2) and the character n-grams, which for Chinese are close to
words themselves. The feature spaces of the two languages barely overlap, so one linear model
serves both without either pulling the other.
"""

from __future__ import annotations

import pickle
import re
from typing import Any

import numpy as np
import scipy.sparse as sp
from pypinyin import lazy_pinyin
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.utils.extmath import softmax

from bot.nlu.minilm import shared_encoder
from bot.nlu.tfidf import TfidfRows
from bot.nlu.tokenizer import CJK, cut

FILE = "intent_classifier.pkl"
VECTORIZERS = ("words", "chars", "zh_words", "zh_sounds")  # the fitted n-gram features


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class ParaphraseIntentClassifier(GraphComponent, IntentClassifier):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "C": 20.0,  # weak regularisation: the examples are few and each one counts
            "embedding_weight": 2.0,  # the embedding's scale against the n-gram tf-idf rows
            "chinese_words_weight": 1.0,  # jieba words' scale against the character n-grams
            "ranking_length": 10,
            # The sentence encoder with its weights in 8 bits (bot/nlu/minilm.py). Part of the
            # config so that Rasa's training cache tells models trained on either apart.
            "quantized_encoder": True,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        fitted: dict[str, Any] | None = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self._storage = model_storage
        self._resource = resource
        self._fitted = fitted
        self._rows: dict[str, TfidfRows] | None = None
        if fitted is not None:
            _column_major(fitted["model"])

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ParaphraseIntentClassifier:
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> ParaphraseIntentClassifier:
        try:
            with model_storage.read_from(resource) as path:
                # Our own file, written by train() into the model archive Rasa loads anyway.
                fitted = pickle.loads((path / FILE).read_bytes())  # noqa: S301
        except (ValueError, FileNotFoundError):
            fitted = None  # trained without intent examples
        classifier = cls(config, model_storage, resource, fitted)
        if fitted is not None:
            classifier.encoder()  # load the weights now: a missing package fails at start-up
        return classifier

    def encoder(self):
        return shared_encoder(quantized=self.config["quantized_encoder"])

    def _blocks(self, texts: list[str], fit: bool = False) -> list:
        """The feature blocks of `texts`, in the trained model's column order: sparse n-gram
        blocks and the dense (scaled) embedding."""
        words, chars = self._fitted["words"], self._fitted["chars"]
        zh_words = self._fitted.get("zh_words")  # absent in models trained before Mandarin
        zh_sounds = self._fitted.get("zh_sounds")
        heard = [sounds(t) for t in texts] if zh_sounds is not None else []
        latin = [CJK.sub(" ", t) for t in texts]
        segmented = [" ".join(w for w, _ in cut(t)) for t in texts]
        if fit:
            self._rows = None  # the vectorizers change
            if any(w.isalnum() for t in latin for w in t.split()):
                words.fit(latin)
            else:  # Chinese examples only: no Latin words to learn
                words = self._fitted["words"] = None
            chars.fit(texts)
            if any(segmented):
                zh_words.fit(segmented)
                zh_sounds.fit(heard)
            else:  # no Chinese examples: nothing to learn words from
                zh_words = self._fitted["zh_words"] = None
                zh_sounds = self._fitted["zh_sounds"] = None
        embedding = np.zeros((len(texts), self.encoder().dim), dtype=np.float32)
        english = [i for i, t in enumerate(texts) if not is_chinese(t)]
        if english:
            embedding[english] = self.encoder().encode([texts[i] for i in english])
        tfidf = self._tfidf()
        # The blocks' order is the trained model's column order: keep it.
        blocks = [tfidf["words"](latin)] if words is not None else []
        blocks += [tfidf["chars"](texts), embedding * self.config["embedding_weight"]]
        if zh_words is not None:
            blocks.append(tfidf["zh_words"](segmented) * self.config["chinese_words_weight"])
        if zh_sounds is not None:
            blocks.append(tfidf["zh_sounds"](heard))
        return blocks

    def _tfidf(self) -> dict[str, TfidfRows]:
        """The fitted vectorizers' transforms (bot/nlu/tfidf.py), built once after fitting."""
        if self._rows is None:
            self._rows = {
                name: TfidfRows(self._fitted[name])
                for name in VECTORIZERS
                if self._fitted.get(name) is not None
            }
        return self._rows

    def _features(self, texts: list[str], fit: bool = False) -> sp.csr_matrix:
        return _joined(self._blocks(texts, fit))

    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.intent_examples if m.get(TEXT) and m.get(INTENT)]
        if not examples:
            return self._resource
        self.fit([m.get(TEXT) for m in examples], [m.get(INTENT) for m in examples])
        with self._storage.write_to(self._resource) as path:
            (path / FILE).write_bytes(pickle.dumps(self._fitted))
        return self._resource

    def fit(self, texts: list[str], intents: list[str]) -> None:
        """Learn the features and the model from examples (also used by bench.nlu_quality)."""
        self._fitted = {
            "words": TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
            "chars": TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 5), sublinear_tf=True),
            # Single characters are words in Chinese (还, 对, 不): every jieba token counts.
            "zh_words": TfidfVectorizer(
                token_pattern=r"\S+",  # noqa: S106 (a regex, not a password)
                ngram_range=(1, 2),
                sublinear_tf=True,
                lowercase=False,
            ),
            "zh_sounds": TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 5), sublinear_tf=True),
        }
        features = self._features([_normal(t) for t in texts], fit=True)
        model = LogisticRegression(C=self.config["C"], max_iter=5000)
        model.fit(features, intents)
        self._fitted["model"] = _column_major(model)

    def predict(self, texts: list[str]) -> list[str]:
        """The most likely intent of each text."""
        return [ranked[0][0] for ranked in self.rank(texts)]

    def rank(self, texts: list[str]) -> list[list[tuple[str, float]]]:
        """Each text's intents with their confidence, most likely first."""
        model = self._fitted["model"]
        probabilities = _probabilities(model, self._blocks([_normal(t) for t in texts]))
        order = np.argsort(-probabilities, axis=1)[:, : self.config["ranking_length"]]
        return [
            [(str(model.classes_[i]), float(row[i])) for i in best]
            for row, best in zip(probabilities, order, strict=True)
        ]

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            # As DIET does: no intent rather than none set (the FallbackClassifier reads it);
            # messages with text get theirs below.
            message.set(INTENT, {"name": None, "confidence": 0.0}, add_to_output=True)
            message.set("intent_ranking", [], add_to_output=True)
        with_text = [m for m in messages if m.get(TEXT)]
        if not with_text or self._fitted is None:
            return messages
        for message, ranked in zip(
            with_text, self.rank([m.get(TEXT) for m in with_text]), strict=True
        ):
            ranking = [{"name": name, "confidence": confidence} for name, confidence in ranked]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set("intent_ranking", ranking, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data


def _joined(blocks: list) -> sp.csr_matrix:
    """The blocks side by side as one sparse matrix (what the model is fit on)."""
    return sp.hstack([sp.csr_matrix(b) if isinstance(b, np.ndarray) else b for b in blocks]).tocsr()


def _probabilities(model: LogisticRegression, blocks: list) -> np.ndarray:
    """`model.predict_proba` of the blocks side by side, scored block by block: joining them
    into one sparse matrix first (scipy's hstack goes through a COO copy) cost more than the
    scoring itself for a one-message batch. Multinomial, as lbfgs fits more than two intents:
    softmax of the scores, as scikit-learn computes it (tests/nlu/test_classifier_features.py)."""
    one_vs_rest = model.multi_class == "ovr" or (
        model.multi_class == "auto" and (len(model.classes_) <= 2 or model.solver == "liblinear")
    )
    if one_vs_rest:  # scored differently (not how config.yml's model is fit): scikit-learn's way
        return model.predict_proba(_joined(blocks))
    scores = np.tile(model.intercept_, (blocks[0].shape[0], 1))
    start = 0
    for block in blocks:
        stop = start + block.shape[1]
        scores += block @ model.coef_[:, start:stop].T  # a contiguous slice: coef_ is column-major
        start = stop
    return softmax(scores, copy=False)


def _column_major(model: LogisticRegression) -> LogisticRegression:
    """The weights stored column by column. scikit-learn scores a sparse message as
    `X @ coef_.T`, and scipy copies a matrix that is not C-contiguous first: with row-major
    weights every message copied all of them (tens of MB, a sixth of a parse's CPU)."""
    model.coef_ = np.asfortranarray(model.coef_)
    return model


def is_chinese(text: str) -> bool:
    """Mostly Chinese: more Chinese characters than Latin letters ("我已经还了ok" is)."""
    chinese = len(CJK.findall(text))
    return chinese > 0 and chinese >= sum(c.isascii() and c.isalpha() for c in text)


# Numbers in digits or in Chinese numerals (two or more: 一 alone is a word, 一定, 一下).
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?|[零〇一二三四五六七八九十百千万两幺洞]{2,}")
_CHINESE_OR_NUMBER = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[0-9]+(?:\.[0-9]+)?")


def sounds(text: str) -> str:
    """The Chinese of `text` as toneless pinyin, each number one symbol; "" for English.

    "我下周五还1.2万" -> "wo xia zhou wu hai N wan"."""
    heard = []
    for run in _CHINESE_OR_NUMBER.finditer(_NUMBER.sub("0", text)):
        part = run.group()
        heard += ["N"] if part[0].isdigit() else lazy_pinyin(part)
    return " ".join(heard) if CJK.search(text) else ""


def _normal(text: str) -> str:
    return " ".join(text.lower().split())
