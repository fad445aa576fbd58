"""Ingest of one file: probe → shots → keyframes (+ face samples) → vectors → one store commit.

Frames flow shot by shot, so memory stays flat whatever the clip length; keyframe images are
written as JPEGs (plus thumbnails for the panels) and dropped as soon as they are embedded.
Nothing reaches the store until the file is complete, and then in one ``commit_media``.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from enum import StrEnum
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from .clock import utcnow
from .clustering import local_features
from .errors import Cancelled, InvalidInput
from .faces.base import DetectedFace
from .jobs import FileOutcome, FileStatus
from .media.keyframes import KeyframeConfig, sample_frames
from .media.probe import probe
from .media.shots import detect_shots
from .media.types import Detection, DetectorConfig, FrameSample, MediaInfo
from .models.select import ActiveModels
from .records import FaceRecord, KeyframeRecord, MediaRecord, ShotRecord
from .store import Store

log = logging.getLogger(__name__)

THUMB_LONG_SIDE = 320
_EMBED_BATCH = 16  # keyframes per embedder call: CLIP on ONNX is much faster batched
_HASH_SAMPLE = 1 << 20
_FACE_WORKERS = 2  # shots analysed for faces at once (see _embed_shots)


class Stage(StrEnum):
    """What a file's ingest is doing, as progress events name it."""

    PROBE = "probe"
    DETECT = "detect"
    EMBED = "embed"
    STORE = "store"
    SLATE = "slate"  # after every file of the job is placed (see ``app.ingest``)
    DONE = "done"


def content_hash(path: Path) -> str:
    """A fingerprint that changes when the file does, without reading gigabytes: size plus three
    1 MiB samples (start, middle, end). Camera originals are never edited in place in ways that
    keep size and all three samples, and reading whole 100 GB RAW files on every re-ingest would
    make "re-ingest a folder" unusable."""
    size = path.stat().st_size
    digest = hashlib.blake2b(str(size).encode(), digest_size=16)
    with path.open("rb") as f:
        for offset in sorted({0, max(0, size // 2 - _HASH_SAMPLE // 2), max(0, size - _HASH_SAMPLE)}):
            f.seek(offset)
            digest.update(f.read(_HASH_SAMPLE))
    return digest.hexdigest()


def media_id_for(path: Path, digest: str) -> str:
    return hashlib.blake2b(f"{path}\0{digest}".encode(), digest_size=8).hexdigest()


def shot_id_for(media_id: str, index: int) -> str:
    return f"{media_id}-{index:04d}"


@dataclass(frozen=True)
class IngestSettings:
    detector: DetectorConfig = DetectorConfig()
    keyframes: KeyframeConfig = KeyframeConfig()
    extra_face_samples: int = 4


@dataclass
class FileRows:
    """Everything one file commits."""

    shots: list[ShotRecord] = field(default_factory=list)
    keyframes: list[KeyframeRecord] = field(default_factory=list)
    faces: list[FaceRecord] = field(default_factory=list)


@dataclass(frozen=True)
class Committed:
    """What a committed ingest changed, for the indexes: the new file and the versions it
    retired, with each new shot that has the frames of a retired one (its corrections carry)."""

    media_id: str
    retired_media: tuple[str, ...]
    retired_shots: tuple[str, ...]
    same_frames: dict[str, str]  # new shot id -> retired shot id with the same frames


Progress = Callable[[Stage, int, int], None]  # (stage, done, total)


class _StageClock:
    """Wall seconds per ingest stage, for the job's file result and the log. ``aside`` books time
    spent inside the current stage to another one (decoding keyframes, waiting on face workers
    during embedding)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._mark = time.perf_counter()
        self._aside = 0.0

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.seconds[stage] = round(now - self._mark - self._aside, 4)
        self._mark, self._aside = now, 0.0

    @contextlib.contextmanager
    def aside(self, stage: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            spent = time.perf_counter() - started
            self._aside += spent
            self.seconds[stage] = round(self.seconds.get(stage, 0.0) + spent, 4)


class Ingestor:
    """Turns one file into committed rows, with the project's active models."""

    def __init__(self, store: Store, media_cache: Path, models: ActiveModels, settings: IngestSettings) -> None:
        self.store = store
        self.media_cache = media_cache
        self.models = models
        self.settings = settings

    def ingest(self, path: Path, force: bool, progress: Progress,
               cancelled: Callable[[], bool]) -> tuple[FileOutcome, Committed | None]:
        outcome = FileOutcome(path=str(path))
        digest = content_hash(path)
        previous = self.store.media.at_path(str(path))
        scene_model = self.models.scene_model_id
        current = [m for m in previous if m.content_hash == digest and m.scene_model_id == scene_model]
        if current and not force:
            outcome.status, outcome.media_id = FileStatus.UNCHANGED, current[0].media_id
            outcome.message = "content unchanged since it was ingested"
            outcome.shots = current[0].shot_count
            outcome.faces = len(self.store.faces.without_vectors(outcome.media_id))
            return outcome, None

        clock = _StageClock()
        progress(Stage.PROBE, 0, 0)
        info = probe(str(path))
        media_id = media_id_for(path, digest)
        clock.lap("probe")
        progress(Stage.DETECT, 0, info.frame_count)
        detection = detect_shots(str(path), info, self.settings.detector,
                                 progress=lambda done, total, shots: progress(Stage.DETECT, done, total),
                                 cancelled=cancelled)
        clock.lap("detect")
        folder = self.media_cache / media_id
        try:
            rows = self._embed_shots(path, info, detection, media_id, folder, progress, cancelled, clock)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        warnings = (*info.warnings, *detection.warnings)
        media = media_record(info, media_id, digest, path, warnings, detection.truncated, scene_model,
                             self.models.face_model_id, len(rows.shots))
        progress(Stage.STORE, 0, 0)
        old_shots = [s for m in previous for s in self.store.shots.of_media(m.media_id)]
        old_ids = [m.media_id for m in previous]
        if media_id in old_ids:  # a forced re-ingest of identical content reuses the media id
            self.store.delete_media(media_id)
        replaced = [old for old in old_ids if old != media_id]
        self.store.commit_media(media, rows.shots, rows.keyframes, rows.faces, replaces=replaced)
        for old in replaced:
            shutil.rmtree(self.media_cache / old, ignore_errors=True)
        clock.lap("store")
        by_frames = {(s.start_frame, s.end_frame): s.shot_id for s in old_shots}
        same = {s.shot_id: by_frames[(s.start_frame, s.end_frame)] for s in rows.shots
                if (s.start_frame, s.end_frame) in by_frames}
        outcome.media_id = media_id
        outcome.status = FileStatus.REPLACED if replaced else FileStatus.INGESTED
        outcome.shots = len(rows.shots)
        outcome.faces = len(rows.faces)
        outcome.warnings = list(warnings)
        outcome.stage_seconds = clock.seconds
        if detection.truncated:
            outcome.message = "file is truncated: the decodable part was ingested"
        return outcome, Committed(media_id, tuple(replaced), tuple(s.shot_id for s in old_shots), same)

    def _embed_shots(self, path: Path, info: MediaInfo, detection: Detection, media_id: str, folder: Path,
                     progress: Progress, cancelled: Callable[[], bool], clock: "_StageClock") -> FileRows:
        folder.mkdir(parents=True, exist_ok=True)
        rows = FileRows()
        shots = {s.index: s for s in detection.shots}
        embedder = self.models.scene
        face_model = self.models.face
        pending: list[tuple[KeyframeRecord, FrameSample]] = []

        def flush() -> None:
            if not pending:
                return
            vectors = embedder.embed_images([sample.image for _, sample in pending])
            rows.keyframes.extend(replace(rec, vector=np.asarray(v, np.float32),
                                          local_features=local_features.extract(sample.image).to_bytes())
                                  for (rec, sample), v in zip(pending, vectors))
            pending.clear()

        extra = self.settings.extra_face_samples if face_model else 0
        samples_per_shot = sample_frames(str(path), info, detection, self.settings.keyframes, extra_samples=extra)
        # Faces of a shot are found on worker threads while this one decodes and embeds the next
        # shots: dlib's HOG scan, PyAV decoding and ONNX Runtime release the GIL (dlib's face
        # descriptor does not), so with two workers one shot's HOG scans run beside another's
        # descriptors. At most three shots of frames are held (two scanned, one being decoded).
        faces = ThreadPoolExecutor(_FACE_WORKERS, thread_name_prefix="faces") if face_model else None
        face_jobs: deque[Future[list[FaceRecord]]] = deque()
        try:
            shot_samples = iter(samples_per_shot)
            for done in range(1, len(detection.shots) + 1):
                with clock.aside("keyframes"):  # decoding and converting the picked frames
                    samples = next(shot_samples, None)
                if samples is None:
                    break
                if cancelled():
                    raise Cancelled("ingest cancelled")
                if not samples:
                    continue
                shot = shots[samples[0].shot_index]
                shot_id = shot_id_for(media_id, shot.index)
                rows.shots.append(ShotRecord(shot_id, media_id, shot.index, shot.start_frame, shot.end_frame,
                                             shot.start_s, shot.end_s, shot.moving, float(shot.motion)))
                for sample in samples:
                    if sample.is_keyframe:
                        pending.append((self._keyframe(sample, shot_id, media_id, folder), sample))
                if faces is not None:
                    face_jobs.append(faces.submit(self._shot_faces, samples, shot_id, media_id))
                    while len(face_jobs) >= _FACE_WORKERS:
                        with clock.aside("faces"):  # waiting on faces, beyond what ran alongside
                            rows.faces.extend(face_jobs.popleft().result())
                if len(pending) >= _EMBED_BATCH:
                    flush()
                progress(Stage.EMBED, done, len(detection.shots))
            flush()
            with clock.aside("faces"):
                while face_jobs:
                    rows.faces.extend(face_jobs.popleft().result())
            clock.lap("embed")
        finally:
            if faces is not None:
                faces.shutdown(wait=True, cancel_futures=True)
        return rows

    def reembed(self, media: MediaRecord) -> int:
        """Re-embed one file's stored keyframe JPEGs with the active models (faces are detected
        again on the keyframes); the video is not decoded again. Returns its shot count."""
        keyframes = self.store.keyframes.of_media(media.media_id)
        images = [cv2.imread(str(self.media_cache / k.image_path)) for k in keyframes]
        missing = [k.image_path for k, image in zip(keyframes, images) if image is None]
        if missing:
            raise InvalidInput(f"{media.path}: keyframe images missing from the data dir "
                               f"({len(missing)} of {len(keyframes)}); re-ingest it with --force")
        embedder, face_model = self.models.scene, self.models.face
        vectors = embedder.embed_images(images) if images else np.zeros((0, 0), np.float32)
        new_keyframes = [replace(k, model_id=embedder.model_id, vector=np.asarray(v, np.float32),
                                 local_features=local_features.extract(image).to_bytes())
                         for k, v, image in zip(keyframes, vectors, images)]
        faces: list[FaceRecord] = []
        if face_model is not None:
            for k, image in zip(keyframes, images):
                sample = FrameSample(shot_index=-1, frame=k.frame, time_s=k.time_s, image=image,
                                     sharpness=k.sharpness, is_keyframe=True)
                faces.extend(self._face_records(face_model.analyze(image), sample, k.shot_id, media.media_id))
        shots = self.store.shots.of_media(media.media_id)
        record = replace(media, scene_model_id=embedder.model_id, face_model_id=self.models.face_model_id)
        self.store.delete_media(media.media_id)
        self.store.commit_media(record, shots, new_keyframes, faces)
        return len(shots)

    def _keyframe(self, sample: FrameSample, shot_id: str, media_id: str, folder: Path) -> KeyframeRecord:
        keyframe_id = f"{shot_id}-k{sample.frame}"
        image_path = folder / f"{keyframe_id}.jpg"
        thumb_path = folder / f"{keyframe_id}.thumb.jpg"
        _write_jpeg(image_path, sample.image, 90)
        h, w = sample.image.shape[:2]
        scale = THUMB_LONG_SIDE / max(h, w)
        thumb = cv2.resize(sample.image, (max(1, round(w * scale)), max(1, round(h * scale))),
                           interpolation=cv2.INTER_AREA) if scale < 1 else sample.image
        _write_jpeg(thumb_path, thumb, 80)
        return KeyframeRecord(keyframe_id, shot_id, media_id, sample.frame, sample.time_s, float(sample.sharpness),
                              str(image_path.relative_to(self.media_cache)),
                              str(thumb_path.relative_to(self.media_cache)), self.models.scene_model_id)

    def _shot_faces(self, samples: Sequence[FrameSample], shot_id: str, media_id: str) -> list[FaceRecord]:
        """Faces of one shot's samples, analysed as one shot (dlib scans it coarse to fine
        within its per-shot budget)."""
        face_model = self.models.face
        assert face_model is not None
        ordered = sorted(samples, key=lambda s: s.frame)
        found = face_model.analyze_shot([s.image for s in ordered])
        return [rec for sample, faces in zip(ordered, found)
                for rec in self._face_records(faces, sample, shot_id, media_id)]

    def _face_records(self, faces: Sequence[DetectedFace], sample: FrameSample, shot_id: str,
                      media_id: str) -> list[FaceRecord]:
        records = []
        for n, face in enumerate(faces):
            face_id = f"{shot_id}-f{sample.frame}-{n}"
            crop = self.media_cache / media_id / f"{face_id}.jpg"
            _write_jpeg(crop, face_crop(sample.image, face.box), 85)
            records.append(FaceRecord(
                face_id, shot_id, media_id, sample.frame, sample.time_s, tuple(float(v) for v in face.box),
                tuple(float(v) for v in np.asarray(face.landmarks, np.float32).reshape(-1)),
                float(face.det_score), float(face.sharpness), float(face.size_px), self.models.face_model_id,
                str(crop.relative_to(self.media_cache)), np.asarray(face.vector, np.float32)))
        return records


FACE_CROP_PX = 128


def face_crop(image: np.ndarray, box: Sequence[float]) -> np.ndarray:
    """The face with half its size of margin each side, square, ``FACE_CROP_PX`` wide: what a
    people view shows (a tight box crops the chin and hair an editor recognises a person by)."""
    x0, y0, x1, y1 = box
    side = max(x1 - x0, y1 - y0) * 2.0
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    h, w = image.shape[:2]
    left, top = int(max(0, cx - side / 2)), int(max(0, cy - side / 2))
    right, bottom = int(min(w, cx + side / 2)), int(min(h, cy + side / 2))
    patch = image[top:max(bottom, top + 1), left:max(right, left + 1)]
    return cv2.resize(patch, (FACE_CROP_PX, FACE_CROP_PX), interpolation=cv2.INTER_AREA)


def _write_jpeg(path: Path, image: np.ndarray, quality: int) -> None:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError(f"could not encode keyframe {path.name}")
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data.tobytes())
    os.replace(tmp, path)


def media_record(info: MediaInfo, media_id: str, digest: str, path: Path, warnings: Sequence[str],
                 truncated: bool, scene_model_id: str, face_model_id: str, shot_count: int) -> MediaRecord:
    return MediaRecord(
        media_id=media_id, path=str(path), content_hash=digest, size_bytes=path.stat().st_size,
        container=info.container, codec=info.codec, width=info.width, height=info.height,
        rotation=info.rotation, pixel_aspect=Fraction(info.pixel_aspect), frame_rate=Fraction(info.frame_rate),
        frame_count=info.frame_count, duration_s=info.duration_s, first_pts_s=info.first_pts_s,
        start_timecode=info.start_timecode or "", drop_frame=info.drop_frame, reel=info.reel or "",
        creation_time=info.creation_time or "", has_audio=info.has_audio, audio_channels=info.audio_channels,
        audio_sample_rate=info.audio_sample_rate, bit_depth=info.bit_depth, pix_fmt=info.pix_fmt,
        interlaced=info.interlaced, variable_frame_rate=info.variable_frame_rate, truncated=truncated,
        warnings=tuple(warnings), scene_model_id=scene_model_id, face_model_id=face_model_id,
        ingested_at=utcnow(), shot_count=shot_count)
