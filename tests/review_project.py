"""A small real project for the review page's tests: two takes of three setups (kitchen, garden,
office: test_server's plan) plus two one-off shots nobody else resembles, which a recluster
leaves in the noise bucket. Encoded with PyAV, ingested by the real server, reclustered."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from binsight.service.server import BinsightServer
from binsight.web import Gate, ReviewPage
from media_factory import encode, texture
from test_server import FPS, PLAN, SIZE, pan_shot, still_shot

ONE_OFFS = [(41, 0), (57, 1)]
"""(texture seed, pattern) of the shots seen once: bold stripes and a checkerboard over a texture,
pictures with a structure no setup of the plan has."""


def one_off(seed: int, pattern: int, frames: int = 30) -> list[np.ndarray]:
    w, h = SIZE
    x, y = np.meshgrid(np.arange(w), np.arange(h))
    mask = ((x // 16) % 2 == 0) if pattern == 0 else (((x // 24) + (y // 24)) % 2 == 0)
    image = texture(seed, w, h).astype(np.float32) * 0.3
    image[mask] += np.array((0, 40, 230) if pattern == 0 else (230, 200, 0), np.float32)
    return [np.clip(image, 0, 255).astype(np.uint8)] * frames


def encode_takes(folder: Path) -> list[Path]:
    paths = []
    for take in range(2):
        frames: list[np.ndarray] = []
        for i, (setup, kind, n) in enumerate(PLAN):
            frames += still_shot(setup, n, shift=4 * i + 2 * take) if kind == "still" else pan_shot(setup, n, 3 + take)
        seed, tint = ONE_OFFS[take]  # one in each take: neither file order nor look ties them together
        frames += one_off(seed, tint)
        paths.append(encode(folder / f"take{take}.mp4", frames, fps=FPS))
    return paths


def ingest(server: BinsightServer, paths: list[Path]) -> None:
    """Ingest through the project's service (what the page and the RPCs call), then recluster."""
    project = server.project
    job = project.ingest.start_ingest([str(p) for p in paths])
    for _ in project.ingest.watch_job(job.job_id, lambda: True):
        pass
    assert project.ingest.get_job(job.job_id).state == "succeeded"
    project.clusters.recluster()


@contextmanager
def review_page(server: BinsightServer, gate: Gate | None = None) -> Iterator[ReviewPage]:
    page = ReviewPage(server.project, "127.0.0.1:0", gate or Gate()).start()
    try:
        yield page
    finally:
        page.stop()
