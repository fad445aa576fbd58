"""Labelled footage for the clustering tests and benchmark, built from real photographs.

Scene data: a *setup* is a region of a real picture (scikit-image's bundled photographs, and the
content shots of ``/work/shared/media/*.mp4`` when that folder exists). Each setup is filmed in
several shots: every shot pans and zooms around the setup's region and gets its own exposure,
white balance, sensor noise and JPEG compression; each shot has 1-3 keyframes that drift within
the shot. Look-alike setups are deliberate: a *twin* of a setup frames an overlapping region of the
same photo under other light (day/night), and the two testvideo shots of the same leaf on a rock
are separate setups. A few setups have a single shot (one-offs that belong in the noise bucket or
alone). Everything is deterministic by seed.

Face data: no trained face model ships in the tree, so characters are synthetic vectors with the
structure measured on dlib's 128-d embedder (same person across shots ~0.5 Euclidean, different
people ~0.9, look-alikes ~0.65, and low-quality faces drifting far enough to come near anyone).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from binsight.embedders.pixels import PixelsEmbedder

MEDIA_DIR = Path(__file__).resolve().parents[1] / ".." / "shared" / "media"
_FRAME_W, _FRAME_H = 192, 108
_SOURCE_LONG_SIDE = 480
_TEXTURES = {"brick", "grass", "gravel", "page", "coins", "cell"}


@dataclass
class SceneDataset:
    """Shots with their keyframe vectors and true setup labels."""

    shot_ids: list[str]
    labels: np.ndarray  # (n_shots,) int: true setup of each shot
    keyframes: list[np.ndarray]  # per shot: (1..3, dim) L2-normalised vectors
    setup_names: list[str]  # per setup label
    seed: int = 0
    images: list[list[np.ndarray]] = field(default_factory=list)  # per shot BGR keyframes, if kept

    def shot_vectors(self) -> np.ndarray:
        """One vector per shot: the normalised mean of its keyframes (what recluster consumes)."""
        return shot_means(self.keyframes)


def shot_means(keyframes: list[np.ndarray]) -> np.ndarray:
    means = np.stack([k.mean(axis=0) for k in keyframes]).astype(np.float32)
    return means / np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-12)


def _fit(image: np.ndarray) -> np.ndarray:
    from skimage.util import img_as_ubyte

    image = img_as_ubyte(image)
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    elif image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_RGBA2BGR)
    else:
        image = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    scale = _SOURCE_LONG_SIDE / max(image.shape[:2])
    if scale < 1:
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(image.astype(np.uint8))


def _photographs() -> list[tuple[str, np.ndarray]]:
    import skimage.data as data

    names = ["astronaut", "chelsea", "coffee", "rocket", "hubble_deep_field",
             "immunohistochemistry", "retina", "colorwheel", "camera", "coins", "brick",
             "grass", "gravel", "moon", "page", "cell", "clock", "horse"]
    out = [(n, _fit(getattr(data, n)())) for n in names]
    left, _right, _disp = data.stereo_motorcycle()
    out.append(("motorcycle", _fit(left)))
    return out


def _video_shots() -> list[tuple[str, list[np.ndarray]]]:
    """Frames of each hand-checked content shot (several per shot: real camera motion)."""
    truth_path = MEDIA_DIR / "truth.json"
    if not truth_path.exists():
        return []
    truth = json.loads(truth_path.read_text())
    out = []
    for name in ["testvideo.mp4", "short_hamilton_clip.mp4", "issue-134-rotate.mp4"]:
        entry, path = truth.get(name), MEDIA_DIR / name
        if entry is None or not path.exists():
            continue
        cap = cv2.VideoCapture(str(path))
        frames = []
        ok, frame = cap.read()
        while ok:
            frames.append(frame)
            ok, frame = cap.read()
        cap.release()
        for i, (first, last) in enumerate(entry["content_shots"]):
            # skip fades at the ends of a content shot
            picks = np.linspace(first + (last - first) * 0.2, last - (last - first) * 0.2, 6)
            shot = [frames[int(p)] for p in picks if int(p) < len(frames)]
            if shot:
                scale = _SOURCE_LONG_SIDE / max(shot[0].shape[:2])
                shot = [cv2.resize(f, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
                        for f in shot]
                out.append((f"{name}#{i}", shot))
    return out


@dataclass(frozen=True)
class _Setup:
    name: str
    sources: tuple[int, ...]  # indices into the frame pool (several for video shots)
    centre: tuple[float, float]  # relative (x, y)
    width: float  # relative width of the framed region
    gain: float  # setup lighting: exposure
    tint: tuple[float, float, float]  # setup lighting: B, G, R multipliers


def _film(pool: list[np.ndarray], setup: _Setup, rng: np.random.Generator,
          n_keyframes: int) -> list[np.ndarray]:
    """One shot of a setup: a camera move around its region with per-shot exposure/WB/noise/JPEG."""
    src = pool[setup.sources[rng.integers(len(setup.sources))]]
    h, w = src.shape[:2]
    zoom = rng.uniform(0.85, 1.2)
    cx = setup.centre[0] + rng.uniform(-0.06, 0.06)
    cy = setup.centre[1] + rng.uniform(-0.06, 0.06)
    gain = setup.gain * rng.uniform(0.8, 1.2)
    balance = np.asarray(setup.tint) * rng.uniform(0.93, 1.07, 3)
    sigma = rng.uniform(0.0, 6.0)
    quality = int(rng.integers(35, 91))
    frames = []
    for _ in range(n_keyframes):
        cw = min(setup.width * zoom * w, w, h * 16 / 9)
        ch = cw * 9 / 16
        x = (cx + rng.uniform(-0.03, 0.03)) * w
        y = (cy + rng.uniform(-0.03, 0.03)) * h
        x0 = int(np.clip(x - cw / 2, 0, w - cw))
        y0 = int(np.clip(y - ch / 2, 0, h - ch))
        crop = src[y0 : y0 + int(ch), x0 : x0 + int(cw)]
        frame = cv2.resize(crop, (_FRAME_W, _FRAME_H), interpolation=cv2.INTER_AREA).astype(np.float32)
        frame = frame * gain * balance + rng.normal(0.0, sigma, frame.shape)
        frame = np.clip(frame, 0, 255).astype(np.uint8)
        ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
        frames.append(cv2.imdecode(buf, cv2.IMREAD_COLOR))
    return frames


def _setups(n_setups: int, n_singletons: int,
            rng: np.random.Generator) -> tuple[list[np.ndarray], list[_Setup], list[_Setup]]:
    """Frame pool, multi-shot setups (video shots, photo regions, night twins) and one-offs."""
    pool: list[np.ndarray] = []
    setups: list[_Setup] = []
    neutral = (1.0, 1.0, 1.0)
    for name, frames in _video_shots():
        idx = tuple(range(len(pool), len(pool) + len(frames)))
        pool.extend(frames)
        setups.append(_Setup(name, idx, (0.5, 0.5), 0.8, 1.0, neutral))
    regions: list[_Setup] = []
    for name, image in _photographs():
        pool.append(image)
        i = len(pool) - 1
        # a wide setup and two close-ups of different parts of the same photo (uniform textures
        # look the same at every framing, so they give one setup)
        regions.append(_Setup(f"{name}/wide", (i,), (0.5, 0.5), 0.9, 1.0, neutral))
        for k, (x, y) in enumerate([] if name in _TEXTURES else [(0.3, 0.35), (0.7, 0.65)]):
            regions.append(_Setup(f"{name}/close{k}", (i,), (x, y), 0.4, 1.0, neutral))
    regions = [regions[j] for j in rng.permutation(len(regions))]
    n_twins = max(2, n_setups // 8)
    n_regions = max(n_setups - len(setups) - n_twins, n_twins)
    chosen, spare = regions[:n_regions], regions[n_regions:]
    # look-alikes: the same place at night (overlapping framing, dim blue light)
    twins = [_Setup(s.name + "/night", s.sources, (s.centre[0] + 0.08, s.centre[1]), s.width,
                    0.55, (1.25, 1.0, 0.8)) for s in chosen[:n_twins]]
    return pool, (setups + chosen + twins)[:n_setups], spare[:n_singletons]


def make_scene_dataset(n_setups: int = 40, shots_per_setup: tuple[int, int] = (3, 8),
                       n_singletons: int = 6, seed: int = 0, keep_images: bool = False,
                       embedder: PixelsEmbedder | None = None) -> SceneDataset:
    """Build ``n_setups`` multi-shot setups plus ``n_singletons`` one-shot setups, embedded with
    the pixels embedder (or ``embedder``). Shots are shuffled so arrival order is random."""
    rng = np.random.default_rng(seed)
    embedder = embedder or PixelsEmbedder()
    pool, multi, singles = _setups(n_setups, n_singletons, rng)
    setups = multi + singles
    shots: list[tuple[int, list[np.ndarray]]] = []
    for label, setup in enumerate(setups):
        count = 1 if label >= len(multi) else int(rng.integers(shots_per_setup[0], shots_per_setup[1] + 1))
        for _ in range(count):
            shots.append((label, _film(pool, setup, rng, int(rng.integers(1, 4)))))
    order = rng.permutation(len(shots))
    shots = [shots[i] for i in order]
    keyframes = [embedder.embed_images(frames) for _, frames in shots]
    return SceneDataset(
        shot_ids=[f"shot{i:04d}" for i in range(len(shots))],
        labels=np.asarray([label for label, _ in shots]),
        keyframes=keyframes,
        setup_names=[s.name for s in setups],
        seed=seed,
        images=[frames for _, frames in shots] if keep_images else [],
    )


@functools.lru_cache(maxsize=2)
def small_scene_dataset(seed: int = 0) -> SceneDataset:
    """The small set the tests share, built once per process (~60 shots, 14 setups, 3 one-offs)."""
    return make_scene_dataset(14, shots_per_setup=(3, 6), n_singletons=3, seed=seed)


def make_synthetic_shots(n_shots: int, n_clusters: int, dim: int = 512, spread: float = 0.5,
                         seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Large-scale stand-in for timing: ``n_clusters`` setups with Zipf-like sizes (largest ~30x
    the smallest), members at cosine ~0.9 to their centre and ~0.8 to each other (``spread`` =
    norm of the noise added to the unit centre), 2% random noise shots.
    Returns (L2-normalised vectors, labels with -1 for noise)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_clusters, dim)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    weights = 1.0 / np.arange(1, n_clusters + 1) ** 0.5
    labels = rng.choice(n_clusters, size=n_shots, p=weights / weights.sum())
    noise = rng.random(n_shots) < 0.02
    vecs = centres[labels] + rng.normal(scale=spread / np.sqrt(dim), size=(n_shots, dim)).astype(np.float32)
    vecs[noise] = rng.normal(size=(int(noise.sum()), dim))
    labels[noise] = -1
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    return vecs.astype(np.float32), labels


@dataclass
class FaceDataset:
    """Faces with the attributes ``characters.Face`` carries, plus the true person of each."""

    face_ids: list[str]
    shot_ids: list[str]
    frames: list[int]
    det_scores: np.ndarray
    sizes_px: np.ndarray
    sharpness: np.ndarray
    vectors: np.ndarray  # (n, 128) L2-normalised
    persons: np.ndarray  # true identity, -1 for one-off extras
    match_threshold: float = 0.6


FACES_DIR = MEDIA_DIR.parent / "faces"


def _dlib_model():
    """The real dlib face model, or None when dlib or its weights are absent."""
    try:
        from binsight.faces.dlib_backend import DlibFaceModel, installed_weights_dir

        return DlibFaceModel(installed_weights_dir())
    except (ImportError, FileNotFoundError, RuntimeError):
        return None


@functools.lru_cache(maxsize=1)
def real_face_dataset() -> FaceDataset | None:
    """Real dlib vectors of ../shared/faces: every photo is a one-frame "shot"; faces of a group
    photo share that frame (so must never be one character). Identities come from the folder
    names and, for group photos, truth.json's left-to-right order (unknown people: -1).
    None when the photos or the dlib backend/weights are absent."""
    truth_path = FACES_DIR / "truth.json"
    model = _dlib_model()
    if model is None:
        return None
    if not truth_path.exists():
        return None
    truth = json.loads(truth_path.read_text())
    people = sorted(truth["people"])
    photos: list[tuple[Path, list[int]]] = []
    for name in people:
        for path in sorted((FACES_DIR / "people" / name).iterdir()):
            photos.append((path, [people.index(name)]))
    for photo, names in sorted(truth["groups"].items()):
        who = [n.split(" (")[0] for n in names]
        photos.append((FACES_DIR / "groups" / photo, [people.index(n) if n in people else -1 for n in who]))
    rows = []
    for path, identities in photos:
        image = cv2.imread(str(path))
        if image is None:
            continue
        faces = sorted(model.analyze(image), key=lambda f: f.box[0])  # left to right
        for f, person in zip(faces, identities):
            rows.append((path.relative_to(FACES_DIR).as_posix(), person, f))
    return FaceDataset(
        face_ids=[f"real{i:03d}" for i in range(len(rows))],
        shot_ids=[r[0] for r in rows],
        frames=[0] * len(rows),
        det_scores=np.asarray([r[2].det_score for r in rows]),
        sizes_px=np.asarray([r[2].size_px for r in rows]),
        sharpness=np.asarray([r[2].sharpness for r in rows]),
        vectors=np.stack([r[2].vector for r in rows]).astype(np.float32),
        persons=np.asarray([r[1] for r in rows]),
        match_threshold=model.match_threshold,
    )


@functools.lru_cache(maxsize=1)
def hamilton_faces() -> FaceDataset | None:
    """Real dlib faces of short_hamilton_clip.mp4, 6 frames per content shot: the lead actor in
    shot 0 (wide, ~45 px, low detector scores) and shot 2 (medium), the audience in shot 3 (low
    score, blurred). ``persons``: 0 = the actor (shots 0 and 2), -1 = anyone else."""
    path = MEDIA_DIR / "short_hamilton_clip.mp4"
    model = _dlib_model()
    if model is None:
        return None
    if not path.exists():
        return None
    spans = json.loads((MEDIA_DIR / "truth.json").read_text())[path.name]["content_shots"]
    cap = cv2.VideoCapture(str(path))
    frames = []
    ok, frame = cap.read()
    while ok:
        frames.append(frame)
        ok, frame = cap.read()
    cap.release()
    rows = []
    for shot, (first, last) in enumerate(spans):
        for index in np.linspace(first + 2, last - 2, 6).astype(int):
            for f in model.analyze(frames[index]):
                rows.append((f"hamilton#{shot}", int(index), 0 if shot in (0, 2) else -1, f))
    return FaceDataset(
        face_ids=[f"ham{i:03d}" for i in range(len(rows))],
        shot_ids=[r[0] for r in rows],
        frames=[r[1] for r in rows],
        det_scores=np.asarray([r[3].det_score for r in rows]),
        sizes_px=np.asarray([r[3].size_px for r in rows]),
        sharpness=np.asarray([r[3].sharpness for r in rows]),
        vectors=np.stack([r[3].vector for r in rows]).astype(np.float32),
        persons=np.asarray([r[2] for r in rows]),
        match_threshold=model.match_threshold,
    )


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _noise_at(rng: np.random.Generator, dim: int, distance: float) -> np.ndarray:
    """Perturbation that puts a normalised vector at roughly ``distance`` Euclidean from its base."""
    return rng.normal(size=dim) * distance / np.sqrt(dim)


def make_face_dataset(n_people: int = 6, n_shots: int = 30, seed: int = 0, dim: int = 128,
                      lookalike_pairs: int = 1, extras_per_shot: float = 0.6) -> FaceDataset:
    """Shots with 1-3 people over 2-5 sampled frames each, plus low-quality extras (audience).

    Geometry mirrors the dlib numbers: a person's faces sit ~0.22 from their per-shot appearance,
    which is ~0.3 from the identity (so faces of one person in two shots are ~0.53 apart, in one
    shot ~0.31); look-alike pairs have identities ~0.68 apart; extras (low score, tiny, blurred)
    drift ~0.55 from a cast member half of the time, so a single one can land near a single frame
    of the lead.
    """
    rng = np.random.default_rng(seed)
    people = _unit(rng.normal(size=(n_people, dim)))
    for k in range(lookalike_pairs):
        a, b = 2 * k, 2 * k + 1
        if b < n_people:
            people[b] = _unit(people[a] + _noise_at(rng, dim, 0.68))
    rows: list[tuple] = []
    for s in range(n_shots):
        shot = f"shot{s:04d}"
        cast = rng.choice(n_people, size=int(rng.integers(1, min(3, n_people) + 1)), replace=False)
        frames = sorted(rng.choice(200, size=int(rng.integers(2, 6)), replace=False).tolist())
        looks = {p: _unit(people[p] + _noise_at(rng, dim, 0.3)) for p in cast}
        for f in frames:
            for p in cast:
                v = _unit(looks[p] + _noise_at(rng, dim, 0.22))
                rows.append((shot, f, p, rng.uniform(0.85, 1.0), rng.uniform(60, 200),
                             rng.uniform(80, 400), v))
            if rng.random() < extras_per_shot:
                # an extra: low score, small, blurred; sometimes drifts near a cast member
                base = people[rng.choice(cast)] if rng.random() < 0.5 else _unit(rng.normal(size=dim))
                v = _unit(base + _noise_at(rng, dim, 0.55))
                rows.append((shot, f, -1, rng.uniform(0.3, 0.6), rng.uniform(12, 30),
                             rng.uniform(5, 40), v))
    return FaceDataset(
        face_ids=[f"face{i:05d}" for i in range(len(rows))],
        shot_ids=[r[0] for r in rows],
        frames=[int(r[1]) for r in rows],
        det_scores=np.asarray([r[3] for r in rows]),
        sizes_px=np.asarray([r[4] for r in rows]),
        sharpness=np.asarray([r[5] for r in rows]),
        vectors=np.stack([r[6] for r in rows]).astype(np.float32),
        persons=np.asarray([r[2] for r in rows]),
    )
