"""Footage with known people, made from the shared face photos (../shared/faces): one shot per
photo, each a slow camera move (push-in and drift) over the photo placed on a background so its
faces are about ``face_px`` tall, hard cuts between shots. Truth: who is in each shot.

Used by the people tests and by bench/people.py (per face size). The same person's different
photos are what must come together; the group photos are where two people share a frame and
must never become one.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

import media_factory as mf

FACES = Path(__file__).resolve().parents[1].parent / "shared" / "faces"
UNKNOWN = "unknown"
FPS = Fraction(25)
FRAME = (640, 360)


@dataclass(frozen=True)
class Shot:
    photo: Path
    people: tuple[str, ...]  # identities on screen, left to right (UNKNOWN: someone not in people/)


@dataclass(frozen=True)
class PeopleClip:
    path: Path
    shots: tuple[Shot, ...]
    frames_per_shot: int
    face_px: int


def photos() -> list[Shot]:
    """Every photo: people/NAME/* (one face) then groups/* (several), as truth.json names them."""
    truth = json.loads((FACES / "truth.json").read_text())
    shots = [Shot(p, (person.name,)) for person in sorted((FACES / "people").iterdir())
             for p in sorted(person.iterdir())]
    for name, who in sorted(truth["groups"].items()):
        shots.append(Shot(FACES / "groups" / name, tuple(w.split(" ")[0] if "(" in w else UNKNOWN for w in who)))
    return shots


@functools.lru_cache(maxsize=None)
def face_height(photo: Path) -> float:
    """Median face box height in the photo (the real dlib model, at the photo's own size)."""
    from binsight.faces.base import FaceConfig
    from binsight.faces.dlib_backend import DlibFaceModel

    model = _model(DlibFaceModel, FaceConfig(max_faces_per_shot=None))
    faces = model.analyze(cv2.imread(str(photo)))
    return float(np.median([f.box[3] - f.box[1] for f in faces]))


@functools.lru_cache(maxsize=None)
def _model(cls, config):  # noqa: ANN001, ANN202 - test helper
    return cls.from_pack(None, config)


def _shot_frames(photo: Path, face_px: int, frames: int, seed: int) -> list[np.ndarray]:
    image = cv2.imread(str(photo))
    scale = face_px / face_height(photo)
    w, h = FRAME
    rng = np.random.default_rng(seed)
    background = cv2.GaussianBlur(mf.texture(seed, w, h), (0, 0), 6)
    out = []
    for i in range(frames):
        zoom = scale * (1.0 + 0.06 * i / max(1, frames - 1))  # a slow push-in
        drift = (rng.normal(0, 0.3), rng.normal(0, 0.3))
        small = cv2.resize(image, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_AREA)
        sh, sw = small.shape[:2]
        canvas = background.copy()
        x = int((w - sw) / 2 + 2 * i + drift[0])
        y = int((h - sh) / 2 + i + drift[1])
        src = small[max(0, -y):min(sh, h - y), max(0, -x):min(sw, w - x)]
        canvas[max(0, y):max(0, y) + src.shape[0], max(0, x):max(0, x) + src.shape[1]] = src
        out.append(canvas)
    return out


def people_clip(folder: Path, face_px: int, frames_per_shot: int = 16, shots: list[Shot] | None = None) -> PeopleClip:
    """Encode (or reuse) the clip of ``shots`` (default: every photo) at ``face_px``."""
    shots = shots if shots is not None else photos()
    path = folder / f"people_{face_px}px.mp4"
    if not path.is_file():
        frames = [f for n, s in enumerate(shots) for f in _shot_frames(s.photo, face_px, frames_per_shot, n + 1)]
        mf.encode(path, frames, fps=FPS, options={"crf": "16"})
    return PeopleClip(path, tuple(shots), frames_per_shot, face_px)
