"""Live updates by Server-Sent Events.

* ``/events``: ``change`` whenever the scene or people index (anyone's correction, a recluster, a
  file committed by an ingest) or the list of jobs changes. The versions are read from the
  indexes' snapshots, a pointer read, so watching costs nothing while nothing happens.
* ``/events/jobs/{job_id}``: a job's progress as the job manager publishes it (``progress``
  events, then ``end``), the same stream ``WatchJob`` sends.

Streams end when the page stops, so stopping the server never waits on an open tab.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import AsyncIterator

import anyio
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route

from ..validate import check_id
from .context import WebContext

POLL_S = 0.25
HEARTBEAT_S = 15.0
_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}


def _event(name: str, data: dict) -> str:
    return f"event: {name}\ndata: {json.dumps(data, default=str)}\n\n"


class Events:
    def __init__(self, ctx: WebContext) -> None:
        self.ctx = ctx
        self.project = ctx.project

    def routes(self) -> list[Route]:
        return [Route("/events", self.changes), Route("/events/jobs/{job_id}", self.job)]

    def _state(self) -> dict:
        jobs = self.project.ingest.list_jobs()
        return {**self.ctx.versions(), "jobs": [[j.job_id, str(j.state)] for j in jobs]}

    async def changes(self, request: Request) -> StreamingResponse:
        async def stream() -> AsyncIterator[str]:
            last, beat = None, time.monotonic()
            yield "retry: 2000\n\n"
            while not self.ctx.stopping.is_set():
                state = self._state()
                if state != last:
                    yield _event("change", state)
                    last, beat = state, time.monotonic()
                elif time.monotonic() - beat > HEARTBEAT_S:
                    yield ": still here\n\n"
                    beat = time.monotonic()
                await anyio.sleep(POLL_S)
        return StreamingResponse(stream(), media_type="text/event-stream", headers=_HEADERS)

    async def job(self, request: Request) -> StreamingResponse:
        job_id = check_id(request.path_params["job_id"], "a job id")
        await run_in_threadpool(self.project.ingest.get_job, job_id)  # an unknown job is a 404, not an empty stream
        gone = threading.Event()
        events = self.project.ingest.watch_job(job_id, lambda: not (gone.is_set() or self.ctx.stopping.is_set()))

        async def stream() -> AsyncIterator[str]:
            try:
                async for event in iterate_in_threadpool(events):
                    yield _event("progress", dataclasses.asdict(event))
                yield _event("end", {"job_id": job_id})
            finally:
                gone.set()
        return StreamingResponse(stream(), media_type="text/event-stream", headers=_HEADERS)
