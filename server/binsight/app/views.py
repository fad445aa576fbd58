"""Typed views of the project for the API, the review page and the CLI, built from the snapshots
of the catalog, the scene index and the character index.

A view says what a reader sees (a shot with its timecodes, candidates and cast; a bin with its
shots and sub-bins) in the core's vocabulary: the noise bucket is ``cluster_id None`` and kind
``NOISE``. How that is spelled on the wire is ``service/convert.py``'s business.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from ..catalog import CatalogSnapshot
from ..character_index import CharacterSnapshot
from ..clustering.characters import character_subclusters
from ..exporters.timecode import source_timecode
from ..records import ShotRecord, SlateRecord
from ..scene_index import IndexSnapshot
from ..snapshots import Derived
from .slates import SceneView, scene_tree
from .sources import source_media


MIN_PERSON_SHOTS = 2
"""Shots a person must be in for a people bin of their own (unless an editor named them)."""


class BinKind(StrEnum):
    SCENE = "scene"
    CHARACTER = "character"  # a person: a sub-bin of a scene, or a project-wide people bin
    NOISE = "noise"


@dataclass(frozen=True)
class KeyframeView:
    keyframe_id: str
    shot_id: str
    frame: int
    time_s: float
    sharpness: float


@dataclass(frozen=True)
class CandidateView:
    cluster_id: str
    score: float
    name: str


@dataclass(frozen=True)
class ShotView:
    shot_id: str
    media_id: str
    media_path: str
    index: int
    start_frame: int
    end_frame: int  # exclusive
    start_s: float
    end_s: float
    source_in: str
    source_out: str  # timecode of end_frame (exclusive)
    moving: bool
    cluster_id: str | None  # None: the noise bucket
    noise: bool
    score: float
    pinned: bool
    candidates: tuple[CandidateView, ...]
    keyframes: tuple[KeyframeView, ...]
    character_ids: tuple[str, ...]
    face_count: int
    slate: str  # "12A/3" from its clip's sure slate; "" when unslated or unsure


@dataclass(frozen=True)
class ClusterView:
    cluster_id: str | None  # None: the noise bucket
    kind: BinKind
    name: str
    locked: bool = False
    named: bool = False
    shot_count: int = 0
    shots: tuple[ShotView, ...] = ()
    children: tuple["ClusterView", ...] = ()
    character_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClusterTreeView:
    clusters: tuple[ClusterView, ...]
    noise: ClusterView
    scene_model_id: str
    people: tuple[ClusterView, ...] = ()  # project-wide people bins


@dataclass(frozen=True)
class CharacterView:
    character_id: str
    name: str
    face_count: int
    shot_count: int
    sample_face_id: str
    model_id: str


@dataclass(frozen=True)
class ReviewItemView:
    shot: ShotView
    margin: float


@dataclass(frozen=True)
class SubBin:
    bin_id: str  # "<scene id>/<character id>+<character id>"
    name: str
    cast: tuple[str, ...]
    shot_ids: tuple[str, ...]


@dataclass(frozen=True)
class Person:
    character_id: str
    name: str
    shot_ids: tuple[str, ...]  # every shot the person is in, by file then position


@dataclass(frozen=True)
class ProjectView:
    """The snapshots one read works on, taken together so they agree."""

    catalog: CatalogSnapshot
    index: IndexSnapshot
    characters: CharacterSnapshot
    slates: Mapping[str, SlateRecord] = field(default_factory=dict)  # by media id (any version)
    cache: Derived[ClusterView] = field(default_factory=Derived, compare=False, repr=False)  # bin
    # summaries (no shots), reused while their row, members, catalog and cast are unchanged

    # -- shots ------------------------------------------------------------------------------------
    def placed(self, shot_id: str) -> bool:
        """A shot readers may see: committed (in the catalog) and placed (in the index)."""
        return shot_id in self.catalog.shots and shot_id in self.index.assignments

    def shot(self, record: ShotRecord) -> ShotView:
        media = self.catalog.media_of(record)
        source = source_media(media)
        a = self.index.assignments.get(record.shot_id)
        names = self.index.clusters
        faces = self.catalog.faces_of(record.shot_id)
        return ShotView(
            shot_id=record.shot_id, media_id=record.media_id, media_path=media.path, index=record.index,
            start_frame=record.start_frame, end_frame=record.end_frame, start_s=record.start_s, end_s=record.end_s,
            source_in=source_timecode(source, record.start_frame), source_out=source_timecode(source, record.end_frame),
            moving=record.moving, cluster_id=a.cluster_id if a else None, noise=a.noise if a else True,
            score=a.score if a else 0.0, pinned=a.pinned if a else False,
            candidates=tuple(CandidateView(c.cluster_id, c.score,
                                           names[c.cluster_id].display_name if c.cluster_id in names else "")
                             for c in (a.candidates if a else ())),
            keyframes=tuple(KeyframeView(k.keyframe_id, k.shot_id, k.frame, k.time_s, k.sharpness)
                            for k in self.catalog.keyframes_of(record.shot_id)),
            character_ids=self.characters.shot_characters.get(record.shot_id, ()),
            face_count=len(faces), slate=self.slate_label(record))

    def shots(self, shot_ids: Iterable[str] | None = None) -> list[ShotView]:
        """Placed shots, by file then position (all of them when ``shot_ids`` is None)."""
        ids = self.index.assignments if shot_ids is None else shot_ids
        return [self.shot(s) for s in self.catalog.in_order(i for i in ids if self.placed(i))]

    # -- slates ---------------------------------------------------------------------------------
    def slate_label(self, record: ShotRecord) -> str:
        """"12A/3" for a shot of a slated clip ("12A/3 #2" for its second shot), else ""."""
        slate = self.slates.get(record.media_id)
        label = slate.label() if slate is not None else ""
        if label and len(self.catalog.entries[record.media_id].shots) > 1:
            return f"{label} #{record.index + 1}"
        return label

    def live_slates(self, unsure_only: bool = False) -> list[SlateRecord]:
        """The slates of the files the project shows (with a board read or typed), by path."""
        live = self.catalog.entries
        found = [s for mid, s in self.slates.items() if mid in live and s.found and (s.unsure or not unsure_only)]
        return sorted(found, key=lambda s: s.path)

    def scene_tree(self) -> tuple[SceneView, ...]:
        return scene_tree(self.live_slates())

    # -- the bin tree -----------------------------------------------------------------------------
    def tree(self, include_shots: bool = True) -> ClusterTreeView:
        clusters = tuple(self.scene_bin(c.cluster_id, include_shots) for c in self.index.live_clusters())
        return ClusterTreeView(clusters, self.noise_bin(include_shots), self.index.model_id,
                               tuple(self.people_bin(p, include_shots) for p in self.people()))

    def people_bin(self, person: "Person", include_shots: bool = True) -> ClusterView:
        return ClusterView(cluster_id=person.character_id, kind=BinKind.CHARACTER, name=person.name,
                           named=self.characters.characters[person.character_id].named,
                           shot_count=len(person.shot_ids),
                           shots=tuple(self.shots(person.shot_ids)) if include_shots else (),
                           character_ids=(person.character_id,))

    def members(self, cluster_id: str | None) -> list[str]:
        """A bin's committed shots, by file then position."""
        return [s.shot_id for s in self.catalog.in_order(self.index.members.get(cluster_id, ()))]

    def sub_bins(self, cluster_id: str) -> list["SubBin"]:
        """A scene bin's character sub-bins: its shots grouped by who is on screen."""
        members = self.members(cluster_id)
        groups = character_subclusters({s: cluster_id for s in members}, self.characters.shot_characters)
        name = self.index.clusters[cluster_id].display_name
        return [SubBin(f"{cluster_id}/{'+'.join(cast)}",
                       f"{name} with {', '.join(self.characters.name(c) for c in cast)}", cast, tuple(shots))
                for cast, shots in sorted(groups.get(cluster_id, {}).items()) if cast]

    def scene_bin(self, cluster_id: str, include_shots: bool = True) -> ClusterView:
        if include_shots:
            return self._scene_bin(cluster_id, True)
        inputs = (self.index.clusters[cluster_id], self.index.members.get(cluster_id), self.catalog, self.characters)
        return self.cache.get(cluster_id, inputs, lambda: self._scene_bin(cluster_id, False))

    def _scene_bin(self, cluster_id: str, include_shots: bool) -> ClusterView:
        row = self.index.clusters[cluster_id]
        member_ids = self.members(cluster_id)
        by_id = {s.shot_id: s for s in self.shots(member_ids)} if include_shots else {}
        subs = self.sub_bins(cluster_id)
        children = tuple(ClusterView(cluster_id=sub.bin_id, kind=BinKind.CHARACTER, name=sub.name,
                                     shot_count=len(sub.shot_ids),
                                     shots=tuple(by_id[s] for s in sub.shot_ids if s in by_id),
                                     character_ids=sub.cast) for sub in subs)
        return ClusterView(cluster_id=cluster_id, kind=BinKind.SCENE, name=row.display_name, locked=row.locked,
                           named=row.named, shot_count=len(member_ids),
                           shots=tuple(by_id[s] for s in member_ids if s in by_id), children=children,
                           character_ids=tuple(sorted({c for sub in subs for c in sub.cast})))

    def noise_bin(self, include_shots: bool = True) -> ClusterView:
        if include_shots:
            return self._noise_bin(True)
        return self.cache.get(None, (self.index.members.get(None), self.catalog), lambda: self._noise_bin(False))

    def _noise_bin(self, include_shots: bool) -> ClusterView:
        member_ids = self.members(None)
        return ClusterView(cluster_id=None, kind=BinKind.NOISE, name="Noise", shot_count=len(member_ids),
                           shots=tuple(self.shots(member_ids)) if include_shots else ())

    # -- characters -------------------------------------------------------------------------------
    def people(self) -> list["Person"]:
        """Every recurring person with the shots they are in, project-wide (the people bins): in
        two shots or more, or named by an editor. Someone seen in one shot only (an extra, a
        passer-by) stays in that scene's sub-bin, so the people bins are the cast, not a crowd."""
        out = []
        for cid, shots in sorted(self.characters.character_shots.items()):
            row = self.characters.characters.get(cid)
            placed = tuple(s.shot_id for s in self.catalog.in_order(s for s in shots if self.placed(s)))
            if row is not None and placed and (len(placed) >= MIN_PERSON_SHOTS or row.named):
                out.append(Person(cid, self.characters.name(cid), placed))
        return out

    def character_list(self) -> list[CharacterView]:
        faces_of: dict[str, list] = defaultdict(list)
        for face_id, character_id in self.characters.face_character.items():
            face = self.catalog.faces.get(face_id)
            if face is not None:
                faces_of[character_id].append(face)
        out = []
        for cid, row in sorted(self.characters.characters.items()):
            own = faces_of.get(cid, [])
            best = max(own, key=lambda f: f.det_score * f.size_px, default=None)
            out.append(CharacterView(cid, row.display_name, len(own), len({f.shot_id for f in own}),
                                     best.face_id if best else "", row.model_id))
        return out
