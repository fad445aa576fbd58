"""Characters: faces grouped into people across the project, then shots sub-grouped by cast.

Faces are never clustered one by one. Pitfall data from dlib's 128-d embedder on real footage: a
single low-score audience face came within 0.56 of a single frame of the lead actor, while the
actor's own faces in two shots had a median distance of 0.53 - nearest-single-face linking would
merge them. So:

1. quality gate: only faces that pass score/size/sharpness gates (``good``) can found characters;
2. tracks: within a shot, good faces of one person across frames form a track (average-linkage on
   Euclidean distance, two faces of one frame never together);
3. characters: tracks are merged across shots by average linkage over a robust set-to-set
   distance - the quality-weighted median of all face-pair distances between two tracks - with a
   cannot-link between tracks seen in the same frame; a group needs ``min_founder_faces`` good
   faces to become a character (when in doubt keep apart: a merge is one click, a wrong merge is a
   hunt);
4. small or soft faces are judged as tracks: a track of several frames is evidence, and a group
   of such tracks in two shots or more founds a character at a distance scaled down for the
   face size (see ``CharacterConfig``); shorter tracks and good faces of groups too small to
   found may only join an existing character, under a stricter threshold, never into a character
   already present in that frame; faces too poor to judge stay unassigned.

Editor constraints survive every run: faces pinned to a character stay (pinned faces of one
character start as one group; two characters' pinned groups never merge), "not this person"
cannot-links are honoured, merged characters stay merged (their faces count as pinned to the
survivor), and ids (hence names) are matched to the previous run by overlap.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .recluster import agglomerate_matrix, match_ids
from .types import IdMinter


@dataclass(frozen=True)
class Face:
    face_id: str
    shot_id: str
    frame: int  # source frame index within the shot's media: same shot + frame = same picture
    det_score: float
    size_px: float
    sharpness: float
    vector: np.ndarray  # L2-normalised, in the face model's space


@dataclass
class CharacterConfig:
    """Gates and distances (Euclidean, in the face model's space).

    Three tiers of face: *good* faces (large, sharp, confident) found characters as before;
    *usable* small or soft faces (``min_usable_px`` and ``min_usable_score``) are judged as tracks
    and found a character only with evidence: tracks of at least ``min_track_faces`` frames, in
    at least two shots, linked at a distance scaled down for their size; *poor* faces (smaller
    or less confident still) are left unassigned, never merged wrongly. Distances between units
    are divided by ``size_factor`` of the smaller unit's face size, which is 1 from ``full_px``
    up and ``small_factor`` at ``min_usable_px`` (bench/people.py: at 30-45 px the same person
    across shots sits at 0.27-0.37 with dlib, other people at 0.48 and beyond; at 24 px they
    overlap, and such faces score below ``min_usable_score``)."""

    match_threshold: float  # the face model's own same-person distance
    min_det_score: float = 0.7
    min_size_px: float = 40.0
    min_sharpness: float = 50.0
    min_founder_faces: int = 2  # good faces a group needs to found a character
    weak_factor: float = 0.9  # weak faces join only below match_threshold * weak_factor
    linkage: str = "average"
    min_usable_px: float = 28.0
    min_usable_score: float = 0.5
    min_track_faces: int = 3
    full_px: float = 60.0
    small_factor: float = 0.85

    def size_factor(self, size_px: float) -> float:
        span = max(self.full_px - self.min_usable_px, 1e-6)
        t = float(np.clip((size_px - self.min_usable_px) / span, 0.0, 1.0))
        return self.small_factor + (1.0 - self.small_factor) * t


@dataclass
class CharacterResult:
    face_character: dict[str, str | None]  # face id -> character id (None: unassigned)
    shot_characters: dict[str, tuple[str, ...]]  # shot id -> sorted character ids on screen


def face_quality(face: Face, config: CharacterConfig) -> float:
    """Weight of a face in set distances: detector confidence scaled down for small faces."""
    return float(np.clip(face.det_score, 0.05, 1.0) * min(1.0, face.size_px / 100.0))


def is_good(face: Face, config: CharacterConfig) -> bool:
    return (face.det_score >= config.min_det_score and face.size_px >= config.min_size_px
            and face.sharpness >= config.min_sharpness)


def is_usable(face: Face, config: CharacterConfig) -> bool:
    """Worth judging at all: a poorer face is left unassigned."""
    return face.size_px >= config.min_usable_px and face.det_score >= config.min_usable_score


def weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values)
    cum = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cum, cum[-1] / 2.0)])


def set_distance(a: np.ndarray, wa: np.ndarray, b: np.ndarray, wb: np.ndarray) -> float:
    """Quality-weighted median of all pairwise Euclidean distances between two face sets: one
    stray close pair (the audience face next to one frame of the lead) cannot make two people one."""
    d = np.sqrt(np.maximum(2.0 - 2.0 * (a @ b.T), 0.0))
    return weighted_median(d.ravel(), np.outer(wa, wb).ravel())


def _tracks(faces: Sequence[Face], rows: list[int], vectors: np.ndarray, threshold: float) -> list[list[int]]:
    """Split one shot's faces into per-person tracks: average linkage of face distances, faces of
    the same frame never together."""
    if len(rows) == 1:
        return [rows]
    v = vectors[rows]
    dist = np.sqrt(np.maximum(2.0 - 2.0 * (v @ v.T), 0.0))
    frames = np.asarray([faces[r].frame for r in rows])
    cannot = frames[:, None] == frames[None, :]
    labels = agglomerate_matrix(-dist, np.ones(len(rows)), -threshold, "average", cannot)
    return [[rows[j] for j in np.flatnonzero(labels == t)] for t in range(labels.max() + 1)]


def cluster_characters(faces: Sequence[Face], config: CharacterConfig,
                       previous: Mapping[str, str | None] | None = None,
                       pins: Mapping[str, str] | None = None,
                       not_this_person: Collection[tuple[str, str]] = (),
                       merges: Mapping[str, str] | None = None,
                       mint: IdMinter | None = None) -> CharacterResult:
    """Group ``faces`` (all of one face model) into characters.

    previous: last run's face -> character id (ids and therefore names carry over).
    pins: face -> character id the editor assigned.
    not_this_person: (face id, character id) pairs the editor rejected.
    merges: absorbed character id -> surviving id, for merges the editor made.
    """
    previous = dict(previous or {})
    merges = dict(merges or {})
    resolve = lambda cid: merges.get(cid, cid)  # noqa: E731 - one-line alias resolution
    previous = {f: (resolve(c) if c is not None else None) for f, c in previous.items()}
    pins = {f: resolve(c) for f, c in (pins or {}).items()}
    merged_ids = set(merges) | set(merges.values())
    for fid, cid in previous.items():  # the editor vouched for merged characters' faces
        if cid in merged_ids and fid not in pins:
            pins[fid] = cid
    forbidden: dict[str, set[str]] = {}
    for fid, cid in not_this_person:
        forbidden.setdefault(fid, set()).add(resolve(cid))
    for fid in list(pins):
        if pins[fid] in forbidden.get(fid, ()):
            del pins[fid]
    mint = mint or IdMinter("char", [*previous.values(), *pins.values(), *merges, *merges.values()])
    if not faces:
        return CharacterResult({}, {})

    vectors = np.stack([f.vector for f in faces]).astype(np.float64)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    weights = np.asarray([face_quality(f, config) for f in faces])
    good = np.asarray([is_good(f, config) for f in faces])
    usable = np.asarray([is_usable(f, config) for f in faces]) | good

    # units: one per pinned character, then per-shot tracks of good faces, and of usable faces
    # with enough frames to be evidence; shorter usable tracks may only join; poor faces never
    pinned_ids = sorted(set(pins.values()))
    units: list[list[int]] = [[] for _ in pinned_ids]
    by_shot: dict[tuple[str, bool], list[int]] = {}
    for i, f in enumerate(faces):
        if f.face_id in pins:
            units[pinned_ids.index(pins[f.face_id])].append(i)
        elif usable[i]:
            by_shot.setdefault((f.shot_id, bool(good[i])), []).append(i)
    weak_units: list[list[int]] = []
    for (_, is_good_shot), rows in sorted(by_shot.items()):
        for track in _tracks(faces, rows, vectors, config.match_threshold):
            (units if is_good_shot or len(track) >= config.min_track_faces else weak_units).append(track)

    labels = _link_units(faces, units, len(pinned_ids), vectors, weights, config)
    n_good = np.asarray([sum(good[i] for i in u) for u in units])
    face_label = np.full(len(faces), -1)
    for u, lab in zip(units, labels):
        face_label[u] = lab
    evidence_shots: dict[int, set[str]] = {}
    for u, lab in zip(units, labels):
        if len(u) >= config.min_track_faces:
            evidence_shots.setdefault(int(lab), set()).add(faces[u[0]].shot_id)
    founders = {lab for lab in set(labels.tolist())
                if n_good[labels == lab].sum() >= config.min_founder_faces or lab in labels[: len(pinned_ids)]
                or len(evidence_shots.get(lab, ())) >= 2}
    for u, lab in zip(units, labels):
        if lab not in founders:
            face_label[u] = -1
            weak_units.append(u)
    _attach_weak(faces, weak_units, face_label, vectors, weights, config)

    face_ids = [f.face_id for f in faces]
    assignment = match_ids(face_ids, face_label, previous, pins, set(previous.values()) - {None}, (), mint)
    _respect_rejections(faces, assignment, forbidden, vectors, weights, config)
    _one_face_per_frame(faces, assignment, pins, vectors, weights)
    shots: dict[str, set[str]] = {}
    for f in faces:
        cid = assignment[f.face_id]
        shots.setdefault(f.shot_id, set())
        if cid is not None:
            shots[f.shot_id].add(cid)
    return CharacterResult(assignment, {s: tuple(sorted(c)) for s, c in shots.items()})


def _frames(faces: Sequence[Face], rows: Sequence[int]) -> set[tuple[str, int]]:
    return {(faces[i].shot_id, faces[i].frame) for i in rows}


def _link_units(faces: Sequence[Face], units: list[list[int]], n_pinned: int, vectors: np.ndarray,
                weights: np.ndarray, config: CharacterConfig) -> np.ndarray:
    """Average-linkage of units on the median set distance; same-frame units never merge."""
    n = len(units)
    dist = np.full((n, n), np.inf)
    frames = [_frames(faces, u) for u in units]
    centres = np.stack([vectors[u].mean(axis=0) for u in units]) if n else np.zeros((0, 1))
    centres /= np.maximum(np.linalg.norm(centres, axis=1, keepdims=True), 1e-12)
    near = np.sqrt(np.maximum(2.0 - 2.0 * centres @ centres.T, 0.0)) < 2.0 * config.match_threshold
    scale = [config.size_factor(float(np.median([faces[i].size_px for i in u]))) if u else 1.0 for u in units]
    for a in range(n):  # only plausible pairs get the O(faces^2) median
        for b in np.flatnonzero(near[a, a + 1 :]) + a + 1:
            d = set_distance(vectors[units[a]], weights[units[a]], vectors[units[b]], weights[units[b]])
            dist[a, b] = dist[b, a] = d / min(scale[a], scale[b])  # small faces must be nearer
    cannot = np.zeros((n, n), bool)
    cannot[:n_pinned, :n_pinned] = True
    for a in range(n):
        for b in range(a + 1, n):
            if frames[a] & frames[b]:
                cannot[a, b] = cannot[b, a] = True
    sizes = np.asarray([len(u) for u in units], float)
    return agglomerate_matrix(-dist, sizes, -config.match_threshold, config.linkage, cannot)


def _attach_weak(faces: Sequence[Face], weak_units: list[list[int]], face_label: np.ndarray,
                 vectors: np.ndarray, weights: np.ndarray, config: CharacterConfig) -> None:
    """Let weak tracks join the nearest character (median distance under the stricter limit),
    never one that already has a face in the same frame. They never found one."""
    labels = sorted(set(face_label.tolist()) - {-1})
    if not labels:
        return
    members = {lab: np.flatnonzero(face_label == lab) for lab in labels}
    taken = {lab: _frames(faces, rows) for lab, rows in members.items()}
    limit = config.match_threshold * config.weak_factor
    for unit in weak_units:
        frames = _frames(faces, unit)
        best, best_d = -1, limit
        for lab, rows in members.items():
            if taken[lab] & frames:
                continue
            d = set_distance(vectors[unit], weights[unit], vectors[rows], weights[rows])
            if d < best_d:
                best, best_d = lab, d
        if best >= 0:
            face_label[unit] = best
            taken[best] |= frames


def _one_face_per_frame(faces: Sequence[Face], assignment: dict[str, str | None],
                        pins: Mapping[str, str], vectors: np.ndarray, weights: np.ndarray) -> None:
    """Last guard of the same-frame rule (a pinned face can meet its character's old faces in
    one frame): per frame, a character keeps the pinned face, else the face closest to it."""
    clash: dict[tuple[str, int, str], list[int]] = {}
    for i, f in enumerate(faces):
        cid = assignment[f.face_id]
        if cid is not None:
            clash.setdefault((f.shot_id, f.frame, cid), []).append(i)
    for (_, _, cid), rows in clash.items():
        if len(rows) < 2:
            continue
        members = [j for j, f in enumerate(faces) if assignment[f.face_id] == cid and j not in rows]
        def closeness(i: int) -> tuple[bool, float]:
            pinned = pins.get(faces[i].face_id) == cid
            d = set_distance(vectors[[i]], weights[[i]], vectors[members], weights[members]) if members else 0.0
            return (not pinned, d)
        keep = min(rows, key=closeness)
        for i in rows:
            if i != keep:
                assignment[faces[i].face_id] = None


def _respect_rejections(faces: Sequence[Face], assignment: dict[str, str | None],
                        forbidden: Mapping[str, set[str]], vectors: np.ndarray,
                        weights: np.ndarray, config: CharacterConfig) -> None:
    """A face the editor said is not character X leaves X for the nearest allowed character
    within the weak-face limit (same-frame rule kept), else stays unassigned."""
    index = {f.face_id: i for i, f in enumerate(faces)}
    for fid, bad in forbidden.items():
        if fid not in index or assignment.get(fid) not in bad:
            continue
        assignment[fid] = None
        i = index[fid]
        members: dict[str, list[int]] = {}
        for j, f in enumerate(faces):
            cid = assignment[f.face_id]
            if cid is not None and cid not in bad:
                members.setdefault(cid, []).append(j)
        best, best_d = None, config.match_threshold * config.weak_factor
        for cid, rows in members.items():
            if (faces[i].shot_id, faces[i].frame) in _frames(faces, rows):
                continue
            d = set_distance(vectors[[i]], weights[[i]], vectors[rows], weights[rows])
            if d < best_d:
                best, best_d = cid, d
        assignment[fid] = best


def character_subclusters(scene_assignment: Mapping[str, str | None],
                          shot_characters: Mapping[str, Sequence[str]]) -> dict[str, dict[tuple[str, ...], list[str]]]:
    """Per scene cluster, its shots grouped by the set of characters on screen. Shots without
    (assigned) faces stay at scene level under the empty key ``()``; noise shots are skipped."""
    out: dict[str, dict[tuple[str, ...], list[str]]] = {}
    for shot, scene in scene_assignment.items():
        if scene is None:
            continue
        cast = tuple(sorted(set(shot_characters.get(shot, ()))))
        out.setdefault(scene, {}).setdefault(cast, []).append(shot)
    return out
