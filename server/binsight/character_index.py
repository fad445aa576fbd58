"""The character index: which person each face is, kept with the editor's decisions.

It owns the face -> character assignments, the character rows and the "not this person"
constraints of the active face model, writes them through to the store, and regroups faces with
``clustering.characters`` after each ingested file. Every regrouping keeps ids (so names), pins,
merges and rejections. Like the scene index, readers get an immutable snapshot.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace

import numpy as np

from .clock import utcnow
from .clustering.characters import CharacterConfig, Face, cluster_characters
from .clustering.types import IdMinter
from .errors import NotFound
from .records import CharacterRecord, ConstraintKind, ConstraintRecord, FaceAssignmentRecord, MetaRecord
from .snapshots import SnapshotOwner
from .store import Store
from .validate import shown


@dataclass(frozen=True)
class CharacterChanges:
    """What a correction changed among faces and people, as it was before."""

    assignments: tuple[FaceAssignmentRecord, ...]  # face placements that changed, as they were
    new_faces: tuple[str, ...]  # faces that had no placement before
    characters: tuple[CharacterRecord, ...]  # rows that changed or went, as they were
    created: tuple[str, ...]  # characters that did not exist before

    def touched(self) -> set[str]:
        return ({a.face_id for a in self.assignments} | set(self.new_faces) | {c.character_id for c in self.characters}
                | set(self.created))


@dataclass(frozen=True)
class CharacterSnapshot:
    characters: Mapping[str, CharacterRecord]
    assignments: Mapping[str, FaceAssignmentRecord]
    face_character: Mapping[str, str]  # face id -> character id (assigned faces only)
    pinned: frozenset[str]  # faces the editor placed
    shot_characters: Mapping[str, tuple[str, ...]]  # shot id -> sorted character ids on screen
    character_shots: Mapping[str, tuple[str, ...]]  # character id -> sorted shot ids
    version: int

    def name(self, character_id: str) -> str:
        row = self.characters.get(character_id)
        return row.display_name if row else character_id


def label_for(character_id: str) -> str:
    """"char-00003" -> "Person 3": readable until the editor names them."""
    number = character_id.rsplit("-", 1)[-1].lstrip("0") or "0"
    return f"Person {number}"


class CharacterIndex(SnapshotOwner):
    def __init__(self, store: Store, model_id: str | None, config: Callable[[], CharacterConfig | None]) -> None:
        """``config`` is asked at each regrouping (its thresholds come from the face model,
        which loads when first needed); None: faces are off."""
        self.store = store
        self.model_id = model_id  # None: faces are off
        self._config = config
        super().__init__()
        self._characters: dict[str, CharacterRecord] = {}
        self._assigned: dict[str, FaceAssignmentRecord] = {}
        self._face_shot: dict[str, str] = {}
        # "not this person", held here like the rest: a correction's writes reach the store only
        # when it ends (Store.atomic), so a regrouping inside it must not read them from there
        self._rejected: dict[str, tuple[str, str]] = {}
        self._last_id = ""  # the highest character id ever minted (meta "last_character_id")
        self._version = 0
        self._snapshot = CharacterSnapshot({}, {}, {}, frozenset(), {}, {}, 0)

    def load(self) -> None:
        with self.transaction():
            self._characters = {c.character_id: c for c in self.store.characters.all()}
            self._assigned = {a.face_id: a for a in self.store.face_assignments.all()}
            self._face_shot = {f.face_id: f.shot_id for f in self.store.faces.without_vectors()}
            self._rejected = {c.constraint_id: (c.a_id, c.b_id)
                              for c in self.store.constraints.of_kind(ConstraintKind.FACE_NOT_CHARACTER)}
            last = self.store.meta.get("last_character_id")
            self._last_id = last.value if last else ""

    def snapshot(self) -> CharacterSnapshot:
        return self._snapshot

    def character(self, character_id: str) -> CharacterRecord:
        row = self._characters.get(character_id)
        if row is None:
            raise NotFound(f"no character with id {shown(character_id)}")
        return row

    def assignment(self, face_id: str) -> FaceAssignmentRecord | None:
        return self._assigned.get(face_id)

    def current_assignments(self) -> Mapping[str, FaceAssignmentRecord]:
        """Face placements as they are now, for a writer inside a transaction."""
        return self._assigned

    def faces_of(self, character_ids: Iterable[str]) -> list[str]:
        wanted = set(character_ids)
        return sorted(f for f, a in self._assigned.items() if a.character_id in wanted)

    # ------------------------------------------------------------------------------------------
    def refresh(self, hold: bool = False) -> None:
        """Regroup every face of the active face model into characters, keeping ids, names,
        pins, merges and "not this person" from earlier runs. ``hold`` (after an editor's face
        correction): every face keeps the person it has, so the correction changes only what the
        editor touched and new faces only join; no one else's faces move under their hands."""
        config = self._config() if self.model_id else None
        if self.model_id is None or config is None:
            return
        with self.transaction():
            records = self.store.faces.of_model(self.model_id)
            self._face_shot = {f.face_id: f.shot_id for f in self.store.faces.without_vectors()}
            faces = [Face(f.face_id, f.shot_id, f.frame, f.det_score, f.size_px, f.sharpness,
                          np.asarray(f.vector, np.float32)) for f in records]
            previous = {f: a.character_id for f, a in self._assigned.items()}
            pins = {f: a.character_id for f, a in self._assigned.items() if a.pinned and a.character_id}
            held = {f: c for f, c in previous.items() if c and c in self._characters} if hold else {}
            rejected = list(self._rejected.values())
            result = cluster_characters(faces, config, previous, {**held, **pins}, rejected, mint=self._minter())
            self._write_assignments([FaceAssignmentRecord(f, c, f in pins) for f, c in result.face_character.items()])
            used = {c for c in result.face_character.values() if c}
            now = utcnow()
            self._write_characters([CharacterRecord(c, "", False, label_for(c), self.model_id, now)
                                    for c in sorted(used - set(self._characters))])
            unused = [c for c, row in self._characters.items() if c not in used and not row.named]
            self.store.characters.delete(unused)
            for c in unused:
                del self._characters[c]

    def _minter(self) -> IdMinter:
        """Ids above every id ever used: characters that went unused are deleted, and their
        ids must not come back for someone else (an old export or an undo names them)."""
        return IdMinter("char", [*self._characters, *([self._last_id] if self._last_id else [])])

    def _remember_ids(self, character_ids: Iterable[str]) -> None:
        ids = sorted(character_ids)
        if ids:
            self._last_id = max(ids[-1], self._last_id)
            self.store.meta.upsert([MetaRecord("last_character_id", self._last_id)])

    def new_character(self, model_id: str) -> CharacterRecord:
        character_id = self._minter()()
        row = CharacterRecord(character_id, "", False, label_for(character_id), model_id, utcnow())
        self._write_characters([row])
        return row

    def assign(self, records: Iterable[FaceAssignmentRecord]) -> None:
        with self.transaction():
            self._write_assignments(list(records))

    def update_character(self, character_id: str, **values: object) -> CharacterRecord:
        row = replace(self.character(character_id), **values)  # type: ignore[arg-type]
        self._write_characters([row])
        return row

    def restore_characters(self, rows: Iterable[CharacterRecord]) -> None:
        self._write_characters(list(rows))

    def delete_characters(self, character_ids: Iterable[str]) -> None:
        ids = [c for c in character_ids if c in self._characters]
        with self.transaction():
            self.store.characters.delete(ids)
            for c in ids:
                del self._characters[c]

    def add_constraint(self, constraint: ConstraintRecord) -> None:
        self.store.constraints.add([constraint])
        if constraint.kind == ConstraintKind.FACE_NOT_CHARACTER:
            self._rejected[constraint.constraint_id] = (constraint.a_id, constraint.b_id)

    def remove_constraints(self, constraint_ids: Iterable[str]) -> None:
        constraint_ids = list(constraint_ids)
        self.store.constraints.delete(constraint_ids)
        for cid in constraint_ids:
            self._rejected.pop(cid, None)

    def changes_since(self, before: CharacterSnapshot) -> CharacterChanges:
        moved = tuple(old for fid, old in before.assignments.items() if self._assigned.get(fid) != old)
        new_faces = tuple(sorted(fid for fid in self._assigned if fid not in before.assignments))
        changed = tuple(old for cid, old in before.characters.items() if self._characters.get(cid) != old)
        created = tuple(sorted(cid for cid in self._characters if cid not in before.characters))
        return CharacterChanges(moved, new_faces, changed, created)

    def restore(self, changes: CharacterChanges) -> None:
        """Put faces and people back as ``changes`` recorded them (undo)."""
        with self.transaction():
            self._write_assignments(list(changes.assignments))
            self._write_assignments([FaceAssignmentRecord(f, None, False) for f in changes.new_faces])
            self._write_characters(list(changes.characters))
            self.delete_characters(changes.created)

    def _write_assignments(self, records: list[FaceAssignmentRecord]) -> None:
        with self.transaction():
            self.store.face_assignments.upsert(records)
            for rec in records:
                self._assigned[rec.face_id] = rec

    def _write_characters(self, rows: list[CharacterRecord]) -> None:
        with self.transaction():
            self._remember_ids(r.character_id for r in rows)
            self.store.characters.upsert(rows)
            for row in rows:
                self._characters[row.character_id] = row

    def _publish(self) -> None:
        face_character = {f: a.character_id for f, a in self._assigned.items()
                          if a.character_id and a.character_id in self._characters}
        by_shot: dict[str, set[str]] = defaultdict(set)
        by_character: dict[str, set[str]] = defaultdict(set)
        for face_id, character_id in face_character.items():
            shot = self._face_shot.get(face_id)
            if shot is not None:
                by_shot[shot].add(character_id)
                by_character[character_id].add(shot)
        self._version += 1
        self._snapshot = CharacterSnapshot(
            dict(self._characters), dict(self._assigned), face_character,
            frozenset(f for f, a in self._assigned.items() if a.pinned),
            {s: tuple(sorted(c)) for s, c in by_shot.items()},
            {c: tuple(sorted(s)) for c, s in by_character.items()}, self._version)
