"""The scene-embedder interface. An embedder turns upright BGR keyframes into L2-normalised
vectors in one embedding space, named by ``model_id``: vectors with different ids are never
compared (the store keeps the id beside every vector and re-embeds when the model changes)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Sequence

import numpy as np


class SceneEmbedder(ABC):
    """Where-is-this-shot embedding. Subclasses: ``pixels`` (weight-free), ``clip`` (ONNX)."""

    #: Stable identity of the embedding space, e.g. "pixels-v1" or "clip:ViT-B-32:laion2b_s34b_b79k".
    model_id: str
    dim: int
    #: Whether ``embed_texts`` is meaningful (text search needs a joint image/text space).
    supports_text: bool = False
    #: Execution provider actually in use, for status reports ("numpy" for pure-CPU code).
    provider: str = "numpy"

    @abstractmethod
    def embed_images(self, images: Sequence[np.ndarray]) -> np.ndarray:
        """Return an ``(n, dim)`` float32 array of L2-normalised vectors, one per BGR image."""

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Return ``(n, dim)`` L2-normalised text vectors in the image space."""
        raise NotImplementedError(f"{self.model_id} has no text tower; text search needs CLIP")


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    """Row-wise L2 normalisation that leaves all-zero rows at zero instead of NaN."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)
