"""The face-model interface shared by every face backend (dlib, InsightFace, OpenCV SFace).

A backend finds faces in an upright BGR image, aligns each on its five landmarks and embeds it.
Vectors are L2-normalised and belong to the embedding space named by ``model_id``; faces of
different models are never compared. ``match_threshold`` is the Euclidean distance between two
normalised vectors below which the backend judges two faces to be the same person.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Literal, Sequence

import numpy as np


@dataclass(frozen=True)
class FaceConfig:
    """Detection gates and the small-face budget, shared by every backend.

    Editors' wide shots hold faces of 30-50 px, below what most detectors see at native size
    (dlib HOG: ~64 px), so a backend rescales the image by ``detection_scale`` before detecting:
    up far enough that a ``min_face_px`` face reaches the detector's smallest size, but never past
    ``max_detect_pixels`` scanned pixels, which bounds time and memory per frame. The default
    budget is a 1080p frame doubled: enough for 32 px faces in 1080p with HOG; 4K frames are
    scanned at native size (smallest face ~64 px). Detector cost grows with pixels scanned, so
    tiling a whole upscaled frame would cost the same as scanning it whole. What does pay is
    scanning a shot coarse to fine (``DlibFaceModel.analyze_shot``): full upscaled scans only on
    the samples ``max_shot_detect_pixels`` pays for, elsewhere a quarter-scale scan plus upscaled
    scans of the regions around faces already found; and ``max_faces_per_shot`` bounds the
    embedding cost, which dominates once detection is cheap.
    """

    #: Faces whose box is shorter than this (source pixels) are dropped: below ~32 px the
    #: embedding is mostly interpolation and clusters poorly.
    min_face_px: int = 32
    #: Detector score gate. Scores are backend-specific (dlib HOG: SVM margin, dlib CNN and the
    #: ONNX detectors: confidence), so None means the backend's own calibrated default.
    min_det_score: float | None = None
    #: dlib only: 'hog' (fast, frontal faces) or 'cnn' (MMOD: more poses, but 30-40x slower than
    #: HOG at the same scale on CPU, see bench/faces.py; pair it with a larger min_face_px).
    detector: Literal["hog", "cnn"] = "hog"
    #: Upper bound on pixels the detector scans per image after rescaling.
    max_detect_pixels: int = 4 * 1920 * 1080
    #: Per shot (backends with ``analyze_shot``, i.e. dlib): pixels of full scans at the detection
    #: scale. Samples beyond it get a quarter-scale scan plus detection-scale scans only around the
    #: small faces the fully scanned samples showed. The default pays for one full scan of a 1080p
    #: sample (~1.3 CPU-s with HOG), two of 720p, every sample of SD footage.
    max_shot_detect_pixels: int = 4 * 1920 * 1080
    #: Per shot (``analyze_shot``): faces described (aligned + embedded; ~0.15 CPU-s each with
    #: dlib), shared round-robin over the shot's tracks, best faces first, at least two per track.
    #: None: every face found. 14 keeps every face of shots with up to two people (seven samples).
    max_faces_per_shot: int | None = 14

    def detection_scale(self, height: int, width: int, smallest_detectable_px: float) -> float:
        """Factor to resize an image by so ``min_face_px`` faces become detectable, within budget.

        Below 1 when faces of ``min_face_px`` are findable in a smaller image (cheaper) or when the
        image alone exceeds the budget (then the smallest face found is larger than asked).
        """
        wanted = smallest_detectable_px / self.min_face_px
        allowed = math.sqrt(self.max_detect_pixels / float(height * width))
        return min(wanted, allowed)


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

    def analyze_shot(self, images: Sequence[np.ndarray]) -> list[list[DetectedFace]]:
        """Faces of one shot's samples, in frame order. A backend that can share work across
        the frames of a shot (scan one at full budget, track into the others) overrides this."""
        return [self.analyze(image) for image in images]
