"""The numpy all-MiniLM-L6-v2 encoder behind the intent classifier (bot/nlu/minilm.py)."""

import numpy as np
import pytest

from bot.nlu.minilm import shared_encoder


@pytest.fixture(scope="module")
def encoder():
    return shared_encoder()


def test_embeddings_are_unit_vectors_of_384(encoder):
    vectors = encoder.encode(["i lost my job", "hello"])
    assert vectors.shape == (2, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_padding_in_a_batch_changes_nothing(encoder):
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
