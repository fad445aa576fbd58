"""Where files are analysed during an ingest job: on the server itself (``local``, the default:
``parallel_files`` at once, on threads), or by long-lived ``IngestWorker`` actors on a Ray
cluster (``ray``).

Either way the server stays the only LanceDB writer. A worker takes a file up to its rows
(probe, shots, keyframes, vectors, faces; ``Ingestor.analyse``), writes its keyframe images to
the library's image store and streams progress back; the server commits the rows exactly as a
local ingest does (media row last) and places the shots, in the job's file order, so a Ray
ingest builds the same library as a local one. Workers run ahead of the commit, one file each:
while the server commits file n, files n+1 .. n+workers are being analysed.

A long file (twice ``ray_chunk_seconds``) is shared by every worker: its chunks, cut at key
frames, are analysed for shot detection at once and stitched into what one pass gives
(``media.chunks``), then its shots are shared out for their pixel work and the rows put back in
shot order. Files after it wait for it; a file whose chunks do not stitch is analysed whole by
one worker.

Ids come from the file (path and content), so a file analysed again, after a worker died or a
job was re-run, writes the same ids and commits once. A cancelled job clears its queue (files
not yet handed out are never sent) and cancels the files in flight, whose images are removed and
whose rows never reach the store.

Why actors and not tasks: a worker loads the models once (seconds for CLIP and the face model)
and keeps them for every file it is given. Ray is imported only when asked for (the
``distributed`` extra).
"""

from __future__ import annotations

import contextvars
import dataclasses
import logging
import os
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from .config import Config
from .errors import BinsightError, Cancelled, InvalidInput, Unavailable
from .ingestor import Analysed, FileRows, IngestSettings, Ingestor, Progress, ShotRows, Stage, media_id_for
from .media import chunks
from .media.probe import probe
from .media.types import Detection, MediaInfo
from .storage import resolved

log = logging.getLogger(__name__)

WORKER_RETRIES = 2
"""Times a file is handed out again when its worker died and Ray's own retry on the restarted
actor failed too, before the file is reported failed."""


class Plan(Protocol):
    """One job's analyses: ``analyse`` is called in file order, for the files that need it."""

    def analyse(self, path: Path, digest: str, progress: Progress, cancelled: Callable[[], bool]) -> Analysed: ...

    def close(self) -> None:
        """End the job: cancel whatever is still queued or running."""


class Executor(Protocol):
    def plan(self, paths: Sequence[Path], wanted: Callable[[Path], str | None]) -> Plan:
        """A plan over the job's files; ``wanted(path)`` is the file's content digest when it
        must be analysed, None when it is unchanged (so a re-run sends no work out)."""

    def close(self) -> None: ...


class LocalExecutor:
    """Files analysed on the server itself, ``files`` at once: while the job commits file n,
    files n+1 .. n+files-1 are analysed on threads. One file cannot keep two cores busy (its
    decode and pixel work leave gaps, and the commit and placement between files leave the
    analysis idle), two can."""

    def __init__(self, ingestor: Ingestor, files: int = 2) -> None:
        if files < 1:
            raise InvalidInput(f"parallel_files must be at least 1, not {files}")
        self.ingestor = ingestor
        self.files = files

    def plan(self, paths: Sequence[Path], wanted: Callable[[Path], str | None]) -> Plan:
        return _LocalPlan(self.ingestor, list(paths), wanted, self.files)

    def close(self) -> None:
        pass


class _FilePlan:
    """A job's files handed out in file order, ahead of their turn while a slot (a thread, a
    worker) is free; ``_running`` holds what each file in flight needs for its turn."""

    def __init__(self, paths: list[Path], wanted: Callable[[Path], str | None]) -> None:
        self._queue = deque(paths)
        self._wanted = wanted
        self._running: dict[Path, Any] = {}

    def _free(self) -> bool:
        raise NotImplementedError

    def _submit(self, path: Path, digest: str) -> None:
        raise NotImplementedError

    def _fill(self) -> None:
        while self._free() and self._queue:
            path = self._queue.popleft()
            digest = self._wanted(path)
            if digest is not None:
                self._submit(path, digest)

    def _claim(self, path: Path, digest: str) -> None:
        """The file's turn: in flight (submitted now if it was not), and the next ones after it."""
        if path in self._queue:  # its turn came before a slot was free for it
            self._queue.remove(path)
        if path not in self._running:
            self._submit(path, digest)
        self._fill()


class _LocalPlan(_FilePlan):
    """Up to ``files`` files in analysis at once, on a thread each. A file's progress is passed
    on from the job's thread when its turn comes (the events of a file analysed ahead are not
    shown before, so a watcher sees one file at a time, as ever)."""

    def __init__(self, ingestor: Ingestor, paths: list[Path], wanted: Callable[[Path], str | None],
                 files: int) -> None:
        super().__init__(paths, wanted)
        self._ingestor = ingestor
        self._files = files
        self._pool = ThreadPoolExecutor(files, thread_name_prefix="file", initializer=_behind_requests)
        self._closed = threading.Event()
        self._cancelled: Callable[[], bool] = lambda: False

    def _stop(self) -> bool:
        return self._closed.is_set() or self._cancelled()

    def _free(self) -> bool:
        return len(self._running) < self._files

    def _submit(self, path: Path, digest: str) -> None:
        relay = _Relay()
        # in the job's context: the analysis logs carry the job's request id
        self._running[path] = (self._pool.submit(contextvars.copy_context().run, self._ingestor.analyse, path, digest,
                                                 relay, self._stop), relay)

    def analyse(self, path: Path, digest: str, progress: Progress, cancelled: Callable[[], bool]) -> Analysed:
        self._cancelled = cancelled
        self._claim(path, digest)
        future, relay = self._running[path]
        future.add_done_callback(relay.finish)
        try:
            while True:
                events, finished = relay.take()
                for event in events:
                    progress(*event)
                if finished:
                    return future.result()
        finally:
            del self._running[path]
            self._fill()

    def close(self) -> None:
        """Clear the queue and stop the files analysed ahead: they are never committed, and
        the images of one that finished are removed."""
        self._queue.clear()
        self._closed.set()
        for future, _ in self._running.values():
            try:
                media_id = future.result().media.media_id
            except BaseException:  # noqa: BLE001 - a stopped analysis removes its own images
                continue
            self._ingestor.discard(media_id)
        self._running.clear()
        self._pool.shutdown(wait=True)


ANALYSIS_NICE = 10
"""CPU priority of the threads that analyse files (and of the decoder and pixel-work threads
they start, which inherit it): below the threads answering requests, so a panel or review page
stays quick while an ingest keeps both cores busy. Linux sets it per thread."""


def _behind_requests() -> None:
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), ANALYSIS_NICE)
    except (AttributeError, OSError):  # not Linux, or not allowed: the same priority as requests
        pass


class _Relay:
    """The progress of a file analysed on another thread (a ``Progress``), handed to the job's
    thread as it comes: every stage the file went through, each with its latest count (a file
    analysed ahead shows its stages when its turn comes)."""

    def __init__(self) -> None:
        self._ready = threading.Condition()
        self._events: list[tuple[Stage, int, int]] = []
        self._finished = False

    def __call__(self, stage: Stage, done: int, total: int) -> None:
        with self._ready:
            if self._events and self._events[-1][0] == stage:
                self._events[-1] = (stage, done, total)
            else:
                self._events.append((stage, done, total))
            self._ready.notify()

    def finish(self, _future: object = None) -> None:
        with self._ready:
            self._finished = True
            self._ready.notify()

    def take(self) -> tuple[list[tuple[Stage, int, int]], bool]:
        """Wait for news: the events since the last take, and whether the analysis ended."""
        with self._ready:
            self._ready.wait_for(lambda: self._events or self._finished)
            events, self._events = self._events, []
            return events, self._finished


@dataclass(frozen=True)
class ProgressEvent:
    """What a worker streams while it analyses a file."""

    stage: Stage
    done: int
    total: int


class IngestWorker:
    """A Ray actor's body: the project's models and image store, loaded once, analysing one
    file at a time (the default concurrency group) while ``cancel`` (its own group) can reach
    the file in flight."""

    def __init__(self, config: Config) -> None:
        from .models.manager import ModelManager
        from .models.select import ActiveModels

        self._cancelled = threading.Event()
        models = ActiveModels(ModelManager(config.models_path), config.scene_model,
                              config.faces if config.faces.enabled else None, config.faces.pack)
        models.preload()
        settings = IngestSettings(config.detector, config.keyframes, config.faces.extra_samples_per_shot)
        self._ingestor = Ingestor(None, config.location().blobs, models, settings)

    def pid(self) -> int:
        return os.getpid()

    def analyse(self, path: str, digest: str) -> Iterator[ProgressEvent | Analysed]:
        """Progress events as the file is analysed (at most one per stage every quarter second,
        and each stage's last count), then its rows: a generator, so Ray streams each item back as it is made."""
        self._cancelled.clear()
        events: queue.Queue[ProgressEvent | None] = queue.Queue()
        outcome: list[Analysed | BaseException] = []

        def run() -> None:
            try:
                outcome.append(self._ingestor.analyse(Path(path), digest,
                                                      lambda s, d, t: events.put(ProgressEvent(s, d, t)),
                                                      self._cancelled.is_set))
            except BaseException as exc:  # noqa: BLE001 - raised again on the actor's thread
                outcome.append(exc)
            finally:
                events.put(None)

        worker = threading.Thread(target=run, name="analyse")
        worker.start()
        last: tuple[Stage | None, float] = (None, 0.0)
        held: ProgressEvent | None = None  # a stage's newest count, not yet sent
        while (event := events.get()) is not None:
            now = time.monotonic()
            if event.stage != last[0] or now - last[1] >= 0.25:
                if held is not None and held.stage != event.stage:
                    yield held  # a stage's last count is always shown, however quick the stage
                held, last = None, (event.stage, now)
                yield event
            else:
                held = event
        if held is not None:
            yield held
        worker.join()
        if isinstance(outcome[0], BaseException):
            raise outcome[0]
        yield outcome[0]

    def chunk_stats(self, path: str, info: MediaInfo, chunk: chunks.Chunk) -> chunks.ChunkStats:
        """One chunk of a long file taken through shot detection's per-frame analysis."""
        self._cancelled.clear()
        return chunks.analyse(path, info, chunk, self._ingestor.settings.detector, self._cancelled.is_set)

    def analyse_shots(self, path: str, info: MediaInfo, media_id: str, detection: Detection,
                      indices: list[int]) -> ShotRows:
        """Some shots of a long file whose chunks were stitched, taken up to their rows."""
        self._cancelled.clear()
        return self._ingestor.analyse_shots(Path(path), info, media_id, detection, indices, self._cancelled.is_set)

    def cancel(self) -> None:
        self._cancelled.set()


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise Unavailable("executor = \"ray\" needs Ray: pip install 'binsight[distributed]'") from None
    return ray


class RayExecutor:
    """``ray_workers`` IngestWorker actors on the Ray cluster at ``ray_address`` ("": the cluster
    this process already joined, else a local one started here), created at the first job and
    kept. ``ingestor`` is the writer's: it removes the images of a file analysed but never
    committed, and puts a split file's parts together."""

    def __init__(self, config: Config, ingestor: Ingestor) -> None:
        if config.ray_workers < 1:
            raise InvalidInput(f"ray_workers must be at least 1, not {config.ray_workers}")
        if config.ray_chunk_seconds < 0:
            raise InvalidInput(f"ray_chunk_seconds must be 0 (never split) or more, not {config.ray_chunk_seconds}")
        self.config, self.address, self.workers = config, config.ray_address, config.ray_workers
        self.ingestor = ingestor
        self._actors: list[Any] = []
        self._started_ray = False
        self._lock = threading.Lock()

    def actors(self) -> list[Any]:
        with self._lock:
            if not self._actors:
                ray = _ray()
                if not ray.is_initialized():
                    ray.init(address=self.address or None, include_dashboard=False, log_to_driver=False)
                    self._started_ray = True
                # a dead worker is restarted (models loaded again) and Ray runs its file again there
                actor = _worker_class(ray).options(max_restarts=-1, max_task_retries=-1)
                # the driver's AWS_* environment travels with the settings: workers may run elsewhere
                config = dataclasses.replace(self.config, storage=resolved(self.config.storage))
                self._actors = [actor.remote(config) for _ in range(self.workers)]
            return list(self._actors)

    def plan(self, paths: Sequence[Path], wanted: Callable[[Path], str | None]) -> Plan:
        return _RayPlan(_ray(), self.actors(), list(paths), wanted, self.ingestor, self.config.ray_chunk_seconds)

    def close(self) -> None:
        with self._lock:
            if not self._actors:
                return
            ray = _ray()
            for actor in self._actors:
                ray.kill(actor)
            self._actors = []
            if self._started_ray:
                ray.shutdown()


_WORKER_CLASS: Any = None


def _worker_class(ray: Any) -> Any:
    """The IngestWorker actor class, made once per process (``cancel`` in its own concurrency
    group, so it runs while ``analyse`` does)."""
    global _WORKER_CLASS
    if _WORKER_CLASS is None:
        class _Actor(IngestWorker):
            @ray.method(concurrency_group="control")
            def cancel(self) -> None:
                IngestWorker.cancel(self)

            @ray.method(num_returns="streaming")
            def analyse(self, path: str, digest: str) -> Iterator[ProgressEvent | Analysed]:
                yield from IngestWorker.analyse(self, path, digest)

        _Actor.__name__ = _Actor.__qualname__ = "IngestWorker"
        _WORKER_CLASS = ray.remote(concurrency_groups={"control": 1})(_Actor)
    return _WORKER_CLASS


class _RayPlan(_FilePlan):
    """Hands the job's files to idle workers, a file ahead per worker; ``_running`` maps a
    path to (actor, stream, digest), or to None for a long file to be split when its turn comes
    (``_split`` holds its probe and chunks; no file after it is handed out before it is done)."""

    def __init__(self, ray: Any, actors: list[Any], paths: list[Path], wanted: Callable[[Path], str | None],
                 ingestor: Ingestor, chunk_seconds: float) -> None:
        super().__init__(paths, wanted)
        self._ray = ray
        self._ingestor = ingestor
        self._discard = ingestor.discard
        self._chunk_seconds = chunk_seconds if len(actors) > 1 else 0.0  # one worker gains nothing
        self._idle = deque(actors)
        self._split: dict[Path, tuple[MediaInfo, list[chunks.Chunk]]] = {}

    def _free(self) -> bool:
        return bool(self._idle) and not self._split

    def _submit(self, path: Path, digest: str) -> None:
        if self._chunk_seconds:
            try:
                info = probe(str(path))
            except BinsightError:  # not a video: its worker says so when its turn comes
                plan: list[chunks.Chunk] = []
            else:  # one chunk (the file whole) unless it is at least two chunks long
                plan = chunks.plan(str(path), info, self._chunk_seconds)
            if len(plan) > 1:
                self._split[path] = (info, plan)
                self._running[path] = None
                return
        self._send(path, digest)

    def _send(self, path: Path, digest: str) -> None:
        if not self._idle:
            raise RuntimeError("no idle ingest worker")  # every worker holds a file of this job
        actor = self._idle.popleft()
        self._running[path] = (actor, actor.analyse.remote(str(path), digest), digest)

    def analyse(self, path: Path, digest: str, progress: Progress, cancelled: Callable[[], bool]) -> Analysed:
        self._claim(path, digest)
        if path in self._split:
            info, plan = self._split.pop(path)
            del self._running[path]
            done = self._analyse_split(path, digest, info, plan, progress, cancelled)
            if done is not None:
                self._fill()
                return done
            self._send(path, digest)  # its chunks do not stitch: one pass on one worker
        for attempt in range(WORKER_RETRIES + 1):
            actor, stream, _ = self._running[path]
            try:
                result = self._follow(stream, progress, cancelled)
            except Cancelled:
                raise  # the file stays in flight: ``close`` cancels it on its worker and drains it
            except self._ray.exceptions.RayTaskError as exc:  # the worker's own error, e.g. not a video
                self._running.pop(path, None)
                self._idle.append(actor)
                raise _cause(exc) from None
            except self._ray.exceptions.RayActorError:
                if attempt == WORKER_RETRIES:
                    self._running.pop(path)
                    self._idle.append(actor)
                    raise _died(path, attempt) from None
                log.warning("ingest worker died; handing the file out again", extra={"path": str(path)})
                self._running[path] = (actor, actor.analyse.remote(str(path), digest), digest)
                continue
            except BaseException:
                self._running.pop(path, None)
                self._idle.append(actor)
                raise
            self._running.pop(path)
            self._idle.append(actor)
            self._fill()
            return result
        raise AssertionError("unreachable")

    def _analyse_split(self, path: Path, digest: str, info: MediaInfo, plan: list[chunks.Chunk],
                       progress: Progress, cancelled: Callable[[], bool]) -> Analysed | None:
        """A long file analysed by every worker: its chunks' per-frame scalars, stitched into
        the file's detection here, then its shots in groups (a group per chunk, by where each
        shot starts). None when the chunks do not stitch (nothing was written then)."""
        media_id = media_id_for(path, digest)
        frames = [0]
        progress(Stage.DETECT, 0, info.frame_count)

        def detected(_: int, part: chunks.ChunkStats) -> None:
            frames[0] += len(part.stats)
            progress(Stage.DETECT, frames[0], max(info.frame_count, frames[0]))

        parts = self._spread([("chunk_stats", (str(path), info, c)) for c in plan], detected, cancelled, path)
        try:
            detection = chunks.stitch(parts, info, self._ingestor.settings.detector)
        except chunks.NotStitched as exc:
            log.warning("long file not split: its chunks do not stitch", extra={"path": str(path), "why": str(exc)})
            return None
        log.info("long file split across the ingest workers",
                 extra={"path": str(path), "chunks": len(plan), "frames": detection.frames_decoded,
                        "shots": len(detection.shots)})
        starts = np.cumsum([0, *(len(p.stats) for p in parts)])
        groups = [[s.index for s in detection.shots if lo <= s.start_frame < hi]
                  for lo, hi in zip(starts[:-1], starts[1:])]
        groups = [g for g in groups if g]
        shots_done = [0]

        def finished(_: int, part: ShotRows) -> None:
            shots_done[0] += len(part.rows.shots)
            progress(Stage.EMBED, shots_done[0], len(detection.shots))

        try:
            shared = self._ray.put(detection)
            done = self._spread([("analyse_shots", (str(path), info, media_id, shared, g)) for g in groups],
                                finished, cancelled, path)
        except BaseException:
            self._discard(media_id)
            raise
        rows = FileRows()
        seconds: dict[str, float] = {}
        for part in done:
            rows.shots += part.rows.shots
            rows.keyframes += part.rows.keyframes
            rows.faces += part.rows.faces
            for stage, spent in part.stage_seconds.items():  # summed over the workers
                seconds[stage] = round(seconds.get(stage, 0.0) + spent, 4)
        return self._ingestor.analysed(path, digest, info, detection, rows, seconds)

    def _spread(self, calls: list[tuple[str, tuple[Any, ...]]], done: Callable[[int, Any], None],
                cancelled: Callable[[], bool], path: Path) -> list[Any]:
        """Run ``calls`` (worker method, arguments) on the idle workers, each as soon as one is
        free; their results in call order (``done`` told of each as it comes). A worker that dies
        is restarted by Ray and given its call again; any other failure, or a cancel, stops the
        calls still running before it is raised."""
        waiting = deque(enumerate(calls))
        running: dict[Any, tuple[int, Any, int]] = {}  # ref -> (call number, actor, attempt)
        results: dict[int, Any] = {}
        try:
            while waiting or running:
                while waiting and self._idle:
                    number, (method, args) = waiting.popleft()
                    actor = self._idle.popleft()
                    running[getattr(actor, method).remote(*args)] = (number, actor, 0)
                ready, _ = self._ray.wait(list(running), num_returns=1, timeout=0.25)
                if cancelled():
                    raise Cancelled("ingest cancelled")
                for ref in ready:
                    number, actor, attempt = running.pop(ref)
                    try:
                        results[number] = self._ray.get(ref)
                    except self._ray.exceptions.RayActorError:
                        if attempt == WORKER_RETRIES:
                            self._idle.append(actor)
                            raise _died(path, attempt) from None
                        log.warning("ingest worker died; handing its part of the file out again",
                                    extra={"path": str(path)})
                        method, args = calls[number]
                        running[getattr(actor, method).remote(*args)] = (number, actor, attempt + 1)
                        continue
                    except self._ray.exceptions.RayTaskError as exc:
                        self._idle.append(actor)
                        raise _cause(exc) from None
                    self._idle.append(actor)
                    done(number, results[number])
        finally:
            for _, actor, _ in running.values():
                actor.cancel.remote()
            for ref, (_, actor, _) in running.items():
                try:
                    self._ray.get(ref)
                except Exception:  # noqa: BLE001 - a cancelled or dead worker's call ends in an error
                    pass
                self._idle.append(actor)
        return [results[n] for n in range(len(calls))]

    def _follow(self, stream: Any, progress: Progress, cancelled: Callable[[], bool]) -> Analysed:
        for ref in stream:
            if cancelled():
                raise Cancelled("ingest cancelled")
            item = self._ray.get(ref)
            if isinstance(item, ProgressEvent):
                progress(item.stage, item.done, item.total)
            else:
                return item
        raise RuntimeError("an ingest worker ended without a result")

    def close(self) -> None:
        """Clear the queue and cancel the files in flight: their rows are never committed, and
        the images of one that finished before the cancel reached it are removed."""
        self._queue.clear()
        self._split.clear()
        for entry in self._running.values():
            if entry is None:
                continue
            actor, stream, _ = entry
            actor.cancel.remote()
            try:
                for ref in stream:  # drain: the worker stops at its next cancellation check
                    item = self._ray.get(ref)
                    if isinstance(item, Analysed):
                        self._discard(item.media.media_id)
            except Exception:  # noqa: BLE001 - a cancelled or dead worker's stream ends in an error
                pass
            self._idle.append(actor)
        self._running.clear()


def _cause(exc: Exception) -> BaseException:
    """A worker's own error as it was raised there (an input problem keeps its status)."""
    cause = getattr(exc, "cause", None)
    return cause if isinstance(cause, BinsightError) else exc


def _died(path: Path, attempt: int) -> InvalidInput:
    return InvalidInput(f"{path}: its ingest worker died {attempt + 1} times; not ingested")


def executor_for(config: Config, ingestor: Ingestor) -> Executor:
    if config.executor == "ray":
        return RayExecutor(config, ingestor)
    return LocalExecutor(ingestor, config.parallel_files)
