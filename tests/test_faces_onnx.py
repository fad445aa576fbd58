"""InsightFace (SCRFD + ArcFace) and OpenCV (YuNet + SFace) backends on hand-built ONNX models with
the real signatures (tests/onnx_face_models.py): InsightFace's and OpenCV's own decoding, NMS,
alignment and preprocessing run for real, and the tests check their results to the pixel."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest

import onnx_face_models as fm
from binsight.faces.base import FaceConfig, FaceModel
from binsight.faces.insightface_backend import InsightFaceModel
from binsight.faces.sface_backend import SFaceModel

# InsightFace's norm_crop calls a scikit-image method deprecated in 0.26; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:`estimate` is deprecated:FutureWarning")

WIDTH, HEIGHT = 320, 192
#: (seed, centre x, centre y, side): squares centred on anchors of the stride that sees them.
SQUARES = [(1, 96, 96, 32), (2, 224, 96, 32), (3, 160, 160, 16)]


@dataclass(frozen=True)
class Backend:
    cls: type
    pack: Path
    weights: np.ndarray
    mean: float  # the recogniser's input normalisation, applied by the host library
    std: float
    model_id: str
    license_word: str

    def load(self, **config) -> FaceModel:
        return self.cls.from_pack(self.pack, FaceConfig(**config))


@pytest.fixture(scope="module", params=["insightface", "sface"])
def backend(request, tmp_path_factory) -> Backend:
    pack = tmp_path_factory.mktemp(request.param)
    if request.param == "insightface":  # buffalo_l file names
        weights = fm.projection(512, seed=0)
        fm.scrfd_model(pack / "det_10g.onnx")
        fm.recognizer_model(pack / "w600k_r50.onnx", weights, "input.1", "683")
        return Backend(InsightFaceModel, pack, weights, 127.5, 127.5, "insightface:w600k_r50", "non-commercial")
    weights = fm.projection(128, seed=1)
    fm.yunet_model(pack / "face_detection_yunet_2023mar.onnx")
    fm.recognizer_model(pack / "face_recognition_sface_2021dec.onnx", weights, "data", "fc1")
    return Backend(SFaceModel, pack, weights, 0.0, 1.0, "sface:face_recognition_sface_2021dec", "Apache-2.0")


def left_to_right(faces):
    return sorted(faces, key=lambda face: (face.box[0], face.box[1]))


def expected_chip(image: np.ndarray, cx: int, cy: int, side: int) -> np.ndarray:
    """The 112 px RGB chip a correct 5-point alignment gives for a square: the similarity that
    maps the square onto the whole crop (where the ArcFace template puts the landmarks)."""
    k = 112 / side
    warp = np.array([[k, 0, -k * (cx - side / 2)], [0, k, -k * (cy - side / 2)]], np.float32)
    return cv2.cvtColor(cv2.warpAffine(image, warp, (112, 112)), cv2.COLOR_BGR2RGB)


def test_pack_identity(backend: Backend) -> None:
    model = backend.load()
    assert model.model_id == backend.model_id
    assert model.dim == backend.weights.shape[1]
    assert backend.license_word in model.license
    assert 0 < model.match_threshold < 2


def test_boxes_and_landmarks_land_on_the_faces(backend: Backend) -> None:
    """One face per square (SCRFD's two anchors per cell give duplicate boxes: NMS must merge
    them), box = the square, landmarks = the template points inside it."""
    model = backend.load(min_face_px=16)  # the 16 px square is detectable at native scale
    faces = left_to_right(model.analyze(fm.face_image(WIDTH, HEIGHT, SQUARES)))
    squares = sorted(SQUARES, key=lambda s: (s[1] - s[3] / 2, s[2] - s[3] / 2))
    assert len(faces) == len(squares)
    for face, (_, cx, cy, side) in zip(faces, squares):
        np.testing.assert_allclose(face.box, (cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2), atol=0.5)
        np.testing.assert_allclose(face.landmarks, fm.expected_landmarks(cx, cy, side), atol=0.5)
        assert face.det_score > 0.95
        assert face.vector.dtype == np.float32 and abs(np.linalg.norm(face.vector) - 1) < 1e-5


def test_upscaled_detection_maps_back_to_source_pixels(backend: Backend) -> None:
    """min_face_px=8 makes the backend scan the image at 2x: results must still be in source px."""
    model = backend.load(min_face_px=8)
    faces = left_to_right(model.analyze(fm.face_image(WIDTH, HEIGHT, SQUARES[:2])))
    assert len(faces) == 2
    for face, (_, cx, cy, side) in zip(faces, SQUARES[:2]):
        np.testing.assert_allclose(face.box, (cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2), atol=1.0)
        np.testing.assert_allclose(face.landmarks, fm.expected_landmarks(cx, cy, side), atol=1.0)


def test_faces_below_min_size_are_dropped(backend: Backend) -> None:
    faces = backend.load(min_face_px=32).analyze(fm.face_image(WIDTH, HEIGHT, SQUARES))
    assert sorted(round(face.size_px) for face in faces) == [32, 32]  # not the 16 px square


def test_alignment_and_embedding_follow_the_template(backend: Backend) -> None:
    """The vector is exactly the recogniser applied to the template-aligned chip, with the host
    library's channel order and normalisation."""
    image = fm.face_image(WIDTH, HEIGHT, SQUARES[:2])
    faces = left_to_right(backend.load().analyze(image))
    for face, (_, cx, cy, side) in zip(faces, SQUARES[:2]):
        want = fm.reference_vector(expected_chip(image, cx, cy, side), backend.weights, backend.mean, backend.std)
        assert np.linalg.norm(face.vector - want) < 1e-3


def test_same_face_same_vector_different_face_different_vector(backend: Backend) -> None:
    model = backend.load()
    a, b = left_to_right(model.analyze(fm.face_image(WIDTH, HEIGHT, SQUARES[:2])))  # seeds 1, 2
    moved = model.analyze(fm.face_image(WIDTH, HEIGHT, [(1, 160, 144, 32)]))  # seed 1 elsewhere
    larger = model.analyze(fm.face_image(WIDTH, HEIGHT, [(1, 160, 96, 64)]))  # seed 1 at 2x
    assert len(moved) == len(larger) == 1
    assert np.linalg.norm(a.vector - moved[0].vector) < 1e-5  # same pixels after alignment
    # Same face resampled (edges blend differently with the background at 3.5x vs 1.75x):
    # measured 0.38-0.44, against 1.24-1.28 for another texture.
    assert np.linalg.norm(a.vector - larger[0].vector) < 0.5
    assert np.linalg.norm(a.vector - b.vector) > 1.0


def test_no_faces_in_faceless_images(backend: Backend) -> None:
    model = backend.load()
    rng = np.random.default_rng(3)
    noise = cv2.GaussianBlur(rng.integers(0, 256, (HEIGHT, WIDTH, 3), dtype=np.uint8), (0, 0), 2)
    assert model.analyze(np.zeros((HEIGHT, WIDTH, 3), np.uint8)) == []
    assert model.analyze(noise) == []


def test_incomplete_packs_are_refused(tmp_path: Path) -> None:
    fm.scrfd_model(tmp_path / "det_10g.onnx")
    with pytest.raises(FileNotFoundError, match="recogniser"):
        InsightFaceModel.from_pack(tmp_path)
    with pytest.raises(FileNotFoundError, match="yunet"):
        SFaceModel.from_pack(tmp_path)


def test_sface_prefers_the_float_model_over_int8(tmp_path: Path) -> None:
    fm.yunet_model(tmp_path / "face_detection_yunet_2023mar.onnx")
    fm.yunet_model(tmp_path / "face_detection_yunet_2023mar_int8.onnx")
    weights = fm.projection(128)
    fm.recognizer_model(tmp_path / "face_recognition_sface_2021dec.onnx", weights, "data", "fc1")
    fm.recognizer_model(tmp_path / "face_recognition_sface_2021dec_int8.onnx", weights, "data", "fc1")
    assert SFaceModel.from_pack(tmp_path).model_id == "sface:face_recognition_sface_2021dec"


def test_insightface_pack_is_routed_by_signature_not_name(tmp_path: Path) -> None:
    """Packs other than buffalo_* name files freely; InsightFace's router tells them apart."""
    fm.scrfd_model(tmp_path / "scrfd_2.5g_bnkps.onnx")
    fm.recognizer_model(tmp_path / "glint360k_r100.onnx", fm.projection(512), "input.1", "683")
    model = InsightFaceModel.from_pack(tmp_path, FaceConfig(min_face_px=16))
    assert (model.model_id, model.dim) == ("insightface:glint360k_r100", 512)
    assert len(model.analyze(fm.face_image(WIDTH, HEIGHT, SQUARES))) == 3


def test_insightface_manifest_pack(tmp_path: Path) -> None:
    """InsightFace 2.x manifest packs (manifest.json names each task's file) load the same way."""
    fm.scrfd_model(tmp_path / "detector.onnx")
    weights = fm.projection(512)
    fm.recognizer_model(tmp_path / "recognizer.onnx", weights, "input.1", "683")
    (tmp_path / "MODEL.LICENSE").write_text("test weights\n")
    (tmp_path / "manifest.json").write_text(json.dumps({
        "manifest_version": 2, "model_id": "tiny_pack", "license": "MODEL.LICENSE",
        "tasks": {"detection": {"file": "detector.onnx"}, "recognition": {"file": "recognizer.onnx"}},
    }))
    model = InsightFaceModel.from_pack(tmp_path)
    image = fm.face_image(WIDTH, HEIGHT, SQUARES[:1])
    [face] = model.analyze(image)
    want = fm.reference_vector(expected_chip(image, 96, 96, 32), weights, 127.5, 127.5)
    assert model.model_id == "insightface:recognizer" and np.linalg.norm(face.vector - want) < 1e-3
