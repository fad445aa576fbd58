"""FeedbackService: every editor correction, its undo and redo, the training data it yields, and
the adapter that learns from it.

Each correction runs as one transaction over the scene and character indexes. What it changed is
read back from them (``changes_since``) and logged with the correction (who, when, from, to), as
the state before it: that is its undo. Every correction is persisted before the call returns and
yields training triplets; the noise bucket is then re-scored, because a correction can make an
unsure shot sure.

Undo puts back exactly what the correction changed, ids, names, members and pins included, and
withdraws its triplets so the adapter never learns from a mistake. It refuses, naming who did
what, when a later correction changed any of the same shots, bins, faces or people: undoing would
silently lose that later work. Redo runs the correction again with its original request.

Scene actions pin the shots they move (a recluster leaves them where the editor put them) and
mark the clusters touched (a recluster keeps their ids). "Not this one" is a cannot-link that
every later placement and recluster respects. A slate correction replaces what OCR read for a
clip (and renames the bins nobody named after it); its undo puts the read back.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..catalog import Catalog
from ..character_index import CharacterChanges, CharacterIndex
from ..clock import utcnow
from ..clustering.adapter import (Triplet, fit, triplets_for_merge, triplets_for_move, triplets_for_reject,
                                  triplets_for_split)
from ..clustering.online import shot_vector
from ..errors import Conflict, InvalidInput, NotFound
from ..faults import fault_point
from ..records import (AdapterRecord, AssignmentRecord, CharacterRecord, ClusterKind, ClusterRecord,
                       ConstraintKind, ConstraintRecord, FaceAssignmentRecord, FeedbackAction, FeedbackRecord,
                       FeedbackState, MediaRecord, SlateRecord, TrainingRecord)
from ..scene_index import SceneIndex
from ..slate_index import SlateIndex
from ..store import Store, decode, encode
from ..validate import check_id, check_ids, check_limit, check_name, check_number, shown
from .labels import relabel_from_slates
from .library import SharedLibrary
from .slates import typed_slate

log = logging.getLogger(__name__)

MIN_TRIPLETS = 8
MAX_EPOCHS = 5000  # a bound, so training is always a short job


@dataclass(frozen=True)
class FeedbackEvent:
    """A logged correction as clients see it (its undo data stays inside)."""

    feedback_id: str
    action: FeedbackAction
    actor: str
    created_at: str
    subject_id: str
    from_id: str
    to_id: str
    detail_json: str
    state: FeedbackState
    applied_at: str
    undone_at: str
    undone_by: str

    @classmethod
    def of(cls, r: FeedbackRecord) -> "FeedbackEvent":
        return cls(r.feedback_id, r.action, r.actor, r.created_at, r.subject_id, r.from_id, r.to_id, r.detail_json,
                   r.state, r.applied_at, r.undone_at, r.undone_by)


@dataclass(frozen=True)
class FeedbackResult:
    event: FeedbackEvent
    affected_cluster_ids: tuple[str, ...]
    triplets_added: int


@dataclass(frozen=True)
class AdapterReport:
    version: str = ""
    activated: bool = False
    validation_before: float = 0.0
    validation_after: float = 0.0
    triplets_train: int = 0
    triplets_validation: int = 0
    message: str = ""
    active_version: str = ""


@dataclass
class _Draft:
    """A correction being made: what it says about itself, filled in by its action."""

    action: FeedbackAction
    actor: str
    subject_id: str
    from_id: str = ""
    to_id: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
    request: dict[str, Any] = field(default_factory=dict)
    triplets: list[Triplet] = field(default_factory=list)
    affected: list[str] = field(default_factory=list)
    constraints: list[str] = field(default_factory=list)  # constraint ids it added
    slates_before: dict[str, SlateRecord | None] = field(default_factory=dict)  # by media id, for undo
    feedback_id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    record: FeedbackRecord | None = None  # the logged correction, once it is logged

    def rng(self) -> np.random.Generator:
        return np.random.default_rng(int(self.feedback_id, 16))


class FeedbackService:
    def __init__(self, store: Store, index: SceneIndex, characters: CharacterIndex, catalog: Catalog,
                 slates: SlateIndex, data_dir: Path, library: SharedLibrary) -> None:
        self.store = store
        self.index = index
        self.characters = characters
        self.catalog = catalog
        self.slates = slates
        self.data_dir = data_dir
        self.library = library

    # ------------------------------------------------------------------------------------------
    # the recording of one correction
    # ------------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _correction(self, draft: _Draft, existing: FeedbackRecord | None = None) -> Iterator[_Draft]:
        """Run a correction as one transaction and log it with its undo. ``existing``: the
        logged correction a redo re-applies (its id and triplets are kept). Alone across the
        servers of a shared library; its writes land together (``Store.atomic``)."""
        with self.library.exclusive("index"), self.index.transaction(), self.characters.transaction(), \
                self.store.atomic():
            scene_before, people_before = self.index.snapshot(), self.characters.snapshot()
            yield draft
            self.index.after_correction(set(self.index.changes_since(scene_before).touched()))
            fault_point("correction")
            # read after the re-scoring: a noise shot the corrected bins now take is part of this
            # correction, and its undo puts that shot back too
            scene = self.index.changes_since(scene_before)
            people = self.characters.changes_since(people_before)
            now = utcnow()
            inverse = {"request": draft.request, "constraints": draft.constraints,
                       "scene": {"assignments": [encode(a) for a in scene.assignments],
                                 "clusters": [encode(c) for c in scene.clusters], "created": list(scene.created)},
                       "people": {"assignments": [encode(a) for a in people.assignments],
                                  "new_faces": list(people.new_faces),
                                  "characters": [encode(c) for c in people.characters],
                                  "created": list(people.created)},
                       "slates": [{"media_id": m, "record": encode(r) if r is not None else None}
                                  for m, r in draft.slates_before.items()]}
            touched = sorted({draft.subject_id, *scene.touched(), *people.touched()} - {""})
            if existing is None:
                record = FeedbackRecord(
                    feedback_id=draft.feedback_id, action=draft.action, actor=draft.actor or "unknown",
                    created_at=now, subject_id=draft.subject_id, from_id=draft.from_id, to_id=draft.to_id,
                    detail_json=json.dumps(draft.detail), inverse_json=json.dumps(inverse), touched=tuple(touched),
                    state=FeedbackState.APPLIED, applied_at=now, undone_at="", undone_by="")
                self.store.training.add(TrainingRecord(f"{draft.feedback_id}-{n}", t.anchor_id, t.positive_id,
                                                       t.negative_id, t.label, now, draft.feedback_id, False)
                                        for n, t in enumerate(draft.triplets))
            else:
                record = replace(existing, detail_json=json.dumps(draft.detail), inverse_json=json.dumps(inverse),
                                 touched=tuple(touched), state=FeedbackState.APPLIED, applied_at=now,
                                 undone_at="", undone_by="")
                self.store.training.upsert(replace(t, withdrawn=False)
                                           for t in self.store.training.of_feedback(existing.feedback_id))
            self.store.feedback.upsert([record])
            draft.record = record

    def _result(self, draft: _Draft) -> FeedbackResult:
        assert draft.record is not None
        return FeedbackResult(FeedbackEvent.of(draft.record), tuple(dict.fromkeys(c for c in draft.affected if c)),
                              len(draft.triplets))

    def _run(self, action: FeedbackAction, actor: str, subject_id: str, **request: Any) -> FeedbackResult:
        """Make one correction: ``request`` is what its apply function takes (kept for redo)."""
        draft = _Draft(action, actor, subject_id, request=request)
        with self._correction(draft):
            getattr(self, _APPLY[action])(draft, **request)
        return self._result(draft)

    # ------------------------------------------------------------------------------------------
    # scene actions
    # ------------------------------------------------------------------------------------------
    def move_shot(self, shot_id: str, to_cluster_id: str | None, actor: str) -> FeedbackResult:
        """Move a shot into a bin (None: the noise bucket). A merged bin's id leads to the bin
        that absorbed it."""
        return self._run(FeedbackAction.MOVE_SHOT, actor, shot_id, shot_id=shot_id, to_cluster_id=to_cluster_id)

    def merge_clusters(self, cluster_ids: Sequence[str], actor: str) -> FeedbackResult:
        """Merge bins into the first one given; the others keep their rows (as merged), so their
        ids lead to the survivor and are never reused."""
        ids = [self.index.resolve(c) for c in check_ids(cluster_ids, "bins", keep_duplicates=True)]
        if len(ids) < 2 or len(set(ids)) != len(ids):
            raise InvalidInput("merging needs two or more different bins (the first one survives)")
        return self._run(FeedbackAction.MERGE_CLUSTERS, actor, ids[0], cluster_ids=ids)

    def split_cluster(self, cluster_id: str, shot_ids: Sequence[str], new_name: str, actor: str) -> FeedbackResult:
        return self._run(FeedbackAction.SPLIT_CLUSTER, actor, cluster_id, cluster_id=cluster_id,
                         shot_ids=list(dict.fromkeys(shot_ids)), new_name=check_name(new_name))

    def rename_cluster(self, cluster_id: str, name: str, actor: str) -> FeedbackResult:
        return self._run(FeedbackAction.RENAME_CLUSTER, actor, cluster_id, cluster_id=cluster_id, name=check_name(name))

    def lock_cluster(self, cluster_id: str, locked: bool, actor: str) -> FeedbackResult:
        return self._run(FeedbackAction.LOCK_CLUSTER, actor, cluster_id, cluster_id=cluster_id, locked=bool(locked))

    def create_bin(self, shot_ids: Sequence[str], name: str, actor: str) -> FeedbackResult:
        """A new scene bin holding ``shot_ids`` (from wherever they are), pinned there."""
        shot_ids = check_ids(shot_ids, "shots")
        if not shot_ids:
            raise InvalidInput("a new bin needs at least one shot")
        return self._run(FeedbackAction.CREATE_BIN, actor, shot_ids[0], shot_ids=shot_ids, name=check_name(name))

    def reject_shot(self, shot_id: str, cluster_id: str, actor: str) -> FeedbackResult:
        """"Not this one": the shot leaves the bin for the noise bucket (with fresh candidates
        that exclude it) and a cannot-link keeps it out of that bin on every recluster."""
        return self._run(FeedbackAction.REJECT_SHOT, actor, shot_id, shot_id=shot_id, cluster_id=cluster_id)

    def _move_shot(self, draft: _Draft, shot_id: str, to_cluster_id: str | None) -> None:
        source = self.index.assignment(shot_id).cluster_id
        target = self.index.resolve(to_cluster_id) if to_cluster_id is not None else None
        for cid in (source, target):
            if cid is not None:
                self._unlocked(cid)
        members = self.index.members_now()
        self.index.move([shot_id], target)
        draft.from_id, draft.to_id = source or "", target or ""
        if target is not None:
            draft.triplets = triplets_for_move(shot_id, source, target, members, draft.rng())
        draft.affected = [c for c in (source, target) if c]
        self._touch(draft.affected)

    def _merge(self, draft: _Draft, cluster_ids: list[str]) -> None:
        ids = [self.index.resolve(c) for c in cluster_ids]
        for cid in ids:
            self._unlocked(cid)
        survivor, others = ids[0], ids[1:]
        members = self.index.members_now()
        moved = [s for cid in others for s in self.index.members(cid)]
        self.index.move(moved, survivor)
        for cid in others:
            self.index.update_cluster(cid, kind=ClusterKind.MERGED, merged_into=survivor)
        draft.from_id, draft.to_id, draft.detail = ",".join(others), survivor, {"shots": moved}
        draft.triplets = [t for cid in others for t in triplets_for_merge(survivor, cid, members, draft.rng())]
        draft.affected = ids
        self._touch([survivor])

    def _split(self, draft: _Draft, cluster_id: str, shot_ids: list[str], new_name: str,
               new_id: str | None = None) -> None:
        cluster_id = self.index.resolve(cluster_id)
        self._unlocked(cluster_id)
        members = set(self.index.members(cluster_id))
        strangers = [s for s in shot_ids if s not in members]
        if not shot_ids or strangers:
            raise InvalidInput(f"split needs shots of cluster {cluster_id}; not in it: "
                               f"{', '.join(strangers) or '(no shots given)'}")
        if len(shot_ids) == len(members):
            raise InvalidInput("a split must leave at least one shot in the original cluster")
        if new_id is None:
            new_id = self.index.new_cluster_id()
            self.index.create_clusters([new_id], {new_id: shot_ids}, name=new_name, named=bool(new_name),
                                       seen=True, touched=True)
        else:  # a redo brings back the bin its undo retired
            self.index.update_cluster(new_id, kind=ClusterKind.SCENE, name=new_name, named=bool(new_name))
        self.index.move(shot_ids, new_id)
        draft.from_id, draft.to_id, draft.detail = cluster_id, new_id, {"shots": shot_ids}
        draft.request["new_id"] = new_id
        draft.triplets = triplets_for_split([self.index.members(cluster_id), self.index.members(new_id)],
                                            draft.rng())
        draft.affected = [cluster_id, new_id]
        self._touch(draft.affected)

    def _create_bin(self, draft: _Draft, shot_ids: list[str], name: str, new_id: str | None = None) -> None:
        sources = {self.index.assignment(s).cluster_id for s in shot_ids}  # NotFound for an unknown shot
        for cid in sources - {None}:
            self._unlocked(cid)
        members = self.index.members_now()
        if new_id is None:
            new_id = self.index.new_cluster_id()
            self.index.create_clusters([new_id], {new_id: shot_ids}, name=name, named=bool(name), seen=True,
                                       touched=True)
        else:  # a redo brings back the bin its undo retired
            self.index.update_cluster(new_id, kind=ClusterKind.SCENE, name=name, named=bool(name))
        self.index.move(shot_ids, new_id)
        draft.request["new_id"] = new_id
        draft.to_id, draft.detail = new_id, {"shots": shot_ids}
        draft.triplets = [t for s in shot_ids[:8] for t in triplets_for_move(s, None, new_id, members, draft.rng())]
        draft.affected = [new_id, *(c for c in sources if c)]
        self._touch(draft.affected)

    def _rename(self, draft: _Draft, cluster_id: str, name: str) -> None:
        cid = self.index.resolve(cluster_id)
        old = self.index.cluster(cid).name
        self.index.update_cluster(cid, name=name, named=bool(name), touched=True)
        draft.subject_id, draft.from_id, draft.to_id, draft.affected = cid, old, name, [cid]

    def _lock(self, draft: _Draft, cluster_id: str, locked: bool) -> None:
        cid = self.index.resolve(cluster_id)
        before = self.index.cluster(cid).locked
        self.index.update_cluster(cid, locked=locked, touched=True)
        draft.subject_id, draft.from_id, draft.to_id = cid, str(before).lower(), str(locked).lower()
        draft.affected = [cid]

    def _reject(self, draft: _Draft, shot_id: str, cluster_id: str) -> None:
        cluster_id = self.index.resolve(cluster_id)
        current = self.index.assignment(shot_id).cluster_id
        if current == cluster_id:
            self._unlocked(cluster_id)
        constraint = ConstraintRecord(f"{draft.feedback_id}-c", ConstraintKind.SHOT_NOT_CLUSTER, shot_id, cluster_id,
                                      utcnow(), draft.feedback_id)
        self.index.add_cannot_link(constraint)
        draft.constraints.append(constraint.constraint_id)
        if current == cluster_id:
            self.index.move([shot_id], None, pinned=False)
        draft.from_id = cluster_id
        members = self.index.members_now()
        members.setdefault(cluster_id, [])
        draft.triplets = triplets_for_reject(shot_id, cluster_id, self.index.assignment(shot_id).cluster_id,
                                             members, draft.rng())
        draft.affected = [cluster_id]
        self._touch(draft.affected)

    # ------------------------------------------------------------------------------------------
    # character actions
    # ------------------------------------------------------------------------------------------
    def assign_face(self, face_id: str, character_id: str | None, actor: str) -> FeedbackResult:
        """Say who a face is (None: someone new, who gets a new character)."""
        return self._run(FeedbackAction.ASSIGN_FACE, actor, face_id, face_id=face_id, character_id=character_id)

    def merge_characters(self, character_ids: Sequence[str], actor: str) -> FeedbackResult:
        if len(character_ids) < 2 or len(set(character_ids)) != len(character_ids):
            raise InvalidInput("merging needs two or more different people (the first one survives)")
        return self._run(FeedbackAction.MERGE_CHARACTERS, actor, character_ids[0], character_ids=list(character_ids))

    def reject_face(self, face_id: str, character_id: str, actor: str) -> FeedbackResult:
        return self._run(FeedbackAction.REJECT_FACE, actor, face_id, face_id=face_id, character_id=character_id)

    def rename_character(self, character_id: str, name: str, actor: str) -> FeedbackResult:
        return self._run(FeedbackAction.RENAME_CHARACTER, actor, character_id, character_id=character_id,
                         name=check_name(name))

    def _assign_face(self, draft: _Draft, face_id: str, character_id: str | None) -> None:
        face = self._face(face_id)
        before = self.characters.assignment(face_id)
        members = self._face_members()
        if character_id:
            self.characters.character(character_id)
        else:
            character_id = self.characters.new_character(face.model_id).character_id
            draft.request["character_id"] = character_id  # a redo names the same person
        self.characters.assign([FaceAssignmentRecord(face_id, character_id, True)])
        draft.from_id, draft.to_id = (before.character_id or "") if before else "", character_id
        draft.triplets = triplets_for_move(face_id, before.character_id if before else None, character_id,
                                           members, draft.rng())
        self.characters.refresh(hold=True)

    def _merge_characters(self, draft: _Draft, character_ids: list[str]) -> None:
        for cid in character_ids:
            self.characters.character(cid)
        survivor, others = character_ids[0], list(character_ids[1:])
        faces = self.characters.faces_of(others)
        self.characters.assign(FaceAssignmentRecord(f, survivor, True) for f in faces)
        self.characters.delete_characters(others)
        draft.from_id, draft.to_id, draft.detail = ",".join(others), survivor, {"faces": faces}
        self.characters.refresh(hold=True)

    def _reject_face(self, draft: _Draft, face_id: str, character_id: str) -> None:
        self._face(face_id)
        self.characters.character(character_id)
        members = self._face_members()
        constraint = ConstraintRecord(f"{draft.feedback_id}-c", ConstraintKind.FACE_NOT_CHARACTER, face_id,
                                      character_id, utcnow(), draft.feedback_id)
        self.characters.add_constraint(constraint)
        draft.constraints.append(constraint.constraint_id)
        current = self.characters.assignment(face_id)
        if current is not None and current.character_id == character_id:
            self.characters.assign([FaceAssignmentRecord(face_id, None, False)])
        draft.from_id = character_id
        draft.triplets = triplets_for_reject(face_id, character_id, None, members, draft.rng())
        self.characters.refresh(hold=True)

    def _rename_character(self, draft: _Draft, character_id: str, name: str) -> None:
        row = self.characters.character(character_id)
        self.characters.update_character(character_id, name=name, named=bool(name))
        draft.from_id, draft.to_id = row.name, name

    # ------------------------------------------------------------------------------------------
    # slates
    # ------------------------------------------------------------------------------------------
    def correct_slate(self, media_id: str, values: Mapping[str, str], actor: str) -> FeedbackResult:
        """Say what a clip's slate says (no values: it has none). The entry wins over every later
        read of the file, a changed version's included; bins nobody named follow it."""
        typed_slate(self._media(media_id), values)  # refused before anything changes
        return self._run(FeedbackAction.CORRECT_SLATE, actor, media_id, media_id=media_id, values=dict(values))

    def _correct_slate(self, draft: _Draft, media_id: str, values: dict[str, str]) -> None:
        before = self.slates.snapshot().get(media_id)
        record = typed_slate(self._media(media_id), values)
        draft.slates_before[media_id] = before
        self.slates.put(media_id, record)
        draft.from_id = before.label() if before is not None else ""
        draft.to_id = record.label()
        draft.detail = {"fields": {f.name: f.value for f in record.fields}}
        draft.affected.extend(relabel_from_slates(self.index, self.catalog.snapshot(), self.slates.snapshot()))

    def _media(self, media_id: str) -> MediaRecord:
        entry = self.catalog.snapshot().entries.get(check_id(media_id, "a media id"))
        if entry is None:
            raise NotFound(f"no media with id {shown(media_id)}")
        return entry.media

    # ------------------------------------------------------------------------------------------
    # undo and redo
    # ------------------------------------------------------------------------------------------
    def undo(self, actor: str, feedback_id: str = "") -> FeedbackResult:
        """Undo a correction (by default the actor's latest one that stands)."""
        with self.library.exclusive("index"), self.index.transaction(), self.characters.transaction(), \
                self.store.atomic():
            event = self._pick(feedback_id, actor, FeedbackState.APPLIED)
            if not event.inverse_json:
                raise Conflict(f"{event.action} {event.feedback_id} was made before undo existed and cannot be undone")
            self._refuse_if_overtaken(event, "undo")
            inverse = json.loads(event.inverse_json)
            scene, people = inverse["scene"], inverse["people"]
            self.index.restore([decode(AssignmentRecord, a) for a in scene["assignments"]])
            self.index.restore_clusters([decode(ClusterRecord, c) for c in scene["clusters"]])
            self.index.retire_clusters(scene["created"])
            self.index.remove_constraints(inverse["constraints"])
            self.characters.remove_constraints(inverse["constraints"])
            self.characters.restore(CharacterChanges(
                tuple(decode(FaceAssignmentRecord, a) for a in people["assignments"]), tuple(people["new_faces"]),
                tuple(decode(CharacterRecord, c) for c in people["characters"]), tuple(people["created"])))
            self.slates.restore({s["media_id"]: decode(SlateRecord, s["record"]) if s["record"] else None
                                 for s in inverse.get("slates", ())})
            self.index.rebuild_representatives()
            self.index.after_correction(set(event.touched), join=False)
            self.store.training.upsert(replace(t, withdrawn=True) for t in self.store.training.of_feedback(event.feedback_id))
            undone = replace(event, state=FeedbackState.UNDONE, undone_at=utcnow(), undone_by=actor or "unknown")
            self.store.feedback.upsert([undone])
        log.info("correction undone", extra={"feedback_id": event.feedback_id, "action": event.action, "actor": actor})
        affected = [c for c in event.touched if c in self.index.snapshot().clusters]
        return FeedbackResult(FeedbackEvent.of(undone), tuple(affected), 0)

    def redo(self, actor: str, feedback_id: str = "") -> FeedbackResult:
        """Apply an undone correction again (by default the actor's latest undo)."""
        event = self._pick(feedback_id, actor, FeedbackState.UNDONE)
        self._refuse_if_overtaken(event, "redo")
        request = json.loads(event.inverse_json)["request"]
        draft = _Draft(event.action, event.actor, event.subject_id, request=dict(request),
                       feedback_id=event.feedback_id)
        with self._correction(draft, existing=event):
            getattr(self, _APPLY[event.action])(draft, **request)
        log.info("correction redone", extra={"feedback_id": event.feedback_id, "action": event.action, "actor": actor})
        return self._result(draft)

    def _pick(self, feedback_id: str, actor: str, state: FeedbackState) -> FeedbackRecord:
        events = self.events()
        if feedback_id:
            event = next((e for e in events if e.feedback_id == feedback_id), None)
            if event is None:
                raise NotFound(f"no correction with id {shown(feedback_id)}")
            if event.state is not state:
                raise Conflict(f"correction {feedback_id} is {event.state}: nothing to "
                               f"{'undo' if state is FeedbackState.APPLIED else 'redo'}")
            return event
        mine = [e for e in events if e.actor == (actor or "unknown")]
        if state is FeedbackState.APPLIED:
            standing = [e for e in mine if e.state is FeedbackState.APPLIED and e.inverse_json]
            if not standing:
                raise Conflict(f"{actor or 'unknown'} has no correction to undo")
            return max(standing, key=lambda e: e.applied_at)
        undone = [e for e in mine if e.state is FeedbackState.UNDONE]
        latest_new = max((e.applied_at for e in mine if e.state is FeedbackState.APPLIED), default="")
        undone = [e for e in undone if e.undone_at > latest_new]  # a new correction ends the redo chain
        if not undone:
            raise Conflict(f"{actor or 'unknown'} has nothing to redo")
        return max(undone, key=lambda e: e.undone_at)

    def _refuse_if_overtaken(self, event: FeedbackRecord, verb: str) -> None:
        since = event.applied_at if verb == "undo" else event.undone_at
        mine = set(event.touched)
        for later in self.events():
            if later.feedback_id == event.feedback_id or later.state is not FeedbackState.APPLIED:
                continue
            overlap = mine & set(later.touched)
            if later.applied_at > since and overlap:
                raise Conflict(
                    f"cannot {verb} {event.action} by {event.actor}: {later.actor} changed "
                    f"{', '.join(sorted(overlap)[:3])} later ({later.action} at {later.applied_at[:19]}Z); "
                    f"undo that first so their work is not lost")

    # ------------------------------------------------------------------------------------------
    # read side
    # ------------------------------------------------------------------------------------------
    def events(self) -> list[FeedbackRecord]:
        return sorted(self.store.feedback.all(), key=lambda e: e.created_at)

    def history(self) -> list[FeedbackEvent]:
        return [FeedbackEvent.of(e) for e in self.events()]

    def training_jsonl(self) -> tuple[bytes, int]:
        """Triplets of the corrections that stand, as JSON Lines (the seed's fields plus the
        negative and the correction they came from)."""
        rows = sorted(self.store.training.live(), key=lambda t: (t.timestamp, t.triplet_id))
        lines = [json.dumps({"anchor_id": t.anchor_id, "positive_id": t.positive_id, "negative_id": t.negative_id,
                             "label": t.label, "timestamp": t.timestamp, "feedback_id": t.feedback_id},
                            sort_keys=True) for t in rows]
        return "".join(line + "\n" for line in lines).encode(), len(rows)

    # ------------------------------------------------------------------------------------------
    # the adapter
    # ------------------------------------------------------------------------------------------
    def active_adapter_version(self) -> str:
        return self.index.adapter_version

    def train_adapter(self, epochs: int = 0, holdout: float = 0.0) -> AdapterReport:
        """Fit an adapter on the scene triplets, keep it as a new version, and activate it only
        if held-out triplet accuracy improves on the raw model's."""
        epochs = check_limit(epochs, 150, "epochs", MAX_EPOCHS)
        holdout = check_number(holdout, "holdout (the fraction of triplets held out; 0: 0.25)", 0.0, 1.0,
                               high_open=True) or 0.25
        raw = self.index.raw_vectors()
        triplets = [Triplet(t.anchor_id, t.positive_id, t.negative_id, t.label, 0.0) for t in self.store.training.live()
                    if all(i in raw for i in (t.anchor_id, t.positive_id, t.negative_id))]
        if len(triplets) < MIN_TRIPLETS:
            return AdapterReport(triplets_train=len(triplets), active_version=self.active_adapter_version(),
                                 message=f"{len(triplets)} scene triplets so far; an adapter needs at least "
                                         f"{MIN_TRIPLETS} (each correction adds a few)")
        ids = {i for t in triplets for i in (t.anchor_id, t.positive_id, t.negative_id)}
        vectors = {i: shot_vector(raw[i]) for i in ids}
        version = f"v{self.store.adapters.count() + 1}"
        adapter, metrics = fit(triplets, vectors, epochs=epochs, val_fraction=holdout,
                               version=version, base_model_id=self.index.model_id)
        before, after = float(metrics["before"]), float(metrics["after"])
        if not (math.isfinite(before) and math.isfinite(after)):
            raise InvalidInput("too few held-out corrections to judge an adapter: lower holdout or correct more shots")
        path = Path("adapters") / f"{version}.npz"
        (self.data_dir / "adapters").mkdir(exist_ok=True)
        adapter.save(self.data_dir / path)
        improved = after > before
        self.store.adapters.add([AdapterRecord(version, utcnow(), self.index.model_id, str(path), False, before, after)])
        if improved:
            self.activate_adapter(version)
        return AdapterReport(version, improved, before, after, int(metrics["n_train"]), int(metrics["n_val"]),
                             "activated: run a recluster to apply it to every bin" if improved else
                             "kept inactive: it did not beat the raw model on held-out corrections",
                             self.active_adapter_version())

    def list_adapters(self) -> list[AdapterRecord]:
        return sorted(self.store.adapters.all(), key=lambda a: a.created_at)

    def activate_adapter(self, version: str) -> AdapterReport:
        """Make ``version`` the active adapter ("" for none: raw model vectors). Vectors are
        re-adapted at once; bins change on the next recluster, so the editor decides when."""
        rows = {a.version: a for a in self.store.adapters.all()}
        if version and version not in rows:
            raise NotFound(f"no adapter version {shown(version)} (have: {', '.join(sorted(rows)) or 'none'})")
        if version and rows[version].model_id != self.index.model_id:
            raise Conflict(f"adapter {version} was trained for {rows[version].model_id}, "
                           f"not the active scene model {self.index.model_id}")
        self.store.adapters.upsert([replace(a, active=(v == version)) for v, a in rows.items()])
        self.index.set_adapter()
        row = rows.get(version)
        return AdapterReport(version=version, activated=bool(version), active_version=version,
                             validation_before=row.validation_before if row else 0.0,
                             validation_after=row.validation_after if row else 0.0)

    # ------------------------------------------------------------------------------------------
    # internals
    # ------------------------------------------------------------------------------------------
    def _face(self, face_id: str):
        face = self.store.faces.get(face_id)
        if face is None:
            raise NotFound(f"no face with id {shown(face_id)}")
        return face

    def _unlocked(self, cluster_id: str) -> None:
        if self.index.cluster(cluster_id).locked:
            raise Conflict(f"cluster {cluster_id} is locked: unlock it before moving shots in or out")

    def _touch(self, cluster_ids: Sequence[str]) -> None:
        """Mark bins the editor worked on, so reclusters keep their ids."""
        self.index.update_clusters(cluster_ids, touched=True)

    def _face_members(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for face_id, a in self.characters.current_assignments().items():
            if a.character_id:
                out.setdefault(a.character_id, []).append(face_id)
        return out


_APPLY: dict[FeedbackAction, str] = {
    FeedbackAction.MOVE_SHOT: "_move_shot", FeedbackAction.MERGE_CLUSTERS: "_merge",
    FeedbackAction.SPLIT_CLUSTER: "_split", FeedbackAction.RENAME_CLUSTER: "_rename",
    FeedbackAction.LOCK_CLUSTER: "_lock", FeedbackAction.REJECT_SHOT: "_reject",
    FeedbackAction.ASSIGN_FACE: "_assign_face", FeedbackAction.MERGE_CHARACTERS: "_merge_characters",
    FeedbackAction.REJECT_FACE: "_reject_face", FeedbackAction.RENAME_CHARACTER: "_rename_character",
    FeedbackAction.CREATE_BIN: "_create_bin", FeedbackAction.CORRECT_SLATE: "_correct_slate",
}
"""Each correction's apply function: the public call and a redo both run it with the request."""
