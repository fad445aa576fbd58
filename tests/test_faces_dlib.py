"""The default dlib face backend on real faces (../shared/faces) and real footage
(../shared/media/short_hamilton_clip.mp4), with the real registry weights: no mocks.

Run with ``-s`` to see the measured distance ranges the match threshold rests on."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from binsight.faces.base import DetectedFace, FaceConfig
from binsight.faces.dlib_backend import DlibFaceModel

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
FACES = SHARED / "faces"
MEDIA = SHARED / "media"

pytestmark = pytest.mark.skipif(
    not (FACES / "truth.json").is_file(),
    reason=f"shared face photos not found at {FACES} (checked out beside the repo as ../shared)",
)


def read(path: Path) -> np.ndarray:
    image = cv2.imread(str(path))
    assert image is not None, path
    return image


def distance(a: DetectedFace, b: DetectedFace) -> float:
    return float(np.linalg.norm(a.vector - b.vector))


def left_to_right(faces: list[DetectedFace]) -> list[DetectedFace]:
    return sorted(faces, key=lambda face: face.box[0] + face.box[2])


def decode_frames(path: Path, wanted: set[int]) -> dict[int, np.ndarray]:
    """Frames by 0-based decode index, as the media truth numbers them."""
    capture = cv2.VideoCapture(str(path))
    frames, index = {}, 0
    try:
        while len(frames) < len(wanted):
            ok, frame = capture.read()
            if not ok:
                break
            if index in wanted:
                frames[index] = frame
            index += 1
    finally:
        capture.release()
    return frames


@pytest.fixture(scope="module")
def model() -> DlibFaceModel:
    return DlibFaceModel.from_pack()


@pytest.fixture(scope="module")
def truth() -> dict:
    return json.loads((FACES / "truth.json").read_text())


@pytest.fixture(scope="module")
def portraits(model: DlibFaceModel, truth: dict) -> dict[str, list[list[DetectedFace]]]:
    """Every portrait analysed once: person -> faces found in each of their photos."""
    found = {}
    for person in truth["people"]:
        photos = sorted((FACES / "people" / person).iterdir())
        assert len(photos) == truth["people"][person]
        found[person] = [model.analyze(read(photo)) for photo in photos]
    return found


def test_model_identity(model: DlibFaceModel) -> None:
    assert (model.model_id, model.dim) == ("dlib-resnet-v1", 128)
    assert "CC0" in model.license


def test_every_portrait_gives_exactly_one_face(portraits: dict) -> None:
    for person, photos in portraits.items():
        for number, faces in enumerate(photos):
            assert len(faces) == 1, f"{person} photo {number}: {len(faces)} faces"
            face = faces[0]
            assert face.vector.shape == (128,) and face.vector.dtype == np.float32
            assert abs(np.linalg.norm(face.vector) - 1.0) < 1e-5
            assert face.landmarks.shape == (5, 2)
            x0, y0, x1, y1 = face.box
            assert np.all((face.landmarks[:, 0] > x0) & (face.landmarks[:, 0] < x1))
            assert np.all((face.landmarks[:, 1] > y0) & (face.landmarks[:, 1] < y1 + 0.3 * (y1 - y0)))
            assert face.det_score > 0 and face.sharpness > 0


def test_same_person_always_closer_than_different_people(
    portraits: dict, model: DlibFaceModel, record_property
) -> None:
    faces = [(person, photo[0]) for person, photos in portraits.items() for photo in photos]
    same, different = [], []
    for (p, a), (q, b) in itertools.combinations(faces, 2):
        (same if p == q else different).append(distance(a, b))
    ranges = {
        "same_person": (round(min(same), 3), round(max(same), 3)),
        "different_person": (round(min(different), 3), round(max(different), 3)),
        "match_threshold": model.match_threshold,
        "pairs": (len(same), len(different)),
    }
    print(f"\ndlib distance ranges on shared/faces/people: {ranges}")
    record_property("dlib_distance_ranges", ranges)
    assert max(same) < min(different)
    assert max(same) < model.match_threshold < min(different)


def test_group_faces_match_their_people_and_the_child_matches_nobody(
    model: DlibFaceModel, truth: dict, portraits: dict
) -> None:
    threshold = model.match_threshold
    for photo, who in truth["groups"].items():
        faces = left_to_right(model.analyze(read(FACES / "groups" / photo)))
        assert len(faces) == len(who), photo
        for a, b in itertools.combinations(faces, 2):
            assert distance(a, b) > threshold, f"two faces in {photo} would merge"
        for face, label in zip(faces, who):
            nearest = {
                person: min(distance(face, shots[0]) for shots in photos)
                for person, photos in portraits.items()
            }
            matches = {person for person, d in nearest.items() if d < threshold}
            person = label.split(" ")[0]
            if person in portraits:
                assert matches == {person}, f"{photo} {label}: {nearest}"
            else:  # the child in obama_and_biden_2.jpg
                assert matches == set(), f"{photo} {label}: {nearest}"


def test_images_without_usable_faces_give_nothing(model: DlibFaceModel, tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    still = cv2.GaussianBlur(rng.integers(0, 256, (480, 640, 3), dtype=np.uint8), (0, 0), 3)
    cv2.rectangle(still, (100, 100), (300, 260), (40, 200, 90), -1)
    cv2.putText(still, "no faces here", (40, 400), cv2.FONT_HERSHEY_SIMPLEX, 1.5, (255, 255, 255), 3)
    cv2.imwrite(str(tmp_path / "still.png"), still)
    assert model.analyze(read(tmp_path / "still.png")) == []

    assert model.analyze(np.zeros((360, 640, 3), np.uint8)) == []  # black leader

    leaf = decode_frames(MEDIA / "testvideo.mp4", {100})  # a leaf on a rock, 1280x720
    if leaf:
        assert model.analyze(leaf[100]) == []

    # Faces ~15 px high, far below min_face_px: even the 2x rescale cannot reach them.
    group = read(FACES / "groups" / "obama_and_biden_2.jpg")
    tiny = cv2.resize(group, None, fx=0.08, fy=0.08, interpolation=cv2.INTER_AREA)
    assert model.analyze(tiny) == []


def test_detection_scale_respects_the_budget() -> None:
    config = FaceConfig()
    assert config.detection_scale(360, 640, 64.0) == pytest.approx(2.0)  # 32 px faces -> 64
    assert config.detection_scale(1080, 1920, 64.0) == pytest.approx(2.0)
    assert config.detection_scale(2160, 3840, 64.0) == pytest.approx(1.0)  # budget-bound
    assert FaceConfig(min_face_px=128).detection_scale(1080, 1920, 64.0) == pytest.approx(0.5)


@pytest.mark.skipif(not (MEDIA / "short_hamilton_clip.mp4").is_file(), reason="shared clip absent")
def test_faces_per_shot_in_real_footage(model: DlibFaceModel, portraits: dict) -> None:
    """Shot 0 is the wide shot (Lin-Manuel Miranda's face ~45 px at 640x360), shot 2 the medium
    shot of him: both must give faces, and they must read as one person."""
    truth = json.loads((MEDIA / "truth.json").read_text())["short_hamilton_clip.mp4"]
    shots = truth["content_shots"]
    sampled = {k: [int(i) for i in np.linspace(shots[k][0] + 2, shots[k][1] - 2, 4)] for k in (0, 2)}
    frames = decode_frames(MEDIA / "short_hamilton_clip.mp4", {i for ids in sampled.values() for i in ids})
    per_shot = {k: [face for i in ids for face in model.analyze(frames[i])] for k, ids in sampled.items()}
    assert len(per_shot[0]) >= 2 and len(per_shot[2]) >= 2, {k: len(v) for k, v in per_shot.items()}
    assert all(30 <= face.size_px <= 60 for face in per_shot[0])  # the small wide-shot faces

    cross = [distance(a, b) for a in per_shot[0] for b in per_shot[2]]
    print(f"\nshot 0 vs shot 2 (same person): {min(cross):.3f}-{max(cross):.3f}, mean {np.mean(cross):.3f}")
    assert np.mean(cross) < model.match_threshold
    lin = portraits["lin_manuel_miranda"][0][0]
    assert all(distance(face, lin) < model.match_threshold for face in per_shot[2])


def test_cnn_detector_finds_the_same_people(model: DlibFaceModel) -> None:
    """The slower MMOD detector on one small photo (min_face_px raised to keep the scan small)."""
    cnn = DlibFaceModel.from_pack(config=FaceConfig(detector="cnn", min_face_px=64))
    image = read(FACES / "groups" / "kit_with_rose.jpg")
    by_cnn, by_hog = left_to_right(cnn.analyze(image)), left_to_right(model.analyze(image))
    assert len(by_cnn) == len(by_hog) == 2
    for a, b in zip(by_cnn, by_hog):
        assert distance(a, b) < model.match_threshold


def pan_frames(count: int = 5) -> list[np.ndarray]:
    """A slow 1080p pan over a wide shot: obama_and_biden_2 with ~40 px faces and kit_with_rose
    with ~60-90 px faces on a smooth background, 20 px of camera motion per sample."""
    rng = np.random.default_rng(3)
    canvas = cv2.resize(rng.integers(40, 200, (12, 20, 3), dtype=np.uint8), (2100, 1100),
                        interpolation=cv2.INTER_CUBIC)
    group = read(FACES / "groups" / "obama_and_biden_2.jpg")
    group = cv2.resize(group, None, fx=40 / 180, fy=40 / 180, interpolation=cv2.INTER_AREA)
    canvas[300 : 300 + group.shape[0], 200 : 200 + group.shape[1]] = group
    pair = read(FACES / "groups" / "kit_with_rose.jpg")
    canvas[250 : 250 + pair.shape[0], 1300 : 1300 + pair.shape[1]] = pair
    return [np.ascontiguousarray(canvas[:1080, 20 * i : 20 * i + 1920]) for i in range(count)]


def test_shot_scan_finds_small_faces_in_several_samples_within_budget(model: DlibFaceModel) -> None:
    """analyze_shot scans one 1080p sample fully at 2x, then finds the small faces again in other
    samples by scanning only around them; what it reports agrees with a full scan of the frame."""
    frames = pan_frames()
    per_sample = model.analyze_shot(frames)
    assert len(per_sample) == len(frames)
    middle = model.analyze(frames[2])  # the fully scanned sample
    assert len(middle) == 5  # three ~40 px faces, two larger ones
    assert sorted(f.box for f in per_sample[2]) == sorted(f.box for f in middle)
    small = [f for faces in per_sample for f in faces if f.size_px < 60]
    assert len(small) >= 2 * 3, "every small face described in at least two samples"
    assert sum(len(faces) for faces in per_sample) <= max(model.config.max_faces_per_shot, 2 * 5)
    revisited = max((i for i in range(len(frames)) if i != 2), key=lambda i: len(per_sample[i]))
    full = model.analyze(frames[revisited])
    for face in per_sample[revisited]:  # boxes differ by a pyramid level at most; chips align
        twin = max(full, key=lambda f: iou(f.box, face.box))
        assert iou(twin.box, face.box) > 0.6
        assert distance(twin, face) < 0.15  # measured 0.00-0.10


def iou(a: tuple, b: tuple) -> float:
    w, h = min(a[2], b[2]) - max(a[0], b[0]), min(a[3], b[3]) - max(a[1], b[1])
    inter = max(w, 0) * max(h, 0)
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def test_shot_scan_of_small_frames_matches_per_frame_analysis(model: DlibFaceModel) -> None:
    """960x540 samples are all scanned fully within the default budget (four 2x scans), and with
    few faces every face is described: the same faces as analyze() on each frame."""
    frames = [np.ascontiguousarray(cv2.resize(f, (960, 540), interpolation=cv2.INTER_AREA)) for f in pan_frames(3)]
    shot = model.analyze_shot(frames)
    alone = [model.analyze(image) for image in frames]
    assert 0 < sum(len(faces) for faces in alone) <= model.config.max_faces_per_shot
    assert [sorted(f.box for f in faces) for faces in shot] == [sorted(f.box for f in faces) for faces in alone]
