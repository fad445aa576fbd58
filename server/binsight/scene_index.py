"""The scene index: where every shot of the active scene model sits, and why.

One object owns the shot vectors (raw and adapted), the cluster representatives (the online
clusterer), the cluster rows, the assignments, the editor's "not this one" constraints and the
lock that guards them; it writes them through to the store before it returns, so the store stays
the only truth and the index is rebuilt from it at start-up. Ingest, corrections, recluster and
undo all change placements through the few verbs here, so representatives and rows never drift
apart.

Readers never take the lock: every change ends by publishing an immutable ``IndexSnapshot``, and a
reader works on the snapshot it took, so it never sees half a correction or a file's shots before
their placement.

Candidates (the top bins shown for a shot, three for noise shots) are always live bins, scored
against the current representatives: they are refreshed for every shot after a recluster, and
after a correction or a file's placement for every shot that listed a changed bin and every noise
shot the change can reach (``_in_reach``), so a correction costs what it changes, not the size of
the project.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from .clock import utcnow
from .clustering.adapter import Adapter
from .clustering.evidence import LocalMatcher, ShotEvidence
from .clustering.online import OnlineClusterer, shot_vector
from .clustering.recluster import recluster
from .clustering.review import review_rank
from .clustering.types import NOISE, ClusterConfig, IdMinter, Placement
from .errors import Conflict, NotFound
from .records import (AssignmentRecord, Candidate, ClusterKind, ClusterRecord, ConstraintKind,
                      ConstraintRecord)
from .snapshots import SnapshotOwner
from .store import Store
from .validate import check_id, shown

log = logging.getLogger(__name__)

Labeler = Callable[[Sequence[str]], str]
"""Gives a new bin its readable name from its shots (the earliest clip and timecode)."""

EvidenceSource = Callable[[Sequence[str], bool], dict[str, ShotEvidence]]
"""Shot ids (and whether to read their local features) -> what separates setups beyond the scene
vector: each shot's file and cut order, who is on screen, its keyframes' local features."""

RECLUSTER_FEATURES_LIMIT = 4000
"""Up to this many shots a recluster verifies local features between candidate pairs (about 7
pairs a shot, 1-2 ms each); above it, file order and cast only (reading every shot's features
would be 9 KB a keyframe in memory and minutes of verification)."""


@dataclass(frozen=True)
class IndexSnapshot:
    """The index as readers see it: immutable, consistent, cheap to take."""

    assignments: Mapping[str, AssignmentRecord]
    clusters: Mapping[str, ClusterRecord]
    members: Mapping[str | None, tuple[str, ...]]  # cluster id (None: noise) -> shot ids, sorted
    model_id: str
    version: int
    review_ranks: Mapping[str, tuple[int, float]] = field(default_factory=dict)  # unpinned shots'
    # place in the review queue (``review.review_rank``), kept up to date shot by shot

    def cluster_of(self, shot_id: str) -> str | None:
        a = self.assignments.get(shot_id)
        return a.cluster_id if a else NOISE

    def live_clusters(self) -> list[ClusterRecord]:
        """Scene bins an editor sees: with members, or named (an emptied named bin stays)."""
        return [c for cid, c in sorted(self.clusters.items())
                if c.kind is ClusterKind.SCENE and (self.members.get(cid) or c.named)]


@dataclass(frozen=True)
class IndexChanges:
    """What a correction changed, as it was before: enough to put it back exactly."""

    assignments: tuple[AssignmentRecord, ...]  # placements (bin or pin) that changed, as they were
    clusters: tuple[ClusterRecord, ...]  # cluster rows that changed, as they were
    created: tuple[str, ...]  # clusters that did not exist before

    def touched(self) -> set[str]:
        return {a.shot_id for a in self.assignments} | {c.cluster_id for c in self.clusters} | set(self.created) \
            | {a.cluster_id for a in self.assignments if a.cluster_id}


@dataclass(frozen=True)
class ReclusterReport:
    shots_total: int = 0
    shots_moved: int = 0
    clusters_before: int = 0
    clusters_after: int = 0
    clusters_created: int = 0
    clusters_merged: int = 0
    noise_before: int = 0
    noise_after: int = 0
    adapter_version: str = ""
    seconds: float = 0.0


@dataclass
class _State:
    raw: dict[str, np.ndarray] = field(default_factory=dict)  # shot -> (k, dim) keyframe vectors
    adapted: dict[str, np.ndarray] = field(default_factory=dict)
    assignments: dict[str, AssignmentRecord] = field(default_factory=dict)
    clusters: dict[str, ClusterRecord] = field(default_factory=dict)
    constraints: dict[str, ConstraintRecord] = field(default_factory=dict)  # "not this one", by id
    cannot: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # shot -> clusters
    members: dict[str | None, set[str]] = field(default_factory=lambda: defaultdict(set))  # bin -> shots
    listed: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # bin -> shots naming
    # it among their candidates
    # written since the last publish: what a publish and ``changes_since`` look at, so neither
    # walks 100k placements for a one-shot correction
    dirty_shots: set[str] = field(default_factory=set)
    dirty_clusters: set[str | None] = field(default_factory=set)  # rows or memberships changed


class SceneIndex(SnapshotOwner):
    """Every verb runs in a transaction (see ``snapshots``); readers use ``snapshot()``."""

    def __init__(self, store: Store, model_id: str, dim: int, config: ClusterConfig, data_dir: Path,
                 labeler: Labeler, evidence: EvidenceSource | None = None) -> None:
        self.store = store
        self.model_id = model_id
        self.dim = dim
        self.config = config
        self.data_dir = data_dir
        self.labeler = labeler
        self.evidence = evidence
        self.matcher = LocalMatcher()
        super().__init__()
        self.adapter: Adapter | None = None
        self.adapter_version = ""
        self._s = _State()
        self.clusterer = OnlineClusterer(dim, config)
        self._version = 0
        self._snapshot = IndexSnapshot({}, {}, {}, model_id, 0)
        self._member_tuples: dict[str | None, tuple[str, ...]] = {}  # published, reused while unchanged
        self._ranks: dict[str, tuple[int, float]] = {}
        self._where: dict[str, tuple[str, int]] = {}  # shot -> (file, cut order), see _positions

    # ------------------------------------------------------------------------------------------
    # loading
    # ------------------------------------------------------------------------------------------
    def load(self, repair: bool = True) -> None:
        """Rebuild from the store; place shots that have none (a crash between a file's commit
        and its placement), and drop placements of shots that are gone or of another model.
        Without ``repair`` (re-reading a library other servers write to) nothing is written:
        shots not placed yet are left to the server committing them, and stay out of view."""
        with self.transaction():
            s = self._s
            s.raw = self.store.keyframes.vectors(self.model_id)
            s.clusters = {c.cluster_id: c for c in self.store.clusters.all()}
            s.assignments = {a.shot_id: a for a in self.store.assignments.all()}
            if not repair:
                s.raw = {sid: v for sid, v in s.raw.items() if sid in s.assignments}
                s.assignments = {sid: a for sid, a in s.assignments.items() if sid in s.raw}
            self._index_members()
            self._load_adapter()
            s.constraints = {c.constraint_id: c for c in self.store.constraints.of_kind(ConstraintKind.SHOT_NOT_CLUSTER)}
            self._derive_cannot()
            stale = [sid for sid in s.assignments if sid not in s.raw]
            # placed in a bin that was never stored (an earlier Binsight's start-up repair did
            # that): placed again, like a shot never placed
            stale += [sid for sid, a in s.assignments.items()
                      if sid in s.raw and a.cluster_id is not None and a.cluster_id not in s.clusters]
            if stale:
                self.store.assignments.delete(stale)
                for sid in stale:
                    self._drop_assignment(sid)
            unplaced = sorted(sid for sid in s.raw if sid not in s.assignments)
            # representatives of the placed shots only: an unplaced shot joins the way a new one
            # does (counted as noise beforehand, it could found a bin with itself)
            self._rebuild_clusterer(leave_out=unplaced)
            if unplaced:
                log.warning("placing shots that were committed but never placed", extra={"shots": len(unplaced)})
                self._place(unplaced)

    def _load_adapter(self) -> None:
        active = [a for a in self.store.adapters.all() if a.active and a.model_id == self.model_id]
        self.adapter = Adapter.load(self.data_dir / active[0].path) if active else None
        self.adapter_version = active[0].version if active else ""
        self._s.adapted = {sid: self._adapt(v) for sid, v in self._s.raw.items()}

    def _adapt(self, vectors: np.ndarray) -> np.ndarray:
        return self.adapter.apply(vectors) if self.adapter is not None else vectors

    def _rebuild_clusterer(self, assignment: Mapping[str, str | None] | None = None,
                           leave_out: Collection[str] = ()) -> None:
        """Representatives from the current (or given) assignment, without the shots in
        ``leave_out``. New ids count up from every id in the clusters table, which keeps merged
        bins' rows, so no id is ever reused."""
        s = self._s
        skipped = set(leave_out)
        ids = [sid for sid in s.adapted if sid not in skipped]
        if ids:
            assignment = assignment if assignment is not None else {sid: self._cluster_of(sid) for sid in ids}
            vectors = np.stack([shot_vector(s.adapted[sid]) for sid in ids])
            self.clusterer = OnlineClusterer.from_assignment(assignment, ids, vectors, self._flags(), self.config,
                                                             evidence=self._founding_evidence(assignment),
                                                             matcher=self.matcher)
        else:
            self.clusterer = OnlineClusterer(self.dim, self.config)
        self.clusterer.mint = IdMinter("scene", s.clusters)
        for cid, flags in self._flags().items():
            self.clusterer.set_flags(cid, flags)

    # ------------------------------------------------------------------------------------------
    # reads
    # ------------------------------------------------------------------------------------------
    def snapshot(self) -> IndexSnapshot:
        return self._snapshot

    def raw_vectors(self) -> dict[str, np.ndarray]:
        """Raw model vectors per shot (search compares in the model's own space): a copy, so a
        reader is never disturbed by a writer (the copy is one C-level step under the GIL)."""
        return dict(self._s.raw)

    def shot_vector(self, shot_id: str, adapted: bool = True) -> np.ndarray:
        vectors = (self._s.adapted if adapted else self._s.raw).get(shot_id)
        if vectors is None:
            raise NotFound(f"no shot with id {shown(shot_id)} embedded by {self.model_id}")
        return vectors

    def cluster(self, cluster_id: str) -> ClusterRecord:
        """A live cluster (a merged id is followed to the bin that absorbed it)."""
        return self._s.clusters[self.resolve(cluster_id)]

    def resolve(self, cluster_id: str) -> str:
        """The id a cluster goes by now: merged ids lead to the bin that absorbed them."""
        seen = set()
        row = self._s.clusters.get(check_id(cluster_id, "a bin id"))
        if row is None:
            raise NotFound(f"no cluster with id {shown(cluster_id)}")
        while row.kind is ClusterKind.MERGED and row.merged_into and row.cluster_id not in seen:
            seen.add(row.cluster_id)
            row = self._s.clusters[row.merged_into]
        if row.kind is ClusterKind.MERGED:
            raise Conflict(f"cluster {cluster_id} was merged away and has no surviving bin")
        return row.cluster_id

    def assignment(self, shot_id: str) -> AssignmentRecord:
        a = self._s.assignments.get(check_id(shot_id, "a shot id"))
        if a is None:
            raise NotFound(f"no shot with id {shown(shot_id)}")
        return a

    def _cluster_of(self, shot_id: str) -> str | None:
        a = self._s.assignments.get(shot_id)
        return a.cluster_id if a else NOISE

    def _evidence(self, shot_ids: Sequence[str], features: bool) -> dict[str, ShotEvidence]:
        return self.evidence(shot_ids, features) if self.evidence is not None and shot_ids else {}

    def _founding_evidence(self, assignment: Mapping[str, str | None]) -> dict[str, ShotEvidence]:
        """Every shot's order and cast; local features only for each bin's first members (what
        the clusterer keeps them for: a bin's founding look), so memory stays bounded."""
        if self.evidence is None:
            return {}
        firsts: dict[str | None, list[str]] = defaultdict(list)
        for sid in sorted(assignment):
            cid = assignment[sid]
            if len(firsts[cid]) < (self.config.local_members if cid is not None else 0):
                firsts[cid].append(sid)
        with_features = self._evidence([s for ids in firsts.values() for s in ids], True)
        return {**self._evidence(list(assignment), False), **with_features}

    def _flags(self) -> dict:
        return {cid: c.flags for cid, c in self._s.clusters.items()}

    def members(self, cluster_id: str | None) -> list[str]:
        """Shots in a bin now (inside a transaction too, where the snapshot lags)."""
        return sorted(self._s.members.get(cluster_id, ()))

    def members_now(self) -> dict[str, tuple[str, ...]]:
        """Every scene bin's shots now, sorted, for a writer inside a transaction (readers:
        snapshot().members): what a correction samples its training triplets from."""
        return {cid: self._member_tuple(cid) for cid, ids in self._s.members.items() if ids and cid is not None}

    def _member_tuple(self, cluster_id: str | None) -> tuple[str, ...]:
        cached = self._member_tuples.get(cluster_id)
        if cached is None or cluster_id in self._s.dirty_clusters:
            cached = tuple(sorted(self._s.members.get(cluster_id, ())))
        return cached

    def cannot_links(self, shot_id: str) -> set[str]:
        return set(self._s.cannot.get(shot_id, ()))

    def _not_bins(self) -> frozenset[str]:
        """Ids the clusterer still holds that are no bin an editor can see (merged, retired,
        emptied): never a shot's candidate or a join target."""
        dead = {cid for cid, c in self._s.clusters.items() if c.kind is not ClusterKind.SCENE}
        dead |= {cid for cid, n in self.clusterer.counts().items() if n == 0 and not self._named(cid)}
        return frozenset(dead)

    def _named(self, cluster_id: str) -> bool:
        row = self._s.clusters.get(cluster_id)
        return bool(row and row.named)

    def _excluded(self, shot_id: str, dead: frozenset[str]) -> set[str]:
        return set(self._s.cannot.get(shot_id, ())) | dead

    # ------------------------------------------------------------------------------------------
    # clusters
    # ------------------------------------------------------------------------------------------
    def new_cluster_id(self) -> str:
        return self.clusterer.mint()

    def create_clusters(self, cluster_ids: Iterable[str], members: Mapping[str, Sequence[str]] | None = None,
                        **values: object) -> list[ClusterRecord]:
        """Store new scene clusters, each labelled once from its first members."""
        now = utcnow()
        created = []
        for cid in cluster_ids:
            label = self.labeler(sorted((members or {}).get(cid, ())))
            row = ClusterRecord(cluster_id=cid, kind=ClusterKind.SCENE, name="", named=False, locked=False,
                                seen=False, touched=False, label=label, merged_into="", created_at=now,
                                updated_at=now)
            created.append(replace(row, **values))  # type: ignore[arg-type]
        self._write_clusters(created)
        return created

    def update_cluster(self, cluster_id: str, **values: object) -> ClusterRecord:
        return self.update_clusters([cluster_id], **values)[0]

    def update_clusters(self, cluster_ids: Iterable[str], **values: object) -> list[ClusterRecord]:
        """The same change to several bins' rows, in one write."""
        now = utcnow()
        rows = [replace(self._s.clusters[cid], **values, updated_at=now)  # type: ignore[arg-type]
                for cid in dict.fromkeys(cluster_ids)]
        self._write_clusters(rows)
        return rows

    def restore_clusters(self, rows: Iterable[ClusterRecord]) -> None:
        """Put cluster rows back exactly as they were (undo)."""
        self._write_clusters([replace(r, updated_at=utcnow()) for r in rows])

    def _write_clusters(self, rows: list[ClusterRecord]) -> None:
        if not rows:
            return
        with self.transaction():
            self.store.clusters.upsert(rows)
            for row in rows:
                self._s.clusters[row.cluster_id] = row
                self._s.dirty_clusters.add(row.cluster_id)
                if row.kind is ClusterKind.SCENE:
                    self.clusterer.set_flags(row.cluster_id, row.flags)

    def retire_clusters(self, cluster_ids: Iterable[str]) -> None:
        """Take bins made by an undone correction out of use; their ids are never minted again."""
        with self.transaction():
            self._write_clusters([replace(self._s.clusters[c], kind=ClusterKind.RETIRED, updated_at=utcnow())
                                  for c in cluster_ids if c in self._s.clusters])

    def changes_since(self, before: IndexSnapshot) -> IndexChanges:
        """The placements and cluster rows that differ from ``before`` (a snapshot taken at the
        start of a transaction), as they were then. Scores and candidates do not count: they
        are re-derived. From the snapshot now published (a transaction's start), only what was
        written since is compared."""
        s = self._s
        current = before is self._snapshot
        shots = s.dirty_shots if current else before.assignments
        rows = s.dirty_clusters if current else before.clusters
        moved = tuple(old for sid in sorted(shots)
                      if (old := before.assignments.get(sid)) is not None and sid in s.assignments
                      and (s.assignments[sid].cluster_id, s.assignments[sid].pinned) != (old.cluster_id, old.pinned))
        clusters = tuple(old for cid in sorted(c for c in rows if c is not None)
                         if (old := before.clusters.get(cid)) is not None
                         and replace(s.clusters[cid], updated_at="") != replace(old, updated_at=""))
        created = tuple(sorted(cid for cid in s.clusters if cid not in before.clusters))
        return IndexChanges(moved, clusters, created)

    # ------------------------------------------------------------------------------------------
    # placement
    # ------------------------------------------------------------------------------------------
    def replace_media(self, committed: Mapping[str, np.ndarray], retired_shots: Iterable[str],
                      carried: Mapping[str, str] | None = None) -> None:
        """After a file's commit: forget the shots of versions it replaced, load its vectors and
        place its shots. ``carried`` maps a new shot id to a retired one with the same frames:
        the new shot keeps the old one's placement when the editor pinned it, and its "not this
        one" constraints. Shots already placed (a forced re-ingest of the same content, same
        ids) keep their placement."""
        carried = dict(carried or {})
        with self.transaction():
            s = self._s
            kept = {new: s.assignments[old] for new, old in carried.items()
                    if old in s.assignments and s.assignments[old].pinned}
            moved = [replace(c, constraint_id=f"{c.constraint_id}>{new}", a_id=new)
                     for new, old in carried.items() for c in s.constraints.values() if c.a_id == old]
            self.store.constraints.add(moved)
            s.constraints.update((c.constraint_id, c) for c in moved)
            self._derive_cannot()
            gone = [sid for sid in retired_shots if sid not in committed]
            for sid in gone:
                self._unplace(sid)
                s.raw.pop(sid, None)
                s.adapted.pop(sid, None)
                self._where.pop(sid, None)
                self._drop_assignment(sid)
            self.store.assignments.delete(gone)
            for sid, vectors in committed.items():
                s.raw[sid] = vectors
                s.adapted[sid] = self._adapt(vectors)
            self._set([replace(a, shot_id=new, updated_at=utcnow()) for new, a in kept.items()])
            self._place(sorted(sid for sid in committed if sid not in s.assignments))
            # noise shots the new shots and the bins they joined or founded can reach
            dead = self._not_bins()
            self._refresh_candidates(self._in_reach(set(committed) | s.dirty_clusters, dead))

    def _place(self, shot_ids: list[str]) -> None:
        """Online assignment of new shots: join, found, or go to noise."""
        s = self._s
        dead = self._not_bins()
        evidence = self._evidence(shot_ids, True)
        placements = [self.clusterer.assign(sid, s.adapted[sid], self._excluded(sid, dead), evidence=evidence.get(sid))
                      for sid in shot_ids]
        # a new shot that matches a lone noise shot founds a bin with it: move that one too
        placed = {p.shot_id for p in placements}
        for p in list(placements):
            for partner in p.promoted:  # the clusterer has already counted it in the new bin
                cands = self.clusterer.candidates(self.clusterer.score(s.adapted[partner], shot_id=partner),
                                                  self._excluded(partner, dead))
                moved = Placement(partner, p.cluster_id, dict(cands).get(p.cluster_id, p.score), cands)
                if partner in placed:
                    placements = [moved if q.shot_id == partner else q for q in placements]
                else:
                    placements.append(moved)
        # every bin a placement names that has no row yet (founded now, or by a shot promoted
        # later in this batch) gets its row: a shot never sits in a bin that is not stored
        founded = {p.cluster_id for p in placements if p.cluster_id is not None and p.cluster_id not in s.clusters}
        members: dict[str, list[str]] = defaultdict(list)
        for p in placements:
            if p.cluster_id in founded:
                members[p.cluster_id].append(p.shot_id)
        self.create_clusters(sorted(members), members)
        now = utcnow()
        self._write_assignments([AssignmentRecord(p.shot_id, p.cluster_id, float(p.score), _candidates(p.candidates),
                                                  False, now) for p in placements])

    def move(self, shot_ids: Sequence[str], target: str | None, pinned: bool = True) -> None:
        """Put shots into ``target`` (None: the noise bucket), as the editor did."""
        with self.transaction():
            s = self._s
            now = utcnow()
            records = []
            dead = self._not_bins() - {target}
            evidence = self._evidence(list(shot_ids), False)
            for sid in shot_ids:
                vectors = s.adapted[sid]
                self._unplace(sid)
                if target is not None:
                    self.clusterer.add(target, vectors, shot_id=sid, evidence=evidence.get(sid))
                candidates = self.clusterer.candidates(
                    self.clusterer.score(vectors, evidence=evidence.get(sid), shot_id=sid), self._excluded(sid, dead))
                score = next((sc for c, sc in candidates if c == target), candidates[0][1] if candidates else 0.0)
                records.append(AssignmentRecord(sid, target, float(score), _candidates(candidates), pinned, now))
            self._write_assignments(records)

    def restore(self, records: Iterable[AssignmentRecord]) -> None:
        """Put placements back exactly as recorded (undo), representatives included."""
        with self.transaction():
            self._set(list(records))

    def _set(self, records: list[AssignmentRecord]) -> None:
        evidence = self._evidence([rec.shot_id for rec in records], False)
        for rec in records:
            self._unplace(rec.shot_id)
            if rec.cluster_id is not None:
                self.clusterer.add(rec.cluster_id, self._s.adapted[rec.shot_id], shot_id=rec.shot_id,
                                   evidence=evidence.get(rec.shot_id))
        self._write_assignments(records)

    def rebuild_representatives(self) -> None:
        """Representatives from the placements as they stand (after an undo put some back: the
        incremental updates of the correction and of its undo need not cancel out exactly)."""
        with self.transaction():
            self._rebuild_clusterer()

    def _unplace(self, shot_id: str) -> None:
        """Take a shot out of the representatives of wherever it is now."""
        source = self._cluster_of(shot_id)
        vectors = self._s.adapted.get(shot_id)
        if vectors is None:
            return
        if source is None:
            self.clusterer.forget_noise(shot_id)
        elif source in self.clusterer:
            self.clusterer.remove(source, vectors, shot_id=shot_id)

    def _write_assignments(self, records: list[AssignmentRecord]) -> None:
        if not records:
            return
        self.store.assignments.upsert(records)
        s = self._s
        for rec in records:
            old = s.assignments.get(rec.shot_id)
            if old is None or old.cluster_id != rec.cluster_id:
                if old is not None:
                    s.members[old.cluster_id].discard(rec.shot_id)
                    s.dirty_clusters.add(old.cluster_id)
                s.members[rec.cluster_id].add(rec.shot_id)
                s.dirty_clusters.add(rec.cluster_id)
            if old is None or old.candidates != rec.candidates:
                self._list(old, discard=True)
                self._list(rec)
            s.assignments[rec.shot_id] = rec
            s.dirty_shots.add(rec.shot_id)

    def _list(self, a: AssignmentRecord | None, discard: bool = False) -> None:
        """Note (or, with ``discard``, forget) the bins a placement names as its candidates."""
        for c in a.candidates if a is not None else ():
            if discard:
                self._s.listed[c.cluster_id].discard(a.shot_id)
            else:
                self._s.listed[c.cluster_id].add(a.shot_id)

    def _drop_assignment(self, shot_id: str) -> None:
        """Forget a shot's placement in memory (its row is deleted by the caller)."""
        s = self._s
        old = s.assignments.pop(shot_id, None)
        if old is not None:
            self._list(old, discard=True)
            s.members[old.cluster_id].discard(shot_id)
            s.dirty_clusters.add(old.cluster_id)
            s.dirty_shots.add(shot_id)

    def _index_members(self) -> None:
        """Memberships from the placements as loaded; everything counts as written."""
        s = self._s
        s.members, s.listed = defaultdict(set), defaultdict(set)
        for sid, a in s.assignments.items():
            s.members[a.cluster_id].add(sid)
            self._list(a)
        self._member_tuples, self._ranks = {}, {}
        s.dirty_shots = set(s.assignments) | set(self._snapshot.assignments)
        s.dirty_clusters = set(s.members) | set(self._snapshot.members) | set(s.clusters)

    # ------------------------------------------------------------------------------------------
    # constraints ("not this one")
    # ------------------------------------------------------------------------------------------
    def add_cannot_link(self, constraint: ConstraintRecord) -> None:
        with self.transaction():
            self.store.constraints.add([constraint])
            self._s.constraints[constraint.constraint_id] = constraint
            self._derive_cannot()

    def remove_constraints(self, constraint_ids: Iterable[str]) -> None:
        ids = [c for c in constraint_ids if c in self._s.constraints]
        with self.transaction():
            self.store.constraints.delete(ids)
            for cid in ids:
                del self._s.constraints[cid]
            self._derive_cannot()

    def constraints_of(self, feedback_id: str) -> list[ConstraintRecord]:
        return [c for c in self._s.constraints.values() if c.feedback_id == feedback_id]

    def _derive_cannot(self) -> None:
        cannot: dict[str, set[str]] = defaultdict(set)
        for c in self._s.constraints.values():
            cannot[c.a_id].add(c.b_id)
        self._s.cannot = cannot

    # ------------------------------------------------------------------------------------------
    # candidates
    # ------------------------------------------------------------------------------------------
    def _noise_ids(self) -> list[str]:
        return sorted(self._s.members.get(None, ()))

    def after_correction(self, changed: Collection[str], join: bool = True) -> None:
        """Give unpinned noise shots another chance against the corrected bins (they may join;
        not after an undo, which puts back exactly what was), and refresh the candidates of every
        shot that listed a changed or vanished bin.

        Only noise shots a change can reach are re-scored (``_in_reach``): re-scoring the whole
        noise bucket made one move cost seconds at 100k shots, with every other writer waiting.
        A join changes its bin in turn, so the shots it reaches get their chance too, until no
        more join."""
        with self.transaction():
            s = self._s
            # and every bin whose row or members changed in this transaction (a bin that gained
            # a shot has no new row when it was touched before)
            changed = set(changed) | {cid for cid in s.dirty_clusters if cid is not None}
            frontier, reached, rescored = set(changed), set(), set()
            while frontier:
                dead = self._not_bins()
                reach = self._in_reach(frontier, dead)
                reached |= set(reach)
                noise = [sid for sid in reach if not s.assignments[sid].pinned] if join else []
                if not noise:
                    break
                placements = self.clusterer.rescore([(sid, s.adapted[sid]) for sid in noise],
                                                    {sid: self._excluded(sid, dead) for sid in noise},
                                                    evidence=self._evidence(noise, False))
                now = utcnow()
                self._write_assignments([AssignmentRecord(p.shot_id, p.cluster_id, float(p.score),
                                                          _candidates(p.candidates), False, now)
                                         for p in placements])
                rescored |= set(noise)
                frontier = {x for p in placements if p.cluster_id is not None for x in (p.shot_id, p.cluster_id)}
                changed |= frontier
            stale = self._listing(changed, self._not_bins())
            self._refresh_candidates(sorted((stale | reached) - rescored))

    def _listing(self, changed: Collection[str], dead: Collection[str]) -> set[str]:
        """Shots whose candidates name a changed bin or one that is no bin any more."""
        s = self._s
        bins = {cid for cid in s.listed if cid in changed or cid in dead or cid not in self.clusterer}
        return {sid for cid in bins for sid in s.listed[cid] if sid in s.assignments}

    def _in_reach(self, changed: Collection[str], dead: frozenset[str]) -> list[str]:
        """Noise shots whose standing a correction of the ``changed`` bins (and shots) can move:
        those listing one of them, those within the time window of a moved shot in its file, and
        those whose best keyframe comes within the largest evidence bonus of joining a changed
        bin or of becoming their best candidate (what the review queue orders noise by). The
        rest keep their scores against bins that did not change, and their place."""
        s = self._s
        noise = self._noise_ids()
        if not noise:
            return []
        reach = self._listing(changed, dead) & set(noise)
        fusion = self.config.fusion
        where = self._positions(noise)
        around = _around(self._positions([sid for sid in changed if sid in s.assignments]).values(), fusion.window)
        reach |= {sid for sid in noise if where.get(sid) in around}
        bins = [cid for cid in changed if cid in self.clusterer and cid not in dead]
        if bins:
            beside = _around(self._positions([m for cid in bins for m in s.members.get(cid, ())]).values(),
                             fusion.window)
            best = self.clusterer.best_cosine([s.adapted[sid] for sid in noise], bins)
            for sid, cosine in zip(noise, best.tolist()):
                cands = s.assignments[sid].candidates
                bar = min(self.config.join_threshold, cands[0].score if cands else -np.inf)
                # the re-scoring reads no local features; a cast may always agree
                if cosine + fusion.max_bonus(False, where.get(sid) in beside, True) >= bar:
                    reach.add(sid)
        return sorted(reach)

    def _positions(self, shot_ids: Iterable[str]) -> dict[str, tuple[str, int]]:
        """Each shot's file and cut order (fixed for a shot id, so kept once read)."""
        missing = [sid for sid in shot_ids if sid not in self._where]
        for sid, e in self._evidence(missing, False).items():
            if e.media_id is not None and e.order is not None:
                self._where[sid] = (e.media_id, e.order)
        return {sid: self._where[sid] for sid in shot_ids if sid in self._where}

    def _refresh_candidates(self, shot_ids: Sequence[str]) -> None:
        """Re-score shots against the live bins, keeping where they are."""
        s = self._s
        now = utcnow()
        position = {cid: i for i, cid in enumerate(self.clusterer.ids)}
        dead = self._not_bins()
        evidence = self._evidence(list(shot_ids), False)
        records = []
        for sid in shot_ids:
            a = s.assignments[sid]
            scores = self.clusterer.score(s.adapted[sid], evidence=evidence.get(sid), shot_id=sid)
            cands = self.clusterer.candidates(scores, self._excluded(sid, dead))
            if a.cluster_id is None:
                score = cands[0][1] if cands else 0.0
            else:
                score = float(scores[position[a.cluster_id]]) if a.cluster_id in position else a.score
            fresh = _candidates(cands)
            if fresh != a.candidates or score != a.score:
                records.append(replace(a, score=float(score), candidates=fresh, updated_at=now))
        self._write_assignments(records)

    # ------------------------------------------------------------------------------------------
    # recluster and adapters
    # ------------------------------------------------------------------------------------------
    def recluster(self, use_adapter: bool = True) -> ReclusterReport:
        started = time.monotonic()
        with self.transaction():
            s = self._s
            ids = sorted(s.adapted)
            if not ids:
                return ReclusterReport()
            source = s.adapted if use_adapter else s.raw
            vectors = np.stack([shot_vector(source[sid]) for sid in ids])
            previous = {sid: self._cluster_of(sid) for sid in ids}
            must = {sid: a.cluster_id for sid, a in s.assignments.items() if a.pinned and a.cluster_id}
            cannot = [(sid, c) for sid, cs in s.cannot.items() for c in cs]
            by_id = self._evidence(ids, len(ids) <= RECLUSTER_FEATURES_LIMIT)
            evidence = [by_id.get(sid, ShotEvidence()) for sid in ids] if by_id else None
            result = recluster(ids, vectors, previous, self._flags(), must, cannot, self.config,
                               mint=self.clusterer.mint, evidence=evidence, matcher=self.matcher)
            new_members: dict[str, list[str]] = defaultdict(list)
            for sid, cid in result.assignment.items():
                if cid is not None and cid not in s.clusters:
                    new_members[cid].append(sid)
            self.create_clusters(sorted(new_members), new_members)
            self._rebuild_clusterer(result.assignment)
            now = utcnow()
            changed = [sid for sid in ids if result.assignment.get(sid) != previous.get(sid)]
            self._write_assignments([replace(s.assignments[sid], cluster_id=result.assignment.get(sid),
                                             updated_at=now) if sid in s.assignments else
                                     AssignmentRecord(sid, result.assignment.get(sid), 0.0, (), False, now)
                                     for sid in changed])
            self._refresh_candidates(ids)
            after = set(result.assignment.values()) - {None}
            report = ReclusterReport(
                shots_total=len(ids), shots_moved=len(result.report.moved),
                clusters_before=len(set(previous.values()) - {None}), clusters_after=len(after),
                clusters_created=len(result.report.created), clusters_merged=len(result.report.merged),
                noise_before=sum(1 for c in previous.values() if c is None),
                noise_after=sum(1 for c in result.assignment.values() if c is None),
                adapter_version=self.adapter_version if use_adapter else "",
                seconds=round(time.monotonic() - started, 3))
        log.info("reclustered", extra=dataclasses.asdict(report))
        return report

    def set_adapter(self) -> None:
        """Re-read the active adapter and re-adapt every vector; bins change on the next
        recluster, so the editor decides when."""
        with self.transaction():
            self._load_adapter()
            self._rebuild_clusterer()

    # ------------------------------------------------------------------------------------------
    def _publish(self) -> None:
        """Make the current state what readers see (one reference swap). Only bins and shots
        written since the last publish are re-derived; an unchanged bin's member tuple is the
        same object as before, which lets readers cache what they built from it."""
        s = self._s
        for cid in s.dirty_clusters:
            if s.members.get(cid):
                self._member_tuples[cid] = self._member_tuple(cid)
            else:
                self._member_tuples.pop(cid, None)
                s.members.pop(cid, None)
        for sid in s.dirty_shots:
            a = s.assignments.get(sid)
            if a is None or a.pinned:
                self._ranks.pop(sid, None)
            else:
                self._ranks[sid] = review_rank(a.cluster_id, a.score, [(c.cluster_id, c.score) for c in a.candidates])
        s.dirty_shots, s.dirty_clusters = set(), set()
        self._version += 1
        self._snapshot = IndexSnapshot(dict(s.assignments), dict(s.clusters), dict(self._member_tuples),
                                       self.model_id, self._version, dict(self._ranks))


def _around(positions: Iterable[tuple[str, int]], window: int) -> set[tuple[str, int]]:
    """The positions within ``window`` cuts of any of ``positions`` in the same file."""
    return {(media, order + gap) for media, order in positions for gap in range(-window, window + 1)}


def _candidates(pairs: Iterable[tuple[str, float]]) -> tuple[Candidate, ...]:
    return tuple(Candidate(cid, round(float(score), 4)) for cid, score in pairs)
