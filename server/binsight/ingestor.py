"""Ingest of one file: probe → shots, keyframes (+ face samples), vectors in one decode → one
store commit.

The file is decoded once: shot detection holds the newest frames, and each shot's picks are
converted, written as JPEGs (plus thumbnails for the panels), embedded and scanned for faces as
soon as detection has seen the shot end, then dropped; only what that could not foresee is
decoded again, by seeking. Memory stays flat whatever the clip length. Nothing reaches the store
until the file is complete, and then in one ``commit_media``.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
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
from .faults import fault_point
from .clustering import local_features
from .errors import Cancelled, InvalidInput
from .faces.base import DetectedFace
from .jobs import FileOutcome, FileStatus
from .media.keyframes import FramePicker, HeldFrames, KeyframeConfig, Pick, choose_frames, seek_samples
from .media.probe import probe
from .media.shots import detect_shots
from .media.types import Detection, DetectorConfig, FrameSample, MediaInfo, Shot
from .models.select import ActiveModels
from .records import FaceRecord, KeyframeRecord, MediaRecord, ShotRecord
from .storage import Blobs
from .store import Store

log = logging.getLogger(__name__)

THUMB_LONG_SIDE = 320
_EMBED_BATCH = 16  # keyframes per embedder call: CLIP on ONNX is much faster batched
_HASH_SAMPLE = 1 << 20
_FACE_WORKERS = 2  # shots analysed for faces at once (see _ShotWorker)
_IN_FLIGHT = 4  # shot tasks (keyframes, faces) queued for worker threads before the decode waits


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


@dataclass(frozen=True)
class Analysed:
    """A file taken up to its rows, its images written: what an ingest worker hands the one
    writer to commit (see ``executors``)."""

    media: MediaRecord
    rows: FileRows
    stage_seconds: dict[str, float]


@dataclass(frozen=True)
class ShotRows:
    """Some of a long file's shots taken up to their rows by one worker (see ``analyse_shots``)."""

    rows: FileRows
    stage_seconds: dict[str, float]


Analyse = Callable[[Path, str, Progress, Callable[[], bool]], Analysed]  # (path, digest, progress, cancelled)


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
        self.seconds[stage] = round(self.seconds.get(stage, 0.0) + now - self._mark - self._aside, 4)
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

    def __init__(self, store: Store | None, blobs: Blobs, models: ActiveModels, settings: IngestSettings) -> None:
        """``store`` is None in an ingest worker, which analyses files and never commits."""
        self.store = store
        self.blobs = blobs
        self.models = models
        self.settings = settings

    def discard(self, media_id: str) -> None:
        """Remove the images of a file analysed but not committed by this job; never those of a
        committed file with the same id (another job may have committed the same content)."""
        if self.store is None or self.store.media.get(media_id) is None:
            self.blobs.remove_media(media_id)

    def current(self, path: Path, force: bool) -> tuple[str, MediaRecord | None]:
        """The file's content digest, and its committed version when that is of the same content
        and models (nothing to do unless ``force``)."""
        digest = content_hash(path)
        previous = self.store.media.at_path(str(path)) if self.store is not None else []
        same = [m for m in previous if m.content_hash == digest and m.scene_model_id == self.models.scene_model_id]
        return digest, (same[0] if same and not force else None)

    def ingest(self, path: Path, force: bool, progress: Progress,
               cancelled: Callable[[], bool], analyse: "Analyse | None" = None) -> tuple[FileOutcome, Committed | None]:
        """Analyse (here, or by ``analyse``: an ingest worker) and commit one file."""
        assert self.store is not None
        outcome = FileOutcome(path=str(path))
        digest, unchanged = self.current(path, force)
        if unchanged is not None:
            outcome.status, outcome.media_id = FileStatus.UNCHANGED, unchanged.media_id
            outcome.message = "content unchanged since it was ingested"
            outcome.shots = unchanged.shot_count
            outcome.faces = len(self.store.faces.without_vectors(outcome.media_id))
            return outcome, None
        previous = self.store.media.at_path(str(path))
        done = (analyse or self.analyse)(path, digest, progress, cancelled)
        media, rows = done.media, done.rows
        started = time.perf_counter()
        progress(Stage.STORE, 0, 0)
        old_shots = [s for m in previous for s in self.store.shots.of_media(m.media_id)]
        old_ids = [m.media_id for m in previous]
        if media.media_id in old_ids:  # a forced re-ingest of identical content reuses the media id
            self.store.delete_media(media.media_id)
        replaced = [old for old in old_ids if old != media.media_id]
        self.store.commit_media(media, rows.shots, rows.keyframes, rows.faces, replaces=replaced)
        for old in replaced:
            self.blobs.remove_media(old)
        by_frames = {(s.start_frame, s.end_frame): s.shot_id for s in old_shots}
        same = {s.shot_id: by_frames[(s.start_frame, s.end_frame)] for s in rows.shots
                if (s.start_frame, s.end_frame) in by_frames}
        outcome.media_id = media.media_id
        outcome.status = FileStatus.REPLACED if replaced else FileStatus.INGESTED
        outcome.shots = len(rows.shots)
        outcome.faces = len(rows.faces)
        outcome.warnings = list(media.warnings)
        outcome.stage_seconds = {**done.stage_seconds, "store": round(time.perf_counter() - started, 4)}
        if media.truncated:
            outcome.message = "file is truncated: the decodable part was ingested"
        return outcome, Committed(media.media_id, tuple(replaced), tuple(s.shot_id for s in old_shots), same)

    def analyse(self, path: Path, digest: str, progress: Progress, cancelled: Callable[[], bool]) -> Analysed:
        """A file up to its rows: probe, shots, keyframes (images written to the library),
        vectors, faces. Nothing reaches the store; the caller commits."""
        clock = _StageClock()
        progress(Stage.PROBE, 0, 0)
        info = probe(str(path))
        fault_point("probe")
        media_id = media_id_for(path, digest)
        clock.lap("probe")
        progress(Stage.DETECT, 0, info.frame_count)
        try:
            detection, rows = self._analyse(path, info, media_id, progress, cancelled, clock)
        except BaseException:
            self.blobs.remove_media(media_id)
            raise
        return self.analysed(path, digest, info, detection, rows, clock.seconds)

    def analysed(self, path: Path, digest: str, info: MediaInfo, detection: Detection, rows: FileRows,
                 stage_seconds: dict[str, float]) -> Analysed:
        """The file's analysis as the writer commits it, from its detection and rows (of one
        pass, or of a long file's chunks put together)."""
        warnings = (*info.warnings, *detection.warnings)
        media = media_record(info, media_id_for(path, digest), digest, path, warnings, detection.truncated,
                             self.models.scene_model_id, self.models.face_model_id, len(rows.shots))
        return Analysed(media, rows, stage_seconds)

    def analyse_shots(self, path: Path, info: MediaInfo, media_id: str, detection: Detection,
                      indices: Sequence[int], cancelled: Callable[[], bool]) -> ShotRows:
        """The rows of some of a file's shots, its detection known (a long file's shots are
        shared out among workers after its chunks are stitched): their frames decoded by
        seeking, images written under the names a one-pass ingest gives sought frames."""
        clock = _StageClock()
        work = _ShotWorker(self, media_id, clock)
        extra = self.settings.extra_face_samples if self.models.face else 0
        shots = [detection.shots[i] for i in indices]
        wanted = {s.index: choose_frames(s, detection, self.settings.keyframes, extra) for s in shots}
        try:
            rows = self._finish(path, info, detection, shots, work, {}, wanted, None, lambda *_: None,
                                cancelled, clock)
        finally:
            work.close()
        return ShotRows(rows, clock.seconds)

    def _analyse(self, path: Path, info: MediaInfo, media_id: str, progress: Progress,
                 cancelled: Callable[[], bool], clock: "_StageClock") -> tuple[Detection, FileRows]:
        """Detect shots and do each shot's pixel work (keyframe JPEGs, scene vectors, faces) in
        one decode of the file: a shot's frames are picked and worked on as soon as detection
        has seen the shot end (``FramePicker``), while the decode goes on. Each of those
        predictions is then checked against the whole-clip detection; a shot whose extent or
        picks came out different, or whose frames were shed from memory, is sampled again by
        seeking (``seek_samples``) and worked on then."""
        cfg = self.settings
        work = _ShotWorker(self, media_id, clock)
        extra = cfg.extra_face_samples if self.models.face else 0
        predicted: dict[tuple[int, int], _ShotWork] = {}

        def on_shot(shot: Shot, samples: list[FrameSample]) -> None:
            predicted[(shot.start_frame, shot.end_frame)] = work.start(samples, f"p{shot.start_frame}")

        picker = FramePicker(info, cfg.detector, cfg.keyframes, extra, on_shot)
        try:
            detection = detect_shots(str(path), info, cfg.detector,
                                     progress=lambda done, total, shots: (fault_point("detect"),
                                                                          progress(Stage.DETECT, done, total)),
                                     cancelled=cancelled, observers=(picker.observe,), fast=False,
                                     analyzer=picker.analyzer)
            clock.lap("detect")
            chosen: dict[int, _ShotWork] = {}
            wanted: dict[int, list[Pick]] = {}
            for shot in detection.shots:
                picks = choose_frames(shot, detection, cfg.keyframes, extra)
                done = predicted.pop((shot.start_frame, shot.end_frame), None)
                if done is not None and done.picks == tuple(sorted((p.frame, p.is_keyframe) for p in picks)):
                    chosen[shot.index] = done
                else:
                    if done is not None:
                        work.discard(done)
                    wanted[shot.index] = picks
            for stale in predicted.values():
                work.discard(stale)
            rows = self._finish(path, info, detection, detection.shots, work, chosen, wanted, picker.held,
                                progress, cancelled, clock)
            log.debug("frames picked in the detection pass", extra={
                "path": str(path), "shots": len(detection.shots), "predicted": len(detection.shots) - len(wanted),
                "sampled_again": len(wanted)})
        finally:
            work.close()
        return detection, rows

    def _finish(self, path: Path, info: MediaInfo, detection: Detection, shots: Sequence[Shot], work: "_ShotWorker",
                chosen: dict[int, "_ShotWork"], wanted: dict[int, list[Pick]], held: HeldFrames | None,
                progress: Progress, cancelled: Callable[[], bool], clock: "_StageClock") -> FileRows:
        """``shots``' rows: the pixel work already ``chosen`` for some, the frames ``wanted`` by
        the others taken from ``held`` or decoded again by seeking and worked on now."""
        again = seek_samples(str(path), info, detection, wanted, self.settings.keyframes, held)
        while True:
            with clock.aside("keyframes"):  # decoding (seeking) and converting the frames
                item = next(again, None)
            if item is None:
                break
            if cancelled():
                raise Cancelled("ingest cancelled")
            shot_index, samples = item
            if samples:
                chosen[shot_index] = work.start(samples, f"s{shot_index}")
        if held is not None:
            held.clear()
        rows = FileRows()
        for done_count, shot in enumerate(shots, start=1):
            if shot.index in chosen:
                work.finish(chosen[shot.index], shot, rows)
            progress(Stage.EMBED, done_count, len(shots))
            fault_point("embed")
        clock.lap("embed")
        return rows

    def reembed(self, media: MediaRecord) -> int:
        """Re-embed one file's stored keyframe JPEGs with the active models (faces are detected
        again on the keyframes); the video is not decoded again. Returns its shot count."""
        keyframes = self.store.keyframes.of_media(media.media_id)
        images = [_read_jpeg(self.blobs.get(k.image_path)) for k in keyframes]
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

    def _face_records(self, faces: Sequence[DetectedFace], sample: FrameSample, shot_id: str,
                      media_id: str) -> list[FaceRecord]:
        """Records of one re-embedded keyframe's faces, crops written under their ids."""
        records = []
        for n, face in enumerate(faces):
            face_id = f"{shot_id}-f{sample.frame}-{n}"
            crop = f"{media_id}/{face_id}.jpg"
            _write_jpeg(self.blobs, crop, face_crop(sample.image, face.box), 85)
            records.append(face_record(face, face_id, shot_id, media_id, sample.frame, sample.time_s,
                                       self.models.face_model_id, crop))
        return records


@dataclass
class _Keyframe:
    """A keyframe's pixel work: its JPEG and thumbnail written, vector and local features once
    its embedding batch has run."""

    frame: int
    time_s: float
    sharpness: float
    image_path: str
    thumb_path: str
    vector: np.ndarray | None = None
    local_features: bytes = b""


@dataclass(frozen=True)
class _Face:
    frame: int
    time_s: float
    number: int
    face: DetectedFace
    crop_path: str


@dataclass
class _ShotWork:
    """The pixel work of one shot's samples, done while they were decoded, under file names of
    its own (``prefix``) until the shot it belongs to is known for sure."""

    picks: tuple[tuple[int, bool], ...]  # (frame, is_keyframe), sorted
    keyframes: list[_Keyframe]
    files: list[str]  # image keys in the library's blobs
    pixels: "Future[None] | None" = None
    faces: "Future[list[_Face]] | None" = None


class _ShotWorker:
    """Does shots' pixel work and turns it into rows, on worker threads while the caller decodes
    on (OpenCV, PyAV decoding, ONNX Runtime and dlib's HOG scan release the GIL; dlib's face
    descriptor does not). One thread writes keyframe JPEGs and computes scene vectors, in batches
    of ``_EMBED_BATCH`` keyframes, and local features; faces of a shot go to ``_FACE_WORKERS``
    threads, so one shot's HOG scans run beside another's descriptors. At most ``_IN_FLIGHT``
    shots of frames wait for either."""

    def __init__(self, ingestor: Ingestor, media_id: str, clock: _StageClock) -> None:
        self.ingestor = ingestor
        self.blobs = ingestor.blobs
        self.media_id = media_id
        self.clock = clock
        models = ingestor.models
        self.face_model = models.face
        self.pixels = ThreadPoolExecutor(1, thread_name_prefix="keyframes")
        self.pool = ThreadPoolExecutor(_FACE_WORKERS, thread_name_prefix="faces") if self.face_model else None
        self._in_flight: deque[Future[object]] = deque()
        self._pending: list[tuple[_Keyframe, np.ndarray]] = []  # the pixels thread's batch

    def start(self, samples: list[FrameSample], prefix: str) -> _ShotWork:
        work = _ShotWork(tuple(sorted((s.frame, s.is_keyframe) for s in samples)), [], [])
        work.pixels = self.pixels.submit(self._pixel_work, work, samples, prefix)
        self._in_flight.append(work.pixels)
        if self.pool is not None:
            work.faces = self.pool.submit(self._shot_faces, samples, prefix, work.files)
            self._in_flight.append(work.faces)
        while len(self._in_flight) > _IN_FLIGHT:
            with self.clock.aside("faces" if self.pool is not None else "embed"):  # beyond what ran alongside
                self._in_flight.popleft().result()
        return work

    def finish(self, work: _ShotWork, shot: Shot, rows: FileRows) -> None:
        """The rows of ``work``, which is ``shot``'s."""
        assert work.pixels is not None
        with self.clock.aside("embed"):
            work.pixels.result()
            self.pixels.submit(self._flush).result()
        ingestor, media_id = self.ingestor, self.media_id
        shot_id = shot_id_for(media_id, shot.index)
        rows.shots.append(ShotRecord(shot_id, media_id, shot.index, shot.start_frame, shot.end_frame,
                                     shot.start_s, shot.end_s, shot.moving, float(shot.motion)))
        rows.keyframes.extend(
            KeyframeRecord(f"{shot_id}-k{k.frame}", shot_id, media_id, k.frame, k.time_s, k.sharpness,
                           k.image_path, k.thumb_path, ingestor.models.scene_model_id, vector=k.vector,
                           local_features=k.local_features)
            for k in work.keyframes)
        if work.faces is not None:
            with self.clock.aside("faces"):
                faces = work.faces.result()
            face_model_id = ingestor.models.face_model_id
            rows.faces.extend(face_record(f.face, f"{shot_id}-f{f.frame}-{f.number}", shot_id, media_id, f.frame,
                                          f.time_s, face_model_id, f.crop_path) for f in faces)

    def discard(self, work: _ShotWork) -> None:
        """Work on a prediction that did not hold: its files go once its threads are done."""
        for future in (work.pixels, work.faces):
            if future is not None:
                future.result()
        self.blobs.remove(work.files)

    def close(self) -> None:
        self.pixels.shutdown(wait=True, cancel_futures=True)
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def _pixel_work(self, work: _ShotWork, samples: list[FrameSample], prefix: str) -> None:
        for sample in samples:
            if sample.is_keyframe:
                work.keyframes.append(self._keyframe(sample, prefix, work.files))
                self._pending.append((work.keyframes[-1], sample.image))
        if len(self._pending) >= _EMBED_BATCH:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        vectors = self.ingestor.models.scene.embed_images([image for _, image in self._pending])
        for (keyframe, image), vector in zip(self._pending, vectors):
            keyframe.vector = np.asarray(vector, np.float32)
            keyframe.local_features = local_features.extract(image).to_bytes()
        self._pending.clear()

    def _keyframe(self, sample: FrameSample, prefix: str, files: list[str]) -> _Keyframe:
        image_key = f"{self.media_id}/{prefix}-k{sample.frame}.jpg"
        thumb_key = f"{self.media_id}/{prefix}-k{sample.frame}.thumb.jpg"
        _write_jpeg(self.blobs, image_key, sample.image, 90)
        h, w = sample.image.shape[:2]
        scale = THUMB_LONG_SIDE / max(h, w)
        thumb = cv2.resize(sample.image, (max(1, round(w * scale)), max(1, round(h * scale))),
                           interpolation=cv2.INTER_AREA) if scale < 1 else sample.image
        _write_jpeg(self.blobs, thumb_key, thumb, 80)
        files += [image_key, thumb_key]
        return _Keyframe(sample.frame, sample.time_s, float(sample.sharpness), image_key, thumb_key)

    def _shot_faces(self, samples: Sequence[FrameSample], prefix: str, files: list[str]) -> list[_Face]:
        """Faces of one shot's samples, analysed as one shot (dlib scans it coarse to fine
        within its per-shot budget), crops written."""
        assert self.face_model is not None
        ordered = sorted(samples, key=lambda s: s.frame)
        found = self.face_model.analyze_shot([s.image for s in ordered])
        out = []
        for sample, faces in zip(ordered, found):
            for n, face in enumerate(faces):
                crop = f"{self.media_id}/{prefix}-f{sample.frame}-{n}.jpg"
                _write_jpeg(self.blobs, crop, face_crop(sample.image, face.box), 85)
                files.append(crop)
                out.append(_Face(sample.frame, sample.time_s, n, face, crop))
        return out


def face_record(face: DetectedFace, face_id: str, shot_id: str, media_id: str, frame: int, time_s: float,
                face_model_id: str, crop_path: str) -> FaceRecord:
    return FaceRecord(
        face_id, shot_id, media_id, frame, time_s, tuple(float(v) for v in face.box),
        tuple(float(v) for v in np.asarray(face.landmarks, np.float32).reshape(-1)),
        float(face.det_score), float(face.sharpness), float(face.size_px), face_model_id, crop_path,
        np.asarray(face.vector, np.float32))


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


def _write_jpeg(blobs: Blobs, key: str, image: np.ndarray, quality: int) -> None:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError(f"could not encode keyframe {key}")
    blobs.put(key, data.tobytes())


def _read_jpeg(data: bytes | None) -> np.ndarray | None:
    return None if data is None else cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)


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
