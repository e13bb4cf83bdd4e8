"""The all-MiniLM-L6-v2 encoder behind the intent classifier (bot/nlu/minilm.py): its graph checked
against BERT's forward pass written out in numpy (how it ran before ONNX Runtime), and the 8-bit
one the classifier uses against the graph in floats."""

import math

import numpy as np
import pytest
from scipy.special import erf

from bot.nlu.minilm import DIM, HEADS, LAYERS, load_weights, shared_encoder

SENTENCES = [
    "yes speaking",
    "i can pay two hundred dollars on friday",
    "pound sand",
    "my date of birth is the twelfth of march nineteen eighty",
    "can i pay in instalments please",
    "i'm between jobs right now",
    "goodbye",
]


@pytest.fixture(scope="module")
def encoder():
    return shared_encoder()


def numpy_embedding(w: dict, ids: list[int]) -> np.ndarray:
    """One sentence through BERT and sentence-transformers' mean pooling, in plain numpy."""

    def dense(x, name):
        return x @ w[name + ".weight"].T + w[name + ".bias"]

    def norm(x, name):
        mean, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + 1e-12) * w[name + ".weight"] + w[name + ".bias"]

    size = DIM // HEADS
    x = (
        w["embeddings.word_embeddings.weight"][ids]
        + w["embeddings.position_embeddings.weight"][: len(ids)]
        + w["embeddings.token_type_embeddings.weight"][0]
    )
    x = norm(x, "embeddings.LayerNorm")
    for i in range(LAYERS):
        p = f"encoder.layer.{i}."
        q, k, v = (
            dense(x, f"{p}attention.self.{n}").reshape(len(ids), HEADS, size).transpose(1, 0, 2)
            for n in ("query", "key", "value")
        )
        scores = q @ k.transpose(0, 2, 1) / math.sqrt(size)
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        scores /= scores.sum(-1, keepdims=True)
        context = (scores @ v).transpose(1, 0, 2).reshape(len(ids), DIM)
        x = norm(x + dense(context, p + "attention.output.dense"), p + "attention.output.LayerNorm")
        h = dense(x, p + "intermediate.dense")
        h = 0.5 * h * (1.0 + erf(h / math.sqrt(2.0)))
        x = norm(x + dense(h, p + "output.dense"), p + "output.LayerNorm")
    pooled = x.mean(0)
    return pooled / np.linalg.norm(pooled)


@pytest.fixture(scope="module")
def in_floats():
    return shared_encoder(quantized=False)


def test_the_graph_computes_berts_forward_pass(in_floats):
    weights = load_weights()
    for text, vector in zip(SENTENCES, in_floats.encode(SENTENCES), strict=True):
        expected = numpy_embedding(weights, in_floats.tokenizer.encode(text).ids)
        assert np.allclose(vector, expected, atol=1e-5), text


def test_eight_bit_weights_keep_each_embedding_close(encoder, in_floats):
    cosines = (encoder.encode(SENTENCES) * in_floats.encode(SENTENCES)).sum(1)
    assert cosines.min() > 0.97, dict(zip(SENTENCES, cosines.round(4), strict=True))
    assert cosines.max() < 0.99999, "the shared encoder should be the 8-bit one"


def test_embeddings_are_unit_vectors_of_384(encoder):
    vectors = encoder.encode(["i lost my job", "hello"])
    assert vectors.shape == (2, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize("which", ["encoder", "in_floats"])
def test_a_sentence_comes_out_the_same_beside_others(which, request):
    encoder = request.getfixturevalue(which)
    short = "yes"
    alone = encoder.encode([short])[0]
    beside_a_long_one = encoder.encode([short, "i can pay two hundred dollars next friday " * 3])[0]
    assert np.allclose(alone, beside_a_long_one, atol=1e-5)


def test_paraphrases_are_closer_than_other_intents(encoder):
    laid_off, between_jobs, friday, who = encoder.encode(
        ["i was laid off", "i'm between jobs right now", "i'll pay on friday", "who is this"]
    )
    assert laid_off @ between_jobs > laid_off @ friday
    assert laid_off @ between_jobs > laid_off @ who
