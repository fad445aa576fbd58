"""The page's changes: each one is the feedback service's correction (who and when, logged with
its undo and training rows, exactly as over gRPC), plus ingest and job cancel.

A drop of a multi-selection is one correction per shot, in order; the answer lists every
correction's id, so the page's Ctrl+Z undoes the whole drop. Undo and redo take those ids (an
empty list: the editor's latest correction, as ``binsight undo`` does).

Every answer is JSON: ``message`` (a sentence for the editor), ``feedback_ids``, and the two
index ``versions`` after the change, so the page can tell its own change from someone else's
when the live stream reports one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ..app.feedback import FeedbackResult
from ..errors import InvalidInput
from ..validate import check_id, check_ids, check_paths, shown
from .context import NOISE_BIN_ID, WebContext, core_bin

MAX_BODY = 1_000_000


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise InvalidInput(f"a request to the page can hold at most {MAX_BODY} bytes, not {len(raw)}")
    try:
        body = json.loads(raw or b"{}")
    except ValueError as exc:
        raise InvalidInput(f"the request is not JSON ({exc})") from None
    if not isinstance(body, dict):
        raise InvalidInput("the request must be a JSON object")
    return body


def _text(body: dict[str, Any], key: str, what: str, required: bool = True) -> str:
    value = body.get(key, "")
    if not isinstance(value, str):
        raise InvalidInput(f"{what} must be text, not {shown(str(value))}")
    return check_id(value, what) if required else value


def _list(body: dict[str, Any], key: str, what: str) -> list[str]:
    values = body.get(key, [])
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise InvalidInput(f"{what} must be a list of ids")
    return check_ids(values, what)


class Actions:
    def __init__(self, ctx: WebContext) -> None:
        self.ctx = ctx
        self.project = ctx.project
        self.feedback = ctx.project.feedback

    def routes(self) -> list[Route]:
        post = ["POST"]
        return [Route(f"/api/{name}", getattr(self, name.replace("-", "_")), methods=post) for name in (
            "move", "merge", "split", "create-bin", "rename", "lock", "reject", "assign-face", "reject-face", "merge-people",
            "rename-person", "undo", "redo", "ingest", "cancel-job")]

    async def _run(self, request: Request, work: Callable[[dict[str, Any], str], tuple[list[FeedbackResult], str]]
                   ) -> JSONResponse:
        body = await _body(request)
        actor = self.ctx.actor(request)
        results, message = await run_in_threadpool(work, body, actor)
        return JSONResponse({"message": message, "feedback_ids": [r.event.feedback_id for r in results],
                             "affected": sorted({c for r in results for c in r.affected_cluster_ids}),
                             "versions": self.ctx.versions()})

    def _name(self, bin_id: str | None) -> str:
        if bin_id is None:
            return "Noise"
        index = self.project.index
        return index.snapshot().clusters[index.resolve(bin_id)].display_name

    # -- scene bins -------------------------------------------------------------------------------
    async def move(self, request: Request) -> JSONResponse:
        def work(body: dict[str, Any], actor: str) -> tuple[list[FeedbackResult], str]:
            shots = _list(body, "shot_ids", "shot ids")
            to = core_bin(_text(body, "to", "the bin to move to"))
            target = self.project.index.resolve(to) if to is not None else None
            if not shots:
                raise InvalidInput("select the shots to move")
            placed = self.project.index.snapshot().assignments
            results = [self.feedback.move_shot(s, target, actor) for s in shots
                       if s not in placed or placed[s].cluster_id != target]
            moved = len(results)
            stayed = f" ({len(shots) - moved} already there)" if moved < len(shots) else ""
            return results, f"Moved {moved} shot{'s' * (moved != 1)} to {self._name(target)}{stayed}"
        return await self._run(request, work)

    async def merge(self, request: Request) -> JSONResponse:
        def work(body: dict[str, Any], actor: str) -> tuple[list[FeedbackResult], str]:
            ids = _list(body, "cluster_ids", "bin ids")
            names = [self._name(c) for c in ids]
            result = self.feedback.merge_clusters(ids, actor)
            return [result], f"Merged {', '.join(names[1:])} into {names[0]}"
        return await self._run(request, work)

    async def split(self, request: Request) -> JSONResponse:
        def work(body: dict[str, Any], actor: str) -> tuple[list[FeedbackResult], str]:
            cluster_id = _text(body, "cluster_id", "the bin to split")
            name = _text(body, "name", "the new bin's name", required=False)
            result = self.feedback.split_cluster(cluster_id, _list(body, "shot_ids", "shot ids"), name, actor)
            count = len(json.loads(result.event.detail_json).get("shots", []))
            return [result], f"Split {count} shot{'s' * (count != 1)} into a new bin {self._name(result.event.to_id)}"
        return await self._run(request, work)

    async def create_bin(self, request: Request) -> JSONResponse:
        """A new bin of any shots (the search's hits), from wherever they are."""
        def work(body: dict[str, Any], actor: str) -> tuple[list[FeedbackResult], str]:
            shots = _list(body, "shot_ids", "shot ids")
            result = self.feedback.create_bin(shots, _text(body, "name", "the new bin's name", required=False), actor)
            return [result], f"Made a bin {self._name(result.event.to_id)} of {len(shots)} shot{'s' * (len(shots) != 1)}"
        return await self._run(request, work)

    async def rename(self, request: Request) -> JSONResponse:
        def work(body: dict[str, Any], actor: str) -> tuple[list[FeedbackResult], str]:
            cluster_id = _text(body, "cluster_id", "the bin to rename")
            result = self.feedback.rename_cluster(cluster_id, _text(body, "name", "the name", required=False), actor)
            return [result], f"Renamed the bin to {self._name(result.event.subject_id)}"
        return await self._run(request, work)

    async def lock(self, request: Request) -> JSONResponse:
        def work(body: dict[str, Any], actor: str) -> tuple[list[FeedbackResult], str]:
            cluster_id = _text(body, "cluster_id", "the bin to lock")
            locked = body.get("locked", True)
            if not isinstance(locked, bool):
                raise InvalidInput("locked must be true or false")
            result = self.feedback.lock_cluster(cluster_id, locked, actor)
            return [result], f"{'Locked' if locked else 'Unlocked'} {self._name(result.event.subject_id)}"
        return await self._run(request, work)

    async def reject(self, request: Request) -> JSONResponse:
        def work(body: dict[str, Any], actor: str) -> tuple[list[FeedbackResult], str]:
            shots = _list(body, "shot_ids", "shot ids")
            cluster_id = _text(body, "cluster_id", "the bin the shots are not")
            if cluster_id == NOISE_BIN_ID:
                raise InvalidInput("a noise shot is not in a bin: say which suggestion it is not")
            if not shots:
                raise InvalidInput("select the shots that do not belong")
            results = [self.feedback.reject_shot(s, cluster_id, actor) for s in shots]
            n = len(results)
            return results, f"{n} shot{'s' * (n != 1)} marked “not {self._name(cluster_id)}”"
        return await self._run(request, work)

    # -- people -----------------------------------------------------------------------------------
    async def assign_face(self, request: Request) -> JSONResponse:
        def work(body: dict[str, Any], actor: str) -> tuple[list[FeedbackResult], str]:
            faces = _list(body, "face_ids", "face ids")
            person = _text(body, "character_id", "the person", required=False) or None
            if not faces:
                raise InvalidInput("select the faces to assign")
            results = []
            for face in faces:  # a new person (None) is made once, then the rest join them
                results.append(self.feedback.assign_face(face, person, actor))
                person = results[-1].event.to_id
            name = self.project.characters.snapshot().name(person)
            return results, f"{len(results)} face{'s' * (len(results) != 1)} assigned to {name}"
        return await self._run(request, work)

    async def reject_face(self, request: Request) -> JSONResponse:
        def work(body: dict[str, Any], actor: str) -> tuple[list[FeedbackResult], str]:
            person = _text(body, "character_id", "the person the face is not")
            results = [self.feedback.reject_face(f, person, actor) for f in _list(body, "face_ids", "face ids")]
            name = self.project.characters.snapshot().name(person)
            return results, f"{len(results)} face{'s' * (len(results) != 1)} marked “not {name}”"
        return await self._run(request, work)

    async def merge_people(self, request: Request) -> JSONResponse:
        def work(body: dict[str, Any], actor: str) -> tuple[list[FeedbackResult], str]:
            ids = _list(body, "character_ids", "person ids")
            names = [self.project.characters.snapshot().name(c) for c in ids]
            return [self.feedback.merge_characters(ids, actor)], f"Merged {', '.join(names[1:])} into {names[0]}"
        return await self._run(request, work)

    async def rename_person(self, request: Request) -> JSONResponse:
        def work(body: dict[str, Any], actor: str) -> tuple[list[FeedbackResult], str]:
            person = _text(body, "character_id", "the person to rename")
            result = self.feedback.rename_character(person, _text(body, "name", "the name", required=False), actor)
            return [result], f"Renamed the person to {self.project.characters.snapshot().name(person)}"
        return await self._run(request, work)

    # -- undo and redo ----------------------------------------------------------------------------
    async def undo(self, request: Request) -> JSONResponse:
        def work(body: dict[str, Any], actor: str) -> tuple[list[FeedbackResult], str]:
            ids = _list(body, "feedback_ids", "correction ids")
            results = [self.feedback.undo(actor, f) for f in reversed(ids)] or [self.feedback.undo(actor)]
            return results, f"Undid {_summary(results)}"
        return await self._run(request, work)

    async def redo(self, request: Request) -> JSONResponse:
        def work(body: dict[str, Any], actor: str) -> tuple[list[FeedbackResult], str]:
            ids = _list(body, "feedback_ids", "correction ids")
            results = [self.feedback.redo(actor, f) for f in ids] or [self.feedback.redo(actor)]
            return results, f"Redid {_summary(results)}"
        return await self._run(request, work)

    # -- ingest -----------------------------------------------------------------------------------
    async def ingest(self, request: Request) -> JSONResponse:
        body = await _body(request)
        path = body.get("path", "")
        if not isinstance(path, str):
            raise InvalidInput("the path must be text")
        recursive = body.get("recursive", True)
        paths = check_paths([path.strip()])
        if not Path(paths[0]).expanduser().is_absolute():
            raise InvalidInput(f"give the full path of the folder or file on the server (like /footage/day1), "
                               f"not {shown(paths[0])}")
        job = await run_in_threadpool(self.project.ingest.start_ingest, paths, bool(recursive))
        n = job.files_total
        return JSONResponse({"job_id": job.job_id, "files": n,
                             "message": f"Ingesting {n} file{'s' * (n != 1)} from {paths[0]}"})

    async def cancel_job(self, request: Request) -> JSONResponse:
        body = await _body(request)
        job = await run_in_threadpool(self.project.ingest.cancel_job, _text(body, "job_id", "the job id"))
        return JSONResponse({"job_id": job.job_id, "state": str(job.state), "message": f"Job {job.job_id}: {job.state}"
                             if job.state.terminal else f"Cancelling job {job.job_id}"})


def _summary(results: list[FeedbackResult]) -> str:
    actions = [r.event.action.replace("_", " ") for r in results]
    first = actions[0]
    return first if len(actions) == 1 else f"{len(actions)} corrections ({first}…)"
