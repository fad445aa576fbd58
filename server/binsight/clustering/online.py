"""Online scene assignment at ingest: one shot at a time against cluster representatives.

Each cluster is represented by its centroid plus up to ``n_exemplars`` diverse member shots, so
assigning a shot costs one matrix-vector product per keyframe against the centroids, then the
exemplars of the ``shortlist`` best clusters only, whatever the number of stored shots (scoring
every exemplar of 1300 clusters cost ~10 ms/shot on this machine; with the shortlist the bench
measures ~1 ms/shot at 100k shots). Exemplars matter because a setup filmed wide and tight has a
centroid no single shot resembles closely; its best representative is a fairer score.
A shot's score for a cluster combines its keyframes (``ClusterConfig.shot_similarity``; max vs
mean is compared in bench/clusters.py).

Noise shots are kept in a small pool: when a new shot that resembles no cluster resembles a noise
shot (>= join_threshold), the two found a cluster together. Without this, in a young project
every shot unlike the few existing clusters would stay in the noise bucket until a recluster
(bench, before the pool: ~9% of shots in noise on data with 3% one-off setups; with it ~3%).

Evidence (``ShotEvidence``: file and cut order, cast, local features; clustering/evidence.py) is
optional on every call. With it, a shot's score for a cluster is the fused score: the cosine plus
the evidence bonus against the cluster's members (geometry against up to ``local_members`` kept
members of the ``local_candidates`` nearest clusters and of clusters holding shots within
time_window cuts in the same file; cast against those members; the time bonus to the most similar
of the clusters holding those nearby shots, when that shot is 2 or more cuts away). Members' file/order/cast are kept for
every member (a few dozen bytes); local features only for the kept members and the noise pool.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence

import numpy as np

from .evidence import LocalMatcher, ShotEvidence, pair_bonus
from .types import ClusterConfig, ClusterFlags, IdMinter, Placement


def normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12)


def shot_vector(keyframes: np.ndarray) -> np.ndarray:
    """The single vector of a shot: normalised mean of its keyframes."""
    return normalise(np.atleast_2d(keyframes).mean(axis=0))


class OnlineClusterer:
    """Scene-cluster state plus ingest-time assignment.

    Persist ``state()`` (plain arrays/lists) and rebuild with ``from_state``; the per-shot
    assignment itself lives in the store, this class never holds the list of shots.
    """

    def __init__(self, dim: int, config: ClusterConfig | None = None, id_prefix: str = "scene") -> None:
        self.dim = dim
        self.config = config or ClusterConfig()
        self.ids: list[str] = []
        self.flags: dict[str, ClusterFlags] = {}
        self._index: dict[str, int] = {}
        # buffers with spare rows (capacity grows geometrically: founding is amortised O(1));
        # unused exemplar rows hold a copy of the centroid, so no masking is needed
        E = self.config.n_exemplars
        self._sums_buf = np.zeros((0, dim), np.float32)  # sum of member shot vectors
        self._counts_buf = np.zeros(0, np.int64)
        self._n_ex_buf = np.zeros(0, np.int64)  # exemplars in use per cluster
        self._cent_buf = np.zeros((0, dim), np.float32)
        self._ex_buf = np.zeros((0, E, dim), np.float32)
        self._noise_ids: list[str] = []
        self._noise_vecs = np.zeros((0, dim), np.float32)
        self.mint = IdMinter(id_prefix)
        # evidence, only for shots given with one
        self.matcher = LocalMatcher()
        self._members: list[dict[str, ShotEvidence]] = []  # per cluster: shot -> evidence (kept
        # members with local features, the rest without)
        self._noise_ev: dict[str, ShotEvidence] = {}
        self._placed: dict[tuple[str, int], str] = {}  # (media, order) -> cluster id

    @property
    def _sums(self) -> np.ndarray:
        return self._sums_buf[: len(self.ids)]

    @property
    def _counts(self) -> np.ndarray:
        return self._counts_buf[: len(self.ids)]

    @property
    def _n_ex(self) -> np.ndarray:
        return self._n_ex_buf[: len(self.ids)]

    @property
    def _centroids(self) -> np.ndarray:
        return self._cent_buf[: len(self.ids)]

    @property
    def _exemplars(self) -> np.ndarray:
        return self._ex_buf[: len(self.ids)]

    # ----- state -------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, cluster_id: object) -> bool:
        return cluster_id in self._index

    def centroids(self) -> np.ndarray:
        return self._centroids.copy()

    def counts(self) -> dict[str, int]:
        return {cid: int(self._counts[i]) for i, cid in enumerate(self.ids)}

    def state(self) -> dict:
        """Everything needed to resume: ids, per-cluster sums/counts/exemplars, flags, config and
        the noise pool (shot ids + vectors of shots in the noise bucket)."""
        return {
            "ids": list(self.ids),
            "sums": self._sums.copy(),
            "counts": self._counts.copy(),
            "exemplars": self._exemplars.copy(),  # (clusters, n_exemplars, dim)
            "n_exemplars": self._n_ex.copy(),
            "flags": {cid: f.to_dict() for cid, f in self.flags.items()},
            "config": self.config.to_dict(),
            "next_id": self.mint.next_number,
            "noise_ids": list(self._noise_ids),
            "noise_vectors": self._noise_vecs.copy(),
        }

    @classmethod
    def from_state(cls, state: Mapping) -> "OnlineClusterer":
        config = ClusterConfig.from_dict(dict(state["config"]))
        sums = np.asarray(state["sums"], np.float32)
        self = cls(sums.shape[1], config)
        self.ids = list(state["ids"])
        self._members = [{} for _ in self.ids]  # evidence is not persisted: from_assignment takes it
        self._index = {cid: i for i, cid in enumerate(self.ids)}
        self.flags = {cid: ClusterFlags(**f) for cid, f in dict(state["flags"]).items()}
        self._sums_buf = sums.copy()
        self._counts_buf = np.asarray(state["counts"], np.int64).copy()
        self._n_ex_buf = np.asarray(state["n_exemplars"], np.int64).copy()
        self._cent_buf = normalise(sums)
        self._ex_buf = np.asarray(state["exemplars"], np.float32).copy()
        self.mint.next_number = max(self.mint.next_number, int(state["next_id"]))
        self._noise_ids = list(state.get("noise_ids", []))
        self._noise_vecs = np.asarray(state.get("noise_vectors", np.zeros((0, self.dim))), np.float32).reshape(-1, self.dim)
        return self

    @classmethod
    def from_assignment(cls, assignment: Mapping[str, str | None], shot_ids: Sequence[str],
                        vectors: np.ndarray, flags: Mapping[str, ClusterFlags] | None = None,
                        config: ClusterConfig | None = None,
                        evidence: Mapping[str, ShotEvidence] | None = None,
                        matcher: LocalMatcher | None = None) -> "OnlineClusterer":
        """Rebuild representatives from a full assignment (e.g. after ``recluster``).

        ``vectors`` are shot vectors aligned with ``shot_ids``; noise shots form the noise pool.
        ``evidence`` (per shot id, optional) is kept as ``assign`` would keep it; ``matcher``
        carries verified pairs over from a recluster."""
        self = cls(vectors.shape[1], config)
        evidence = evidence or {}
        if matcher is not None:
            self.matcher = matcher
        members: dict[str, list[int]] = {}
        for i, sid in enumerate(shot_ids):
            cid = assignment.get(sid)
            if cid is not None:
                members.setdefault(cid, []).append(i)
        vectors = normalise(vectors)
        for cid, rows in members.items():
            k = self._new_cluster(cid)
            for r in rows:
                self._add(k, vectors[r], shot_ids[r], evidence.get(shot_ids[r]))
        noise = [i for i, sid in enumerate(shot_ids) if assignment.get(sid) is None]
        self._noise_ids = [shot_ids[i] for i in noise]
        self._noise_vecs = vectors[noise].copy()
        self._noise_ev = {shot_ids[i]: evidence[shot_ids[i]] for i in noise if shot_ids[i] in evidence}
        for cid, f in (flags or {}).items():
            if cid in self._index:
                self.flags[cid] = f
        self.mint = IdMinter(self.mint.prefix, [*self.ids, *(flags or {})])
        return self

    # ----- scoring ------------------------------------------------------------------------
    def score(self, keyframes: np.ndarray, shortlist: int = 32, evidence: ShotEvidence | None = None,
              shot_id: str | None = None) -> np.ndarray:
        """Similarity of one shot (its 1-3 keyframes) to every cluster, shape (clusters,); with
        ``evidence`` the fused score (cosine plus evidence bonus, see the module doc).

        Per keyframe and cluster: the best of centroid and exemplars; exemplars are only scored
        for the ``shortlist`` clusters whose centroids come closest (others keep the centroid
        score, far below any threshold that matters)."""
        cosine = self._cosine(keyframes, shortlist)
        if evidence is None or not self.config.fusion.active or not len(cosine):
            return cosine
        return cosine + self._bonus(cosine, evidence, shot_id)

    def _bonus(self, cosine: np.ndarray, ev: ShotEvidence, shot_id: str | None) -> np.ndarray:
        """Per cluster, the best evidence bonus against its members (candidate clusters only)."""
        w = self.config.fusion
        bonus = np.zeros(len(cosine), np.float32)
        near = set(np.argsort(-cosine)[: w.local_candidates].tolist())
        scene_best = None  # the cluster of the most similar placed shot within the window
        if ev.media_id is not None and ev.order is not None:
            around = {}
            for gap in range(1, w.window + 1):
                for order in (ev.order - gap, ev.order + gap):
                    cid = self._placed.get((ev.media_id, order))
                    if cid is not None:
                        around.setdefault(self._index[cid], []).append(gap)
            if around:
                best = max(around, key=lambda k: cosine[k])
                near |= set(around)
                if max(around[best]) >= 2:
                    scene_best = best
        for k in near:
            members = self._members[k]
            if members:
                bonus[k] = max(pair_bonus(shot_id, ev, mid, mev, w, self.matcher) for mid, mev in members.items())
        if scene_best is not None:
            bonus[scene_best] += w.time
        return bonus

    def _cosine(self, keyframes: np.ndarray, shortlist: int) -> np.ndarray:
        if not self.ids:
            return np.zeros(0, np.float32)
        kf = normalise(np.atleast_2d(keyframes))
        cents = self._centroids
        sims = np.stack([cents @ k for k in kf])  # gemv per keyframe: faster than a thin gemm
        if self.config.n_exemplars:
            k = min(shortlist, len(self.ids))
            short = np.argpartition(-sims.max(axis=0), k - 1)[:k]
            ex = np.einsum("ced,md->mce", self._exemplars[short], kf).max(axis=2)
            sims[:, short] = np.maximum(sims[:, short], ex)
        return sims.max(axis=0) if self.config.shot_similarity == "max" else sims.mean(axis=0)

    def best_cosine(self, shots: Sequence[np.ndarray], cluster_ids: Collection[str]) -> np.ndarray:
        """Per shot (its keyframes), its best cosine to any representative of ``cluster_ids``:
        at least the plain cosine ``score`` gives it against each of them, so a shot far below
        every threshold here cannot be moved by a change to those clusters."""
        rows = [self._index[c] for c in cluster_ids if c in self._index]
        out = np.full(len(shots), -1.0, np.float32)
        if not rows or not shots:
            return out
        reps = np.concatenate([self._centroids[rows], self._exemplars[rows].reshape(-1, self.dim)])
        frames = [np.atleast_2d(v) for v in shots]
        owner = np.repeat(np.arange(len(frames)), [len(f) for f in frames])
        np.maximum.at(out, owner, (normalise(np.concatenate(frames)) @ reps.T).max(axis=1))
        return out

    def candidates(self, scores: np.ndarray, forbidden: Collection[str] = ()) -> list[tuple[str, float]]:
        """Top ``n_candidates`` (cluster id, score), best first, skipping ``forbidden`` ids."""
        order = np.argsort(-scores)
        out: list[tuple[str, float]] = []
        for k in order:
            if self.ids[k] not in forbidden:
                out.append((self.ids[k], float(scores[k])))
                if len(out) == self.config.n_candidates:
                    break
        return out

    # ----- assignment ---------------------------------------------------------------------
    def assign(self, shot_id: str, keyframes: np.ndarray, forbidden: Collection[str] = (),
               evidence: ShotEvidence | None = None) -> Placement:
        """Place one new shot: join the best cluster (>= join_threshold), go to noise (< noise
        threshold to every cluster) or found a new cluster, and update the representatives.

        ``forbidden`` holds the clusters the editor said this shot is not ("not this one");
        locked clusters never take new members. A would-be noise shot that matches a pooled noise
        shot founds a cluster with it: ``Placement.promoted`` names that shot (the caller moves
        it out of the noise bucket). ``evidence`` makes every score the fused one."""
        c = self.config
        locked = {cid for cid, f in self.flags.items() if f.locked}
        scores = self.score(keyframes, evidence=evidence, shot_id=shot_id)
        cands = self.candidates(scores, forbidden=set(forbidden) | locked)
        best = cands[0][1] if cands else -1.0
        v = shot_vector(keyframes)
        if cands and best >= c.join_threshold:
            self._add(self._index[cands[0][0]], v, shot_id, evidence)
            return Placement(shot_id, cands[0][0], best, cands)
        if cands and best < c.noise_threshold:
            partner = self._noise_partner(v, shot_id, evidence)
            if partner is None:
                self._noise_ids.append(shot_id)
                self._noise_vecs = np.vstack([self._noise_vecs, v[None]])
                if evidence is not None:
                    self._noise_ev[shot_id] = evidence
                return Placement(shot_id, None, best, cands)
            cid = self.mint()
            k = self._new_cluster(cid)
            promoted = [self._noise_ids[partner]]
            self._add(k, self._noise_vecs[partner], promoted[0], self._noise_ev.get(promoted[0]))
            self._add(k, v, shot_id, evidence)
            self.forget_noise(promoted[0])
            return Placement(shot_id, cid, 1.0, cands, founded=True, promoted=promoted)
        cid = self.mint()
        self._add(self._new_cluster(cid), v, shot_id, evidence)
        return Placement(shot_id, cid, 1.0, cands, founded=True)

    def forget_noise(self, shot_id: str) -> None:
        """Drop a shot from the noise pool (it was moved, deleted or promoted)."""
        if shot_id in self._noise_ids:
            i = self._noise_ids.index(shot_id)
            del self._noise_ids[i]
            self._noise_vecs = np.delete(self._noise_vecs, i, axis=0)
        self._noise_ev.pop(shot_id, None)

    def _noise_partner(self, v: np.ndarray, shot_id: str, ev: ShotEvidence | None) -> int | None:
        """The pooled noise shot this one would found a cluster with (fused score >= join)."""
        if not self._noise_ids:
            return None
        sims = self._noise_vecs @ v
        w = self.config.fusion
        if ev is not None and w.active:
            near = np.argsort(-sims)[: w.local_candidates].tolist()
            near += [i for i, sid in enumerate(self._noise_ids)
                     if (e := self._noise_ev.get(sid)) is not None and e.media_id == ev.media_id]
            for i in set(near):
                other = self._noise_ev.get(self._noise_ids[i])
                if other is not None:
                    sims[i] += pair_bonus(shot_id, ev, self._noise_ids[i], other, w, self.matcher)
        i = int(np.argmax(sims))
        return i if sims[i] >= self.config.join_threshold else None

    def rescore(self, shots: Iterable[tuple[str, np.ndarray]],
                forbidden: Mapping[str, Collection[str]] | None = None,
                evidence: Mapping[str, ShotEvidence] | None = None) -> list[Placement]:
        """Re-evaluate noise shots after the clusters changed (a correction, a recluster) without
        founding clusters: each either joins (>= join_threshold) or stays noise with fresh
        candidates. Unassigned shots must get another chance after every correction."""
        forbidden = forbidden or {}
        evidence = evidence or {}
        out = []
        locked = {cid for cid, f in self.flags.items() if f.locked}
        for sid, kf in shots:
            ev = evidence.get(sid, self._noise_ev.get(sid))
            cands = self.candidates(self.score(kf, evidence=ev, shot_id=sid), set(forbidden.get(sid, ())) | locked)
            if cands and cands[0][1] >= self.config.join_threshold:
                self._add(self._index[cands[0][0]], shot_vector(kf), sid, ev)
                self.forget_noise(sid)
                out.append(Placement(sid, cands[0][0], cands[0][1], cands))
            else:
                out.append(Placement(sid, None, cands[0][1] if cands else -1.0, cands))
        return out

    # ----- editor edits -------------------------------------------------------------------
    def add(self, cluster_id: str, keyframes: np.ndarray, shot_id: str | None = None,
            evidence: ShotEvidence | None = None) -> None:
        """Record that a shot was put into ``cluster_id`` (created if unknown), e.g. an editor move.
        With ``shot_id`` and ``evidence`` the shot's evidence joins the cluster's."""
        k = self._index.get(cluster_id)
        if k is None:
            k = self._new_cluster(cluster_id)
        self._add(k, shot_vector(keyframes), shot_id, evidence)

    def remove(self, cluster_id: str, keyframes: np.ndarray, shot_id: str | None = None) -> None:
        """Record that a shot left ``cluster_id``; drops it from the exemplars if it was one (and
        its evidence, given ``shot_id``). An emptied cluster keeps its id (the lead decides
        whether the bin goes)."""
        k = self._index[cluster_id]
        if shot_id is not None:
            gone = self._members[k].pop(shot_id, None)
            if gone is not None and gone.media_id is not None and gone.order is not None:
                self._placed.pop((gone.media_id, gone.order), None)
        v = shot_vector(keyframes)
        self._sums[k] -= v
        self._counts[k] = max(self._counts[k] - 1, 0)
        ex = self._exemplars[k]
        n = int(self._n_ex[k])
        if n:
            sims = ex[:n] @ v
            j = int(np.argmax(sims))
            if sims[j] > 0.9999:
                ex[j : n - 1] = ex[j + 1 : n].copy()
                self._n_ex[k] = n - 1
        self._refresh(k)

    def set_flags(self, cluster_id: str, flags: ClusterFlags) -> None:
        self.flags[cluster_id] = flags

    # ----- internals ----------------------------------------------------------------------
    def _new_cluster(self, cluster_id: str) -> int:
        k = len(self.ids)
        if k == len(self._counts_buf):
            cap = max(16, 2 * k)
            self._sums_buf = _grow(self._sums_buf, cap)
            self._counts_buf = _grow(self._counts_buf, cap)
            self._n_ex_buf = _grow(self._n_ex_buf, cap)
            self._cent_buf = _grow(self._cent_buf, cap)
            self._ex_buf = _grow(self._ex_buf, cap)
        self.ids.append(cluster_id)
        self._members.append({})
        self._index[cluster_id] = k
        self._sums[k] = 0
        self._counts[k] = 0
        self._n_ex[k] = 0
        return k

    def _add(self, k: int, v: np.ndarray, shot_id: str | None = None, ev: ShotEvidence | None = None) -> None:
        if shot_id is not None and ev is not None:
            self._keep_evidence(k, shot_id, ev)
        self._sums[k] += v
        self._counts[k] += 1
        E = self.config.n_exemplars
        ex = self._exemplars[k]
        n = int(self._n_ex[k])
        if n < E:
            ex[n] = v
            self._n_ex[k] = n + 1
        elif E:
            # keep exemplars diverse: replace the most redundant one if the newcomer is less
            # redundant than it (greedy farthest-point; a setup's wide and tight framings survive)
            sims = ex @ ex.T
            np.fill_diagonal(sims, -np.inf)
            redundancy = sims.max(axis=1)
            j = int(np.argmax(redundancy))
            if float((ex @ v).max()) < redundancy[j]:
                ex[j] = v
        self._refresh(k)

    def _keep_evidence(self, k: int, shot_id: str, ev: ShotEvidence) -> None:
        """Keep a member's evidence; local features only while fewer than ``local_members`` kept
        members have them (the first members of a cluster: its founding look)."""
        members = self._members[k]
        with_features = sum(1 for e in members.values() if e.features)
        if ev.features and with_features >= self.config.local_members:
            ev = ShotEvidence(ev.media_id, ev.order, ev.characters)
        members[shot_id] = ev
        if ev.media_id is not None and ev.order is not None:
            self._placed[(ev.media_id, ev.order)] = self.ids[k]

    def _refresh(self, k: int) -> None:
        self._centroids[k] = normalise(self._sums[k])
        self._exemplars[k, int(self._n_ex[k]) :] = self._centroids[k]


def _grow(buf: np.ndarray, rows: int) -> np.ndarray:
    out = np.zeros((rows, *buf.shape[1:]), buf.dtype)
    out[: len(buf)] = buf
    return out
