"""Ingest of one file: probe → shots → keyframes (+ face samples) → vectors → one store commit.

Frames flow shot by shot, so memory stays flat whatever the clip length; keyframe images are
written as JPEGs (plus thumbnails for the panels) and dropped as soon as they are embedded.
Nothing reaches the store until the file is complete, and then in one ``commit_media``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import cv2
import numpy as np

from .embedders.base import SceneEmbedder
from .errors import Cancelled, InvalidInput
from .faces.base import FaceModel
from .jobs import FileOutcome, utcnow
from .media.keyframes import KeyframeConfig, sample_frames
from .media.probe import probe
from .media.shots import detect_shots
from .media.types import DetectorConfig
from .media.types import FrameSample, MediaInfo
from .store import Store, quote

log = logging.getLogger(__name__)

VIDEO_EXTENSIONS = frozenset(
    ".mov .mp4 .m4v .mxf .avi .mkv .webm .mts .m2ts .ts .mpg .mpeg .dv .r3d .braw .wmv .3gp .ogv".split()
)
THUMB_LONG_SIDE = 320
_EMBED_BATCH = 16  # keyframes per embedder call: CLIP on ONNX is much faster batched
_HASH_SAMPLE = 1 << 20
_FACE_WORKERS = 2  # shots analysed for faces at once (see _embed_shots)


def discover(paths: Iterable[str], recursive: bool = True) -> list[Path]:
    """Expand files and folders into the files to ingest. Folders contribute files with a video
    extension; a file named explicitly is taken whatever its name (the probe judges it)."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if not path.exists():
            raise InvalidInput(f"{raw}: no such file or folder")
        if path.is_dir():
            walker = path.rglob("*") if recursive else path.glob("*")
            videos = sorted(p for p in walker if p.is_file() and p.suffix.lower() in VIDEO_EXTENSIONS
                            and not p.name.startswith("."))
            if not videos:
                raise InvalidInput(f"{raw}: folder holds no video files (looked for "
                                   f"{', '.join(sorted(VIDEO_EXTENSIONS))})")
            found.extend(videos)
        else:
            found.append(path)
    unique = list(dict.fromkeys(p.resolve() for p in found))
    return unique


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


@dataclass
class PipelineSettings:
    detector: DetectorConfig
    keyframes: KeyframeConfig
    extra_face_samples: int


Progress = Callable[[str, int, int], None]  # (stage, done, total)


class Ingestor:
    """Turns one file into committed rows. Holds the models so they load once per server."""

    def __init__(self, store: Store, media_cache: Path, embedder: SceneEmbedder, face_model: FaceModel | None,
                 settings: PipelineSettings) -> None:
        self.store = store
        self.media_cache = media_cache
        self.embedder = embedder
        self.face_model = face_model
        self.settings = settings

    def ingest(self, path: Path, force: bool, progress: Progress, cancelled: Callable[[], bool]) -> FileOutcome:
        outcome = FileOutcome(path=str(path))
        digest = content_hash(path)
        previous = self.store.rows("media", f"path = {quote(str(path))}")
        current = [m for m in previous if m["content_hash"] == digest
                   and m["scene_model_id"] == self.embedder.model_id]
        if current and not force:
            outcome.status, outcome.media_id = "unchanged", current[0]["media_id"]
            outcome.message = "content unchanged since it was ingested"
            outcome.shots = current[0]["shot_count"]
            outcome.faces = self.store.count("faces", f"media_id = {quote(outcome.media_id)}")
            return outcome

        progress("probe", 0, 0)
        info = probe(str(path))
        media_id = media_id_for(path, digest)
        progress("detect", 0, info.frame_count)
        detection = detect_shots(str(path), info, self.settings.detector,
                                 progress=lambda done, total, shots: progress("detect", done, total),
                                 cancelled=cancelled)
        folder = self.media_cache / media_id
        try:
            rows = self._embed_shots(path, info, detection, media_id, folder, progress, cancelled)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        warnings = list(info.warnings) + list(detection.warnings)
        media_row = _media_row(info, media_id, digest, path, warnings, detection.truncated,
                               self.embedder.model_id, self.face_model.model_id if self.face_model else "",
                               len(rows["shots"]))
        progress("store", 0, 0)
        old_ids = [m["media_id"] for m in previous]
        if media_id in old_ids:  # a forced re-ingest of identical content reuses the media id
            self.store.delete_media(media_id)
        replaced = [old for old in old_ids if old != media_id]
        self.store.commit_media(media_row, rows, replaces=replaced)
        for old in replaced:
            shutil.rmtree(self.media_cache / old, ignore_errors=True)
        outcome.media_id = media_id
        outcome.status = "replaced" if replaced else "ingested"
        outcome.shots = len(rows["shots"])
        outcome.faces = len(rows["faces"])
        outcome.warnings = warnings
        if detection.truncated:
            outcome.message = "file is truncated: the decodable part was ingested"
        return outcome

    def _embed_shots(self, path: Path, info: MediaInfo, detection, media_id: str, folder: Path,
                     progress: Progress, cancelled: Callable[[], bool]) -> dict[str, list[dict]]:
        folder.mkdir(parents=True, exist_ok=True)
        rows: dict[str, list[dict]] = {"shots": [], "keyframes": [], "faces": []}
        shots = {s.index: s for s in detection.shots}
        pending: list[tuple[dict, FrameSample]] = []

        def flush() -> None:
            if not pending:
                return
            vectors = self.embedder.embed_images([sample.image for _, sample in pending])
            for (row, _), vector in zip(pending, vectors):
                row["vector"] = vector.astype(np.float32).tolist()
                rows["keyframes"].append(row)
            pending.clear()

        extra = self.settings.extra_face_samples if self.face_model else 0
        samples_per_shot = sample_frames(str(path), info, detection, self.settings.keyframes, extra_samples=extra)
        # Faces of a shot are found on worker threads while this one decodes and embeds the next
        # shots: dlib's HOG scan, PyAV decoding and ONNX Runtime release the GIL (dlib's face
        # descriptor does not), so with two workers one shot's HOG scans run beside another's
        # descriptors. At most three shots of frames are held (two scanned, one being decoded).
        faces = ThreadPoolExecutor(_FACE_WORKERS, thread_name_prefix="faces") if self.face_model else None
        face_jobs: deque[Future] = deque()
        try:
            for done, samples in enumerate(samples_per_shot, start=1):
                if cancelled():
                    raise Cancelled("ingest cancelled")
                if not samples:
                    continue
                shot = shots[samples[0].shot_index]
                shot_id = f"{media_id}-{shot.index:04d}"
                rows["shots"].append({
                    "shot_id": shot_id, "media_id": media_id, "idx": shot.index, "start_frame": shot.start_frame,
                    "end_frame": shot.end_frame, "start_s": shot.start_s, "end_s": shot.end_s,
                    "moving": shot.moving, "motion": float(shot.motion),
                })
                for sample in samples:
                    if sample.is_keyframe:
                        pending.append((self._keyframe_row(sample, shot_id, media_id, folder), sample))
                if faces is not None:
                    face_jobs.append(faces.submit(self._shot_face_rows, samples, shot_id, media_id))
                    while len(face_jobs) >= _FACE_WORKERS:
                        rows["faces"].extend(face_jobs.popleft().result())
                if len(pending) >= _EMBED_BATCH:
                    flush()
                progress("embed", done, len(detection.shots))
            flush()
            while face_jobs:
                rows["faces"].extend(face_jobs.popleft().result())
        finally:
            if faces is not None:
                faces.shutdown(wait=True, cancel_futures=True)
        return rows

    def reembed(self, media: dict) -> int:
        """Re-embed one file's stored keyframe JPEGs with the active models (faces are detected
        again on the keyframes); the video is not decoded again. Returns its shot count."""
        media_id = media["media_id"]
        keyframes = self.store.rows("keyframes", f"media_id = {quote(media_id)}")
        images = [cv2.imread(str(self.media_cache / k["image_path"])) for k in keyframes]
        missing = [k["image_path"] for k, image in zip(keyframes, images) if image is None]
        if missing:
            raise InvalidInput(f"{media['path']}: keyframe images missing from the data dir "
                               f"({len(missing)} of {len(keyframes)}); re-ingest it with --force")
        vectors = self.embedder.embed_images(images) if images else np.zeros((0, 0), np.float32)
        new_keyframes = [dict(k, model_id=self.embedder.model_id, vector=v.astype(np.float32).tolist())
                         for k, v in zip(keyframes, vectors)]
        faces: list[dict] = []
        if self.face_model is not None:
            for k, image in zip(keyframes, images):
                sample = FrameSample(shot_index=-1, frame=k["frame"], time_s=k["time_s"], image=image,
                                     sharpness=k["sharpness"], is_keyframe=True)
                faces.extend(self._face_rows(sample, k["shot_id"], media_id))
        shots = self.store.rows("shots", f"media_id = {quote(media_id)}")
        row = dict(media, scene_model_id=self.embedder.model_id,
                   face_model_id=self.face_model.model_id if self.face_model else "")
        self.store.delete_media(media_id)
        self.store.commit_media(row, {"shots": shots, "keyframes": new_keyframes, "faces": faces})
        return len(shots)

    def _keyframe_row(self, sample: FrameSample, shot_id: str, media_id: str, folder: Path) -> dict:
        keyframe_id = f"{shot_id}-k{sample.frame}"
        image_path = folder / f"{keyframe_id}.jpg"
        thumb_path = folder / f"{keyframe_id}.thumb.jpg"
        _write_jpeg(image_path, sample.image, 90)
        h, w = sample.image.shape[:2]
        scale = THUMB_LONG_SIDE / max(h, w)
        thumb = cv2.resize(sample.image, (max(1, round(w * scale)), max(1, round(h * scale))),
                           interpolation=cv2.INTER_AREA) if scale < 1 else sample.image
        _write_jpeg(thumb_path, thumb, 80)
        return {
            "keyframe_id": keyframe_id, "shot_id": shot_id, "media_id": media_id, "frame": sample.frame,
            "time_s": sample.time_s, "sharpness": float(sample.sharpness),
            "image_path": str(image_path.relative_to(self.media_cache)),
            "thumb_path": str(thumb_path.relative_to(self.media_cache)),
            "model_id": self.embedder.model_id, "vector": [],
        }

    def _shot_face_rows(self, samples: list[FrameSample], shot_id: str, media_id: str) -> list[dict]:
        """Face rows of one shot's samples, analysed as one shot (dlib scans it coarse to fine
        within its per-shot budget)."""
        assert self.face_model is not None
        ordered = sorted(samples, key=lambda s: s.frame)
        found = self.face_model.analyze_shot([s.image for s in ordered])
        return [row for sample, faces in zip(ordered, found)
                for row in self._rows_of(faces, sample, shot_id, media_id)]

    def _face_rows(self, sample: FrameSample, shot_id: str, media_id: str) -> list[dict]:
        assert self.face_model is not None
        return self._rows_of(self.face_model.analyze(sample.image), sample, shot_id, media_id)

    def _rows_of(self, faces: list, sample: FrameSample, shot_id: str, media_id: str) -> list[dict]:
        assert self.face_model is not None
        rows = []
        for n, face in enumerate(faces):
            rows.append({
                "face_id": f"{shot_id}-f{sample.frame}-{n}", "shot_id": shot_id, "media_id": media_id,
                "frame": sample.frame, "time_s": sample.time_s, "box": [float(v) for v in face.box],
                "landmarks": np.asarray(face.landmarks, np.float32).reshape(-1).tolist(),
                "det_score": float(face.det_score), "sharpness": float(face.sharpness),
                "size_px": face.size_px, "model_id": self.face_model.model_id,
                "vector": np.asarray(face.vector, np.float32).tolist(),
            })
        return rows


def _write_jpeg(path: Path, image: np.ndarray, quality: int) -> None:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError(f"could not encode keyframe {path.name}")
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data.tobytes())
    os.replace(tmp, path)


def _media_row(info: MediaInfo, media_id: str, digest: str, path: Path, warnings: list[str], truncated: bool,
               scene_model_id: str, face_model_id: str, shot_count: int) -> dict:
    return {
        "media_id": media_id, "path": str(path), "content_hash": digest, "size_bytes": path.stat().st_size,
        "container": info.container, "codec": info.codec, "width": info.width, "height": info.height,
        "rotation": info.rotation, "pixel_aspect": str(info.pixel_aspect), "frame_rate": str(info.frame_rate),
        "frame_count": info.frame_count, "duration_s": info.duration_s, "first_pts_s": info.first_pts_s,
        "start_timecode": info.start_timecode or "", "drop_frame": info.drop_frame, "reel": info.reel or "",
        "creation_time": info.creation_time or "", "has_audio": info.has_audio,
        "audio_channels": info.audio_channels, "audio_sample_rate": info.audio_sample_rate,
        "bit_depth": info.bit_depth, "pix_fmt": info.pix_fmt, "interlaced": info.interlaced,
        "variable_frame_rate": info.variable_frame_rate, "truncated": truncated, "warnings": warnings,
        "scene_model_id": scene_model_id, "face_model_id": face_model_id, "ingested_at": utcnow(),
        "shot_count": shot_count,
    }
