"""The face-model interface shared by every face backend (dlib, InsightFace, OpenCV SFace).

A backend finds faces in an upright BGR image, aligns each on its five landmarks and embeds it.
Vectors are L2-normalised and belong to the embedding space named by ``model_id``; faces of
different models are never compared. ``match_threshold`` is the Euclidean distance between two
normalised vectors below which the backend judges two faces to be the same person.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class DetectedFace:
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in image pixels
    landmarks: np.ndarray  # (5, 2): eyes, nose, mouth corners (backend's own order, documented)
    det_score: float
    sharpness: float  # variance of the Laplacian of the aligned crop: low means blurred
    vector: np.ndarray  # (dim,) float32, L2-normalised

    @property
    def size_px(self) -> float:
        """Face height in pixels: what minimum-size rules and small-face handling look at."""
        return float(self.box[3] - self.box[1])


class FaceModel(ABC):
    model_id: str
    dim: int
    match_threshold: float
    license: str
    provider: str = "cpu"

    @abstractmethod
    def analyze(self, image: np.ndarray) -> list[DetectedFace]:
        """Detect, align and embed every face in ``image`` that passes the size/score gates."""
