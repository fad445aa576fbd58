"""Local features of a keyframe and geometric verification between two keyframes.

Two shots of one camera setup see the same background from (nearly) the same place, so ORB
keypoints of one keyframe find partners in the other that agree on one homography, even under
another grade, exposure or a reframe; two setups of one scene share lighting and palette (what
fools a global descriptor) but not geometry. Keypoints are taken on a contrast-equalised (CLAHE)
grey image, which makes them insensitive to exposure and white balance.

Burnt-in overlays (a copyright line, a channel bug, a timecode window) match at the same place in
every shot of a file and would make every pair look like one setup; their inliers sit in a thin
band of the frame. So a consensus counts by how much of the frame its inliers cover (occupied
cells of a grid), and a consensus that covers little is removed and RANSAC is run again on the
rest (an overlay can hide the real consensus behind it).

Cost on this machine (bench/clusters.py measures it): extraction of a 1920-px keyframe a few ms,
one verification well under a millisecond when the ratio test leaves few matches.
"""

from __future__ import annotations

import struct
import threading
from dataclasses import dataclass

import cv2
import numpy as np

WORK_SIDE = 480  # long side the keypoints are found at: enough detail, few ms
MAX_KEYPOINTS = 256
GRID = 6  # coverage grid (cells per side)
RATIO = 0.8  # Lowe ratio test
RANSAC_PX = 6.0  # reprojection threshold at WORK_SIDE
MIN_INLIERS = 12  # a consensus of fewer is chance (bench: 8-11 random matches agree often)
MIN_MATCHES = 8
FULL_COVERAGE = 0.3  # this share of grid cells in consensus counts as a certain match
_MAGIC = b"BSLF1"


@dataclass(frozen=True)
class LocalFeatures:
    """ORB keypoints of one keyframe: positions relative to the frame (x/width, y/height in
    [0, 1]) as float16 and 32-byte binary descriptors; ``aspect`` is width / height."""

    points: np.ndarray  # (n, 2) float16
    descriptors: np.ndarray  # (n, 32) uint8
    aspect: float

    def __len__(self) -> int:
        return len(self.points)

    def to_bytes(self) -> bytes:
        """Compact blob for the store: 5-byte magic, count, aspect, points, descriptors
        (36 bytes per keypoint + 13: ~9.2 KB at 256 keypoints)."""
        n = len(self.points)
        return (_MAGIC + struct.pack("<If", n, float(self.aspect))
                + np.ascontiguousarray(self.points, np.float16).tobytes()
                + np.ascontiguousarray(self.descriptors, np.uint8).tobytes())

    @classmethod
    def from_bytes(cls, blob: bytes) -> "LocalFeatures":
        if blob[:5] != _MAGIC:
            raise ValueError("not a Binsight local-feature blob (wrong magic); re-extract the keyframe")
        n, aspect = struct.unpack("<If", blob[5:13])
        points_end = 13 + 4 * n
        if len(blob) != points_end + 32 * n:
            raise ValueError(f"truncated local-feature blob: {len(blob)} bytes for {n} keypoints")
        points = np.frombuffer(blob, np.float16, 2 * n, 13).reshape(n, 2)
        descriptors = np.frombuffer(blob, np.uint8, 32 * n, points_end).reshape(n, 32)
        return cls(points, descriptors, aspect)


@dataclass(frozen=True)
class GeometricMatch:
    """Result of verifying two keyframes: inliers of the best homography, the share of coverage
    grid cells they occupy (the smaller share of the two frames), and ``score`` in [0, 1] (what fusion uses)."""

    inliers: int
    coverage: float
    score: float


NO_MATCH = GeometricMatch(0, 0.0, 0.0)

_tools = threading.local()
"""OpenCV's ORB, CLAHE and matcher objects keep working buffers: one set per thread (files are
analysed on several threads at once, and verification runs on request threads too)."""


def extract(image: np.ndarray, max_keypoints: int = MAX_KEYPOINTS) -> LocalFeatures:
    """ORB features of one BGR uint8 keyframe (any size; long side up to 1920 is the norm)."""
    if image is None or image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError("local features need a BGR uint8 image of shape (h, w, 3)")
    h, w = image.shape[:2]
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)  # before the resize: one channel to shrink
    scale = WORK_SIDE / max(h, w)
    if scale < 1:
        grey = cv2.resize(grey, (max(1, round(w * scale)), max(1, round(h * scale))),
                          interpolation=cv2.INTER_AREA)
    if not hasattr(_tools, "orb"):
        _tools.orb = cv2.ORB_create(nfeatures=max_keypoints, scaleFactor=1.3, nlevels=5, fastThreshold=12)
        _tools.clahe = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8))
    _tools.orb.setMaxFeatures(max_keypoints)
    grey = _tools.clahe.apply(grey)
    keypoints, descriptors = _tools.orb.detectAndCompute(grey, None)
    if descriptors is None or not keypoints:
        return LocalFeatures(np.zeros((0, 2), np.float16), np.zeros((0, 32), np.uint8), w / h)
    gh, gw = grey.shape
    points = np.asarray([k.pt for k in keypoints], np.float32) / np.asarray([gw, gh], np.float32)
    return LocalFeatures(points.astype(np.float16), descriptors, w / h)


def verify(a: LocalFeatures, b: LocalFeatures) -> GeometricMatch:
    """Geometric verification: ratio-tested Hamming matches, a RANSAC homography, overlay-like
    (low-coverage) consensus removed once. Coverage is the smaller of the two frames' (symmetric;
    an insert of a detail of a wide shot covers the insert but little of the wide). ``score`` = coverage of the best consensus over
    ``FULL_COVERAGE`` (capped at 1), zero below ``MIN_INLIERS`` inliers."""
    if len(a) < MIN_MATCHES or len(b) < MIN_MATCHES:
        return NO_MATCH
    if not hasattr(_tools, "matcher"):
        _tools.matcher = cv2.BFMatcher(cv2.NORM_HAMMING)
    pairs = _tools.matcher.knnMatch(a.descriptors, b.descriptors, k=2)
    good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < RATIO * p[1].distance]
    if len(good) < MIN_INLIERS:
        return NO_MATCH
    side_a = np.asarray([WORK_SIDE * min(a.aspect, 1.0), WORK_SIDE / max(a.aspect, 1.0)], np.float32)
    side_b = np.asarray([WORK_SIDE * min(b.aspect, 1.0), WORK_SIDE / max(b.aspect, 1.0)], np.float32)
    pa = a.points[[m.queryIdx for m in good]].astype(np.float32)
    pb = b.points[[m.trainIdx for m in good]].astype(np.float32)
    best = NO_MATCH
    for _ in range(2):  # a second try when the first consensus looks like an overlay
        if len(pa) < MIN_INLIERS:
            break
        _, mask = cv2.findHomography(pa * side_a, pb * side_b, cv2.RANSAC, RANSAC_PX, maxIters=500)
        if mask is None:
            break
        inl = mask.ravel().astype(bool)
        n = int(inl.sum())
        if n < MIN_INLIERS:
            break
        coverage = min(_coverage(pa[inl]), _coverage(pb[inl]))
        match = GeometricMatch(n, coverage, min(1.0, coverage / FULL_COVERAGE))
        if match.score > best.score:
            best = match
        if coverage >= 0.25:
            break
        pa, pb = pa[~inl], pb[~inl]
    return best


def _coverage(points: np.ndarray) -> float:
    """Share of the coverage grid's cells holding at least one of ``points`` (relative coords)."""
    cells = np.minimum((points * GRID).astype(int), GRID - 1)
    return len(np.unique(cells[:, 0] * GRID + cells[:, 1])) / GRID**2


def verify_shots(a: tuple[LocalFeatures, ...], b: tuple[LocalFeatures, ...]) -> GeometricMatch:
    """Best verification over the keyframe pairs of two shots."""
    best = NO_MATCH
    for fa in a:
        for fb in b:
            m = verify(fa, fb)
            if m.score > best.score:
                best = m
                if best.score >= 1.0:  # cannot get better: skip the remaining keyframe pairs
                    return best
    return best
