"""Tiny hand-built ONNX face models with the real models' signatures, so the InsightFace and OpenCV
backends run their true decoding, NMS, alignment and embedding code in tests without weights.

The "faces" are bright textured squares on a dark background (``face_image``). The detectors
(SCRFD det_10g layout; YuNet 2023mar layout) compute, per stride s and anchor point (x*s, y*s),
a centre-surround brightness response: mean over the 2s x 2s window centred on the anchor minus
the mean over the 4s x 4s window. It peaks only where a square of side 2s is centred on the anchor,
so a 32 px square fires one stride-16 anchor, a 64 px square one stride-32 anchor. Box regressions
are constant (the anchor +- s) and landmark regressions place the five points where InsightFace's
ArcFace template puts them in that box, so a correct pipeline returns the square as the box and
aligns the chip onto exactly the square.

The recognisers (ArcFace w600k layout 1x3x112x112 -> 512; SFace layout -> 128) are a fixed
linear projection of the 8x8-pooled chip: equal chips give equal vectors, different textures
differ, and ``reference_vector`` predicts the exact output from the chip the test expects.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import onnx
from insightface.utils.face_align import arcface_dst
from onnx import TensorProto, helper, numpy_helper

STRIDES = (8, 16, 32)
OPSET = 13
#: Sigmoid(GAIN * (response - BIAS)): a centred square gives ~1.25 (score ~0.99); a half-covered
#: or off-scale anchor at most ~0.45 (score < 0.04).
GAIN, BIAS = 10.0, 0.8
POOL = 8  # recogniser pooling: 112 / 8 = 14 cells per side
BACKGROUND = 0

#: ArcFace template points as offsets from the box centre in units of the stride (box = +-1 stride).
LANDMARK_OFFSETS = (arcface_dst / 56.0 - 1.0).astype(np.float32).reshape(1, 10)


def face_texture(seed: int, side: int) -> np.ndarray:
    """A bright BGR texture unique to ``seed``, varying at the 14-cell scale the recognisers see."""
    rng = np.random.default_rng(seed)
    cells = rng.integers(170, 256, (7, 7, 3)).astype(np.uint8)
    return cv2.resize(cells, (side, side), interpolation=cv2.INTER_CUBIC)


def face_image(width: int, height: int, faces: list[tuple[int, int, int, int]]) -> np.ndarray:
    """Dark BGR image with ``(seed, centre_x, centre_y, side)`` textured squares."""
    image = np.full((height, width, 3), BACKGROUND, np.uint8)
    for seed, cx, cy, side in faces:
        image[cy - side // 2 : cy + side // 2, cx - side // 2 : cx + side // 2] = face_texture(seed, side)
    return image


def expected_landmarks(cx: float, cy: float, side: float) -> np.ndarray:
    """Where a correct decoder puts the 5 points for a square of ``side`` centred at (cx, cy)."""
    return np.array([cx, cy], np.float32) + LANDMARK_OFFSETS.reshape(5, 2) * (side / 2)


def projection(dim: int, seed: int = 0) -> np.ndarray:
    """The recogniser's fixed weights: (3 * 14 * 14, dim). Each channel's weights sum to zero over
    the 14 x 14 cells, so a chip's overall brightness (shared by all faces) projects to nothing
    and the vector reflects only the texture: like a real embedder, it ignores exposure."""
    rng = np.random.default_rng(seed)
    cells = (112 // POOL) ** 2
    weights = rng.standard_normal((3, cells, dim)).astype(np.float32)
    return (weights - weights.mean(axis=1, keepdims=True)).reshape(3 * cells, dim)


def reference_vector(chip_rgb: np.ndarray, weights: np.ndarray, mean: float, std: float) -> np.ndarray:
    """What the recogniser graph returns for one 112x112 RGB chip, L2-normalised."""
    x = (chip_rgb.astype(np.float32) - mean) / std
    cells = 112 // POOL
    pooled = x.transpose(2, 0, 1).reshape(3, cells, POOL, cells, POOL).mean(axis=(2, 4))
    vector = pooled.reshape(-1) @ weights
    return vector / np.linalg.norm(vector)


class _Graph:
    """Accumulates nodes and initialisers; names are prefixed so no node name starts with 'Sub' or
    'Mul' (ArcFaceONNX reads such names as an MXNet graph with built-in normalisation)."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._count = 0

    def const(self, name: str, value: np.ndarray) -> str:
        self.initializers.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def op(self, op_type: str, inputs: list[str], output: str | None = None, **attrs) -> str:
        self._count += 1
        output = output or f"t{self._count}_{op_type.lower()}"
        self.nodes.append(helper.make_node(op_type, inputs, [output], name=f"n{self._count}_{op_type.lower()}", **attrs))
        return output

    def save(self, path: Path, inputs: list[onnx.ValueInfoProto], outputs: list[onnx.ValueInfoProto]) -> Path:
        graph = helper.make_graph(self.nodes, path.stem, inputs, outputs, self.initializers)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
        model.ir_version = 8
        onnx.checker.check_model(model)
        onnx.save(model, str(path))
        return path


def _centred_mean(g: _Graph, brightness: str, stride: int, window: int) -> str:
    """Mean of ``brightness`` over a window x window square centred on each anchor point
    (x * stride, y * stride); shape (1, 1, H / stride, W / stride)."""
    pad = window // 2
    pooled = g.op(
        "AveragePool", [brightness], kernel_shape=[window, window], strides=[stride, stride],
        pads=[pad, pad, pad, pad], count_include_pad=0,
    )
    # Centring the window on the anchor point yields one extra row and column: drop them.
    return g.op("Slice", [pooled, g.const(f"starts{stride}_{window}", np.array([0, 0], np.int64)),
                          g.const(f"ends{stride}_{window}", np.array([-1, -1], np.int64)),
                          g.const(f"axes{stride}_{window}", np.array([2, 3], np.int64))])


def _face_response(g: _Graph, brightness: str, stride: int) -> str:
    """Per-anchor face probability at ``stride``: (1, 1, H / stride, W / stride)."""
    inner = _centred_mean(g, brightness, stride, 2 * stride)
    outer = _centred_mean(g, brightness, stride, 4 * stride)
    contrast = g.op("Sub", [inner, outer])
    logits = g.op("Mul", [g.op("Add", [contrast, g.const(f"bias{stride}", np.float32(-BIAS))]), g.const(f"gain{stride}", np.float32(GAIN))])
    return g.op("Sigmoid", [logits])


def _constant_rows(g: _Graph, like: str, name: str, row: np.ndarray, output: str) -> str:
    """``row`` repeated once per row of ``like`` (whose rows are anchors)."""
    zeros = g.op("Mul", [like, g.const(f"{name}_zero", np.float32(0.0))])
    return g.op("Add", [zeros, g.const(name, row.astype(np.float32))], output)


def scrfd_model(path: Path) -> Path:
    """SCRFD det_10g signature: input 'input.1' (1, 3, ?, ?) normalised RGB; nine outputs in
    InsightFace's order (scores, boxes, landmarks; strides 8, 16, 32 each), two anchors per
    location, rows (N, 1) / (N, 4) / (N, 10), regressions in stride units."""
    g = _Graph()
    brightness = g.op("ReduceMean", ["input.1"], axes=[1], keepdims=1)
    scores, boxes, points = [], [], []
    for stride in STRIDES:
        response = _face_response(g, brightness, stride)
        two_anchors = g.op("Concat", [response, response], axis=1)  # (1, 2, h, w)
        per_anchor = g.op("Transpose", [two_anchors], perm=[0, 2, 3, 1])  # anchors vary fastest
        score = g.op("Reshape", [per_anchor, g.const(f"rows{stride}", np.array([-1, 1], np.int64))], f"score_{stride}")
        scores.append(score)
        boxes.append(_constant_rows(g, score, f"ltrb{stride}", np.ones((1, 4)), f"bbox_{stride}"))
        points.append(_constant_rows(g, score, f"kps{stride}", LANDMARK_OFFSETS, f"kps_{stride}"))
    image = helper.make_tensor_value_info("input.1", TensorProto.FLOAT, [1, 3, "?", "?"])
    outputs = [  # one symbolic row count per stride: ORT checks that equal names agree
        helper.make_tensor_value_info(name, TensorProto.FLOAT, [f"anchors_{stride}", width])
        for names, width in ((scores, 1), (boxes, 4), (points, 10))
        for name, stride in zip(names, STRIDES)
    ]
    return g.save(path, [image], outputs)


def yunet_model(path: Path) -> Path:
    """YuNet 2023mar signature: input 'input' (1, 3, H, W) raw BGR 0-255; outputs cls_*, obj_*,
    bbox_*, kps_* for strides 8, 16, 32, one anchor per cell, shaped (1, N, k). Boxes decode as
    centre (c + dx) * s, size exp(dw) * s, so dw = ln 2 gives the 2s square."""
    g = _Graph()
    mean = g.op("ReduceMean", ["input"], axes=[1], keepdims=1)
    brightness = g.op("Add", [g.op("Mul", [mean, g.const("inv127", np.float32(1 / 127.5))]), g.const("minus1", np.float32(-1.0))])
    outputs = []
    for stride in STRIDES:
        response = g.op("Transpose", [_face_response(g, brightness, stride)], perm=[0, 2, 3, 1])
        cls = g.op("Reshape", [response, g.const(f"rows{stride}", np.array([1, -1, 1], np.int64))], f"cls_{stride}")
        rows = {
            "cls": cls,
            "obj": _constant_rows(g, cls, f"obj{stride}", np.ones((1, 1, 1)), f"obj_{stride}"),
            "bbox": _constant_rows(g, cls, f"box{stride}", np.array([[[0, 0, np.log(2), np.log(2)]]]), f"bbox_{stride}"),
            "kps": _constant_rows(g, cls, f"kps{stride}", LANDMARK_OFFSETS.reshape(1, 1, 10), f"kps_{stride}"),
        }
        outputs.append(rows)
    widths = {"cls": 1, "obj": 1, "bbox": 4, "kps": 10}
    image = helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, "H", "W"])
    values = [
        helper.make_tensor_value_info(rows[kind], TensorProto.FLOAT, [1, f"cells_{stride}", widths[kind]])
        for kind in ("cls", "obj", "bbox", "kps")
        for rows, stride in zip(outputs, STRIDES)
    ]
    return g.save(path, [image], values)


def recognizer_model(path: Path, weights: np.ndarray, input_name: str, output_name: str) -> Path:
    """Recogniser signature (batch, 3, 112, 112) -> (batch, dim): pool 8x8, flatten, project.
    ArcFace packs use 'input.1'; SFace uses 'data'. Normalisation is the host library's."""
    g = _Graph()
    pooled = g.op("AveragePool", [input_name], kernel_shape=[POOL, POOL], strides=[POOL, POOL])
    flat = g.op("Flatten", [pooled], axis=1)
    g.op("MatMul", [flat, g.const("projection", weights)], output_name)
    image = helper.make_tensor_value_info(input_name, TensorProto.FLOAT, ["batch", 3, 112, 112])
    vector = helper.make_tensor_value_info(output_name, TensorProto.FLOAT, ["batch", weights.shape[1]])
    return g.save(path, [image], [vector])
