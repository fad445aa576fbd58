"""ONNX Runtime sessions with the execution provider chosen for the machine.

The CLIP towers run through :class:`OnnxModel`, so provider selection, thread settings and the
error a user sees for a broken file live in one place. (The face backends load their ONNX files
through InsightFace's model zoo and OpenCV, which choose providers themselves.) Providers are tried best first: CUDA, then CoreML
(Apple silicon), then CPU, which is always there. ``.provider`` names the one the session really
uses — ONNX Runtime silently falls back when a provider fails to initialise, so the name comes
from the session, not from the request.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import onnxruntime as ort

from ..errors import Unavailable

#: Best first. Anything not available in this onnxruntime build is skipped.
PREFERRED_PROVIDERS: tuple[str, ...] = (
    "CUDAExecutionProvider",
    "CoreMLExecutionProvider",
    "CPUExecutionProvider",
)


def choose_providers(available: Sequence[str] | None = None) -> list[str]:
    """The preferred providers this onnxruntime build offers, best first (CPU always last)."""
    available = ort.get_available_providers() if available is None else available
    chosen = [p for p in PREFERRED_PROVIDERS if p in available]
    return chosen or ["CPUExecutionProvider"]


def short_provider_name(provider: str) -> str:
    """``"CUDAExecutionProvider"`` → ``"cuda"``: the form status reports show."""
    return provider.removesuffix("ExecutionProvider").lower()


class OnnxModel:
    """One ONNX graph loaded in a session; ``run`` feeds named numpy inputs, returns outputs.

    ``intra_op_threads=0`` lets ONNX Runtime use every core; the server sets a smaller number
    when it shares the machine with decoding and face work.
    """

    def __init__(
        self,
        path: Path,
        providers: Sequence[str] | None = None,
        intra_op_threads: int = 0,
    ) -> None:
        self.path = Path(path)
        options = ort.SessionOptions()
        options.intra_op_num_threads = intra_op_threads
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            self.session = ort.InferenceSession(
                str(self.path), sess_options=options, providers=list(providers or choose_providers())
            )
        except Exception as exc:  # onnxruntime raises its own untyped errors for unreadable files
            raise Unavailable(f"cannot load ONNX model {self.path}: {exc}") from exc
        self.input_names = [i.name for i in self.session.get_inputs()]
        self.output_names = [o.name for o in self.session.get_outputs()]
        self.provider = short_provider_name(self.session.get_providers()[0])

    def run_single(self, array: np.ndarray) -> np.ndarray:
        """For the common one-input graph (both CLIP towers): its first output for ``array``."""
        return self.session.run(self.output_names[:1], {self.input_names[0]: array})[0]
