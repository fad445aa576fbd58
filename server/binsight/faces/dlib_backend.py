"""dlib face backend, the default: it installs from the package registry with no download step.

Weights come from the ``face-recognition-models`` package (PyPI, CC0-1.0, by the author of
``face_recognition``): the HOG detector is built into dlib, ``mmod_human_face_detector.dat`` is
the optional CNN detector, ``shape_predictor_5_face_landmarks.dat`` gives landmarks and
``dlib_face_recognition_resnet_model_v1.dat`` the 128-d vectors. dlib itself (``dlib-bin``) is
under the Boost Software Licence.

The package also ships ``shape_predictor_68_face_landmarks.dat``; it is deliberately never loaded:
it was trained on iBUG 300-W, whose licence excludes commercial use, and alignment needs only the
five points anyway.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import cv2
import dlib
import numpy as np

from binsight.faces.align import laplacian_sharpness, rescale
from binsight.faces.base import DetectedFace, FaceConfig, FaceModel

LANDMARKS_FILE = "shape_predictor_5_face_landmarks.dat"
RECOGNITION_FILE = "dlib_face_recognition_resnet_model_v1.dat"
CNN_DETECTOR_FILE = "mmod_human_face_detector.dat"

#: Smallest face box (px) each detector finds at native scale, measured on ../shared/faces by
#: shrinking each portrait until detection fails: HOG's 80 px window finds faces down to ~60 px,
#: MMOD's boxes bottom out at 80 px and it finds faces down to ~70 px.
SMALLEST_DETECTABLE_PX = {"hog": 64.0, "cnn": 80.0}

#: dlib's descriptor was trained on 150x150 chips with 25% padding around the 5-point template.
CHIP_SIZE = 150
CHIP_PADDING = 0.25


def installed_weights_dir() -> Path:
    """Directory of the ``face-recognition-models`` .dat files, found without importing the
    package: its ``__init__`` imports ``pkg_resources``, which current setuptools no longer has.
    ``find_spec`` of a top-level package only locates it."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "face-recognition-models is not installed: pip install face-recognition-models"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "models"


class DlibFaceModel(FaceModel):
    """HOG (or MMOD CNN) detection, 5-point landmarks, ResNet 128-d vectors.

    Landmarks are dlib's 5-point order, in image pixels: 0-1 outer and inner corner of the eye on
    the image's right, 2-3 outer and inner corner of the eye on the image's left, 4 base of the nose
    (this model has no mouth points).
    """

    model_id = "dlib-resnet-v1"
    dim = 128
    #: Euclidean distance between L2-normalised vectors. Measured on ../shared/faces/people (15
    #: portraits, 6 people): same-person pairs 0.238-0.372, different-person pairs 0.472-0.724; the
    #: child in groups/obama_and_biden_2.jpg is >= 0.5 from everyone. 0.42 is the middle of that gap,
    #: well below the 0.6 dlib's examples use, because merging two people costs an editor more than
    #: splitting one (notes/clustering-pitfalls.md). Single faces of the ~45 px wide shot in
    #: short_hamilton_clip.mp4 lie 0.30-0.43 from the same man's medium shot: compare several
    #: exemplars per character rather than one pair.
    match_threshold = 0.42
    license = "CC0-1.0 (weights: face-recognition-models; code: dlib Boost licence)"
    provider = "cpu"

    def __init__(self, weights_dir: Path, config: FaceConfig | None = None) -> None:
        """Load the .dat files from ``weights_dir`` (see ``installed_weights_dir``)."""
        self.config = config or FaceConfig()
        weights_dir = Path(weights_dir)
        if self.config.detector == "hog":
            self._hog = dlib.get_frontal_face_detector()
        elif self.config.detector == "cnn":
            self._cnn = dlib.cnn_face_detection_model_v1(str(weights_dir / CNN_DETECTOR_FILE))
        else:
            raise ValueError(f"dlib detector must be 'hog' or 'cnn', not {self.config.detector!r}")
        self._landmarks = dlib.shape_predictor(str(weights_dir / LANDMARKS_FILE))
        self._encoder = dlib.face_recognition_model_v1(str(weights_dir / RECOGNITION_FILE))
        # HOG scores are SVM margins (dlib's own cut is 0); MMOD confidences likewise.
        self._min_score = 0.0 if self.config.min_det_score is None else self.config.min_det_score

    @classmethod
    def from_pack(cls, pack_dir: Path | None = None, config: FaceConfig | None = None) -> "DlibFaceModel":
        """The model manager's constructor (same for every backend). ``pack_dir`` holds the .dat
        files; None, the built-in pack, means the ones installed with ``face-recognition-models``."""
        return cls(pack_dir if pack_dir is not None else installed_weights_dir(), config)

    def analyze(self, image: np.ndarray) -> list[DetectedFace]:
        rgb = np.ascontiguousarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
        height, width = rgb.shape[:2]
        faces = []
        for rect, score in self._detect(rgb):
            if rect.height() < self.config.min_face_px:
                continue
            shape = self._landmarks(rgb, rect)
            # One chip serves sharpness and the vector: compute_face_descriptor(chip) gives the
            # same vector as compute_face_descriptor(rgb, shape, 0, CHIP_PADDING), which would
            # build the chip again internally.
            chip = dlib.get_face_chip(rgb, shape, size=CHIP_SIZE, padding=CHIP_PADDING)
            vector = np.asarray(self._encoder.compute_face_descriptor(chip), dtype=np.float32)
            faces.append(
                DetectedFace(
                    # Clipped to the image (a face cut by the frame edge has a box past it); the
                    # size gate above used the detector's full box.
                    box=(
                        float(max(rect.left(), 0)), float(max(rect.top(), 0)),
                        float(min(rect.right() + 1, width)), float(min(rect.bottom() + 1, height)),
                    ),
                    landmarks=np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float32),
                    det_score=score,
                    sharpness=laplacian_sharpness(chip),
                    vector=vector / max(float(np.linalg.norm(vector)), 1e-12),
                )
            )
        return faces

    def _detect(self, rgb: np.ndarray) -> list[tuple[dlib.rectangle, float]]:
        """Detect on a copy rescaled for small faces; return boxes in source pixels with scores."""
        height, width = rgb.shape[:2]
        scale = self.config.detection_scale(height, width, SMALLEST_DETECTABLE_PX[self.config.detector])
        scanned = np.ascontiguousarray(rescale(rgb, scale))
        if self.config.detector == "hog":
            # run() returns every window scoring above adjust_threshold, with its score.
            rects, scores, _ = self._hog.run(scanned, 0, self._min_score)
            found = list(zip(rects, scores))
        else:
            found = [(d.rect, d.confidence) for d in self._cnn(scanned, 0) if d.confidence >= self._min_score]
        # Undo the scale on the box's edges (not its size) so the box stays where the face is.
        sy, sx = scanned.shape[0] / height, scanned.shape[1] / width
        return [
            (
                dlib.rectangle(
                    round(r.left() / sx), round(r.top() / sy),
                    round((r.right() + 1) / sx) - 1, round((r.bottom() + 1) / sy) - 1,
                ),
                float(s),
            )
            for r, s in found
        ]
