"""ClusterService: the bin tree, one bin, batch recluster, the characters list, the review queue
and "seen" marks."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..clustering.review import margin, review_queue
from ..clustering.types import Placement
from ..errors import NotFound
from ..validate import check_ids, check_limit, shown
from ..scene_index import ReclusterReport, SceneIndex
from .library import SharedLibrary
from .views import CharacterView, ClusterTreeView, ClusterView, ProjectView, ReviewItemView


class ClusterService:
    def __init__(self, index: SceneIndex, view: Callable[[], ProjectView], library: SharedLibrary) -> None:
        self.index = index
        self.view = view
        self.library = library

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
        placements = [Placement(sid, a.cluster_id, a.score, [(c.cluster_id, c.score) for c in a.candidates])
                      for sid, a in view.index.assignments.items() if not a.pinned and view.placed(sid)]
        ordered = review_queue(placements)[:limit]
        shots = {s.shot_id: s for s in view.shots(p.shot_id for p in ordered)}
        return [ReviewItemView(shots[p.shot_id], margin(p)) for p in ordered if p.shot_id in shots]

    def mark_seen(self, cluster_ids: Sequence[str]) -> None:
        """Mark bins as seen, so reclusters keep them stable. Every id is checked first: a call
        naming an unknown bin changes nothing."""
        resolved = []
        for cid in check_ids(cluster_ids, "bins"):
            try:
                resolved.append(self.index.resolve(cid))
            except NotFound:
                raise NotFound(f"no cluster with id {shown(cid)}; nothing was marked") from None
        with self.index.transaction():
            for cid in dict.fromkeys(resolved):
                self.index.update_cluster(cid, seen=True)
