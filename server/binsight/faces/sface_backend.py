"""OpenCV backend: YuNet detection (``cv2.FaceDetectorYN``) and SFace 128-d vectors
(``cv2.FaceRecognizerSF``), the commercially usable alternative to InsightFace.

Weights come from the OpenCV model zoo (github.com/opencv/opencv_zoo, models/face_detection_yunet
and models/face_recognition_sface), both Apache-2.0. A pack directory holds one
``face_detection_yunet_*.onnx`` and one ``face_recognition_sface_*.onnx``; decoding, NMS and the
5-point alignment are OpenCV's own.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from binsight.faces.align import laplacian_sharpness, rescale
from binsight.faces.base import DetectedFace, FaceConfig, FaceModel

#: YuNet's finest feature map has stride 8 and it is trained down to ~10 px faces; 16 px keeps a
#: margin. Not measured here: the zoo weights are not in the test environment.
SMALLEST_DETECTABLE_PX = 16.0
#: OpenCV's default YuNet thresholds (FaceDetectorYN.create).
DEFAULT_MIN_SCORE = 0.9
NMS_THRESHOLD = 0.3
TOP_K = 5000


def _pick(pack_dir: Path, pattern: str) -> Path:
    """Newest float model matching ``pattern``: zoo packs may also hold int8-quantised copies,
    which are faster but lose accuracy, so they are used only when alone."""
    paths = sorted(pack_dir.glob(pattern), key=lambda p: p.name, reverse=True)
    if not paths:
        raise FileNotFoundError(f"{pack_dir} has no {pattern}")
    return sorted(paths, key=lambda p: "int8" in p.name)[0]


class SFaceModel(FaceModel):
    """YuNet + SFace from an OpenCV zoo pack.

    Landmarks are YuNet's order, in image pixels: eye on the image's left, eye on the image's right,
    nose tip, mouth corner on the image's left, mouth corner on the image's right (OpenCV calls
    them right eye, left eye, ..., from the subject's point of view).
    """

    dim = 128
    license = "Apache-2.0 (OpenCV zoo YuNet and SFace weights)"
    provider = "cpu"
    #: OpenCV's published SFace threshold: L2 distance 1.128 between normalised features (cosine
    #: 0.363), calibrated on LFW. Not re-measured here: the weights are not in the test environment.
    match_threshold = 1.128

    def __init__(self, pack_dir: Path, config: FaceConfig | None = None) -> None:
        """Load YuNet and SFace from a pack directory (OpenCV zoo file names)."""
        self.config = config or FaceConfig()
        pack_dir = Path(pack_dir)
        detector_path = _pick(pack_dir, "face_detection_yunet_*.onnx")
        recognizer_path = _pick(pack_dir, "face_recognition_sface_*.onnx")
        min_score = DEFAULT_MIN_SCORE if self.config.min_det_score is None else self.config.min_det_score
        # The input size is set per image in analyze(); (320, 320) is only a placeholder.
        self._detector = cv2.FaceDetectorYN.create(str(detector_path), "", (320, 320), min_score, NMS_THRESHOLD, TOP_K)
        self._recognizer = cv2.FaceRecognizerSF.create(str(recognizer_path), "")
        self.model_id = f"sface:{recognizer_path.stem}"

    @classmethod
    def from_pack(cls, pack_dir: Path, config: FaceConfig | None = None) -> "SFaceModel":
        """The model manager's constructor (same for every backend)."""
        return cls(pack_dir, config)

    def analyze(self, image: np.ndarray) -> list[DetectedFace]:
        height, width = image.shape[:2]
        scanned = rescale(image, self.config.detection_scale(height, width, SMALLEST_DETECTABLE_PX))
        # YuNet runs at the size it is given (padded to a multiple of 32), so the rescale above
        # is the only resize; rows come back as x, y, w, h, 5 landmarks (x, y), score.
        self._detector.setInputSize((scanned.shape[1], scanned.shape[0]))
        _, rows = self._detector.detect(scanned)
        if rows is None:
            return []
        rows = rows.astype(np.float32)
        # Back to source pixels: even columns are x, w and landmark x; odd ones y, h, landmark y.
        rows[:, 0:14:2] *= np.float32(width / scanned.shape[1])
        rows[:, 1:14:2] *= np.float32(height / scanned.shape[0])
        faces = []
        for row in rows:
            x, y, w, h = (float(v) for v in row[:4])
            if h < self.config.min_face_px:
                continue
            chip = self._recognizer.alignCrop(image, row[None, :])  # 112x112 on the ArcFace template
            vector = self._recognizer.feature(chip).ravel().astype(np.float32)
            faces.append(
                DetectedFace(
                    box=(max(x, 0.0), max(y, 0.0), min(x + w, float(width)), min(y + h, float(height))),
                    landmarks=row[4:14].reshape(5, 2).copy(),
                    det_score=float(row[14]),
                    sharpness=laplacian_sharpness(chip),
                    vector=vector / max(float(np.linalg.norm(vector)), 1e-12),
                )
            )
        return faces
