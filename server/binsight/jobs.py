"""Jobs: long work (ingest, re-embed) runs on one worker thread, one job at a time — the machine
decodes video on every core it has already — while any number of clients watch its events.

Events are kept in a bounded log with sequence numbers, so a watcher that connects late first
gets the job's current state and then every later event it has not seen.
"""

from __future__ import annotations

import collections
import contextvars
import itertools
import logging
import queue
import threading
import uuid
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Callable, Iterator

from .clock import utcnow
from .errors import Cancelled, NotFound

log = logging.getLogger(__name__)


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)


class FileStatus(StrEnum):
    PENDING = "pending"
    INGESTED = "ingested"
    UNCHANGED = "unchanged"
    REPLACED = "replaced"
    FAILED = "failed"


@dataclass
class FileOutcome:
    path: str
    media_id: str = ""
    status: FileStatus = FileStatus.PENDING
    message: str = ""
    shots: int = 0
    faces: int = 0
    warnings: list[str] = field(default_factory=list)
    stage_seconds: dict[str, float] = field(default_factory=dict)  # probe, detect, keyframes, embed, faces, store


@dataclass(frozen=True)
class Event:
    job_id: str
    state: JobState
    file: str = ""
    stage: str = ""
    frames_done: int = 0
    frames_total: int = 0
    shots_found: int = 0
    files_done: int = 0
    files_total: int = 0
    message: str = ""


@dataclass
class Job:
    job_id: str
    kind: str
    paths: list[str]
    files: list[FileOutcome]
    state: JobState = JobState.QUEUED
    created_at: str = field(default_factory=utcnow)
    finished_at: str = ""
    shots_found: int = 0
    error: str = ""
    scene_model_id: str = ""
    face_model_id: str = ""

    @property
    def files_total(self) -> int:
        return len(self.files)

    @property
    def files_done(self) -> int:
        return sum(1 for f in self.files if f.status is not FileStatus.PENDING)


class JobContext:
    """What a running job's work function uses to report progress and notice cancellation."""

    def __init__(self, manager: "JobManager", job: Job) -> None:
        self._manager = manager
        self.job = job
        self.cancel_requested = threading.Event()

    def emit(self, file: str = "", stage: str = "", frames_done: int = 0, frames_total: int = 0,
             message: str = "") -> None:
        self._manager._publish(self.job, file=file, stage=stage, frames_done=frames_done,
                               frames_total=frames_total, message=message)

    def check_cancelled(self) -> None:
        if self.cancel_requested.is_set():
            raise Cancelled(f"job {self.job.job_id} was cancelled")

    def add_file(self, path: str) -> int:
        """A file the job found (walking a folder) to its list; returns its index."""
        with self._manager._lock:
            self.job.files.append(FileOutcome(path=path))
            return len(self.job.files) - 1


Work = Callable[[JobContext], None]


class JobManager:
    _HISTORY = 2000

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._contexts: dict[str, JobContext] = {}
        self._events: dict[str, collections.deque[tuple[int, Event]]] = {}
        self._seq = itertools.count(1)
        self._lock = threading.RLock()
        self._listeners: dict[str, list[Callable[[], None]]] = {}
        self._queue: queue.Queue[tuple[Job, Work] | None] = queue.Queue()
        self._worker = threading.Thread(target=self._run, name="binsight-jobs", daemon=True)
        self._worker.start()

    # -- public ------------------------------------------------------------------------------------
    def submit(self, kind: str, paths: list[str], files: list[str], work: Work, **info: str) -> Job:
        job = Job(job_id=uuid.uuid4().hex[:12], kind=kind, paths=list(paths),
                  files=[FileOutcome(path=f) for f in files], **info)
        with self._lock:
            self._jobs[job.job_id] = job
            self._events[job.job_id] = collections.deque(maxlen=self._HISTORY)
            self._contexts[job.job_id] = JobContext(self, job)
        self._publish(job, message="queued")
        # the job runs in its caller's context: its log lines carry the request id that started it
        self._queue.put((job, work, contextvars.copy_context()))
        log.info("job queued", extra={"job_id": job.job_id, "kind": kind, "files": len(files)})
        return self.get(job.job_id)

    def get(self, job_id: str) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                raise NotFound(f"no job with id {job_id!r}")
            return replace(job, files=[replace(f, warnings=list(f.warnings)) for f in job.files])

    def list(self) -> list[Job]:
        with self._lock:
            ids = list(self._jobs)
        return [self.get(i) for i in ids]

    def cancel(self, job_id: str) -> Job:
        with self._lock:
            if job_id not in self._jobs:
                raise NotFound(f"no job with id {job_id!r}")
            job = self._jobs[job_id]
            if not job.state.terminal:
                self._contexts[job_id].cancel_requested.set()
                if job.state is JobState.QUEUED:
                    self._finish(job, JobState.CANCELLED, "cancelled before it started")
        return self.get(job_id)

    def since(self, job_id: str, after: int) -> tuple[list[tuple[int, Event]], JobState]:
        """Events after sequence number ``after`` (0: the job's latest event first, as its current
        state) and the job's state, without waiting. A job's last event is published together
        with its terminal state, so a reader that sees the state has the event too."""
        with self._lock:
            if job_id not in self._jobs:
                raise NotFound(f"no job with id {job_id!r}")
            job_log = self._events[job_id]
            state = self._jobs[job_id].state
            if after == 0 and job_log:
                seq, latest = job_log[-1]
                return [(seq, replace(latest, state=state))], state
            return [(s, e) for s, e in job_log if s > after], state

    def subscribe(self, job_id: str, notify: Callable[[], None]) -> Callable[[], None]:
        """Call ``notify`` (from the publishing thread: keep it short) whenever the job has news;
        returns the function that unsubscribes. Streams wait on this instead of a thread each."""
        with self._lock:
            self._listeners.setdefault(job_id, []).append(notify)

        def unsubscribe() -> None:
            with self._lock:
                listeners = self._listeners.get(job_id, [])
                if notify in listeners:
                    listeners.remove(notify)
        return unsubscribe

    def watch(self, job_id: str, alive: Callable[[], bool] = lambda: True) -> Iterator[Event]:
        """Yield the job's current state, then its events until it ends (or ``alive`` turns
        false). Blocks a thread: for in-process readers; the gRPC stream uses ``subscribe``."""
        news = threading.Event()
        unsubscribe = self.subscribe(job_id, news.set)
        try:
            last = 0
            while True:
                events, state = self.since(job_id, last)
                for seq, event in events:
                    last = seq
                    yield event
                if state.terminal or not alive():
                    return
                news.wait(0.5)
                news.clear()
        finally:
            unsubscribe()

    def shutdown(self, timeout: float = 30.0) -> None:
        """Cancel what is running, drop what is queued and wait for the worker to stop. A file
        being ingested is abandoned before its commit, so the store keeps only whole files."""
        with self._lock:
            for job_id, job in self._jobs.items():
                if not job.state.terminal:
                    self._contexts[job_id].cancel_requested.set()
        self._queue.put(None)
        self._worker.join(timeout)

    # -- internals ---------------------------------------------------------------------------------
    def _publish(self, job: Job, **fields: object) -> None:
        with self._lock:
            event = Event(job_id=job.job_id, state=job.state, shots_found=job.shots_found,
                          files_done=job.files_done, files_total=len(job.files), **fields)  # type: ignore[arg-type]
            self._events[job.job_id].append((next(self._seq), event))
            for notify in self._listeners.get(job.job_id, ()):
                notify()

    def _finish(self, job: Job, state: JobState, message: str = "") -> None:
        with self._lock:  # state and last event together: a watcher that sees one sees both
            job.state = state
            job.finished_at = utcnow()
            if state is JobState.FAILED:
                job.error = message
            self._publish(job, stage="done", message=message or state)
        log.info("job finished", extra={"job_id": job.job_id, "state": state, "shots": job.shots_found,
                                        "detail": message})

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            job, work, caller = item
            caller.run(self._run_one, job, work)

    def _run_one(self, job: Job, work: Work) -> None:
        """One job, start to finish (in the context of the request that submitted it)."""
        context = self._contexts[job.job_id]
        with self._lock:
            if job.state is not JobState.QUEUED:
                return
            job.state = JobState.RUNNING
        self._publish(job, message="started")
        try:
            work(context)
        except Cancelled as exc:
            self._finish(job, JobState.CANCELLED, str(exc))
        except Exception as exc:  # a job failure must never kill the worker
            log.exception("job failed", extra={"job_id": job.job_id})
            self._finish(job, JobState.FAILED, f"{type(exc).__name__}: {exc}")
        else:
            failed = [f for f in job.files if f.status is FileStatus.FAILED]
            if failed and len(failed) == len(job.files):
                self._finish(job, JobState.FAILED, "; ".join(f"{f.path}: {f.message}" for f in failed))
            else:
                self._finish(job, JobState.CANCELLED if context.cancel_requested.is_set() else JobState.SUCCEEDED)
