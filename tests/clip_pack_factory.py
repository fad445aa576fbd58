"""Builds tiny CLIP-signature packs with onnx.helper, so CLIP code paths run without torch.

The towers have CLIP's interface and nothing else: image ``pixels (n, 3, S, S) float32`` →
``(n, D)`` through one linear map; text ``tokens (n, 77) int64`` → ``(n, D)`` by summing rows of
an embedding table. The BPE vocabulary holds a handful of merges: enough for the tokenizer to
run; id-for-id agreement with open_clip is tests/test_clip_export.py's job.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from binsight.packs.manifest import PackManifest

IMAGE_SIZE = 32
DIM = 16
CONTEXT = 77
MERGES = ["h e", "t h", "th e</w>", "a </w>", "o g</w>", "d og</w>", "c a", "ca t</w>"]
VOCAB_SIZE = 512 + len(MERGES) + 2
MEAN = [0.48145466, 0.4578275, 0.40821073]
STD = [0.26862954, 0.26130258, 0.27577711]


def _save(graph: onnx.GraphProto, path: Path) -> None:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8  # readable by every onnxruntime Binsight supports
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def image_graph(weights: np.ndarray, batch: int | str = "n") -> onnx.GraphProto:
    pixels = helper.make_tensor_value_info("pixels", TensorProto.FLOAT, [batch, 3, IMAGE_SIZE, IMAGE_SIZE])
    out = helper.make_tensor_value_info("embedding", TensorProto.FLOAT, [batch, weights.shape[1]])
    return helper.make_graph(
        [helper.make_node("Flatten", ["pixels"], ["flat"], axis=1),
         helper.make_node("MatMul", ["flat", "W"], ["embedding"])],
        "image_tower", [pixels], [out], [numpy_helper.from_array(weights, "W")],
    )


def text_graph(table: np.ndarray) -> onnx.GraphProto:
    tokens = helper.make_tensor_value_info("tokens", TensorProto.INT64, ["n", CONTEXT])
    out = helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["n", table.shape[1]])
    return helper.make_graph(
        [helper.make_node("Gather", ["table", "tokens"], ["rows"], axis=0),
         helper.make_node("ReduceSum", ["rows", "axis"], ["embedding"], keepdims=0)],
        "text_tower", [tokens], [out],
        [numpy_helper.from_array(table, "table"), numpy_helper.from_array(np.array([1], np.int64), "axis")],
    )


def make_clip_pack(pack_dir: Path, name: str = "clip-tiny", seed: int = 0, batch: int | str = "n",
                   dim: int = DIM) -> PackManifest:
    """Write a complete, checksummed tiny CLIP pack into ``pack_dir``; return its manifest.
    ``batch=1`` exports the image tower with a fixed batch dimension."""
    rng = np.random.default_rng(seed)
    pack_dir.mkdir(parents=True, exist_ok=True)
    _save(image_graph(rng.standard_normal((3 * IMAGE_SIZE * IMAGE_SIZE, dim)).astype(np.float32), batch),
          pack_dir / "image.onnx")
    _save(text_graph(rng.standard_normal((VOCAB_SIZE, dim)).astype(np.float32)), pack_dir / "text.onnx")
    with gzip.open(pack_dir / "bpe_simple_vocab_16e6.txt.gz", "wt", encoding="utf-8") as vocab:
        vocab.write("#version: tiny test vocabulary\n" + "\n".join(MERGES))
    manifest = PackManifest.for_files(
        pack_dir, ["image.onnx", "text.onnx", "bpe_simple_vocab_16e6.txt.gz"],
        name=name, version="1", kind="scene", family="clip", model_id=f"clip:tiny:{name}-{seed}",
        dim=dim, license="CC0-1.0 (test fixture)", source="tests/clip_pack_factory.py",
        preprocessing={"image_size": IMAGE_SIZE, "resize_mode": "shortest",
                       "interpolation": "bicubic", "mean": MEAN, "std": STD},
        extra={"context_length": CONTEXT, "tokenizer_clean": "lower",
               "special_tokens": ["<start_of_text>", "<end_of_text>"],
               "vocab": "bpe_simple_vocab_16e6.txt.gz"},
    )
    manifest.save(pack_dir)
    return manifest
