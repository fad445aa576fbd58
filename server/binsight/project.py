"""The Binsight core as one object: a project over a data dir. The gRPC servicers, the CLI's
embedded server and the tests all drive this class; it never touches gRPC.

It owns the store, the models, the job worker and the in-memory scene index (cluster
representatives rebuilt from the store at start-up, so the store stays the only truth).
Everything it returns is plain data keyed like the proto messages.
"""

from __future__ import annotations

import json
import logging
import tempfile
import threading
import time
from collections import defaultdict
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable, Iterator

import cv2
import numpy as np

from . import __version__
from .bins import Bin, BinClip, BinSet, SourceMedia
from .clustering.adapter import Adapter, Triplet, fit
from .clustering.characters import CharacterConfig, cluster_characters
from .clustering.characters import Face as CharacterFace
from .clustering.online import OnlineClusterer, shot_vector
from .clustering.recluster import recluster
from .clustering.review import margin, review_queue
from .clustering.types import ClusterConfig, ClusterFlags, IdMinter, Placement
from .config import Config
from .errors import Conflict, InvalidInput, NotFound
from .exporters import ExportOptions, available_formats, get_exporter
from .exporters.timecode import nle_rate, source_timecode
from .faces.base import FaceConfig
from .jobs import JobContext, JobManager, utcnow
from .media.keyframes import KeyframeConfig
from .media.probe import probe
from .media.types import DetectorConfig
from .models.manager import ModelManager
from .pipeline import Ingestor, PipelineSettings, discover
from .store import SCHEMA_VERSION, Store, in_list, quote

log = logging.getLogger(__name__)

NOISE_ID = "noise"
MIN_TRIPLETS = 8


class Project:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.address = config.address
        config.data_dir.mkdir(parents=True, exist_ok=True)
        self.store = Store(config.db_path)
        self.models = ModelManager(config.models_path)
        self.embedder = self.models.best_scene_embedder(prefer=config.scene_model)
        self.face_config = FaceConfig(min_face_px=config.faces.min_face_px, min_det_score=config.faces.min_det_score,
                                      detector=config.faces.detector,  # type: ignore[arg-type]
                                      max_detect_pixels=config.faces.max_detect_pixels,
                                      max_shot_detect_pixels=config.faces.max_shot_detect_pixels,
                                      max_faces_per_shot=config.faces.max_faces_per_shot)
        self.face_model = (self.models.best_face_model(self.face_config, prefer=config.faces.pack)
                           if config.faces.enabled else None)
        overrides = {k: v for k, v in vars(config.clusters).items() if v is not None}
        self.cluster_config = ClusterConfig.for_model(self.embedder.model_id, **overrides)
        self.ingestor = Ingestor(self.store, config.media_cache, self.embedder, self.face_model,
                                 PipelineSettings(DetectorConfig(), KeyframeConfig(),
                                                  config.faces.extra_samples_per_shot))
        self.jobs = JobManager()
        self.lock = threading.RLock()  # guards the scene index and every assignment write
        self._load_scene_index()
        from .feedback import Feedback  # imported here: feedback builds on this module
        self.feedback = Feedback(self)
        log.info("project open", extra={"data_dir": str(config.data_dir), "scene_model": self.embedder.model_id,
                                        "face_model": self.face_model.model_id if self.face_model else None,
                                        "shots": len(self.shot_vectors)})

    def close(self) -> None:
        self.jobs.shutdown()
        self.store.optimize()

    # ------------------------------------------------------------------------------------------
    # scene index: shot vectors of the active model, cluster state, assignments
    # ------------------------------------------------------------------------------------------
    def _keyframe_vectors(self, where: str) -> dict[str, np.ndarray]:
        """Keyframe vectors of the rows ``where`` selects, per shot, in frame order."""
        by_shot: dict[str, list[tuple[int, list[float]]]] = defaultdict(list)
        for row in self.store.read("keyframes", where, columns=["shot_id", "frame", "vector"]).to_pylist():
            by_shot[row["shot_id"]].append((row["frame"], row["vector"]))
        return {sid: np.asarray([v for _, v in sorted(rows)], np.float32) for sid, rows in by_shot.items()}

    def _load_scene_index(self) -> None:
        self.raw_vectors: dict[str, np.ndarray] = self._keyframe_vectors(
            f"model_id = {quote(self.embedder.model_id)}")
        self.adapter = self._load_active_adapter()
        self.shot_vectors = {sid: self._adapt(v) for sid, v in self.raw_vectors.items()}
        self.clusters: dict[str, dict] = {r["cluster_id"]: r for r in self.store.rows("clusters")}
        self.assignments: dict[str, dict] = {r["shot_id"]: r for r in self.store.rows("assignments")}
        stale = [sid for sid in self.assignments if sid not in self.shot_vectors]
        if stale:  # shots of retired files or of another model: not comparable, not placed
            self.store.delete("assignments", in_list("shot_id", stale))
            for sid in stale:
                del self.assignments[sid]
        self.clusterer = self._build_clusterer()
        unplaced = [sid for sid in self.shot_vectors if sid not in self.assignments]
        if unplaced:  # e.g. a crash between a file's commit and its placement
            self._place(unplaced)

    def _build_clusterer(self, assignment: dict[str, str | None] | None = None) -> OnlineClusterer:
        """Cluster representatives from the current (or given) assignment. New ids count up from
        every id in the clusters table, which keeps merged bins' rows, so no id is ever reused."""
        ids = list(self.shot_vectors)
        if ids:
            assignment = assignment if assignment is not None else {s: self._cluster_of(s) for s in ids}
            vectors = np.stack([shot_vector(self.shot_vectors[s]) for s in ids])
            clusterer = OnlineClusterer.from_assignment(assignment, ids, vectors, self._flags(),
                                                        self.cluster_config)
        else:
            clusterer = OnlineClusterer(self.embedder.dim, self.cluster_config)
        clusterer.mint = IdMinter("scene", self.clusters)
        for cid, flags in self._flags().items():
            clusterer.set_flags(cid, flags)
        return clusterer

    def _flags(self) -> dict[str, ClusterFlags]:
        return {cid: ClusterFlags(locked=r["locked"], named=r["named"], touched=r["touched"], seen=r["seen"])
                for cid, r in self.clusters.items()}

    def _cluster_of(self, shot_id: str) -> str | None:
        row = self.assignments.get(shot_id)
        return row["cluster_id"] or None if row else None

    def _adapt(self, vectors: np.ndarray) -> np.ndarray:
        return self.adapter.apply(vectors) if self.adapter is not None else vectors

    def _load_active_adapter(self):
        rows = [r for r in self.store.rows("adapters", "active = true") if r["model_id"] == self.embedder.model_id]
        if not rows:
            return None
        return Adapter.load(self.config.data_dir / rows[0]["path"])

    def cannot_links(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = defaultdict(set)
        for row in self.store.rows("constraints", f"kind = {quote('shot_not_cluster')}"):
            out[row["a_id"]].add(row["b_id"])
        return out

    def _place(self, shot_ids: list[str]) -> None:
        """Online assignment of new shots (ingest): join, found, or go to noise."""
        forbidden = self.cannot_links()
        with self.lock:
            placements = [self.clusterer.assign(sid, self.shot_vectors[sid], forbidden.get(sid, ()))
                          for sid in shot_ids]
            # a new shot that matches a lone noise shot founds a bin with it: move that one too
            placed = {p.shot_id for p in placements}
            for p in list(placements):
                for partner in p.promoted:  # the clusterer has already counted it in the new bin
                    scores = self.clusterer.score(self.shot_vectors[partner])
                    cands = self.clusterer.candidates(scores, forbidden.get(partner, ()))
                    moved = Placement(partner, p.cluster_id, dict(cands).get(p.cluster_id, p.score), cands)
                    if partner in placed:
                        placements = [moved if q.shot_id == partner else q for q in placements]
                    else:
                        placements.append(moved)
            self.create_clusters([p.cluster_id for p in placements if p.founded])
            self.write_placements(placements, pinned=False)

    def create_clusters(self, cluster_ids: list[str], **values: Any) -> None:
        """Store new scene clusters (unnamed, unflagged unless ``values`` say otherwise)."""
        now = utcnow()
        rows = [{"cluster_id": cid, "kind": "scene", "name": "", "named": False, "locked": False, "seen": False,
                 "touched": False, "created_at": now, "updated_at": now, **values} for cid in cluster_ids]
        self.store.add("clusters", rows)
        for row in rows:
            self.clusters[row["cluster_id"]] = row

    def write_placements(self, placements: list[Placement], pinned: bool) -> None:
        now = utcnow()
        rows = []
        for p in placements:
            rows.append({"shot_id": p.shot_id, "cluster_id": p.cluster_id or "", "score": float(p.score),
                         "noise": p.cluster_id is None, "pinned": pinned,
                         "candidates_json": json.dumps([[c, round(float(s), 4)] for c, s in p.candidates]),
                         "updated_at": now})
        self.store.upsert("assignments", "shot_id", rows)
        for row in rows:
            self.assignments[row["shot_id"]] = row

    def ensure_cluster(self, cluster_id: str) -> dict:
        row = self.clusters.get(cluster_id)
        if row is None:
            raise NotFound(f"no cluster with id {cluster_id!r}")
        return row

    def update_cluster(self, cluster_id: str, **values: Any) -> None:
        row = dict(self.ensure_cluster(cluster_id), **values, updated_at=utcnow())
        self.store.upsert("clusters", "cluster_id", [row])
        self.clusters[cluster_id] = row
        self.clusterer.set_flags(cluster_id, ClusterFlags(locked=row["locked"], named=row["named"],
                                                          touched=row["touched"], seen=row["seen"]))

    def members(self, cluster_id: str) -> list[str]:
        return sorted(s for s, r in self.assignments.items() if r["cluster_id"] == cluster_id)

    # ------------------------------------------------------------------------------------------
    # ingest jobs
    # ------------------------------------------------------------------------------------------
    def start_ingest(self, paths: list[str], recursive: bool = True, force: bool = False) -> dict:
        if not paths:
            raise InvalidInput("give at least one file or folder to ingest")
        files = discover(paths, recursive)
        explicit = {Path(p).expanduser().resolve() for p in paths if not Path(p).expanduser().is_dir()}
        for path in files:
            if path in explicit:  # a file named on its own must be a video: say so now, store nothing
                probe(str(path))
        job = self.jobs.submit("ingest", paths, [str(f) for f in files], self._ingest_work(files, force),
                               scene_model_id=self.embedder.model_id,
                               face_model_id=self.face_model.model_id if self.face_model else "")
        return self._job_dict(job)

    def _ingest_work(self, files: list[Path], force: bool) -> Callable[[JobContext], None]:
        def work(ctx: JobContext) -> None:
            log.info("ingest started", extra={"job_id": ctx.job.job_id, "files": len(files),
                                              "scene_model": self.embedder.model_id,
                                              "face_model": self.face_model.model_id if self.face_model else None})
            for outcome, path in zip(ctx.job.files, files):
                ctx.check_cancelled()
                started = time.monotonic()

                def progress(stage: str, done: int, total: int, _file: str = str(path)) -> None:
                    ctx.emit(file=_file, stage=stage, frames_done=done, frames_total=total)

                try:
                    result = self.ingestor.ingest(path, force, progress, ctx.cancel_requested.is_set)
                except InvalidInput as exc:
                    outcome.status, outcome.message = "failed", str(exc)
                    ctx.emit(file=str(path), stage="done", message=f"failed: {exc}")
                    continue
                outcome.__dict__.update(result.__dict__)
                if result.status in ("ingested", "replaced"):
                    self._after_commit(result.media_id)
                    ctx.job.shots_found += result.shots
                ctx.emit(file=str(path), stage="done", message=result.message or result.status)
                log.info("file ingested", extra={"job_id": ctx.job.job_id, "path": str(path),
                                                 "status": result.status, "shots": result.shots,
                                                 "faces": result.faces,
                                                 "seconds": round(time.monotonic() - started, 2)})
            self.store.optimize()
        return work

    def _after_commit(self, media_id: str) -> None:
        """Load a committed file's vectors into the index and place its shots; retire shots of
        versions it replaced."""
        committed = self._keyframe_vectors(f"media_id = {quote(media_id)}")
        with self.lock:
            live = set(self.store.read("shots", columns=["shot_id"]).column("shot_id").to_pylist())
            gone = [s for s in self.raw_vectors if s not in live]
            for sid in gone:
                self.clusterer.forget_noise(sid)
                cid = self._cluster_of(sid)
                if cid and cid in self.clusterer:
                    self.clusterer.remove(cid, self.shot_vectors[sid])
                self.raw_vectors.pop(sid, None)
                self.shot_vectors.pop(sid, None)
                self.assignments.pop(sid, None)
            if gone:
                self.store.delete("assignments", in_list("shot_id", gone))
            for sid, vectors in committed.items():
                self.raw_vectors[sid] = vectors
                self.shot_vectors[sid] = self._adapt(vectors)
            self._place(sorted(committed))
        self.refresh_characters()

    def watch_job(self, job_id: str, alive: Callable[[], bool]) -> Iterator[dict]:
        for event in self.jobs.watch(job_id, alive):
            yield {**event.__dict__, "state": _job_state(event.state)}

    def get_job(self, job_id: str) -> dict:
        return self._job_dict(self.jobs.get(job_id))

    def list_jobs(self) -> list[dict]:
        return [self._job_dict(j) for j in self.jobs.list()]

    def cancel_job(self, job_id: str) -> dict:
        return self._job_dict(self.jobs.cancel(job_id))

    @staticmethod
    def _job_dict(job) -> dict:
        return {"job_id": job.job_id, "kind": job.kind, "state": _job_state(job.state), "paths": job.paths,
                "created_at": job.created_at, "finished_at": job.finished_at, "files_total": len(job.files),
                "files_done": job.files_done, "shots_found": job.shots_found, "error": job.error,
                "files": [f.__dict__ for f in job.files], "scene_model_id": job.scene_model_id,
                "face_model_id": job.face_model_id}

    def start_reembed(self) -> dict:
        """Re-embed every keyframe (and re-detect faces on keyframes) with the active models,
        from the stored keyframe JPEGs, then recluster keeping ids stable."""
        media = self.store.rows("media")
        stale = [m for m in media if m["scene_model_id"] != self.embedder.model_id
                 or m["face_model_id"] != (self.face_model.model_id if self.face_model else "")]

        def work(ctx: JobContext) -> None:
            for outcome, row in zip(ctx.job.files, stale):
                ctx.check_cancelled()
                ctx.emit(file=row["path"], stage="embed")
                outcome.media_id = row["media_id"]
                outcome.shots = self.ingestor.reembed(row)
                outcome.status = "replaced"
                ctx.job.shots_found += outcome.shots
            with self.lock:
                self._load_scene_index()
            if stale:
                self.recluster(use_adapter=True)
            self.refresh_characters()

        job = self.jobs.submit("reembed", [], [m["path"] for m in stale], work,
                               scene_model_id=self.embedder.model_id,
                               face_model_id=self.face_model.model_id if self.face_model else "")
        return self._job_dict(job)

    # ------------------------------------------------------------------------------------------
    # read side: media, shots, keyframes, the cluster tree
    # ------------------------------------------------------------------------------------------
    def list_media(self) -> list[dict]:
        return [_media_dict(m) for m in self.store.rows("media")]

    def get_media(self, media_id: str) -> dict:
        rows = self.store.rows("media", f"media_id = {quote(media_id)}")
        if not rows:
            raise NotFound(f"no media with id {media_id!r}")
        return _media_dict(rows[0])

    def list_shots(self, media_id: str = "", cluster_id: str = "") -> list[dict]:
        where = f"media_id = {quote(media_id)}" if media_id else None
        shots = self.store.rows("shots", where)
        if cluster_id:
            wanted = "" if cluster_id == NOISE_ID else cluster_id
            shots = [s for s in shots if self._cluster_of(s["shot_id"]) == (wanted or None)
                     and s["shot_id"] in self.assignments]
        return self._shot_dicts(shots)

    def _shot_dicts(self, shots: list[dict]) -> list[dict]:
        if not shots:
            return []
        media_ids = sorted({s["media_id"] for s in shots})
        media = {m["media_id"]: m for m in self.store.rows("media", in_list("media_id", media_ids))}
        sources = {mid: _source_media(m) for mid, m in media.items()}
        keyframes: dict[str, list[dict]] = defaultdict(list)
        for k in self.store.read("keyframes", in_list("media_id", media_ids),
                                 columns=["keyframe_id", "shot_id", "frame", "time_s", "sharpness"]).to_pylist():
            keyframes[k["shot_id"]].append(k)
        faces = self.faces_by_shot(media_ids)
        characters = self.face_characters()
        names = {cid: r["name"] for cid, r in self.clusters.items()}
        out = []
        for s in sorted(shots, key=lambda r: (media[r["media_id"]]["path"], r["idx"])):
            m = media[s["media_id"]]
            source = sources[s["media_id"]]
            a = self.assignments.get(s["shot_id"], {})
            shot_faces = faces.get(s["shot_id"], [])
            out.append({
                "shot_id": s["shot_id"], "media_id": s["media_id"], "index": s["idx"],
                "start_frame": s["start_frame"], "end_frame": s["end_frame"], "start_s": s["start_s"],
                "end_s": s["end_s"], "moving": s["moving"], "media_path": m["path"],
                "source_in": source_timecode(source, s["start_frame"]),
                "source_out": source_timecode(source, s["end_frame"]),
                "cluster_id": a.get("cluster_id", ""), "score": a.get("score", 0.0), "noise": a.get("noise", True),
                "pinned": a.get("pinned", False),
                "candidates": [{"cluster_id": c, "score": sc, "name": names.get(c, "")}
                               for c, sc in json.loads(a.get("candidates_json") or "[]")],
                "keyframes": sorted(keyframes.get(s["shot_id"], []), key=lambda k: k["frame"]),
                "face_count": len(shot_faces),
                "character_ids": sorted({characters[f["face_id"]] for f in shot_faces if f["face_id"] in characters}),
            })
        return out

    def keyframe_image(self, keyframe_id: str, thumbnail: bool) -> dict:
        rows = self.store.rows("keyframes", f"keyframe_id = {quote(keyframe_id)}")
        if not rows:
            raise NotFound(f"no keyframe with id {keyframe_id!r}")
        path = self.config.media_cache / rows[0]["thumb_path" if thumbnail else "image_path"]
        if not path.is_file():
            raise NotFound(f"keyframe image {path} is missing from the data dir (re-ingest the file)")
        data = path.read_bytes()
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
        return {"data": data, "mime_type": "image/jpeg", "width": image.shape[1], "height": image.shape[0]}

    def cluster_tree(self, include_shots: bool = True) -> dict:
        shots = self._shot_dicts(self.store.rows("shots")) if include_shots else []
        by_cluster: dict[str, list[dict]] = defaultdict(list)
        for shot in shots:
            if shot["shot_id"] in self.assignments:
                by_cluster[shot["cluster_id"] or NOISE_ID].append(shot)
        counts: dict[str, int] = defaultdict(int)
        for row in self.assignments.values():
            counts[row["cluster_id"] or NOISE_ID] += 1
        character_names = self.character_names()
        clusters = []
        for cid, row in sorted(self.clusters.items()):
            if row["kind"] != "scene" or (counts.get(cid, 0) == 0 and not row["named"]):
                continue  # an empty, unnamed bin is noise in the panel; named ones stay for the editor
            members = by_cluster.get(cid, [])
            clusters.append(self._cluster_dict(row, counts.get(cid, 0), members, character_names))
        noise = {"cluster_id": NOISE_ID, "kind": "noise", "name": "Noise", "shot_count": counts.get(NOISE_ID, 0),
                 "shots": by_cluster.get(NOISE_ID, [])}
        return {"clusters": clusters, "noise": noise, "scene_model_id": self.embedder.model_id}

    def _cluster_dict(self, row: dict, count: int, shots: list[dict], character_names: dict[str, str]) -> dict:
        by_cast: dict[tuple[str, ...], list[dict]] = defaultdict(list)
        for shot in shots:
            if shot["character_ids"]:
                by_cast[tuple(shot["character_ids"])].append(shot)
        name = row["name"] or row["cluster_id"]
        children = [{
            "cluster_id": f"{row['cluster_id']}/{'+'.join(cast)}", "kind": "character",
            "name": f"{name} with {', '.join(character_names.get(c, c) for c in cast)}",
            "shot_count": len(members), "shots": members, "character_ids": list(cast),
        } for cast, members in sorted(by_cast.items())]
        return {"cluster_id": row["cluster_id"], "kind": "scene", "name": name, "locked": row["locked"],
                "named": row["named"], "shot_count": count, "shots": shots, "children": children,
                "character_ids": sorted({c for cast in by_cast for c in cast})}

    def get_cluster(self, cluster_id: str, include_shots: bool = True) -> dict:
        tree = self.cluster_tree(include_shots)
        for cluster in [*tree["clusters"], tree["noise"]]:
            if cluster["cluster_id"] == cluster_id:
                return cluster
        row = self.ensure_cluster(cluster_id)
        return self._cluster_dict(row, 0, [], {})

    def mark_seen(self, cluster_ids: list[str]) -> None:
        with self.lock:
            for cid in cluster_ids:
                self.update_cluster(cid, seen=True)

    def review_queue(self, limit: int) -> list[dict]:
        placements = [Placement(sid, r["cluster_id"] or None, r["score"],
                                [(c, s) for c, s in json.loads(r["candidates_json"] or "[]")])
                      for sid, r in self.assignments.items() if not r["pinned"]]
        ordered = review_queue(placements)[:limit]
        shots = {s["shot_id"]: s for s in self._shot_dicts(
            self.store.rows("shots", in_list("shot_id", [p.shot_id for p in ordered])))} if ordered else {}
        return [{"shot": shots[p.shot_id], "margin": margin(p)} for p in ordered if p.shot_id in shots]

    # ------------------------------------------------------------------------------------------
    # recluster, adapter
    # ------------------------------------------------------------------------------------------
    def recluster(self, use_adapter: bool = True) -> dict:
        started = time.monotonic()
        with self.lock:
            ids = sorted(self.shot_vectors)
            if not ids:
                return {"shots_total": 0, "seconds": 0.0}
            source = self.shot_vectors if use_adapter else self.raw_vectors
            vectors = np.stack([shot_vector(source[s]) for s in ids])
            previous = {s: self._cluster_of(s) for s in ids}
            must = {s: r["cluster_id"] for s, r in self.assignments.items() if r["pinned"] and r["cluster_id"]}
            forbidden = self.cannot_links()
            cannot = [(s, c) for s, cs in forbidden.items() for c in cs]
            result = recluster(ids, vectors, previous, self._flags(), must, cannot, self.cluster_config,
                               mint=self.clusterer.mint)
            self.create_clusters([c for c in result.report.created if c not in self.clusters])
            noise_before = sum(1 for c in previous.values() if c is None)
            changed = [s for s in ids if result.assignment.get(s) != previous.get(s)]
            self.clusterer = self._build_clusterer(result.assignment)
            placements = []
            for s in changed:
                cid = result.assignment.get(s)
                scores = self.clusterer.score(self.shot_vectors[s])
                own = dict(zip(self.clusterer.ids, scores.tolist()))
                cands = self.clusterer.candidates(scores, forbidden.get(s, ()))
                placements.append(Placement(s, cid, own.get(cid, cands[0][1] if cands else 0.0), cands))
            pinned = {p.shot_id for p in placements if self.assignments.get(p.shot_id, {}).get("pinned")}
            self.write_placements([p for p in placements if p.shot_id not in pinned], pinned=False)
            self.write_placements([p for p in placements if p.shot_id in pinned], pinned=True)
            after = set(result.assignment.values()) - {None}
            report = {
                "shots_total": len(ids), "shots_moved": len(result.report.moved),
                "clusters_before": len(set(previous.values()) - {None}), "clusters_after": len(after),
                "clusters_created": len(result.report.created), "clusters_merged": len(result.report.merged),
                "noise_before": noise_before,
                "noise_after": sum(1 for c in result.assignment.values() if c is None),
                "adapter_version": self.active_adapter_version() if use_adapter else "",
                "seconds": round(time.monotonic() - started, 3),
            }
        log.info("reclustered", extra=report)
        return report

    def active_adapter_version(self) -> str:
        rows = self.store.rows("adapters", "active = true")
        return rows[0]["version"] if rows else ""

    def train_adapter(self, epochs: int = 0, holdout: float = 0.0) -> dict:
        """Fit an adapter on the scene triplets, keep it as a new version, and activate it only
        if held-out triplet accuracy improves on the raw model's."""
        with self.lock:
            triplets = [Triplet(r["anchor_id"], r["positive_id"], r["negative_id"], r["label"], 0.0)
                        for r in self.store.rows("training_feedback")
                        if all(i in self.raw_vectors for i in (r["anchor_id"], r["positive_id"], r["negative_id"]))]
            if len(triplets) < MIN_TRIPLETS:
                return {"activated": False, "triplets_train": len(triplets),
                        "active_version": self.active_adapter_version(),
                        "message": f"{len(triplets)} scene triplets so far; an adapter needs at least "
                                   f"{MIN_TRIPLETS} (each correction adds a few)"}
            ids = {i for t in triplets for i in (t.anchor_id, t.positive_id, t.negative_id)}
            vectors = {i: shot_vector(self.raw_vectors[i]) for i in ids}
            version = f"v{self.store.count('adapters') + 1}"
            adapter, metrics = fit(triplets, vectors, epochs=epochs or 150, val_fraction=holdout or 0.25,
                                   version=version, base_model_id=self.embedder.model_id)
            path = Path("adapters") / f"{version}.npz"
            (self.config.data_dir / "adapters").mkdir(exist_ok=True)
            adapter.save(self.config.data_dir / path)
            improved = bool(metrics["after"] > metrics["before"])
            self.store.add("adapters", [{"version": version, "created_at": utcnow(),
                                         "model_id": self.embedder.model_id, "path": str(path), "active": False,
                                         "validation_before": float(metrics["before"]),
                                         "validation_after": float(metrics["after"])}])
            if improved:
                self.activate_adapter(version)
        return {"version": version, "activated": improved, "validation_before": float(metrics["before"]),
                "validation_after": float(metrics["after"]), "triplets_train": metrics["n_train"],
                "triplets_validation": metrics["n_val"], "active_version": self.active_adapter_version(),
                "message": "activated: run a recluster to apply it to every bin" if improved else
                           "kept inactive: it did not beat the raw model on held-out corrections"}

    def list_adapters(self) -> list[dict]:
        return sorted(self.store.rows("adapters"), key=lambda r: r["created_at"])

    def activate_adapter(self, version: str) -> dict:
        """Make ``version`` the active adapter ("" for none: raw model vectors). Vectors are
        re-adapted at once; bins change on the next recluster, so the editor decides when."""
        with self.lock:
            rows = {r["version"]: r for r in self.store.rows("adapters")}
            if version and version not in rows:
                raise NotFound(f"no adapter version {version!r} (have: {', '.join(sorted(rows)) or 'none'})")
            if version and rows[version]["model_id"] != self.embedder.model_id:
                raise Conflict(f"adapter {version} was trained for {rows[version]['model_id']}, "
                               f"not the active scene model {self.embedder.model_id}")
            self.store.upsert("adapters", "version", [dict(r, active=(v == version)) for v, r in rows.items()])
            self.adapter = self._load_active_adapter()
            self.shot_vectors = {sid: self._adapt(v) for sid, v in self.raw_vectors.items()}
            self.clusterer = self._build_clusterer()
            row = rows.get(version, {})
        return {"version": version, "activated": bool(version), "active_version": version,
                "validation_before": row.get("validation_before", 0.0),
                "validation_after": row.get("validation_after", 0.0)}

    # ------------------------------------------------------------------------------------------
    # characters
    # ------------------------------------------------------------------------------------------
    def faces_by_shot(self, media_ids: list[str] | None = None) -> dict[str, list[dict]]:
        where = in_list("media_id", media_ids) if media_ids else None
        out: dict[str, list[dict]] = defaultdict(list)
        for f in self.store.read("faces", where, columns=["face_id", "shot_id", "frame", "det_score", "size_px",
                                                          "sharpness", "model_id"]).to_pylist():
            out[f["shot_id"]].append(f)
        return out

    def face_characters(self) -> dict[str, str]:
        return {r["face_id"]: r["character_id"] for r in self.store.rows("face_assignments") if r["character_id"]}

    def character_names(self) -> dict[str, str]:
        return {r["character_id"]: r["name"] or r["character_id"] for r in self.store.rows("characters")}

    def refresh_characters(self) -> None:
        """Regroup every face of the active face model into characters, keeping ids, names,
        pins, merges and "not this person" from earlier runs."""
        if self.face_model is None:
            return
        with self.lock:
            rows = self.store.rows("faces", f"model_id = {quote(self.face_model.model_id)}")
            faces = [CharacterFace(r["face_id"], r["shot_id"], r["frame"], r["det_score"], r["size_px"],
                                   r["sharpness"], np.asarray(r["vector"], np.float32)) for r in rows]
            assigned = {r["face_id"]: r for r in self.store.rows("face_assignments")}
            previous = {f: (r["character_id"] or None) for f, r in assigned.items()}
            pins = {f: r["character_id"] for f, r in assigned.items() if r["pinned"] and r["character_id"]}
            rejected = [(r["a_id"], r["b_id"])
                        for r in self.store.rows("constraints", f"kind = {quote('face_not_character')}")]
            known = {r["character_id"]: r for r in self.store.rows("characters")}
            result = cluster_characters(faces, self.character_config(), previous, pins, rejected,
                                        mint=IdMinter("char", known))
            self.store.upsert("face_assignments", "face_id", [
                {"face_id": f, "character_id": c or "", "pinned": f in pins}
                for f, c in result.face_character.items()])
            now = utcnow()
            used = {c for c in result.face_character.values() if c}
            self.store.add("characters", [{"character_id": c, "name": "", "named": False,
                                           "model_id": self.face_model.model_id, "created_at": now}
                                          for c in sorted(used - set(known))])
            unused = [c for c, r in known.items() if c not in used and not r["named"]]
            if unused:
                self.store.delete("characters", in_list("character_id", unused))

    def character_config(self) -> CharacterConfig:
        assert self.face_model is not None
        return CharacterConfig(match_threshold=self.face_model.match_threshold)

    def new_character(self, model_id: str) -> str:
        ids = [r["character_id"] for r in self.store.rows("characters")]
        character_id = IdMinter("char", ids)()
        self.store.add("characters", [{"character_id": character_id, "name": "", "named": False,
                                       "model_id": model_id, "created_at": utcnow()}])
        return character_id

    def list_characters(self) -> list[dict]:
        faces = {r["face_id"]: r for r in self.store.read(
            "faces", columns=["face_id", "shot_id", "det_score", "size_px"]).to_pylist()}
        members: dict[str, list[dict]] = defaultdict(list)
        for face_id, character_id in self.face_characters().items():
            if face_id in faces:
                members[character_id].append(faces[face_id])
        out = []
        for row in sorted(self.store.rows("characters"), key=lambda r: r["character_id"]):
            own = members.get(row["character_id"], [])
            best = max(own, key=lambda f: f["det_score"] * f["size_px"], default=None)
            out.append({"character_id": row["character_id"], "name": row["name"] or row["character_id"],
                        "face_count": len(own), "shot_count": len({f["shot_id"] for f in own}),
                        "sample_face_id": best["face_id"] if best else "", "model_id": row["model_id"]})
        return out

    # ------------------------------------------------------------------------------------------
    # search
    # ------------------------------------------------------------------------------------------
    def search_similar(self, shot_id: str, limit: int) -> dict:
        if shot_id not in self.shot_vectors:
            raise NotFound(f"no shot with id {shot_id!r} embedded by {self.embedder.model_id}")
        return self._search(self.shot_vectors[shot_id], limit, exclude=shot_id)

    def search_text(self, query: str, limit: int) -> dict:
        if not query.strip():
            raise InvalidInput("the search text is empty")
        if not self.embedder.supports_text:
            raise Conflict(f"text search needs a CLIP model; the active scene model {self.embedder.model_id} "
                           f"has no text tower (see `binsight models`)")
        return self._search(self.embedder.embed_texts([query]), limit, exclude="")

    def _search(self, query: np.ndarray, limit: int, exclude: str) -> dict:
        ids = [s for s in self.raw_vectors if s != exclude]
        if not ids:
            return {"hits": [], "model_id": self.embedder.model_id}
        q = np.atleast_2d(query)
        scores = np.array([float((self.raw_vectors[s] @ q.T).max()) for s in ids])
        order = np.argsort(-scores)[:limit]
        shots = {s["shot_id"]: s for s in self._shot_dicts(
            self.store.rows("shots", in_list("shot_id", [ids[i] for i in order])))}
        return {"hits": [{"shot": shots[ids[i]], "score": float(scores[i])} for i in order if ids[i] in shots],
                "model_id": self.embedder.model_id}

    # ------------------------------------------------------------------------------------------
    # export
    # ------------------------------------------------------------------------------------------
    def export_formats(self) -> list[str]:
        return available_formats()

    def binset(self, cluster_ids: list[str] | None = None, include_noise: bool = True,
               project_name: str = "") -> BinSet:
        tree = self.cluster_tree(include_shots=True)
        wanted = set(cluster_ids or [])
        unknown = wanted - {c["cluster_id"] for c in tree["clusters"]} - {NOISE_ID}
        if unknown:
            raise NotFound(f"no cluster with id {', '.join(sorted(unknown))}")
        media = {m["media_id"]: _source_media(m) for m in self.store.rows("media")}
        names = self.character_names()

        def clip(shot: dict) -> BinClip:
            return BinClip(shot_id=shot["shot_id"], name=f"{media[shot['media_id']].name} #{shot['index'] + 1}",
                           media=media[shot["media_id"]], start_frame=shot["start_frame"],
                           end_frame=shot["end_frame"], keyframes=tuple(k["frame"] for k in shot["keyframes"]),
                           characters=tuple(names.get(c, c) for c in shot["character_ids"]),
                           score=float(shot["score"]))

        bins = []
        for c in tree["clusters"]:
            if wanted and c["cluster_id"] not in wanted:
                continue
            bins.append(Bin(c["cluster_id"], c["name"], "scene", [clip(s) for s in c["shots"]],
                            [Bin(ch["cluster_id"], ch["name"], "character", [clip(s) for s in ch["shots"]])
                             for ch in c["children"]]))
        if include_noise and (not wanted or NOISE_ID in wanted) and tree["noise"]["shots"]:
            bins.append(Bin(NOISE_ID, "Noise", "noise", [clip(s) for s in tree["noise"]["shots"]]))
        return BinSet(project=project_name or self.config.data_dir.name, bins=bins)

    def export(self, fmt: str, cluster_ids: list[str] | None = None, include_noise: bool = True,
               out_dir: str = "", options: dict[str, str] | None = None, project_name: str = "") -> list[dict]:
        try:
            exporter = get_exporter(fmt)
        except KeyError:
            raise InvalidInput(f"unknown export format {fmt!r}; choose one of {', '.join(available_formats())}") \
                from None
        try:
            export_options = ExportOptions(project_name=project_name or None, include_noise=include_noise,
                                           **(options or {}))
        except (TypeError, ValueError) as exc:
            raise InvalidInput(f"bad export options {options}: {exc}") from None
        binset = self.binset(cluster_ids, include_noise, project_name)
        if out_dir:
            target = Path(out_dir).expanduser()
            target.mkdir(parents=True, exist_ok=True)
            return [{"name": p.name, "path": str(p)} for p in exporter.write(binset, target, export_options)]
        with tempfile.TemporaryDirectory() as tmp:
            return [{"name": p.name, "data": p.read_bytes()} for p in exporter.write(binset, Path(tmp), export_options)]

    # ------------------------------------------------------------------------------------------
    # status
    # ------------------------------------------------------------------------------------------
    def status(self) -> dict:
        described = self.models.describe(self.face_config if self.face_model else None)
        noise = sum(1 for r in self.assignments.values() if r["noise"])
        notes = list(described["notes"])
        stale = self.store.count("media", f"scene_model_id != {quote(self.embedder.model_id)}")
        if stale:
            notes.append(f"{stale} file(s) were embedded with another scene model and are not clustered: "
                         f"run `binsight reembed`")
        if not self.config.faces.enabled:
            notes.append("faces are off in the configuration (faces.enabled = false)")
        face = self.face_model
        return {
            "version": __version__, "schema_version": SCHEMA_VERSION, "data_dir": str(self.config.data_dir),
            "address": self.address,
            "scene_model": {"name": self.embedder.model_id, "kind": "scene", "model_id": self.embedder.model_id,
                            "provider": self.embedder.provider, "license": described["scene_license"],
                            "active": True, "installed": True},
            "face_model": {"name": face.model_id if face else "", "kind": "face",
                           "model_id": face.model_id if face else "", "provider": face.provider if face else "",
                           "license": face.license if face else "", "active": face is not None,
                           "installed": face is not None},
            "media_count": self.store.count("media"), "shot_count": len(self.assignments),
            "cluster_count": len({r["cluster_id"] for r in self.assignments.values() if r["cluster_id"]}),
            "noise_count": noise, "face_count": self.store.count("faces"),
            "character_count": self.store.count("characters"), "notes": notes,
            "active_adapter": self.active_adapter_version(),
        }

    def list_models(self) -> list[dict]:
        active = {self.embedder.model_id, self.face_model.model_id if self.face_model else ""}
        out = []
        for pack in self.models.list():
            m = pack.manifest
            out.append({"name": m.name, "kind": m.kind, "model_id": m.model_id, "license": m.license,
                        "installed": True, "path": str(pack.path), "active": m.model_id in active})
        return out


def _job_state(state: str) -> str:
    return f"JOB_STATE_{state.upper()}"


def _media_dict(m: dict) -> dict:
    rate, aspect = Fraction(m["frame_rate"]), Fraction(m["pixel_aspect"])
    return {**{k: v for k, v in m.items() if k not in ("frame_rate", "pixel_aspect", "size_bytes")},
            "frame_rate": {"num": rate.numerator, "den": rate.denominator},
            "pixel_aspect": {"num": aspect.numerator, "den": aspect.denominator}}


def _source_media(m: dict) -> SourceMedia:
    rotated = m["rotation"] in (90, 270)
    return SourceMedia(media_id=m["media_id"], path=m["path"], name=Path(m["path"]).name,
                       frame_rate=nle_rate(Fraction(m["frame_rate"])), drop_frame=m["drop_frame"],
                       start_timecode=m["start_timecode"] or "00:00:00:00", reel=m["reel"] or None,
                       width=m["height"] if rotated else m["width"], height=m["width"] if rotated else m["height"],
                       duration_frames=m["frame_count"], has_audio=m["has_audio"],
                       audio_channels=m["audio_channels"], audio_sample_rate=m["audio_sample_rate"])
