"""SearchService: shots like an example shot, and shots matching words (with a CLIP pack)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..errors import Conflict, InvalidInput
from ..models.select import ActiveModels
from ..scene_index import SceneIndex
from ..validate import check_id, check_limit
from .views import ProjectView, ShotView

DEFAULT_HITS = 20
MAX_QUERY_CHARS = 1_000


@dataclass(frozen=True)
class SearchHit:
    shot: ShotView
    score: float


@dataclass(frozen=True)
class SearchResult:
    hits: tuple[SearchHit, ...]
    model_id: str


class SearchService:
    def __init__(self, index: SceneIndex, models: ActiveModels, view: Callable[[], ProjectView]) -> None:
        self.index = index
        self.models = models
        self.view = view

    def similar(self, shot_id: str, limit: int) -> SearchResult:
        limit = check_limit(limit, DEFAULT_HITS)
        return self._search(self.index.shot_vector(check_id(shot_id, "a shot id"), adapted=False), limit, exclude=shot_id)

    def text(self, query: str, limit: int) -> SearchResult:
        limit = check_limit(limit, DEFAULT_HITS)
        if len(query) > MAX_QUERY_CHARS:
            raise InvalidInput(f"a search text can have at most {MAX_QUERY_CHARS} characters, not {len(query)}")
        if not query.strip():
            raise InvalidInput("the search text is empty")
        embedder = self.models.scene
        if not embedder.supports_text:
            raise Conflict(f"text search needs a CLIP model; the active scene model {embedder.model_id} "
                           f"has no text tower (see `binsight models`)")
        return self._search(embedder.embed_texts([query]), limit, exclude="")

    def _search(self, query: np.ndarray, limit: int, exclude: str) -> SearchResult:
        raw = self.index.raw_vectors()
        ids = [s for s in raw if s != exclude]
        if not ids:
            return SearchResult((), self.index.model_id)
        q = np.atleast_2d(query)
        # every keyframe against the query in one product, then each shot's best keyframe
        # (a loop of one small product per shot took about a second at 100k shots)
        mats = [raw[s] for s in ids]  # (keyframes, dim) each
        starts = np.cumsum([0] + [len(m) for m in mats[:-1]])
        scores = np.maximum.reduceat((np.concatenate(mats) @ q.T).max(axis=1), starts)
        order = np.argsort(-scores, kind="stable")[:limit]
        view = self.view()
        shots = {s.shot_id: s for s in view.shots(ids[i] for i in order)}
        return SearchResult(tuple(SearchHit(shots[ids[i]], float(scores[i])) for i in order if ids[i] in shots),
                            self.index.model_id)
