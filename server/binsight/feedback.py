"""Editor corrections. Each action changes the project, is logged (who, when, from, to) and is
turned into training triplets — all persisted before the call returns — and then the noise
bucket is re-scored, because a correction can make an unsure shot sure.

Scene actions pin the shots they move (a recluster leaves them where the editor put them) and
mark the clusters touched (a recluster keeps their ids). "Not this one" is stored as a
cannot-link that every later placement and recluster respects.
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any, Iterable

import numpy as np

from .clustering.adapter import (Triplet, triplets_for_merge, triplets_for_move, triplets_for_reject,
                                 triplets_for_split)
from .clustering.types import Placement
from .errors import Conflict, InvalidInput, NotFound
from .jobs import utcnow
from .store import quote

if TYPE_CHECKING:
    from .project import Project

class Feedback:
    def __init__(self, project: "Project") -> None:
        self.project = project

    # ------------------------------------------------------------------------------------------
    # scene actions
    # ------------------------------------------------------------------------------------------
    def move_shot(self, shot_id: str, to_cluster_id: str, actor: str) -> dict:
        p = self.project
        with p.lock:
            self._shot(shot_id)
            source = p._cluster_of(shot_id)
            target = to_cluster_id or None
            if target is not None:
                self._unlocked(target)
            if source is not None:
                self._unlocked(source)
            self._move([shot_id], target)
            event = self._log("move_shot", actor, shot_id, source or "", target or "")
            triplets = self._store_triplets(event, triplets_for_move(
                shot_id, source, target, self._members(), self._rng(event)) if target else [])
            affected = [c for c in (source, target) if c]
            self._touch(affected)
            self._rescore_noise()
        return self._result(event, affected, triplets)

    def merge_clusters(self, cluster_ids: list[str], actor: str) -> dict:
        p = self.project
        if len(cluster_ids) < 2 or len(set(cluster_ids)) != len(cluster_ids):
            raise InvalidInput("merging needs two or more different cluster ids (the first one survives)")
        with p.lock:
            for cid in cluster_ids:
                self._unlocked(cid)
            survivor, others = cluster_ids[0], cluster_ids[1:]
            members = self._members()
            moved = [s for cid in others for s in p.members(cid)]
            self._move(moved, survivor)
            for cid in others:  # an emptied bin leaves the tree; its row stays so its id is never reused
                p.update_cluster(cid, kind="merged")
            event = self._log("merge_clusters", actor, survivor, ",".join(others), survivor,
                              {"shots": moved})
            triplets = self._store_triplets(event, [t for cid in others for t in triplets_for_merge(
                survivor, cid, members, self._rng(event))])
            self._touch([survivor])
            self._rescore_noise()
        return self._result(event, cluster_ids, triplets)

    def split_cluster(self, cluster_id: str, shot_ids: list[str], new_name: str, actor: str) -> dict:
        p = self.project
        with p.lock:
            self._unlocked(cluster_id)
            members = set(p.members(cluster_id))
            strangers = [s for s in shot_ids if s not in members]
            if not shot_ids or strangers:
                raise InvalidInput(f"split needs shots of cluster {cluster_id}; not in it: "
                                   f"{', '.join(strangers) or '(no shots given)'}")
            if len(set(shot_ids)) == len(members):
                raise InvalidInput("a split must leave at least one shot in the original cluster")
            new_id = p.clusterer.mint()
            p.create_clusters([new_id], name=new_name, named=bool(new_name), seen=True, touched=True)
            self._move(shot_ids, new_id)
            event = self._log("split_cluster", actor, cluster_id, cluster_id, new_id, {"shots": shot_ids})
            triplets = self._store_triplets(event, triplets_for_split(
                [p.members(cluster_id), p.members(new_id)], self._rng(event)))
            self._touch([cluster_id, new_id])
        return self._result(event, [cluster_id, new_id], triplets)

    def rename_cluster(self, cluster_id: str, name: str, actor: str) -> dict:
        p = self.project
        with p.lock:
            old = p.ensure_cluster(cluster_id)["name"]
            p.update_cluster(cluster_id, name=name.strip(), named=bool(name.strip()), touched=True)
            event = self._log("rename_cluster", actor, cluster_id, old, name.strip())
        return self._result(event, [cluster_id], 0)

    def lock_cluster(self, cluster_id: str, locked: bool, actor: str) -> dict:
        p = self.project
        with p.lock:
            before = p.ensure_cluster(cluster_id)["locked"]
            p.update_cluster(cluster_id, locked=locked, touched=True)
            event = self._log("lock_cluster", actor, cluster_id, str(before).lower(), str(locked).lower())
        return self._result(event, [cluster_id], 0)

    def reject_shot(self, shot_id: str, cluster_id: str, actor: str) -> dict:
        """"Not this one": the shot leaves the cluster for the noise bucket (with fresh candidates
        that exclude it) and a cannot-link keeps it out of that cluster on every recluster."""
        p = self.project
        with p.lock:
            self._shot(shot_id)
            p.ensure_cluster(cluster_id)
            p.store.add("constraints", [{"kind": "shot_not_cluster", "a_id": shot_id, "b_id": cluster_id,
                                         "created_at": utcnow()}])
            if p._cluster_of(shot_id) == cluster_id:
                self._unlocked(cluster_id)
                self._move([shot_id], None, pinned=False)
            event = self._log("reject_shot", actor, shot_id, cluster_id, "")
            members = self._members()
            members.setdefault(cluster_id, [])
            triplets = self._store_triplets(event, triplets_for_reject(
                shot_id, cluster_id, p._cluster_of(shot_id), members, self._rng(event)))
            self._touch([cluster_id])
            self._rescore_noise()
        return self._result(event, [cluster_id], triplets)

    # ------------------------------------------------------------------------------------------
    # character actions
    # ------------------------------------------------------------------------------------------
    def assign_face(self, face_id: str, character_id: str, actor: str) -> dict:
        p = self.project
        with p.lock:
            face = self._face(face_id)
            before = p.face_characters().get(face_id, "")
            if character_id:
                self._character(character_id)
            else:  # "this is someone new"
                character_id = p.new_character(face["model_id"])
            p.store.upsert("face_assignments", "face_id", [{"face_id": face_id, "character_id": character_id,
                                                             "pinned": True}])
            event = self._log("assign_face", actor, face_id, before, character_id)
            triplets = self._store_triplets(event, triplets_for_move(
                face_id, before or None, character_id, self._face_members(), self._rng(event)))
        p.refresh_characters()
        return self._result(event, [], triplets)

    def merge_characters(self, character_ids: list[str], actor: str) -> dict:
        p = self.project
        if len(character_ids) < 2 or len(set(character_ids)) != len(character_ids):
            raise InvalidInput("merging needs two or more different character ids (the first one survives)")
        with p.lock:
            for cid in character_ids:
                self._character(cid)
            survivor, others = character_ids[0], character_ids[1:]
            rows = [{"face_id": f, "character_id": survivor, "pinned": True}
                    for f, c in p.face_characters().items() if c in others]
            p.store.upsert("face_assignments", "face_id", rows)
            for cid in others:
                p.store.delete("characters", f"character_id = {quote(cid)}")
            event = self._log("merge_characters", actor, survivor, ",".join(others), survivor,
                              {"faces": [r["face_id"] for r in rows]})
        p.refresh_characters()
        return self._result(event, [], 0)

    def reject_face(self, face_id: str, character_id: str, actor: str) -> dict:
        p = self.project
        with p.lock:
            self._face(face_id)
            self._character(character_id)
            p.store.add("constraints", [{"kind": "face_not_character", "a_id": face_id, "b_id": character_id,
                                         "created_at": utcnow()}])
            if p.face_characters().get(face_id) == character_id:
                p.store.upsert("face_assignments", "face_id", [{"face_id": face_id, "character_id": "",
                                                                 "pinned": False}])
            event = self._log("reject_face", actor, face_id, character_id, "")
            members = self._face_members()
            triplets = self._store_triplets(event, triplets_for_reject(
                face_id, character_id, None, members, self._rng(event)))
        p.refresh_characters()
        return self._result(event, [], triplets)

    def rename_character(self, character_id: str, name: str, actor: str) -> dict:
        p = self.project
        with p.lock:
            row = self._character(character_id)
            p.store.upsert("characters", "character_id", [dict(row, name=name.strip(), named=bool(name.strip()))])
            event = self._log("rename_character", actor, character_id, row["name"], name.strip())
        return self._result(event, [], 0)

    # ------------------------------------------------------------------------------------------
    # read side
    # ------------------------------------------------------------------------------------------
    def events(self) -> list[dict]:
        return sorted(self.project.store.rows("feedback"), key=lambda r: r["created_at"])

    def training_jsonl(self) -> tuple[bytes, int]:
        rows = sorted(self.project.store.rows("training_feedback"), key=lambda r: r["timestamp"])
        return "".join(json.dumps(r, sort_keys=True) + "\n" for r in rows).encode(), len(rows)

    # ------------------------------------------------------------------------------------------
    # internals
    # ------------------------------------------------------------------------------------------
    def _shot(self, shot_id: str) -> None:
        if shot_id not in self.project.assignments:
            raise NotFound(f"no shot with id {shot_id!r}")

    def _face(self, face_id: str) -> dict:
        rows = self.project.store.rows("faces", f"face_id = {quote(face_id)}")
        if not rows:
            raise NotFound(f"no face with id {face_id!r}")
        return rows[0]

    def _character(self, character_id: str) -> dict:
        rows = self.project.store.rows("characters", f"character_id = {quote(character_id)}")
        if not rows:
            raise NotFound(f"no character with id {character_id!r}")
        return rows[0]

    def _unlocked(self, cluster_id: str) -> None:
        if self.project.ensure_cluster(cluster_id)["locked"]:
            raise Conflict(f"cluster {cluster_id} is locked: unlock it before moving shots in or out")

    def _move(self, shot_ids: Iterable[str], target: str | None, pinned: bool = True) -> None:
        p = self.project
        placements = []
        cannot = p.cannot_links()
        for sid in shot_ids:
            source = p._cluster_of(sid)
            vectors = p.shot_vectors[sid]
            if source is not None and source in p.clusterer:
                p.clusterer.remove(source, vectors)
            if source is None:
                p.clusterer.forget_noise(sid)
            if target is not None:
                p.clusterer.add(target, vectors)
            candidates = p.clusterer.candidates(p.clusterer.score(vectors), cannot.get(sid, set()))
            score = next((s for c, s in candidates if c == target), candidates[0][1] if candidates else 0.0)
            placements.append(Placement(sid, target, score, candidates))
        p.write_placements(placements, pinned=pinned)

    def _touch(self, cluster_ids: Iterable[str]) -> None:
        for cid in cluster_ids:
            if cid in self.project.clusters:
                self.project.update_cluster(cid, touched=True)

    def _rescore_noise(self) -> None:
        """Give every unpinned noise shot another chance against the corrected clusters."""
        p = self.project
        noise = [s for s, r in p.assignments.items() if r["noise"] and not r["pinned"]]
        if not noise:
            return
        forbidden = p.cannot_links()
        placements = p.clusterer.rescore([(s, p.shot_vectors[s]) for s in noise], forbidden)
        p.write_placements(placements, pinned=False)

    def _log(self, action: str, actor: str, subject: str, from_id: str, to_id: str,
             detail: dict[str, Any] | None = None) -> dict:
        row = {"feedback_id": uuid.uuid4().hex[:16], "action": action, "actor": actor or "unknown",
               "created_at": utcnow(), "subject_id": subject, "from_id": from_id, "to_id": to_id,
               "detail_json": json.dumps(detail or {})}
        self.project.store.add("feedback", [row])
        return row

    def _face_members(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for face_id, character_id in self.project.face_characters().items():
            out.setdefault(character_id, []).append(face_id)
        return out

    def _members(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for sid, row in self.project.assignments.items():
            if row["cluster_id"]:
                out.setdefault(row["cluster_id"], []).append(sid)
        return out

    def _store_triplets(self, event: dict, triplets: list[Triplet]) -> int:
        """Persist triplets with the seed's fields (anchor_id, positive_id, label, timestamp) plus
        the negative and the feedback event they came from."""
        rows = [{"anchor_id": t.anchor_id, "positive_id": t.positive_id, "negative_id": t.negative_id,
                 "label": t.label, "timestamp": event["created_at"], "feedback_id": event["feedback_id"]}
                for t in triplets]
        self.project.store.add("training_feedback", rows)
        return len(rows)

    def _rng(self, event: dict) -> np.random.Generator:
        return np.random.default_rng(int(event["feedback_id"], 16))

    @staticmethod
    def _result(event: dict, affected: list[str], triplets: int) -> dict:
        return {"event": event, "affected_cluster_ids": [c for c in affected if c], "triplets_added": triplets}
