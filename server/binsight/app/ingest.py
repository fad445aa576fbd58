"""IngestService: ingest and re-embed jobs, and read access to what was ingested (media, shots,
keyframe images).

A job ingests its files one at a time through the ``Ingestor``; after each file's commit the
catalog shows it, the scene index places its shots and the character index regroups faces, in
that order, so a reader sees a file's shots only once they are placed.

Slates are read last, once every file of the job is placed (an editor can sort the bins while
OCR runs, about a second a clip): each new file's, and any committed file's never looked at.
Bins nobody named are then named after their scenes (``labels.relabel_from_slates``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from ..catalog import Catalog
from ..character_index import CharacterIndex
from ..access import Access
from ..discovery import looks_like_video, walk
from ..config import SlateSettings
from ..errors import InvalidInput, NotFound, PermissionDenied, Unavailable
from ..executors import Executor, Plan
from ..faults import fault_point
from ..ingestor import Committed, Ingestor, Stage
from ..jobs import Event, FileStatus, Job, JobContext, JobManager, JobState
from ..media.probe import probe
from ..models.select import ActiveModels
from ..records import MediaRecord
from ..scene_index import SceneIndex
from ..search_index import SearchIndex
from ..slate_index import SlateIndex
from ..storage import Blobs
from ..store import Store
from ..validate import check_paths, shown
from .labels import relabel_from_slates
from .library import SharedLibrary
from .slates import SceneView, SlateView, read_slate_of
from .views import ProjectView, ShotView

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImageView:
    data: bytes
    mime_type: str
    width: int
    height: int


@dataclass(frozen=True)
class SlatesView:
    slates: tuple[SlateView, ...]
    scenes: tuple[SceneView, ...]


class IngestService:
    def __init__(self, store: Store, blobs: Blobs, models: ActiveModels, ingestor: Ingestor, jobs: JobManager,
                 catalog: Catalog, index: SceneIndex, characters: CharacterIndex,
                 view: Callable[[], ProjectView], access: Access, slates: SlateIndex,
                 slate_settings: SlateSettings, search_index: SearchIndex, library: SharedLibrary,
                 executor: Executor) -> None:
        self.access = access
        self.search_index = search_index
        self.slates = slates
        self.slate_settings = slate_settings
        self.store = store
        self.blobs = blobs
        self.models = models
        self.ingestor = ingestor
        self.jobs = jobs
        self.catalog = catalog
        self.index = index
        self.characters = characters
        self.view = view
        self.library = library
        self.executor = executor

    # -- jobs -------------------------------------------------------------------------------------
    def start_ingest(self, paths: Sequence[str], recursive: bool = True, force: bool = False) -> Job:
        """An ingest job over files and folders under the media roots. Files named on their own
        are probed now (a file that is not a video is refused and nothing is stored); folders are
        walked by the job, which keeps the video files it finds there."""
        paths = check_paths(paths)
        targets = [self.access.readable(p) for p in paths]  # refused before anything reveals a file
        kinds = [_kind(raw, target) for raw, target in zip(paths, targets)]
        files = list(dict.fromkeys(t for t, is_dir in zip(targets, kinds) if not is_dir))
        for path in files:
            probe(str(path))
        folders = [t for t, is_dir in zip(targets, kinds) if is_dir]
        return self.jobs.submit("ingest", list(paths), [str(f) for f in files],
                                self._ingest_work(folders, recursive, force),
                                scene_model_id=self.models.scene_model_id,
                                face_model_id=self.models.face_model_id)

    def _ingest_work(self, folders: list[Path], recursive: bool, force: bool) -> Callable[[JobContext], None]:
        def work(ctx: JobContext) -> None:
            self.models.preload()
            self._walk(ctx, folders, recursive)
            log.info("ingest started", extra={"job_id": ctx.job.job_id, "files": len(ctx.job.files),
                                              "scene_model": self.models.scene_model_id,
                                              "face_model": self.models.face_model_id or None})
            plan = self.executor.plan([Path(f.path) for f in ctx.job.files], lambda p: self._wanted(p, force))
            try:
                self._ingest_files(ctx, force, plan)
            finally:
                plan.close()
            self._read_slates(ctx)
            self.store.optimize()
        return work

    def _wanted(self, path: Path, force: bool) -> str | None:
        """The file's digest when it must be analysed; None when it is unchanged or unreadable
        (its turn reports why)."""
        try:
            digest, unchanged = self.ingestor.current(path, force)
        except OSError:
            return None
        return None if unchanged is not None else digest

    def _ingest_files(self, ctx: JobContext, force: bool, plan: Plan) -> None:
        """Each file in order: analysed (here or by a worker, see ``executors``), committed,
        placed."""
        for n in range(len(ctx.job.files)):
            ctx.check_cancelled()
            path = Path(ctx.job.files[n].path)
            started = time.monotonic()

            def progress(stage: Stage, done: int, total: int, _file: str = str(path)) -> None:
                ctx.emit(file=_file, stage=stage, frames_done=done, frames_total=total)

            try:
                result, committed = self.ingestor.ingest(path, force, progress, ctx.cancel_requested.is_set,
                                                         plan.analyse)
            except InvalidInput as exc:
                ctx.job.files[n] = replace(ctx.job.files[n], status=FileStatus.FAILED, message=str(exc))
                ctx.emit(file=str(path), stage=Stage.DONE, message=f"failed: {exc}")
                continue
            ctx.job.files[n] = result
            if committed is not None:
                fault_point("after_commit")
                self._after_commit(committed)
                ctx.job.shots_found += result.shots
            ctx.emit(file=str(path), stage=Stage.DONE, message=result.message or result.status)
            log.info("file ingested", extra={"job_id": ctx.job.job_id, "path": str(path),
                                             "status": result.status, "shots": result.shots,
                                             "faces": result.faces, "stages": result.stage_seconds,
                                             "seconds": round(time.monotonic() - started, 2)})

    def _read_slates(self, ctx: JobContext) -> None:
        """The slates of the job's committed files that have none on record. An editor's entry
        for the file (an earlier version's included) is carried over instead of read: what an
        editor typed always wins over OCR."""
        if not self.slate_settings.enabled:
            return
        known = self.slates.snapshot()
        catalog = self.catalog.snapshot()
        todo = [f for f in ctx.job.files if f.media_id in catalog.entries and f.media_id not in known]
        for outcome in todo:
            ctx.check_cancelled()
            entry = catalog.entries[outcome.media_id]
            typed = self.slates.editor_entry(entry.media.path)
            if typed is not None:
                self.slates.put(entry.media.media_id, replace(typed, media_id=entry.media.media_id))
                continue
            ctx.emit(file=entry.media.path, stage=Stage.SLATE)
            started = time.monotonic()
            try:
                record = read_slate_of(entry.media, entry.shots, self.slate_settings)
            except (InvalidInput, Unavailable) as exc:  # an unreadable clip or no OCR engine: no slate named
                log.warning("slate not read", extra={"path": entry.media.path, "error": str(exc)})
                if isinstance(exc, Unavailable):
                    return
                continue
            self.slates.put(entry.media.media_id, record)
            log.info("slate read", extra={"path": entry.media.path, "label": record.label(), "found": record.found,
                                          "unsure": record.unsure, "seconds": round(time.monotonic() - started, 2)})
        if todo:
            relabel_from_slates(self.index, self.catalog.snapshot(), self.slates.snapshot())

    def _walk(self, ctx: JobContext, folders: list[Path], recursive: bool) -> None:
        """Add the video files of ``folders`` to the job (inside the media roots; judged by
        content, see ``discovery``)."""
        named = {f.path for f in ctx.job.files}
        for folder in folders:
            found = 0
            for path in walk(folder, recursive):
                ctx.check_cancelled()
                try:
                    resolved = self.access.readable(str(path))
                except PermissionDenied:
                    continue  # a link out of the media roots
                if str(resolved) not in named and looks_like_video(resolved):
                    named.add(str(resolved))
                    ctx.add_file(str(resolved))
                    found += 1
            ctx.emit(file=str(folder), stage=Stage.PROBE, message=f"{found} video file(s) found")
            if not found:
                log.warning("folder holds no video files", extra={"job_id": ctx.job.job_id, "folder": str(folder)})
        if not ctx.job.files:
            raise InvalidInput(f"no video files in {', '.join(str(f) for f in folders)}")

    def _after_commit(self, committed: Committed) -> None:
        """Show the committed file, place its shots, regroup faces, make it searchable (alone
        across the servers of a shared library, on its latest bins)."""
        with self.library.exclusive("index"):
            self._place(committed)

    def _place(self, committed: Committed) -> None:
        self.catalog.replace_media(committed.media_id, committed.retired_media)
        vectors = self.store.keyframes.vectors(self.index.model_id, committed.media_id)
        self.index.replace_media(vectors, committed.retired_shots, committed.same_frames)
        self.characters.refresh()
        self.search_index.replace_media(committed.media_id, committed.retired_media)

    def watch_job(self, job_id: str, alive: Callable[[], bool]) -> Iterator[Event]:
        return self.jobs.watch(job_id, alive)

    def job_events(self, job_id: str, after: int) -> tuple[list[tuple[int, Event]], JobState]:
        return self.jobs.since(job_id, after)

    def subscribe_job(self, job_id: str, notify: Callable[[], None]) -> Callable[[], None]:
        self.jobs.get(job_id)  # NotFound for an unknown job, before a stream opens
        return self.jobs.subscribe(job_id, notify)

    def get_job(self, job_id: str) -> Job:
        return self.jobs.get(job_id)

    def list_jobs(self) -> list[Job]:
        return self.jobs.list()

    def cancel_job(self, job_id: str) -> Job:
        return self.jobs.cancel(job_id)

    def start_reembed(self) -> Job:
        """Re-embed every keyframe (and re-detect faces on keyframes) with the active models,
        from the stored keyframe JPEGs, then recluster keeping ids stable."""
        scene_model, face_model = self.models.scene_model_id, self.models.face_model_id
        stale = [m for m in self.store.media.all()
                 if m.scene_model_id != scene_model or m.face_model_id != face_model]

        def work(ctx: JobContext) -> None:
            for n, media in enumerate(stale):
                ctx.check_cancelled()
                ctx.emit(file=media.path, stage=Stage.EMBED)
                shots = self.ingestor.reembed(media)
                ctx.job.files[n] = replace(ctx.job.files[n], media_id=media.media_id, shots=shots,
                                           status=FileStatus.REPLACED)
                ctx.job.shots_found += shots
            self.catalog.load()
            self.index.load()
            self.search_index.rebuild()
            if stale:
                self.index.recluster(use_adapter=True)
            self.characters.load()
            self.characters.refresh()

        return self.jobs.submit("reembed", [], [m.path for m in stale], work,
                                scene_model_id=scene_model, face_model_id=face_model)

    # -- what was ingested ------------------------------------------------------------------------
    def list_media(self) -> list[MediaRecord]:
        return sorted(self.catalog.snapshot().media.values(), key=lambda m: m.path)

    def get_media(self, media_id: str) -> MediaRecord:
        media = self.catalog.snapshot().media.get(media_id)
        if media is None:
            raise NotFound(f"no media with id {shown(media_id)}")
        return media

    def list_shots(self, media_id: str = "", cluster_id: str | None = "") -> list[ShotView]:
        """Shots, optionally of one file and/or one cluster (``None``: the noise bucket; ``""``:
        every cluster)."""
        view = self.view()
        ids: list[str] = list(view.index.assignments)
        if media_id:
            ids = [s for s in ids if s in view.catalog.shots and view.catalog.shots[s].media_id == media_id]
        if cluster_id != "":
            wanted = None if cluster_id is None else self.index.resolve(cluster_id)
            ids = [s for s in ids if view.index.cluster_of(s) == wanted]
        return view.shots(ids)

    def list_slates(self, unsure_only: bool = False) -> SlatesView:
        """The clips' slates (only the unsure ones, waiting for an editor, when asked) and the
        scene / setup / take tree of the sure ones."""
        view = self.view()
        return SlatesView(tuple(SlateView.of(s) for s in view.live_slates(unsure_only)), view.scene_tree())

    def keyframe_image(self, keyframe_id: str, thumbnail: bool) -> ImageView:
        keyframe = self.catalog.snapshot().keyframes.get(keyframe_id)
        if keyframe is None:
            raise NotFound(f"no keyframe with id {shown(keyframe_id)}")
        return self._jpeg(keyframe.thumb_path if thumbnail else keyframe.image_path, f"keyframe {keyframe_id}")

    def face_image(self, face_id: str) -> ImageView:
        face = self.catalog.snapshot().faces.get(face_id)
        if face is None:
            raise NotFound(f"no face with id {shown(face_id)}")
        if not face.crop_path:
            raise NotFound(f"face {face_id} was ingested before face crops were kept: re-ingest its file")
        return self._jpeg(face.crop_path, f"face {face_id}")

    def _jpeg(self, relative: str, what: str) -> ImageView:
        data = self.blobs.get(relative)
        if data is None:
            raise NotFound(f"the image of {what} is missing from the library (re-ingest its file)")
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
        return ImageView(data, "image/jpeg", image.shape[1], image.shape[0])


def _kind(raw: str, target: Path) -> bool:
    """Whether a path under the media roots is a folder (True) or a file (False); one that is
    neither, or that the system cannot look up (a name over 255 bytes, a loop), is refused."""
    try:
        if target.is_dir():
            return True
        if target.exists():
            return False
    except OSError as exc:
        raise InvalidInput(f"{shown(raw)}: cannot be looked up ({exc.strerror or exc})") from None
    raise InvalidInput(f"{shown(raw)}: no such file or folder")
