"""ClusterService: the bin tree, one bin, batch recluster, the characters list, the review queue
and "seen" marks."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from operator import itemgetter

from ..clustering.review import margin_of
from ..errors import NotFound
from ..validate import check_ids, check_limit, shown
from ..scene_index import ReclusterReport, SceneIndex
from ..snapshots import Derived
from .library import SharedLibrary
from .views import CharacterView, ClusterTreeView, ClusterView, ProjectView, ReviewItemView


class ClusterService:
    def __init__(self, index: SceneIndex, view: Callable[[], ProjectView], library: SharedLibrary) -> None:
        self.index = index
        self.view = view
        self.library = library
        self._review: Derived[list[ReviewItemView]] = Derived(limit=64)  # by limit

    def tree(self, include_shots: bool = True) -> ClusterTreeView:
        return self.view().tree(include_shots)

    def cluster(self, cluster_id: str | None, include_shots: bool = True) -> ClusterView:
        """One bin: a scene bin (a merged id leads to its survivor), or the noise bucket (None)."""
        view = self.view()
        if cluster_id is None:
            return view.noise_bin(include_shots)
        return view.scene_bin(self.index.resolve(cluster_id), include_shots)

    def recluster(self, use_adapter: bool = True) -> ReclusterReport:
        """One at a time across the servers of a shared library, on its latest bins."""
        with self.library.exclusive("index"):
            return self.index.recluster(use_adapter)

    def characters(self) -> list[CharacterView]:
        return self.view().character_list()

    def review_queue(self, limit: int) -> list[ReviewItemView]:
        limit = check_limit(limit, 20)
        view = self.view()
        # the queue is asked for far more often than it changes
        return self._review.get(limit, (view.index, view.catalog, view.characters, view.slates),
                                lambda: self._review_queue(view, limit))

    @staticmethod
    def _review_queue(view: ProjectView, limit: int) -> list[ReviewItemView]:
        ranks = view.index.review_ranks  # unpinned shots only
        # the first few by rank, taken in C; a shot of a file not committed yet is passed over
        ordered = [sid for sid, _ in heapq.nsmallest(limit + 16, ranks.items(), key=itemgetter(1))
                   if view.placed(sid)]
        if len(ordered) < min(limit, len(ranks)):
            ordered = [sid for sid, _ in sorted(ranks.items(), key=itemgetter(1)) if view.placed(sid)]
        ordered = ordered[:limit]
        shots = {s.shot_id: s for s in view.shots(ordered)}
        return [ReviewItemView(shot, margin_of(shot.cluster_id, shot.score,
                                               [(c.cluster_id, c.score) for c in shot.candidates]))
                for sid in ordered if (shot := shots.get(sid)) is not None]

    def mark_seen(self, cluster_ids: Sequence[str]) -> None:
        """Mark bins as seen, so reclusters keep them stable. Every id is checked first: a call
        naming an unknown bin changes nothing."""
        resolved = []
        for cid in check_ids(cluster_ids, "bins"):
            try:
                resolved.append(self.index.resolve(cid))
            except NotFound:
                raise NotFound(f"no cluster with id {shown(cid)}; nothing was marked") from None
        self.index.update_clusters(resolved, seen=True)
