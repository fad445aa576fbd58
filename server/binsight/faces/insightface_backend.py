"""InsightFace backend: SCRFD detection with 5 landmarks, ArcFace alignment and 512-d vectors.

Weights are not bundled: the user points the model manager at an InsightFace model pack directory
(``buffalo_l`` / ``buffalo_s`` as published by the InsightFace project: ``det_*.onnx`` and
``w600k_*.onnx`` beside other task models, or a pack with a ``manifest.json``). Those pretrained
packs are licensed for non-commercial research only, which is why this backend is opt-in and
dlib stays the default. Decoding, NMS and alignment are InsightFace's own code (``model_zoo.SCRFD``,
``model_zoo.ArcFaceONNX``, ``utils.face_align.norm_crop``), so results match the reference pipeline.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from insightface.model_zoo import (
    DETECTION_TASK,
    RECOGNITION_TASK,
    ArcFaceONNX,
    SCRFD,
    get_model,
    has_model_package_manifest,
)
from insightface.utils.face_align import norm_crop

from binsight.faces.align import laplacian_sharpness
from binsight.faces.base import DetectedFace, FaceConfig, FaceModel

#: SCRFD's smallest anchors are 16 px at stride 8 (WIDER FACE training); faces are rescaled so a
#: ``min_face_px`` face spans that many input pixels. Not measured here: no pretrained pack ships
#: with the test environment.
SMALLEST_DETECTABLE_PX = 16.0
#: SCRFD's outputs are laid out on a stride-32 grid, so its input sides must be multiples of 32.
INPUT_DIVISOR = 32
#: InsightFace's own default detection threshold (probability after sigmoid).
DEFAULT_MIN_SCORE = 0.5
PROVIDERS = ["CPUExecutionProvider"]


def _pack_models(pack_dir: Path) -> tuple[SCRFD, ArcFaceONNX]:
    """Load a pack's detector and recogniser with InsightFace's own routing.

    A manifest pack names its tasks. A legacy pack is routed by graph signature, as
    ``FaceAnalysis`` does, but buffalo-style names are tried first and loading stops once both
    models are found, so the landmark and gender/age models are never given a session.
    ``static_shape_sessions=False`` keeps one dynamic-shape session instead of one per input size
    (the fixed-shape sessions exist for CoreML, and our detection size varies with each image).
    """
    options = {"providers": PROVIDERS, "static_shape_sessions": False}
    if has_model_package_manifest(pack_dir):
        detector = get_model(str(pack_dir), model_task=DETECTION_TASK, **options)
        recognizer = get_model(str(pack_dir), model_task=RECOGNITION_TASK, **options)
        return detector, recognizer
    found: dict[str, object] = {}
    likely_first = sorted(
        pack_dir.glob("*.onnx"), key=lambda p: (not p.name.startswith(("det_", "w600k_")), p.name)
    )
    for path in likely_first:
        model = get_model(str(path), **options)
        if model is not None and model.taskname in (DETECTION_TASK, RECOGNITION_TASK):
            found.setdefault(model.taskname, model)
        if len(found) == 2:
            return found[DETECTION_TASK], found[RECOGNITION_TASK]
    raise FileNotFoundError(
        f"{pack_dir} lacks a face detector + recogniser pair (found: {sorted(found) or 'none'})"
    )


class InsightFaceModel(FaceModel):
    """SCRFD + ArcFace from an InsightFace pack.

    Landmarks are SCRFD's order, in image pixels: eye on the image's left, eye on the image's
    right, nose tip, mouth corner on the image's left, mouth corner on the image's right.
    """

    license = "non-commercial research only (InsightFace pretrained packs)"
    provider = "cpu"
    #: Cosine similarity 0.5 (Euclidean distance between normalised vectors sqrt(2 - 2 * 0.5)):
    #: Immich's default for the same buffalo packs, stricter than the ~0.3 cosine InsightFace uses
    #: for 1:1 verification, because merging two characters costs an editor more than splitting
    #: one. Not re-measured here: the pretrained packs are not in the test environment.
    match_threshold = 1.0

    def __init__(self, pack_dir: Path, config: FaceConfig | None = None) -> None:
        """Load the detector and recogniser of an unpacked InsightFace model pack. The embedding
        space is named after the recogniser file, so two packs sharing w600k_r50 share vectors."""
        self.config = config or FaceConfig()
        self._detector, self._recognizer = _pack_models(Path(pack_dir))
        if not self._detector.use_kps:
            raise ValueError(f"{self._detector.model_file} has no landmark outputs: ArcFace alignment needs them")
        self.model_id = f"insightface:{Path(self._recognizer.model_file).stem}"
        self.dim = int(self._recognizer.output_shape[-1])
        self._min_score = DEFAULT_MIN_SCORE if self.config.min_det_score is None else self.config.min_det_score

    @classmethod
    def from_pack(cls, pack_dir: Path, config: FaceConfig | None = None) -> "InsightFaceModel":
        """The model manager's constructor (same for every backend)."""
        return cls(pack_dir, config)

    def analyze(self, image: np.ndarray) -> list[DetectedFace]:
        height, width = image.shape[:2]
        scale = self.config.detection_scale(height, width, SMALLEST_DETECTABLE_PX)
        # SCRFD resizes the image into this canvas itself (aspect kept, padded right/bottom) and
        # maps boxes and landmarks back to source pixels. A detector exported with a fixed input
        # size ignores the canvas and uses its own.
        canvas = tuple(
            max(INPUT_DIVISOR, math.ceil(side * scale / INPUT_DIVISOR) * INPUT_DIVISOR) for side in (width, height)
        )
        boxes, landmarks = self._detector.detect(image, input_size=canvas, det_thresh=self._min_score)
        faces = []
        for (x0, y0, x1, y1, score), points in zip(boxes, landmarks):
            if y1 - y0 < self.config.min_face_px:
                continue
            # ArcFace crops are 112 px on InsightFace's 5-point template; the recogniser swaps
            # BGR->RGB and applies its own mean/std.
            chip = norm_crop(image, landmark=points, image_size=self._recognizer.input_size[0])
            vector = self._recognizer.get_feat(chip).ravel().astype(np.float32)
            faces.append(
                DetectedFace(
                    box=(float(max(x0, 0)), float(max(y0, 0)), float(min(x1, width)), float(min(y1, height))),
                    landmarks=points.astype(np.float32),
                    det_score=float(score),
                    sharpness=laplacian_sharpness(chip),
                    vector=vector / max(float(np.linalg.norm(vector)), 1e-12),
                )
            )
        return faces
