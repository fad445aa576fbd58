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
import pickle
import threading
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
        # dlib's detectors keep the scanned image's pyramid inside the detector object, so each
        # thread gets its own HOG detector (and the CNN one is shared under a lock); the ResNet
        # keeps its activations in the net, so descriptors are computed under a lock too.
        self._local = threading.local()
        self._net_lock = threading.Lock()
        if self.config.detector == "hog":
            # dlib builds its HOG detector from text (~1-3 s); a copy unpickled from a built
            # one takes ~0.07 s, so each new face thread (a pool per ingested file) gets one fast.
            self._hog_bytes = pickle.dumps(dlib.get_frontal_face_detector())
            self._hog_detector()
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
        """One image on its own: a full scan at ``FaceConfig.detection_scale``."""
        rgb = _rgb(image)
        return self._describe(rgb, self._detect(rgb))

    def analyze_shot(self, images: list[np.ndarray]) -> list[list[DetectedFace]]:
        """Faces in each of one shot's sampled frames (in frame order), scanning
        coarse to fine within ``FaceConfig.max_shot_detect_pixels``.

        Full scans at the detection scale (what ``analyze`` does) go to as many samples as the
        budget pays for, spread over the shot: at the defaults every sample of SD footage, two of a
        720p shot, one of a 1080p shot. Every other sample gets (a) a full scan at a quarter of the
        detection scale, which finds the large faces (>= 4x ``min_face_px``), and (b) a scan at
        the detection scale of only the regions where the nearest fully scanned sample had a
        smaller face, moved by the global motion between the two frames (phase correlation):
        the small faces of a wide shot are found again for a few percent of a full scan each,
        which is what character grouping needs (several faces per person and shot). Only as many
        samples are revisited as a person's share of ``max_faces_per_shot`` (at least two) needs.
        On the 1080p bench shots this cut detection from ~1.3 to ~0.35 CPU-s per sample.
        """
        rgbs = [_rgb(image) for image in images]
        if not rgbs:
            return []
        height, width = rgbs[0].shape[:2]
        scale = self.config.detection_scale(height, width, SMALLEST_DETECTABLE_PX[self.config.detector])
        full_px = max(1.0, height * width * scale * scale)
        n_full = max(1, min(len(rgbs), int(self.config.max_shot_detect_pixels // full_px)))
        if any(rgb.shape[:2] != (height, width) for rgb in rgbs):
            return [self._describe(rgb, self._detect(rgb)) for rgb in rgbs]
        motion = _Motion(rgbs, width)
        if n_full >= len(rgbs):
            found = {i: self._detect(rgb, scale) for i, rgb in enumerate(rgbs)}
            return self._describe_shot(rgbs, found, list(range(len(rgbs))), motion)
        # Fully scanned samples spread evenly over the shot (one: the middle sample).
        full = sorted({min(len(rgbs) - 1, int((k + 0.5) * len(rgbs) / n_full)) for k in range(n_full)})
        found = {i: self._detect(rgbs[i], scale) for i in full}
        coarse = scale / 4.0
        large_px = SMALLEST_DETECTABLE_PX[self.config.detector] / coarse  # what the coarse scan finds
        # A track needs only its share of the face budget: small faces are looked for again in
        # that many samples, spread over the shot (farthest from the fully scanned ones first).
        people = max(len(found[f]) for f in full)
        budget = self.config.max_faces_per_shot
        share = len(rgbs) if budget is None or people == 0 else max(2, budget // people)
        revisit = _farthest([i for i in range(len(rgbs)) if i not in found], full, share - len(full))
        for i in range(len(rgbs)):
            if i in found:
                continue
            near = min(full, key=lambda f: abs(f - i))
            boxes = self._detect(rgbs[i], coarse, margin=COARSE_MARGIN)
            small = [r for r, _ in found[near] if r.height() < 1.15 * large_px]
            if small and i in revisit:
                dx, dy = motion.shift(near, i)
                regions = _regions(small, dx, dy, width, height)
                if sum(r.width() * r.height() for r in regions) > 0.5 * width * height:
                    boxes = self._detect(rgbs[i], scale)  # cheaper to scan it whole
                else:
                    for region in regions:
                        boxes += self._detect(rgbs[i], scale, region)
            found[i] = _suppress(boxes)
        return self._describe_shot(rgbs, found, full, motion)

    def _describe_shot(self, rgbs: list[np.ndarray], found: dict[int, list[tuple[dlib.rectangle, float]]],
                       full: list[int], motion: "_Motion") -> list[list[DetectedFace]]:
        """Describe the shot's detections within ``FaceConfig.max_faces_per_shot``: detections are
        linked into tracks across samples (boxes overlapping once the global motion is undone),
        and descriptors (~0.15 CPU-s each) go round-robin to each track's best faces (detector
        score scaled down for small faces, as character grouping weighs them); every track gets
        at least two."""
        kept = {i: [(r, s) for r, s in found[i] if r.height() >= self.config.min_face_px] for i in found}
        budget = self.config.max_faces_per_shot
        if budget is not None and sum(len(v) for v in kept.values()) > budget:
            ref = full[len(full) // 2]
            tracks: list[tuple[list[float], list[tuple[float, int, int]]]] = []
            for i in sorted(kept, key=lambda i: abs(i - ref)):
                dx, dy = motion.shift(ref, i)
                taken: set[int] = set()
                for k, (r, score) in sorted(enumerate(kept[i]), key=lambda e: -e[1][1]):
                    box = [r.left() - dx, r.top() - dy, r.right() - dx, r.bottom() - dy]
                    overlaps = [(_iou(box, t[0]), n) for n, t in enumerate(tracks) if n not in taken]
                    best = max(overlaps, default=(0.0, -1))
                    quality = float(np.clip(score, 0.05, 1.0)) * min(1.0, r.height() / 100.0)
                    if best[0] >= 0.3:
                        tracks[best[1]][0][:] = box
                        tracks[best[1]][1].append((quality, i, k))
                        taken.add(best[1])
                    else:
                        tracks.append((box, [(quality, i, k)]))
                        taken.add(len(tracks) - 1)
            members = [_spread(t[1]) for t in tracks]
            members.sort(key=lambda m: -m[0][0])
            chosen: set[tuple[int, int]] = set()
            for round_ in range(max(len(m) for m in members)):
                for m in members:
                    if round_ < len(m) and (round_ < 2 or len(chosen) < budget):
                        chosen.add(m[round_][1:])
            kept = {i: [d for k, d in enumerate(v) if (i, k) in chosen] for i, v in kept.items()}
        return [self._describe(rgb, kept[i]) for i, rgb in enumerate(rgbs)]

    def _describe(self, rgb: np.ndarray, detections: list[tuple[dlib.rectangle, float]]) -> list[DetectedFace]:
        """Landmarks, aligned chip, sharpness and vector of each detection passing the size gate."""
        height, width = rgb.shape[:2]
        faces = []
        for rect, score in detections:
            if rect.height() < self.config.min_face_px:
                continue
            shape = self._landmarks(rgb, rect)
            # One chip serves sharpness and the vector: compute_face_descriptor(chip) gives the
            # same vector as compute_face_descriptor(rgb, shape, 0, CHIP_PADDING), which would
            # build the chip again internally.
            chip = dlib.get_face_chip(rgb, shape, size=CHIP_SIZE, padding=CHIP_PADDING)
            with self._net_lock:
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

    def _hog_detector(self) -> dlib.fhog_object_detector:
        hog = getattr(self._local, "hog", None)
        if hog is None:
            hog = self._local.hog = pickle.loads(self._hog_bytes)
        return hog

    def _detect(self, rgb: np.ndarray, scale: float | None = None, region: dlib.rectangle | None = None,
                margin: float = 0.0) -> list[tuple[dlib.rectangle, float]]:
        """Detect on a copy rescaled by ``scale`` (default: ``FaceConfig.detection_scale``) of the
        image or of ``region`` of it, keeping scores ``margin`` above the gate; return boxes in
        source pixels with scores."""
        height, width = rgb.shape[:2]
        if scale is None:
            scale = self.config.detection_scale(height, width, SMALLEST_DETECTABLE_PX[self.config.detector])
        x0, y0 = 0, 0
        if region is not None:
            x0, y0 = region.left(), region.top()
            rgb = rgb[y0 : region.bottom() + 1, x0 : region.right() + 1]
            height, width = rgb.shape[:2]
        scanned = np.ascontiguousarray(rescale(rgb, scale))
        if self.config.detector == "hog":
            # run() returns every window scoring above adjust_threshold, with its score.
            rects, scores, _ = self._hog_detector().run(scanned, 0, self._min_score + margin)
            found = list(zip(rects, scores))
        else:
            with self._net_lock:
                detections = self._cnn(scanned, 0)
            found = [(d.rect, d.confidence) for d in detections if d.confidence >= self._min_score + margin]
        # Undo the scale on the box's edges (not its size) so the box stays where the face is.
        sy, sx = scanned.shape[0] / height, scanned.shape[1] / width
        return [
            (
                dlib.rectangle(
                    x0 + round(r.left() / sx), y0 + round(r.top() / sy),
                    x0 + round((r.right() + 1) / sx) - 1, y0 + round((r.bottom() + 1) / sy) - 1,
                ),
                float(s),
            )
            for r, s in found
        ]


#: Extra score a face first seen by a quarter-scale scan needs: on the bench's face-free 1080p
#: shot that scan gave two texture windows at HOG margins 0.000 and 0.001 that full-scale scans
#: did not, while true faces it found scored 0.11-3.0.
COARSE_MARGIN = 0.05

#: Around a small face tracked from a fully scanned sample: its own size on each side plus this
#: fraction of the frame's long side (motion the global shift does not explain: people move).
TRACK_PAD_FACES = 0.75
TRACK_PAD_FRAME = 0.02
_MOTION_WIDTH = 480  # phase correlation runs on frames this wide


def _rgb(image: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))


def _motion_gray(rgb: np.ndarray) -> np.ndarray:
    scale = min(1.0, _MOTION_WIDTH / rgb.shape[1])
    small = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(small, cv2.COLOR_RGB2GRAY).astype(np.float32)


class _Motion:
    """Global shifts between a shot's samples, each small grey frame made once (a few ms each)."""

    def __init__(self, rgbs: list[np.ndarray], width: int) -> None:
        self._rgbs, self._width = rgbs, width
        self._grays: dict[int, np.ndarray] = {}

    def shift(self, a: int, b: int) -> tuple[float, float]:
        if a == b:
            return 0.0, 0.0
        for i in (a, b):
            if i not in self._grays:
                self._grays[i] = _motion_gray(self._rgbs[i])
        return _shift(self._grays[a], self._grays[b], self._width)


def _farthest(candidates: list[int], taken: list[int], count: int) -> set[int]:
    """Up to ``count`` of ``candidates`` (sample indices), each the farthest from those taken."""
    chosen: list[int] = []
    left = list(candidates)
    while left and len(chosen) < count:
        far = max(left, key=lambda c: min(abs(c - t) for t in [*taken, *chosen]))
        left.remove(far)
        chosen.append(far)
    return set(chosen)


def _spread(members: list[tuple[float, int, int]]) -> list[tuple[float, int, int]]:
    """A track's (quality, sample, index) in the order to describe them: the best face first,
    then each time the one farthest (in samples) from those already taken, the better on ties,
    so a track's few descriptors come from frames spread over the shot."""
    left = sorted(members, reverse=True)
    order = [left.pop(0)]
    while left:
        far = max(left, key=lambda m: (min(abs(m[1] - o[1]) for o in order), m[0]))
        left.remove(far)
        order.append(far)
    return order


def _iou(a: list[float], b: list[float]) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def _shift(a: np.ndarray, b: np.ndarray, width: int) -> tuple[float, float]:
    """Global translation from frame a to frame b in source pixels (0 when unsure)."""
    window = cv2.createHanningWindow((a.shape[1], a.shape[0]), cv2.CV_32F)
    (dx, dy), response = cv2.phaseCorrelate(a, b, window)
    if response < 0.05:
        return 0.0, 0.0
    factor = width / a.shape[1]
    return dx * factor, dy * factor


def _regions(faces: list[dlib.rectangle], dx: float, dy: float, width: int, height: int) -> list[dlib.rectangle]:
    """Padded boxes around ``faces`` moved by (dx, dy), clipped, overlapping ones merged."""
    boxes = []
    for r in faces:
        pad = TRACK_PAD_FACES * r.height() + TRACK_PAD_FRAME * max(width, height)
        boxes.append([max(0, round(r.left() + dx - pad)), max(0, round(r.top() + dy - pad)),
                      min(width - 1, round(r.right() + dx + pad)), min(height - 1, round(r.bottom() + dy + pad))])
    boxes = [b for b in boxes if b[2] > b[0] and b[3] > b[1]]
    merged = True
    while merged:
        merged = False
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                a, b = boxes[i], boxes[j]
                if a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]:
                    boxes[i] = [min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])]
                    del boxes[j]
                    merged = True
                    break
            if merged:
                break
    return [dlib.rectangle(*b) for b in boxes]


def _suppress(found: list[tuple[dlib.rectangle, float]]) -> list[tuple[dlib.rectangle, float]]:
    """One box per face when the coarse scan and a region scan both found it: best score wins."""
    kept: list[tuple[dlib.rectangle, float]] = []
    for rect, score in sorted(found, key=lambda f: -f[1]):
        if all(rect.intersect(k).area() < 0.4 * min(rect.area(), k.area()) for k, _ in kept):
            kept.append((rect, score))
    return kept
